from django.apps import AppConfig


class IngestConfig(AppConfig):
    name = "promoter.ingest"
    label = "ingest"
