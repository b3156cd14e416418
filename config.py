"""Tollgate configuration.

One base class read from the environment through typed helpers, then one class per
mode. ``python run.py`` with no environment uses ``DevelopmentConfig``: SQLite under
``instance/``, an in-process rate-limit store, an in-process Redis stand-in and RQ jobs
run inline. Setting ``DATABASE_URL`` / ``REDIS_URL`` switches to PostgreSQL and Redis.
"""
import os
from decimal import Decimal
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


def env_float(name: str, default: float) -> float:
    raw = env_str(name)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None


def env_bool(name: str, default: bool) -> bool:
    raw = env_str(name)
    if raw is None:
        return default
    return raw.strip().lower() in ("1", "true", "yes", "on")


def env_list(name: str, default: str) -> list[str]:
    """A comma-separated setting as a list of its non-empty items."""
    return [item.strip() for item in (env_str(name) or default).split(",") if item.strip()]


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
    # Off: flask-limiter would send Retry-After on every answer; Tollgate sends it on 429 and 503 only.
    RATELIMIT_HEADERS_ENABLED = False
    # Calls a key may make to each /api/v1/me endpoint and to /v1/messages/count_tokens (flask-limiter syntax).
    ME_API_RATE_LIMIT = env_str("ME_API_RATE_LIMIT", "600/minute")
    RQ_ASYNC = env_bool("RQ_ASYNC", True)
    RQ_QUEUES = ["default", "webhooks", "billing"]

    # Flask-AppBuilder
    FAB_UPDATE_PERMS = False  # permissions are synced by `flask tollgate init`
    FAB_CREATE_DB = False  # the schema belongs to the migrations
    AUTH_TYPE = 1  # AUTH_DB
    AUTH_ROLE_ADMIN = "Admin"
    AUTH_ROLE_PUBLIC = "Public"
    FAB_SECURITY_MANAGER_CLASS = "app.security.TollgateSecurityManager"
    # Off: it would add FAB's user/role/permission CRUD APIs (and its permission-view API fails on
    # marshmallow 4). FAB's /api/v1/security/login, which hands out the admin API's JWTs, is
    # registered with the security views either way.
    FAB_ADD_SECURITY_API = False
    # On: FAB serves the admin REST API's description at /api/v1/_openapi and its Swagger page at
    # /swagger/v1 (the page loads its scripts from a CDN). Both need a signed-in staff member.
    FAB_API_SWAGGER_UI = env_bool("FAB_API_SWAGGER_UI", True)
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
    # Credits (in USD) a new account receives once from the Free plan's trial: a person's own
    # account when its email is proven, and the first org they create; 0 turns trials off.
    TRIAL_CREDITS_USD = env_str("TRIAL_CREDITS_USD", "1")
    # Days a subscription whose renewal payment failed keeps its plan before the org returns to Free.
    SUBSCRIPTION_GRACE_DAYS = env_int("SUBSCRIPTION_GRACE_DAYS", 7)
    # Gifts by Support above either limit (USD) wait for an Admin or Finance approval; an admin
    # changes them under Settings. Roles without limits (Admin) gift directly.
    GIFT_LIMIT_SUPPORT_PER_ACTION_USD = env_str("TOLLGATE_GIFT_LIMIT_SUPPORT_PER_ACTION_USD", "100")
    GIFT_LIMIT_SUPPORT_PER_DAY_USD = env_str("TOLLGATE_GIFT_LIMIT_SUPPORT_PER_DAY_USD", "500")

    # Public URL of this deployment, used in printed instructions and emails.
    TOLLGATE_PUBLIC_URL = env_str("TOLLGATE_PUBLIC_URL", "http://127.0.0.1:8000")
    # Serves the bundled mock upstream under /_mock (development only, never production).
    TOLLGATE_MOUNT_MOCK = False
    # A revoked key stops working within this many seconds (key cache lifetime).
    GATEWAY_KEY_CACHE_SECONDS = env_int("GATEWAY_KEY_CACHE_SECONDS", 3)
    GATEWAY_UPSTREAM_TIMEOUT_S = env_int("GATEWAY_UPSTREAM_TIMEOUT_S", 60)
    GATEWAY_TOTAL_DEADLINE_S = env_int("GATEWAY_TOTAL_DEADLINE_S", 120)
    GATEWAY_MAX_ATTEMPTS = env_int("GATEWAY_MAX_ATTEMPTS", 3)
    # DNS, TCP, a proxy's CONNECT and the TLS handshake together; past it the next route is tried.
    GATEWAY_CONNECT_TIMEOUT_S = float(env_str("GATEWAY_CONNECT_TIMEOUT_S", "5"))
    # A pooled upstream connection unused this long is closed rather than reused.
    GATEWAY_UPSTREAM_IDLE_S = float(env_str("GATEWAY_UPSTREAM_IDLE_S", "30"))
    # Egress proxy for https upstreams (CONNECT), read once at start; a provider's own proxy wins.
    HTTPS_PROXY = env_str("HTTPS_PROXY") or env_str("https_proxy")
    NO_PROXY = env_str("NO_PROXY") or env_str("no_proxy")
    GATEWAY_HOLD_TTL_S = env_int("GATEWAY_HOLD_TTL_S", 900)
    # A live stream extends its hold and checkpoints what it has delivered this often: if its
    # process dies, the sweep charges it up to the last checkpoint. One Redis call per beat.
    GATEWAY_HOLD_HEARTBEAT_S = env_float("GATEWAY_HOLD_HEARTBEAT_S", 3.0)
    # A stream is ended after this long (a terminal event in the caller's format), then settled.
    GATEWAY_STREAM_MAX_S = env_int("GATEWAY_STREAM_MAX_S", 1800)
    # On SIGTERM (a deploy), open streams may run this much longer, then are ended and settled.
    # gunicorn's graceful_timeout is set 10 s above it (app/gunicorn_conf.py).
    GATEWAY_DRAIN_S = env_int("GATEWAY_DRAIN_S", 20)
    # Inline (base64) attachments above this many bytes of file are refused with 400.
    GATEWAY_MAX_ATTACHMENT_BYTES = env_int("GATEWAY_MAX_ATTACHMENT_BYTES", 32 * 1024 * 1024)
    # Bodies above this many bytes are refused with 413 before they are read in full; sized for
    # long-context requests that carry images or documents inline as base64.
    GATEWAY_MAX_BODY_BYTES = env_int("GATEWAY_MAX_BODY_BYTES", 32 * 1024 * 1024)
    # Audio for /v1/audio/transcriptions: larger files are refused (OpenAI's own limit is 25 MB);
    # the hold covers at most this many seconds of audio.
    GATEWAY_MAX_UPLOAD_BYTES = env_int("GATEWAY_MAX_UPLOAD_BYTES", 25 * 1024 * 1024)
    GATEWAY_TRANSCRIPTION_MAX_SECONDS = env_int("GATEWAY_TRANSCRIPTION_MAX_SECONDS", 3 * 3600)
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
    # Percent of each provider's RPM limit kept for priority plans: other callers are refused
    # once the provider's trailing minute holds the rest (docs/billing.md, "Provider capacity").
    GATEWAY_PRIORITY_SHARE_PERCENT = env_int("GATEWAY_PRIORITY_SHARE_PERCENT", 20)

    # Operations (docs/operations.md)
    # Prometheus metrics at /metrics; off: no instruments, /metrics answers 404.
    METRICS_ENABLED = env_bool("METRICS_ENABLED", True)
    # /metrics is readable with "Authorization: Bearer <METRICS_TOKEN>" or from these networks
    # (CIDR, comma-separated); with neither, by nobody.
    METRICS_TOKEN = env_str("METRICS_TOKEN")
    METRICS_ALLOW_FROM = env_list("METRICS_ALLOW_FROM", "")
    # "json": one JSON line per finished request on stderr (ids, key prefix, model, status, timings,
    # tokens, credits; never a prompt or a secret). "off": none.
    REQUEST_LOG = env_str("REQUEST_LOG", "off")

    # Payments and mail
    STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY")
    STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET")
    # Points the SDK at another server: the Stripe stand-in (app/devtools/stripe_standin) in tests.
    STRIPE_API_BASE = env_str("STRIPE_API_BASE")
    # Webhooks signed longer ago than this are refused (replays).
    STRIPE_WEBHOOK_TOLERANCE_S = env_int("STRIPE_WEBHOOK_TOLERANCE_S", 300)
    # Checkout's payment methods, comma-separated Stripe names (e.g. "card,alipay").
    STRIPE_PAYMENT_METHODS = env_list("STRIPE_PAYMENT_METHODS", "card")
    # Serves the Stripe stand-in under /_stripe and sends Stripe calls there (development only).
    TOLLGATE_MOUNT_STRIPE_STANDIN = False
    # Bounds of one top-up, in USD; the ladder's top step is at the maximum.
    TOPUP_MIN_USD = env_str("TOPUP_MIN_USD", "5")
    TOPUP_MAX_USD = env_str("TOPUP_MAX_USD", "1250")
    # A top-up still pending this long is checked against Stripe by the reconciliation job.
    TOPUP_RECONCILE_AFTER_S = env_int("TOPUP_RECONCILE_AFTER_S", 300)
    SMTP_HOST = env_str("SMTP_HOST", "127.0.0.1")
    SMTP_PORT = env_int("SMTP_PORT", 25)
    SMTP_USER = env_str("SMTP_USER")
    SMTP_PASSWORD = env_str("SMTP_PASSWORD")
    SMTP_FROM = env_str("SMTP_FROM", "tollgate@localhost")

    # Events and outgoing webhooks (docs/webhooks.md)
    # A receiver must answer 2xx within this many seconds for a delivery to count.
    WEBHOOK_TIMEOUT_S = env_float("WEBHOOK_TIMEOUT_S", 10.0)
    # Seconds to wait before each retry of a failed delivery (about a day in all); after the
    # last one fails the endpoint is disabled and its owner told. Each wait varies by +-WEBHOOK_JITTER.
    WEBHOOK_RETRY_SCHEDULE_S = env_list("WEBHOOK_RETRY_SCHEDULE_S", "60,300,900,3600,7200,14400,28800,43200")
    WEBHOOK_JITTER = env_float("WEBHOOK_JITTER", 0.2)
    # Networks (CIDR) a webhook URL may resolve to although private or loopback, e.g. "10.1.2.0/24".
    WEBHOOK_ALLOWED_NETWORKS = env_list("WEBHOOK_ALLOWED_NETWORKS", "")
    # Events and deliveries still waiting after this many seconds are enqueued again by the sweep.
    EVENTS_SWEEP_AFTER_S = env_int("EVENTS_SWEEP_AFTER_S", 300)
    # Days of usage logs kept for individual users (orgs have their own retention_days).
    USAGE_RETENTION_DAYS = env_int("USAGE_RETENTION_DAYS", 30)
    # Usage logs deleted per transaction by the retention purge: short locks, bounded WAL.
    RETENTION_BATCH = env_int("RETENTION_BATCH", 5000)
    # Customer console (/console)
    # Off: /console/signup answers 404 and only invites create accounts.
    CONSOLE_SIGNUP_ENABLED = env_bool("CONSOLE_SIGNUP_ENABLED", True)
    # Lifetimes of the links the console mails: email verification, password reset, org invite.
    CONSOLE_VERIFY_LINK_HOURS = env_int("CONSOLE_VERIFY_LINK_HOURS", 48)
    CONSOLE_RESET_LINK_HOURS = env_int("CONSOLE_RESET_LINK_HOURS", 2)
    CONSOLE_INVITE_LINK_DAYS = env_int("CONSOLE_INVITE_LINK_DAYS", 7)
    # Posts per client address to the console forms that send mail (sign-up, password reset,
    # resend confirmation), so nobody can use Tollgate to flood an inbox (flask-limiter syntax).
    CONSOLE_MAIL_RATE_LIMIT = env_str("CONSOLE_MAIL_RATE_LIMIT", "10/hour")
    # Days a key issued by an owner or admin waits, encrypted, for its member to read it once.
    CONSOLE_KEY_REVEAL_DAYS = env_int("CONSOLE_KEY_REVEAL_DAYS", 7)

    # Sign-in beyond passwords (docs/sso.md). A provider is offered once its client id is set.
    GITHUB_CLIENT_ID = env_str("GITHUB_CLIENT_ID")
    GITHUB_CLIENT_SECRET = env_str("GITHUB_CLIENT_SECRET")
    GITHUB_BASE_URL = env_str("GITHUB_BASE_URL", "https://github.com")  # GitHub Enterprise Server, or a test stand-in
    GITHUB_API_URL = env_str("GITHUB_API_URL", "https://api.github.com")
    DISCORD_CLIENT_ID = env_str("DISCORD_CLIENT_ID")
    DISCORD_CLIENT_SECRET = env_str("DISCORD_CLIENT_SECRET")
    DISCORD_BASE_URL = env_str("DISCORD_BASE_URL", "https://discord.com")
    # Any OpenID Connect provider for the whole site, found by discovery from its issuer URL.
    OIDC_ISSUER = env_str("OIDC_ISSUER")
    OIDC_CLIENT_ID = env_str("OIDC_CLIENT_ID")
    OIDC_CLIENT_SECRET = env_str("OIDC_CLIENT_SECRET")
    OIDC_LABEL = env_str("OIDC_LABEL")  # the button's text; "Single sign-on" when unset
    OIDC_SCOPES = env_str("OIDC_SCOPES", "openid email profile")

    # Passwords set in the console or the back office: at least this long, and not one of the
    # most common passwords (a list shipped with Tollgate, app/signin/common_passwords.txt).
    PASSWORD_MIN_LENGTH = env_int("PASSWORD_MIN_LENGTH", 10)
    # On: platform staff (and Admin) must pass a TOTP second factor after their password,
    # enrolling at their next sign-in if they have none. Customers may turn it on for themselves.
    TOTP_REQUIRED_FOR_STAFF = env_bool("TOTP_REQUIRED_FOR_STAFF", False)
    FAB_PASSWORD_COMPLEXITY_ENABLED = True  # FAB's user forms apply PASSWORD_MIN_LENGTH and the list too

    # Passkeys (WebAuthn): the relying party ID (a domain) and the origin browsers sign for;
    # both follow TOLLGATE_PUBLIC_URL when unset. Passkeys are bound to the RP ID: changing it
    # makes every registered passkey unusable.
    WEBAUTHN_RP_ID = env_str("WEBAUTHN_RP_ID")
    WEBAUTHN_ORIGIN = env_str("WEBAUTHN_ORIGIN")
    # Call-log CSV exports up to this many rows stream at once; larger ones run as a background task.
    CONSOLE_EXPORT_INLINE_MAX_ROWS = env_int("CONSOLE_EXPORT_INLINE_MAX_ROWS", 10000)
    # Where export tasks write their files (web and workers must share it); empty: <instance>/exports.
    EXPORT_DIR = env_str("EXPORT_DIR")
    EXPORT_KEEP_HOURS = env_int("EXPORT_KEEP_HOURS", 72)  # export files are deleted this long after they finish

    # First admin for `flask tollgate init`
    ADMIN_USERNAME = env_str("TOLLGATE_ADMIN_USERNAME", "admin")
    ADMIN_EMAIL = env_str("TOLLGATE_ADMIN_EMAIL", "admin@tollgate.local")
    ADMIN_PASSWORD = env_str("TOLLGATE_ADMIN_PASSWORD")

    @classmethod
    def validate(cls) -> None:
        """Refuse to start on settings that would fail later, naming the setting."""
        if not 0 < cls.GATEWAY_HOLD_HEARTBEAT_S < cls.GATEWAY_HOLD_TTL_S:
            # A stream's hold would expire between two heartbeats and be swept mid-stream.
            raise ConfigError(f"GATEWAY_HOLD_HEARTBEAT_S must be above 0 and below GATEWAY_HOLD_TTL_S "
                              f"({cls.GATEWAY_HOLD_TTL_S}), got {cls.GATEWAY_HOLD_HEARTBEAT_S}")
        try:
            [float(s) for s in cls.WEBHOOK_RETRY_SCHEDULE_S]
        except ValueError:
            raise ConfigError("WEBHOOK_RETRY_SCHEDULE_S must be comma-separated seconds, "
                              f"got {','.join(cls.WEBHOOK_RETRY_SCHEDULE_S)!r}") from None
        import ipaddress

        try:
            [ipaddress.ip_network(item, strict=False) for item in cls.METRICS_ALLOW_FROM]
        except ValueError as exc:
            raise ConfigError(f"METRICS_ALLOW_FROM must be comma-separated networks such as 10.0.0.0/8: {exc}") from None
        if cls.REQUEST_LOG not in ("off", "json"):
            raise ConfigError(f"REQUEST_LOG must be off or json, got {cls.REQUEST_LOG!r}")
        try:
            trial = Decimal(cls.TRIAL_CREDITS_USD)
            if not (trial.is_finite() and trial >= 0 and trial == trial.quantize(Decimal("0.000001"))):
                raise ValueError
        except (ArithmeticError, ValueError):
            raise ConfigError(f"TRIAL_CREDITS_USD must be a non-negative amount in USD, "
                              f"got {cls.TRIAL_CREDITS_USD!r}") from None
        if not 0 <= cls.GATEWAY_PRIORITY_SHARE_PERCENT <= 100:
            raise ConfigError(f"GATEWAY_PRIORITY_SHARE_PERCENT must be between 0 and 100, "
                              f"got {cls.GATEWAY_PRIORITY_SHARE_PERCENT}")

        from decimal import InvalidOperation

        try:
            low, high = Decimal(cls.TOPUP_MIN_USD), Decimal(cls.TOPUP_MAX_USD)
        except InvalidOperation:
            raise ConfigError(f"TOPUP_MIN_USD and TOPUP_MAX_USD must be USD amounts, got "
                              f"{cls.TOPUP_MIN_USD!r} and {cls.TOPUP_MAX_USD!r}") from None
        if not Decimal("0.5") <= low <= high or low != round(low, 2) or high != round(high, 2):
            raise ConfigError(f"TOPUP_MIN_USD must be at least 0.50 and at most TOPUP_MAX_USD, both in whole cents; "
                              f"got {cls.TOPUP_MIN_USD} and {cls.TOPUP_MAX_USD}")
        if cls.STRIPE_SECRET_KEY and not cls.STRIPE_WEBHOOK_SECRET:
            raise ConfigError("STRIPE_WEBHOOK_SECRET is required with STRIPE_SECRET_KEY (payments are confirmed by webhook)")
        for name in ("GATEWAY_STREAM_MAX_S", "GATEWAY_DRAIN_S"):
            if getattr(cls, name) < 1:
                raise ConfigError(f"{name} must be at least 1 second, got {getattr(cls, name)}")
        if not 8 <= cls.PASSWORD_MIN_LENGTH <= 128:
            raise ConfigError(f"PASSWORD_MIN_LENGTH must be from 8 to 128, got {cls.PASSWORD_MIN_LENGTH}")
        if cls.OIDC_CLIENT_ID and not cls.OIDC_ISSUER:
            raise ConfigError("OIDC_ISSUER must be set when OIDC_CLIENT_ID is (the provider's issuer URL)")
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
    TOLLGATE_MOUNT_STRIPE_STANDIN = env_bool("TOLLGATE_MOUNT_STRIPE_STANDIN", not env_str("STRIPE_SECRET_KEY"))
    STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY", "sk_test_standin")
    STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET", "whsec_standin")
    GATEWAY_SYNC_SETTLE = env_bool("GATEWAY_SYNC_SETTLE", True)
    METRICS_ALLOW_FROM = env_list("METRICS_ALLOW_FROM", "127.0.0.0/8,::1/128")  # the local machine
    ADMIN_PASSWORD = env_str("TOLLGATE_ADMIN_PASSWORD", "admin")


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret-of-the-length-production-asks"
    WTF_CSRF_ENABLED = False
    SQLALCHEMY_DATABASE_URI = database_url(env_str("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/tollgate_test"))
    REDIS_URL = env_str("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
    RATELIMIT_STORAGE_URI = env_str("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
    RQ_ASYNC = False
    GATEWAY_KEY_CACHE_SECONDS = 0
    GATEWAY_CATALOG_SECONDS = 0
    GATEWAY_SYNC_SETTLE = env_bool("GATEWAY_SYNC_SETTLE", True)  # off: a gateway under test runs its flusher
    GATEWAY_CONNECT_TIMEOUT_S = 1.5
    HTTPS_PROXY = NO_PROXY = None  # tests set them where they mean to
    ADMIN_PASSWORD = "admin-password"
    STRIPE_SECRET_KEY = "sk_test_tollgate"
    STRIPE_WEBHOOK_SECRET = "whsec_tollgate_test"
    # A cheap password hash: the suite signs in thousands of times, and scrypt's cost (the
    # default everywhere else) would be most of its run time. Same code path, smaller work factor.
    FAB_PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"


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
        # It signs sessions, sign-in links and the admin API's HS256 tokens: a short one can be guessed offline.
        if len(env_str("SECRET_KEY").encode()) < 32:
            raise ConfigError("SECRET_KEY must be at least 32 bytes in production "
                              "(python -c 'import secrets; print(secrets.token_urlsafe(48))' makes one)")


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
