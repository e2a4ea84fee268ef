"""From template sources and plain values to a message's parts: the checks a template passes on
save, the values a send gives it, and the autofill lines of SMS defaults. Pure: no ORM."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import phonenumbers

from .defaults import builtin_texts
from .keys import KEY_CHANNELS, TemplateKey
from .sandbox import (
    METADATA,
    VARIABLES,
    TemplateProblem,
    registered_check,
    registered_render,
    template_check,
    template_render,
)

CONTENT_SID = re.compile(r"HX[0-9a-fA-F]{32}", re.ASCII)
ALPHANUMERIC_SENDER = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}", re.ASCII)
# The fields each key may carry besides body; a field that does not apply to the channel is refused.
KEY_FIELDS = {
    TemplateKey.EMAIL: {"subject", "html", "from_email", "from_name"},
    TemplateKey.SMS: {"sender", "registered"},
    TemplateKey.WHATSAPP: {"content_sid", "content_variables", "registered"},
}
EMPTY = {"subject": "", "html": "", "from_email": "", "from_name": "", "sender": "", "content_sid": "",
         "content_variables": {}, "registered": False}
# Twilio refuses longer SMS bodies; WhatsApp's limit for a text message.
MAX_RENDERED_BODY = {"sms": 1600, "whatsapp": 4096}


@dataclass(frozen=True)
class FieldProblem(Exception):
    field: str
    message: str
    line: int | None = None


@dataclass(frozen=True)
class Source:
    """A template to render: a custom version's fields or a built-in default."""

    key: str
    locale: str
    body: str
    source: str = "default"  # "custom" | "default"
    version: int | None = None
    subject: str = ""
    html: str = ""
    from_email: str = ""
    from_name: str = ""
    sender: str = ""
    content_sid: str = ""
    content_variables: dict = field(default_factory=dict)
    registered: bool = False

    @property
    def served(self) -> dict:
        return {"source": self.source, "key": self.key, "locale": self.locale, "version": self.version}


@dataclass(frozen=True)
class Parts:
    subject: str
    body: str
    html: str
    content_variables: dict[str, str]


def _problem(name: str, exc: TemplateProblem) -> FieldProblem:
    return FieldProblem(name, f"{name}: {exc.message}", exc.line)


def template_fields_check(*, key: str, fields: dict) -> None:
    """Raise FieldProblem for the first field a template of `key` may not be saved with."""
    allowed = KEY_FIELDS[key] | {"body"}
    for name, value in fields.items():
        if name in EMPTY and name not in allowed and value not in ("", {}, False, None):
            raise FieldProblem(name, f"{name}: not used by {key} templates")
    registered = bool(fields.get("registered"))
    try:
        if registered:
            registered_check(fields.get("body", ""))
        else:
            template_check(fields.get("body", ""), require_otp=True)
    except TemplateProblem as exc:
        raise _problem("body", exc) from None
    for name, require_otp in (("subject", False), ("html", True)):
        if fields.get(name):
            try:
                template_check(fields[name], require_otp=require_otp)
            except TemplateProblem as exc:
                raise _problem(name, exc) from None
    _binding_check(fields.get("content_sid", ""), fields.get("content_variables") or {})
    sender = fields.get("sender", "")
    if sender and not (ALPHANUMERIC_SENDER.fullmatch(sender) or _is_e164(sender)):
        raise FieldProblem("sender", "sender: an alphanumeric sender ID (1-11 letters, digits or spaces, "
                           "one letter at least) or an E.164 number")


def _is_e164(value: str) -> bool:
    try:
        return value.startswith("+") and phonenumbers.is_valid_number(phonenumbers.parse(value, None))
    except phonenumbers.NumberParseException:
        return False


