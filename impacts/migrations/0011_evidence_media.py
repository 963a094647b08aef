# Videos and voice messages as evidence (issue 14): their kinds, duration, poster, the reporter's
# consent to publish a voice, and the moderator's summary and approval.
from django.db import migrations, models

import impacts.models


class Migration(migrations.Migration):
    dependencies = [("impacts", "0010_evidence_processing")]

    operations = [
        migrations.AlterField(
            model_name="evidence",
            name="kind",
            field=models.CharField(
                choices=[("photo", "Photo"), ("document", "Document"), ("video", "Video"),
                         ("audio", "Voice message")],
                max_length=10,
                verbose_name="kind",
            ),
        ),
        migrations.AddField(
            model_name="evidence",
            name="poster",
            field=models.FileField(blank=True, upload_to=impacts.models.random_name, verbose_name="poster picture"),
        ),
        migrations.AddField(
            model_name="evidence",
            name="duration_seconds",
            field=models.FloatField(blank=True, null=True, verbose_name="duration in seconds"),
        ),
        migrations.AddField(
            model_name="evidence",
            name="summary",
            field=models.TextField(
                blank=True,
                help_text="What the recording says, in words: shown to everyone in place of a voice that is not "
                "published, and as the text alternative of one that is.",
                verbose_name="written summary",
            ),
        ),
        migrations.AddField(
            model_name="evidence",
            name="voice_publication_approved",
            field=models.BooleanField(
                default=False,
                help_text="Only if the reporter allowed it in the form. Otherwise only the summary is public.",
                verbose_name="publish the voice itself",
            ),
        ),
        migrations.AddField(
            model_name="impactreport",
            name="voice_may_be_published",
            field=models.BooleanField(default=False, verbose_name="my voice messages may be published"),
        ),
        migrations.AddField(
            model_name="historicalimpactreport",
            name="voice_may_be_published",
            field=models.BooleanField(default=False, verbose_name="my voice messages may be published"),
        ),
    ]
