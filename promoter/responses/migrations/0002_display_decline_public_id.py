# Displays and declines get a client-generated public id, so a retried send is recorded once.
# Three steps, as existing rows each need their own random id before the column is unique.
import uuid

from django.db import migrations, models


def fill_public_ids(apps, schema_editor):
    for name in ("Display", "Decline"):
        model = apps.get_model("responses", name)
        rows = list(model.objects.filter(public_id__isnull=True).only("pk"))
        for row in rows:
            row.public_id = uuid.uuid4()
        model.objects.bulk_update(rows, ["public_id"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [("responses", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="display",
            name="public_id",
            field=models.UUIDField(null=True),
        ),
        migrations.AddField(
            model_name="decline",
            name="public_id",
            field=models.UUIDField(null=True),
        ),
        migrations.RunPython(fill_public_ids, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="display",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, unique=True),
        ),
        migrations.AlterField(
            model_name="decline",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, unique=True),
        ),
    ]
