"""The report form's references to files kept from an earlier try (impacts.pending_uploads), attacked
beyond tests/test_report_form_retry.py: references naming files outside the pending area (even if the
signing key leaked), original names that try to climb directories or carry markup, and references
bound to another form.
"""

import time

import pytest
from django.core import signing

from impacts import pending_uploads

FORM = "a" * 64
GOOD = {"p": "pending/1999999999-abc.jpg", "h": "0" * 64, "n": "dust.jpg", "s": 10, "e": int(time.time()) + 600,
        "f": FORM}  # fmt: skip


def signed(**changes) -> str:
    return signing.dumps({**GOOD, **changes}, salt=pending_uploads._SALT)


def test_a_well_formed_reference_is_read():
    kept = pending_uploads.read(signed(), FORM)
    assert kept is not None and kept.storage_name == GOOD["p"]


@pytest.mark.parametrize(
    "storage_name",
    [
        "pending/../sealed/2026/10/a.jpg",
        "../pending/x.jpg",
        "sealed/2026/a.jpg",
        "/etc/passwd",
        "pending/..\\..\\settings.py",
        "pendingx/../a.jpg",
        "pending/%2e%2e/a.jpg/..",
    ],
)
def test_a_reference_never_names_a_file_outside_the_pending_area(storage_name):
    assert pending_uploads.read(signed(p=storage_name), FORM) is None


@pytest.mark.parametrize(
    "name", ["../../etc/passwd", "..\\..\\boot.ini", "<img src=x onerror=alert(1)>.jpg", "a\x00b.jpg", "/abs/path.jpg"]
)
def test_the_original_name_comes_back_without_directories_or_control_characters(name):
    kept = pending_uploads.read(signed(n=name), FORM)

    assert kept is not None
    assert "/" not in kept.name and "\\" not in kept.name and "\x00" not in kept.name and ".." not in kept.name


@pytest.mark.parametrize(
    "reference",
    [
        "",
        "x",
        signed()[:-3] + "abc",
        signed(f="b" * 64),
        signing.dumps(GOOD, salt="another-salt"),
        signed(e="soon"),
        signed(s=None),
    ],
)
def test_a_forged_mangled_or_foreign_reference_is_ignored(reference):
    assert pending_uploads.read(reference, FORM) is None
