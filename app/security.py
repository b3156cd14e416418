"""Flask-AppBuilder's security manager, bound to Tollgate's user model, with login auditing and throttling.

Password sign-in stays FAB's (its form, its hashing, its counters); the view below only hands
a checked password to app/signin/flow.py, which every other way of signing in shares.
"""
from flask import Flask, current_app, flash, g, jsonify, redirect, request
from flask_appbuilder._compat import as_unicode
from flask_appbuilder.security.forms import LoginForm_db
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import AuthDBView
from flask_appbuilder.utils.base import get_safe_redirect
from flask_appbuilder.views import expose
from flask_jwt_extended import JWTManager
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from . import audit
from .admin_api.login import TokenLoginApi
from .models.user import TollgateUser
from .signin import clients, flow


class TollgateAuthDBView(AuthDBView):
    """FAB's login form and checks; what follows a right password is app/signin/flow.py's."""

    login_template = "signin/login.html"

    @expose("/login/", methods=["GET", "POST"])
    def login(self):
        if g.user is not None and g.user.is_authenticated:
            return redirect(self._get_safe_next_url())
        form = LoginForm_db()
        if form.validate_on_submit():
            next_url = get_safe_redirect(request.args.get("next", ""))
            user = self.appbuilder.sm.auth_user_db(form.username.data, form.password.data)
            if not user:
                flash(as_unicode(self.invalid_login_message), "warning")
                return redirect(self.appbuilder.get_url_for_login_with(next_url))
            return flow.proceed(user, "password", None, next_url)
        return self.render_template(self.login_template, title=self.title, form=form, appbuilder=self.appbuilder,
                                    signin_providers=clients.providers())


class TollgateSecurityManager(SecurityManager):
    user_model = TollgateUser
    authdbview = TollgateAuthDBView
    security_api = TokenLoginApi

    @staticmethod
    def create_builtin_roles():
        """Platform roles from app/roles.py; FAB_ROLES in config may add or override roles."""
        from flask import current_app

        from .roles import FAB_ROLES

        return {**FAB_ROLES, **current_app.config.get("FAB_ROLES", {})}

    def sync_builtin_roles(self) -> None:
        """Create the Admin and Public roles and every role declared in FAB_ROLES.

        FAB would do this (and create tables) when it starts; Tollgate turns that off
        (FAB_CREATE_DB = False) so migrations own the schema and start-up never writes.
        FAB_ROLES roles are checked in memory against their anchored patterns, so only
        the role rows are created here: writing the patterns as permission rows would
        fill the permission tables with regexes.
        """
        for role_name in self.builtin_roles:
            self.add_role(role_name)
        self.add_role(self.auth_role_admin)
        self.add_role(self.auth_role_public)

    def create_limiter(self, app: Flask) -> Limiter:
        # A Redis outage must not lock staff out of the back office: the sign-in throttles
        # step aside (flask-limiter logs the error) until Redis answers again.
        limiter = Limiter(key_func=get_remote_address, swallow_errors=True)
        limiter.init_app(app)
        return limiter

    def create_jwt_manager(self, app: Flask) -> JWTManager:
        """FAB's JWT manager, with tokens tied to the session generation and 401s in FAB's JSON shape."""
        manager = super().create_jwt_manager(app)
        manager.additional_claims_loader(self._token_claims)
        manager.unauthorized_loader(lambda reason: _unauthorized(reason))
        manager.invalid_token_loader(lambda reason: _unauthorized(reason))
        manager.expired_token_loader(lambda _header, _data: _unauthorized("Token has expired"))
        manager.user_lookup_error_loader(lambda _header, _data: _unauthorized("Token no longer valid"))
        return manager

    def _token_claims(self, identity) -> dict:
        user = self.get_user_by_id(int(identity))
        return {"gen": (user.session_generation or 0) if user else 0}

    def load_user_jwt(self, _jwt_header, jwt_data):
        """The token's user while active and while their sessions are current: a password change or
        removal from an org ends API tokens as it ends browser sessions."""
        user = self.get_user_by_id(int(jwt_data["sub"]))
        if user is None or not user.is_active or jwt_data.get("gen") != (user.session_generation or 0):
            return None
        g.user = user
        return user

    def register_views(self) -> None:
        super().register_views()
        self._throttle_logins()

    def _throttle_logins(self) -> None:
        """Sign-in attempts are limited per client address and, for failures, per account name.

        Both refusals carry the same message, so a refusal tells nothing about whether the
        account exists. FAB's own AUTH_RATE_LIMITED stays off: it has neither the account
        limit nor a message of our choosing.
        """
        cfg = current_app.config
        message = "Too many sign-in attempts. Wait a few minutes and try again."
        blueprint = self.auth_view.blueprint
        self.limiter.limit(cfg["LOGIN_LIMIT_PER_IP"], methods=["POST"], error_message=message,
                           scope="login-ip")(blueprint)
        self.limiter.limit(cfg["LOGIN_LIMIT_PER_ACCOUNT"], methods=["POST"], error_message=message,
                           scope="login-account", key_func=_login_account,
                           deduct_when=_login_failed)(blueprint)
        # The API's token sign-in shares both budgets with the form.
        token_login = self.security_api.__name__  # FAB names the blueprint after the class
        api_blueprint = current_app.blueprints[token_login]
        self.limiter.limit(cfg["LOGIN_LIMIT_PER_IP"], error_message=message, scope="login-ip")(api_blueprint)
        self.limiter.limit(cfg["LOGIN_LIMIT_PER_ACCOUNT"], error_message=message, scope="login-account",
                           key_func=_login_account, deduct_when=_login_failed)(api_blueprint)

    # A right password is not yet a sign-in (a second factor or the org's SSO may still be owed):
    # app/signin/flow.py records the success when the session starts.
    def on_user_login(self, user) -> None:
        pass

    # FAB commits the failure counter before calling this hook; the audit row gets its own commit.
    def on_user_login_failed(self, user) -> None:
        flow.record("bad password", user)

    def on_user_logout(self, user) -> None:
        audit.record("auth.logout", target=user, actor=user)
        self.session.commit()

    def auth_user_db(self, username, password):
        known = self.find_user(username=username) or self.find_user(email=username) if username else None
        if known is not None and not known.password:
            # Signed up through a provider: there is no password to check (FAB would fail on the missing hash).
            flow.record("no password", known)
            return None
        if known is not None and not known.is_active:
            flow.record("inactive", known)
            return None
        user = super().auth_user_db(username, password)
        if user is None and username and known is None:
            # Unknown usernames never reach on_user_login_failed; they are worth recording too.
            flow.record("unknown user", None, username=username[:128])
        return user

    def load_user(self, pk):
        """The signed-in user, unless their sessions were ended (password changed, removed from an org)."""
        user = super().load_user(pk)
        return user if user is not None and flow.session_is_current(user) else None


def _login_account() -> str:
    body = request.get_json(silent=True) if request.is_json else None
    name = body.get("username") if isinstance(body, dict) else request.form.get("username")
    return (name if isinstance(name, str) else "").strip().lower()[:128]


def _login_failed(response) -> bool:
    if request.is_json:
        return response.status_code != 200  # the token sign-in answers 200 with the token
    # FAB answers a failed sign-in by sending the browser back to the login form.
    return response.status_code != 302 or "/login/" in response.headers.get("Location", "")


def _unauthorized(reason: str):
    return jsonify(message=reason), 401
