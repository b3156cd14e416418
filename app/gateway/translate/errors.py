"""The one error the translators raise: a request the target format cannot express."""


class TranslationError(ValueError):
    """The request cannot be expressed in the target format (the gateway answers 400 naming ``param``)."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param
