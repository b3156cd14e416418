"""A real OpenID Connect provider on loopback, for tests: discovery, JWKS, RS256 ID tokens, PKCE.

It signs in whoever the test says (``next_user``) without asking, and can be told to issue a
bad token (``tamper``: "audience", "expired", "signature", "issuer") to prove the client refuses it.
"""
import base64
import hashlib
import secrets
import threading
import time
from urllib.parse import urlencode

from flask import Flask, jsonify, redirect, request
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from werkzeug.serving import make_server

from tests.gateway.netservers import QuietHandler


class LoopbackServer:
    """A Flask app served on 127.0.0.1 in a thread; ``url`` is its address."""

    def serve(self, app: Flask) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self._thread.join(5)


class LocalOidcProvider(LoopbackServer):
    def __init__(self, client_id: str = "tollgate-test", client_secret: str = "test-secret-1"):
        self.client_id, self.client_secret = client_id, client_secret
        self.key = RSAKey.generate_key(2048, parameters={"kid": "signing-1"})
        self.next_user: dict = {"sub": "user-1", "email": "person@example.com", "email_verified": True}
        self.tamper: str | None = None
        self.codes: dict[str, dict] = {}
        self.token_requests: list[dict] = []
        self.serve(self._app())
        self.issuer = self.url

    def id_token(self, claims: dict, nonce: str | None) -> str:
        now = int(time.time())
        body = {"iss": self.issuer, "aud": self.client_id, "iat": now, "exp": now + 300, **claims}
        if nonce:
            body["nonce"] = nonce
        key = self.key
        if self.tamper == "audience":
            body["aud"] = "someone-else"
        elif self.tamper == "audience-azp":  # issued to another client, naming us as authorized party
            body["aud"], body["azp"] = "someone-else", self.client_id
        elif self.tamper == "expired":
            body["iat"], body["exp"] = now - 7200, now - 3600
        elif self.tamper == "issuer":
            body["iss"] = "http://evil.example"
        elif self.tamper == "signature":
            key = RSAKey.generate_key(2048, parameters={"kid": "signing-1"})  # same kid, another key
        return jwt.encode({"alg": "RS256", "kid": "signing-1"}, body, key)

    def _app(self) -> Flask:
        app = Flask("local-oidc")

        @app.get("/.well-known/openid-configuration")
        def discovery():
            return jsonify(issuer=self.issuer, authorization_endpoint=f"{self.issuer}/authorize",
                           token_endpoint=f"{self.issuer}/token", jwks_uri=f"{self.issuer}/jwks",
                           userinfo_endpoint=f"{self.issuer}/userinfo", response_types_supported=["code"],
                           subject_types_supported=["public"], id_token_signing_alg_values_supported=["RS256"],
                           code_challenge_methods_supported=["S256"],
                           token_endpoint_auth_methods_supported=["client_secret_basic", "client_secret_post"])

        @app.get("/jwks")
        def jwks():
            return jsonify(KeySet([self.key]).as_dict(private=False))

        @app.get("/authorize")
        def authorize():
            args = request.args
            if args.get("client_id") != self.client_id or args.get("code_challenge_method") != "S256":
                return jsonify(error="invalid_request"), 400
            code = secrets.token_urlsafe(16)
            self.codes[code] = {"challenge": args["code_challenge"], "nonce": args.get("nonce"),
                                "redirect_uri": args["redirect_uri"], "user": dict(self.next_user)}
            return redirect(args["redirect_uri"] + "?" + urlencode({"code": code, "state": args["state"]}))

        @app.post("/token")
        def token():
            form = request.form
            self.token_requests.append(form.to_dict())
            client_id, secret = _client_credentials(form)
            grant = self.codes.pop(form.get("code", ""), None)
            if (client_id, secret) != (self.client_id, self.client_secret):
                return jsonify(error="invalid_client"), 401
            if grant is None or form.get("redirect_uri") != grant["redirect_uri"]:
                return jsonify(error="invalid_grant"), 400
            if _s256(form.get("code_verifier", "")) != grant["challenge"]:
                return jsonify(error="invalid_grant", error_description="PKCE verifier does not match"), 400
            return jsonify(access_token=secrets.token_urlsafe(16), token_type="Bearer", expires_in=300,
                           id_token=self.id_token(grant["user"], grant["nonce"]))

        return app


def _client_credentials(form) -> tuple[str | None, str | None]:
    auth = request.authorization
    if auth is not None and auth.type == "basic":
        return auth.username, auth.password
    return form.get("client_id"), form.get("client_secret")


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
