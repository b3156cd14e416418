"""Hypothesis strategies for hostile requests: JSON of every shape, near-valid bodies, odd headers."""
import json

from hypothesis import strategies as st

MODELS = ["gpt-test", "claude-test", "embed-test", "no-such-model"]

scalars = (st.none() | st.booleans() | st.integers(min_value=-(2 ** 70), max_value=2 ** 70)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12))
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=16)


def _nest(depth: int):
    value = "x"
    for _ in range(depth):
        value = [value]
    return value


# Past the gateway's nesting limit, around orjson's 255 and Python's recursion limit; put where
# nesting is legitimate (content, tool schemas, embeddings input) so other fields stay valid.
deep = st.integers(min_value=60, max_value=700).map(_nest)
anything = json_values


def model(*right: str):
    """Mostly a model this endpoint serves, so most bodies get past the model check to their fields."""
    return maybe(st.one_of(*[st.just(name) for name in right * 3], st.sampled_from(MODELS)))


def maybe(strategy):
    """Mostly a plausible value, one time in ten any JSON at all."""
    return _one_in(10, anything, strategy)


def _one_in(n: int, rare, usual):
    return st.sampled_from([False] * (n - 1) + [True]).flatmap(lambda pick: rare if pick else usual)


def rarely_deep(strategy):
    return _one_in(12, deep, strategy)


text_block = st.fixed_dictionaries({"type": st.just("text"), "text": maybe(st.text(max_size=20))})
other_block = st.fixed_dictionaries(
    {"type": st.sampled_from(["image_url", "image", "tool_use", "tool_result", "document", "input_audio", "mystery"])},
    optional={"text": anything, "image_url": anything, "source": anything, "input": anything,
              "content": anything, "id": maybe(st.text(max_size=8)), "name": maybe(st.text(max_size=8)),
              "tool_use_id": anything})
content = maybe(rarely_deep(st.text(max_size=40) | st.lists(text_block | other_block, max_size=3)))


def message(*roles: str):
    return st.fixed_dictionaries({"role": maybe(st.sampled_from(roles))},
                                 optional={"content": content, "tool_calls": anything, "tool_call_id": anything,
                                           "name": anything})


openai_message = message("user", "user", "assistant", "system", "developer", "tool", "function")
anthropic_message = message("user", "user", "assistant")
tool = maybe(st.fixed_dictionaries({"type": st.just("function"), "function": st.fixed_dictionaries(
    {"name": maybe(st.text(min_size=1, max_size=8))}, optional={"parameters": rarely_deep(anything)})})
    | st.fixed_dictionaries({"name": maybe(st.text(min_size=1, max_size=8))}, optional={"input_schema": rarely_deep(anything)}))
common = {
    "stream": maybe(st.booleans()),
    "temperature": maybe(st.floats(0, 2)),
    "top_p": maybe(st.floats(0, 1)),
    "tools": maybe(st.lists(tool, max_size=2)),
    "tool_choice": anything,
    "metadata": anything,
}

chat_body = st.fixed_dictionaries({"model": model("gpt-test", "claude-test"),
                                   "messages": maybe(st.lists(openai_message, min_size=1, max_size=3))},
                                  optional={**common, "max_tokens": maybe(st.integers(1, 1200)),
                                            "max_completion_tokens": maybe(st.integers(1, 1200)),
                                            "stream_options": maybe(st.fixed_dictionaries(
                                                {}, optional={"include_usage": st.booleans()})),
                                            "stop": maybe(st.text(max_size=5) | st.lists(st.text(max_size=5),
                                                                                          max_size=2)),
                                            "n": maybe(st.just(1)),
                                            "response_format": anything})
messages_body = st.fixed_dictionaries({"model": model("claude-test", "gpt-test"),
                                       "messages": maybe(st.lists(anthropic_message, min_size=1, max_size=3)),
                                       "max_tokens": maybe(st.integers(1, 1200))},
                                      optional={**common, "system": content,
                                                "stop_sequences": maybe(st.lists(st.text(max_size=5), max_size=2)),
                                                "thinking": anything})
