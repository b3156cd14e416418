"""The doorbell between the meter and the flusher.

``holds`` queues usage records in Redis and rings here; the running ``settlement.Flusher``
of this process registers itself here and wakes up as soon as a full batch waits. Keeping
the bell in its own module lets holds ring it without importing settlement, which itself
depends on holds.
"""
import os
import threading

from flask import current_app

# This process's running flusher's wake event, with the pid that registered it (a forked child has none).
_current: tuple[int, threading.Event] | None = None


def register(event: threading.Event) -> None:
    global _current
    _current = (os.getpid(), event)


def unregister(event: threading.Event) -> None:
    global _current
    if _current is not None and _current[1] is event:
        _current = None


def notify(waiting: int) -> None:
    """Called after each settle: wakes this process's flusher as soon as a full batch waits."""
    current = _current
    if current is not None and current[0] == os.getpid() \
            and waiting >= int(current_app.config.get("GATEWAY_FLUSH_BATCH", 500)):
        current[1].set()
