"""Ending a request: charge what it used (never more than its hold), or release the hold."""
import logging
from dataclasses import replace

from flask import current_app

from ..billing import holds, parking
from ..telemetry import outcome
from . import pricing
from .admission import Call
from .pricing import Charge
from .usage import Tokens, record

log = logging.getLogger(__name__)

SETTLED_BY_SWEEP = holds.SETTLED_BY_SWEEP


def local_tokens(call: Call, output_text_len: int, reported: Tokens | None = None) -> Tokens:
    """Usage counted here when the upstream reported none (or stopped before reporting it).

    The output estimate never exceeds the max_tokens sent upstream: text a provider produced
    past that limit is its overrun, not the caller's (a count it reported still wins).
    """
    prompt = reported.prompt if reported and reported.prompt else max(call.prompt_bound // 4, 1)
    completion = (output_text_len + 3) // 4
    if call.max_output:
        completion = min(completion, call.max_output)
    if reported and reported.completion > completion:
        completion = reported.completion
    cached = reported.cached if reported else 0
    cache_write = reported.cache_write if reported else 0
    return Tokens(prompt=prompt, completion=completion, cached=cached, cache_write=cache_write, estimated=True)


def charge_for(call: Call, tokens: Tokens, priced: Charge | None = None) -> Charge:
    """What ``tokens`` cost (or the ``priced`` cost of images or audio), never more than the hold."""
    c = priced or pricing.charge(call.model, call.multiplier, tokens.prompt, tokens.completion, tokens.cached,
                                 tokens.cache_write)
    if c.total_cost > call.hold:
        # The hold is the most this request may ever cost: the rest is not charged, and is
        # recorded as unbilled so that admins see the loss.
        return replace(c, total_cost=call.hold, unbilled_cost=c.total_cost - call.hold, clamped=True)
    return c


def settle(call: Call, tokens: Tokens, provider_id: int | None, latency_ms: int, ttft_ms: int | None,
           priced: Charge | None = None):
    c = charge_for(call, tokens, priced)
    rec = record(call, tokens=tokens, charge=c, provider_id=provider_id, latency_ms=latency_ms, ttft_ms=ttft_ms)
    outcome.report(call, rec, refused=False)
    try:
        result = holds.settle(call.request_id, c.total_cost, tokens.prompt + tokens.completion, rec)
    except holds.MeterUnavailable as exc:
        # The answer is out but Redis is gone: keep the charge in PostgreSQL for the reconciler,
        # which also releases the hold if Redis comes back with it.
        call.held = False
        parking.record_unsettled(rec, c.total_cost, str(exc))
        raise
    call.held = False
    _sync_flush()
    if result.wallet_available is not None:
        call.wallet_available, call.key_remaining = result.wallet_available, result.key_remaining
    return result


def checkpoint(call: Call, tokens: Tokens, provider_id: int | None, latency_ms: int,
               ttft_ms: int | None) -> tuple[int, int, dict]:
    """What the sweep charges if this stream's process dies now: (cost, tokens, usage record).

    Priced and capped exactly as ``settle`` would; the row says who settled it.
    """
    c = charge_for(call, tokens)
    rec = record(call, tokens=tokens, charge=c, provider_id=provider_id, latency_ms=latency_ms, ttft_ms=ttft_ms,
                 error_type=SETTLED_BY_SWEEP)
    return c.total_cost, tokens.prompt + tokens.completion, rec


def fail(call: Call, http_status: int, error_type: str, provider_id: int | None, latency_ms: int) -> None:
    """Record a failed request; a held amount is released in full (nothing charged)."""
    rec = record(call, status="error", http_status=http_status, error_type=error_type, provider_id=provider_id,
                 latency_ms=latency_ms)
    outcome.report(call, rec, refused=not call.held)  # nothing held yet: refused at admission
    if call.held:
        call.held = False
        try:
            holds.release(call.request_id, rec)
        except holds.MeterUnavailable as exc:
            # Redis went away mid-request: keep the row (nothing charged) for the reconciler, which
            # writes it and releases the hold if Redis kept it. The caller still gets the real error.
            parking.record_unsettled(rec, 0, str(exc))
            log.warning("hold of failed request %s not released: %s", call.request_id, exc)
            return
    else:
        holds.log_only(rec)
    _sync_flush()


def _sync_flush() -> None:
    if current_app.config.get("GATEWAY_SYNC_SETTLE"):
        from ..billing import settlement

        settlement.flush_all(current_app._get_current_object())
