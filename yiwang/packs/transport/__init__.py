"""Transport pack: traffic congestion index and levels."""
