"""OpenAI Chat Completions shapes -> Anthropic Messages shapes: requests, responses, errors.

Pure functions over plain dicts. Input that has no faithful Anthropic equivalent raises
TranslationError so the gateway can answer 400 instead of silently dropping content.
"""
from __future__ import annotations

import uuid
from typing import Any

import orjson

from .errors import TranslationError
from .structured import apply_structured, wants_structured

JSON = dict[str, Any]

# OpenAI has no "which stop sequence" detail and no refusal reason, so "stop" and
# "content_filter" both become end_turn rather than claiming more than we know.
FINISH_TO_STOP_REASON: dict[str, str] = {
    "stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use",
    "function_call": "tool_use", "content_filter": "end_turn",
}

_TOOL_CHOICE: dict[str, JSON] = {"auto": {"type": "auto"}, "required": {"type": "any"}, "none": {"type": "none"}}


def dumps(obj: Any) -> str:
    return orjson.dumps(obj).decode()


def parse_arguments(raw: Any) -> JSON:
    """Tool-call arguments are model output: never fail on them, keep unparseable text visible."""
    if isinstance(raw, dict):
        return raw
    if not raw:
        return {}
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        value = None
    # Anthropic requires tool_use.input to be an object.
    return value if isinstance(value, dict) else {"_raw_arguments": raw}


