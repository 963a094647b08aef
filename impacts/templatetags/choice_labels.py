"""`{{ report|choice_label:"severity" }}`: what `report.get_severity_display` shows (kzcn.choice_labels)."""

from django import template

from kzcn.choice_labels import label

register = template.Library()


@register.filter
def choice_label(instance, field_name: str):
    """The label of `instance`'s value of `field_name` in the active language (the value itself if not a choice)."""
    return label(instance, field_name)
