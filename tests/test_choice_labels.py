"""get_FOO_display() through kzcn.choice_labels gives what Django's own gives, in every language,
for every choice of every field of the models that use it, and for a value that is not a choice."""

import pytest
from django.db import models
from django.utils import translation

from impacts.models import Evidence, ImpactReport, ReportCategory, ReportTransition
from kzcn.choice_labels import ChoiceLabels, label
from projects.models import Project

MODELS = [ImpactReport, ReportCategory, Evidence, ReportTransition, Project]


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_label_is_djangos(model, language):
    assert issubclass(model, ChoiceLabels)
    fields = [f for f in model._meta.concrete_fields if f.choices]
    assert fields, model
    with translation.override(language):
        for field in fields:
            for value in [*(v for v, _ in field.flatchoices), "not-a-choice"]:
                instance = model(**{field.attname: value})
                ours = getattr(instance, f"get_{field.name}_display")()
                assert ours == models.Model._get_FIELD_display(instance, field), (field, value)
                assert label(instance, field.name) == ours


def test_an_unhashable_value_falls_back_to_djangos_way():
    report = ImpactReport(region=["not", "hashable"])
    field = ImpactReport._meta.get_field("region")
    assert report.get_region_display() == models.Model._get_FIELD_display(report, field) == "['not', 'hashable']"
