# Placeholder in the chain; its owner fills in the operations.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("impacts", "0011_evidence_media")]

    operations = []
