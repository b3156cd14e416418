"""Anthropic Messages shapes -> OpenAI Chat Completions shapes: requests, responses, errors.

Pure functions over plain dicts; see openai_to_anthropic for the reverse direction.
"""
from __future__ import annotations

import time
import uuid
from typing import Any

from .openai_to_anthropic import JSON, TranslationError, dumps, error_message, load_error_body
from .structured import structured_content

# pause_turn only happens with Anthropic server tools, which never run behind OpenAI
# clients; treat it as a normal stop rather than inventing a finish_reason.
STOP_REASON_TO_FINISH: dict[str, str] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}

_TOOL_CHOICE: dict[str, str] = {"auto": "auto", "any": "required", "none": "none"}

# Reasoning traces have no slot in Chat Completions messages; they are dropped on purpose.
_DROPPED_BLOCKS = frozenset({"thinking", "redacted_thinking"})


def _field(obj: JSON, key: str, where: str) -> Any:
    # Malformed input must surface as TranslationError (a 400), never as a KeyError (a 500).
    if not obj.get(key):
        raise TranslationError(f"{where} needs {key!r}")
    return obj[key]


def stop_reason_to_finish(stop_reason: str | None) -> str:
    return STOP_REASON_TO_FINISH.get(stop_reason or "end_turn", "stop")


# ---------------------------------------------------------------- requests


def anthropic_request_to_openai(body: JSON, upstream_model: str) -> JSON:
    messages: list[JSON] = []
    system = system_text(body.get("system"))
    if system:
        messages.append({"role": "system", "content": system})
    for msg in body.get("messages") or []:
        messages.extend(_convert_message(msg))
    out: JSON = {"model": upstream_model, "messages": messages}
    if body.get("max_tokens") is not None:
        out["max_tokens"] = body["max_tokens"]
    for key in ("temperature", "top_p"):
        if body.get(key) is not None:
            out[key] = body[key]
    if body.get("stop_sequences"):
        out["stop"] = list(body["stop_sequences"])
    tools = [_convert_tool(t) for t in body.get("tools") or []]
    if tools:
        out["tools"] = tools
        _apply_tool_choice(out, body.get("tool_choice"))
    user = (body.get("metadata") or {}).get("user_id")
    if user:
        out["user"] = str(user)
    if body.get("stream"):
        out["stream"] = True
        # Without this OpenAI never reports usage on streams, and the gateway bills from it.
        out["stream_options"] = {"include_usage": True}
    return out


def system_text(system: Any) -> str:
    if not system:
        return ""
    if isinstance(system, str):
        return system
    return "\n".join(b.get("text", "") for b in system if b.get("type") == "text" and b.get("text"))


def _convert_message(msg: JSON) -> list[JSON]:
    role, content = msg.get("role"), msg.get("content")
    if role == "assistant":
        return [_assistant_message(content)]
    if role != "user":
        raise TranslationError(f"unsupported message role: {role!r}")
    if isinstance(content, str):
        return [{"role": "user", "content": content}]
    # OpenAI wants each tool result as its own message, right after the assistant turn,
    # so tool results go first and whatever else the user sent follows in one message.
    tool_messages: list[JSON] = []
    parts: list[JSON] = []
    for block in content or []:
        if block.get("type") == "tool_result":
            tool_msg, extra_parts = _tool_result(block)
            tool_messages.append(tool_msg)
            parts.extend(extra_parts)
        else:
            parts.extend(_user_part(block))
    if parts:
        tool_messages.append({"role": "user", "content": _compact_parts(parts)})
    return tool_messages


def _compact_parts(parts: list[JSON]) -> str | list[JSON]:
    if len(parts) == 1 and parts[0]["type"] == "text":
        return parts[0]["text"]
    return parts


def _user_part(block: JSON) -> list[JSON]:
    kind = block.get("type")
    if kind == "text":
        return [{"type": "text", "text": block["text"]}] if block.get("text") else []
    if kind == "image":
        return [{"type": "image_url", "image_url": {"url": _source_url(block.get("source") or {})}}]
    if kind == "document":
        return [_document_part(block)]
    if kind in _DROPPED_BLOCKS:
        return []
    raise TranslationError(f"content block type {kind!r} is not supported for this model")


def _source_url(source: JSON) -> str:
    if source.get("type") == "base64":
        return f"data:{source.get('media_type')};base64,{source.get('data')}"
    if source.get("type") == "url":
        return _field(source, "url", "image url source")
    raise TranslationError(f"image source type {source.get('type')!r} is not supported for this model")


def _document_part(block: JSON) -> JSON:
    source = block.get("source") or {}
    if source.get("type") == "text":
        return {"type": "text", "text": source.get("data", "")}
    if source.get("type") == "base64" and source.get("media_type") == "application/pdf":
        filename = block.get("title") or "document.pdf"
        return {"type": "file", "file": {"filename": filename, "file_data": _source_url(source)}}
    raise TranslationError("only base64 PDF and plain-text documents are supported for this model")


