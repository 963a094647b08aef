"""Which facts came from the import file and which are an editor's: the rule the importer follows.

Every imported record remembers the file's value per field (``imported_values``); an edit in
the admin marks the field in ``edited_fields`` with who, when and the source given. A field is
the editor's when it is marked, or when its value differs from what the file gave last time
(a change made outside the admin). The import writes only the other fields. Where the file
says something else than the editor, it leaves the editor's value and records an
``ImportConflict``, once per disagreement, for an editor to settle in the admin.
"""

import datetime
from decimal import Decimal

from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .models import (
    ConflictState,
    Financing,
    ImportConflict,
    ImportDeletion,
    ImportedFacts,
    ProgrammeFigure,
    Project,
    ProjectEvent,
    ProjectParty,
    Source,
)

# ImportConflict.model → the model, and back.
MODELS: dict[str, type[ImportedFacts]] = {
    "project": Project,
    "source": Source,
    "party": ProjectParty,
    "financing": Financing,
    "figure": ProgrammeFigure,
    "event": ProjectEvent,
}
MODEL_NAMES = {model: name for name, model in MODELS.items()}
# The fields the importer finds each record by (see import_projects).
IMPORT_KEYS = {
    Project: ["slug"],
    Source: ["project", "url"],
    ProjectParty: ["project", "company", "role"],
    Financing: ["project", "lender", "stage"],
    ProjectEvent: ["project", "kind", "date", "source"],
    ProgrammeFigure: ["key"],
}


def as_json(value):
    """A field value as ``imported_values`` stores it: decimals and dates as text, so 2100 == 2100.00."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    return value


def is_empty(json_value) -> bool:
    return json_value in (None, "")


def editor_owns(instance: ImportedFacts, field: str) -> bool:
    if field in instance.edited_fields:
        return True
    if field not in instance.imported_values:
        return False  # imported before provenance was recorded, and not edited in the admin since
    return as_json(getattr(instance, field)) != instance.imported_values[field]


def merge(instance: ImportedFacts, values: dict) -> tuple[list[str], list[tuple[str, object]]]:
    """Write the file's ``values`` into the fields nobody edited.

    Returns the fields changed and the (field, file value) pairs the editor's value was kept
    against. A file that is silent on a field (empty cell) never disputes an editor's value.
    """
    changed, disputed = [], []
    for field, value in values.items():
        file_value, current = as_json(value), as_json(getattr(instance, field))
        if current != file_value:
            if editor_owns(instance, field):
                if not is_empty(file_value):
                    disputed.append((field, file_value))
            else:
                setattr(instance, field, value)
                changed.append(field)
        instance.imported_values[field] = file_value
    return changed, disputed


def record_conflict(instance: ImportedFacts, field: str, file_value, project: Project | None) -> bool:
    """Record that the file says ``file_value`` where the editor kept another; True if it is news.

    One open conflict per fact, updated if the file or the editor changed since; a disagreement
    an editor already settled by keeping their value is not raised again.
    """
    model = MODEL_NAMES[type(instance)]
    editor_value = as_json(getattr(instance, field))
    known = list(ImportConflict.objects.filter(model=model, object_id=instance.pk, field=field))
    if any(
        c.state == ConflictState.KEPT_EDITOR and (c.file_value, c.editor_value) == (file_value, editor_value)
        for c in known
    ):
        return False
    edit = instance.edited_fields.get(field, {})
    details = {
        "project": project,
        "record_label": str(instance)[:500],
        "file_value": file_value,
        "editor_value": editor_value,
        "edited_by": edit.get("by", ""),
        "edited_at": parse_datetime(edit["at"]) if edit.get("at") else None,
    }
    open_conflict = next((c for c in known if c.state == ConflictState.OPEN), None)
    if open_conflict is None:
        ImportConflict.objects.create(model=model, object_id=instance.pk, field=field, **details)
        return True
    if (open_conflict.file_value, open_conflict.editor_value) == (file_value, editor_value):
        return False
    ImportConflict.objects.filter(pk=open_conflict.pk).update(**details)
    return True


def mark_edited(instance: ImportedFacts, fields, user, source: Source | None = None) -> None:
    """Mark ``fields`` as the editor's (who, when, with which source); the caller saves."""
    now = timezone.now().isoformat()
    for field in fields:
        instance.edited_fields[field] = {
            "by": user.get_username(),
            "at": now,
            "source": source.pk if source else None,
        }


def settle(conflict: ImportConflict, user, take_file: bool) -> None:
    """Keep the editor's value, or write the file's value and hand the field back to the import."""
    if take_file:
        instance = MODELS[conflict.model].objects.filter(pk=conflict.object_id).first()
        if instance is not None:
            model_field = instance._meta.get_field(conflict.field)
            setattr(instance, model_field.attname, model_field.to_python(conflict.file_value))
            instance.edited_fields.pop(conflict.field, None)
            instance.imported_values[conflict.field] = conflict.file_value
            instance.full_clean()
            instance.save()
    conflict.state = ConflictState.TOOK_FILE if take_file else ConflictState.KEPT_EDITOR
    conflict.settled_by = user
    conflict.settled_at = timezone.now()
    conflict.save(update_fields=["state", "settled_by", "settled_at"])


def import_key(model: type[ImportedFacts], lookup: dict) -> dict:
    """The importer's lookup as stored in ImportDeletion (related rows by id, dates as text)."""
    return {name: as_json(value) for name, value in lookup.items()}


def record_deletion(instance: ImportedFacts, user) -> None:
    """An editor deleted a record that came from the file: remember it, so no import restores it."""
    model = type(instance)
    if not instance.imported_values or model not in IMPORT_KEYS:
        return  # the editor's own record: the file never had it
    opts = instance._meta
    lookup = {name: as_json(getattr(instance, opts.get_field(name).attname)) for name in IMPORT_KEYS[model]}
    ImportDeletion.objects.create(
        model=MODEL_NAMES[model], lookup=lookup, label=str(instance)[:500], deleted_by=user.get_username()
    )


def deleted_keys() -> set[tuple[str, str]]:
    """(model name, lookup as sorted JSON text) of every imported record an editor deleted."""
    return {(deletion.model, _canonical(deletion.lookup)) for deletion in ImportDeletion.objects.all()}


def was_deleted(keys: set[tuple[str, str]], model: type[ImportedFacts], lookup: dict) -> bool:
    return (MODEL_NAMES[model], _canonical(import_key(model, lookup))) in keys


def _canonical(lookup: dict) -> str:
    import json

    return json.dumps(lookup, sort_keys=True)
