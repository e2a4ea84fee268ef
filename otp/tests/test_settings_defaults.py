"""OTP defaults are written once (otp/conf.py SPEC), the accessor checks types, check ids are unique."""
from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from otp.channels import CHANNEL_NAMES as DELIVERY_CHANNELS
from otp.checks import check_otp_settings
from otp.conf import SPEC, otp_setting

ROOT = Path(__file__).resolve().parents[2]
CHECK_CLASSES = {"Critical", "Error", "Warning", "Info", "Debug", "CheckMessage"}


def settings_otp(**environment: str) -> dict:
    """settings.OTP as otpservice.settings.base builds it in a process with only this environment."""
    env = {"PATH": os.environ.get("PATH", ""), "DJANGO_SETTINGS_MODULE": "otpservice.settings.base", **environment}
    script = "import json; from django.conf import settings; print(json.dumps(settings.OTP))"
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_with_no_environment_settings_hold_exactly_the_declared_defaults_and_types():
    otp = settings_otp()
    expected = {name: default for name, (default, _kind) in SPEC.items()}
    expected["DELIVERY_BY_CHANNEL"] = dict.fromkeys(DELIVERY_CHANNELS, "")
    assert otp == expected
    for name, (_default, kind) in SPEC.items():
        assert type(otp[name]) is kind, name  # JSON keeps 2.0 a float and 10 an int


def test_each_setting_is_replaced_by_its_variable_cast_to_its_type():
    otp = settings_otp(
        OTP_DELIVERY_MAX_TRIES="7", OTP_DELIVERY_RETRY_BASE_SECONDS="0.5", OTP_APP_NAME="Acme", OTP_DELIVERY_SMS="live"
    )
    assert (otp["DELIVERY_MAX_TRIES"], otp["DELIVERY_RETRY_BASE_SECONDS"], otp["APP_NAME"]) == (7, 0.5, "Acme")
    assert otp["DELIVERY_BY_CHANNEL"] == {"email": "", "sms": "live", "whatsapp": ""}
    assert otp["MAX_RESENDS"] == SPEC["MAX_RESENDS"][0]


@pytest.mark.parametrize(
    ("name", "value"), [("BCRYPT_ROUNDS", "10"), ("MAX_RESENDS", True), ("RATE_SEND", 100), ("DELIVERY_BY_CHANNEL", "")]
)
def test_the_accessor_refuses_a_value_of_the_wrong_type(settings, name, value):
    settings.OTP = {**settings.OTP, name: value}
    with pytest.raises(ImproperlyConfigured, match=name):
        otp_setting(name)


def test_an_int_is_a_valid_float(settings):
    settings.OTP = {**settings.OTP, "DELIVERY_RETRY_BASE_SECONDS": 2}
    assert otp_setting("DELIVERY_RETRY_BASE_SECONDS") == 2


def test_the_system_check_names_a_mistyped_setting_instead_of_raising(settings):
    settings.OTP = {**settings.OTP, "DELIVERY_LEASE_SECONDS": "120", "NOT_A_SETTING": 1}
    errors = check_otp_settings()
    assert sorted(error.id for error in errors) == ["otp.E001", "otp.E007"]
    assert "DELIVERY_LEASE_SECONDS" in next(error.msg for error in errors if error.id == "otp.E007")


def _check_ids(path: Path) -> list[str]:
    ids = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in CHECK_CLASSES:
            ids += [kw.value.value for kw in node.keywords if kw.arg == "id" and isinstance(kw.value, ast.Constant)]
    return ids


def test_every_system_check_id_names_one_check_across_the_project():
    sources = [p for p in ROOT.rglob("checks.py") if ".venv" not in p.parts and "tests" not in p.parts]
    ids = [check_id for path in sources for check_id in _check_ids(path)]
    assert len(ids) >= 10  # the scan sees otp/checks.py and otp/ratelimits/checks.py
    assert [check_id for check_id, count in Counter(ids).items() if count > 1] == []
