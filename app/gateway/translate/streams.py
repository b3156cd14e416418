"""Streaming translation between the two SSE dialects, plus a minimal SSE codec.

The translators are stateful because one upstream event can become zero or several
downstream events, and tool-call indexes, the open content block and usage have to be
carried across events. They never do I/O: the gateway parses upstream bytes with
SSEParser, feeds the translator, and writes what it returns with sse_event.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import orjson

from .anthropic_to_openai import anthropic_error_to_openai, anthropic_usage_to_openai, new_completion_id
from .anthropic_to_openai import stop_reason_to_finish
from .openai_to_anthropic import JSON, dumps, finish_to_stop_reason, new_message_id, new_tool_use_id
from .structured import STRUCTURED_TOOL
from .openai_to_anthropic import openai_error_to_anthropic

Event = tuple[str, JSON]


@dataclass
class StreamUsage:
    """Token counts seen so far, in OpenAI terms: prompt_tokens includes cached tokens."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0  # cache reads, included in prompt_tokens
    cache_creation_tokens: int = 0  # Anthropic cache writes, included in prompt_tokens

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def to_openai(self) -> JSON:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
            "prompt_tokens_details": {"cached_tokens": self.cached_tokens},
        }


class AnthropicToOpenAIStream:
    """Anthropic Messages stream events -> OpenAI chat.completion.chunk dicts."""

    def __init__(self, model: str, include_usage: bool, structured: bool = False) -> None:
        self.model = model
        self.include_usage = include_usage
        self.structured = structured  # the structured-output tool's input streams as content
        self._structured_block: int | None = None
        self.usage = StreamUsage()
        self.finish_reason: str | None = None
        self.id = new_completion_id()
        self.created = int(time.time())
        self._raw_usage: JSON = {}
        self._tool_index: dict[int, int] = {}  # Anthropic block index -> OpenAI tool_calls index

    def feed(self, event_type: str | None, data: JSON) -> list[JSON]:
        handler = getattr(self, f"_on_{event_type or data.get('type')}", None)
        return handler(data) if handler else []  # ping and unknown future events

    def _on_message_start(self, data: JSON) -> list[JSON]:
        message = data.get("message") or {}
        self.id = message.get("id") or self.id
        self._absorb_usage(message.get("usage"))
        return [self._chunk({"role": "assistant", "content": ""})]

    def _on_content_block_start(self, data: JSON) -> list[JSON]:
        block = data.get("content_block") or {}
        if block.get("type") == "text" and block.get("text"):
            return [self._chunk({"content": block["text"]})]
        if block.get("type") != "tool_use":
            return []  # thinking and server-tool blocks have no Chat Completions form
        if self.structured and block.get("name") == STRUCTURED_TOOL:
            self._structured_block = data.get("index")
            return []
        index = self._tool_index[data["index"]] = len(self._tool_index)
        arguments = dumps(block["input"]) if block.get("input") else ""
        call = {"index": index, "id": block["id"], "type": "function",
                "function": {"name": block["name"], "arguments": arguments}}
        return [self._chunk({"tool_calls": [call]})]

    def _on_content_block_delta(self, data: JSON) -> list[JSON]:
        delta = data.get("delta") or {}
        if delta.get("type") == "text_delta" and delta.get("text"):
            return [self._chunk({"content": delta["text"]})]
        if delta.get("partial_json") and data.get("index") == self._structured_block:
            return [self._chunk({"content": delta["partial_json"]})]
        index = self._tool_index.get(data.get("index", -1))
        if delta.get("type") == "input_json_delta" and index is not None and delta.get("partial_json"):
            call = {"index": index, "function": {"arguments": delta["partial_json"]}}
            return [self._chunk({"tool_calls": [call]})]
        return []

    def _on_message_delta(self, data: JSON) -> list[JSON]:
        self._absorb_usage(data.get("usage"))
        stop_reason = (data.get("delta") or {}).get("stop_reason")
        if stop_reason == "tool_use" and self._structured_block is not None and not self._tool_index:
            stop_reason = "end_turn"  # the answer was the structured output, not a call to run
        self.finish_reason = stop_reason_to_finish(stop_reason)
        return [self._chunk({}, self.finish_reason)]

    def _on_message_stop(self, data: JSON) -> list[JSON]:
        if not self.include_usage:
            return []
        chunk = self._chunk({})
        chunk["choices"], chunk["usage"] = [], self.usage.to_openai()
        return [chunk]

    def _on_error(self, data: JSON) -> list[JSON]:
        # OpenAI streams report mid-stream failures as a bare {"error": ...} data line.
        return [anthropic_error_to_openai(500, data)]

    def _absorb_usage(self, usage: JSON | None) -> None:
        # Anthropic usage fields are cumulative, so later values replace earlier ones.
        self._raw_usage.update({k: v for k, v in (usage or {}).items() if isinstance(v, int)})
        mapped = anthropic_usage_to_openai(self._raw_usage)
        self.usage = StreamUsage(
            prompt_tokens=mapped["prompt_tokens"],
            completion_tokens=mapped["completion_tokens"],
            cached_tokens=mapped["prompt_tokens_details"]["cached_tokens"],
            cache_creation_tokens=self._raw_usage.get("cache_creation_input_tokens", 0),
        )

    def _chunk(self, delta: JSON, finish_reason: str | None = None) -> JSON:
        chunk: JSON = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}],
        }
        if self.include_usage:
            chunk["usage"] = None  # as OpenAI does: usage only on the final, choice-less chunk
        return chunk


