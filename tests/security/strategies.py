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
