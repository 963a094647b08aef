"""Places: which public point a report shows (the moderator's choice; existing reports keep their
rounded point, hence the default)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("impacts", "0008_stored_search_vector")]

    operations = [
        migrations.AddField(
            model_name="impactreport",
            name="public_location_kind",
            field=models.CharField(
                choices=[("settlement", "centre of the nearest settlement"), ("coarse", "rounded to about 1 km"),
                         ("none", "not shown on the map")],
                default="coarse", max_length=12, verbose_name="public location",
            ),
        ),
        migrations.AddField(
            model_name="historicalimpactreport",
            name="public_location_kind",
            field=models.CharField(
                choices=[("settlement", "centre of the nearest settlement"), ("coarse", "rounded to about 1 km"),
                         ("none", "not shown on the map")],
                default="coarse", max_length=12, verbose_name="public location",
            ),
        ),
        migrations.AddConstraint(
            model_name="impactreport",
            constraint=models.CheckConstraint(
                condition=models.Q(("public_location_kind__in", ["settlement", "coarse", "none"])),
                name="report_public_location_kind_valid",
            ),
        ),
    ]
