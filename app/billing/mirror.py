"""Names of the Redis keys that mirror database balances for the gateway's hot path.

The database is the book of record; Redis holds what the hot path must check in one
round trip (balances minus open holds, key spend, sliding windows). When the money
module changes a balance it drops the mirrored value, and the next request reloads it.
"""
import logging

from flask import current_app

log = logging.getLogger(__name__)

PREFIX = "tg:"


def wallet_balance_key(wallet_id: int) -> str:
    return f"{PREFIX}wb:{wallet_id}"


def key_spent_key(api_key_id: int) -> str:
    return f"{PREFIX}ks:{api_key_id}"


def invalidate_wallets(wallet_ids) -> None:
    _delete([wallet_balance_key(w) for w in wallet_ids])


def invalidate_keys(api_key_ids) -> None:
    _delete([key_spent_key(k) for k in api_key_ids])


def _delete(names: list[str]) -> None:
    if not names:
        return
    try:
        client = current_app.extensions["tollgate_redis"].client
        client.delete(*names)
    except RuntimeError:
        pass  # outside an app (scripts): nothing is mirrored there
    except Exception:  # noqa: BLE001 - the mirror expires on its own; the commit stands
        log.warning("could not drop the Redis mirror of %s; it expires on its own", names, exc_info=True)
