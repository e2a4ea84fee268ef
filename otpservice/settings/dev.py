"""Development settings for `make run`: DEBUG on, local secrets when none are given."""
from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
# Development-only fallbacks; production.py has none.
SECRET_KEY = SECRET_KEY or "dev-insecure-secret-key-for-make-run-only-change-me"  # noqa: F405
OTP_PEPPER = OTP_PEPPER or "dev-insecure-pepper-for-make-run-only-0000"  # noqa: F405
OTP_TOKEN_SECRET = OTP_TOKEN_SECRET or "dev-insecure-token-secret-for-make-run-only"  # noqa: F405

# make run: every message also goes, in full, to outbox.jsonl (git-ignored), so a live code is one
# `tail` away; OTP_OUTBOX_FILE elsewhere (or empty, for admin only) overrides it.
if "OTP_OUTBOX_FILE" not in env.ENVIRON:
    OTP = {**OTP, "OUTBOX_FILE": str(BASE_DIR / "outbox.jsonl")}  # noqa: F405
