"""gunicorn settings for Tollgate's production processes (web and gateway).

gevent workers: one worker serves many concurrent streams; psycogreen makes psycopg2
yield to the event loop instead of blocking the worker.

On SIGTERM (a deploy) a worker stops accepting, gives open streams GATEWAY_DRAIN_S to
finish, then ends the rest with a terminal event and settles them; graceful_timeout
leaves it time for that and for draining the usage queue before gunicorn kills it.
"""
import os

from config import Config

bind = os.environ.get("TOLLGATE_BIND", "0.0.0.0:8000")
worker_class = "gevent"
workers = int(os.environ.get("TOLLGATE_WORKERS", "2"))
worker_connections = int(os.environ.get("TOLLGATE_WORKER_CONNECTIONS", "1000"))
keepalive = 75
timeout = 0  # streams may run for minutes; gevent workers heartbeat on their own
graceful_timeout = Config.GATEWAY_DRAIN_S + 10


def post_fork(server, worker):
    from psycogreen.gevent import patch_psycopg

    patch_psycopg()
    _drain_streams_on_sigterm(worker)


def _drain_streams_on_sigterm(worker):
    # The worker installs handle_exit as its SIGTERM handler after this hook: wrap it.
    stop = worker.handle_exit

    def handle_exit(sig, frame):
        from app.gateway import stream_clock  # loaded with the app by then; not before gevent patches

        stream_clock.begin_drain()
        stop(sig, frame)

    worker.handle_exit = handle_exit

# The usage flusher drains itself through atexit when a worker stops normally.
