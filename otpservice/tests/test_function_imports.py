"""No function-level import of the project's own modules hides a dependency inside otp.

A module's dependencies are read at its top; an import inside a function is allowed only where
the list below says why (a real import cycle, or loading an optional SDK on purpose).
"""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ("otp", "otpservice", "accounts", "wallet", "contacts")
ALLOWED = {
    "otp/apps.py",  # AppConfig.ready registers the system checks once the apps are loaded
    "otp/delivery/registry.py",  # the provider SDKs load only for a channel delivered live
}


def function_level_imports(root: Path, package: str = "otp") -> list[str]:
    """`path:line module` for each import of a project module inside a function body."""
    hits = []
    for path in sorted((root / package).rglob("*.py")):
        relative = path.relative_to(root)
        if {"tests", "migrations"} & set(relative.parts) or relative.as_posix() in ALLOWED:
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        for function in ast.walk(tree):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.ImportFrom) and (
                    node.level > 0 or (node.module or "").split(".")[0] in PROJECT
                ):
                    hits.append(f"{relative.as_posix()}:{node.lineno} {'.' * node.level}{node.module or ''}")
                elif isinstance(node, ast.Import):
                    hits += [
                        f"{relative.as_posix()}:{node.lineno} {alias.name}"
                        for alias in node.names
                        if alias.name.split(".")[0] in PROJECT
                    ]
    return hits


def test_otp_imports_its_dependencies_at_the_top_of_each_module():
    assert function_level_imports(ROOT) == []


def test_the_check_sees_relative_and_absolute_imports_in_functions(tmp_path):
    package = tmp_path / "otp"
    (package / "tests").mkdir(parents=True)
    (package / "tasks.py").write_text(
        "import json\n\ndef f():\n    from .housekeeping import run\n    import contacts.services\n    import json\n"
    )
    (package / "tests" / "test_x.py").write_text("def f():\n    from otp import models\n")  # tests may
    assert function_level_imports(tmp_path) == ["otp/tasks.py:4 .housekeeping", "otp/tasks.py:5 contacts.services"]
