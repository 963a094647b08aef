# The replies package's own schema changes: what became of the last e-mail to the company.
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("impacts", "0015_after_publication")]

    operations = [
        migrations.AddField(
            model_name="companyinvitation",
            name="mail_state",
            field=models.CharField(
                blank=True,
                choices=[("queued", "queued"), ("sent", "sent"), ("failed", "failed")],
                max_length=10,
                verbose_name="last e-mail",
            ),
        ),
        migrations.AddField(
            model_name="companyinvitation",
            name="mail_error",
            field=models.CharField(blank=True, max_length=500, verbose_name="why the last e-mail failed"),
        ),
        migrations.AddField(
            model_name="companyinvitation",
            name="mailed_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="last e-mail attempted"),
        ),
    ]
