"""Outgoing email over SMTP, configured by SMTP_HOST / PORT / USER / PASSWORD / FROM."""
import smtplib
from email.message import EmailMessage

from flask import current_app

SMTP_TIMEOUT_S = 10  # a stuck mail server must not hold a worker for long


def send_mail(to: str, subject: str, body: str) -> None:
    """Send one plain-text message; raises ``OSError`` / ``smtplib.SMTPException`` on failure."""
    cfg = current_app.config
    message = EmailMessage()
    message["From"] = cfg["SMTP_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(cfg["SMTP_HOST"], cfg["SMTP_PORT"], timeout=SMTP_TIMEOUT_S) as smtp:
        if cfg.get("SMTP_USER"):
            # Credentials never travel in clear text: a server that cannot STARTTLS is refused.
            smtp.starttls()
            smtp.login(cfg["SMTP_USER"], cfg.get("SMTP_PASSWORD") or "")
        smtp.send_message(message)
