# Placeholder in the chain; its owner fills in the operations.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("impacts", "0008_stored_search_vector")]

    operations = []
