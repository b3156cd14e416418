"""WSGI entry point of a web process (back office, /api/v1/me and /v1):

    gunicorn -c python:app.gunicorn_conf app.wsgi:application
"""
from . import create_app
from .serving import start_background_settlement

application = create_app()
if not application.config.get("GATEWAY_SYNC_SETTLE"):
    start_background_settlement(application)
