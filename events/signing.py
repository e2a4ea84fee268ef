"""Standard Webhooks signature headers, made by the standardwebhooks package."""
from __future__ import annotations

import json
from datetime import UTC, datetime
from math import floor

from standardwebhooks import Webhook

from otpservice.api.timestamps import iso


def event_body(*, event_id: str, type: str, created_at: datetime, data: dict) -> str:
    """`{id, type, created_at, data}` as compact JSON, the same text on every try."""
    return json.dumps(
        {"id": event_id, "type": type, "created_at": iso(created_at), "data": data},
        separators=(",", ":"), ensure_ascii=False,
    )


def signature_headers(*, msg_id: str, body: str, secrets: list[str], at: datetime) -> dict[str, str]:
    """webhook-id, webhook-timestamp and webhook-signature: one `v1,` signature per secret (a rotated
    endpoint signs with the new secret and, during the grace period, the previous one too)."""
    at = at.astimezone(UTC)
    signatures = [Webhook(secret).sign(msg_id=msg_id, timestamp=at, data=body) for secret in secrets]
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(floor(at.timestamp())),
        "webhook-signature": " ".join(signatures),
    }
