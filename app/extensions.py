"""Every extension singleton lives here; ``create_app`` binds them to an app."""
from flask import Flask
from flask_appbuilder import AppBuilder
from flask_appbuilder.models.sqla.base import SQLA
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_wtf import CSRFProtect


class TollgateAppBuilder(AppBuilder):
    def get_url_for_locale(self, lang: str) -> str:
        # FAB's own /lang/<locale> returns to its page history, often not the page the user was on.
        from flask import url_for

        from .language import here

        return url_for("language.switch", locale=lang, next=here())


db = SQLA()
appbuilder = TollgateAppBuilder(update_perms=False, base_template="admin/layout.html")
migrate = Migrate()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)


class RedisConnection:
    """The app's Redis client: a real server when REDIS_URL is set, else an in-process one.

    The in-process server (fakeredis with Lua) lets the embedded default run the same
    Lua scripts and RQ code paths as production without a Redis install.
    """

    def __init__(self) -> None:
        self.client = None
        self.url: str | None = None

    def init_app(self, app: Flask) -> None:
        self.url = app.config.get("REDIS_URL")
        if self.url:
            import redis
            from redis.backoff import NoBackoff
            from redis.retry import Retry

            # One quick retry: the gateway must fail closed fast when Redis is down, not hang.
            self.client = redis.Redis.from_url(
                self.url, socket_connect_timeout=1.0, socket_timeout=2.0, health_check_interval=30,
                retry=Retry(NoBackoff(), 1),
            )
        else:
            import fakeredis

            self.client = fakeredis.FakeRedis(server=_embedded_server())
        app.extensions["tollgate_redis"] = self


_EMBEDDED = None


def _embedded_server():
    # One in-process server per process so every app instance (and RQ) shares state.
    global _EMBEDDED
    if _EMBEDDED is None:
        import fakeredis

        _EMBEDDED = fakeredis.FakeServer()
    return _EMBEDDED


redis_conn = RedisConnection()
