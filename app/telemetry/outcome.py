"""The one call the request path makes when a request ends: metrics and the request log line.

``app.gateway.settle`` calls ``report`` exactly once per request, settled or failed, with
the usage record it is about to queue, so every endpoint that settles through it is
counted and logged without code of its own.
"""
from . import instruments, request_log


def report(call, rec: dict, refused: bool) -> None:
    instruments.request_done(call, rec, refused)
    request_log.write(call, rec)
