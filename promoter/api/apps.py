from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "promoter.api"
    label = "api"
