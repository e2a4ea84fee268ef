"""SMS length: GSM-7 (the extension table costs two septets) or UCS-2, and the segments it takes."""
from __future__ import annotations

from dataclasses import dataclass

# GSM 03.38 default alphabet (without ESC, 0x1B, which introduces the extension table).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Sent as ESC + one septet: two septets each.
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

GSM7 = "GSM-7"
UCS2 = "UCS-2"
# A single message carries 140 bytes; a concatenated one gives 6 of them to the UDH.
SINGLE = {GSM7: 160, UCS2: 70}
PER_PART = {GSM7: 153, UCS2: 67}


@dataclass(frozen=True)
class SmsLength:
    length: int  # septets for GSM-7, UTF-16 code units for UCS-2
    encoding: str
    segments: int


def is_gsm7(text: str) -> bool:
    return all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text)


def _units(text: str, encoding: str) -> list[int]:
    """The size of each character in its encoding's units: they are never split between segments."""
    if encoding == GSM7:
        return [2 if char in GSM7_EXTENSION else 1 for char in text]
    return [2 if ord(char) > 0xFFFF else 1 for char in text]


def sms_length(text: str) -> SmsLength:
    """How `text` goes out as SMS. An empty text is one (empty) segment."""
    encoding = GSM7 if is_gsm7(text) else UCS2
    units = _units(text, encoding)
    total = sum(units)
    if total <= SINGLE[encoding]:
        return SmsLength(length=total, encoding=encoding, segments=1)
    segments, used = 1, 0
    for size in units:
        if used + size > PER_PART[encoding]:
            segments, used = segments + 1, 0
        used += size
    return SmsLength(length=total, encoding=encoding, segments=segments)
