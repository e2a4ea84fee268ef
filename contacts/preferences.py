"""Contact preferences (pure): channels × categories of messages, each subscribed or not.

A contact stores only the choices made; every channel and category not chosen is subscribed, so a
contact always renders the whole matrix, the Node SDK's `ContactPreferences`.
"""
from __future__ import annotations

CHANNELS = ("email", "sms", "whatsapp", "push")
CATEGORIES = ("transactional", "promotional", "utility", "conversational", "marketing", "service", "system")
DEFAULT_SUBSCRIBED = True

Preferences = dict[str, dict[str, bool]]


def preferences_full(stored: Preferences) -> Preferences:
    """Every channel and category, the stored choice or the default."""
    return {
        channel: {category: bool(stored.get(channel, {}).get(category, DEFAULT_SUBSCRIBED)) for category in CATEGORIES}
        for channel in CHANNELS
    }


def preferences_merge(stored: Preferences, changes: Preferences) -> Preferences:
    """The stored choices with `changes` applied (a partial matrix); only known keys are kept."""
    merged = {channel: dict(values) for channel, values in stored.items() if channel in CHANNELS}
    for channel, values in changes.items():
        merged.setdefault(channel, {}).update(
            {category: bool(value) for category, value in values.items() if category in CATEGORIES}
        )
    return merged


def preferences_every(subscribed: bool, *, channels: tuple[str, ...] = CHANNELS) -> Preferences:
    """Every category of `channels` set to `subscribed`."""
    return {channel: dict.fromkeys(CATEGORIES, subscribed) for channel in channels}


def preferences_summary(stored: Preferences) -> dict:
    """The Node SDK's `PreferenceSummary`: the matrix and its counts; the rate is a percentage."""
    full = preferences_full(stored)
    total = len(CHANNELS) * len(CATEGORIES)
    subscribed = sum(value for values in full.values() for value in values.values())
    return {
        "preferences": full,
        "totalPreferences": total,
        "subscribedCount": subscribed,
        "unsubscribedCount": total - subscribed,
        "subscriptionRate": round(100 * subscribed / total, 2),
    }