class OpenAIToAnthropicStream:
    """OpenAI chat.completion.chunk dicts -> Anthropic Messages (event, data) pairs.

    Call finish() when the upstream sends [DONE]: OpenAI delivers usage in a trailing
    chunk after the finish_reason chunk, so message_delta can only be built at the end.
    """

    def __init__(self, model: str) -> None:
        self.model = model
        self.id = new_message_id()
        self.usage = StreamUsage()
        self.finish_reason: str | None = None  # as reported by the OpenAI upstream
        self._usage_seen = False
        self._started = False
        self._finished = False
        self._block = -1  # index of the latest Anthropic content block
        self._open: Any = None  # "text", a tool key, or None when no block is open
        self._tools: dict[int, tuple[str, int]] = {}  # OpenAI tool index -> (call id, block index)

    @property
    def stop_reason(self) -> str:
        return finish_to_stop_reason(self.finish_reason, bool(self._tools))

    def feed(self, chunk: JSON) -> list[Event]:
        if self._finished:
            return []
        if chunk.get("error") and not chunk.get("choices"):
            return [("error", openai_error_to_anthropic(500, chunk))]
        if chunk.get("usage"):
            self._absorb_usage(chunk["usage"])
        events = [] if self._started else [self._message_start()]
        for choice in chunk.get("choices") or []:
            if choice.get("index", 0) != 0:
                continue  # n > 1 is refused at request translation
            events += self._on_delta(choice.get("delta") or {})
            if choice.get("finish_reason"):
                self.finish_reason = choice["finish_reason"]
        return events

    def finish(self) -> list[Event]:
        if self._finished:
            return []
        events = [] if self._started else [self._message_start()]
        self._finished = True
        events += self._close_block()
        usage: JSON = {"output_tokens": self.usage.completion_tokens}
        if self._usage_seen:
            # message_start went out before usage was known; cumulative input counts
            # in message_delta let Anthropic clients correct it.
            usage["input_tokens"] = self.usage.prompt_tokens - self.usage.cached_tokens
            usage["cache_read_input_tokens"] = self.usage.cached_tokens
        delta = {"stop_reason": self.stop_reason, "stop_sequence": None}
        events.append(("message_delta", {"type": "message_delta", "delta": delta, "usage": usage}))
        events.append(("message_stop", {"type": "message_stop"}))
        return events

    def _message_start(self) -> Event:
        self._started = True
        message = {
            "id": self.id, "type": "message", "role": "assistant", "model": self.model, "content": [],
            "stop_reason": None, "stop_sequence": None,
            "usage": {"input_tokens": max(self.usage.prompt_tokens - self.usage.cached_tokens, 0),
                      "output_tokens": 0, "cache_read_input_tokens": self.usage.cached_tokens},
        }
        return ("message_start", {"type": "message_start", "message": message})

    def _on_delta(self, delta: JSON) -> list[Event]:
        events: list[Event] = []
        text = delta.get("content") or delta.get("refusal")
        if text:
            if self._open != "text":
                events += self._open_block("text", {"type": "text", "text": ""})
            events.append(self._block_delta(self._block, {"type": "text_delta", "text": text}))
        for call in delta.get("tool_calls") or []:
            events += self._on_tool_call(call)
        return events

    def _on_tool_call(self, call: JSON) -> list[Event]:
        events: list[Event] = []
        index, fn = call.get("index", 0), call.get("function") or {}
        known = self._tools.get(index)
        # Some OpenAI-compatible servers reuse index 0 for every call; a new id means a new call.
        if known is None or (call.get("id") and call["id"] != known[0]):
            call_id = call.get("id") or new_tool_use_id()
            block = {"type": "tool_use", "id": call_id, "name": fn.get("name") or "", "input": {}}
            events += self._open_block(("tool", len(self._tools), call_id), block)
            known = self._tools[index] = (call_id, self._block)
        if fn.get("arguments"):
            # Arguments normally stream for the open block; if an upstream interleaves
            # calls, the delta still names its own block index.
            events.append(self._block_delta(known[1], {"type": "input_json_delta", "partial_json": fn["arguments"]}))
        return events

    def _open_block(self, key: Any, content_block: JSON) -> list[Event]:
        events = self._close_block()
        self._block += 1
        self._open = key
        events.append(("content_block_start",
                       {"type": "content_block_start", "index": self._block, "content_block": content_block}))
        return events

    def _close_block(self) -> list[Event]:
        if self._open is None:
            return []
        self._open = None
        return [("content_block_stop", {"type": "content_block_stop", "index": self._block})]

    @staticmethod
    def _block_delta(index: int, delta: JSON) -> Event:
        return ("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta})

    def _absorb_usage(self, usage: JSON) -> None:
        self._usage_seen = True
        self.usage = StreamUsage(
            prompt_tokens=usage.get("prompt_tokens") or 0,
            completion_tokens=usage.get("completion_tokens") or 0,
            cached_tokens=(usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0,
        )


# ---------------------------------------------------------------- SSE codec


def sse_event(data: bytes | str | JSON, event: str | None = None) -> bytes:
    """Encode one SSE event; dicts are serialized as JSON, bytes/str are sent verbatim."""
    if isinstance(data, (bytes, bytearray)):
        payload = bytes(data)
    elif isinstance(data, str):
        payload = data.encode()
    else:
        payload = orjson.dumps(data)
    lines = [b"event: " + event.encode()] if event else []
    # A payload line break would end the field early; SSE carries it as another data line.
    lines += [b"data: " + line for line in payload.splitlines() or [b""]]
    return b"\n".join(lines) + b"\n\n"


class SSEParser:
    """Incremental SSE parser: feed raw network reads, get complete (event, data) pairs."""

    def __init__(self) -> None:
        self._buf = b""
        self._skip_lf = False
        self._event: str | None = None
        self._data: list[str] = []

    def feed(self, chunk: bytes) -> list[tuple[str | None, str]]:
        if not chunk:
            return []
        if self._skip_lf and chunk.startswith(b"\n"):
            chunk = chunk[1:]
        buf = self._buf + chunk
        # A read ending in "\r" may be half of a "\r\n" whose "\n" opens the next read.
        self._skip_lf = buf.endswith(b"\r")
        lines = buf.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
        self._buf = lines.pop()  # incomplete last line, kept whole so UTF-8 is never split
        return [ev for raw in lines if (ev := self._line(raw.decode("utf-8", "replace")))]

    def flush(self) -> list[tuple[str | None, str]]:
        """At end of stream: dispatch an event the upstream left unterminated."""
        tail, self._buf = self._buf, b""
        events = [self._line(tail.decode("utf-8", "replace"))] if tail else []
        events.append(self._line(""))
        return [ev for ev in events if ev]

    def _line(self, line: str) -> tuple[str | None, str] | None:
        if not line:
            event, data = self._event, self._data
            self._event, self._data = None, []
            return (event, "\n".join(data)) if data else None
        if line.startswith(":"):
            return None  # comment / keep-alive
        field, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if field == "event":
            self._event = value or None
        elif field == "data":
            self._data.append(value)
        return None
