"""Tollgate's user: Flask-AppBuilder's user with a billing tier and alert settings."""
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import Column, DateTime, Integer, String
from sqlalchemy.orm import relationship

from .base import Credits, UserTier, str_enum


class TollgateUser(User):
    # Same table as FAB's user: the extra columns are added to ab_user.
    __tablename__ = "ab_user"
    tier = Column(str_enum(UserTier), default=UserTier.individual, nullable=False)
    low_balance_threshold = Column(Credits)
    # Soft delete: set with active=False; the user leaves the lists, their wallet and ledger stay.
    deleted_at = Column(DateTime)
    # Set when the user follows the link mailed at sign-up (or an invite to this address).
    email_verified_at = Column(DateTime)
    # The console's language ("en" / "zh"); None follows the browser.
    locale = Column(String(8))
    # Every session remembers the value it started with; raising it (password change, removal
    # from an org) signs out every other session at its next request.
    session_generation = Column(Integer, default=0, nullable=False, server_default="0")
    # TOTP second factor: the secret encrypted like provider keys (app/crypto.py); on once confirmed.
    totp_secret_encrypted = Column(String(255))
    totp_enabled_at = Column(DateTime)

    memberships = relationship("Membership", back_populates="user", cascade="all, delete-orphan")
    wallet = relationship("Wallet", back_populates="user", uselist=False)

    def __repr__(self) -> str:
        return self.username
