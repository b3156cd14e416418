"""Process-level wiring for servers: the settlement flusher runs beside each web process."""
import atexit
import logging

from flask import Flask

log = logging.getLogger(__name__)


def start_background_settlement(app: Flask):
    """Start the usage flusher in this process and drain it at normal shutdown."""
    from .billing.settlement import Flusher

    flusher = Flusher()
    flusher.start(app)
    app.extensions["tollgate_flusher"] = flusher
    atexit.register(flusher.stop, True)
    return flusher
