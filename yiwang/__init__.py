"""yiwang (一网): one network for a government's data, sensors, services and supervision."""

__version__ = "0.1.0"
