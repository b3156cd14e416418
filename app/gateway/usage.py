"""Reading token usage out of upstream payloads, and the usage record each request leaves."""
from dataclasses import dataclass

from ..billing.parking import storable
from .pricing import Charge


@dataclass
class Tokens:
    prompt: int = 0
    completion: int = 0
    cached: int = 0  # cache reads, part of prompt
    cache_write: int = 0  # tokens written to the prompt cache, part of prompt
    estimated: bool = False


def from_openai(usage: dict | None) -> Tokens | None:
    if not usage:
        return None
    details = usage.get("prompt_tokens_details") or {}
    return Tokens(prompt=int(usage.get("prompt_tokens") or 0), completion=int(usage.get("completion_tokens") or 0),
                  cached=int(details.get("cached_tokens") or 0))


def from_responses(usage: dict | None) -> Tokens | None:
    """The Responses API's usage object: input_tokens include cached ones, as prompt_tokens do."""
    if not usage:
        return None
    details = usage.get("input_tokens_details") or {}
    return Tokens(prompt=int(usage.get("input_tokens") or 0), completion=int(usage.get("output_tokens") or 0),
                  cached=int(details.get("cached_tokens") or 0))


def from_anthropic(usage: dict | None) -> Tokens | None:
    if not usage:
        return None
    cache_read = int(usage.get("cache_read_input_tokens") or 0)
    cache_write = int(usage.get("cache_creation_input_tokens") or 0)
    prompt = int(usage.get("input_tokens") or 0) + cache_read + cache_write
    return Tokens(prompt=prompt, completion=int(usage.get("output_tokens") or 0), cached=cache_read,
                  cache_write=cache_write)


def record(call, *, status: str = "success", http_status: int = 200, error_type: str | None = None,
           tokens: Tokens | None = None, charge: Charge | None = None, provider_id: int | None = None,
           latency_ms: int | None = None, ttft_ms: int | None = None) -> dict:
    """The usage row for one request as JSON-ready data (written in batches by the settlement flusher)."""
    key = call.key
    tokens = tokens or Tokens()
    return {
        "request_id": call.request_id,
        "created_at": call.created_at.isoformat(),
        "org_id": key.org_id if key else None,
        "user_id": key.user_id if key else None,
        "api_key_id": key.key_id if key else None,
        "project_id": key.project_id if key else None,
        "wallet_id": key.wallet_id if key else None,
        "model": storable(call.model_name, 128),  # as the caller sent it, so possibly with a NUL
        "provider_id": provider_id,
        "endpoint": call.op,
        "prompt_tokens": tokens.prompt,
        "completion_tokens": tokens.completion,
        "cached_tokens": tokens.cached,
        "cache_write_tokens": tokens.cache_write,
        "input_cost": charge.input_cost if charge else 0,
        "output_cost": charge.output_cost if charge else 0,
        "cached_cost": charge.cached_cost if charge else 0,
        "cache_write_cost": charge.cache_write_cost if charge else 0,
        "total_cost": charge.total_cost if charge else 0,
        "discount_savings": charge.discount_savings if charge else 0,
        "unbilled_cost": charge.unbilled_cost if charge else 0,
        "cost_clamped": charge.clamped if charge else False,
        "multiplier": str(call.multiplier) if call.multiplier is not None else "1",
        "latency_ms": latency_ms,
        "ttft_ms": ttft_ms,
        "status": status,
        "http_status": http_status,
        "error_type": error_type,
        "stream": bool(call.stream),
        "usage_estimated": tokens.estimated,
    }
