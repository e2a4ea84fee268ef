"""docs/api.md's error table lists every code the API can answer: each ServiceError subclass of
every installed app, and the codes given at the raise (DRF field codes, 406, 500)."""
import importlib
import re
from pathlib import Path

from django.apps import apps
from django.conf import settings

from otpservice.errors import PUBLIC_FIELD_CODES, ServiceError

DOC = Path(settings.BASE_DIR) / "docs" / "api.md"
# Codes passed where the error is made rather than declared on a class (otpservice/errors.py).
GIVEN_AT_THE_RAISE = {"not_acceptable", "server_error", *PUBLIC_FIELD_CODES}


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _declared_codes() -> set[str]:
    for app in apps.get_app_configs():
        try:
            importlib.import_module(f"{app.name}.exceptions")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app.name}.exceptions":
                raise
    return {ServiceError.code, *(cls.code for cls in _subclasses(ServiceError))}


def _documented_codes() -> set[str]:
    table = DOC.read_text().split("\n## Errors\n", 1)[1]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    return {code for row in rows for code in re.findall(r"`([a-z_]+)`", row.split("|")[1])}


def test_every_error_code_is_in_the_docs_error_table():
    codes = _declared_codes() | GIVEN_AT_THE_RAISE
    assert {"session_not_found", "template_registered", "not_found", "method_not_allowed"} <= codes
    assert sorted(codes - _documented_codes()) == []
