"""A stream's clock: when its hold's next heartbeat is due, and when the stream must end.

The relay compares the monotonic clock with ``due`` once per upstream chunk (no I/O);
only when it is reached does anything happen, so a stream costs one Redis round trip
every ``GATEWAY_HOLD_HEARTBEAT_S`` whatever its chunk rate. A stream must end when it
reaches ``GATEWAY_STREAM_MAX_S``, or ``GATEWAY_DRAIN_S`` after its process was asked to
stop (``begin_drain``, called on SIGTERM by app/gunicorn_conf.py).
"""
import time

# When this process was asked to stop (monotonic seconds), or None while it serves normally.
drain_began: float | None = None

FIRST_BEAT_S = 1.0
MAX_DURATION = "max_duration"
DRAINING = "draining"
HOLD_LOST = "hold_lost"


def begin_drain() -> None:
    """Open streams get ``GATEWAY_DRAIN_S`` more seconds, then end with a terminal event."""
    global drain_began
    if drain_began is None:
        drain_began = time.monotonic()


class StreamClock:
    def __init__(self, started: float, config):
        self.every = float(config["GATEWAY_HOLD_HEARTBEAT_S"])
        self.drain_s = float(config["GATEWAY_DRAIN_S"])
        self.end_at = started + float(config["GATEWAY_STREAM_MAX_S"])
        # The first beat comes within a second (or one interval, if shorter): a process killed
        # after that has a checkpoint to be charged at, so at most a second of output escapes.
        # Streams shorter than that never beat at all.
        self.next_beat = started + min(self.every, FIRST_BEAT_S)
        self.due = min(self.next_beat, self.end_at)
        self.ended: str | None = None  # why the stream was ended early: one of the names above

    def must_end(self, now: float) -> bool:
        """True when the stream must end now (``ended`` says why)."""
        if now >= self.end_at:
            self.ended = MAX_DURATION
        elif drain_began is not None and now >= drain_began + self.drain_s:
            self.ended = DRAINING
        return self.ended is not None

    def beat_due(self, now: float) -> bool:
        """True once per heartbeat interval; the caller then runs the heartbeat."""
        if now < self.next_beat:
            return False
        self.next_beat = now + self.every
        self.due = min(self.next_beat, self.end_at)
        return True

    def hold_lost(self) -> None:
        self.ended = HOLD_LOST
