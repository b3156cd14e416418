"""OpenAI Responses API shapes <-> Chat Completions shapes: requests, responses, stream events.

A Responses request for a model that a Chat-Completions-shaped path serves (an Anthropic
provider, through openai_to_anthropic) is turned into a chat body here, and the chat answer
back into a response object; the stream translator turns chat chunks into the Responses
event sequence. Pure functions over plain dicts, like the rest of this package.
"""
from __future__ import annotations

import time
import uuid
from typing import Any

from .openai_to_anthropic import JSON, TranslationError

# Echoed on the response object as the caller sent them (or the API's defaults).
_ECHOED = {"instructions": None, "max_output_tokens": None, "metadata": {}, "parallel_tool_calls": True,
           "temperature": 1.0, "tool_choice": "auto", "tools": [], "top_p": 1.0, "truncation": "disabled",
           "user": None}


def new_response_id() -> str:
    return f"resp_{uuid.uuid4().hex}"


def input_items(body: JSON) -> list[JSON]:
    """``input`` as a list of items: a string is one user message."""
    given = body.get("input")
    if isinstance(given, str):
        return [{"type": "message", "role": "user", "content": given}]
    return list(given or [])


# ---------------------------------------------------------------- requests


def responses_request_to_chat(body: JSON, items: list[JSON]) -> JSON:
    """The Chat Completions body asking what ``body`` asks, over the conversation ``items``."""
    messages: list[JSON] = []
    if body.get("instructions"):
        messages.append({"role": "system", "content": body["instructions"]})
    for i, item in enumerate(items):
        _add_item(messages, item, i)
    out: JSON = {"model": body.get("model"), "messages": messages}
    if body.get("max_output_tokens") is not None:
        out["max_tokens"] = body["max_output_tokens"]
    for key in ("temperature", "top_p", "parallel_tool_calls", "stream"):
        if body.get(key) is not None:
            out[key] = body[key]
    tools = [_chat_tool(t, i) for i, t in enumerate(body.get("tools") or [])]
    if tools:
        out["tools"] = tools
        if body.get("tool_choice") is not None:
            out["tool_choice"] = _chat_tool_choice(body["tool_choice"])
    fmt = (body.get("text") or {}).get("format")
    if fmt and fmt.get("type") != "text":
        out["response_format"] = _chat_response_format(fmt)
    user = body.get("user") or body.get("safety_identifier")
    if user:
        out["user"] = user
    return out


def _add_item(messages: list[JSON], item: JSON, i: int) -> None:
    kind = item.get("type") or ("message" if "role" in item else None)
    if kind == "message":
        role = item.get("role")
        if role not in ("user", "assistant", "system", "developer"):
            raise TranslationError(f"input[{i}].role {role!r} is not supported", f"input[{i}].role")
        messages.append({"role": role, "content": _chat_content(item.get("content"), i)})
    elif kind == "function_call":
        call = {"id": item.get("call_id") or item.get("id"), "type": "function",
                "function": {"name": item.get("name"), "arguments": item.get("arguments") or "{}"}}
        last = messages[-1] if messages else None
        # Parallel calls are one assistant turn in Chat Completions.
        if last and last["role"] == "assistant" and last.get("tool_calls") is not None:
            last["tool_calls"].append(call)
        else:
            messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
    elif kind == "function_call_output":
        output = item.get("output")
        text = output if isinstance(output, str) else _text_of_parts(output)
        messages.append({"role": "tool", "tool_call_id": item.get("call_id"), "content": text})
    elif kind == "reasoning":
        return  # a reasoning model's trace, replayed from an earlier answer: nothing to send
    else:
        raise TranslationError(f"input[{i}].type {kind!r} is not supported for this model", f"input[{i}].type")


def _text_of_parts(parts: Any) -> str:
    return "".join(p.get("text") or "" for p in parts or [] if isinstance(p, dict))


def _chat_content(content: Any, i: int) -> str | list[JSON]:
    if isinstance(content, str) or content is None:
        return content or ""
    parts: list[JSON] = []
    for part in content:
        kind = part.get("type")
        if kind in ("input_text", "output_text", "text"):
            parts.append({"type": "text", "text": part.get("text") or ""})
        elif kind == "refusal":
            parts.append({"type": "text", "text": part.get("refusal") or ""})
        elif kind == "input_image":
            if not part.get("image_url"):
                raise TranslationError(f"input[{i}]: input_image needs image_url (file_id is not supported)",
                                       f"input[{i}].content")
            parts.append({"type": "image_url", "image_url": {"url": part["image_url"]}})
        elif kind == "input_file":
            parts.append({"type": "file", "file": {"filename": part.get("filename"),
                                                   "file_data": part.get("file_data")}})
        else:
            raise TranslationError(f"input[{i}].content part type {kind!r} is not supported for this model",
                                   f"input[{i}].content")
    if all(p["type"] == "text" for p in parts):
        return "".join(p["text"] for p in parts)
    return parts


