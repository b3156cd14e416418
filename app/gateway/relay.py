"""Relaying a streamed answer chunk by chunk, metering it, and settling when it ends.

Each upstream SSE event is parsed (usage and generated text must be counted) and sent
on at once: nothing is buffered. The stream ends in one of five ways, each settled once:
the upstream finishes (its reported usage is charged), the per-request cap is reached
(the stream is closed with finish reason "length" and charged up to there), the
upstream cuts (input plus the output produced so far, counted locally), the client
goes away (the same), or the gateway ends it (maximum duration, shutdown, hold lost: a
terminal error event, then the same). The settled balance follows as an SSE comment
line, because the headers left before the cost was known.

While it runs, a heartbeat (``stream_clock``) extends the hold every
GATEWAY_HOLD_HEARTBEAT_S and checkpoints what was delivered, which the sweep charges if
this process dies before settling.
"""
import logging
import time

import orjson

from ..billing import holds
from . import responses, stream_clock
from . import translate as tr
from .admission import Call
from .forward import structured, upstream_is_anthropic
from .settle import checkpoint, local_tokens, settle
from .stream_clock import StreamClock
from .translate import SSEParser, sse_event
from .upstream import Reply
from .usage import Tokens, from_anthropic, from_openai, from_responses

log = logging.getLogger(__name__)


class _Meter:
    def __init__(self, call: Call):
        self.call = call
        self.text_len = 0
        self.tokens: Tokens | None = None
        self.ttft_ms: int | None = None
        self.done = False

    def saw_text(self, text: str) -> None:
        if text:
            if self.ttft_ms is None:
                self.ttft_ms = int((time.monotonic() - self.call.started) * 1000)
            self.text_len += len(text)

    def over_cap(self) -> bool:
        return self.call.cap_limited and (self.text_len + 3) // 4 >= self.call.max_output


def stream(call: Call, reply: Reply, app):
    """A WSGI body generator; it pushes its own app context because Flask's is gone by then.

    The stream is settled exactly once, in ``finally``: after a normal end, a cap, an
    upstream cut, or the client going away (GeneratorExit at a yield).
    """
    meter = _Meter(call)
    clock = StreamClock(call.started, app.config)
    handler = _handler(call, upstream_is_anthropic(reply.route), meter)
    parser = SSEParser()
    with app.app_context():
        try:
            try:
                for raw in reply.chunks():
                    for event, data in parser.feed(raw):
                        out = handler(event, data)
                        if out:
                            yield out
                        if meter.done or meter.over_cap():
                            break
                    if meter.done or meter.over_cap():
                        break
                    # One clock read per chunk; Redis only when a heartbeat is due.
                    if time.monotonic() >= clock.due or stream_clock.drain_began is not None:
                        if _tick(call, reply, meter, clock):
                            break
            except GeneratorExit:
                raise
            except Exception:  # noqa: BLE001 - a read error or an unreadable event is a cut upstream
                log.warning("stream %s cut upstream", call.request_id, exc_info=True)
            reply.close()
            if meter.done:
                _settle(call, reply, meter)
            elif meter.over_cap():
                yield _cap_close(call)
                _settle(call, reply, meter)
            elif clock.ended:
                yield _ended_notice(call, clock.ended, app.config)
                _settle(call, reply, meter)
            else:
                yield _cut_notice(call)
                _settle(call, reply, meter)
            yield _tail(call)
        finally:
            reply.close()
            if call.held:
                # The client went away: charge input plus the output produced so far.
                _settle(call, reply, meter)


def _settle(call: Call, reply: Reply, meter: _Meter) -> None:
    tokens = meter.tokens if (meter.done and meter.tokens) else local_tokens(call, meter.text_len, meter.tokens)
    try:
        settle(call, tokens, reply.route.provider.id, _ms(call), meter.ttft_ms)
    except Exception:  # noqa: BLE001 - if Redis was the cause, settle() kept the usage for the reconciler
        call.held = False
        log.exception("stream %s not settled", call.request_id)


def _tick(call: Call, reply: Reply, meter: _Meter, clock: StreamClock) -> bool:
    """The clock's duties once it is due: end the stream, or beat. True: end the stream now."""
    now = time.monotonic()
    if clock.must_end(now):
        return True
    if clock.beat_due(now):
        try:
            if not holds.heartbeat(call.request_id, _checkpoint(call, reply, meter)):
                # Settled or swept meanwhile: nothing sent from now on could be charged.
                clock.hold_lost()
                return True
        except holds.MeterUnavailable:
            # The hold outlives a short outage (the sweep cannot run without Redis either).
            log.warning("stream %s: hold not extended, Redis unreachable; trying at the next beat", call.request_id)
    return False


