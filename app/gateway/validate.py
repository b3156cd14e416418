"""Request validation: every refusal names the field that is wrong."""
from .errors import invalid

# Deeper bodies are refused before anything walks them: pricing's walk is recursive and
# orjson will not write more than 255 levels. Real tool schemas stay far below this.
MAX_DEPTH = 64


def require_object(body) -> dict:
    if not isinstance(body, dict):
        raise invalid("request body must be a JSON object")
    return body


def require_shallow(body: dict, limit: int = MAX_DEPTH) -> None:
    """Refuse arrays and objects nested more than ``limit`` levels, naming the field they are in."""
    # Level by level, without paths: this runs on every request. Paths are worked out only to refuse.
    level, depth = [body], 1
    while level:
        if depth > limit:
            where = _deepest_field(body, limit)
            raise invalid(f"'{where}' is nested more than {limit} levels deep", where)
        below = []
        for node in level:
            below += [v for v in (node.values() if type(node) is dict else node) if type(v) in _CONTAINERS]
        level, depth = below, depth + 1


_CONTAINERS = (dict, list)


def _deepest_field(body: dict, limit: int) -> str:
    stack = [(body, 1, "")]
    while stack:
        node, depth, where = stack.pop()
        if depth > limit:
            return where
        for key, value in (node.items() if isinstance(node, dict) else enumerate(node)):
            if isinstance(value, _CONTAINERS):
                # The name keeps three steps (messages[0].content): enough to find it, bounded in size.
                stack.append((value, depth + 1, _child(where, key) if depth <= 3 else where))
    return ""


def _child(where: str, key) -> str:
    if isinstance(key, int):
        return f"{where}[{key}]"
    return f"{where}.{key}" if where else str(key)


def require_model(body: dict) -> str:
    model = body.get("model")
    if model is None:
        raise invalid("'model' is required", "model")
    if not isinstance(model, str) or not model:
        raise invalid("'model' must be a non-empty string", "model")
    return model


def chat(body: dict, max_output: int) -> int | None:
    """Checks an OpenAI chat body; returns the requested output limit (None = not given)."""
    _messages(body, allow_system=True)
    limit = None
    for name in ("max_completion_tokens", "max_tokens"):
        if body.get(name) is not None:
            limit = _positive_int(body, name, max_output)
            break
    _optional_bool(body, "stream")
    if body.get("stream_options") is not None and not isinstance(body["stream_options"], dict):
        raise invalid("'stream_options' must be an object", "stream_options")
    n = body.get("n")
    if n is not None and n != 1:
        raise invalid("'n' must be 1: Tollgate returns one choice per request", "n")
    _sampling(body, "stop")
    return limit


def messages(body: dict, max_output: int) -> int:
    """Checks an Anthropic Messages body; max_tokens is required there."""
    _messages(body, allow_system=False)
    if body.get("max_tokens") is None:
        raise invalid("'max_tokens' is required", "max_tokens")
    limit = _positive_int(body, "max_tokens", max_output)
    _system(body)
    _optional_bool(body, "stream")
    _sampling(body, "stop_sequences")
    return limit


def count_tokens(body: dict) -> None:
    """Checks a Messages body as /v1/messages/count_tokens takes it: no max_tokens."""
    _messages(body, allow_system=False)
    _system(body)
    _sampling(body, "stop_sequences")


def _system(body: dict) -> None:
    system = body.get("system")
    if system is not None and not isinstance(system, (str, list)):
        raise invalid("'system' must be a string or a list of text blocks", "system")
    if isinstance(system, list):
        for i, block in enumerate(system):
            if not isinstance(block, dict) or block.get("type") != "text" or not isinstance(block.get("text"), str):
                raise invalid(f"'system[{i}]' must be a text block: {{\"type\": \"text\", \"text\": ...}}",
                              f"system[{i}]")


def embeddings(body: dict) -> list:
    """The texts to embed: a string, strings, one text as token ids, or several as arrays of token ids."""
    data = body.get("input")
    if data is None:
        raise invalid("'input' is required", "input")
    if isinstance(data, str):
        return [data]
    if not isinstance(data, list) or not data:
        raise invalid("'input' must be a string, an array of strings, an array of token ids or an array of "
                      "token id arrays", "input")
    if all(_is_token(t) for t in data):
        return [data]
    for i, item in enumerate(data):
        if not (isinstance(item, str) or (isinstance(item, list) and item and all(_is_token(t) for t in item))):
            raise invalid(f"'input[{i}]' must be a string or a non-empty array of token ids "
                          f"(non-negative integers)", f"input[{i}]")
    return data


def _is_token(value) -> bool:
    return type(value) is int and value >= 0


def _sampling(body: dict, stop_field: str) -> None:
    """Fields both formats share: tools, stop sequences and sampling numbers."""
    tools = body.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            raise invalid("'tools' must be an array", "tools")
        for i, tool in enumerate(tools):
            if not isinstance(tool, dict):
                raise invalid(f"'tools[{i}]' must be an object", f"tools[{i}]")
    stop = body.get(stop_field)
    if stop is not None and not (isinstance(stop, str) or (isinstance(stop, list)
                                                           and all(isinstance(x, str) for x in stop))):
        raise invalid(f"'{stop_field}' must be a string or an array of strings", stop_field)
    for name in ("temperature", "top_p"):
        value = body.get(name)
        if value is not None and (not isinstance(value, (int, float)) or isinstance(value, bool)):
            raise invalid(f"'{name}' must be a number", name)


