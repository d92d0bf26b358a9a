from django.apps import AppConfig


class PromoterConfig(AppConfig):
    """The project package as an app: its system checks, CLI commands and base templates."""

    name = "promoter"
    label = "promoter"

    def ready(self) -> None:
        from promoter import checks  # noqa: F401  (registers the system checks)