def _chat_tool(tool: JSON, i: int) -> JSON:
    if tool.get("type") != "function":
        raise TranslationError(f"tools[{i}].type {tool.get('type')!r} is not supported", f"tools[{i}].type")
    fn: JSON = {"name": tool.get("name"), "parameters": tool.get("parameters") or {"type": "object",
                                                                                   "properties": {}}}
    for key in ("description", "strict"):
        if tool.get(key) is not None:
            fn[key] = tool[key]
    return {"type": "function", "function": fn}


def _chat_tool_choice(choice: Any) -> Any:
    if isinstance(choice, str):
        return choice
    if not isinstance(choice, dict):
        raise TranslationError("tool_choice must be a string or an object", "tool_choice")
    if choice.get("type") == "function" and choice.get("name"):
        return {"type": "function", "function": {"name": choice["name"]}}
    raise TranslationError(f"tool_choice of type {choice.get('type')!r} is not supported", "tool_choice")


def _chat_response_format(fmt: JSON) -> JSON:
    if fmt.get("type") == "json_object":
        return {"type": "json_object"}
    if fmt.get("type") != "json_schema":
        raise TranslationError(f"text.format.type {fmt.get('type')!r} is not supported", "text.format.type")
    schema = {k: fmt[k] for k in ("name", "schema", "strict", "description") if fmt.get(k) is not None}
    return {"type": "json_schema", "json_schema": schema}


# ---------------------------------------------------------------- responses


def envelope(body: JSON, response_id: str, model: str, store: bool, previous_id: str | None) -> JSON:
    """The response object before any output: what response.created shows."""
    out: JSON = {"id": response_id, "object": "response", "created_at": int(time.time()), "status": "in_progress",
                 "background": False, "error": None, "incomplete_details": None, "model": model, "output": [],
                 "previous_response_id": previous_id, "reasoning": {"effort": None, "summary": None},
                 "service_tier": "default", "store": store, "usage": None,
                 "text": {"format": (body.get("text") or {}).get("format") or {"type": "text"}}}
    for key, default in _ECHOED.items():
        out[key] = body.get(key, default) if body.get(key) is not None else default
    return out


def usage_from_chat(usage: JSON | None) -> JSON | None:
    if not usage:
        return None
    prompt, completion = usage.get("prompt_tokens") or 0, usage.get("completion_tokens") or 0
    cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0
    return {"input_tokens": prompt, "input_tokens_details": {"cached_tokens": cached, "cache_write_tokens": 0},
            "output_tokens": completion, "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": prompt + completion}


def chat_response_to_responses(chat: JSON, shell: JSON) -> JSON:
    choice = (chat.get("choices") or [{}])[0]
    message = choice.get("message") or {}
    output: list[JSON] = []
    if message.get("content"):
        output.append(message_item(new_item_id("msg"), message["content"]))
    for call in message.get("tool_calls") or []:
        fn = call.get("function") or {}
        output.append(function_call_item(new_item_id("fc"), call.get("id"), fn.get("name"), fn.get("arguments")))
    return finished(shell, output, choice.get("finish_reason"), usage_from_chat(chat.get("usage")))


def finished(shell: JSON, output: list[JSON], finish_reason: str | None, usage: JSON | None) -> JSON:
    truncated = finish_reason == "length"
    return dict(shell, output=output, usage=usage, status="incomplete" if truncated else "completed",
                incomplete_details={"reason": "max_output_tokens"} if truncated else None)


def message_item(item_id: str, text: str, status: str = "completed") -> JSON:
    content = [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}] if text is not None else []
    return {"id": item_id, "type": "message", "status": status, "role": "assistant", "content": content}


def function_call_item(item_id: str, call_id: str | None, name: str | None, arguments: str | None,
                       status: str = "completed") -> JSON:
    return {"id": item_id, "type": "function_call", "status": status, "call_id": call_id or new_item_id("call"),
            "name": name or "", "arguments": arguments or ""}


def new_item_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:24]}"