def _binding_check(content_sid: str, variables: dict) -> None:
    if content_sid and not CONTENT_SID.fullmatch(content_sid):
        raise FieldProblem("content_sid", "content_sid: a Twilio Content SID is HX and 32 hexadecimal digits")
    if len(variables) > 20:
        raise FieldProblem("content_variables", "content_variables: at most 20 variables")
    if variables and not content_sid:
        raise FieldProblem("content_variables", "content_variables: only with content_sid")
    for number, name in variables.items():
        if not (isinstance(number, str) and number.isascii() and number.isdigit() and number[0] != "0"):
            raise FieldProblem("content_variables", f"content_variables: {number!r} is not a variable number like \"1\"")
        if not isinstance(name, str) or not (name in VARIABLES or re.fullmatch(rf"{METADATA}\.\w+", name)):
            raise FieldProblem(
                "content_variables",
                f"content_variables.{number}: one of {', '.join(VARIABLES)} or metadata.KEY",
            )
    if content_sid and "otp" not in variables.values():
        raise FieldProblem("content_variables", "content_variables: map one variable to otp, e.g. {\"1\": \"otp\"}")


def template_values(
    *, code: str, expiry_minutes: int, app_name: str, channel: str, locale: str, metadata: dict | None,
    webotp_domain: str = "", android_app_hash: str = "",
) -> dict:
    """What a template sees: plain strings, one int, a dict of strings (nested values as JSON text)."""
    meta = {
        str(k): v if isinstance(v, str) else json.dumps(v, separators=(",", ":"), ensure_ascii=False)
        for k, v in (metadata or {}).items()
    }
    return {
        "otp": code,
        "expiry_minutes": int(expiry_minutes),
        "app_name": app_name,
        "channel": channel,
        "locale": locale,
        "webotp_line": f"@{webotp_domain} #{code}" if webotp_domain else "",
        "android_app_hash": android_app_hash,
        METADATA: meta,
    }


def autofill_lines(values: dict) -> str:
    """The lines SMS defaults end with: the Android SMS Retriever hash, then the origin-bound line
    (WebOTP and iOS need it to be the last line)."""
    lines = [line for line in (values["android_app_hash"], values["webotp_line"]) if line]
    return "\n\n" + "\n".join(lines) if lines else ""


def source_render(source: Source, values: dict) -> Parts:
    """Render every part; raise TemplateProblem when a part cannot be rendered or lost the code."""
    channel = KEY_CHANNELS[source.key]
    if source.registered:
        body = registered_render(source.body, values)
    else:
        body = template_render(source.body, values, html=False)
        if source.source == "default" and channel == "sms":
            body += autofill_lines(values)
    html = template_render(source.html, values, html=True) if source.html else ""
    subject = " ".join(template_render(source.subject, values, html=False).split()) if source.subject else ""
    if values["otp"] not in body or (source.html and values["otp"] not in html):
        raise TemplateProblem("The rendered message does not contain the code")
    limit = MAX_RENDERED_BODY.get(channel)
    if limit and len(body) > limit:
        raise TemplateProblem(f"The rendered {channel} text is over {limit} characters")
    variables = {
        number: str(values[METADATA].get(name.split(".", 1)[1], "") if name.startswith(f"{METADATA}.") else values[name])
        for number, name in source.content_variables.items()
    }
    return Parts(subject=subject, body=body, html=html, content_variables=variables)


def builtin_source(*, key: str, locale: str, content_sid: str = "", content_variables: dict | None = None) -> Source:
    """The built-in default of `key` in `locale` (a built-in locale); WhatsApp takes the deployment's
    Content template binding (TWILIO_WHATSAPP_CONTENT_SID) when there is one."""
    texts = builtin_texts(locale)
    if key == TemplateKey.EMAIL:
        return Source(key=key, locale=locale, subject=texts["subject"], body=texts["email_body"], html=texts["email_html"])
    if key == TemplateKey.SMS:
        return Source(key=key, locale=locale, body=texts["sms"])
    return Source(
        key=key, locale=locale, body=texts["whatsapp"], content_sid=content_sid,
        content_variables=dict(content_variables or {}) if content_sid else {},
    )