def _tool_result(block: JSON) -> tuple[JSON, list[JSON]]:
    """A `role: tool` message plus any images, which OpenAI tool messages cannot carry."""
    content = block.get("content")
    texts: list[str] = []
    images: list[JSON] = []
    if isinstance(content, str):
        texts.append(content)
    for item in content if isinstance(content, list) else []:
        if item.get("type") == "text":
            texts.append(item.get("text", ""))
        else:
            images.extend(_user_part(item))
    message = {"role": "tool", "tool_call_id": block.get("tool_use_id"), "content": "\n".join(texts)}
    return message, images


def _assistant_message(content: Any) -> JSON:
    if isinstance(content, str):
        return {"role": "assistant", "content": content}
    texts: list[str] = []
    tool_calls: list[JSON] = []
    for block in content or []:
        kind = block.get("type")
        if kind == "text":
            texts.append(block.get("text", ""))
        elif kind == "tool_use":
            call_id, name = _field(block, "id", "tool_use"), _field(block, "name", "tool_use")
            tool_calls.append(tool_call(call_id, name, block.get("input") or {}))
        elif kind not in _DROPPED_BLOCKS:
            raise TranslationError(f"assistant content block {kind!r} is not supported for this model")
    message: JSON = {"role": "assistant", "content": "".join(texts) or None}
    if tool_calls:
        message["tool_calls"] = tool_calls
    elif message["content"] is None:
        message["content"] = ""
    return message


def tool_call(call_id: str, name: str, arguments: JSON) -> JSON:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": dumps(arguments)}}


def _convert_tool(tool: JSON) -> JSON:
    # Typed tools (bash_2025..., web_search_...) are Anthropic-hosted and cannot run elsewhere.
    if tool.get("type") not in (None, "custom"):
        raise TranslationError(f"tool type {tool.get('type')!r} is not supported for this model")
    schema = tool.get("input_schema") or {"type": "object", "properties": {}}
    fn: JSON = {"name": _field(tool, "name", "tools"), "parameters": schema}
    if tool.get("description"):
        fn["description"] = tool["description"]
    return {"type": "function", "function": fn}


def _apply_tool_choice(out: JSON, choice: JSON | None) -> None:
    if not choice:
        return
    if not isinstance(choice, dict):
        raise TranslationError("tool_choice must be an object")
    kind = choice.get("type")
    if kind == "tool":
        out["tool_choice"] = {"type": "function", "function": {"name": _field(choice, "name", "tool_choice")}}
    elif kind in _TOOL_CHOICE:
        out["tool_choice"] = _TOOL_CHOICE[kind]
    else:
        raise TranslationError(f"unsupported tool_choice type {kind!r}")
    if choice.get("disable_parallel_tool_use"):
        out["parallel_tool_calls"] = False


# ---------------------------------------------------------------- responses


def anthropic_usage_to_openai(usage: JSON | None) -> JSON:
    usage = usage or {}
    cached = usage.get("cache_read_input_tokens") or 0
    # Anthropic's input_tokens excludes cache reads and cache writes; OpenAI's
    # prompt_tokens counts every prompt token, so both are added back.
    prompt = (usage.get("input_tokens") or 0) + cached + (usage.get("cache_creation_input_tokens") or 0)
    completion = usage.get("output_tokens") or 0
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": cached},
    }


def anthropic_response_to_openai(resp: JSON, model: str, structured: bool = False) -> JSON:
    """``structured``: the request asked for JSON, so the structured-output tool's input is the content."""
    content = resp.get("content") or []
    stop_reason = resp.get("stop_reason")
    if structured:
        content, stop_reason = structured_content(content, stop_reason)
    message = _assistant_message(content)
    message["refusal"] = None
    return {
        "id": resp.get("id") or new_completion_id(),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": stop_reason_to_finish(stop_reason),
                "logprobs": None,
            }
        ],
        "usage": anthropic_usage_to_openai(resp.get("usage")),
    }


def new_completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"


# ---------------------------------------------------------------- errors

_ANTHROPIC_TO_OPENAI_ERROR: dict[str, str] = {
    "invalid_request_error": "invalid_request_error",
    "request_too_large": "invalid_request_error",
    "authentication_error": "authentication_error",
    "permission_error": "permission_error",
    "billing_error": "insufficient_quota",
    "not_found_error": "not_found_error",
    "rate_limit_error": "rate_limit_error",
    "timeout_error": "timeout",
    "api_error": "server_error",
    "overloaded_error": "server_error",
}


def anthropic_error_to_openai(status: int, body: Any) -> JSON:
    """OpenAI-shaped error body; the HTTP status itself is kept by the caller."""
    body = load_error_body(body)
    kind = ""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        kind = str(body["error"].get("type") or "")
    mapped = _ANTHROPIC_TO_OPENAI_ERROR.get(kind) or ("server_error" if status >= 500 else "invalid_request_error")
    return {
        "error": {
            "message": error_message(body, f"upstream error {status}"),
            "type": mapped,
            "param": None,
            # Keep the original kind: "overloaded" is worth telling apart from a crash.
            "code": kind or None,
        }
    }
