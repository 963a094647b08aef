"""How the public reaches the team (KZCN_CONTACT_EMAIL), for the templates."""

from django.conf import settings
from django.http import HttpRequest


def contact_email(request: HttpRequest) -> dict:
    """Context processor: `contact_email`, empty when the site has none (then no contact links are shown)."""
    return {"contact_email": settings.KZCN_CONTACT_EMAIL}
