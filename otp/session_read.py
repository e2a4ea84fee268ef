"""The read the API answers most: one session with its channel rows (GET /otp/sessions/{id}, which
integrations poll while a user types a code, and every cancel's answer).

One statement, built once per process from the models' own metadata, instead of a queryset
compiled on every request: Django's compiler cost more than the query itself (~1 ms against
~0.3 ms, docs/benchmarks.md). Values go through each field's own database converters and
`Model.from_db`, so the instances are what the ORM would have made (otp/tests/test_session_read.py
compares the two field by field on every database the suite runs on). Account scoping is
OTPSessionQuerySet.reachable's rule, written out: the session's account and, for a test key, sandbox only.
"""
from __future__ import annotations

import uuid
from functools import cache

from django.db import connection

from .models import ChannelVerification, OTPSession

_SESSION_FIELDS = tuple(OTPSession._meta.concrete_fields)
_ROW_FIELDS = tuple(ChannelVerification._meta.concrete_fields)


@cache
def _statement(vendor: str, sandbox_only: bool) -> str:
    quote = connection.ops.quote_name
    session, row = OTPSession._meta, ChannelVerification._meta
    columns = [f"s.{quote(f.column)}" for f in _SESSION_FIELDS] + [f"r.{quote(f.column)}" for f in _ROW_FIELDS]
    where = f"s.{quote(session.pk.column)} = %s AND s.{quote(session.get_field('account').column)} = %s"
    if sandbox_only:
        where += f" AND s.{quote(session.get_field('sandbox').column)} = %s"
    return (
        f"SELECT {', '.join(columns)} FROM {quote(session.db_table)} s "  # noqa: S608 - names from model metadata
        f"JOIN {quote(row.db_table)} r ON r.{quote(row.get_field('session').column)} = s.{quote(session.pk.column)} "
        f"WHERE {where} ORDER BY r.{quote(row.pk.column)}"
    )


@cache
def _converters(vendor: str, model) -> tuple:
    """Per concrete field of `model`: its column expression and the converters the ORM would apply
    (the backend's for its type, e.g. text to UUID on SQLite, then the field's own, e.g. JSON)."""
    out = []
    for field in model._meta.concrete_fields:
        # get_col, not cached_col: a foreign key's column has its target's type (a UUID).
        expression = field.get_col(model._meta.db_table)
        converters = (*connection.ops.get_db_converters(expression), *expression.get_db_converters(connection))
        out.append((expression, converters))
    return tuple(out)


def _converted(model, values) -> list:
    out = []
    for (expression, converters), value in zip(_converters(connection.vendor, model), values, strict=True):
        for convert in converters:
            value = convert(value, expression, connection)
        out.append(value)
    return out


def session_with_rows(*, account, sandbox_only: bool, session_id: str) -> OTPSession | None:
    """The account's session (sandbox only for a test key) with its rows prefetched, in one query;
    None when there is no such session, or it has no channel row (the caller then asks the ORM).

    Raises ValueError for a session id that is not a UUID.
    """
    session_meta = OTPSession._meta
    params = [
        session_meta.pk.get_db_prep_value(uuid.UUID(str(session_id)), connection),
        session_meta.get_field("account").get_db_prep_value(account.pk, connection),
    ]
    if sandbox_only:
        params.append(session_meta.get_field("sandbox").get_db_prep_value(True, connection))
    with connection.cursor() as cursor:
        cursor.execute(_statement(connection.vendor, sandbox_only), params)
        found = cursor.fetchall()
    if not found:
        return None
    split = len(_SESSION_FIELDS)
    session = OTPSession.from_db(connection.alias, [f.attname for f in _SESSION_FIELDS],
                                 _converted(OTPSession, found[0][:split]))
    rows = []
    for values in found:
        row = ChannelVerification.from_db(connection.alias, [f.attname for f in _ROW_FIELDS],
                                          _converted(ChannelVerification, values[split:]))
        row.session = session
        rows.append(row)
    # A plain list, not the queryset Django's prefetch leaves (building one costs ~0.3 ms here, an
    # eighth of the GET): session.channel_rows.all() iterates these rows, but .count(), .filter()
    # and other queryset methods fail loudly instead of answering; read through the ORM for those.
    session._prefetched_objects_cache = {"channel_rows": rows}
    return session