def text_of(content: Any, sep: str = "\n") -> str:
    """Flatten an OpenAI content value (string or parts array) to its text."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    texts = [p.get("text") or p.get("refusal") or "" for p in content if isinstance(p, dict)]
    return sep.join(t for t in texts if t)


def finish_to_stop_reason(finish_reason: str | None, has_tool_calls: bool) -> str:
    # Several OpenAI-compatible servers report "stop" after emitting tool calls; an
    # Anthropic client only runs tools when it sees tool_use, so trust the content.
    if has_tool_calls and finish_reason in (None, "stop"):
        return "tool_use"
    return FINISH_TO_STOP_REASON.get(finish_reason or "stop", "end_turn")


# ---------------------------------------------------------------- requests


def openai_request_to_anthropic(body: JSON, upstream_model: str, default_max_tokens: int,
                                native_structured: bool = False) -> JSON:
    """``native_structured``: the provider takes Anthropic's structured-output parameter
    (``output_config.format``); else a JSON schema is asked for as a forced tool call."""
    if (body.get("n") or 1) != 1:
        raise TranslationError("n > 1 is not supported for this model")
    system, messages = _convert_messages(body.get("messages") or [])
    out: JSON = {
        "model": upstream_model,
        "messages": messages,
        # Anthropic requires max_tokens; OpenAI treats it as optional.
        "max_tokens": body.get("max_completion_tokens") or body.get("max_tokens") or default_max_tokens,
    }
    if system:
        out["system"] = system
    if body.get("temperature") is not None:
        # OpenAI accepts 0..2, Anthropic rejects anything above 1.
        out["temperature"] = min(max(float(body["temperature"]), 0.0), 1.0)
    if body.get("top_p") is not None:
        out["top_p"] = body["top_p"]
    stops = _stop_sequences(body.get("stop"))
    if stops:
        out["stop_sequences"] = stops
    tools = _convert_tools(body)
    if tools:
        out["tools"] = tools
        choice = _convert_tool_choice(_tool_choice_of(body), body.get("parallel_tool_calls"))
        if choice:
            out["tool_choice"] = choice
    if wants_structured(body):
        apply_structured(out, body["response_format"], native_structured)
    elif (body.get("response_format") or {}).get("type") not in (None, "text"):
        raise TranslationError(f"response_format type {body['response_format'].get('type')!r} is not supported",
                               "response_format.type")
    if body.get("stream"):
        out["stream"] = True
    user = body.get("user") or body.get("safety_identifier")
    if user:
        out["metadata"] = {"user_id": str(user)}
    return out


def _convert_messages(messages: list[JSON]) -> tuple[str, list[JSON]]:
    system_parts: list[str] = []
    out: list[JSON] = []
    for msg in messages:
        role = msg.get("role")
        if role in ("system", "developer"):
            # Anthropic has a single top-level system prompt, wherever OpenAI put them.
            text = text_of(msg.get("content"))
            if text:
                system_parts.append(text)
            continue
        if role == "user":
            blocks = _user_blocks(msg.get("content"))
        elif role == "assistant":
            blocks = _assistant_blocks(msg)
        elif role == "tool":
            role, blocks = "user", [_tool_result_block(msg)]
        else:
            raise TranslationError(f"unsupported message role: {role!r}")
        if not blocks:
            continue  # Anthropic rejects empty content
        # Anthropic requires alternating roles; consecutive tool results share one user turn.
        if out and out[-1]["role"] == role:
            out[-1]["content"].extend(blocks)
        else:
            out.append({"role": role, "content": blocks})
    for msg in out:
        msg["content"] = _finalize_content(msg["content"])
    return "\n\n".join(system_parts), out


def _finalize_content(blocks: list[JSON]) -> str | list[JSON]:
    # Anthropic wants tool_result blocks before any other content of the user turn.
    blocks = sorted(blocks, key=lambda b: b["type"] != "tool_result")
    if len(blocks) == 1 and blocks[0].keys() == {"type", "text"}:
        return blocks[0]["text"]
    return blocks


def _user_blocks(content: Any) -> list[JSON]:
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    blocks: list[JSON] = []
    for part in content:
        kind = part.get("type")
        if kind == "text":
            if part.get("text"):
                blocks.append({"type": "text", "text": part["text"]})
        elif kind == "image_url":
            image = part.get("image_url")
            blocks.append(_image_block(image.get("url", "") if isinstance(image, dict) else str(image)))
        elif kind == "file":
            blocks.append(_document_block(part.get("file") or {}))
        else:
            raise TranslationError(f"content part type {kind!r} is not supported for this model")
    return blocks


def _image_block(url: str) -> JSON:
    if url.startswith("data:"):
        header, _, data = url.partition(",")
        if ";base64" not in header:
            raise TranslationError("image data URLs must be base64 encoded")
        media_type = header[len("data:"):].split(";")[0]
        return {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}}
    if not url:
        raise TranslationError("image_url.url is required")
    return {"type": "image", "source": {"type": "url", "url": url}}


def _document_block(file: JSON) -> JSON:
    data_url = file.get("file_data") or ""
    header, _, data = data_url.partition(",")
    # OpenAI file_id references live in OpenAI's storage, which Anthropic cannot read.
    if not header.startswith("data:application/pdf;base64"):
        raise TranslationError("only inline base64 PDF files are supported for this model")
    block: JSON = {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": data}}
    if file.get("filename"):
        block["title"] = file["filename"]
    return block


def _assistant_blocks(msg: JSON) -> list[JSON]:
    if msg.get("function_call"):
        raise TranslationError("legacy function_call messages are not supported; use tool_calls")
    text = text_of(msg.get("content"), sep="")
    blocks: list[JSON] = [{"type": "text", "text": text}] if text else []
    for call in msg.get("tool_calls") or []:
        fn = call.get("function") or {}
        if not fn.get("name"):
            raise TranslationError("assistant tool_calls need a function name")
        # Some OpenAI-compatible servers omit ids; Anthropic requires one on every tool_use.
        call_id = call.get("id") or new_tool_use_id()
        arguments = parse_arguments(fn.get("arguments"))
        blocks.append({"type": "tool_use", "id": call_id, "name": fn["name"], "input": arguments})
    return blocks


def _tool_result_block(msg: JSON) -> JSON:
    if not msg.get("tool_call_id"):
        raise TranslationError("tool messages need a tool_call_id")
    block: JSON = {"type": "tool_result", "tool_use_id": msg["tool_call_id"]}
    text = text_of(msg.get("content"))
    if text:  # empty text blocks are rejected; an absent content is fine
        block["content"] = text
    return block


def _stop_sequences(stop: Any) -> list[str]:
    if not stop:
        return []
    stops = [stop] if isinstance(stop, str) else list(stop)
    return [s for s in stops if s]


def _convert_tools(body: JSON) -> list[JSON]:
    tools: list[JSON] = []
    for tool in body.get("tools") or []:
        if tool.get("type", "function") != "function":
            raise TranslationError(f"tool type {tool.get('type')!r} is not supported for this model")
        tools.append(_tool_from_function(tool.get("function") or {}))
    # The deprecated `functions` parameter is the same thing without the wrapper.
    tools.extend(_tool_from_function(fn) for fn in body.get("functions") or [])
    return tools


def _tool_from_function(fn: JSON) -> JSON:
    if not fn.get("name"):
        raise TranslationError("function tools need a name")
    tool: JSON = {"name": fn["name"], "input_schema": fn.get("parameters") or {"type": "object", "properties": {}}}
    if fn.get("description"):
        tool["description"] = fn["description"]
    return tool


def _tool_choice_of(body: JSON) -> Any:
    if body.get("tool_choice") is not None:
        return body["tool_choice"]
    legacy = body.get("function_call")
    return {"function": legacy} if isinstance(legacy, dict) else legacy


def _convert_tool_choice(choice: Any, parallel: bool | None) -> JSON | None:
    result: JSON | None
    if choice is None:
        result = {"type": "auto"} if parallel is False else None
    elif isinstance(choice, str):
        if choice not in _TOOL_CHOICE:
            raise TranslationError(f"unsupported tool_choice {choice!r}")
        result = dict(_TOOL_CHOICE[choice])
    else:
        function = choice.get("function") if isinstance(choice, dict) else None
        name = function.get("name") if isinstance(function, dict) else None
        if not name:
            raise TranslationError("tool_choice needs function.name")
        result = {"type": "tool", "name": name}
    if parallel is False and result and result["type"] != "none":
        result["disable_parallel_tool_use"] = True
    return result


# ---------------------------------------------------------------- responses


def openai_usage_to_anthropic(usage: JSON | None) -> JSON:
    usage = usage or {}
    prompt = usage.get("prompt_tokens") or 0
    cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0
    # Anthropic's input_tokens excludes cache reads; OpenAI's prompt_tokens includes them.
    return {
        "input_tokens": max(prompt - cached, 0),
        "output_tokens": usage.get("completion_tokens") or 0,
        "cache_read_input_tokens": cached,
        "cache_creation_input_tokens": 0,
    }


def openai_response_to_anthropic(resp: JSON, model: str) -> JSON:
    choice = (resp.get("choices") or [{}])[0]
    message = choice.get("message") or {}
    content: list[JSON] = []
    text = text_of(message.get("content"), sep="") or message.get("refusal") or ""
    if text:
        content.append({"type": "text", "text": text})
    content.extend(_assistant_blocks({"tool_calls": message.get("tool_calls")}))
    has_tools = any(b["type"] == "tool_use" for b in content)
    return {
        "id": resp.get("id") or new_message_id(), "type": "message", "role": "assistant", "model": model,
        "content": content, "stop_reason": finish_to_stop_reason(choice.get("finish_reason"), has_tools),
        "stop_sequence": None, "usage": openai_usage_to_anthropic(resp.get("usage")),
    }


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def new_tool_use_id() -> str:
    return f"toolu_{uuid.uuid4().hex[:24]}"


# ---------------------------------------------------------------- errors

_STATUS_TO_ANTHROPIC_ERROR: dict[int, str] = {
    400: "invalid_request_error", 401: "authentication_error", 402: "billing_error",
    403: "permission_error", 404: "not_found_error", 408: "timeout_error",
    413: "invalid_request_error", 422: "invalid_request_error", 429: "rate_limit_error",
    503: "overloaded_error", 504: "timeout_error", 529: "overloaded_error",
}


def load_error_body(body: Any) -> Any:
    """Upstream error bodies may arrive as raw bytes, and may not even be JSON."""
    if isinstance(body, (bytes, bytearray, str)):
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            return body.decode("utf-8", "replace") if isinstance(body, (bytes, bytearray)) else body
    return body


def error_message(body: Any, default: str) -> str:
    body = load_error_body(body)
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict):
            return str(err.get("message") or default)
        return str(err or default)
    text = str(body or "").strip()
    return text[:1000] or default


def openai_error_to_anthropic(status: int, body: Any) -> JSON:
    """Anthropic-shaped error body; the HTTP status itself is kept by the caller."""
    kind = _STATUS_TO_ANTHROPIC_ERROR.get(status) or ("api_error" if status >= 500 else "invalid_request_error")
    return {"type": "error", "error": {"type": kind, "message": error_message(body, f"upstream error {status}")}}
