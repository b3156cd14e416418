"""GitHub and Discord stand-ins on loopback, answering only the endpoints Tollgate calls, in their documented shapes.

GitHub: /login/oauth/authorize, /login/oauth/access_token, /user, /user/emails.
Discord: /oauth2/authorize, /api/oauth2/token, /api/users/@me.
Both check the client, the code, the redirect URI and the PKCE verifier, and sign in ``next_user``.
"""
import secrets
from urllib.parse import urlencode

from flask import Flask, jsonify, redirect, request

from .oidc_provider import LoopbackServer, _client_credentials, _s256


class SocialStandIn(LoopbackServer):
    def __init__(self, kind: str, client_id: str = "social-client", client_secret: str = "social-secret"):
        self.kind, self.client_id, self.client_secret = kind, client_id, client_secret
        self.codes: dict[str, dict] = {}
        self.tokens: dict[str, dict] = {}
        self.next_user = _default_user(kind)
        self.serve(self._app())

    def _authorize(self):
        args = request.args
        if args.get("client_id") != self.client_id:
            return jsonify(error="invalid client"), 400
        code = secrets.token_hex(10)
        self.codes[code] = {"challenge": args.get("code_challenge"), "redirect_uri": args.get("redirect_uri"),
                            "user": dict(self.next_user)}
        return redirect(args["redirect_uri"] + "?" + urlencode({"code": code, "state": args["state"]}))

    def _token(self):
        form = request.form
        grant = self.codes.pop(form.get("code", ""), None)
        if _client_credentials(form) != (self.client_id, self.client_secret):
            return jsonify(error="invalid_client"), 401
        if grant is None or grant["redirect_uri"] != form.get("redirect_uri"):
            return jsonify(error="bad_verification_code" if self.kind == "github" else "invalid_grant"), 400
        if grant["challenge"] and _s256(form.get("code_verifier", "")) != grant["challenge"]:
            return jsonify(error="invalid_grant"), 400
        token = secrets.token_hex(20)
        self.tokens[token] = grant["user"]
        if self.kind == "github":
            return jsonify(access_token=token, token_type="bearer", scope="read:user,user:email")
        return jsonify(access_token=token, token_type="Bearer", expires_in=604800, refresh_token="r-" + token,
                       scope="identify email")

    def _bearer_user(self):
        header = request.headers.get("Authorization", "")
        return self.tokens.get(header.split(" ", 1)[1]) if " " in header else None

    def _app(self) -> Flask:
        app = Flask(f"{self.kind}-stand-in")
        if self.kind == "github":
            app.add_url_rule("/login/oauth/authorize", view_func=self._authorize)
            app.add_url_rule("/login/oauth/access_token", view_func=self._token, methods=["POST"])

            @app.get("/user")
            def user():
                who = self._bearer_user()
                if who is None:
                    return jsonify(message="Bad credentials"), 401
                return jsonify(id=who["id"], login=who["login"], name=who.get("name"), email=None)

            @app.get("/user/emails")
            def emails():
                who = self._bearer_user()
                if who is None:
                    return jsonify(message="Bad credentials"), 401
                return jsonify([{"email": who["email"], "primary": True, "verified": who.get("verified", True),
                                 "visibility": "private"},
                                {"email": f"{who['login']}@users.noreply.github.com", "primary": False,
                                 "verified": True, "visibility": None}])
        else:
            app.add_url_rule("/oauth2/authorize", view_func=self._authorize)
            app.add_url_rule("/api/oauth2/token", view_func=self._token, methods=["POST"])

            @app.get("/api/users/@me")
            def me():
                who = self._bearer_user()
                if who is None:
                    return jsonify(message="401: Unauthorized", code=0), 401
                return jsonify(id=who["id"], username=who["username"], global_name=who.get("global_name"),
                               discriminator="0", avatar=None, email=who["email"], verified=who.get("verified", True))
        return app


def _default_user(kind: str) -> dict:
    if kind == "github":
        return {"id": 583231, "login": "octo", "name": "Octo Cat", "email": "octo@example.com"}
    return {"id": "80351110224678912", "username": "wumpus", "global_name": "Wumpus", "email": "wumpus@example.com"}
