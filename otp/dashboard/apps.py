"""The dashboard app (otp.dashboard): its rollup tables and the admin index that links to it."""
from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "otp.dashboard"
    label = "otp_dashboard"
    verbose_name = "OTP dashboard"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib import admin

        # The admin index with a link to the dashboard (admin/otp_dashboard/index.html extends
        # Django's own); set here so no project-wide template directory is needed.
        admin.site.index_template = "admin/otp_dashboard/index.html"
