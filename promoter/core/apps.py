from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "promoter.core"
    label = "core"
