"""``key.cap_reached``: told once per key, cap and window, from the gateway's refusal branch.

Admission's one Redis round trip is untouched: a request refused by a key's lifetime quota,
a rolling cap or a per-model cap then costs one ``SET NX EX`` more, and only the first
refusal of a window enqueues the job that records the event (in its own transaction, since
the refused request writes nothing). The marker lives as long as the cap's window, so a key
hammering its cap raises one event, not one per request.
"""
import logging

from redis.exceptions import RedisError
from rq import Retry
from sqlalchemy.orm import Session

from ..events import emitters
from ..extensions import db, redis_conn
from ..models import ApiKey
from . import app_context, get_queue

log = logging.getLogger(__name__)

DAY_S = 86_400
# Admission's refusal code -> (the event's cap name, how long one event covers). The lifetime
# quota and per-model caps have no rolling window: a day, so a key left at its quota is told daily.
KEY_CAPS = {"cap_5h": ("5h", 5 * 3600), "cap_1d": ("1d", DAY_S), "cap_7d": ("7d", 7 * DAY_S),
            "quota": ("quota", DAY_S), "model_cap": ("model:{model}", DAY_S)}
MARKER = "tg:capnote:{key_id}:{cap}"
RETRY = Retry(max=3, interval=[5, 30, 120])


def note_refusal(key_id: int, error: str, model: str) -> bool:
    """Admission refused ``key_id`` with ``error``; True if this refusal raised the event."""
    if error not in KEY_CAPS:
        return False
    name, window_s = KEY_CAPS[error]
    cap = name.format(model=model)
    try:
        if not redis_conn.client.set(MARKER.format(key_id=key_id, cap=cap), 1, nx=True, ex=window_s):
            return False
        get_queue("default").enqueue(raise_cap_reached, key_id, cap, retry=RETRY,
                                     description=f"key {key_id} reached its {cap} cap")
    except RedisError as exc:  # the refusal is answered all the same
        log.warning("key.cap_reached for key %s (%s) not raised: %s", key_id, cap, exc)
        return False
    return True


def raise_cap_reached(key_id: int, cap: str) -> None:
    with app_context():
        with Session(db.engine) as session:
            key = session.get(ApiKey, key_id)
            if key is not None:
                emitters.key_cap_reached(session, key, cap)
                session.commit()
