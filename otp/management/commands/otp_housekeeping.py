"""otp_housekeeping: mark expired sessions and purge old ones now (beat runs it periodically)."""
from django.core.management.base import BaseCommand
from django.utils import timezone

from otp.housekeeping import housekeeping_run


class Command(BaseCommand):
    help = "Mark sessions past expires_at as EXPIRED and purge rows older than OTP_RETENTION_DAYS."

    def handle(self, *args, **options):
        result = housekeeping_run(now=timezone.now())
        self.stdout.write(
            f"expired={result.expired} undelivered={result.undelivered} purged_sessions={result.purged_sessions} "
            f"purged_idempotency={result.purged_idempotency} purged_outbox={result.purged_outbox}"
        )
