"""The OpenAI Responses API (POST /v1/responses), plain and streamed, in OpenAI's event order.

Stateless, as a gateway should use it: ``previous_response_id`` is refused, because a
gateway that forwarded its own ids here would be wrong. Errors and auth are OpenAI's.
"""
import time
import uuid

from flask import Response

from .knobs import clamp_limit, count_chars, dumps, estimate_tokens, pieces, stream_body, text_of, token
from .openai_api import TOOL_ARGUMENTS, error_response
from .schemas import structured_text


def _bad(message: str, param: str | None = None) -> Response:
    resp = error_response(400, "invalid", message)
    if param:
        resp.set_data(dumps({"error": {"message": message, "type": "invalid_request_error", "param": param,
                                       "code": None}}))
    return resp


def _validate(body):
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "Missing required parameter: 'model'.", "model"
    given = body.get("input")
    if not isinstance(given, (str, list)) or not given:
        return "Missing required parameter: 'input'.", "input"
    if body.get("previous_response_id") is not None:
        return "Previous response with id '%s' not found." % body["previous_response_id"], "previous_response_id"
    limit = body.get("max_output_tokens")
    if limit is not None and (type(limit) is not int or limit < 16):
        return f"Invalid 'max_output_tokens': integer below minimum value 16, got {limit!r}.", "max_output_tokens"
    return None


def _usage(knobs, body, output: int):
    if knobs["no_usage"]:
        return None
    prompt = knobs["prompt_tokens"]
    if prompt is None:
        prompt = estimate_tokens(count_chars(body.get("instructions")) + count_chars(body["input"]))
    details = {"cached_tokens": knobs["cached_tokens"], "cache_write_tokens": 0}
    return {"input_tokens": prompt, "input_tokens_details": details,
            "output_tokens": output, "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": prompt + output}


def responses(body, knobs) -> Response:
    problem = _validate(body)
    if problem:
        return _bad(*problem)
    n, truncated = clamp_limit(knobs["completion_tokens"], body.get("max_output_tokens"), knobs["ignore_max_tokens"])
    tool = knobs["tool_call"] if body.get("tools") else None
    structured = None if tool else structured_text((body.get("text") or {}).get("format"))
    if structured is not None:
        n, truncated = estimate_tokens(len(structured)), False
    resp = _envelope(body, "resp_mock" + uuid.uuid4().hex[:24])
    usage = _usage(knobs, body, n)
    if tool:
        item = {"id": "fc_mock" + uuid.uuid4().hex[:16], "type": "function_call", "status": "completed",
                "arguments": TOOL_ARGUMENTS, "call_id": "call_mock" + uuid.uuid4().hex[:15], "name": tool}
    else:
        item = {"id": "msg_mock" + uuid.uuid4().hex[:16], "type": "message", "status": "completed",
                "role": "assistant", "content": [{"type": "output_text", "text": structured or text_of(n),
                                                   "annotations": [], "logprobs": []}]}
    done = dict(resp, status="incomplete" if truncated else "completed", output=[item], usage=usage,
                incomplete_details={"reason": "max_output_tokens"} if truncated else None)
    if body.get("stream"):
        parts = pieces(structured) if structured is not None else [token(i) for i in range(n)]
        return _stream(resp, done, item, parts, knobs)
    return Response(dumps(done), 200, content_type="application/json")


def _envelope(body, rid: str) -> dict:
    """The response object as response.created shows it: in progress, no output yet."""
    return {
        "id": rid, "object": "response", "created_at": int(time.time()), "status": "in_progress",
        "background": False, "error": None, "incomplete_details": None, "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"), "max_tool_calls": None, "model": body["model"],
        "output": [], "parallel_tool_calls": True, "previous_response_id": None,
        "reasoning": {"effort": None, "summary": None}, "service_tier": "default", "store": body.get("store", True),
        "temperature": body.get("temperature", 1.0), "text": {"format": (body.get("text") or {}).get("format")
                                                                      or {"type": "text"}},
        "tool_choice": body.get("tool_choice", "auto"), "tools": body.get("tools") or [], "top_p": 1.0,
        "truncation": "disabled", "usage": None, "user": None, "metadata": body.get("metadata") or {},
    }


class _Seq:
    def __init__(self):
        self.n = -1

    def event(self, kind: str, **fields) -> bytes:
        self.n += 1
        return b"event: " + kind.encode() + b"\ndata: " + dumps({"type": kind, "sequence_number": self.n,
                                                                 **fields}) + b"\n\n"


def _stream(resp, done, item, parts, knobs):
    seq = _Seq()
    head = seq.event("response.created", response=resp) + seq.event("response.in_progress", response=resp)
    common = {"item_id": item["id"], "output_index": 0}
    if item["type"] == "function_call":
        head += seq.event("response.output_item.added", output_index=0, item=dict(item, arguments="",
                                                                                  status="in_progress"))
        chunks = [seq.event("response.function_call_arguments.delta", delta=part, **common)
                  for part in pieces(item["arguments"])]
        tail = seq.event("response.function_call_arguments.done", arguments=item["arguments"], **common)
    else:
        part = item["content"][0]
        head += seq.event("response.output_item.added", output_index=0, item=dict(item, content=[],
                                                                                  status="in_progress"))
        head += seq.event("response.content_part.added", content_index=0, part=dict(part, text=""), **common)
        chunks = [seq.event("response.output_text.delta", content_index=0, delta=text, logprobs=[], **common)
                  for text in parts]
        tail = seq.event("response.output_text.done", content_index=0, text=part["text"], logprobs=[], **common)
        tail += seq.event("response.content_part.done", content_index=0, part=part, **common)
    tail += seq.event("response.output_item.done", output_index=0, item=item)
    tail += seq.event("response.incomplete" if done["status"] == "incomplete" else "response.completed",
                      response=done)
    return Response(stream_body(head, chunks, tail, knobs), 200,
                    content_type="text/event-stream; charset=utf-8", headers={"Cache-Control": "no-cache"})
