"""Servers the gateway is compared with, plus the wiring for each arm."""
