"""What a request may cost (the hold) and what it did cost (the charge), in integer credits.

Prices are credits per 1M tokens. cost = tokens x price x group multiplier / 1M, summed
exactly with Decimal and rounded up to a whole credit per request. The hold is an upper
bound: prompt tokens are bounded by the prompt's UTF-8 byte count (a token always covers
at least one byte) plus a fixed overhead per message and per image, and output by
max_tokens. A request is never charged more than its hold.
"""
from dataclasses import dataclass
from decimal import Decimal

from ..billing.units import ceil_credits
from .catalog import ModelInfo

PER_MESSAGE_OVERHEAD = 8
PER_IMAGE_TOKENS = 2000
_MILLION = Decimal(1_000_000)


@dataclass(frozen=True)
class Charge:
    input_cost: int
    output_cost: int
    cached_cost: int
    total_cost: int
    discount_savings: int


def prompt_bound(messages, system=None, extra_text: str = "") -> int:
    """An upper bound on the prompt's tokens, from its bytes; cheap and tokenizer-free."""
    total = len(extra_text.encode()) if extra_text else 0
    for part in ([system] if system else []) + list(messages or []):
        total += PER_MESSAGE_OVERHEAD + _content_bytes(part)
    return max(total, 1)


def estimate_tokens(text: str) -> int:
    """A typical-case count for text the upstream did not meter (about 4 characters a token)."""
    return (len(text) + 3) // 4 if text else 0


def _content_bytes(node) -> int:
    if node is None:
        return 0
    if isinstance(node, str):
        return len(node.encode())
    if isinstance(node, list):
        return sum(_content_bytes(n) for n in node)
    if isinstance(node, dict):
        kind = node.get("type")
        if kind in ("image", "image_url", "input_image", "document", "file"):
            return PER_IMAGE_TOKENS
        return sum(_content_bytes(v) for k, v in node.items() if k not in ("type", "role", "id", "tool_call_id"))
    return len(str(node).encode())


def charge(model: ModelInfo, multiplier: Decimal, prompt: int, completion: int, cached: int) -> Charge:
    cached = min(cached, prompt)
    inp = Decimal(prompt - cached) * model.input_price
    cach = Decimal(cached) * model.cached_input_price
    out = Decimal(completion) * model.output_price
    full = (inp + cach + out) / _MILLION
    total = ceil_credits(full * multiplier)
    savings = max(ceil_credits(full) - total, 0)
    # Components are shown at the group multiplier, rounded down; the total is the exact sum rounded up.
    return Charge(
        input_cost=int(inp * multiplier / _MILLION),
        output_cost=int(out * multiplier / _MILLION),
        cached_cost=int(cach * multiplier / _MILLION),
        total_cost=total,
        discount_savings=savings,
    )


def hold_amount(model: ModelInfo, multiplier: Decimal, prompt_tokens_bound: int, max_output: int) -> int:
    return charge(model, multiplier, prompt_tokens_bound, max_output, 0).total_cost


def affordable_output(model: ModelInfo, multiplier: Decimal, prompt_tokens_bound: int, budget: int) -> int:
    """How many output tokens fit in a credit budget after the prompt (for per-request caps)."""
    input_cost = charge(model, multiplier, prompt_tokens_bound, 0, 0).total_cost
    if model.output_price == 0:
        return 10**9
    per_token = Decimal(model.output_price) * multiplier / _MILLION
    return max(int((Decimal(budget - input_cost)) / per_token), 0) if budget > input_cost else 0
