from django.db import migrations

from promoter.analytics import rollups


def refresh(apps, schema_editor):
    # The trigger functions read the changed rows once and take each set of properties apart
    # once (rollups._pg_apply); the triggers and the counts are unchanged.
    for statement in rollups.refresh_sql(schema_editor.connection.vendor):
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("analytics", "0001_rollups")]

    operations = [migrations.RunPython(refresh, migrations.RunPython.noop)]
