"""Water pack: river-section water levels for the river-chief system (河长制)."""
