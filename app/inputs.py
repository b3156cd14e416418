"""The one error for bad caller input: it names the field, so every surface can point at it."""


class InputError(ValueError):
    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)
