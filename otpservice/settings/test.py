"""Test settings: fast bcrypt, fixed secrets, database and Redis from the environment."""
from .base import *  # noqa: F403
from .base import OTP, env

DEBUG = False
SECRET_KEY = "test-secret-key-0123456789abcdef0123456789"
OTP_PEPPER = "test-pepper-0123456789abcdef0123456789abcdef"
OTP_TOKEN_SECRET = "test-token-secret-0123456789abcdef0123456789"
OTP["BCRYPT_ROUNDS"] = env.int("OTP_BCRYPT_ROUNDS", default=4)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ALLOWED_HOSTS = ["*"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# No collectstatic in tests: WhiteNoise serves app static files (Swagger UI) through the finders.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
