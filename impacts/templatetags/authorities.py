"""`{% authority_record report %}`: the public record of a report's letters to the authorities."""

from django import template
from django.utils import timezone
from django.utils.translation import get_language

from ..authorities.deadlines import legal_source
from ..authorities.models import AuthorityRequest

register = template.Library()


@register.inclusion_tag("impacts/authorities/public_record.html")
def authority_record(report) -> dict:
    """Letters recorded as sent, with their deadline or answer; passed deadlines flagged (one query)."""
    today, language = timezone.localdate(), get_language()
    requests = list(AuthorityRequest.objects.public().filter(report=report).order_by("sent_on", "pk"))
    for item in requests:
        item.authority_name = item.authority.name_in(language)
        item.overdue = item.is_overdue(today)
        item.deadline_source = legal_source(item.kind)
    return {"requests": requests}
