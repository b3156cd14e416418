"""Outgoing webhooks: signed, SSRF-guarded deliveries of events to the endpoints users register."""
