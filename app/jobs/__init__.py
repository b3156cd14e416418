"""Background jobs on RQ: queues bound to the app's Redis; inline in the embedded default."""
from flask import Flask, current_app
from rq import Queue


def init_app(app: Flask) -> None:
    app.extensions["tollgate_queues"] = {}


def get_queue(name: str = "default") -> Queue:
    queues = current_app.extensions["tollgate_queues"]
    if name not in queues:
        connection = current_app.extensions["tollgate_redis"].client
        queues[name] = Queue(name, connection=connection, is_async=current_app.config["RQ_ASYNC"])
    return queues[name]
