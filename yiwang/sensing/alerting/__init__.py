"""Rules on observations and the alerts they raise: thresholds with levels and hysteresis, rate
of change, stale sensors; delivered as server-sent events, signed webhooks, MQTT messages and
events on the core bus."""
