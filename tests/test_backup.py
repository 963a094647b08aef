"""An operator backs up the site, loses the server, and restores everything on a fresh one."""

import os
import subprocess
import sys
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection

from impacts.models import Evidence, ImpactReport, Status
from kzcn.backup import backup, restore
from tests.reports import make_report
from tests.test_roles import make_evidence
from tests.test_settings import BASE_DIR

pytestmark = pytest.mark.django_db


def use_fresh_storages(settings, root):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": {"location": root / "media"}},
        "sealed": {**settings.STORAGES["sealed"], "OPTIONS": {"location": root / "sealed"}},
    }


def check_deferred_constraints():
    """PostgreSQL refuses to TRUNCATE (flush) tables with unchecked deferred constraints in this transaction."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_restore_brings_back_reports_contacts_users_and_every_file(settings, tmp_path, moderator):
    report = make_report(status=Status.IN_REVIEW, contact_email="aigul@example.org")
    item = make_evidence(report)
    files = {name: getattr(item, name).read() for name in ("public_file", "thumbnail", "sealed_file")}

    counts = backup(tmp_path / "backup", database_format="json")
    assert counts == {"default": 2, "sealed": 1}

    ImpactReport.objects.all().delete()
    get_user_model().objects.all().delete()
    use_fresh_storages(settings, tmp_path / "new-server")
    check_deferred_constraints()
    assert restore(tmp_path / "backup") == {"default": 2, "sealed": 1}

    restored = ImpactReport.objects.get(reference=report.reference)
    assert restored.contact_email == "aigul@example.org"
    restored_item = Evidence.objects.get(pk=item.pk)
    assert {name: getattr(restored_item, name).read() for name in files} == files
    assert (tmp_path / "new-server" / "sealed" / item.sealed_file.name).exists()
    user = get_user_model().objects.get(username="moderator")
    assert user.check_password("a-long-password-1")
    assert user.groups.filter(name="Moderators").exists()


def test_backup_refuses_to_write_into_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "old.txt").write_text("x")

    with pytest.raises(FileExistsError):
        backup(tmp_path, database_format="json")


def test_commands_report_what_they_did(tmp_path, capsys):
    make_evidence(make_report())

    call_command("backup_site", str(tmp_path / "b"), "--format", "json")
    check_deferred_constraints()
    call_command("restore_site", str(tmp_path / "b"), "--yes")

    output = capsys.readouterr().out
    assert "Backed up the database and 2 public and 1 sealed files" in output
    assert "Restored the database and 2 public and 1 sealed files" in output


def manage(database_url: str, var_dir, *args: str, stdin: str | None = None) -> str:
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update({"DATABASE_URL": database_url, "KZCN_VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": "kzcn.settings"})
    result = subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, input=stdin, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


MAKE_DATA = """
from tests.reports import make_report
from tests.test_roles import make_evidence
make_evidence(make_report(contact_email="aigul@example.org"))
"""
COUNT = """
from impacts.models import Evidence, ImpactReport
item = Evidence.objects.get()
print(ImpactReport.objects.get().contact_email, item.sealed_file.read(), item.thumbnail.read())
"""


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump/pg_restore need PostgreSQL")
def test_pg_dump_backup_restores_into_a_fresh_database_and_folders(tmp_path):
    """Two real databases: the old server's and a new empty one, each with its own file folders."""
    import psycopg

    base = connection.settings_dict
    names = [f"kzcn_backup_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    user = base["USER"] + (f":{base['PASSWORD']}" if base.get("PASSWORD") else "")
    urls = [f"postgres://{user}@{base['HOST'] or '127.0.0.1'}:{base['PORT'] or 5432}/{name}" for name in names]
    # CREATE DATABASE cannot run in the test's transaction: use a connection of its own.
    admin = psycopg.connect(
        dbname="postgres", host=base["HOST"] or "127.0.0.1", port=base["PORT"] or 5432, user=base["USER"],
        password=base.get("PASSWORD") or None, autocommit=True,
    )  # fmt: skip
    for name in names:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        old, new = tmp_path / "old", tmp_path / "new"
        manage(urls[0], old, "migrate", "--noinput")
        manage(urls[0], old, "shell", "-c", MAKE_DATA)
        manage(urls[0], old, "backup_site", str(tmp_path / "backup"))
        assert (tmp_path / "backup" / "database.dump").exists()

        manage(urls[1], new, "restore_site", str(tmp_path / "backup"), "--yes")

        assert manage(urls[1], new, "shell", "-c", COUNT).splitlines()[-1] == "aigul@example.org b'raw' b'thm'"
    finally:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
