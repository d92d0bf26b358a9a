from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "promoter.analytics"
    label = "analytics"
