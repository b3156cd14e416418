"""Flask-AppBuilder's security manager, bound to Tollgate's user model, with login auditing and throttling."""
from flask import Flask, current_app, request, session
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from .models.user import TollgateUser


class TollgateSecurityManager(SecurityManager):
    user_model = TollgateUser

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

    # FAB commits the login counters before calling these hooks; the audit row gets its own commit.
    def on_user_login(self, user) -> None:
        if getattr(user, "locale", None):
            session["locale"] = user.locale  # the language chosen on the console's profile page
        self._audit_login("auth.login_success", user, user, {"username": user.username})

    def on_user_login_failed(self, user) -> None:
        self._audit_login("auth.login_failure", user, None, {"username": user.username, "reason": "bad password"})

    def auth_user_db(self, username, password):
        user = super().auth_user_db(username, password)
        if user is None and username and self.find_user(username=username) is None:
            # Unknown usernames never reach on_user_login_failed; they are worth recording too.
            self._audit_login("auth.login_failure", None, None, {"username": username[:128], "reason": "unknown user"})
        return user

    def _audit_login(self, action: str, target, actor, details: dict) -> None:
        from . import audit

        audit.record(action, target=target, details=details, actor=actor)
        self.session.commit()


def _login_account() -> str:
    return (request.form.get("username") or "").strip().lower()[:128]


def _login_failed(response) -> bool:
    # FAB answers a failed sign-in by sending the browser back to the login form.
    return response.status_code != 302 or "/login/" in response.headers.get("Location", "")
