from django.apps import AppConfig


class IngestConfig(AppConfig):
    name = "promoter.ingest"
    label = "ingest"

    def ready(self) -> None:
        # The receivers that keep the ingest cache in step with settings changes.
        from promoter.ingest import cache  # noqa: F401
