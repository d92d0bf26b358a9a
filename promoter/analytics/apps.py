from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "promoter.analytics"
    label = "analytics"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from promoter.analytics.rollups import register_sqlite_functions

        # The SQLite rollup triggers call promoter_local_day(): every connection needs it.
        connection_created.connect(register_sqlite_functions, dispatch_uid="promoter_rollups")
