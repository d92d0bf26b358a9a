from django.db import migrations


def refresh(apps, schema_editor):
    # This replaced the trigger functions by ones that read the changed rows once. 0003 now
    # installs today's triggers and functions (which also write the weekly rollup it creates),
    # so there is nothing left to do here.
    pass


class Migration(migrations.Migration):
    dependencies = [("analytics", "0001_rollups")]

    operations = [migrations.RunPython(refresh, migrations.RunPython.noop)]
