"""`{{ user|staff_name }}`: a staff member as other staff see them (kzcn.admin_site.staff_name)."""

from django import template

from kzcn.admin_site import staff_name as label

register = template.Library()


@register.filter
def staff_name(user) -> str:
    return label(user)
