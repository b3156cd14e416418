"""Passkeys (WebAuthn, through the ``webauthn`` library): registration and sign-in ceremonies.

Each ceremony's challenge is kept in Redis between the options and the answer (five minutes)
and taken out when used, so it works once. Not in the session cookie: a page's other requests
(static files) answering late could write an older cookie over the one holding the challenge. Passkeys are discoverable (the browser offers them without a username) and
require user verification, so a passkey alone signs in.
"""
from urllib.parse import urlsplit

import json

import webauthn
from flask import current_app
from sqlalchemy import select
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (AuthenticatorSelectionCriteria, PublicKeyCredentialDescriptor,
                                      ResidentKeyRequirement, UserVerificationRequirement)

from ..extensions import db, redis_conn
from ..models import Passkey, utcnow

CHALLENGE_TTL_S = 300


class PasskeyRefused(Exception):
    pass


def relying_party() -> tuple[str, str]:
    """(RP ID, expected origin): WEBAUTHN_RP_ID / WEBAUTHN_ORIGIN, else from TOLLGATE_PUBLIC_URL."""
    cfg = current_app.config
    public = urlsplit(cfg["TOLLGATE_PUBLIC_URL"])
    return (cfg.get("WEBAUTHN_RP_ID") or public.hostname,
            (cfg.get("WEBAUTHN_ORIGIN") or f"{public.scheme}://{public.netloc}").rstrip("/"))


def registration_options(user) -> str:
    rp_id, _origin = relying_party()
    options = webauthn.generate_registration_options(
        rp_id=rp_id, rp_name=current_app.config.get("APP_NAME", "Tollgate"), user_name=user.email or user.username,
        user_id=f"tollgate-user-{user.id}".encode(), user_display_name=user.email or user.username,
        authenticator_selection=AuthenticatorSelectionCriteria(resident_key=ResidentKeyRequirement.REQUIRED,
                                                               user_verification=UserVerificationRequirement.REQUIRED),
        # The same authenticator is not registered twice for one account.
        exclude_credentials=[PublicKeyCredentialDescriptor(id=p.credential_id) for p in of_user(user)])
    redis_conn.client.set(f"passkey:register:{user.id}", bytes_to_base64url(options.challenge), ex=CHALLENGE_TTL_S)
    return webauthn.options_to_json(options)


def register(user, credential: dict, name: str) -> Passkey:
    challenge = redis_conn.client.getdel(f"passkey:register:{user.id}")
    if not challenge:
        raise PasskeyRefused("no registration in progress")
    challenge = challenge.decode()
    rp_id, origin = relying_party()
    try:
        verified = webauthn.verify_registration_response(
            credential=credential, expected_challenge=webauthn.base64url_to_bytes(challenge), expected_rp_id=rp_id,
            expected_origin=origin, require_user_verification=True)
    except WebAuthnException as exc:
        raise PasskeyRefused(str(exc)) from None
    passkey = Passkey(user_id=user.id, credential_id=verified.credential_id, public_key=verified.credential_public_key,
                      sign_count=verified.sign_count, name=name)
    db.session.add(passkey)
    return passkey


def sign_in_options() -> str:
    rp_id, _origin = relying_party()
    options = webauthn.generate_authentication_options(rp_id=rp_id,
                                                       user_verification=UserVerificationRequirement.REQUIRED)
    redis_conn.client.set(f"passkey:sign-in:{bytes_to_base64url(options.challenge)}", 1, ex=CHALLENGE_TTL_S)
    return webauthn.options_to_json(options)


def sign_in(credential: dict) -> Passkey:
    """The passkey that answered one of our open challenges; its counter moves on (a cloned authenticator lags)."""
    try:
        raw_id = webauthn.base64url_to_bytes(credential["rawId"])
        client_data = json.loads(webauthn.base64url_to_bytes(credential["response"]["clientDataJSON"]))
        challenge = str(client_data["challenge"])
    except (KeyError, TypeError, ValueError):
        raise PasskeyRefused("malformed credential") from None
    if not redis_conn.client.delete(f"passkey:sign-in:{challenge}"):
        raise PasskeyRefused("no sign-in in progress with this challenge")
    passkey = db.session.scalar(select(Passkey).where(Passkey.credential_id == raw_id))
    if passkey is None:
        raise PasskeyRefused("unknown passkey")
    rp_id, origin = relying_party()
    try:
        verified = webauthn.verify_authentication_response(
            credential=credential, expected_challenge=webauthn.base64url_to_bytes(challenge), expected_rp_id=rp_id,
            expected_origin=origin, credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count, require_user_verification=True)
    except WebAuthnException as exc:
        raise PasskeyRefused(str(exc)) from None
    passkey.sign_count, passkey.last_used_at = verified.new_sign_count, utcnow()
    return passkey


def of_user(user) -> list[Passkey]:
    return list(db.session.scalars(select(Passkey).where(Passkey.user_id == user.id).order_by(Passkey.created_at)))
