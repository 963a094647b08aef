# The authorities package's own schema changes (kept in order: one file per package).
from django.db import migrations


def sync_roles(apps, schema_editor):
    from impacts.roles import sync_roles

    sync_roles(apps)  # moderators and editors get the permissions on authorities and letters


class Migration(migrations.Migration):
    dependencies = [("impacts", "0016_replies")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
