from django.apps import AppConfig


class TextConfig(AppConfig):
    name = "promoter.text"
    label = "text"
    verbose_name = "Text analytics"