token_ids = st.lists(st.integers(min_value=-1, max_value=100_000), min_size=0, max_size=5)
embeddings_body = st.fixed_dictionaries(
    {"model": model("embed-test"),
     "input": maybe(st.text(max_size=20) | st.lists(st.text(max_size=10), max_size=3) | token_ids
                    | st.lists(token_ids, max_size=3) | deep)},  # deep: a quarter of the inputs
    optional={"dimensions": anything, "encoding_format": maybe(st.sampled_from(["float", "base64"])),
              "user": anything})


def raw(shaped):
    """Request bytes: a near-valid body, any JSON at all, or bytes that may not be JSON."""
    return st.one_of(shaped.map(json.dumps), shaped.map(json.dumps), shaped.map(json.dumps),
                     (anything | deep).map(json.dumps), st.binary(max_size=64)).map(lambda s: s if isinstance(s, bytes) else s.encode())


header_text = st.text(st.characters(min_codepoint=32, max_codepoint=255, exclude_characters="\x7f"), max_size=40)
key_choice = st.sampled_from(["bearer", "bearer", "bearer", "x-api-key", "x-api-key", "none", "garbage"])
headers = st.fixed_dictionaries({}, optional={"anthropic-version": header_text | st.just("2023-06-01"),
                                              "Content-Type": st.just("application/json") | header_text,
                                              "Accept": header_text, "X-Request-Id": header_text})


def with_key(extra: dict, choice: str, secret: str, garbage: str) -> dict:
    out = dict(extra)
    if choice == "bearer":
        out["Authorization"] = f"Bearer {secret}"
    elif choice == "x-api-key":
        out["x-api-key"] = secret
    elif choice == "garbage":
        out["Authorization"] = garbage
    return out

# /v1/responses: input as a string or items (messages, tool calls and their results), and its own fields.
input_part = st.fixed_dictionaries(
    {"type": maybe(st.sampled_from(["input_text", "output_text", "input_image", "input_file", "refusal", "mystery"]))},
    optional={"text": maybe(st.text(max_size=20)), "image_url": anything, "file_data": anything, "refusal": anything})
input_item = st.one_of(
    st.fixed_dictionaries({"role": maybe(st.sampled_from(["user", "assistant", "system", "developer", "tool"]))},
                          optional={"type": st.just("message"), "content": maybe(
                              rarely_deep(st.text(max_size=20) | st.lists(input_part, max_size=3))), "id": anything}),
    st.fixed_dictionaries({"type": st.just("function_call")},
                          optional={"call_id": maybe(st.text(max_size=8)), "name": maybe(st.text(max_size=8)),
                                    "arguments": maybe(st.text(max_size=20))}),
    st.fixed_dictionaries({"type": st.just("function_call_output")},
                          optional={"call_id": maybe(st.text(max_size=8)),
                                    "output": maybe(st.text(max_size=20) | st.lists(input_part, max_size=2))}),
    st.fixed_dictionaries({"type": maybe(st.sampled_from(["reasoning", "item_reference", "web_search_call"]))},
                          optional={"id": anything, "summary": anything}))
json_schema = st.recursive(
    st.fixed_dictionaries({"type": maybe(st.sampled_from(["object", "string", "integer", "array", "bogus"]))}),
    lambda inner: st.fixed_dictionaries({"type": st.just("object")}, optional={
        "properties": maybe(st.dictionaries(st.text(max_size=5), inner, max_size=3)),
        "required": anything, "items": maybe(inner), "anyOf": maybe(st.lists(inner, max_size=2)),
        "$ref": maybe(st.just("#/$defs/x")), "$defs": anything}), max_leaves=6)
text_format = st.fixed_dictionaries(
    {"type": maybe(st.sampled_from(["text", "json_schema", "json_object"]))},
    optional={"name": maybe(st.text(max_size=8)), "schema": maybe(json_schema), "strict": anything})
responses_tool = maybe(st.fixed_dictionaries({"type": maybe(st.just("function"))}, optional={
    "name": maybe(st.text(min_size=1, max_size=8)), "parameters": maybe(json_schema), "strict": anything}))
