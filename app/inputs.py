"""The one error for bad caller input: it names the field, so every surface can point at it."""


class InputError(ValueError):
    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


def nul_field(body) -> str | None:
    """The first field of a parsed JSON body whose key or text holds a NUL character, which
    PostgreSQL text cannot store; None when there is none. A loop, not recursion: a body may
    nest as deep as the JSON parser allows."""
    stack = [(body, "")]
    while stack:
        value, where = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return where or "body"
            continue
        items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        for key, item in items:
            if isinstance(key, str) and "\x00" in key:
                return where or "body"
            stack.append((item, f"{where}[{key}]" if isinstance(key, int) else f"{where}.{key}" if where else key))
    return None
