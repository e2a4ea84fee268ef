"""Delivery owns its state machine: only otp/delivery/state/ writes a channel row's delivery state."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DELIVERY_FIELDS = {"delivery_status", "claimed_at", "generation", "provider_message_id", "last_error", "fallback_due_at"}
# The ORM calls that write their keyword arguments (a call of our own functions only passes values).
WRITES = {"update", "create", "get_or_create", "update_or_create", "ChannelVerification", "DeliveryAttempt"}
OWNER = "otp/delivery/state/"
# Declarations and reads, not writes: the model, its querysets and the admin's read-only columns.
READERS = {"otp/models.py", "otp/admin.py"}


def delivery_writes(root: Path) -> list[str]:
    """`path:line field` for each keyword argument or attribute assignment of a delivery field."""
    hits = []
    for path in sorted((root / "otp").rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if {"tests", "migrations"} & set(path.relative_to(root).parts) or relative in READERS or relative.startswith(OWNER):
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=relative)):
            if isinstance(node, ast.Call):
                names = [keyword.arg for keyword in node.keywords if keyword.arg in DELIVERY_FIELDS]
                called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if names and called in WRITES:
                    hits += [f"{relative}:{node.lineno} {name}" for name in names]
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AugAssign) else []
            for target in targets:
                for element in target.elts if isinstance(target, ast.Tuple) else [target]:
                    if isinstance(element, ast.Attribute) and element.attr in DELIVERY_FIELDS:
                        hits.append(f"{relative}:{node.lineno} {element.attr}")
    return hits


def test_only_the_delivery_state_module_writes_delivery_state():
    assert delivery_writes(ROOT) == []


def test_the_scan_finds_a_write_elsewhere(tmp_path):
    package = tmp_path / "otp" / "services"
    package.mkdir(parents=True)
    (package / "resend.py").write_text(
        "def bump(row, rows):\n    row.generation += 1\n    rows.update(delivery_status='QUEUED', claimed_at=None)\n"
        "    rows.filter(delivery_status='SENT')\n    enqueue(generation=row.generation)\n"
    )
    assert delivery_writes(tmp_path) == [
        "otp/services/resend.py:2 generation",
        "otp/services/resend.py:3 delivery_status",
        "otp/services/resend.py:3 claimed_at",
    ]
