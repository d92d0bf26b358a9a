from django.apps import AppConfig


class ResponsesConfig(AppConfig):
    name = "promoter.responses"
    label = "responses"
