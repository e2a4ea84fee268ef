"""Production settings refuse to start without their secrets or a delivery choice."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECRETS = {"SECRET_KEY": "s" * 40, "OTP_PEPPER": "p" * 40, "OTP_TOKEN_SECRET": "t" * 40}

def start_production(**env: str) -> subprocess.CompletedProcess:
    clean = {"PATH": os.environ.get("PATH", ""), "DJANGO_SETTINGS_MODULE": "otpservice.settings.production", **env}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60,
    )


def test_production_refuses_to_start_without_any_secret():
    result = start_production()

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert (
        "Refusing to start: set these secrets in the environment: SECRET_KEY, OTP_PEPPER, OTP_TOKEN_SECRET"
        in result.stderr
    )


@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_production_names_exactly_the_missing_secret(missing):
    result = start_production(**{name: value for name, value in SECRETS.items() if name != missing})

    assert result.returncode != 0
    assert f"set these secrets in the environment: {missing}\n" in result.stderr


def test_production_refuses_to_start_without_a_delivery_choice():
    result = start_production(**SECRETS)

    assert result.returncode != 0
    assert "Refusing to start: set OTP_DELIVERY=live" in result.stderr


def test_production_starts_with_every_secret_set():
    result = start_production(**SECRETS, OTP_DELIVERY="outbox")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "started"
