"""The labels of a model field's choices, looked up once per field and language.

Django's `get_FOO_display()` builds a dictionary of every choice of the field on each call, and
hashing each lazy label translates it: 50 to 270 µs a call here. A list of 20 reports spent a quarter
of its CPU on it, the map page (its text list and the plants' regions, some 140 calls) more. The
labels of a field in one language do not change while the process runs, so `ChoiceLabels` makes
`get_FOO_display()` read them from a dictionary built once per field and language.
"""

from functools import lru_cache

from django.utils.translation import get_language


@lru_cache(maxsize=1024)
def labels(model, field_name: str, language: str | None) -> dict:
    """{value: label} of `model.field_name`'s choices in `language` (called with it active)."""
    return {value: str(label) for value, label in model._meta.get_field(field_name).flatchoices}


def label(instance, field_name: str):
    """What `instance.get_<field_name>_display()` gives: the label of its value, or the value itself."""
    value = getattr(instance, field_name)
    return labels(type(instance)._meta.get_field(field_name).model, field_name, get_language()).get(value, value)


class ChoiceLabels:
    """Model mixin (put before models.Model): `get_FOO_display()` from `labels`, same result as Django's."""

    def _get_FIELD_display(self, field):
        value = getattr(self, field.attname)
        try:
            return labels(field.model, field.name, get_language()).get(value, value)
        except TypeError:  # a value that cannot be a dictionary key: Django's own way
            return super()._get_FIELD_display(field)
