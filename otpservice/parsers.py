"""JSON parser that bounds the body size, its nesting and its numbers, and refuses text PostgreSQL
cannot store; the one place every API body (and the SendGrid event webhook) is decoded."""
from __future__ import annotations

import json
import math
from typing import Any

from django.conf import settings
from rest_framework.parsers import JSONParser

from .errors import InvalidJSON, InvalidRequest, PayloadTooLarge
from .text import printable, text_problem

# No API body nests deeper than a few levels; metadata is an object of at most 4 KB. The bound also
# keeps recursive code downstream (copying, serializing, jsonb) far from Python's recursion limit.
MAX_JSON_DEPTH = 32


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        # 1e999 is valid JSON grammar but overflows a double to infinity, which jsonb cannot hold.
        raise ValueError(f"number {text[:40]} is out of range")
    return value


def _path(parent: str, key: str | int) -> str:
    key = printable(key) if isinstance(key, str) else str(key)
    return f"{parent}.{key}" if parent else key


def _refuse_text(path: str, problem: str) -> InvalidRequest:
    field = path or "non_field_errors"
    return InvalidRequest(f"{field}: {problem}", details={"field": field, "errors": {field: [problem]}})


def _check_tree(data: Any, max_depth: int, check_text: bool) -> None:
    """Walk the decoded document without recursion: bound its depth, check every key and string."""
    stack = [(data, 1, "")]
    while stack:
        node, depth, path = stack.pop()
        if isinstance(node, str):
            problem = text_problem(node) if check_text else None
            if problem:
                raise _refuse_text(path, problem)
            continue
        if not isinstance(node, (dict, list)):
            continue
        if depth > max_depth:
            raise InvalidJSON(f"Malformed JSON in request body: nested more than {max_depth} levels deep")
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in items:
            child = _path(path, key)
            if check_text and isinstance(key, str):
                problem = text_problem(key)
                if problem:
                    raise _refuse_text(child, problem)
            stack.append((value, depth + 1, child))


def json_loads(raw: bytes, *, max_depth: int = MAX_JSON_DEPTH, check_text: bool = True) -> Any:
    """Decode a UTF-8 JSON document, or raise InvalidJSON / InvalidRequest (never anything else).

    check_text=False leaves NUL and lone surrogates in strings for a caller that skips or escapes
    them itself (a provider's batch must not be refused whole for one odd event).
    """
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant, parse_float=_finite_float)
    except RecursionError as exc:
        raise InvalidJSON(f"Malformed JSON in request body: nested more than {max_depth} levels deep") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidJSON(f"Malformed JSON in request body: {exc}") from exc
    _check_tree(data, max_depth, check_text)
    return data


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.MAX_REQUEST_BODY_BYTES
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and declared.isdigit() and int(declared) > limit:
            raise PayloadTooLarge()
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge()
        return json_loads(raw)
