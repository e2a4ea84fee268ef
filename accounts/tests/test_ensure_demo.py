"""ensure_demo (make run): the keys it prints keep working across runs, kept in a 0600 file."""
import io
import json
import re
import stat

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts.models import Account, ApiKey

pytestmark = pytest.mark.django_db
KEY = re.compile(r"(sk_(?:live|test)_[A-Za-z0-9_-]+)")


def run(*args) -> dict[str, str]:
    out = io.StringIO()
    call_command("ensure_demo", *args, stdout=out)
    text = out.getvalue()
    live = re.search(r"live API key.*?: " + KEY.pattern, text).group(1)
    test = re.search(r"test API key.*?: " + KEY.pattern, text).group(1)
    return {"live_key": live, "test_key": test, "text": text}


def works(key: str) -> bool:
    return Client().get("/api/v1/wallet", HTTP_X_API_KEY=key).status_code == 200


def test_three_runs_print_the_same_keys_and_they_all_still_work(tmp_path):
    keys_file = tmp_path / ".demo-keys.json"
    runs = [run("--keys-file", str(keys_file)) for _ in range(3)]
    assert {r["live_key"] for r in runs} == {runs[0]["live_key"]}
    assert {r["test_key"] for r in runs} == {runs[0]["test_key"]}
    assert works(runs[0]["live_key"]) and works(runs[0]["test_key"])
    assert "the same keys as last time" in runs[2]["text"]
    assert Account.objects.filter(name="Demo").count() == 1
    assert ApiKey.objects.filter(account__name="Demo").count() == 2  # no key issued after the first run
    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600
    kept = json.loads(keys_file.read_text())
    assert (kept["live_key"], kept["test_key"]) == (runs[0]["live_key"], runs[0]["test_key"])


def test_a_key_revoked_in_admin_is_replaced_alone(tmp_path):
    keys_file = tmp_path / "keys.json"
    first = run("--keys-file", str(keys_file))
    ApiKey.objects.filter(mode=ApiKey.Mode.TEST).update(revoked_at=timezone.now())
    second = run("--keys-file", str(keys_file))
    assert second["live_key"] == first["live_key"]
    assert second["test_key"] != first["test_key"] and works(second["test_key"]) and not works(first["test_key"])
    assert run("--keys-file", str(keys_file))["test_key"] == second["test_key"]


@pytest.mark.parametrize("content", ["not json", "[1, 2]", '{"live_key": 42, "test_key": "sk_test_nope"}'])
def test_an_unreadable_or_foreign_keys_file_is_replaced_with_working_keys(tmp_path, content):
    keys_file = tmp_path / "keys.json"
    run()  # the account exists; nothing kept
    keys_file.write_text(content)
    keys_file.chmod(0o644)
    printed = run("--keys-file", str(keys_file))
    assert works(printed["live_key"]) and works(printed["test_key"])
    assert json.loads(keys_file.read_text())["live_key"] == printed["live_key"]
    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600


def test_keys_of_another_account_in_the_file_are_not_printed(tmp_path, account_keys):
    keys_file = tmp_path / "keys.json"
    keys_file.write_text(json.dumps({"live_key": account_keys.live_key, "test_key": account_keys.test_key}))
    printed = run("--keys-file", str(keys_file))
    assert account_keys.live_key not in printed["text"] and account_keys.test_key not in printed["text"]


def test_without_a_keys_file_each_run_issues_keys_and_revokes_none():
    first, second = run(), run()
    assert first["live_key"] != second["live_key"]
    assert all(works(r[k]) for r in (first, second) for k in ("live_key", "test_key"))


def test_it_says_where_messages_go(settings, tmp_path):
    assert "OTP_OUTBOX_FILE=outbox.jsonl" in run()["text"]
    settings.OTP = {**settings.OTP, "OUTBOX_FILE": str(tmp_path / "outbox.jsonl")}
    assert f"appended in full to {tmp_path / 'outbox.jsonl'}" in run()["text"]
