from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "promoter.dashboard"
    label = "dashboard"
