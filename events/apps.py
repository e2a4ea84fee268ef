"""Events app configuration."""
from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from . import checks  # noqa: F401 (registers the system check)
