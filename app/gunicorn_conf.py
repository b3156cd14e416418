"""gunicorn settings for Tollgate's web process (back office, /api/v1/me and /v1).

    gunicorn -c python:app.gunicorn_conf app.wsgi:application

gevent workers: one worker serves many concurrent streams; psycogreen makes psycopg2
yield to the event loop instead of blocking the worker. Gateway processes use
app.gunicorn_gateway_conf: the same settings on their own port, so both fit on one host.
A --bind on the command line overrides either default.

On SIGTERM (a deploy) a worker stops accepting, gives open streams GATEWAY_DRAIN_S to
finish, then ends the rest with a terminal event and settles them; graceful_timeout
leaves it time for that and for draining the usage queue before gunicorn kills it.

Metrics: workers write Prometheus values to PROMETHEUS_MULTIPROC_DIR (a temporary directory
unless set), which the master empties at start and tidies when a worker exits
(app/telemetry/multiproc.py).
"""
import os
import sys

from config import Config

bind = os.environ.get("TOLLGATE_WEB_BIND", "0.0.0.0:8000")
worker_class = "gevent"
workers = int(os.environ.get("TOLLGATE_WORKERS", "2"))
worker_connections = int(os.environ.get("TOLLGATE_WORKER_CONNECTIONS", "1000"))
keepalive = 75
timeout = 0  # streams may run for minutes; gevent workers heartbeat on their own
graceful_timeout = Config.GATEWAY_DRAIN_S + 10

# create_app ends the process with this code after printing one line naming the setting.
_REFUSED = 2


def on_starting(server):
    from app.telemetry import multiproc

    multiproc.prepare()  # before any worker imports prometheus_client


def on_exit(server):
    from app.telemetry import multiproc

    multiproc.finish()


def child_exit(server, worker):
    from app.telemetry import multiproc

    multiproc.worker_exited(worker.pid)


def post_fork(server, worker):
    from psycogreen.gevent import patch_psycopg

    patch_psycopg()
    _halt_master_on_refusal(server, worker)
    _drain_streams_on_sigterm(worker)


def _halt_master_on_refusal(server, worker) -> None:
    """A worker that refuses to start exits with gunicorn's boot-error code, so the master stops.

    Any other exit code makes the master fork a new worker, which refuses again, forever.
    """
    load = worker.load_wsgi

    def load_or_halt():
        try:
            load()
        except SystemExit as exc:
            if exc.code == _REFUSED:
                sys.exit(server.WORKER_BOOT_ERROR)
            raise

    worker.load_wsgi = load_or_halt


def _drain_streams_on_sigterm(worker) -> None:
    # The worker installs handle_exit as its SIGTERM handler after this hook: wrap it.
    stop = worker.handle_exit

    def handle_exit(sig, frame):
        from app.gateway import stream_clock  # loaded with the app by then; not before gevent patches

        stream_clock.begin_drain()
        stop(sig, frame)

    worker.handle_exit = handle_exit

# The usage flusher drains itself through atexit when a worker stops normally.
