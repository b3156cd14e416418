"""How a user may sign in besides a password: linked providers, passkeys, a TOTP second factor.

Per-organization SSO settings live here too: they decide where members of an org sign in.
"""
import datetime as dt

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Model, OrgRole, str_enum, utcnow


class UserIdentity(Model):
    """An account at an outside provider (github, discord, oidc, or an org's IdP "org:<id>") linked to a user."""

    __tablename__ = "user_identities"
    __table_args__ = (UniqueConstraint("provider", "subject"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(255))  # the provider's stable id, never the email
    email: Mapped[str | None] = mapped_column(String(320))  # as the provider reported it, for display
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    user = relationship("TollgateUser")


class RecoveryCode(Model):
    """A one-time code that stands in for the TOTP code; only its hash is kept."""

    __tablename__ = "recovery_codes"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class Passkey(Model):
    """A WebAuthn credential registered by a user; the public key is stored, never a secret."""

    __tablename__ = "passkeys"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"), index=True)
    credential_id: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class OrgSso(Model):
    """An organization's own OpenID Connect IdP (Enterprise plan)."""

    __tablename__ = "org_sso"
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)
    issuer: Mapped[str] = mapped_column(String(512))
    client_id: Mapped[str] = mapped_column(String(255))
    client_secret_encrypted: Mapped[str | None] = mapped_column(String(1024))  # app/crypto.py, like provider keys
    domains: Mapped[list] = mapped_column(JSON, default=list)  # lower-case email domains routed to this IdP
    default_role: Mapped[OrgRole] = mapped_column(str_enum(OrgRole), default=OrgRole.member)
    sso_required: Mapped[bool] = mapped_column(Boolean, default=False)
    role_claim: Mapped[str | None] = mapped_column(String(64))  # e.g. "groups"
    role_map: Mapped[dict] = mapped_column(JSON, default=dict)  # claim value -> org role value
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)

    org = relationship("Organization")
