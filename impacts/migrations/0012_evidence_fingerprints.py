"""Fingerprints of evidence: the public copy's SHA-256, a perceptual hash in four indexed bands,
and an index on the original's SHA-256 (impacts.evidence.fingerprints)."""

from django.db import migrations, models


def band(number: int) -> migrations.AddField:
    return migrations.AddField(
        model_name="evidence",
        name=f"phash_band_{number}",
        field=models.IntegerField(blank=True, db_index=True, editable=False, null=True),
    )


class Migration(migrations.Migration):
    dependencies = [("impacts", "0011_evidence_media")]

    operations = [
        migrations.AddField(
            model_name="evidence",
            name="public_sha256",
            field=models.CharField(
                blank=True, editable=False, max_length=64, verbose_name="SHA-256 of the public copy"
            ),
        ),
        migrations.AddField(
            model_name="evidence",
            name="phash",
            field=models.BigIntegerField(blank=True, editable=False, null=True, verbose_name="perceptual hash"),
        ),
        band(0),
        band(1),
        band(2),
        band(3),
        migrations.AlterField(
            model_name="evidence",
            name="sha256",
            field=models.CharField(db_index=True, max_length=64, verbose_name="SHA-256 of the original"),
        ),
    ]
