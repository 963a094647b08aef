# Placeholder for the replies package's own schema changes (kept in order: one file per package).
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("impacts", "0015_after_publication")]

    operations = []
