# Placeholder in the chain; its owner fills in the operations.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("impacts", "0010_evidence_processing")]

    operations = []
