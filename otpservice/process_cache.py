"""A short-lived cache in each process for the small per-account reads every request makes (an API
key, prices, block and allow lists, test recipients, webhook endpoints, templates).

Why per process and not Redis: a hit should cost next to nothing beside the PostgreSQL query it
saves (~1 ms), and a round trip to Redis would cost a good part of it. The price is staleness,
bounded and documented (docs/security.md):

- `TTL_SETTING` seconds (API_KEY_CACHE_SECONDS, 5 by default; 0 turns every cache off) is how late
  a change made in another process, or by a write that sends no signal, is seen here;
- a change made in this process through `save()`/`delete()` is seen at once: `drop_on_change`
  connects post_save/post_delete. `QuerySet.update()`, `bulk_create()` and SQL send no signal, so
  the services that use them call `drop()` themselves.

A dropped key is dropped again when the writer's transaction commits (until then other threads
still read the old rows), and a value whose read began before a drop is not kept: so the writing
process never serves what it changed, even with threads.

Values are either pickled (each hit unpickles a fresh copy, so no request shares or mutates another's
objects) or, with `copies=False`, stored as they are: then the caller stores only immutable values
(tuples, frozensets, bytes, MappingProxyType). `None` is never cached (it means "nothing to cache").
"""
from __future__ import annotations

import pickle
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save

T = TypeVar("T")
TTL_SETTING = "API_KEY_CACHE_SECONDS"
ALL = object()  # what a drop_on_change key function returns to empty the whole cache

# The clock every cache reads, through this module at call time so tests can step it. Monotonic:
# a wall clock set back would keep entries for longer than the TTL.
clock: Callable[[], float] = time.monotonic

_registry: list[ProcessCache] = []


def _ttl() -> float:
    return float(getattr(settings, TTL_SETTING, 5))


class ProcessCache:
    """key -> value for at most TTL seconds; at most `max_weight` in all (each value weighs
    `weight(value)`, 1 by default). Full, it empties at once: simpler than LRU, and with a few
    seconds' TTL a refill is cheap."""

    def __init__(self, name: str, *, max_weight: int = 10_000, copies: bool = True) -> None:
        self.name = name
        self.max_weight = max_weight
        self.copies = copies
        self._entries: dict[Hashable, tuple[float, Any, int]] = {}
        self._weight = 0
        self._drops = 0
        self._lock = threading.Lock()
        _registry.append(self)

    def get(self, key: Hashable, load: Callable[[], T], *, weight: Callable[[T], int] | None = None) -> T:
        """The cached value of `key`, else `load()` (cached unless None, the TTL is 0 or it weighs
        more than the whole cache)."""
        value = self.lookup(key)
        if value is not None:
            return value
        ticket = self.ticket()
        value = load()
        self.put(key, value, weight=weight(value) if weight and value is not None else 1, ticket=ticket)
        return value

    def lookup(self, key: Hashable) -> Any:
        """The cached value of `key` (a fresh copy), or None: for callers that load many at once."""
        entry = self._entries.get(key) if _ttl() > 0 else None
        if entry is None or entry[0] <= clock():
            return None
        return self._out(entry[1])

    def ticket(self) -> tuple[float, int]:
        """Taken before a load and given to put(): the time of the read, and the count of drops so far."""
        return clock(), self._drops

    def put(self, key: Hashable, value: Any, *, ticket: tuple[float, int], weight: int = 1) -> None:
        """Keep `value` for the TTL counted from its read, so no entry outlives the TTL counted from
        the rows it holds. Nothing is kept when it is None, the TTL 0, it outweighs the whole cache,
        or something was dropped since the read began (the value may predate that change)."""
        ttl = _ttl()
        if value is None or ttl <= 0 or weight > self.max_weight:
            return
        read_at, drops = ticket
        stored = self._in(value)
        with self._lock:
            if drops != self._drops:
                return
            old = self._entries.pop(key, None)
            self._weight -= old[2] if old else 0
            if self._weight + weight > self.max_weight:
                self._entries.clear()
                self._weight = 0
            self._entries[key] = (read_at + ttl, stored, weight)
            self._weight += weight

    def update(self, key: Hashable, change: Callable[[Any], None]) -> None:
        """Apply `change` to the value cached now (a copy, stored back) for what remains of its time;
        nothing when the key is not cached. The change goes to whatever is cached, never a value a
        request read earlier: a request must not put back a copy a drop has replaced since."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                value = self._out(entry[1])
                change(value)
                self._entries[key] = (entry[0], self._in(value), entry[2])

    def drop(self, key: Hashable = ALL) -> None:
        """Forget `key` (every key by default), now and again when the current transaction commits."""
        self._drop(key)
        if transaction.get_connection().in_atomic_block:
            transaction.on_commit(lambda: self._drop(key))

    def clear(self) -> None:
        self._drop(ALL)

    def __len__(self) -> int:
        return len(self._entries)

    def drop_on_change(self, *models, key: Callable[[Any], Hashable] = lambda instance: ALL) -> None:
        """On every save or delete of these models' instances, drop `key(instance)` (everything by
        default). Connected once per cache, model and signal, however often a module is imported."""
        def receiver(sender, instance, **kwargs) -> None:
            self.drop(key(instance))

        # Strong references: the receiver lives as long as the cache, which lives as long as the process.
        for model in models:
            for name, signal in (("save", post_save), ("delete", post_delete)):
                uid = f"process_cache:{self.name}:{model._meta.label}:{name}"
                signal.connect(receiver, sender=model, weak=False, dispatch_uid=uid)

    def _in(self, value: Any) -> Any:
        return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL) if self.copies else value

    def _out(self, stored: Any) -> Any:
        return pickle.loads(stored) if self.copies else stored  # noqa: S301 - bytes this process pickled

    def _drop(self, key: Hashable) -> None:
        with self._lock:
            self._drops += 1
            if key is ALL:
                self._entries.clear()
                self._weight = 0
                return
            old = self._entries.pop(key, None)
            self._weight -= old[2] if old else 0


def clear_all() -> None:
    """Empty every cache of this process (tests, between two of them)."""
    for cache in _registry:
        cache.clear()
