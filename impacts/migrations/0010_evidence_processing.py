"""Evidence processed in the background: a state per file (processing / ready / refused), the
reason of a late refusal, and the lease a worker holds while it processes a file."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("impacts", "0009_places")]

    operations = [
        # Every existing row was processed in the request that saved it: READY.
        migrations.AddField(
            model_name="evidence",
            name="state",
            field=models.CharField(
                choices=[("processing", "Processing"), ("ready", "Ready"), ("refused", "Refused")],
                default="ready",
                max_length=10,
                verbose_name="processing",
            ),
        ),
        migrations.AddField(
            model_name="evidence",
            name="refusal_reason",
            field=models.CharField(blank=True, max_length=500, verbose_name="why it was refused"),
        ),
        migrations.AddField(
            model_name="evidence",
            name="processing_started_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="processing claimed at"),
        ),
        migrations.AddField(
            model_name="evidence",
            name="attempts",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="processing attempts"),
        ),
        migrations.AddConstraint(
            model_name="evidence",
            constraint=models.CheckConstraint(
                condition=models.Q(("state__in", ["processing", "ready", "refused"])), name="evidence_state_valid"
            ),
        ),
        migrations.AddConstraint(
            model_name="evidence",
            constraint=models.CheckConstraint(
                condition=models.Q(models.Q(("state", "refused"), _negated=True),
                                   models.Q(("refusal_reason", ""), _negated=True), _connector="OR"),
                name="evidence_refused_needs_reason",
            ),
        ),
        # The sweep finds files still processing; few rows ever are, so a partial index stays tiny.
        migrations.AddIndex(
            model_name="evidence",
            index=models.Index(condition=models.Q(("state", "processing")), fields=["processing_started_at"],
                               name="evidence_processing_idx"),
        ),
    ]
