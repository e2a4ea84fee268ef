"""Dependencies point one way (DESIGN.md §2): otp uses the other apps, none of them imports otp.

Read from the source with `ast`, so a function-level import or a re-export cannot hide it.
"""
import ast
from pathlib import Path

from otp.models import Channel
from templates_app.keys import KEY_CHANNELS
from wallet.models import CHANNEL_CHOICES

ROOT = Path(__file__).resolve().parents[2]
# The apps below otp.
LOWER_APPS = ("wallet", "contacts", "accounts", "templates_app", "events")
SHARED = ("otpservice/api",)


def _modules(root: Path, package: str) -> list[Path]:
    return sorted(
        path
        for path in (root / package).rglob("*.py")
        if "tests" not in path.relative_to(root).parts and "migrations" not in path.relative_to(root).parts
    )


def _imported(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def imports_of_otp(root: Path, packages=LOWER_APPS + SHARED) -> list[str]:
    """`path:line module` for every import of otp (or otp.anything) in those packages' modules."""
    hits = []
    for package in packages:
        if not (root / package).is_dir():
            continue
        for path in _modules(root, package):
            tree = ast.parse(path.read_text(), filename=str(path))
            hits += [
                f"{path.relative_to(root)}:{line} {module}"
                for line, module in _imported(tree)
                if module == "otp" or module.startswith("otp.")
            ]
    return hits


def test_no_app_below_otp_imports_otp():
    assert imports_of_otp(ROOT) == []


def test_the_check_reads_templates_app():
    # A package the check skips (is_dir false) would pass whatever it imports.
    assert (ROOT / "templates_app").is_dir()
    assert any(path.name == "messages.py" for path in _modules(ROOT, "templates_app"))


def test_the_check_reads_events():
    # events is below otp: otp will emit through events.services, never the other way round.
    assert (ROOT / "events").is_dir()
    names = {path.relative_to(ROOT).as_posix() for path in _modules(ROOT, "events")}
    assert {"events/services/emit.py", "events/tasks.py", "events/views.py"} <= names


def test_events_names_the_queue_settings_declare():
    from django.conf import settings

    from events.queues import WEBHOOK_QUEUE

    assert WEBHOOK_QUEUE in {queue.name for queue in settings.CELERY_TASK_QUEUES}


def test_the_check_sees_imports_at_any_depth(tmp_path):
    package = tmp_path / "wallet"
    package.mkdir()
    (package / "views.py").write_text("def f():\n    from otp.models import Channel\n    import otp\n")
    (package / "tests").mkdir()
    (package / "tests" / "test_x.py").write_text("from otp import models\n")  # tests may use otp
    assert imports_of_otp(tmp_path) == ["wallet/views.py:2 otp.models", "wallet/views.py:3 otp"]


def test_wallet_prices_the_channels_otp_sends():
    # Wallet keeps its own channel names so it need not import otp; they must stay the same.
    assert CHANNEL_CHOICES == Channel.choices


def test_templates_app_serves_the_channels_otp_sends():
    # templates_app names its own channels (one reserved key each) so it need not import otp.
    assert sorted(KEY_CHANNELS.values()) == sorted(Channel.values)
