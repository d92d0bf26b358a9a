from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo as an app: its `demo` and `seed` commands and the /demo/ page's template."""

    name = "promoter.demo"
    label = "demo"
