"""Switching language from the back office or the console, then returning to the page the user was on."""
from flask import Blueprint, Flask, abort, current_app, redirect, request, session
from flask_babel import refresh
from flask_login import current_user

from .extensions import db

bp = Blueprint("language", __name__)


def local_path(url) -> str | None:
    """``url`` when it is a path on this site (``/admin/...?x=1``), else None: never another host or scheme."""
    if not isinstance(url, str) or not url.startswith("/") or url.startswith(("//", "/\\")):
        return None
    if any(ch in url for ch in "\r\n\\") or any(ord(ch) < 32 for ch in url):
        return None
    return url


def here() -> str:
    """The current page as a local path with its query, for a language link's ``next``."""
    return request.full_path.rstrip("?")


@bp.route("/language/<locale>")
def switch(locale: str):
    if locale not in current_app.config["LANGUAGES"]:
        abort(404)
    session["locale"] = locale
    if getattr(current_user, "is_authenticated", False) and hasattr(current_user, "locale"):
        current_user.locale = locale  # the next sign-in keeps it too, as the profile form does
        db.session.commit()
    refresh()
    return redirect(local_path(request.args.get("next")) or current_app.appbuilder.get_url_for_index)


def register_language(app: Flask) -> None:
    app.register_blueprint(bp)
