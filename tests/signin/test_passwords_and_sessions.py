"""Password rules (length, the shipped list of common passwords) and sessions ended by a password change or a removal."""
import pytest

from app.extensions import db
from app.models import Membership, OrgRole
from app.signin.passwords import common_passwords
from sqlalchemy import select
from .conftest import PASSWORD, login, verified_user


def _change(client, new, current=PASSWORD):
    return client.post("/console/profile", data={"action": "password", "pw-current": current, "pw-password": new,
                                                 "pw-confirm": new})


def test_the_common_password_list_ships_with_tollgate_and_is_read_offline():
    found = common_passwords()
    assert len(found) > 200 and "password123" in found and "qwertyuiop" in found


def test_a_short_or_common_password_is_refused_naming_the_field(app):
    verified_user("paula")
    client = login(app, "paula")
    short = _change(client, "abc")
    assert short.status_code == 400 and "at least 10 characters" in short.get_data(as_text=True)
    common = _change(client, "Password123")
    assert common.status_code == 400 and "most common passwords" in common.get_data(as_text=True)
    signup = app.test_client().post("/console/signup", data={"email": "n@example.com", "password": "1234567890",
                                                              "confirm": "1234567890"})
    assert signup.status_code == 400 and "most common passwords" in signup.get_data(as_text=True)


def test_the_minimum_length_is_a_setting(app):
    verified_user("lena")
    client = login(app, "lena")
    app.config["PASSWORD_MIN_LENGTH"] = 20
    try:
        assert "at least 20 characters" in _change(client, "long-but-not-20").get_data(as_text=True)
    finally:
        app.config["PASSWORD_MIN_LENGTH"] = 10


@pytest.mark.embedded
def test_changing_the_password_ends_every_other_session_but_keeps_this_one(app):
    verified_user("sam")
    here, elsewhere = login(app, "sam"), login(app, "sam")
    assert elsewhere.get("/console/profile").status_code == 200
    assert _change(here, "a-brand-new-password-7").status_code == 302
    assert here.get("/console/profile").status_code == 200
    response = elsewhere.get("/console/profile")
    assert response.status_code == 302 and "/login/" in response.headers["Location"]
    assert login(app, "sam", "a-brand-new-password-7").get("/console/profile").status_code == 200


def test_removal_from_an_org_ends_the_removed_members_sessions(app, team):
    member_client = login(app, team["users"][OrgRole.member].username)
    owner_client = login(app, team["users"][OrgRole.owner].username)
    assert member_client.get("/console/").status_code == 200
    membership = db.session.scalar(select(Membership).where(Membership.user_id == team["users"][OrgRole.member].id))
    org_id = team["org"].id
    assert owner_client.post(f"/console/orgs/{org_id}/members/{membership.id}/remove").status_code == 302
    assert "/login/" in member_client.get("/console/").headers["Location"]
    assert owner_client.get("/console/").status_code == 200


def test_the_back_office_user_forms_apply_the_same_rules(app):
    from flask_appbuilder.exceptions import PasswordComplexityValidationError

    rule = app.config["FAB_PASSWORD_COMPLEXITY_VALIDATOR"]
    for bad in ("short", "qwertyuiop"):
        try:
            rule(bad)
        except PasswordComplexityValidationError:
            continue
        raise AssertionError(f"{bad!r} was accepted")
    rule("a-long-unusual-passphrase")
