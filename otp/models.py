"""OTP sessions, one verification row per channel, delivery attempts, outbox and idempotency."""
import uuid

from django.db import models
from django.db.models import F, Q

from .lifecycle import live_q
from .states import Channel, Delivery, DeliveryStatus, SessionStatus, Strategy

__all__ = [
    "Channel", "ChannelVerification", "Delivery", "DeliveryAttempt", "DeliveryStatus", "IdempotencyRecord", "OTPSession",
    "OutboxMessage", "SessionStatus", "Strategy",
]


class OTPSessionQuerySet(models.QuerySet):
    def reachable(self, *, account, sandbox_only: bool):
        """The sessions an API key reaches: its account's, and only sandbox ones for a test key.

        Key modes partition the data (as Stripe's test mode does): a live session answers a test
        key exactly as an unknown one. Every session endpoint starts from here.
        """
        sessions = self.filter(account=account)
        return sessions.filter(sandbox=True) if sandbox_only else sessions

    def live(self, now):
        """Sessions a code may still be sent to or checked against (otp.lifecycle)."""
        return self.filter(live_q(now))


class ChannelVerificationQuerySet(models.QuerySet):
    def deliverable(self, now):
        """Rows whose current generation may still go out: QUEUED, on a live session before its expiry."""
        # The session test is a subquery, not a join: Django compiles a filtered UPDATE over a join as
        # `WHERE id IN (SELECT … JOIN …)`, and PostgreSQL re-checks only that `id IN` against a row a
        # concurrent resend changed, so a stale claim could land on the next generation.
        return self.filter(
            delivery_status=DeliveryStatus.QUEUED, session_id__in=OTPSession.objects.live(now).values("pk")
        )

    def claimable(self, now, *, lease, own_claims=()):
        """Deliverable rows no attempt holds now: unclaimed, or claimed longer ago than the lease
        (its worker died), or under one of `own_claims` (this task's earlier tries)."""
        free = Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - lease)
        if own_claims:
            free |= Q(claimed_at__in=own_claims)
        return self.deliverable(now).filter(free)

    def abandoned(self, now, *, lease):
        """QUEUED rows of ended or expired live sessions that no attempt holds: they never went out.

        Only QUEUED rows are read, through the partial index otp_chan_queued.
        """
        return self.filter(
            Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - lease),
            ~live_q(now, prefix="session__"),
            delivery_status=DeliveryStatus.QUEUED,
            session__sandbox=False,
        )


class OTPSession(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="otp_sessions")
    status = models.CharField(max_length=10, choices=SessionStatus.choices, default=SessionStatus.PENDING)
    verification_strategy = models.CharField(max_length=8, choices=Strategy.choices, default=Strategy.ALL)
    required_channels = models.JSONField(default=list, blank=True)
    otp_length = models.PositiveSmallIntegerField(default=6)
    expiry_minutes = models.PositiveSmallIntegerField(default=10)
    max_attempts = models.PositiveSmallIntegerField(default=3)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    resend_count = models.PositiveSmallIntegerField(default=0)
    metadata = models.JSONField(default=dict, blank=True)
    # config.locale (BCP 47, as given) and config.android_app_hash: how the messages are written.
    # db_default too: rows written by code that predates the columns (a rolling deploy) still insert.
    locale = models.CharField(max_length=35, blank=True, default="", db_default="")
    android_app_hash = models.CharField(max_length=11, blank=True, default="", db_default="")
    # config.delivery and, with "fallback", config.fallback_after_seconds (otp.delivery.fallback).
    delivery = models.CharField(max_length=8, choices=Delivery.choices, default=Delivery.ALL, db_default=Delivery.ALL)
    fallback_after_seconds = models.PositiveSmallIntegerField(null=True, blank=True)
    # The channel holding the fallback chain now (the last one sent): only its failure or window
    # moves the chain on, so a late report about an earlier channel sends nothing more.
    fallback_channel = models.CharField(max_length=8, blank=True, default="", db_default="")
    sandbox = models.BooleanField(default=False)
    add_contact = models.BooleanField(default=False)
    created_at = models.DateTimeField(db_index=True)
    last_sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    verified_at = models.DateTimeField(null=True, blank=True)

    objects = OTPSessionQuerySet.as_manager()

    class Meta:
        verbose_name = "OTP session"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(failed_attempts__lte=F("max_attempts")), name="otp_attempts_within_max"
            ),
            models.CheckConstraint(
                condition=Q(status__in=SessionStatus.values), name="otp_session_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(otp_length__gte=4, otp_length__lte=8), name="otp_length_range"
            ),
        ]
        indexes = [
            models.Index(fields=["account", "-created_at"], name="otp_sess_account_created"),
            models.Index(fields=["account", "status", "-created_at"], name="otp_sess_account_status"),
            models.Index(fields=["account", "sandbox", "-created_at"], name="otp_sess_account_sandbox"),
            models.Index(fields=["status", "expires_at"], name="otp_sess_status_expires"),
        ]

    def __str__(self) -> str:
        return str(self.id)


