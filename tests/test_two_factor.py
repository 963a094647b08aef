"""With two-factor sign-in required, a stolen password alone does not open the admin."""

import pytest
from django.core.management import call_command
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from impacts.models import Status
from tests.reports import make_report
from tests.test_roles import make_evidence

PASSWORD = "a-long-password-1"


@pytest.fixture
def two_factor_required(settings):
    settings.KZCN_REQUIRE_2FA = True


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


@pytest.mark.django_db
def test_staff_signed_in_with_password_only_cannot_open_the_reports(client, moderator, two_factor_required):
    client.force_login(moderator)

    response = client.get(reverse("admin:impacts_impactreport_changelist"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.django_db
def test_login_page_asks_for_a_one_time_code(client, two_factor_required):
    assert 'name="otp_token"' in client.get(reverse("admin:login")).content.decode()


@pytest.mark.django_db
def test_staff_with_a_verified_authenticator_can_open_the_reports(client, moderator, two_factor_required):
    device = TOTPDevice.objects.create(user=moderator, name="phone", confirmed=True)

    response = client.post(
        reverse("admin:login"),
        {
            "username": "moderator",
            "password": PASSWORD,
            "otp_device": device.persistent_id,
            "otp_token": current_code(device),
        },
    )
    assert response.status_code == 302, response.context["form"].errors

    assert client.get(reverse("admin:impacts_impactreport_changelist")).status_code == 200


@pytest.mark.django_db
def test_wrong_code_keeps_staff_out(client, moderator, two_factor_required):
    device = TOTPDevice.objects.create(user=moderator, name="phone", confirmed=True)
    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"

    client.post(
        reverse("admin:login"),
        {
            "username": "moderator",
            "password": PASSWORD,
            "otp_device": device.persistent_id,
            "otp_token": wrong,
        },
    )

    assert client.get(reverse("admin:impacts_impactreport_changelist")).status_code == 302


@pytest.mark.django_db
def test_unverified_staff_cannot_see_unpublished_evidence_outside_the_admin(client, moderator, two_factor_required):
    item = make_evidence(make_report(status=Status.IN_REVIEW))
    url = reverse("impacts:evidence_file", args=[item.pk, "thumb"])

    client.force_login(moderator)
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_without_the_setting_password_sign_in_is_enough(client, moderator, settings):
    settings.KZCN_REQUIRE_2FA = False
    client.force_login(moderator)

    assert client.get(reverse("admin:impacts_impactreport_changelist")).status_code == 200


@pytest.mark.django_db
def test_enrol_command_gives_a_confirmed_authenticator_and_its_address(moderator, capsys, tmp_path):
    call_command("enrol_totp", "moderator", svg=str(tmp_path / "qr.svg"))

    output = capsys.readouterr().out
    assert "otpauth://totp/" in output
    assert TOTPDevice.objects.get(user=moderator).confirmed
    assert (tmp_path / "qr.svg").read_text().lstrip().startswith("<?xml")
