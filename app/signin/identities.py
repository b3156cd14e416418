"""Accounts at outside providers linked to Tollgate users, and the rule that keeps one way in.

A provider account is found by its subject, never by email alone: an email match with an
existing Tollgate account does not sign into it (whoever controls a provider account with
that address could otherwise take it over). The owner links it from the Profile page.
"""
from sqlalchemy import func, select

from ..accounts import create_user
from ..extensions import db
from ..models import Passkey, TollgateUser, UserIdentity, utcnow
from .clients import Profile


class LinkRefused(Exception):
    pass


def find_user(provider: str, subject: str) -> TollgateUser | None:
    identity = db.session.scalar(select(UserIdentity).where(UserIdentity.provider == provider,
                                                            UserIdentity.subject == subject))
    if identity is None:
        return None
    identity.last_used_at = utcnow()
    return identity.user


def user_by_email(email: str) -> TollgateUser | None:
    return db.session.scalar(select(TollgateUser).where(func.lower(TollgateUser.email) == email.lower()))


def linked(user) -> list[UserIdentity]:
    return list(db.session.scalars(select(UserIdentity).where(UserIdentity.user_id == user.id)
                                   .order_by(UserIdentity.provider)))


def link(user, profile: Profile) -> UserIdentity:
    existing = db.session.scalar(select(UserIdentity).where(UserIdentity.provider == profile.provider,
                                                            UserIdentity.subject == profile.subject))
    if existing is not None and existing.user_id != user.id:
        raise LinkRefused("This account at the provider is already linked to another Tollgate user.")
    if existing is None:
        existing = UserIdentity(user_id=user.id, provider=profile.provider, subject=profile.subject,
                                email=profile.email)
        db.session.add(existing)
        db.session.flush()
    return existing


def unlink(user, identity_id: int) -> UserIdentity:
    identity = db.session.get(UserIdentity, identity_id)
    if identity is None or identity.user_id != user.id:
        raise LinkRefused("No such linked account.")
    if ways_in(user) <= 1:
        raise LinkRefused("This is your only way to sign in: set a password, link another provider or add a "
                          "passkey first.")
    db.session.delete(identity)
    return identity


def ways_in(user) -> int:
    """Passwords, linked providers and passkeys that can each sign ``user`` in alone."""
    identities = db.session.scalar(select(func.count()).select_from(UserIdentity).where(UserIdentity.user_id == user.id))
    passkeys = db.session.scalar(select(func.count()).select_from(Passkey).where(Passkey.user_id == user.id))
    return int(bool(user.password)) + identities + passkeys


def new_account(profile: Profile) -> TollgateUser:
    """An individual account for someone a provider vouches for; they have no password until they set one."""
    user = create_user(profile.email, profile.email, "", first_name=(profile.name or profile.email.split("@")[0])[:64],
                       last_name="-")
    user.password = None  # FAB hashes even an empty password: no password means no password sign-in at all
    user.email_verified_at = utcnow()
    link(user, profile)
    return user
