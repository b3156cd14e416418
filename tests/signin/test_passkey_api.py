"""The passkey endpoints refuse bad input with JSON naming the field, and never sign anyone in on a forged answer."""
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, Passkey, utcnow
from .conftest import login, verified_user


def test_sign_in_without_a_ceremony_or_with_an_unknown_passkey_is_refused(client):
    assert client.post("/signin/passkey", json={}).get_json() == {
        "error": {"field": "credential", "message": "the browser's answer is missing"}}
    client.post("/signin/passkey/options")
    response = client.post("/signin/passkey", json={"credential": {"id": "AAAA", "rawId": "AAAA", "type": "public-key",
                                                                   "response": {}}})
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "credential"
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "auth.login_failure"))
    assert (row.details["method"], row.details["reason"]) == ("passkey", "passkey refused")
    assert client.get("/console/profile").status_code == 302


def test_sign_in_options_ask_for_a_discoverable_verified_passkey(client):
    options = client.post("/signin/passkey/options").get_json()
    assert options["userVerification"] == "required" and options["rpId"] and len(options["challenge"]) >= 43
    assert "allowCredentials" not in options or options["allowCredentials"] == []


def test_registration_needs_a_name_and_an_answer(app):
    verified_user("reg")
    client = login(app, "reg")
    options = client.post("/console/profile/passkeys/options").get_json()
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert client.post("/console/profile/passkeys", json={"credential": {}}).get_json()["error"]["field"] == "name"
    assert client.post("/console/profile/passkeys", json={"name": "x" * 65}).status_code == 400
    assert client.post("/console/profile/passkeys", json={"name": "ok"}).get_json()["error"]["field"] == "credential"


def test_the_last_passkey_of_an_account_without_password_cannot_be_removed(app):
    user = verified_user("keyonly")
    client = login(app, "keyonly")
    user.password = None
    passkey = Passkey(user_id=user.id, credential_id=b"cred-1", public_key=b"k", sign_count=0, name="Only",
                      created_at=utcnow())
    db.session.add(passkey)
    db.session.commit()
    response = client.post(f"/console/profile/passkeys/{passkey.id}/remove", follow_redirects=True)
    assert "only way to sign in" in response.get_data(as_text=True)
    assert db.session.get(Passkey, passkey.id) is not None
    other = verified_user("other")
    other_passkey = Passkey(user_id=other.id, credential_id=b"cred-2", public_key=b"k", sign_count=0, name="Theirs")
    db.session.add(other_passkey)
    db.session.commit()
    assert client.post(f"/console/profile/passkeys/{other_passkey.id}/remove").status_code == 404


def test_an_answer_to_a_challenge_never_issued_or_already_used_is_refused(client):
    import base64
    import json

    issued = client.post("/signin/passkey/options").get_json()["challenge"]

    def answer(challenge):
        data = json.dumps({"type": "webauthn.get", "challenge": challenge, "origin": "http://localhost"}).encode()
        return {"credential": {"id": "AAAA", "rawId": "AAAA", "type": "public-key",
                               "response": {"clientDataJSON": base64.urlsafe_b64encode(data).rstrip(b"=").decode()}}}

    assert client.post("/signin/passkey", json=answer("bm90LWlzc3VlZA")).status_code == 400
    client.post("/signin/passkey", json=answer(issued))  # refused later (unknown passkey), but the challenge is spent
    client.post("/signin/passkey", json=answer(issued))
    errors = [r.details["error"] for r in db.session.scalars(select(AuditLog).where(
        AuditLog.action == "auth.login_failure").order_by(AuditLog.id))]
    assert errors == ["no sign-in in progress with this challenge", "unknown passkey",
                      "no sign-in in progress with this challenge"]
