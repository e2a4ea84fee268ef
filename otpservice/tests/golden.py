"""Golden response bodies: the exact bytes an endpoint answers, with generated values as placeholders.

A body is compared as the text the renderer wrote (key order, spacing, value formats, None versus
a missing key), after each generated value (ids, tokens, codes) is replaced by a stable label.
`UPDATE_GOLDEN=1` rewrites the stored bodies instead of comparing; review the diff it leaves.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path


class Placeholders:
    """Generated values seen so far, each with a label such as `<session-1>`, in order of discovery."""

    def __init__(self) -> None:
        self._labels: dict[str, str] = {}
        self._counts: dict[str, int] = {}

    def add(self, kind: str, value) -> None:
        value = str(value)
        if value and value not in self._labels:
            self._counts[kind] = self._counts.get(kind, 0) + 1
            self._labels[value] = f"<{kind}-{self._counts[kind]}>"

    def apply(self, text: str) -> str:
        for value in sorted(self._labels, key=len, reverse=True):
            text = text.replace(value, self._labels[value])
        return text


def integer_ids(text: str, key: str, kind: str) -> str:
    """Labels every integer value of `key` (database sequences differ from run to run)."""
    labels: dict[str, str] = {}

    def label(match: re.Match) -> str:
        labels.setdefault(match.group(1), f"<{kind}-{len(labels) + 1}>")
        return f'"{key}":"{labels[match.group(1)]}"'

    return re.sub(rf'"{key}":(\d+)', label, text)


class Golden:
    """The stored bodies of one test module, in a JSON file of name → body text."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.update = os.environ.get("UPDATE_GOLDEN") == "1"

    def _stored(self) -> dict[str, str]:
        return json.loads(self.path.read_text()) if self.path.exists() else {}

    def check(self, name: str, text: str) -> None:
        stored = self._stored()
        if self.update:
            stored[name] = text
            self.path.write_text(json.dumps(stored, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
            return
        assert name in stored, f"no golden body {name!r} in {self.path}; record it with UPDATE_GOLDEN=1"
        assert text == stored[name], f"{name}: the body differs from the recorded one"
