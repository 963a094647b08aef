# Placeholder for the alerts package's own schema changes (kept in order: one file per package).
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("impacts", "0018_neighbours")]

    operations = []
