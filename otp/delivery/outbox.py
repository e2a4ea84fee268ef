"""Outbox provider: stores every message (code masked) and appends it in full to OTP_OUTBOX_FILE."""
from __future__ import annotations

import json
import os
import threading

from django.utils import timezone

from otp.conf import otp_setting
from otp.models import OutboxMessage

from .base import Message, SendResult

_file_lock = threading.Lock()


def _mask(text: str, code: str) -> str:
    return text.replace(code, "•" * len(code)) if code else text


class OutboxProvider:
    name = "outbox"

    def send(self, message: Message) -> SendResult:
        row = OutboxMessage.objects.create(
            channel=message.channel,
            to=message.to,
            subject=message.subject,
            body=_mask(message.body, message.code),
            html=_mask(message.html, message.code),
            session_id=message.session_id or None,
        )
        path = otp_setting("OUTBOX_FILE")
        if path:
            # The file stands in for the recipient's inbox, so it carries the message as sent.
            line = json.dumps(
                {
                    "channel": message.channel,
                    "to": message.to,
                    "subject": message.subject,
                    "body": message.body,
                    "html": message.html,
                    "session_id": message.session_id,
                    "created_at": timezone.now().isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                }
            )
            with _file_lock, open(path, "a", encoding="utf-8") as handle:
                handle.write(line + "\n")
                handle.flush()
                os.fsync(handle.fileno())
        return SendResult(provider=self.name, message_id=f"outbox-{row.pk}")
