"""Who may open what: every URL pattern of the site, for every persona, against an explicit table.

The table below is the access policy written down. `test_every_url_pattern_is_in_the_table` walks
the URLconf (admin included) and fails when a pattern appears without a row, so nobody adds a
page without deciding who may see it. Each persona test requests every row with GET and compares
the outcome:

    ok     2xx                      login  302 to the admin login page
    404    not found (the existence of private things is not revealed)
    403    signed-in staff without the permission
    redirect / 405                  other deliberate answers

Rows are keyed by the full route as Django prints it, and fill path parameters from real objects:
a published and an unpublished report, an approved evidence item of each, a project, a tracking
token. Only the reporter persona knows the token; everyone else tries a guessed one.

Writes (POST) are not exercised here: the workflow and form tests cover them, and a GET on the
transition view is refused (404) for everyone signed in.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import LocalePrefixPattern, URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from impacts import workflow
from impacts.alerts.models import Subscription
from impacts.evidence import prepare_evidence
from impacts.models import (
    EvidenceWriter,
    ImpactReport,
    ReporterRequest,
    SealedAccess,
    new_tracking_token,
    token_digest,
)
from tests import evidence_files
from tests.reports import make_report, make_site_project

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "reporter", "moderator", "senior", "editor", "superuser"]

A = settings.KZCN_ADMIN_URL  # "admin/" unless moved by the deployment


def walk(patterns=None, prefix: str = "") -> list[str]:
    """Every route of the URLconf, as 'prefix/route' strings, resolvers flattened."""
    routes = []
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            # The language prefix (en/, ru/, kk/) of the public pages is not part of the route.
            own = "" if isinstance(pattern.pattern, LocalePrefixPattern) else str(pattern.pattern)
            routes += walk(pattern.url_patterns, prefix + own)
        elif isinstance(pattern, URLPattern):
            routes.append(prefix + str(pattern.pattern))
    return routes


# --- The world the URLs are filled from --------------------------------------------------------------


@dataclass
class World:
    project: object
    published: ImpactReport
    unpublished: ImpactReport
    public_evidence: object
    private_evidence: object
    token: str
    objects: dict  # admin model label -> primary key


def _evidence(report, name: str, colour: int):
    content = evidence_files.png_bytes(60 + colour, 40)
    with EvidenceWriter() as writer:
        item = writer.store(report, prepare_evidence(SimpleUploadedFile(name, content, content_type="image/png")))
    item.visibility = "approved"
    item.save()
    return item


@pytest.fixture
def world(moderator, senior_moderator, editor, django_user_model) -> World:
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from django_tasks_db.models import DBTaskResult

    from projects.models import Company, ImportConflict, ImportDeletion, ProgrammeFigure, Suggestion

    project = make_site_project()
    published = make_report(project=project, status="in_review")
    workflow.apply(published, "publish", by=moderator)
    unpublished = make_report(title="Not yet reviewed")
    token = new_tracking_token()
    ImpactReport.objects.filter(pk=unpublished.pk).update(tracking_digest=token_digest(token))
    public_evidence = _evidence(published, "public.png", 1)
    private_evidence = _evidence(unpublished, "private.png", 2)
    access = SealedAccess.objects.create(evidence=private_evidence, user=senior_moderator, action="download")
    request = ReporterRequest.objects.create(report=unpublished, kind="withdraw")
    now = timezone.now()
    axes = {
        "username": "x",
        "ip_address": "192.0.2.1",
        "user_agent": "t",
        "path_info": "/admin/login/",
        "http_accept": "*/*",
    }
    task = DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}},
        task_path="impacts.tasks.send_notification",
        backend_name="default",
        run_after=now,
        exception_class_path="",
        traceback="",
    )
    objects = {
        "auth/group": Group.objects.get(name="Moderators").pk,
        "auth/user": moderator.pk,
        "django_tasks_database/dbtaskresult": task.pk,
        # bulk_create: axes' post_save handler does not exist for its cache handler.
        "axes/accessattempt": AccessAttempt.objects.bulk_create(
            [AccessAttempt(**axes, get_data="", post_data="", failures_since_start=1)]
        )[0].pk,
        "axes/accesslog": AccessLog.objects.bulk_create([AccessLog(**axes)])[0].pk,
        "axes/accessfailurelog": AccessFailureLog.objects.bulk_create([AccessFailureLog(**axes)])[0].pk,
        "otp_totp/totpdevice": TOTPDevice.objects.create(user=moderator, name="phone").pk,
        "projects/project": project.pk,
        "projects/company": Company.objects.create(name="China Test Corp", country="CN").pk,
        "projects/programmefigure": ProgrammeFigure.objects.create(
            key="projects", label="Projects", value=52, unit="count", source_title="t", source_url="https://example.org"
        ).pk,
        "projects/importconflict": ImportConflict.objects.create(
            project=project,
            model="project",
            object_id=project.pk,
            record_label="p",
            field="cost_usd_million",
            file_value="1",
            editor_value="2",
        ).pk,
        "projects/importdeletion": ImportDeletion.objects.create(model="company", lookup={"name": "x"}).pk,
        "projects/suggestion": Suggestion.objects.create(
            kind="correction",
            project=project,
            details="d",
            source_url="https://example.org/s",
            email="suggester@example.org",
            document=SimpleUploadedFile("original.pdf", evidence_files.pdf_bytes()),  # sealed, editors only
        ).pk,
        "impacts/impactreport": unpublished.pk,
        "impacts/subscription": Subscription.objects.create(
            email="subscriber@example.org", project=project, confirmed_at=now
        ).pk,
        "impacts/reporterrequest": request.pk,
        "impacts/sealedaccess": access.pk,
    }
    return World(project, published, unpublished, public_evidence, private_evidence, token, objects)


def _client(persona: str, users: dict) -> Client:
    client = Client()
    if persona in users:
        client.force_login(users[persona])
    return client


# --- The table --------------------------------------------------------------------------------------

PUBLIC = dict.fromkeys(PERSONAS, "ok")
NOBODY = dict.fromkeys(PERSONAS, "404")
STAFF_ONLY_404 = {**NOBODY, "moderator": "ok", "senior": "ok", "superuser": "ok"}  # unpublished: moderators


def admin(anonymous="login", moderator="403", senior="403", editor="403", superuser="ok"):
    """An admin page: anonymous visitors (and the reporter) are sent to the login page."""
    return {
        "anonymous": anonymous,
        "reporter": anonymous,
        "moderator": moderator,
        "senior": senior,
        "editor": editor,
        "superuser": superuser,
    }


SUPERUSER_ONLY = admin()
MODERATION = admin(moderator="ok", senior="ok")  # report pages: moderators and seniors, never editors
MODERATION_VIEW_ONLY = admin(moderator="ok", senior="ok")
SENIOR_ONLY = admin(senior="ok")
CATALOGUE = admin(moderator="ok", senior="ok", editor="ok")  # moderators may look, editors edit
CATALOGUE_EDIT = admin(editor="ok")
NO_ADD = admin(moderator="403", senior="403", superuser="403")


def _model_rows(label: str, *, view: dict, add: dict, change: dict, delete: dict, history: dict) -> dict:
    base = f"{A}{label}/"
    pk = lambda w: w.objects[label]  # noqa: E731
    return {
        base: (lambda w: f"/{base}", view),
        f"{base}add/": (lambda w: f"/{base}add/", add),
        f"{base}<path:object_id>/history/": (lambda w: f"/{base}{pk(w)}/history/", history),
        f"{base}<path:object_id>/delete/": (lambda w: f"/{base}{pk(w)}/delete/", delete),
        f"{base}<path:object_id>/change/": (lambda w: f"/{base}{pk(w)}/change/", change),
        # The bare object URL only redirects to its change page (after the same login check).
        f"{base}<path:object_id>/": (
            lambda w: f"/{base}{pk(w)}/",
            admin(*["redirect"] * 5) | {"anonymous": "login", "reporter": "login"},
        ),
    }


def _superuser_model(label: str, add=SUPERUSER_ONLY, delete=SUPERUSER_ONLY) -> dict:
    return _model_rows(
        label, view=SUPERUSER_ONLY, add=add, change=SUPERUSER_ONLY, delete=delete, history=SUPERUSER_ONLY
    )


def _guessed_token(w, persona):
    return w.token if persona == "reporter" else new_tracking_token()


TABLE: dict[str, tuple] = {
    # Public catalogue and reports: everyone.
    "": (lambda w: "/en/", PUBLIC),
    "projects/": (lambda w: "/en/projects/", PUBLIC),
    "projects/<slug:slug>/": (lambda w: f"/en/projects/{w.project.slug}/", PUBLIC),
    "projects/<slug:slug>/timeline.csv": (lambda w: f"/en/projects/{w.project.slug}/timeline.csv", PUBLIC),
    # Suggesting a project or a correction: a public form, no account.
    "projects/suggest/": (lambda w: "/en/projects/suggest/", PUBLIC),
    "projects/suggest/sent/": (lambda w: "/en/projects/suggest/sent/", PUBLIC),
    "report/": (lambda w: "/en/report/", PUBLIC),
    "report/sent/": (lambda w: "/en/report/sent/", PUBLIC),
    # What the report form asks about a pin: the nearest settlement, and published reports nearby.
    "report/place.json": (lambda w: "/en/report/place.json?lat=51.72&lon=75.32", PUBLIC),
    "report/nearby/": (lambda w: "/en/report/nearby/?lat=51.72&lon=75.32&category=air", PUBLIC),
    # The tracking page opens only with the secret token; a guessed one finds nothing.
    "track/<str:token>/": ("track", {**NOBODY, "reporter": "ok"}),
    # Asking for lost links again: a form anyone may open (its answer never says if an address is known).
    "track/lost/": (lambda w: "/en/track/lost/", PUBLIC),
    "reports/": (lambda w: "/en/reports/", PUBLIC),
    # Only published reports have a public page, for moderators too (they use the admin).
    "reports/<str:reference>/": (lambda w: f"/en/reports/{w.published.reference}/", PUBLIC),
    "reports/<str:reference>/#unpublished": (lambda w: f"/en/reports/{w.unpublished.reference}/", NOBODY),
    "evidence/<int:pk>/<str:variant>/": (lambda w: f"/en/evidence/{w.public_evidence.pk}/public/", PUBLIC),
    "evidence/<int:pk>/<str:variant>/#thumb": (lambda w: f"/en/evidence/{w.public_evidence.pk}/thumb/", PUBLIC),
    "evidence/<int:pk>/<str:variant>/#unpublished": (
        lambda w: f"/en/evidence/{w.private_evidence.pk}/public/",
        STAFF_ONLY_404,
    ),
    "evidence/<int:pk>/<str:variant>/#unpublished-thumb": (
        lambda w: f"/en/evidence/{w.private_evidence.pk}/thumb/",
        STAFF_ONLY_404,
    ),
    "evidence/<int:pk>/<str:variant>/#no-such-variant": (
        lambda w: f"/en/evidence/{w.public_evidence.pk}/sealed/",
        NOBODY,
    ),
    # The public record of a file (hashes, citation): published files only, for staff too.
    "evidence/<int:pk>/record/": (lambda w: f"/en/evidence/{w.public_evidence.pk}/record/", PUBLIC),
    "evidence/<int:pk>/record/#unpublished": (lambda w: f"/en/evidence/{w.private_evidence.pk}/record/", NOBODY),
    "reports/export.csv": (lambda w: "/en/reports/export.csv", PUBLIC),
    "reports/export.geojson": (lambda w: "/en/reports/export.geojson", PUBLIC),
    "map/": (lambda w: "/en/map/", PUBLIC),
    # E-mail alerts: anyone may subscribe; confirming and leaving need the e-mailed link (a guess finds nothing).
    "alerts/": (lambda w: "/en/alerts/", PUBLIC),
    "alerts/confirm/<str:token>/": (lambda w: f"/en/alerts/confirm/{new_tracking_token()}/", NOBODY),
    "alerts/unsubscribe/<str:token>/": (lambda w: f"/en/alerts/unsubscribe/{new_tracking_token()}/", NOBODY),
    "map/points.json": (lambda w: "/en/map/points.json?zoom=5&bbox=46,40,88,56", PUBLIC),
    "reports/feed/": (lambda w: "/en/reports/feed/", PUBLIC),
    "reports/feed/project/<slug:slug>/": (lambda w: f"/en/reports/feed/project/{w.project.slug}/", PUBLIC),
    "reports/feed/region/<str:region>/": (lambda w: "/en/reports/feed/region/kyzylorda/", PUBLIC),
    "stats/": (lambda w: "/en/stats/", PUBLIC),
    "i18n/setlang/": (lambda w: "/i18n/setlang/", dict.fromkeys(PERSONAS, "redirect")),
    "healthz": (lambda w: "/healthz", PUBLIC),
    "favicon.ico": (lambda w: "/favicon.ico", dict.fromkeys(PERSONAS, "redirect")),
    "api/": (lambda w: "/api/", PUBLIC),
    "api/schema/": (lambda w: "/api/schema/", PUBLIC),
    "api/^reports/$": (lambda w: "/api/reports/", PUBLIC),
    "api/^reports/(?P<reference>[^/.]+)/$": (lambda w: f"/api/reports/{w.published.reference}/", PUBLIC),
    "api/^reports/(?P<reference>[^/.]+)/$#unpublished": (lambda w: f"/api/reports/{w.unpublished.reference}/", NOBODY),
    "api/^projects/$": (lambda w: "/api/projects/", PUBLIC),
    "api/^projects/(?P<slug>[^/.]+)/$": (lambda w: f"/api/projects/{w.project.slug}/", PUBLIC),
    # The admin shell: any staff member may open the index; the login page is for everyone.
    A: (lambda w: f"/{A}", admin(moderator="ok", senior="ok", editor="ok")),
    f"{A}login/": (
        lambda w: f"/{A}login/",
        admin(anonymous="ok", moderator="redirect", senior="redirect", editor="redirect", superuser="redirect"),
    ),
    # POST only (Django 5); a visitor who is not signed in is sent to the admin index (then login).
    f"{A}logout/": (
        lambda w: f"/{A}logout/",
        {**dict.fromkeys(PERSONAS, "405"), "anonymous": "redirect", "reporter": "redirect"},
    ),
    f"{A}password_change/": (lambda w: f"/{A}password_change/", admin(moderator="ok", senior="ok", editor="ok")),
    f"{A}password_change/done/": (
        lambda w: f"/{A}password_change/done/",
        admin(moderator="ok", senior="ok", editor="ok"),
    ),
    f"{A}autocomplete/": (lambda w: f"/{A}autocomplete/", admin(moderator="403", senior="403", superuser="403")),
    f"{A}jsi18n/": (lambda w: f"/{A}jsi18n/", admin(moderator="ok", senior="ok", editor="ok")),
    # "View on site" redirects only for objects with a public address, and only to staff.
    f"{A}r/<path:content_type_id>/<path:object_id>/": (
        "view_on_site",
        admin(*["redirect"] * 5) | {"anonymous": "login", "reporter": "login"},
    ),
    f"{A}^(?P<app_label>auth|django_tasks_database|axes|otp_totp|projects|impacts)/$": (
        lambda w: f"/{A}impacts/",
        # Editors keep the list of authorities (impacts.authorities), so they see this app's index.
        admin(moderator="ok", senior="ok", editor="ok"),
    ),
    f"{A}^(?P<app_label>auth|django_tasks_database|axes|otp_totp|projects|impacts)/$#auth": (
        lambda w: f"/{A}auth/",
        admin(moderator="404", senior="404", editor="404"),
    ),
    f"{A}(?P<url>.*)$": (
        lambda w: f"/{A}no-such-page/",
        admin(moderator="404", senior="404", editor="404", superuser="404"),
    ),
    # Users, groups, login records, 2FA devices and the task queue: superusers only.
    **_superuser_model("auth/group"),
    **_superuser_model("auth/user"),
    f"{A}auth/user/<id>/password/": (lambda w: f"/{A}auth/user/{w.objects['auth/user']}/password/", SUPERUSER_ONLY),
    **_superuser_model("django_tasks_database/dbtaskresult", add=NO_ADD, delete=NO_ADD),
    **_superuser_model("axes/accessattempt", add=NO_ADD),
    **_superuser_model("axes/accesslog", add=NO_ADD),
    **_superuser_model("axes/accessfailurelog", add=NO_ADD),
    **_superuser_model("otp_totp/totpdevice"),
    f"{A}otp_totp/totpdevice/<int:pk>/config/": (
        lambda w: f"/{A}otp_totp/totpdevice/{w.objects['otp_totp/totpdevice']}/config/",
        SUPERUSER_ONLY,
    ),
    f"{A}otp_totp/totpdevice/<int:pk>/qrcode/": (
        lambda w: f"/{A}otp_totp/totpdevice/{w.objects['otp_totp/totpdevice']}/qrcode/",
        SUPERUSER_ONLY,
    ),
    # The catalogue: editors edit; moderators may look (they link reports to projects).
    **_model_rows(
        "projects/project",
        view=CATALOGUE,
        add=CATALOGUE_EDIT,
        change=CATALOGUE,
        delete=SUPERUSER_ONLY,
        history=CATALOGUE,
    ),
    **_model_rows(
        "projects/company",
        view=CATALOGUE_EDIT,
        add=CATALOGUE_EDIT,
        change=CATALOGUE_EDIT,
        delete=CATALOGUE_EDIT,
        history=CATALOGUE_EDIT,
    ),
    **_model_rows(
        "projects/programmefigure",
        view=CATALOGUE_EDIT,
        add=SUPERUSER_ONLY,
        change=CATALOGUE_EDIT,
        delete=SUPERUSER_ONLY,
        history=CATALOGUE_EDIT,
    ),
    # Import conflicts and suggestions: editors settle them; nobody adds one by hand; the
    # suggester's contact stays with the editors.
    **_model_rows(
        "projects/importconflict",
        view=CATALOGUE_EDIT,
        add=NO_ADD,
        change=CATALOGUE_EDIT,
        delete=SUPERUSER_ONLY,
        history=CATALOGUE_EDIT,
    ),
    **_model_rows(
        "projects/importdeletion",
        view=CATALOGUE_EDIT,
        add=NO_ADD,
        change=CATALOGUE_EDIT,
        delete=CATALOGUE_EDIT,
        history=CATALOGUE_EDIT,
    ),
    **_model_rows(
        "projects/suggestion",
        view=CATALOGUE_EDIT,
        add=NO_ADD,
        change=CATALOGUE_EDIT,
        delete=SUPERUSER_ONLY,
        history=CATALOGUE_EDIT,
    ),
    # A suggestion's sealed document (and its safe copy): editors and superusers only.
    f"{A}projects/suggestion/<int:pk>/document/<str:which>/": (
        lambda w: f"/{A}projects/suggestion/{w.objects['projects/suggestion']}/document/original/",
        CATALOGUE_EDIT,
    ),
    # Reports: moderators and seniors, never editors; nobody adds or deletes (the record stays).
    **_model_rows(
        "impacts/impactreport", view=MODERATION, add=NO_ADD, change=MODERATION, delete=NO_ADD, history=MODERATION
    ),
    f"{A}impacts/impactreport/<int:pk>/transition/": (
        lambda w: f"/{A}impacts/impactreport/{w.unpublished.pk}/transition/",
        admin(moderator="404", senior="404", editor="404", superuser="404"),
    ),  # GET: nothing to see
    f"{A}impacts/impactreport/^([^/]+)/history/([^/]+)/$": ("history_form", MODERATION),
    # Sealed originals: senior moderators (and superusers) only; each download is recorded.
    f"{A}impacts/impactreport/evidence/<int:pk>/sealed/": (
        lambda w: f"/{A}impacts/impactreport/evidence/{w.private_evidence.pk}/sealed/",
        SENIOR_ONLY,
    ),
    # Two files side by side (public thumbnails only): moderators; the custody log: seniors.
    f"{A}impacts/impactreport/evidence/<int:pk>/compare/<int:other>/": (
        lambda w: f"/{A}impacts/impactreport/evidence/{w.private_evidence.pk}/compare/{w.public_evidence.pk}/",
        MODERATION,
    ),
    f"{A}impacts/impactreport/<int:pk>/custody-log/": (
        lambda w: f"/{A}impacts/impactreport/{w.unpublished.pk}/custody-log/",
        SENIOR_ONLY,
    ),
    **_model_rows(
        "impacts/reporterrequest", view=MODERATION, add=NO_ADD, change=MODERATION, delete=NO_ADD, history=MODERATION
    ),
    **_model_rows(
        "impacts/sealedaccess", view=SENIOR_ONLY, add=NO_ADD, change=SENIOR_ONLY, delete=NO_ADD, history=SENIOR_ONLY
    ),
    # Subscribers' addresses: superusers only (impacts/alerts/admin.py); subscriptions are made by their owners.
    **_superuser_model("impacts/subscription", add=NO_ADD),
}


def _company_reply(w):
    """A published company reply (with a document's safe copy) to the published report, made on first use."""
    from django.contrib.auth import get_user_model
    from django.core.files.base import ContentFile

    from impacts.replies.models import CompanyInvitation, CompanyReply
    from projects.models import Company

    reply = CompanyReply.objects.filter(invitation__report=w.published).first()
    if reply is None:
        company = Company.objects.create(name="Replying Corp", contact_email="press@example.org")
        invitation, _token = CompanyInvitation.objects.issue(
            lifetime=None,
            report=w.published,
            company=company,
            email=company.contact_email,
            deadline=timezone.now(),
            invited_by=get_user_model().objects.filter(is_staff=True).first(),
        )
        reply = CompanyReply(invitation=invitation, text="We answer.", state="published")
        reply.document_copy.save("copy.jpg", ContentFile(evidence_files.png_bytes(8, 8)), save=False)
        reply.save()
        w.objects["impacts/companyinvitation"], w.objects["impacts/companyreply"] = invitation.pk, reply.pk
    return reply


def _with_company_reply(rows: dict) -> dict:
    return {
        key: (lambda w, build=build: (_company_reply(w), build(w))[1], expected)
        for key, (build, expected) in rows.items()
    }


# The company's right of reply: the private page opens only with its token (a guessed one finds
# nothing); a published reply's document is public; invitations and replies are for moderators.
TABLE.update(
    {
        "reply/<str:token>/": (lambda w: f"/en/reply/{new_tracking_token()}/", NOBODY),
        "replies/<int:pk>/document/": (lambda w: f"/en/replies/{_company_reply(w).pk}/document/", PUBLIC),
        "replies/<int:pk>/document/#no-such-reply": (lambda w: "/en/replies/999999/document/", NOBODY),
        **_with_company_reply(
            _model_rows(
                "impacts/companyinvitation",
                view=MODERATION,
                add=NO_ADD,
                change=MODERATION,
                delete=NO_ADD,
                history=MODERATION,
            )
        ),
        **_with_company_reply(
            _model_rows(
                "impacts/companyreply",
                view=MODERATION,
                add=NO_ADD,
                change=MODERATION,
                delete=NO_ADD,
                history=MODERATION,
            )
        ),
        f"{A}impacts/companyinvitation/invite/<int:report_pk>/": (
            lambda w: f"/{A}impacts/companyinvitation/invite/{w.published.pk}/",
            MODERATION,
        ),
        f"{A}impacts/companyreply/<int:pk>/document/": (
            lambda w: f"/{A}impacts/companyreply/{_company_reply(w).pk}/document/",
            MODERATION,
        ),
    }
)


def _neighbour_update(w):
    """A neighbour's update (waiting) and an "affects me too" on the published report, made on first use."""
    from impacts.neighbours.models import NeighbourMark, ReportUpdate

    if "impacts/reportupdate" not in w.objects:
        update = ReportUpdate.objects.create(report=w.published, observed_on=timezone.localdate(), text="Still.")
        w.objects["impacts/reportupdate"] = update.pk
        w.objects["impacts/neighbourmark"] = NeighbourMark.objects.create(report=w.published).pk
    return w


def _with_neighbour_update(rows: dict) -> dict:
    return {
        key: (lambda w, build=build: build(_neighbour_update(w)), expected) for key, (build, expected) in rows.items()
    }


# Neighbours' voices: public pages of a published report (an unpublished one is not found); the
# updates and marks are read and decided on by moderators.
TABLE.update(
    {
        "reports/<str:reference>/affects-me/": (lambda w: f"/en/reports/{w.published.reference}/affects-me/", PUBLIC),
        "reports/<str:reference>/affects-me/#unpublished": (
            lambda w: f"/en/reports/{w.unpublished.reference}/affects-me/",
            NOBODY,
        ),
        "reports/<str:reference>/update/": (lambda w: f"/en/reports/{w.published.reference}/update/", PUBLIC),
        "reports/<str:reference>/update/#unpublished": (
            lambda w: f"/en/reports/{w.unpublished.reference}/update/",
            NOBODY,
        ),
        "reports/<str:reference>/update/sent/": (lambda w: f"/en/reports/{w.published.reference}/update/sent/", PUBLIC),
        **_with_neighbour_update(
            _model_rows(
                "impacts/reportupdate",
                view=MODERATION,
                add=NO_ADD,
                change=MODERATION,
                delete=NO_ADD,
                history=MODERATION,
            )
        ),
        **_with_neighbour_update(
            _model_rows(
                "impacts/neighbourmark",
                view=MODERATION,
                add=NO_ADD,
                change=MODERATION,
                delete=NO_ADD,
                history=MODERATION,
            )
        ),
    }
)


def _authority_request(w):
    """An authority and a request to it about the published report, with its letter and the answer's
    document, made on first use."""
    from django.core.files.base import ContentFile

    from impacts.authorities.models import Authority, AuthorityRequest

    if "impacts/authorityrequest" not in w.objects:
        authority = Authority.objects.create(name_ru="Департамент экологии", kind="ecology", region="pavlodar")
        request = AuthorityRequest(report=w.published, authority=authority, kind="complaint")
        request.letter.save("letter.pdf", ContentFile(b"%PDF-1.4 letter"), save=False)
        request.answer_document.save("answer.pdf", ContentFile(b"%PDF-1.4 answer"), save=False)
        request.save()
        w.objects["impacts/authority"], w.objects["impacts/authorityrequest"] = authority.pk, request.pk
    return w


def _with_authority_request(rows: dict) -> dict:
    return {
        key: (lambda w, build=build: build(_authority_request(w)), expected) for key, (build, expected) in rows.items()
    }


# The regulator's answer: editors keep the bodies (moderators may look); moderators write and record
# the letters, which are never deleted; the reporter's letter page opens only with the tracking token.
TABLE.update(
    {
        "track/<str:token>/letter/": (
            lambda w: reverse("impacts:authority_letter", args=[new_tracking_token()]),
            NOBODY,
        ),
        **_with_authority_request(
            _model_rows(
                "impacts/authority",
                view=CATALOGUE,
                add=CATALOGUE_EDIT,
                change=CATALOGUE,
                delete=CATALOGUE_EDIT,
                history=CATALOGUE,
            )
        ),
        **_with_authority_request(
            _model_rows(
                "impacts/authorityrequest",
                view=MODERATION,
                add=MODERATION,
                change=MODERATION,
                delete=NO_ADD,
                history=MODERATION,
            )
        ),
        f"{A}impacts/authorityrequest/<int:pk>/letter/": (
            lambda w: (
                f"/{A}impacts/authorityrequest/{_authority_request(w).objects['impacts/authorityrequest']}/letter/"
            ),
            MODERATION,
        ),
        f"{A}impacts/authorityrequest/<int:pk>/answer/": (
            lambda w: (
                f"/{A}impacts/authorityrequest/{_authority_request(w).objects['impacts/authorityrequest']}/answer/"
            ),
            MODERATION,
        ),
    }
)


def _special_url(kind: str, w: World, persona: str) -> str:
    if kind == "track":
        return reverse("impacts:track", args=[_guessed_token(w, persona)])
    if kind == "view_on_site":
        from django.contrib.contenttypes.models import ContentType

        content_type = ContentType.objects.get_for_model(ImpactReport)
        return f"/{A}r/{content_type.pk}/{w.published.pk}/"
    if kind == "history_form":
        history_id = w.unpublished.history.latest().history_id
        return f"/{A}impacts/impactreport/{w.unpublished.pk}/history/{history_id}/"
    raise AssertionError(kind)


def _consume(response) -> None:
    """Read a streamed file to its end, so the test client closes it. Not response.close(): that
    fires request_finished, whose close_old_connections() would close the PostgreSQL connection
    inside the test's transaction."""
    if response.streaming:
        b"".join(response.streaming_content)


def outcome(response) -> str:
    code = response.status_code
    if 200 <= code < 300:
        return "ok"
    if code in (301, 302):
        login = reverse("admin:login")
        return "login" if response["Location"].split("?")[0] == login else "redirect"
    return str(code)


# --- The tests ---------------------------------------------------------------------------------------


def test_every_url_pattern_is_in_the_table():
    routes = set(walk())
    rows = {key.split("#", 1)[0] for key in TABLE}
    assert routes - rows == set(), "new URL patterns: decide who may open them and add rows to TABLE"
    assert rows - routes == set(), "TABLE rows for URL patterns that no longer exist"


def test_every_row_names_every_persona():
    for key, (_, expected) in TABLE.items():
        assert set(expected) == set(PERSONAS), key


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_gets_exactly_what_the_table_allows(
    persona, world, moderator, senior_moderator, editor, django_user_model, settings
):
    # The task queue's admin shows rows of the database backend (the production setting).
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    superuser = django_user_model.objects.create_superuser("root", "root@example.org", "a-long-password-1")
    users = {"moderator": moderator, "senior": senior_moderator, "editor": editor, "superuser": superuser}
    client = _client(persona, users)
    wrong = {}
    for key, (build, expected) in TABLE.items():
        url = _special_url(build, world, persona) if isinstance(build, str) else build(world)
        response = client.get(url)
        got = outcome(response)
        _consume(response)
        if got != expected[persona]:
            wrong[key] = f"GET {url}: expected {expected[persona]}, got {got} ({response.status_code})"
    assert wrong == {}


def test_sealed_original_download_is_recorded_for_the_senior(client, world, senior_moderator):
    before = SealedAccess.objects.filter(user=senior_moderator).count()
    client.force_login(senior_moderator)
    response = client.get(f"/{A}impacts/impactreport/evidence/{world.private_evidence.pk}/sealed/")
    assert response.status_code == 200
    _consume(response)
    assert SealedAccess.objects.filter(user=senior_moderator).count() == before + 1


def test_a_guessed_evidence_id_answers_like_a_missing_one(client, world):
    """An unpublished item and an id that does not exist look the same from outside."""
    hidden = client.get(f"/en/evidence/{world.private_evidence.pk}/public/")
    missing = client.get(f"/en/evidence/{uuid.uuid4().int % 10**9 + 10**6}/public/")
    assert hidden.status_code == missing.status_code == 404
