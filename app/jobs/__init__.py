"""Background jobs on RQ: queues bound to the app's Redis; inline in the embedded default."""
from contextlib import nullcontext

from flask import Flask, current_app, has_app_context
from rq import Queue


def init_app(app: Flask) -> None:
    app.extensions["tollgate_queues"] = {}


def get_queue(name: str = "default") -> Queue:
    queues = current_app.extensions["tollgate_queues"]
    if name not in queues:
        connection = current_app.extensions["tollgate_redis"].client
        queues[name] = Queue(name, connection=connection, is_async=current_app.config["RQ_ASYNC"])
    return queues[name]


def app_context():
    """The context a job runs in: the worker's own (`flask tollgate worker`, or inline in tests),
    else a fresh app's, for a bare `rq worker`."""
    if has_app_context():
        return nullcontext()
    from .. import create_app

    return create_app().app_context()
