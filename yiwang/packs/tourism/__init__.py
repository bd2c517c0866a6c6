"""Tourism pack: scenic-spot carrying capacity and saturation (LB/T 034-2014)."""
