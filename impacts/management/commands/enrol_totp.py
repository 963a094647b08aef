"""Give a staff user a TOTP authenticator for the admin's two-factor sign-in.

    manage.py enrol_totp USERNAME [--svg qr.svg] [--replace]

Prints the otpauth:// address (and a QR code in the terminal) to scan with an authenticator app
such as FreeOTP, Aegis or Google Authenticator. Show it to the user only, in person if possible:
whoever holds it can generate their codes.
"""

import io

import qrcode
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.qr import write_qrcode_image

DEVICE_NAME = "authenticator"


class Command(BaseCommand):
    help = "Create a TOTP device for a staff user and print its provisioning address and QR code."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--svg", help="also write the QR code as an SVG file here")
        parser.add_argument("--replace", action="store_true", help="remove the user's existing TOTP devices first")

    def handle(self, username, svg=None, replace=False, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        existing = TOTPDevice.objects.filter(user=user)
        if existing.exists() and not replace:
            raise CommandError(f"{username} already has an authenticator; use --replace to issue a new one.")
        existing.delete()
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=True)
        self.stdout.write(f"Authenticator for {username}. Scan this, or type the address into the app:\n")
        self.stdout.write(device.config_url + "\n")
        code = qrcode.QRCode(border=2)
        code.add_data(device.config_url)
        text = io.StringIO()
        code.print_ascii(out=text, invert=True)
        self.stdout.write(text.getvalue())
        if svg:
            with open(svg, "wb") as out:
                write_qrcode_image(device.config_url, out)
            self.stdout.write(f"QR code written to {svg} (delete it once scanned).")
