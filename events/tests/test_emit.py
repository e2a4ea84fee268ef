"""event_emit: the outbox written in the caller's transaction, one delivery per subscribed endpoint."""
from __future__ import annotations

import pytest
from django.db import transaction

from accounts.services import account_create
from events.models import Event, WebhookDelivery
from events.services import (
    EventDataInvalid,
    EventSpec,
    event_emit,
    events_emit,
    webhook_create,
    webhook_update,
)
from events.types import EventType

from .conftest import SESSION_DATA


def emit(account, type, data=SESSION_DATA):
    with transaction.atomic():
        return event_emit(account_id=account.pk, type=type, data=data)


@pytest.mark.django_db
def test_only_active_endpoints_subscribed_to_the_type_of_that_account_get_a_delivery(account, receiver):
    sent = webhook_create(account=account, url=receiver.url("/sent"), events=["channel.sent"]).endpoint
    verified = webhook_create(account=account, url=receiver.url("/v"), events=["session.verified"]).endpoint
    off = webhook_create(account=account, url=receiver.url("/off"), events=["channel.sent"]).endpoint
    webhook_update(account=account, endpoint_id=off.pk, fields={"is_active": False})
    other = account_create(name="Other").account
    webhook_create(account=other, url=receiver.url("/other"), events=["channel.sent"])
    event = emit(account, EventType.CHANNEL_SENT)
    assert [d.endpoint_id for d in WebhookDelivery.objects.filter(event=event)] == [sent.pk]
    event = emit(account, EventType.SESSION_VERIFIED)
    assert [d.endpoint_id for d in WebhookDelivery.objects.filter(event=event)] == [verified.pk]
    assert emit(account, EventType.SESSION_EXPIRED) is None  # no endpoint takes it: nothing is written
    assert Event.objects.filter(account=account).count() == 2


@pytest.mark.django_db
def test_an_event_nobody_subscribes_to_costs_one_query_and_writes_nothing(account, django_assert_num_queries):
    webhook_create(account=account, url="http://127.0.0.1:9/x", events=["channel.sent"])
    with transaction.atomic(), django_assert_num_queries(1):
        assert event_emit(account_id=account.pk, type=EventType.SESSION_CREATED, data=SESSION_DATA) is None
    assert not Event.objects.exists()


@pytest.mark.django_db
def test_a_batch_over_several_accounts_reads_endpoints_once_and_inserts_once(account, django_assert_num_queries):
    other = account_create(name="Other").account
    mine = webhook_create(account=account, url="http://127.0.0.1:9/a", events=["session.expired"]).endpoint
    theirs = webhook_create(account=other, url="http://127.0.0.1:9/b", events=EventType.values).endpoint
    batch = [
        EventSpec(account_id=account.pk, type=EventType.SESSION_EXPIRED, data=SESSION_DATA),
        EventSpec(account_id=account.pk, type=EventType.CHANNEL_SENT, data=SESSION_DATA),  # not taken
        EventSpec(account_id=str(other.pk), type=EventType.SESSION_EXPIRED, data=SESSION_DATA),
    ]
    with transaction.atomic(), django_assert_num_queries(3):  # endpoints, events, deliveries
        written = events_emit(events=batch)
    assert [(str(event.account_id), event.type) for event in written] == [
        (str(account.pk), "session.expired"), (str(other.pk), "session.expired"),
    ]
    assert sorted((d.event_id, d.endpoint_id) for d in WebhookDelivery.objects.all()) == sorted(
        [(written[0].pk, mine.pk), (written[1].pk, theirs.pk)]
    )


@pytest.mark.django_db
def test_the_data_is_only_the_documented_keys_so_never_a_code_or_a_hash(account):
    for extra in ({"code": "123456"}, {"code_hash": "$2b$..."}, {"otp": "1"}):
        with pytest.raises(EventDataInvalid):
            emit(account, EventType.CHANNEL_SENT, {**SESSION_DATA, **extra})
    with pytest.raises(EventDataInvalid):
        emit(account, EventType.CHANNEL_SENT, {"status": "PENDING", "sandbox": False})
    with pytest.raises(EventDataInvalid):
        emit(account, EventType.CHANNEL_SENT, {**SESSION_DATA, "sandbox": "yes"})
    with pytest.raises(EventDataInvalid):
        emit(account, "channel.snet")
    assert not Event.objects.exists()


@pytest.mark.django_db
def test_sandbox_events_flow_flagged_and_the_data_is_normalised(account, endpoint):
    fallback = {
        "session_id": "s-1", "status": "PENDING", "sandbox": True, "channel": "whatsapp",
        "delivery_status": "FAILED", "reason": "not delivered within 60 s", "next_channel": "sms",
    }
    event = emit(account, EventType.CHANNEL_FALLBACK, fallback)
    assert event.data == {**fallback, "metadata": {}}
    assert list(event.data) == [
        "session_id", "status", "channel", "delivery_status", "sandbox", "metadata", "reason", "next_channel",
    ]


@pytest.mark.django_db(transaction=True)
def test_emit_outside_a_transaction_is_refused(account):
    with pytest.raises(RuntimeError, match="inside the transaction"):
        event_emit(account_id=account.pk, type=EventType.SESSION_CREATED, data=SESSION_DATA)


class Boom(Exception):
    pass


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_emits_nothing_and_a_committed_one_is_delivered(account, receiver):
    webhook_create(account=account, url=receiver.url(), events=EventType.values)
    with pytest.raises(Boom), transaction.atomic():
        event_emit(account_id=account.pk, type=EventType.SESSION_CREATED, data=SESSION_DATA)
        raise Boom
    assert not Event.objects.exists() and not WebhookDelivery.objects.exists()
    assert receiver.requests == []
    # The same, committed: the delivery is queued on commit (eager here) and reaches the receiver.
    with transaction.atomic():
        event = event_emit(account_id=account.pk, type=EventType.SESSION_CREATED, data=SESSION_DATA)
        assert receiver.requests == []  # nothing leaves before the commit
    assert [r.headers["webhook-id"] for r in receiver.requests] == [event.public_id]
    assert WebhookDelivery.objects.get(event=event).status == "succeeded"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_savepoint_takes_its_event_with_it(account, receiver):
    webhook_create(account=account, url=receiver.url(), events=EventType.values)
    with transaction.atomic():
        kept = event_emit(account_id=account.pk, type=EventType.SESSION_CREATED, data=SESSION_DATA)
        with pytest.raises(Boom), transaction.atomic():
            event_emit(account_id=account.pk, type=EventType.SESSION_CANCELLED, data=SESSION_DATA)
            raise Boom
    assert list(Event.objects.values_list("type", flat=True)) == ["session.created"]
    assert [r.headers["webhook-id"] for r in receiver.requests] == [kept.public_id]