def _messages(body: dict, allow_system: bool) -> None:
    msgs = body.get("messages")
    if msgs is None:
        raise invalid("'messages' is required", "messages")
    if not isinstance(msgs, list) or not msgs:
        raise invalid("'messages' must be a non-empty array", "messages")
    roles = {"user", "assistant", "system", "developer", "tool", "function"} if allow_system else {"user", "assistant"}
    for i, msg in enumerate(msgs):
        if not isinstance(msg, dict):
            raise invalid(f"'messages[{i}]' must be an object", f"messages[{i}]")
        role = msg.get("role")
        if not isinstance(role, str) or role not in roles:
            raise invalid(f"'messages[{i}].role' must be one of {', '.join(sorted(roles))}", f"messages[{i}].role")
        content = msg.get("content")
        if content is not None and not isinstance(content, (str, list)):
            raise invalid(f"'messages[{i}].content' must be a string or an array", f"messages[{i}].content")


def _positive_int(body: dict, name: str, ceiling: int) -> int:
    value = body[name]
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise invalid(f"'{name}' must be a positive integer", name)
    if value > ceiling:
        raise invalid(f"'{name}' is {value}, above this model's limit of {ceiling}", name)
    return value


def _optional_bool(body: dict, name: str) -> None:
    if body.get(name) is not None and not isinstance(body[name], bool):
        raise invalid(f"'{name}' must be true or false", name)


RESPONSES_MIN_OUTPUT = 16

# Responses API parameters Tollgate cannot honour on any provider: refused by name, never dropped.
_RESPONSES_UNSUPPORTED = {
    "background": "background mode is not supported: send the request without 'background'",
    "conversation": "conversation objects are not supported: use previous_response_id with store: true",
    "prompt": "stored prompt templates are not supported: send instructions and input",
}


def responses(body: dict, max_output: int) -> int | None:
    """Checks a Responses API body; returns the requested output limit (None = not given)."""
    given = body.get("input")
    if given is None:
        raise invalid("'input' is required", "input")
    if not isinstance(given, (str, list)) or not given:
        raise invalid("'input' must be a non-empty string or array of items", "input")
    for i, item in enumerate(given if isinstance(given, list) else ()):
        if not isinstance(item, dict):
            raise invalid(f"'input[{i}]' must be an object", f"input[{i}]")
        _input_content(item.get("content"), f"input[{i}].content")
        if item.get("type") == "function_call_output":
            _input_content(item.get("output"), f"input[{i}].output")
    for name, why in _RESPONSES_UNSUPPORTED.items():
        if body.get(name):
            raise invalid(why, name)
    for i, tool in enumerate(body.get("tools") or ()):
        if isinstance(tool, dict) and tool.get("type") != "function":
            raise invalid(f"built-in tool '{tool.get('type')}' is not supported: Tollgate forwards function tools "
                          f"only", f"tools[{i}].type")
    for name, kind, what in (("instructions", str, "a string"), ("previous_response_id", str, "a string"),
                             ("metadata", dict, "an object"), ("text", dict, "an object"),
                             ("stream_options", dict, "an object")):
        if body.get(name) is not None and not isinstance(body[name], kind):
            raise invalid(f"'{name}' must be {what}", name)
    if "\x00" in (body.get("previous_response_id") or ""):
        # PostgreSQL text cannot hold it, so no stored response has such an id.
        raise invalid("'previous_response_id' must not contain a NUL character", "previous_response_id")
    fmt = (body.get("text") or {}).get("format")
    if fmt is not None and (not isinstance(fmt, dict) or fmt.get("type") not in ("text", "json_schema",
                                                                                 "json_object")):
        raise invalid("'text.format.type' must be text, json_schema or json_object", "text.format")
    _optional_bool(body, "stream")
    _optional_bool(body, "store")
    _sampling(body, "stop")
    if body.get("max_output_tokens") is None:
        return None
    limit = _positive_int(body, "max_output_tokens", max_output)
    if limit < RESPONSES_MIN_OUTPUT:
        raise invalid(f"'max_output_tokens' must be at least {RESPONSES_MIN_OUTPUT}, as in OpenAI's Responses API",
                      "max_output_tokens")
    return limit


def _input_content(content, where: str) -> None:
    """An input item's content: a string, or content parts (objects) whose text, if any, is a string."""
    if content is None or isinstance(content, str):
        return
    if not isinstance(content, list):
        raise invalid(f"'{where}' must be a string or an array of content parts", where)
    for j, part in enumerate(content):
        if not isinstance(part, dict):
            raise invalid(f"'{where}[{j}]' must be an object", f"{where}[{j}]")
        for name in ("text", "refusal"):
            if part.get(name) is not None and not isinstance(part[name], str):
                raise invalid(f"'{where}[{j}].{name}' must be a string", f"{where}[{j}].{name}")
