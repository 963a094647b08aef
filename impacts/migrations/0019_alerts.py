# The alerts package's own schema changes (kept in order: one file per package).
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("impacts", "0018_neighbours")]

    operations = [
        # The area's edges, named for the admin.
        *[
            migrations.AlterField(
                model_name="subscription",
                name=name,
                field=models.DecimalField(blank=True, decimal_places=5, max_digits=8, null=True, verbose_name=label),
            )
            for name, label in [("max_latitude", "northern edge"), ("max_longitude", "eastern edge"),
                                ("min_latitude", "southern edge"), ("min_longitude", "western edge")]
        ],
        # Why a send failed (never the address), on the row that stops the item being sent twice.
        migrations.AddField(
            model_name="alertsent",
            name="error",
            field=models.CharField(blank=True, max_length=500),
        ),
        # Exactly one scope: a project, a region, or an area whose box is not empty.
        migrations.AddConstraint(
            model_name="subscription",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("project__isnull", False), ("region", ""), ("max_latitude__isnull", True),
                             ("max_longitude__isnull", True), ("min_latitude__isnull", True),
                             ("min_longitude__isnull", True)),
                    models.Q(("project__isnull", True), models.Q(("region", ""), _negated=True),
                             ("max_latitude__isnull", True), ("max_longitude__isnull", True),
                             ("min_latitude__isnull", True), ("min_longitude__isnull", True)),
                    models.Q(("project__isnull", True), ("region", ""), ("max_latitude__isnull", False),
                             ("max_longitude__isnull", False), ("min_latitude__isnull", False),
                             ("min_latitude__lt", models.F("max_latitude")), ("min_longitude__isnull", False),
                             ("min_longitude__lt", models.F("max_longitude"))),
                    _connector="OR",
                ),
                name="subscription_one_scope",
            ),
        ),
    ]
