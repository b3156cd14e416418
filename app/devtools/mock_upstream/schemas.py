"""JSON that matches a JSON Schema: what the mock answers when asked for structured output.

Covers what the SDKs' ``parse`` helpers send (objects, arrays, enums, anyOf, ``$ref`` into
``$defs``); every property is filled in, so strict schemas (all required) are satisfied.
"""
from .knobs import dumps

_MAX_DEPTH = 16


def sample(schema, root=None, depth: int = 0):
    """A value matching ``schema``; ``root`` is where ``$ref`` pointers are resolved."""
    root = schema if root is None else root
    if not isinstance(schema, dict) or depth > _MAX_DEPTH:
        return None
    if "$ref" in schema:
        return sample(_resolve(root, schema["$ref"]), root, depth + 1)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            return sample(schema[key][0], root, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or (kind is None and "properties" in schema):
        return {name: sample(sub, root, depth + 1) for name, sub in (schema.get("properties") or {}).items()}
    if kind == "array":
        return [sample(schema.get("items") or {"type": "string"}, root, depth + 1)]
    return {"string": "tok0", "integer": 1, "number": 1.5, "boolean": True, "null": None}.get(kind, "tok0")


def _resolve(root: dict, ref: str):
    node = root
    for part in ref.lstrip("#/").split("/"):
        node = node.get(part) if isinstance(node, dict) else None
    return node or {}


def structured_text(fmt) -> str | None:
    """The answer for an OpenAI ``response_format``, a Responses ``text.format`` or Anthropic's
    ``output_config.format``; None for plain text."""
    if not isinstance(fmt, dict):
        return None
    if fmt.get("type") == "json_object":
        return '{"answer": "tok0"}'
    if fmt.get("type") != "json_schema":
        return None
    # Chat Completions nests the schema under json_schema; the other two put it on the format itself.
    schema = (fmt.get("json_schema") or fmt).get("schema") or {}
    return dumps(sample(schema)).decode()
