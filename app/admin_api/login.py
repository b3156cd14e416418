"""POST /api/v1/security/login: FAB's token sign-in, held to the same rules as the back office's form.

FAB's own endpoint hands a JWT to anyone with a right password. Here a token goes only to
platform staff, after the second factor their account owes (sent as "totp": a code or a
recovery code) and never around an org's required single sign-on; every outcome is in the
audit log like a form sign-in.
"""
from flask import request
from flask_appbuilder.api import expose, safe
from flask_appbuilder.const import API_SECURITY_PROVIDER_DB
from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.security.schemas import login_post
from flask_jwt_extended import create_access_token, create_refresh_token
from marshmallow import ValidationError

from ..inputs import nul_field
from ..signin import flow, org_sso, totp

METHOD = "api token"


def refusal(user, code: str | None) -> tuple[str, str] | None:
    """(audit outcome, message) when ``user`` may not have a token, else None."""
    if not flow.is_staff_user(user):
        return "not staff", "API tokens are for platform staff only"
    sso = org_sso.required_for(user)
    if sso is not None and not org_sso.is_owner(user, sso.org_id):
        return "sso required", "your organization requires its single sign-on"
    if user.totp_enabled_at is not None:
        if not code:
            return "second factor required", "totp: this account needs its authenticator code"
        if totp.check(user, code) is None:
            return "bad second factor", "totp: not a valid code"
    elif flow.needs_second_factor(user, "password"):
        return "second factor required", "totp: set up a second factor in the back office first"
    return None


class TokenLoginApi(SecurityApi):
    @expose("/login", methods=["POST"])
    @safe
    def login(self):
        """Sign in with a password (and a second factor if the account has one) for a JWT
        ---
        post:
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [username, password]
                  properties:
                    username: {type: string}
                    password: {type: string}
                    provider: {type: string, enum: [db], default: db}
                    refresh: {type: boolean, description: also return a refresh token}
                    totp: {type: string, description: authenticator or recovery code, if the account has one}
          responses:
            200:
              description: access_token (and refresh_token)
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
        """
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return self.response_400(message="Request payload is not a JSON object")
        code = body.pop("totp", None)
        try:
            payload = login_post.load({"provider": API_SECURITY_PROVIDER_DB, **body})
        except ValidationError as error:
            return self.response_400(message=error.messages)
        if payload["provider"] != API_SECURITY_PROVIDER_DB:
            return self.response_400(message={"provider": ["only db"]})
        where = nul_field(payload)
        if where:  # no account's name or password holds one; PostgreSQL would fail on the lookup
            return self.response_400(message={where: ["contains a NUL character (\\u0000)"]})
        user = self.appbuilder.sm.auth_user_db(payload["username"], payload["password"])
        if not user:
            return self.response_401()
        refused = refusal(user, code if isinstance(code, str) else None)
        if refused:
            flow.record(refused[0], user, METHOD)
            return self.response(401, message=refused[1])
        flow.record("success", user, METHOD)
        tokens = {"access_token": create_access_token(identity=str(user.id), fresh=True)}
        if payload.get("refresh"):
            tokens["refresh_token"] = create_refresh_token(identity=str(user.id))
        return self.response(200, **tokens)
