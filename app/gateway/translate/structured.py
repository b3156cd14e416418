"""Structured output (``response_format``) for Anthropic providers.

Natively where the provider takes Anthropic's structured-output parameter
(``output_config.format``); else as a forced call of a tool whose input schema is the
caller's schema, whose input then comes back as the answer's text. Pure, like the rest.
"""
from __future__ import annotations

from typing import Any

import orjson

from .errors import TranslationError

JSON = dict[str, Any]

STRUCTURED_TOOL = "structured_output"


def wants_structured(body: JSON) -> bool:
    """Whether a Chat Completions body asks for JSON (``response_format`` json_schema or json_object)."""
    fmt = body.get("response_format")
    return isinstance(fmt, dict) and fmt.get("type") in ("json_schema", "json_object")


def apply_structured(out: JSON, fmt: JSON, native: bool) -> None:
    """Ask for JSON: natively when the provider can, else as a forced tool call (with the
    caller's own tools, any tool may then be called)."""
    if fmt["type"] == "json_object":
        schema: Any = {"type": "object", "additionalProperties": True}
        description = "Answer with a JSON object."
    else:
        spec = fmt.get("json_schema") or {}
        schema = spec.get("schema")
        if not isinstance(schema, dict):
            raise TranslationError("response_format.json_schema.schema is required for this model",
                                   "response_format.json_schema.schema")
        if schema.get("type") != "object":
            # Claude's tool input, which carries the answer here, is always a JSON object.
            raise TranslationError(f"this model's provider can only produce a JSON object: the schema's top-level "
                                   f"type is {schema.get('type')!r}", "response_format.json_schema.schema")
        description = spec.get("description") or f"Answer with the {spec.get('name') or 'requested'} JSON object."
        if native:
            # The answer is then plain text that is the JSON; json_object has no native form.
            out["output_config"] = {"format": {"type": "json_schema", "schema": schema}}
            return
    tools = out.get("tools") or []
    if any(t["name"] == STRUCTURED_TOOL for t in tools):
        raise TranslationError(f"the tool name {STRUCTURED_TOOL!r} is reserved with response_format", "tools")
    out["tools"] = [{"name": STRUCTURED_TOOL, "description": description, "input_schema": schema}] + tools
    if not tools:
        out["tool_choice"] = {"type": "tool", "name": STRUCTURED_TOOL}
    elif out.get("tool_choice", {}).get("type") in (None, "auto"):
        out["tool_choice"] = dict(out.get("tool_choice") or {}, type="any")
    elif out["tool_choice"]["type"] == "none":
        raise TranslationError("tool_choice 'none' cannot be combined with response_format for this model",
                               "tool_choice")


def structured_content(content: list, stop_reason: str | None) -> tuple[list, str | None]:
    """The structured-output tool call as a text block; the answer then stopped as a normal end."""
    out = [{"type": "text", "text": orjson.dumps(b.get("input") or {}).decode()}
           if b.get("type") == "tool_use" and b.get("name") == STRUCTURED_TOOL else b for b in content]
    if stop_reason == "tool_use" and not any(b.get("type") == "tool_use" for b in out):
        stop_reason = "end_turn"
    return out, stop_reason
