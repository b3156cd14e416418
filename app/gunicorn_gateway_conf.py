"""gunicorn settings for Tollgate's gateway processes: the web settings on port 8001.

    gunicorn -c python:app.gunicorn_gateway_conf app.gateway.wsgi:application
"""
import os

from app.gunicorn_conf import *  # noqa: F401,F403  (same workers, timeouts and hooks)

bind = os.environ.get("TOLLGATE_GATEWAY_BIND", "0.0.0.0:8001")
