"""Settings shared by every environment, read from the process environment (12-factor)."""
from pathlib import Path

from otp.conf import otp_settings_from_env

# Celery (broker, queues, retries, beat) lives in celery_conf.py; every CELERY_ setting is one here.
from .celery_conf import *  # noqa: F403
from .env import REDIS_URL, env  # noqa: F401 (REDIS_URL: a setting)

BASE_DIR = Path(__file__).resolve().parent.parent.parent

DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

# Secrets: each environment module decides whether a development default is acceptable.
SECRET_KEY = env.str("SECRET_KEY", default="")
OTP_PEPPER = env.str("OTP_PEPPER", default="")
OTP_TOKEN_SECRET = env.str("OTP_TOKEN_SECRET", default="")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "otp",
    "otp.dashboard",
    "contacts",
    "wallet",
    "templates_app",
    "events",
    "axes",
    "auditlog",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "otpservice.middleware.RequestIdMiddleware",
    "otpservice.middleware.ApiExceptionMiddleware",
    "otpservice.middleware.AdminQueryTextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Names the staff user behind each audited change (django-auditlog's actor), and the address;
    # not set for the API's reads, which change no audited row (otpservice.middleware).
    "otpservice.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: it answers a locked-out login.
    "axes.middleware.AxesMiddleware",
]

# Admin logins are throttled by django-axes (docs/security.md): AxesStandaloneBackend first refuses
# a locked-out username and address before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# The pair of username and client address is locked out after this many wrong passwords in a row,
# for the cool-off time: a guesser is stopped without locking the real staff member out from
# elsewhere, and one address cannot lock out every username.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The same client address the rate limits use, honouring TRUSTED_PROXY_COUNT.
AXES_CLIENT_IP_CALLABLE = "otpservice.admin_login.admin_client_ip"
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"

# Audit log (django-auditlog, docs/admin.md): every create, change and delete of these models is
# recorded with who, when, and each field before and after. A new model operators change (lists,
# webhooks) is audited by adding it here. Secrets are never recorded: the key hash and password
# are left out, and code hashes live on models that are not audited. Top-ups and session cancels
# and expiries, which change no audited row, are written by their admin actions.
AUDITLOG_INCLUDE_TRACKING_MODELS = (
    {"model": "accounts.Account"},
    {"model": "accounts.ApiKey", "exclude_fields": ["key_hash", "last_used_at"]},
    {"model": "accounts.AbusePolicy", "exclude_fields": ["updated_at"]},
    {"model": "wallet.Wallet", "exclude_fields": ["balance", "updated_at"]},
    {"model": "wallet.Price", "exclude_fields": ["updated_at"]},
    {"model": "templates_app.OTPTemplate"},
    {
        "model": "events.WebhookEndpoint",
        "exclude_fields": ["secret_sealed", "previous_secret_sealed", "previous_secret_expires_at", "updated_at"],
    },
    {"model": "otp.FraudListEntry"},
    # The fixed code is sealed (code_sealed) and never recorded; code_length is.
    {"model": "otp.TestRecipient", "exclude_fields": ["code_sealed"]},
    {"model": "auth.User", "exclude_fields": ["password", "last_login"], "m2m_fields": ["groups"]},
    {"model": "auth.Group", "m2m_fields": ["permissions"]},
)

ROOT_URLCONF = "otpservice.urls"
WSGI_APPLICATION = "otpservice.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend with its health check run at most once per HEALTH_CHECK_SECONDS
    # (otpservice/db/postgresql/base.py): a SELECT 1 before every request cost a round trip.
    DATABASES["default"]["ENGINE"] = "otpservice.db.postgresql"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent writers (runserver threads, eager tasks) wait for the lock instead of failing.
    # IMMEDIATE takes the write lock when a transaction starts, so read-then-write sections
    # (attempt counting, balances) are serialized on SQLite as select_for_update does elsewhere.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="otp"),
            # Rate limits read the cache on every OTP request: an unreachable Redis must fail
            # fast (503, see otp.ratelimits) rather than hang the worker.
            "OPTIONS": {
                "socket_connect_timeout": env.float("REDIS_SOCKET_TIMEOUT", default=1.0),
                "socket_timeout": env.float("REDIS_SOCKET_TIMEOUT", default=1.0),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Seconds an API key, its account and abuse policy stay cached in each process (accounts.auth_cache),
# and the account's prices, lists, test recipients, webhook endpoints and active templates
# (otpservice.process_cache): how late a change made in another process takes effect. 0: no cache.
API_KEY_CACHE_SECONDS = env.float("API_KEY_CACHE_SECONDS", default=5)

# Rate limits (otp.ratelimits, docs/rate-limits.md). X-Forwarded-For is read only when this many
# proxies of ours append to it; 0 means REMOTE_ADDR is the client.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# django-ratelimit's own switches: off for load benchmarks; fail open runs without limits
# when the cache is unreachable (the default answers 503 instead).
RATELIMIT_ENABLE = env.bool("RATELIMIT_ENABLE", default=True)
RATELIMIT_FAIL_OPEN = env.bool("RATELIMIT_FAIL_OPEN", default=False)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Bodies larger than this are refused with payload_too_large before parsing. Provider webhooks
# (otp/webhooks.py) read their body themselves under their own 1 MB bound.
MAX_REQUEST_BODY_BYTES = 64 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY_BYTES

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["otpservice.parsers.StrictJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "otpservice.errors.exception_handler",
    # No OPTIONS metadata: the API is described by /api/schema/, and DRF's metadata would ask
    # viewsets without a serializer_class for one (a 500). OPTIONS answers 405 instead.
    "DEFAULT_METADATA_CLASS": None,
    "UNAUTHENTICATED_USER": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "OTP verification service",
    "DESCRIPTION": "Send one-time codes over email, SMS and WhatsApp in one session and verify them.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "PREPROCESSING_HOOKS": ["otpservice.schema.canonical_paths"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "APPEND_COMPONENTS": {
        "securitySchemes": {"ApiKeyAuth": {"type": "apiKey", "in": "header", "name": "X-API-Key"}}
    },
    "SECURITY": [{"ApiKeyAuth": []}],
    "ENUM_NAME_OVERRIDES": {"ChannelEnum": "otp.models.Channel", "SessionStatusEnum": "otp.models.SessionStatus"},
}