responses_body = st.fixed_dictionaries(
    {"model": model("gpt-test", "claude-test"),
     "input": maybe(st.text(max_size=20) | st.lists(input_item, min_size=1, max_size=3))},
    optional={"stream": maybe(st.booleans()), "store": maybe(st.booleans()), "instructions": maybe(st.text(max_size=10)),
              "previous_response_id": maybe(st.text(max_size=12)), "metadata": anything,
              "text": maybe(st.fixed_dictionaries({}, optional={"format": text_format})),
              "max_output_tokens": maybe(st.integers(-5, 2 ** 64)), "tools": maybe(st.lists(responses_tool, max_size=2)),
              "tool_choice": anything, "temperature": maybe(st.floats(0, 2)), "stream_options": anything,
              "reasoning": anything, "parallel_tool_calls": anything, "truncation": anything, "user": anything})

# Structured outputs on chat and messages: response_format / output_format with schemas good and broken.
chat_structured_body = chat_body.flatmap(lambda body: st.fixed_dictionaries({
    "response_format": maybe(st.fixed_dictionaries(
        {"type": maybe(st.sampled_from(["json_schema", "json_object", "text"]))},
        optional={"json_schema": maybe(st.fixed_dictionaries({}, optional={
            "name": maybe(st.text(max_size=8)), "schema": maybe(json_schema), "strict": anything}))}))}).map(
    lambda extra: {**body, **extra}))
messages_structured_body = messages_body.flatmap(lambda body: st.fixed_dictionaries({}, optional={
    "output_format": maybe(text_format), "output_config": maybe(st.fixed_dictionaries({}, optional={
        "format": maybe(text_format)}))}).map(lambda extra: {**body, **extra}))
count_tokens_body = messages_structured_body.map(lambda body: {k: v for k, v in body.items() if k != "max_tokens"})

# Images and speech: JSON bodies; wrong types, huge numbers and long text where the fields are.
huge = st.integers(min_value=2 ** 62, max_value=2 ** 80) | st.integers(-(2 ** 70), 0)
images_body = st.fixed_dictionaries(
    {"model": model("image-test"), "prompt": maybe(st.text(max_size=20))},
    optional={"n": maybe(st.integers(0, 12) | huge), "size": maybe(st.sampled_from(["1024x1024", "512x512", "1x1"])),
              "quality": maybe(st.sampled_from(["standard", "hd", "ultra"])),
              "response_format": maybe(st.sampled_from(["url", "b64_json", "gif"])), "user": anything})
speech_body = st.fixed_dictionaries(
    {"model": model("speech-test"), "input": maybe(st.text(max_size=30)), "voice": maybe(st.text(max_size=8))},
    optional={"response_format": maybe(st.sampled_from(["mp3", "wav", "ogg"])), "speed": maybe(st.floats() | huge),
              "instructions": anything})


def multipart(fields: list[tuple[str, bytes, bytes | None]], boundary: bytes = b"fuzzb") -> bytes:
    """A multipart/form-data body from (name, value, filename) parts, bytes as they are (UTF-8 or not)."""
    out = b""
    for name, value, filename in fields:
        disposition = b'form-data; name="' + name + b'"' + (b'; filename="' + filename + b'"' if filename else b"")
        out += b"--" + boundary + b"\r\nContent-Disposition: " + disposition + b"\r\n\r\n" + value + b"\r\n"
    return out + b"--" + boundary + b"--\r\n"


form_text = st.text(max_size=10).map(str.encode) | st.binary(max_size=10)
transcription_parts = st.lists(st.one_of(
    st.tuples(st.just(b"model"), st.just(b"whisper-test") | form_text, st.none()),
    st.tuples(st.just(b"file"), st.just(b"RIFF....WAVE") | st.binary(max_size=40), st.just(b"a.wav") | form_text),
    st.tuples(st.sampled_from([b"response_format", b"temperature", b"language", b"prompt", b"file"]), form_text,
              st.none())), max_size=5)

