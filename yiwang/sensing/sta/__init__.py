"""OGC SensorThings API 1.1 (OGC 18-088) over HTTP at ``/sta/v1.1``."""
