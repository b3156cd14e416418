"""One-time tokens for confirm steps that move money (gift, adjustment, refund).

The page showing the final "Confirm" button carries a fresh token; the posting uses it as its
ledger ``external_id``, so submitting the same form twice (a double click, a resubmitted
page) posts once.
"""
import re
import secrets

from flask import request
from flask_babel import gettext as _

_FORMAT = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_token() -> str:
    return secrets.token_urlsafe(16)


def submitted_token() -> str:
    """The form's token, or ValueError naming it when it is missing or malformed."""
    token = request.form.get("confirm_token", "")
    if not _FORMAT.fullmatch(token):
        raise ValueError(_("Form: this confirmation is missing its one-time token; open the form again"))
    return token


def external_id(kind: str, token: str) -> str:
    return f"form:{kind}:{token}"
