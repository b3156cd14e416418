"""Outgoing email over SMTP (SMTP_HOST / PORT / USER / PASSWORD / FROM), written in its reader's language.

Every message is rendered here, by a callable that returns its subject and body, while
Flask-Babel's locale is forced to the reader's: the same code path in a request and in an RQ
job (which has an app context but no request, hence no browser language to fall back on).
"""
import smtplib
from collections.abc import Callable
from email.message import EmailMessage

from flask import current_app
from flask_babel import force_locale, get_locale
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .extensions import db
from .models import TollgateUser

SMTP_TIMEOUT_S = 10  # a stuck mail server must not hold a worker for long

Render = Callable[[], tuple[str, str]]  # (subject, body), in the current locale


def send_mail(to: str, render: Render, *, reader=None, fallback: str | None = None) -> None:
    """Render and send one plain-text message; raises ``OSError`` / ``smtplib.SMTPException`` on failure.

    ``reader`` is the account the message is for when ``to`` is not (or no longer) its address;
    without it, the account registered at ``to``, if any, is the reader.
    """
    language = reader_language(to, reader, fallback)
    with force_locale(language):
        subject, body = render()
    cfg = current_app.config
    message = EmailMessage()
    message["From"] = cfg["SMTP_FROM"]
    message["To"] = to
    message["Subject"] = str(subject)
    message.set_content(str(body))
    message["Content-Language"] = language  # after set_content, which drops every Content-* header
    with smtplib.SMTP(cfg["SMTP_HOST"], cfg["SMTP_PORT"], timeout=SMTP_TIMEOUT_S) as smtp:
        if cfg.get("SMTP_USER"):
            # Credentials never travel in clear text: a server that cannot STARTTLS is refused.
            smtp.starttls()
            smtp.login(cfg["SMTP_USER"], cfg.get("SMTP_PASSWORD") or "")
        smtp.send_message(message)


def reader_language(to: str, reader=None, fallback: str | None = None) -> str:
    """The reader's saved language; else ``fallback`` (an inviter's, for an address with no account);
    else the language of the page that caused the mail; else, as in jobs, the default."""
    if reader is None:
        # A session of its own: jobs run inline from another session's after-commit hook, where
        # that session can no longer query.
        with Session(db.engine) as session:
            saved = session.scalar(select(TollgateUser.locale)
                                   .where(func.lower(TollgateUser.email) == to.strip().lower()).limit(1))
    else:
        saved = reader.locale
    languages = current_app.config["LANGUAGES"]
    for choice in (saved, fallback, str(get_locale() or "")):
        if choice in languages:
            return choice
    return current_app.config["BABEL_DEFAULT_LOCALE"]
