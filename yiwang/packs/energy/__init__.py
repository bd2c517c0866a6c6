"""Energy pack: energy-use quotas."""
