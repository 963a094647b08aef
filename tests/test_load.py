"""The load test (bench/load_test.py) as a slow test: `pytest -m slow`, or `make load` on its own.

Needs PostgreSQL and Redis on 127.0.0.1 (the database kzcn_h is recreated); skipped without them.
"""

import socket

import pytest


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.slow
@pytest.mark.skipif(not (_listening(5432) and _listening(6379)), reason="needs PostgreSQL and Redis on 127.0.0.1")
def test_gunicorn_on_postgresql_serves_200_reports_from_20_clients_without_loss():
    from bench import load_test

    assert load_test.main([]) == 0
