# Placeholder in the chain; its owner fills in the operations.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("impacts", "0009_places")]

    operations = []
