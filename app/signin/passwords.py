"""Password rules for every form that sets one (console and back office): a minimum length and
no password from the list of the most common ones, shipped as a file so the check needs no network."""
from functools import lru_cache
from pathlib import Path

from flask import current_app
from flask_appbuilder.exceptions import PasswordComplexityValidationError
from flask_babel import gettext as _
from wtforms.validators import ValidationError

COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def problem(raw: str) -> str | None:
    """Why ``raw`` may not be a password, or None."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(raw) < minimum:
        return _("must be at least %(n)d characters", n=minimum)
    if len(raw) > 128:
        return _("must be at most 128 characters")
    if raw.strip().lower() in common_passwords():
        return _("is one of the most common passwords; choose another")
    return None


def form_rule(_form, field) -> None:
    """WTForms validator for the console's password fields."""
    found = problem(field.data or "")
    if found:
        raise ValidationError(found)


def fab_rule(raw: str) -> None:
    """FAB_PASSWORD_COMPLEXITY_VALIDATOR: the same rules on the back office's user forms."""
    found = problem(raw or "")
    if found:
        raise PasswordComplexityValidationError(found)
