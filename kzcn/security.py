"""Response headers that settings alone cannot express."""

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's policy from settings, with inline styles allowed in the admin only.

    Django's admin templates (and ours under impacts/templates/admin/) use style attributes; the
    public pages do not, so they keep style-src 'self'. Scripts stay 'self' everywhere.
    """

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if request.path_info.startswith(f"/{settings.KZCN_ADMIN_URL}") and parts.update is None:
            parts.update = {"style-src": ["'unsafe-inline'"]}
        return parts


class PermissionsPolicyMiddleware:
    """Adds the Permissions-Policy header from settings.KZCN_PERMISSIONS_POLICY to every response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.KZCN_PERMISSIONS_POLICY)
        return response
