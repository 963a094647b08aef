"""Back up and restore the whole site: the database and both file storages.

A backup is a folder:
    database.dump   pg_dump -Fc of PostgreSQL (restored with pg_restore), or
    database.json   Django's dumpdata of any database (restored with loaddata)
    files/default/  public derivatives (storage "default")
    files/sealed/   sealed originals (storage "sealed")

Files are copied through Django's storage API, so the same code backs up a local folder or an S3
bucket. The folder holds the reporters' identities and the sealed originals: keep it encrypted.
"""

import os
import shutil
import subprocess
from pathlib import Path

from django.core.files import File
from django.core.files.storage import Storage, storages
from django.core.management import call_command
from django.db import connection

STORAGE_ALIASES = ("default", "sealed")
# Rebuilt by `migrate`; sessions and login throttling are not worth restoring.
NOT_DUMPED = ["contenttypes", "auth.permission", "sessions", "admin.logentry"]


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def _pg_environment() -> tuple[list[str], dict[str, str]]:
    """Connection arguments for pg_dump/pg_restore from Django's settings (password via environment)."""
    db = connection.settings_dict
    args = ["--dbname", db["NAME"]]
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if db.get(key):
            args += [option, str(db[key])]
    environment = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    return args, environment


def _program(name: str) -> str:
    """The full path of a PostgreSQL client program (package postgresql-client)."""
    path = shutil.which(name)
    if path is None:
        raise FileNotFoundError(f"{name} is not installed (apt-get install postgresql-client)")
    return path


def _walk(storage: Storage, folder: str = ""):
    directories, files = storage.listdir(folder)
    for name in files:
        yield f"{folder}/{name}" if folder else name
    for directory in directories:
        yield from _walk(storage, f"{folder}/{directory}" if folder else directory)


def backup(destination: Path, database_format: str = "auto") -> dict[str, int]:
    """Write a backup into `destination` (created; must be empty). Returns counts of what was saved."""
    destination.mkdir(parents=True, exist_ok=True)
    if any(destination.iterdir()):
        raise FileExistsError(f"{destination} is not empty")
    if database_format == "pg" or (database_format == "auto" and is_postgresql()):
        args, environment = _pg_environment()
        subprocess.run(  # noqa: S603 - fixed program, arguments from settings
            [_program("pg_dump"), "--format=custom", "--no-owner", "--file", str(destination / "database.dump"), *args],
            env=environment,
            check=True,
        )
    else:
        call_command(
            "dumpdata", "--natural-foreign", "--natural-primary", *[f"--exclude={name}" for name in NOT_DUMPED],
            output=str(destination / "database.json"), verbosity=0,
        )  # fmt: skip
    counts = {}
    for alias in STORAGE_ALIASES:
        storage, count = storages[alias], 0
        for name in _walk(storage):
            target = destination / "files" / alias / name
            target.parent.mkdir(parents=True, exist_ok=True)
            with storage.open(name, "rb") as source, target.open("wb") as out:
                shutil.copyfileobj(source, out)
            count += 1
        counts[alias] = count
    return counts


def restore(source: Path) -> dict[str, int]:
    """Load a backup into the configured database (its data replaced) and storages."""
    if (source / "database.dump").exists():
        args, environment = _pg_environment()
        connection.close()
        subprocess.run(  # noqa: S603 - fixed program, arguments from settings
            [_program("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction", *args,
             str(source / "database.dump")],
            env=environment, check=True,
        )  # fmt: skip
    elif (source / "database.json").exists():
        call_command("migrate", verbosity=0)
        call_command("flush", interactive=False, verbosity=0)
        call_command("loaddata", str(source / "database.json"), verbosity=0)
    else:
        raise FileNotFoundError(f"{source} holds no database.dump or database.json")
    counts = {}
    for alias in STORAGE_ALIASES:
        storage, count, folder = storages[alias], 0, source / "files" / alias
        for path in sorted(folder.rglob("*")) if folder.exists() else []:
            if path.is_file():
                name = path.relative_to(folder).as_posix()
                if storage.exists(name):
                    storage.delete(name)
                with path.open("rb") as content:
                    saved = storage.save(name, File(content))
                if saved != name:
                    raise RuntimeError(f"{alias}: {name} was stored as {saved}")
                count += 1
        counts[alias] = count
    return counts
