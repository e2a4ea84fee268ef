"""The message of one channel row's code: templates_app writes it, delivery only asks here."""
from __future__ import annotations

from templates_app.messages import template_message_render

from .conf import otp_setting
from .delivery.base import Message
from .models import ChannelVerification


def message_for(*, row: ChannelVerification, code: str) -> tuple[Message, dict]:
    """The message to hand the provider, and which template wrote it ({source, key, locale, version}).

    The account's template for the send's locale, else the built-in default; a custom template
    that fails is replaced by the default inside templates_app, so this raises only on a bug.
    """
    session = row.session
    rendered = template_message_render(
        account_id=session.account_id,
        account=session.account,  # loaded with the claimed row
        channel=row.channel,
        code=code,
        expiry_minutes=session.expiry_minutes,
        app_name=otp_setting("APP_NAME"),
        locale=session.locale,
        recipient=row.recipient,
        metadata=session.metadata,
        android_app_hash=session.android_app_hash,
    )
    message = Message(
        channel=row.channel,
        to=row.recipient,
        body=rendered.body,
        subject=rendered.subject,
        html=rendered.html,
        session_id=str(session.id),
        from_email=rendered.from_email,
        from_name=rendered.from_name,
        sender=rendered.sender,
        content_sid=rendered.content_sid,
        content_variables=rendered.content_variables,
        code=code,
    )
    return message, rendered.served
