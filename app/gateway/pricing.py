"""What a request may cost (the hold) and what it did cost (the charge), in integer credits.

Prices are credits per 1M tokens. cost = tokens x price x group multiplier / 1M, summed
exactly with Decimal and rounded up to a whole credit per request. The hold is an upper
bound: prompt tokens are bounded by the prompt's UTF-8 byte count (a token always covers
at least one byte) plus a fixed overhead per message, attachments by their size (see
``attachment_tokens``), prompt tokens are priced at the dearest input rate (a whole prompt
may be a cache write), and output by max_tokens. A request is never charged more than its
hold; what the upstream reports beyond it is recorded as unbilled.
"""
from dataclasses import dataclass
from decimal import Decimal

from ..billing.units import ceil_credits
from .catalog import ModelInfo

PER_MESSAGE_OVERHEAD = 8
# An attachment is bounded by its inline base64 data: one token per BASE64_CHARS_PER_TOKEN
# characters (3 bytes of file), and never less than ATTACHMENT_MIN_TOKENS, which is also what
# an attachment passed by URL or file id counts (its size is unknown here).
ATTACHMENT_MIN_TOKENS = 2000
BASE64_CHARS_PER_TOKEN = 4
_ATTACHMENT_TYPES = frozenset(("image", "image_url", "input_image", "document", "file", "input_file"))
_MILLION = Decimal(1_000_000)


@dataclass(frozen=True)
class Charge:
    input_cost: int
    output_cost: int
    cached_cost: int
    total_cost: int
    discount_savings: int
    cache_write_cost: int = 0
    unbilled_cost: int = 0  # what the reported usage cost beyond the hold, which capped the charge
    clamped: bool = False


class AttachmentTooLarge(ValueError):
    """An inline attachment above GATEWAY_MAX_ATTACHMENT_BYTES; the message names where it is."""

    def __init__(self, size: int, limit: int, where: str = ""):
        self.size, self.limit, self.where = size, limit, where
        super().__init__(f"{where + ': ' if where else ''}an attachment of {size} bytes is above the limit of "
                         f"{limit} bytes per attachment")


def prompt_bound(messages, system=None, extra_text: str = "", max_attachment_bytes: int | None = None) -> int:
    """An upper bound on the prompt's tokens, from its bytes; cheap and tokenizer-free."""
    total = len(extra_text.encode()) if extra_text else 0
    if system:
        total += PER_MESSAGE_OVERHEAD + _bounded(system, max_attachment_bytes, None)
    for i, part in enumerate(messages or ()):
        total += PER_MESSAGE_OVERHEAD + _bounded(part, max_attachment_bytes, i)
    return max(total, 1)


def estimate_tokens(text: str) -> int:
    """A typical-case count for text the upstream did not meter (about 4 characters a token)."""
    return (len(text) + 3) // 4 if text else 0


def attachment_tokens(node: dict, max_bytes: int | None = None) -> int:
    """The bound for one image, document or file content part, from the size of its inline data.

    Base64 data counts one token per BASE64_CHARS_PER_TOKEN characters, plain text one per
    byte; either way at least ATTACHMENT_MIN_TOKENS, which is all a URL or file id counts.
    """
    source = node.get("source") if isinstance(node.get("source"), dict) else {}
    if source.get("type") == "content" and isinstance(source.get("content"), list):
        return max(ATTACHMENT_MIN_TOKENS, _content_bytes(source["content"], max_bytes))
    if source.get("type") == "text" and isinstance(source.get("data"), str):
        size = tokens = len(source["data"].encode())
    else:
        data = _base64_data(node, source)
        if data is None:
            return ATTACHMENT_MIN_TOKENS
        size, tokens = len(data) * 3 // 4, -(-len(data) // BASE64_CHARS_PER_TOKEN)
    if max_bytes is not None and size > max_bytes:
        raise AttachmentTooLarge(size, max_bytes)
    # A document's title and context are billed as text beside it.
    extra = sum(len(node[k].encode()) for k in ("title", "context") if isinstance(node.get(k), str))
    return max(ATTACHMENT_MIN_TOKENS, tokens) + extra