# OTP tunables: defaults and types in otp/conf.py (SPEC), each replaced by OTP_<NAME> when set;
# read through otp.conf.otp_setting(); a system check rejects unknown keys and wrong types.
OTP = otp_settings_from_env(env)

# Providers (used where OTP_DELIVERY or OTP_DELIVERY_<CHANNEL> is "live").
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_SMS_FROM = env.str("TWILIO_SMS_FROM", default="")
TWILIO_MESSAGING_SERVICE_SID = env.str("TWILIO_MESSAGING_SERVICE_SID", default="")
TWILIO_WHATSAPP_FROM = env.str("TWILIO_WHATSAPP_FROM", default="")
# A Content template for WhatsApp (required outside the 24-hour session window): its SID and a
# JSON map of its numbered variables to ours (otp, expiry_minutes, app_name).
TWILIO_WHATSAPP_CONTENT_SID = env.str("TWILIO_WHATSAPP_CONTENT_SID", default="")
TWILIO_WHATSAPP_CONTENT_VARIABLES = env.json("TWILIO_WHATSAPP_CONTENT_VARIABLES", default={"1": "otp"})
TWILIO_API_BASE_URL = env.str("TWILIO_API_BASE_URL", default="")
SENDGRID_API_KEY = env.str("SENDGRID_API_KEY", default="")
SENDGRID_FROM_EMAIL = env.str("SENDGRID_FROM_EMAIL", default="")
SENDGRID_FROM_NAME = env.str("SENDGRID_FROM_NAME", default="")
SENDGRID_API_BASE_URL = env.str("SENDGRID_API_BASE_URL", default="")
# Base64 ECDSA public key from SendGrid's "Signed Event Webhook" settings.
SENDGRID_WEBHOOK_PUBLIC_KEY = env.str("SENDGRID_WEBHOOK_PUBLIC_KEY", default="")
# Seconds a signed SendGrid event batch stays acceptable (replay window).
SENDGRID_WEBHOOK_MAX_AGE_SECONDS = env.int("SENDGRID_WEBHOOK_MAX_AGE_SECONDS", default=600)
PROVIDER_TIMEOUT_SECONDS = env.float("PROVIDER_TIMEOUT_SECONDS", default=10.0)
# The public URL this service is reached at (https://otp.example.com): Twilio status callbacks
# are sent there and their signatures are computed over it.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="")

# Housekeeping: sessions older than this are deleted by the beat task.
OTP_RETENTION_DAYS = env.int("OTP_RETENTION_DAYS", default=30)
# Webhooks to the integrator (events/conf.py has the defaults, docs/webhooks.md the rules).
# Plain http and loopback/private/link-local/metadata addresses: development and tests only.
OTP_WEBHOOKS_ALLOW_PRIVATE = env.bool("OTP_WEBHOOKS_ALLOW_PRIVATE", default=False)
# Fernet keys sealing endpoint secrets at rest, newest first; empty: derived from SECRET_KEY.
OTP_WEBHOOKS_ENCRYPTION_KEYS = env.list("OTP_WEBHOOKS_ENCRYPTION_KEYS", default=[])
OTP_WEBHOOKS_TIMEOUT_SECONDS = env.float("OTP_WEBHOOKS_TIMEOUT_SECONDS", default=10.0)
OTP_WEBHOOKS_SECRET_GRACE_SECONDS = env.int("OTP_WEBHOOKS_SECRET_GRACE_SECONDS", default=24 * 3600)
OTP_WEBHOOKS_MAX_ENDPOINTS = env.int("OTP_WEBHOOKS_MAX_ENDPOINTS", default=20)
OTP_WEBHOOKS_RETENTION_DAYS = env.int("OTP_WEBHOOKS_RETENTION_DAYS", default=30)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "scrub_codes": {"()": "otpservice.logging.ScrubCodesFilter"},
        # Django's log_response() records carry the status_code.
        "no_client_errors": {
            "()": "django.utils.log.CallbackFilter",
            "callback": lambda record: not 400 <= getattr(record, "status_code", 0) < 500,
        },
    },
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["scrub_codes"]},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # The Twilio SDK logs request bodies (which carry the code) at INFO.
        "twilio": {"level": "WARNING"},
        "twilio.http_client": {"level": "WARNING"},
        "sendgrid": {"level": "WARNING"},
        # SendGrid's HTTP layer logs whole request bodies (the code) at DEBUG.
        "python_http_client": {"level": "WARNING"},
        # Django's own console handler (DEBUG) would print every record a second time beside root's.
        "django": {"handlers": [], "propagate": True},
        # A 4xx is logged once, by the access log (runserver's django.server, gunicorn's
        # --access-logfile): django.request keeps the 5xx and its other records.
        "django.request": {"filters": ["no_client_errors"]},
    },
}
