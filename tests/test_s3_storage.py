"""With KZCN_STORAGE=s3, evidence lives in two private buckets and the site works the same.

Runs against a real S3 API: moto in server mode on 127.0.0.1, reached over HTTP by boto3.
"""

import socket
import urllib.request

import boto3
import pytest
from django.core.files.storage import storages
from django.urls import reverse

from impacts.models import Status
from kzcn.backup import backup
from kzcn.s3 import s3_storages
from tests.reports import make_report
from tests.test_roles import make_evidence

pytestmark = pytest.mark.django_db

MEDIA_BUCKET, SEALED_BUCKET = "kzcn-media", "kzcn-sealed"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3(s3_endpoint, settings, monkeypatch):
    """Fresh buckets for each test, and the site's STORAGES pointed at them."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    for bucket in (MEDIA_BUCKET, SEALED_BUCKET):
        client.create_bucket(Bucket=bucket)
    settings.STORAGES = {
        **settings.STORAGES,
        **s3_storages(bucket=MEDIA_BUCKET, sealed_bucket=SEALED_BUCKET, endpoint_url=s3_endpoint, region="us-east-1"),
    }
    yield client
    for bucket in (MEDIA_BUCKET, SEALED_BUCKET):
        for item in client.list_objects_v2(Bucket=bucket).get("Contents", []):
            client.delete_object(Bucket=bucket, Key=item["Key"])
        client.delete_bucket(Bucket=bucket)


def keys(client, bucket) -> list[str]:
    return sorted(item["Key"] for item in client.list_objects_v2(Bucket=bucket).get("Contents", []))


def test_evidence_goes_to_the_buckets_and_nothing_to_local_disk(s3, settings, tmp_path):
    item = make_evidence(make_report())

    assert keys(s3, MEDIA_BUCKET) == sorted([item.public_file.name, item.thumbnail.name])
    assert keys(s3, SEALED_BUCKET) == [item.sealed_file.name]
    assert not (tmp_path / "media").exists() and not (tmp_path / "sealed").exists()


def test_sealed_originals_are_private_objects(s3):
    item = make_evidence(make_report())

    grants = s3.get_object_acl(Bucket=SEALED_BUCKET, Key=item.sealed_file.name)["Grants"]

    assert [grant["Permission"] for grant in grants] == ["FULL_CONTROL"]
    assert all("URI" not in grant["Grantee"] for grant in grants)  # no AllUsers / AuthenticatedUsers


def test_storage_urls_are_signed_and_expire(s3):
    item = make_evidence(make_report())

    url = storages["sealed"].url(item.sealed_file.name)

    assert "X-Amz-Signature=" in url and "X-Amz-Expires=300" in url
    with urllib.request.urlopen(url) as response:  # noqa: S310 - our local moto server
        assert response.read() == b"raw"
    # (moto does not check signatures, so a forged one is not tested here; S3 and MinIO refuse it.)


def test_moderator_sees_evidence_served_by_the_site_from_the_bucket(s3, client, moderator):
    item = make_evidence(make_report(status=Status.IN_REVIEW))
    client.force_login(moderator)

    response = client.get(reverse("impacts:evidence_file", args=[item.pk, "thumb"]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"thm"
    assert response["Cache-Control"] == "no-store, private"


def test_senior_moderator_downloads_the_sealed_original_from_the_private_bucket(s3, client, senior_moderator):
    item = make_evidence(make_report(status=Status.IN_REVIEW))
    client.force_login(senior_moderator)

    response = client.get(reverse("admin:impacts_evidence_sealed", args=[item.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"raw"


def test_health_check_writes_and_deletes_in_both_buckets(s3, client):
    response = client.get(reverse("healthz"))

    assert response.json()["status"] == "ok"
    assert keys(s3, MEDIA_BUCKET) == [] and keys(s3, SEALED_BUCKET) == []


def test_backup_copies_the_buckets(s3, tmp_path):
    item = make_evidence(make_report())

    assert backup(tmp_path / "backup", database_format="json") == {"default": 2, "sealed": 1}
    assert (tmp_path / "backup" / "files" / "sealed" / item.sealed_file.name).read_bytes() == b"raw"


PRINT_STORAGES = "from django.conf import settings; print(settings.STORAGES['sealed']['OPTIONS']['bucket_name'])"


def test_operator_switches_to_s3_with_settings_only(tmp_path):
    from tests.test_settings import run_manage

    result = run_manage(
        tmp_path, "shell", "-c", PRINT_STORAGES,
        KZCN_STORAGE="s3", KZCN_S3_BUCKET="kzcn-media", KZCN_S3_SEALED_BUCKET="kzcn-sealed",
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "kzcn-sealed"


@pytest.mark.parametrize(
    "environment",
    [{"KZCN_STORAGE": "s3", "KZCN_S3_BUCKET": "one"}, {"KZCN_STORAGE": "s3", "KZCN_S3_BUCKET": "same",
     "KZCN_S3_SEALED_BUCKET": "same"}, {"KZCN_STORAGE": "ftp"}],
)  # fmt: skip
def test_half_configured_s3_refuses_to_start(tmp_path, environment):
    from tests.test_settings import run_manage

    result = run_manage(tmp_path, "check", **environment)

    assert result.returncode != 0
    assert "KZCN_S3_SEALED_BUCKET" in result.stderr or "KZCN_STORAGE must be" in result.stderr
