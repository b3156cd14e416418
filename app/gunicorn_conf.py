"""gunicorn settings for Tollgate's production processes (web and gateway).

gevent workers: one worker serves many concurrent streams; psycogreen makes psycopg2
yield to the event loop instead of blocking the worker.
"""
import os

bind = os.environ.get("TOLLGATE_BIND", "0.0.0.0:8000")
worker_class = "gevent"
workers = int(os.environ.get("TOLLGATE_WORKERS", "2"))
worker_connections = int(os.environ.get("TOLLGATE_WORKER_CONNECTIONS", "1000"))
keepalive = 75
timeout = 0  # streams may run for minutes; gevent workers heartbeat on their own
graceful_timeout = 30


def post_fork(server, worker):
    from psycogreen.gevent import patch_psycopg

    patch_psycopg()

# The usage flusher drains itself through atexit when a worker stops normally.