def _checkpoint(call: Call, reply: Reply, meter: _Meter):
    if not meter.text_len:
        return None  # nothing delivered yet: should this process die now, nothing is owed
    tokens = local_tokens(call, meter.text_len, meter.tokens)
    return checkpoint(call, tokens, reply.route.provider.id, _ms(call), meter.ttft_ms)


def _ms(call: Call) -> int:
    return int((time.monotonic() - call.started) * 1000)


def _handler(call: Call, anthropic_up: bool, meter: _Meter):
    if call.op == "responses":
        return _anthropic_to_responses(call, meter) if anthropic_up else _responses_passthrough(call, meter)
    if call.api == "openai" and not anthropic_up:
        return _openai_passthrough(call, meter)
    if call.api == "anthropic" and anthropic_up:
        return _anthropic_passthrough(call, meter)
    if call.api == "openai":
        return _anthropic_to_openai(call, meter)
    return _openai_to_anthropic(call, meter)


def _openai_passthrough(call: Call, meter: _Meter):
    def handle(event, data):
        if data == "[DONE]":
            meter.done = True
            return None
        chunk = orjson.loads(data)
        if chunk.get("usage"):
            meter.tokens = from_openai(chunk["usage"])
        choices = chunk.get("choices")
        if not choices:
            return sse_event(_renamed(chunk, call)) if call.include_usage else None
        if not call.include_usage:
            chunk.pop("usage", None)
        delta = choices[0].get("delta") or {}
        meter.saw_text(delta.get("content") or "")
        for tc in delta.get("tool_calls") or ():
            meter.saw_text((tc.get("function") or {}).get("arguments") or "")
        return sse_event(_renamed(chunk, call))
    return handle


def _anthropic_passthrough(call: Call, meter: _Meter):
    def handle(event, data):
        payload = orjson.loads(data)
        kind = event or payload.get("type")
        if kind == "message_start":
            msg = payload.get("message") or {}
            meter.tokens = from_anthropic(msg.get("usage"))
            msg["model"] = call.model_name
        elif kind == "content_block_delta":
            delta = payload.get("delta") or {}
            meter.saw_text(delta.get("text") or delta.get("partial_json") or "")
        elif kind == "message_delta":
            usage = payload.get("usage") or {}
            base = meter.tokens or Tokens()
            meter.tokens = Tokens(prompt=base.prompt, cached=base.cached, cache_write=base.cache_write,
                                  completion=int(usage.get("output_tokens") or base.completion))
        elif kind == "message_stop":
            meter.done = True
        return sse_event(payload, kind)
    return handle


def _anthropic_to_openai(call: Call, meter: _Meter):
    translator = tr.AnthropicToOpenAIStream(call.model_name, call.include_usage, structured(call))

    def handle(event, data):
        kind, chunks = _anthropic_as_chat(translator, meter, event, data)
        return b"".join(sse_event(c) for c in chunks)
    return handle


def _anthropic_as_chat(translator, meter: _Meter, event, data) -> tuple[str, list]:
    """One Anthropic event as chat chunks, metered; the stream is done at message_stop."""
    payload = orjson.loads(data)
    kind = event or payload.get("type")
    if kind == "content_block_delta":
        delta = payload.get("delta") or {}
        meter.saw_text(delta.get("text") or delta.get("partial_json") or "")
    chunks = translator.feed(kind, payload)
    u = translator.usage
    meter.tokens = Tokens(prompt=u.prompt_tokens, completion=u.completion_tokens, cached=u.cached_tokens,
                          cache_write=u.cache_creation_tokens)
    if kind == "message_stop":
        meter.done = True
    return kind, chunks


def _anthropic_to_responses(call: Call, meter: _Meter):
    chat = tr.AnthropicToOpenAIStream(call.model_name, True, structured(call))
    out = tr.ChatToResponsesStream(call.turn.shell)

    def handle(event, data):
        kind, chunks = _anthropic_as_chat(chat, meter, event, data)
        events = []
        for chunk in chunks:
            if chunk.get("error"):
                err = chunk["error"]
                events.append(out.event("error", code=err.get("code"), message=err.get("message"), param=None))
            else:
                events += out.feed(chunk)
        if meter.done:
            events += out.finish()
            responses.keep(call, out.response)
        call.turn.seq = out.seq
        return b"".join(sse_event(d, name) for name, d in events)
    return handle


