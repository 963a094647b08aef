"""Published reports by id, with their date, as an index: a category-filtered list is counted by a
merge join with the (category, report) index, both read from their indexes alone (issue 16)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("impacts", "0023_search_words"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="impactreport",
            index=models.Index(
                condition=models.Q(("status", "published")),
                fields=["id"],
                include=("observed_on",),
                name="report_published_id",
            ),
        ),
    ]
