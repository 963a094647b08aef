"""The staff roles, as groups with exactly the permissions each needs.

Created by a data migration (impacts/migrations/*_roles.py) and kept in step by
`manage.py sync_roles`. Tests in tests/test_roles.py prove each boundary.
"""

MODERATORS = "Moderators"
SENIOR_MODERATORS = "Senior moderators"
EDITORS = "Editors"

_MODERATOR = [
    "impacts.view_impactreport",
    "impacts.change_impactreport",
    "impacts.moderate_report",
    "impacts.view_historicalimpactreport",
    "impacts.view_evidence",
    "impacts.change_evidence",
    "impacts.view_reporttransition",
    "impacts.view_reportmessage",
    "impacts.view_notification",
    "impacts.view_reporterrequest",
    "impacts.change_reporterrequest",
    "impacts.view_reporttranslation",
    "impacts.add_reporttranslation",
    "impacts.change_reporttranslation",
    "projects.view_project",
    # Letters to authorities (impacts.authorities): the list of bodies is the editors'.
    "impacts.view_authority",
    "impacts.view_authorityrequest",
    "impacts.add_authorityrequest",
    "impacts.change_authorityrequest",
]

ROLES: dict[str, list[str]] = {
    MODERATORS: _MODERATOR,
    SENIOR_MODERATORS: [
        *_MODERATOR,
        "impacts.view_contact_details",
        "impacts.view_sealed_original",
        "impacts.withdraw_report",
        "impacts.view_sealedaccess",
    ],
    EDITORS: [
        f"projects.{action}_{model}"
        for model in ("project", "source", "company", "projectparty", "financing", "projectevent")
        for action in ("add", "change", "delete", "view")
        if not (model == "project" and action == "delete")
    ]
    + [
        "projects.view_programmefigure",
        "projects.change_programmefigure",
        "projects.view_importconflict",
        "projects.change_importconflict",
        "projects.view_suggestion",
        "projects.change_suggestion",
        "projects.view_importdeletion",
        "projects.delete_importdeletion",
        "impacts.view_authority",
        "impacts.add_authority",
        "impacts.change_authority",
        "impacts.delete_authority",
    ],
}


def sync_roles(apps=None) -> None:
    """Create or update the role groups (apps: a migration's app registry, or the real one)."""
    from django.contrib.auth.management import create_permissions

    if apps is None:
        from django.apps import apps
    for config in apps.get_app_configs():
        # Permissions are normally made after all migrations; make them now (Django's own pattern).
        original = getattr(config, "models_module", None)
        config.models_module = original or True
        create_permissions(config, verbosity=0, apps=apps)
        config.models_module = original
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = []
        for dotted in codenames:
            app_label, codename = dotted.split(".")
            # An early migration runs before later models exist; a later migration syncs again.
            permissions.extend(Permission.objects.filter(content_type__app_label=app_label, codename=codename))
        group.permissions.set(permissions)
