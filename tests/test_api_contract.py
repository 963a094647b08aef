"""The API keeps its contract: schemathesis, against a live server, finds no answer the schema does not promise.

`st run <site>/api/schema/ --checks all` generates requests from the OpenAPI schema (valid ones,
which must be accepted, and invalid ones, which must be refused), follows the links between
operations, and checks every answer against the schema: status codes, content types, headers and
bodies. Bounded (a fixed seed and a few examples per operation) so that it runs in `make test` on
SQLite and PostgreSQL in well under two minutes, the same cases every time.
"""

import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import timezone

from kzcn.outages import ApiRateThrottle
from tests.reports import make_report, make_site_project

SCHEMATHESIS = Path(sys.executable).parent / "st"
EXAMPLES_PER_OPERATION = "10"
SEED = "20261130"


@pytest.fixture
def site_with_reports(transactional_db):
    """A project and enough published reports for more than one page (and one that is not public)."""
    project = make_site_project()
    for number in range(7):
        make_report(
            project=project if number % 2 else None,
            status="published",
            published_at=timezone.now(),
            public_title=f"Dust {number}",
            severity=1 + number % 4,
            categories=["air", "water"],
        )
    make_report(public_title="Still in review")
    return project


@pytest.fixture
def unthrottled(monkeypatch):
    # The run sends hundreds of requests from one address; 429 stays documented in the schema.
    monkeypatch.setattr(ApiRateThrottle, "THROTTLE_RATES", {"anon": "1000000/minute"})


# Two minutes of generated requests: in `make test` always, in CI once (the PostgreSQL pass).
@pytest.mark.slow
def test_schemathesis_finds_no_mismatch_between_the_api_and_its_schema(
    live_server, site_with_reports, unthrottled, tmp_path
):
    run = subprocess.run(  # noqa: S603 (our own tool from the virtualenv, fixed arguments)
        [str(SCHEMATHESIS), "run", f"{live_server.url}/api/schema/", "--checks", "all",
         "--max-examples", EXAMPLES_PER_OPERATION, "--seed", SEED, "--workers", "1", "--no-color"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-6000:]
    assert "No issues found" in output or "passed" in output, output[-3000:]
