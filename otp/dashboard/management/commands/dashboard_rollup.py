"""Roll up the dashboard's closed days now (beat does it every few minutes)."""
from django.core.management.base import BaseCommand
from django.utils import timezone

from otp.dashboard.services import dashboard_rollup


class Command(BaseCommand):
    help = "Write the dashboard's daily rollup for every closed day that is due."

    def handle(self, *args, **options):
        result = dashboard_rollup(now=timezone.now())
        self.stdout.write(f"Rolled up {result.days} days from {result.first_day}: {result.rows} rows")
