"""Someone guessing a moderator's password is locked out after five tries."""

import pytest
from django.urls import reverse

PASSWORD = "a-long-password-1"  # the personas' password (tests/conftest.py)


def sign_in(client, password, address="203.0.113.7"):
    return client.post(reverse("admin:login"), {"username": "moderator", "password": password}, REMOTE_ADDR=address)


@pytest.mark.django_db
def test_right_password_signs_in(client, moderator):
    response = sign_in(client, PASSWORD)

    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(moderator.pk)


@pytest.mark.django_db
def test_sixth_try_is_refused_even_with_the_right_password(client, moderator):
    for _attempt in range(4):
        assert sign_in(client, "wrong-guess").status_code == 200
    sign_in(client, "wrong-guess")

    response = sign_in(client, PASSWORD)

    assert response.status_code == 429
    assert "locked" in response.content.decode().lower()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_lockout_is_per_address_so_the_real_moderator_elsewhere_can_sign_in(client, moderator):
    for _attempt in range(5):
        sign_in(client, "wrong-guess", address="203.0.113.7")

    response = sign_in(client, PASSWORD, address="198.51.100.20")

    assert response.status_code == 302


@pytest.mark.django_db
def test_no_ip_address_is_written_to_the_database(client, moderator):
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    for _attempt in range(3):
        sign_in(client, "wrong-guess")
    sign_in(client, PASSWORD)

    assert not AccessAttempt.objects.exists()
    assert not AccessLog.objects.exists()
    assert not AccessFailureLog.objects.exists()


@pytest.mark.django_db
def test_operator_can_lift_a_lockout_early(client, moderator):
    from django.core.management import call_command

    for _attempt in range(5):
        sign_in(client, "wrong-guess")

    call_command("axes_reset_ip_username", "203.0.113.7", "moderator")

    assert sign_in(client, PASSWORD).status_code == 302
