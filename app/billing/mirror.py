"""The gateway's Redis mirror of database balances: key names, Lua scripts, invalidation.

PostgreSQL is the book of record; Redis holds what the hot path must check in one round
trip. Each "account" N (``w:{wallet_id}``, ``k:{key_id}``, ``km:{key_id}:{model}``) has:

- ``tg:a:{N}``: a hash of ``held`` (open holds), ``unflushed`` (settled, not yet in the
  database), ``gen`` (bumped by every commit that changes the account's database value),
  ``flushing`` and ``dirty`` (see lua/load.lua);
- ``tg:s:{N}``: a snapshot of the database value when loaded (wallet balance, key spent,
  key-model spent), expiring after ``SNAPSHOT_TTL_S``.

Available = snapshot - unflushed - held (wallet); limit - snapshot - unflushed - held (key).

Other keys: ``tg:h:{request_id}`` hold record (with a live stream's checkpoint: ``ck``
cost, ``ckt`` tokens, ``ckr`` usage record; ``swept`` once the sweep took it),
``tg:holds`` ZSET of holds by expiry ms,
``tg:hs:{request_id}`` settled marker (24 h), ``tg:rw:{key_id}:{5h|1d|7d}`` rolling
window buckets, ``tg:rl:{key_id}`` (ZSET of request ids by admission ms) and
``tg:rt:{key_id}`` (tokens per request id and their ``_sum``): the trailing-minute rate
log of a key with an RPM or TPM limit, ``tg:pm:{org_id}:{12h index}`` plan message counter, ``tg:cc:{wallet_id}`` (SET of the request
ids in flight on a wallet whose plan limits concurrency; each hold names it in ``cc``),
``tg:pr:{provider_id}`` (ZSET of request ids by admission ms: the trailing minute of a provider
with an RPM limit), ``tg:usage:q`` queue of
settled usage records, ``tg:usage:b:{batch_id}`` claimed batches, ``tg:usage:batches``
ZSET of batches by claim time, ``tg:usage:began``, ``tg:usage:seq``, ``tg:usage:phantom``
(hash of parked records' costs still counted as unflushed, see lua/park.lua),
``tg:usage:unparked:{request_id}`` (a phantom already cleared, 24 h).

Rolling windows, rate counters and plan windows live only in Redis: losing Redis data
resets them (holds and unflushed spend too; the database keeps every settled charge that
was flushed). The scripts compute key names from arguments, so the meter needs one Redis
(not a cluster).
"""
import logging
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

log = logging.getLogger(__name__)

PREFIX = "tg:"
SNAPSHOT_TTL_S = 300
USAGE_QUEUE = PREFIX + "usage:q"
USAGE_DEAD = PREFIX + "usage:dead"  # parked records that could not be kept in PostgreSQL either
PHANTOMS = PREFIX + "usage:phantom"
HOLDS = PREFIX + "holds"
_LUA = Path(__file__).with_name("lua")


def wallet_account(wallet_id: int) -> str:
    return f"w:{wallet_id}"


def key_account(api_key_id: int) -> str:
    return f"k:{api_key_id}"


def key_model_account(api_key_id: int, model: str) -> str:
    return f"km:{api_key_id}:{model}"


def envelope_accounts(envelope: dict) -> list[str]:
    """The accounts settle.lua added a queued record's cost to (none for a request refused before a hold)."""
    if envelope.get("w") is None:
        return []
    return [wallet_account(envelope["w"]), key_account(envelope["k"]), key_model_account(envelope["k"], envelope["m"])]


def account_key(account: str) -> str:
    return f"{PREFIX}a:{account}"


def snapshot_key(account: str) -> str:
    return f"{PREFIX}s:{account}"


def wallet_reserved(wallet_id: int) -> int:
    """Credits of a wallet that the database balance does not show as spent yet: open holds
    plus settled usage still queued. A debit must leave them covered."""
    try:
        client = current_app.extensions["tollgate_redis"].client
    except RuntimeError:
        return 0  # outside an app (scripts): nothing is held there
    held, unflushed = client.hmget(account_key(wallet_account(wallet_id)), "held", "unflushed")
    return int(held or 0) + int(unflushed or 0)


def wallet_balance_key(wallet_id: int) -> str:
    return snapshot_key(wallet_account(wallet_id))


@dataclass
class Scripts:
    """The meter's Lua scripts, registered once per client so calls go by EVALSHA."""

    reserve: object
    settle: object
    load: object
    balances: object
    sweep: object
    heartbeat: object
    claim: object
    begin: object
    finish: object
    park: object
    unpark: object
    provider: object


def scripts(client=None) -> Scripts:
    holder = current_app.extensions["tollgate_redis"]
    client = client or holder.client
    cached = getattr(holder, "_meter_scripts", None)
    if cached is not None and cached[0] is client:
        return cached[1]
    common = (_LUA / "common.lua").read_text()
    loaded = Scripts(**{name: client.register_script(common + "\n" + (_LUA / f"{name}.lua").read_text())
                        for name in Scripts.__dataclass_fields__})
    holder._meter_scripts = (client, loaded)
    return loaded


def invalidate_wallets(wallet_ids) -> None:
    _invalidate([wallet_account(w) for w in wallet_ids])


def _invalidate(accounts: list[str]) -> None:
    # gen and the snapshot change together, so a loader that read the database before
    # this commit cannot install its stale value afterwards (lua/load.lua checks gen).
    if not accounts:
        return
    try:
        client = current_app.extensions["tollgate_redis"].client
        pipe = client.pipeline(transaction=True)
        for account in accounts:
            pipe.hincrby(account_key(account), "gen", 1)
            pipe.delete(snapshot_key(account))
        pipe.execute()
    except RuntimeError:
        pass  # outside an app (scripts): nothing is mirrored there
    except Exception:  # noqa: BLE001 - the snapshot expires on its own; the commit stands
        log.warning("could not drop the Redis mirror of %s; it expires within %d s", accounts, SNAPSHOT_TTL_S,
                    exc_info=True)