def _base64_data(node: dict, source: dict) -> str | None:
    """Inline base64 data (or a data: URL holding it) in either API's shape; None when passed by reference."""
    kind = node.get("type")
    if kind in ("image_url", "input_image"):
        ref = node.get("image_url")
        data = ref.get("url") if isinstance(ref, dict) else ref
        return data if isinstance(data, str) and data.startswith("data:") else None
    if kind in ("file", "input_file"):
        data = (node["file"] if isinstance(node.get("file"), dict) else node).get("file_data")
    else:
        data = source.get("data") if source.get("type") == "base64" else None
    return data if isinstance(data, str) else None


def _bounded(part, max_bytes: int | None, index: int | None) -> int:
    try:
        return _content_bytes(part, max_bytes)
    except AttachmentTooLarge as exc:
        where = "system" if index is None else f"messages[{index}]"
        raise AttachmentTooLarge(exc.size, exc.limit, where) from None


def _content_bytes(node, max_bytes: int | None = None) -> int:
    if node is None:
        return 0
    if isinstance(node, str):
        return len(node.encode())
    if isinstance(node, list):
        return sum(_content_bytes(n, max_bytes) for n in node)
    if isinstance(node, dict):
        if isinstance(node.get("type"), str) and node["type"] in _ATTACHMENT_TYPES:  # a set: the caller's
            # "type" may be any JSON, and a list or object there is unhashable
            return attachment_tokens(node, max_bytes)
        return sum(_content_bytes(v, max_bytes) for k, v in node.items()
                   if k not in ("type", "role", "id", "tool_call_id"))
    return len(str(node).encode())


def charge(model: ModelInfo, multiplier: Decimal, prompt: int, completion: int, cached: int,
           cache_write: int = 0) -> Charge:
    """``prompt`` includes ``cached`` (cache reads) and ``cache_write`` (tokens written to the cache)."""
    cached = min(cached, prompt)
    cache_write = min(cache_write, prompt - cached)
    inp = Decimal(prompt - cached - cache_write) * model.input_price
    cach = Decimal(cached) * model.cached_input_price
    write = Decimal(cache_write) * model.cache_write_price
    out = Decimal(completion) * model.output_price
    full = (inp + cach + write + out) / _MILLION
    total = ceil_credits(full * multiplier)
    savings = max(ceil_credits(full) - total, 0)
    # Components are shown at the group multiplier, rounded down; the total is the exact sum rounded up.
    return Charge(
        input_cost=int(inp * multiplier / _MILLION),
        output_cost=int(out * multiplier / _MILLION),
        cached_cost=int(cach * multiplier / _MILLION),
        total_cost=total,
        discount_savings=savings,
        cache_write_cost=int(write * multiplier / _MILLION),
    )


def _worst_prompt(model: ModelInfo, multiplier: Decimal, prompt_tokens_bound: int, output: int) -> int:
    # The whole prompt may be written to the cache, or read as input: price it at the dearer rate.
    write = prompt_tokens_bound if model.cache_write_price > model.input_price else 0
    return charge(model, multiplier, prompt_tokens_bound, output, 0, write).total_cost


def hold_amount(model: ModelInfo, multiplier: Decimal, prompt_tokens_bound: int, max_output: int) -> int:
    return _worst_prompt(model, multiplier, prompt_tokens_bound, max_output)


def affordable_output(model: ModelInfo, multiplier: Decimal, prompt_tokens_bound: int, budget: int) -> int:
    """How many output tokens fit in a credit budget after the prompt (for per-request caps)."""
    input_cost = _worst_prompt(model, multiplier, prompt_tokens_bound, 0)
    if model.output_price == 0:
        return 10**9
    per_token = Decimal(model.output_price) * multiplier / _MILLION
    return max(int((Decimal(budget - input_cost)) / per_token), 0) if budget > input_cost else 0
