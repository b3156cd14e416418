"""Tollgate configuration.

One base class read from the environment through typed helpers, then one class per
mode. ``python run.py`` with no environment uses ``DevelopmentConfig``: SQLite under
``instance/``, an in-process rate-limit store, an in-process Redis stand-in and RQ jobs
run inline. Setting ``DATABASE_URL`` / ``REDIS_URL`` switches to PostgreSQL and Redis.
"""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_int(name: str, default: int) -> int:
    raw = env_str(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None


def env_bool(name: str, default: bool) -> bool:
    raw = env_str(name)
    if raw is None:
        return default
    return raw.strip().lower() in ("1", "true", "yes", "on")


def database_url(raw: str | None) -> str | None:
    """SQLAlchemy 2.1 maps postgresql:// to psycopg 3; Tollgate ships psycopg2."""
    if raw is None:
        return None
    for scheme in ("postgresql://", "postgres://"):
        if raw.startswith(scheme):
            return "postgresql+psycopg2://" + raw[len(scheme):]
    return raw


class ConfigError(RuntimeError):
    """A setting is missing or wrong; the message names it."""


class Config:
    APP_NAME = "Tollgate"
    ENV_NAME = "base"
    SECRET_KEY = env_str("SECRET_KEY")
    # Encrypts provider API keys at rest; derived from SECRET_KEY when unset.
    TOLLGATE_ENCRYPTION_KEY = env_str("TOLLGATE_ENCRYPTION_KEY")

    SQLALCHEMY_DATABASE_URI = database_url(env_str("DATABASE_URL"))
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    # Redis holds rate limits, holds, key caches and the RQ queues.
    REDIS_URL = env_str("REDIS_URL")
    RATELIMIT_ENABLED = True  # FAB defaults this to False and would silence every limit.
    RATELIMIT_STORAGE_URI = env_str("RATELIMIT_STORAGE_URI") or env_str("REDIS_URL") or "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    RQ_ASYNC = env_bool("RQ_ASYNC", True)
    RQ_QUEUES = ["default", "webhooks", "billing"]

    # Flask-AppBuilder
    FAB_UPDATE_PERMS = False  # permissions are synced by `flask tollgate init`
    FAB_CREATE_DB = False  # the schema belongs to the migrations
    AUTH_TYPE = 1  # AUTH_DB
    AUTH_ROLE_ADMIN = "Admin"
    AUTH_ROLE_PUBLIC = "Public"
    FAB_SECURITY_MANAGER_CLASS = "app.security.TollgateSecurityManager"
    FAB_ADD_SECURITY_API = False
    FAB_API_SWAGGER_UI = False
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_FOLDER = str(BASE_DIR / "translations")
    LANGUAGES = {
        "en": {"flag": "gb", "name": "English"},
        "zh": {"flag": "cn", "name": "简体中文"},
    }
    WTF_CSRF_ENABLED = True
    # Back-office sign-in throttles (flask-limiter syntax): every attempt per client address,
    # failed attempts per account name.
    LOGIN_LIMIT_PER_IP = env_str("TOLLGATE_LOGIN_LIMIT_PER_IP", "20 per minute")
    LOGIN_LIMIT_PER_ACCOUNT = env_str("TOLLGATE_LOGIN_LIMIT_PER_ACCOUNT", "5 per 5 minutes")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"

    # Back office
    # Platform roles (Support, Finance, Auditor) come from app/roles.py through the security
    # manager: importing the app package here would be circular.
    FAB_INDEX_VIEW = "app.views.overview.TollgateIndexView"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")
    LOW_BALANCE_DEFAULT_USD = "50"

    # Public URL of this deployment, used in printed instructions and emails.
    TOLLGATE_PUBLIC_URL = env_str("TOLLGATE_PUBLIC_URL", "http://127.0.0.1:8000")
    # Serves the bundled mock upstream under /_mock (development only, never production).
    TOLLGATE_MOUNT_MOCK = False
    # A revoked key stops working within this many seconds (key cache lifetime).
    GATEWAY_KEY_CACHE_SECONDS = env_int("GATEWAY_KEY_CACHE_SECONDS", 3)
    GATEWAY_UPSTREAM_TIMEOUT_S = env_int("GATEWAY_UPSTREAM_TIMEOUT_S", 60)
    GATEWAY_TOTAL_DEADLINE_S = env_int("GATEWAY_TOTAL_DEADLINE_S", 120)
    GATEWAY_MAX_ATTEMPTS = env_int("GATEWAY_MAX_ATTEMPTS", 3)
    GATEWAY_HOLD_TTL_S = env_int("GATEWAY_HOLD_TTL_S", 900)
    # Models, groups and providers are re-read at most this often by each gateway process.
    GATEWAY_CATALOG_SECONDS = env_int("GATEWAY_CATALOG_SECONDS", 5)
    # True: usage is written to the database before the response ends (embedded default, tests).
    # False: a flusher thread in each process writes it in batches (production).
    GATEWAY_SYNC_SETTLE = env_bool("GATEWAY_SYNC_SETTLE", False)
    # Each flush is a handful of PostgreSQL round trips: batching them once a second (or at
    # GATEWAY_FLUSH_BATCH records) keeps that work from delaying the requests it shares a worker with.
    GATEWAY_FLUSH_INTERVAL_S = float(env_str("GATEWAY_FLUSH_INTERVAL_S", "1.0"))
    # False: this gateway process leaves the usage queue to the workers' flushers (lowest latency).
    GATEWAY_RUN_FLUSHER = env_bool("GATEWAY_RUN_FLUSHER", True)

    # Payments and mail
    STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY")
    STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET")
    STRIPE_API_BASE = env_str("STRIPE_API_BASE")  # points the SDK at a local server in tests
    SMTP_HOST = env_str("SMTP_HOST", "127.0.0.1")
    SMTP_PORT = env_int("SMTP_PORT", 25)
    SMTP_USER = env_str("SMTP_USER")
    SMTP_PASSWORD = env_str("SMTP_PASSWORD")
    SMTP_FROM = env_str("SMTP_FROM", "tollgate@localhost")

    # First admin for `flask tollgate init`
    ADMIN_USERNAME = env_str("TOLLGATE_ADMIN_USERNAME", "admin")
    ADMIN_EMAIL = env_str("TOLLGATE_ADMIN_EMAIL", "admin@tollgate.local")
    ADMIN_PASSWORD = env_str("TOLLGATE_ADMIN_PASSWORD")

    @classmethod
    def validate(cls) -> None:
        """Refuse to start on settings that would fail later, naming the setting."""
        from limits import parse_many

        for name, value in (("TOLLGATE_LOGIN_LIMIT_PER_IP", cls.LOGIN_LIMIT_PER_IP),
                            ("TOLLGATE_LOGIN_LIMIT_PER_ACCOUNT", cls.LOGIN_LIMIT_PER_ACCOUNT)):
            try:
                parse_many(value)
            except ValueError:
                raise ConfigError(f"{name} must be a rate such as '5 per 5 minutes', got {value!r}") from None


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    DEBUG = False
    SECRET_KEY = env_str("SECRET_KEY", "dev-only-secret-change-me")
    SQLALCHEMY_DATABASE_URI = database_url(env_str("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'tollgate.db'}"))
    RQ_ASYNC = env_bool("RQ_ASYNC", False)  # jobs run inline unless a worker is configured
    TOLLGATE_MOUNT_MOCK = True
    GATEWAY_SYNC_SETTLE = env_bool("GATEWAY_SYNC_SETTLE", True)
    ADMIN_PASSWORD = env_str("TOLLGATE_ADMIN_PASSWORD", "admin")


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret"
    WTF_CSRF_ENABLED = False
    SQLALCHEMY_DATABASE_URI = database_url(env_str("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/tollgate_test"))
    REDIS_URL = env_str("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
    RATELIMIT_STORAGE_URI = env_str("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
    RQ_ASYNC = False
    GATEWAY_KEY_CACHE_SECONDS = 0
    GATEWAY_CATALOG_SECONDS = 0
    GATEWAY_SYNC_SETTLE = True
    ADMIN_PASSWORD = "admin-password"


class ProductionConfig(Config):
    ENV_NAME = "production"
    # Production is served over HTTPS: session cookies never travel in clear text.
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    TOLLGATE_CHECK_SERVICES = True  # refuse to start when PostgreSQL or Redis is unreachable

    @classmethod
    def validate(cls) -> None:
        super().validate()
        for name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL"):
            if not env_str(name):
                raise ConfigError(f"{name} is required in production (TOLLGATE_ENV=production)")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env(default: str | None = None):
    """The config class TOLLGATE_ENV names; only ``run.py`` passes a default (development).

    A server entry point must be told its mode: falling back to development there would
    serve a dev secret, the admin/admin account and the mock's control endpoints.
    """
    name = env_str("TOLLGATE_ENV", default)
    if name is None:
        raise ConfigError("TOLLGATE_ENV is not set: set it to production (or development for a local trial; "
                          "python run.py defaults to development)")
    if name not in CONFIGS:
        raise ConfigError(f"TOLLGATE_ENV must be one of {', '.join(CONFIGS)}, got {name!r}")
    return CONFIGS[name]