# The /me API: its routes with ids of any size, bodies near each route's fields, and odd query strings.
ME_ROUTES = [("GET", "account"), ("GET", "usage"), ("GET", "notifications"), ("POST", "notifications/{id}/read"),
             ("GET", "billing/topups/quote"), ("POST", "billing/topups"), ("GET", "billing/transactions"),
             ("GET", "billing/transactions.csv"), ("GET", "billing/subscription"), ("POST", "billing/subscription"),
             ("PATCH", "billing/subscription"), ("DELETE", "billing/subscription"), ("GET", "keys"), ("POST", "keys"),
             ("GET", "keys/{id}"), ("PATCH", "keys/{id}"), ("DELETE", "keys/{id}"), ("POST", "keys/{id}/rotate"),
             ("POST", "keys/batch"), ("GET", "webhooks"), ("POST", "webhooks"), ("GET", "webhooks/{id}"),
             ("PATCH", "webhooks/{id}"), ("GET", "webhooks/{id}/deliveries"), ("GET", "tasks/{task}"),
             ("GET", "tasks/{task}/content")]
ME_FIELDS = ["amount_usd", "discount_code", "name", "quota_usd", "expires_at", "models", "model_caps", "project_id",
             "action", "ids", "url", "events", "description", "active", "plan", "cancel_at_period_end"]
odd_number = (st.integers(-(2 ** 70), 2 ** 70) | st.floats() | st.sampled_from(["1e400", "NaN", "-0", "Infinity", "0.000000001"]))
me_value = maybe(odd_number | st.text(max_size=12) | st.lists(st.integers(-5, 2 ** 65) | st.text(max_size=4), max_size=3))
me_body = st.dictionaries(st.sampled_from(ME_FIELDS), me_value, max_size=4)
ME_PARAMS = ["limit", "after", "before", "cursor", "from", "to", "model", "status", "key_id", "amount_usd",
             "discount_code", "unread", "type", "project_id", "page"]
me_query = st.dictionaries(st.sampled_from(ME_PARAMS), st.integers(-(2 ** 70), 2 ** 70).map(str)
                           | st.sampled_from(["2020-13-45", "2020-02-30T25:00:00Z", "9999-12-31", "x", "", "-1", "1e400",
                                              "\u0661", "\u00b2", "NaN"]) | st.text(max_size=12), max_size=3)
me_id = st.integers(-5, 2 ** 70).map(str) | st.text(max_size=12)

# The admin API (FAB): rison list queries over each resource's columns, and writes near its fields.
ADMIN_COLUMNS = ["id", "name", "billing_email", "plan", "status", "created_at", "org_id", "username", "email",
                 "tier", "active", "created_on", "nope"]
ADMIN_OPERATORS = ["eq", "neq", "gt", "lt", "ct", "sw", "ew", "in", "not_in", "rel_o_m", "eqf", "bogus"]
rison_scalar = (st.integers(-(2 ** 70), 2 ** 70).map(str) | st.sampled_from(["'x'", "'2020-13-45'", "'2020-01-01'", "!t", "!n"])
                | st.text("abcxyz09", max_size=6))
rison_value = rison_scalar | st.lists(rison_scalar, max_size=3).map(lambda xs: f"!({','.join(xs)})")
rison_filter = st.builds(lambda col, opr, value: f"(col:{col},opr:{opr},value:{value})",
                         st.sampled_from(ADMIN_COLUMNS), st.sampled_from(ADMIN_OPERATORS), rison_value)
rison_query = st.builds(
    lambda parts: "(" + ",".join(parts) + ")",
    st.lists(st.one_of(
        st.integers(-(2 ** 70), 2 ** 70).map(lambda n: f"page:{n}"),
        st.integers(-(2 ** 70), 2 ** 70).map(lambda n: f"page_size:{n}"),
        st.lists(rison_filter, max_size=2).map(lambda fs: f"filters:!({','.join(fs)})"),
        st.sampled_from(ADMIN_COLUMNS).map(lambda c: f"order_column:{c}"),
        st.sampled_from(["asc", "desc", "up"]).map(lambda d: f"order_direction:{d}")), max_size=4)) | st.text(max_size=8)
ADMIN_FIELDS = ["name", "billing_email", "plan", "dev_plan", "status", "username", "email", "first_name", "last_name",
                "password", "tier", "active", "roles"]
admin_body = st.dictionaries(st.sampled_from(ADMIN_FIELDS), me_value | st.sampled_from(
    ["pro", "free", "active", "deleted", "individual", "a@b.test"]), max_size=5)