class ChannelVerification(models.Model):
    session = models.ForeignKey(OTPSession, on_delete=models.CASCADE, related_name="channel_rows")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    recipient = models.CharField(max_length=254)
    # bcrypt(HMAC-SHA256(pepper, session|channel|code)); empty until the delivery task runs.
    code_hash = models.CharField(max_length=80, blank=True, default="")
    # Bumped by every resend; a delivery task for an older generation does nothing.
    generation = models.PositiveIntegerField(default=1)
    # When a delivery task took this generation; a claim older than the lease may be retaken
    # (the worker died mid-task), a fresh one may not (a duplicate task sends nothing).
    claimed_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    delivery_status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED)
    provider = models.CharField(max_length=32, blank=True, default="")
    provider_message_id = models.CharField(max_length=128, blank=True, default="", db_index=True)
    last_error = models.TextField(blank=True, default="")
    # Which template wrote the current generation's message: {source, key, locale, version}.
    template = models.JSONField(null=True, blank=True)
    # Fallback delivery: when the chain moves on from this channel unless it is DELIVERED first (its
    # send + the window), or now (it failed for good). Taken by one conditional UPDATE (the
    # fallback_check countdown task or the beat sweep, whichever comes first).
    fallback_due_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ChannelVerificationQuerySet.as_manager()

    class Meta:
        constraints = [
            # Also serves the sessions list's channel filter (an EXISTS on session, channel).
            models.UniqueConstraint(fields=["session", "channel"], name="otp_one_row_per_channel"),
        ]
        indexes = [
            models.Index(fields=["recipient"], name="otp_chan_recipient"),
            # Housekeeping looks for channels that never went out every minute: a partial index
            # holds only the few QUEUED rows, so it does not scan every channel ever sent. Keyed by
            # id: a delivery's claim and record (QUEUED and this id) may be planned on this index,
            # and keyed by session they scanned every queued row for their one, so a backlog of
            # queued codes (a worker down, a provider outage) drained in quadratic time.
            models.Index(fields=["id"], condition=Q(delivery_status=DeliveryStatus.QUEUED), name="otp_chan_queued"),
            # The fallback sweep reads only the few rows whose chain is waiting.
            models.Index(
                fields=["fallback_due_at"], condition=Q(fallback_due_at__isnull=False), name="otp_chan_fallback_due"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.session_id}/{self.channel}"


class DeliveryAttempt(models.Model):
    class Outcome(models.TextChoices):
        SENT = "sent"
        RETRY = "retry"
        FAILED = "failed"
        # A provider's status callback about a sent message (otp.delivery.state.channel_delivery_report).
        DELIVERED = "delivered", "Delivered (provider report)"
        UNDELIVERED = "undelivered", "Undelivered (provider report)"

    channel_row = models.ForeignKey(ChannelVerification, on_delete=models.CASCADE, related_name="attempts")
    generation = models.PositiveIntegerField()
    attempted_at = models.DateTimeField(auto_now_add=True)
    provider = models.CharField(max_length=32)
    provider_message_id = models.CharField(max_length=128, blank=True, default="")
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["attempted_at"]

    def __str__(self) -> str:
        return f"{self.provider} {self.outcome} at {self.attempted_at:%Y-%m-%d %H:%M:%S}"


class OutboxMessage(models.Model):
    """A message the outbox provider 'delivered'. The code is masked here; see docs/security.md."""

    channel = models.CharField(max_length=8, choices=Channel.choices)
    to = models.CharField(max_length=254)
    subject = models.CharField(max_length=255, blank=True, default="")
    body = models.TextField()
    html = models.TextField(blank=True, default="")
    session = models.ForeignKey(OTPSession, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.channel} to {self.to}"


class IdempotencyRecord(models.Model):
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    # Keys are per key mode, as Stripe's are: a test key can neither use up a live request's key
    # nor learn which keys live traffic used.
    test_mode = models.BooleanField(default=False)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    session = models.ForeignKey(OTPSession, null=True, on_delete=models.CASCADE, related_name="+")
    # The first response, with any sandbox codes removed: codes are never stored in clear.
    response = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "test_mode", "key"], name="otp_idempotency_key_per_mode")
        ]

    def __str__(self) -> str:
        return self.key


# The fraud guard's tables live in otp.fraud.models; imported here so Django registers them with otp.
from .fraud.models import FraudCountryHour, FraudDecision, FraudHit, FraudListEntry, TestRecipient  # noqa: E402, F401