def _responses_passthrough(call: Call, meter: _Meter):
    turn = call.turn

    def handle(event, data):
        payload = orjson.loads(data)
        kind = payload.get("type") or event
        turn.seq = payload.get("sequence_number", turn.seq)
        if kind in ("response.output_text.delta", "response.function_call_arguments.delta"):
            meter.saw_text(payload.get("delta") or "")
            return sse_event(data, kind)  # nothing of ours in it: the provider's bytes go on as they are
        if isinstance(payload.get("response"), dict):
            payload["response"] = responses.relabel(call, payload["response"])
        if kind in ("response.completed", "response.incomplete", "response.failed"):
            meter.tokens = from_responses(payload["response"].get("usage"))
            meter.done = True
            responses.keep(call, payload["response"])
        return sse_event(payload, kind)
    return handle


def _openai_to_anthropic(call: Call, meter: _Meter):
    translator = tr.OpenAIToAnthropicStream(call.model_name)

    def handle(event, data):
        if data == "[DONE]":
            meter.done = True
            out = translator.finish()
        else:
            chunk = orjson.loads(data)
            for choice in chunk.get("choices") or ():
                delta = choice.get("delta") or {}
                meter.saw_text(delta.get("content") or "")
                for tc in delta.get("tool_calls") or ():
                    meter.saw_text((tc.get("function") or {}).get("arguments") or "")
            out = translator.feed(chunk)
        u = translator.usage
        meter.tokens = Tokens(prompt=u.prompt_tokens, completion=u.completion_tokens, cached=u.cached_tokens)
        return b"".join(sse_event(d, name) for name, d in out)
    return handle


def _renamed(chunk: dict, call: Call) -> dict:
    if "model" in chunk:
        chunk["model"] = call.model_name
    return chunk


def _cap_close(call: Call) -> bytes:
    """End a stream cleanly at the per-request cap, as the caller's API ends a max-tokens stop."""
    if call.op == "responses":
        shell = dict(call.turn.shell, status="incomplete", incomplete_details={"reason": "max_output_tokens"})
        return sse_event({"type": "response.incomplete", "sequence_number": call.turn.next_seq(),
                          "response": shell}, "response.incomplete")
    if call.api == "anthropic":
        return (sse_event({"type": "content_block_stop", "index": 0}, "content_block_stop")
                + sse_event({"type": "message_delta", "delta": {"stop_reason": "max_tokens", "stop_sequence": None},
                             "usage": {"output_tokens": call.max_output}}, "message_delta")
                + sse_event({"type": "message_stop"}, "message_stop"))
    return sse_event({"id": call.request_id, "object": "chat.completion.chunk", "created": int(time.time()),
                      "model": call.model_name, "choices": [{"index": 0, "delta": {}, "finish_reason": "length"}]})


def _cut_notice(call: Call) -> bytes:
    return _error_event(call, "api_error", "upstream_error", "stream_cut",
                        "the upstream provider ended the stream early; output so far was charged")


def _ended_notice(call: Call, why: str, config) -> bytes:
    if why == stream_clock.MAX_DURATION:
        return _error_event(call, "timeout_error", "timeout", "stream_max_duration",
                            f"the stream reached the gateway's maximum duration of {config['GATEWAY_STREAM_MAX_S']} s; "
                            f"output so far was charged")
    if why == stream_clock.DRAINING:
        return _error_event(call, "overloaded_error", "server_error", "gateway_restarting",
                            "the gateway is restarting and ended the stream; output so far was charged; retry")
    return _error_event(call, "api_error", "server_error", "hold_expired",
                        "the stream's credit hold expired and the stream was ended")


def _error_event(call: Call, anthropic_type: str, openai_type: str, code: str, message: str) -> bytes:
    if call.op == "responses":
        return sse_event({"type": "error", "code": code, "message": message, "param": None,
                          "sequence_number": call.turn.next_seq()}, "error")
    if call.api == "anthropic":
        return sse_event({"type": "error", "error": {"type": anthropic_type, "message": message}}, "error")
    return sse_event({"error": {"type": openai_type, "message": message, "code": code}})


def _tail(call: Call) -> bytes:
    key = "unlimited" if call.key_remaining is None else call.key_remaining
    comment = f": tollgate-remaining-credits key={key} org={call.wallet_available}\n\n".encode()
    # Chat Completions streams end with [DONE]; Responses streams end at their last event.
    return comment + (b"data: [DONE]\n\n" if call.api == "openai" and call.op != "responses" else b"")
