"""Production settings: DEBUG off and every secret required from the environment."""
from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import OTP_PEPPER, OTP_TOKEN_SECRET, SECRET_KEY, env

DEBUG = env.bool("DEBUG", default=False)

_missing = [
    name
    for name, value in (
        ("SECRET_KEY", SECRET_KEY),
        ("OTP_PEPPER", OTP_PEPPER),
        ("OTP_TOKEN_SECRET", OTP_TOKEN_SECRET),
    )
    if not value
]
if _missing and not DEBUG:
    raise ImproperlyConfigured(
        "Refusing to start: set these secrets in the environment: " + ", ".join(_missing)
    )

# A deployment must choose where messages go: the outbox default would charge every send and
# tell the API it was SENT while no user ever receives a code.
if "OTP_DELIVERY" not in env.ENVIRON:
    raise ImproperlyConfigured(
        "Refusing to start: set OTP_DELIVERY=live (Twilio and SendGrid), or OTP_DELIVERY=outbox to keep "
        "messages in the database only (a demo, not a deployment)"
    )

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Persistent database connections (DESIGN.md §3, docs/operations.md): a new PostgreSQL connection per
# request cost more than half of an authenticated GET (docs/benchmarks.md). Health checks make the
# first request on a kept connection after a database restart reconnect instead of answering 503.
# The DATABASE_URL's own conn_max_age / conn_health_checks, when given, win; DB_CONN_MAX_AGE=0
# turns persistence off (e.g. behind PgBouncer in transaction mode).
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))  # noqa: F405
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)  # noqa: F405
# A kept connection is checked with SELECT 1 at most this often; in between, a look at its socket
# (no round trip) catches a server that closed it. 0: before every request, as Django does.
DATABASES["default"].setdefault("HEALTH_CHECK_SECONDS", env.float("DB_HEALTH_CHECK_SECONDS", default=5.0))  # noqa: F405
