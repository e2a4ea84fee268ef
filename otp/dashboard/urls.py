"""The dashboard's route, under /admin/ (otpservice.urls includes it before the admin site)."""
from django.contrib import admin
from django.urls import path

from .views import dashboard_view

urlpatterns = [path("", admin.site.admin_view(dashboard_view), name="otp-dashboard")]
