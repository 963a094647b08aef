"""A moderator cannot read what is hidden from them through the address of an admin list.

Django's changelist used to accept `?field__lookup=value` on any field: `?contact_email__regex=^s`
made a report appear or vanish, so a plain moderator (no right to see contacts) could spell out an
e-mail address or an exact location one request at a time. Every admin registered on the site now
accepts only the parameters of its own filters.

The tests walk the admin registry and the models, so a new admin, a new relation or a new private
field is covered without editing them. PRIVATE below is written independently of the code under test:
what no moderator without the senior rights may learn.
"""

import re
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.core.exceptions import FieldDoesNotExist
from django.test import RequestFactory
from django.urls import reverse

from impacts.models import Evidence, ImpactReport, Notification, ReporterRequest, TrackingLink
from kzcn.admin_site import filter_parameters
from tests.reports import make_report

pytestmark = pytest.mark.django_db

PRIVATE = {
    "impacts.ImpactReport": [
        "reporter_name",
        "contact_email",
        "contact_phone",
        "organisation",
        "latitude",
        "longitude",
        "internal_notes",
        "tracking_digest",
        "submission_key",
    ],
    "impacts.HistoricalImpactReport": [
        "reporter_name",
        "contact_email",
        "contact_phone",
        "organisation",
        "latitude",
        "longitude",
        "internal_notes",
    ],
    "impacts.Evidence": ["gps_latitude", "gps_longitude", "captured_at", "sealed_file", "original_name", "sha256"],
    "impacts.Notification": ["error"],
    "impacts.TrackingLink": ["digest"],
    "impacts.ReporterRequest": ["text"],
    "impacts.Subscription": ["email"],
    "impacts.SubscriptionLink": ["digest"],
    "impacts.CompanyInvitation": ["email", "digest", "mail_error"],
    "impacts.CompanyReply": ["document", "document_name", "document_sha256"],
    "projects.Company": ["contact_email", "contact_note"],
    "auth.User": ["email", "password"],
}
LOOKUPS = ["exact", "iexact", "contains", "icontains", "startswith", "regex", "gte", "lte", "isnull", "in", "range"]

# Two reporters whose private details differ and nothing else does.
SECRETS = {
    "a": {
        "reporter_name": "Aigul Serikova",
        "contact_email": "aigul.s@mail.kz",
        "contact_phone": "+7 701 111 2233",
        "organisation": "Ekoklub Shieli",
        "latitude": Decimal("43.21001"),
        "longitude": Decimal("68.11001"),
        "internal_notes": "Sister works at the plant",
        "gps_latitude": Decimal("43.210011"),
        "gps_longitude": Decimal("68.110011"),
        "captured_at": "2026:10:01 06:12:00",
        "original_name": "aigul.jpg",
        "error": "550 5.1.1 mailbox aigul unknown",
        "text": "Please hide Aigul's name",
    },
    "b": {
        "reporter_name": "Nurlan Bekov",
        "contact_email": "nurlan.b@inbox.kz",
        "contact_phone": "+7 777 999 8877",
        "organisation": "Zhasyl Dala",
        "latitude": Decimal("51.90002"),
        "longitude": Decimal("77.40002"),
        "internal_notes": "Neighbour of the director",
        "gps_latitude": Decimal("51.900022"),
        "gps_longitude": Decimal("77.400022"),
        "captured_at": "2025:03:07 21:40:00",
        "original_name": "nurlan.jpg",
        "error": "552 quota of nurlan exceeded",
        "text": "Please withdraw Nurlan's report",
    },
}


def private_fields(model) -> list[str]:
    return PRIVATE.get(model._meta.label, [])


def private_paths(model, depth: int = 2, seen=()) -> list[str]:
    """Every `a__b__field` path from `model` to a private field, through up to `depth` relations."""
    paths = list(private_fields(model))
    if depth == 0:
        return paths
    for field in model._meta.get_fields():
        related = getattr(field, "related_model", None)
        if not field.is_relation or related is None or related in seen or related is model:
            continue
        # A reverse relation's .name is its query name (e.g. Project -> "reports").
        paths += [f"{field.name}__{rest}" for rest in private_paths(related, depth - 1, (*seen, model))]
    return paths


def lookup_value(value, lookup: str) -> str:
    text = str(value)
    return {
        "contains": text[1:5],
        "icontains": text[1:5].upper(),
        "iexact": text.upper(),
        "startswith": text[:2],
        "regex": "^" + re.escape(text[:2]),
        "isnull": "False",
        "in": f"{text},zzz",
        "range": f"{text},{text}",
    }.get(lookup, text)


def registry():
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


ADMINS = [model._meta.label for model, _ in registry()]


def model_admin_for(label: str):
    return next(model_admin for model, model_admin in registry() if model._meta.label == label)


@pytest.fixture
def two_reporters(moderator):
    """Two reports, each with evidence, a failed e-mail, a re-issued link and a request, differing only
    in their private values (the public ones are the same)."""
    made = {}
    for key, values in SECRETS.items():
        report = make_report(
            reporter_name=values["reporter_name"],
            contact_email=values["contact_email"],
            contact_phone=values["contact_phone"],
            organisation=values["organisation"],
            latitude=values["latitude"],
            longitude=values["longitude"],
            internal_notes=values["internal_notes"],
            submission_key=f"key-{key}",
        )
        Evidence.objects.create(
            report=report,
            kind="photo",
            sha256=key * 64,
            content_type="image/jpeg",
            size=10,
            sealed_file=f"2026/10/{key}.jpg",
            gps_latitude=values["gps_latitude"],
            gps_longitude=values["gps_longitude"],
            captured_at=values["captured_at"],
            original_name=values["original_name"],
        )
        Notification.objects.create(report=report, kind="published", status="failed", error=values["error"])
        TrackingLink.objects.create(report=report, digest=key * 64)
        ReporterRequest.objects.create(report=report, kind="hide_name", text=values["text"])
        made[key] = report
    return made


def secret_value(key: str, field_name: str):
    report = ImpactReport.objects.get(reporter_name=SECRETS[key]["reporter_name"])
    if field_name in SECRETS[key]:
        return SECRETS[key][field_name]
    if field_name in ("tracking_digest", "submission_key"):
        return getattr(report, field_name)
    if field_name in ("digest", "sha256"):
        return key * 64
    if field_name == "sealed_file":
        return f"2026/10/{key}.jpg"
    return report.assigned_to.email if report.assigned_to_id else f"{key}@example.org"


def normalised(response, echoed: str = "") -> tuple[int, str]:
    """Status and page, without the CSRF token and without the search term the page echoes back."""
    from urllib.parse import quote, quote_plus

    from django.utils.html import escape

    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    # As typed, as HTML, in a link, and inside a link's _changelist_filters (encoded twice).
    forms = [quote(quote_plus(echoed), safe=""), quote_plus(echoed), escape(echoed), echoed]
    for form in filter(None, forms):
        body = body.replace(form, "TERM")
    return response.status_code, body


# --- The allow-list itself -----------------------------------------------------------------------------


@pytest.mark.parametrize("label", ADMINS)
def test_no_admin_list_accepts_a_lookup_on_a_private_field(label, moderator):
    model_admin = model_admin_for(label)
    request = RequestFactory().get("/")
    request.user = moderator
    paths = private_paths(model_admin.model)
    accepted = [
        f"{path}__{lookup}"
        for path in paths
        for lookup in LOOKUPS
        if model_admin.lookup_allowed(f"{path}__{lookup}", "x", request)
    ]
    accepted += [path for path in paths if model_admin.lookup_allowed(path, "x", request)]
    assert accepted == []


@pytest.mark.parametrize("label", ADMINS)
def test_every_field_outside_the_lists_own_filters_is_refused(label, moderator):
    model_admin = model_admin_for(label)
    request = RequestFactory().get("/")
    request.user = moderator
    offered = filter_parameters(model_admin, request)
    fields = [f.name for f in model_admin.model._meta.get_fields() if f.concrete]
    accepted = [
        f"{name}__{lookup}"
        for name in fields
        for lookup in LOOKUPS
        if f"{name}__{lookup}" not in offered and model_admin.lookup_allowed(f"{name}__{lookup}", "x", request)
    ]
    assert accepted == []


@pytest.mark.parametrize("label", ADMINS)
def test_the_filters_a_list_offers_never_reach_a_private_field(label, moderator):
    model_admin = model_admin_for(label)
    request = RequestFactory().get("/")
    request.user = moderator
    for parameter in filter_parameters(model_admin, request):
        model, parts = model_admin.model, parameter.split("__")
        for part in parts:
            assert part not in private_fields(model), f"{label} filters on {parameter}"
            try:
                field = model._meta.get_field(part)
            except FieldDoesNotExist:
                break  # a lookup name (exact, gte...) or a filter's own parameter
            if not field.is_relation:
                break
            model = field.related_model


# --- Through the browser's address, as a plain moderator -----------------------------------------------


def probes(model_admin, request) -> list[tuple[str, str]]:
    """(path, lookup) pairs sent through the address. The gate itself (lookup_allowed) is checked for
    every path × every lookup above; here each admin the moderator can open gets every lookup on the
    report's own private fields and, to keep the run short, one lookup per longer path (rotating, so
    each lookup is used), and the others one probe to show their answer does not vary either."""
    paths = private_paths(model_admin.model)
    if not model_admin.has_view_permission(request):
        return [(path, "exact") for path in paths[:1]]
    pairs = []
    for index, path in enumerate(paths):
        if model_admin.model is ImpactReport and "__" not in path:
            pairs += [(path, lookup) for lookup in LOOKUPS]
        else:
            pairs.append((path, LOOKUPS[index % len(LOOKUPS)]))
    return pairs


@pytest.mark.parametrize("label", ADMINS)
def test_a_plain_moderator_learns_nothing_from_lookups_on_private_fields(label, client, moderator, two_reporters):
    model_admin = model_admin_for(label)
    opts = model_admin.model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    client.force_login(moderator)
    request = RequestFactory().get(url)
    request.user = moderator
    leaks = []
    for path, lookup in probes(model_admin, request):
        field_name = path.rsplit("__", 1)[-1]
        parameter = f"{path}__{lookup}"
        leak = probe_leak(client, url, parameter, lookup, [secret_value(key, field_name) for key in ("a", "b")])
        if leak:
            leaks.append(leak)
    assert leaks == []


def probe_leak(client, url: str, parameter: str, lookup: str, secrets: list) -> str | None:
    """Ask the list with each reporter's secret: a refusal that is the same for both learns nothing."""
    answers = []
    for index, secret in enumerate(secrets):
        value = lookup_value(secret, lookup)
        if lookup == "isnull":
            value = "True" if index == 0 else "False"
        answers.append(normalised(client.get(url, {parameter: value})))
    if answers[0] != answers[1] or answers[0][0] not in (400, 403):
        return f"{parameter}: {answers[0][0]} / {answers[1][0]}"
    return None


def test_the_refusal_is_a_clear_page_that_names_neither_field_nor_value(client, moderator, two_reporters):
    client.force_login(moderator)
    response = client.get(reverse("admin:impacts_impactreport_changelist"), {"contact_email__regex": "^ai"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "offers only the filters shown beside it" in page
    assert "contact_email" not in page and "^ai" not in page
    assert "aigul" not in page.lower() and two_reporters["a"].reference not in page


def test_a_refused_lookup_is_logged_with_user_model_and_name_but_never_the_value(
    client, moderator, caplog, two_reporters
):
    client.force_login(moderator)
    with caplog.at_level("WARNING", logger="kzcn.admin.lookups"):
        client.get(reverse("admin:impacts_impactreport_changelist"), {"latitude__gte": "43.2101"})
    records = [r for r in caplog.records if r.name == "kzcn.admin.lookups"]
    assert len(records) == 1
    line = records[0].getMessage()
    assert "latitude__gte" in line and "impacts.ImpactReport" in line and "moderator" in line
    assert "43.2101" not in caplog.text


@pytest.mark.parametrize("extra", [{"e": "1"}, {"_facets": "1"}, {"o": "2"}, {"q": "dust"}, {"p": "1"}])
def test_other_list_parameters_do_not_open_a_way_around(client, moderator, two_reporters, extra):
    client.force_login(moderator)
    url = reverse("admin:impacts_impactreport_changelist")
    answers = [
        normalised(client.get(url, {**extra, "contact_email__startswith": SECRETS[k]["contact_email"][:3]}))
        for k in ("a", "b")
    ]
    assert answers[0] == answers[1] and answers[0][0] == 400


def test_a_private_field_cannot_be_named_as_the_lists_to_field(client, moderator, two_reporters):
    client.force_login(moderator)
    response = client.get(reverse("admin:impacts_impactreport_changelist"), {"_to_field": "contact_email"})
    assert response.status_code == 400


def test_filters_kept_after_saving_a_report_are_checked_like_any_other(client, moderator, two_reporters):
    """`_changelist_filters` carries the list's address through the change page and back."""
    client.force_login(moderator)
    report = two_reporters["a"]
    url = reverse("admin:impacts_impactreport_change", args=[report.pk])
    response = client.get(url, {"_changelist_filters": "contact_email__startswith=ai"})
    assert response.status_code == 200 and SECRETS["a"]["contact_email"] not in response.content.decode()
    back = client.get(reverse("admin:impacts_impactreport_changelist") + "?contact_email__startswith=ai")
    assert back.status_code == 400


# --- What stays possible ---------------------------------------------------------------------------------


@pytest.mark.parametrize("label", ADMINS)
def test_every_filter_link_and_sort_column_of_every_list_still_works(label, client, django_user_model, two_reporters):
    """The superuser sees every list: each link in its filter panel, and each column's sorting, answers 200."""
    root = django_user_model.objects.create_superuser("root", "root@example.org", "a-long-password-1")
    client.force_login(root)
    opts = model_admin_for(label).model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    page = client.get(url)
    assert page.status_code == 200
    panel = (
        page.content.decode().split('id="changelist-filter"', 1)[-1]
        if 'id="changelist-filter"' in page.content.decode()
        else ""
    )
    links = set(re.findall(r'href="(\?[^"]*)"', panel))
    columns = len(model_admin_for(label).list_display)
    links |= {f"?o={index}" for index in range(-1, columns + 2)} | {"?o=x", "?o=1.-2", "?p=999"}
    broken = {}
    for link in sorted(links):
        response = client.get(url + link.replace("&amp;", "&"))
        if response.status_code not in (200, 302):
            broken[link] = response.status_code
    assert broken == {}


def test_the_status_counts_above_the_report_list_still_filter(client, moderator, two_reporters):
    client.force_login(moderator)
    response = client.get(reverse("admin:impacts_impactreport_changelist"), {"status__exact": "submitted"})
    assert response.status_code == 200
    assert two_reporters["a"].reference in response.content.decode()


# --- Search and autocomplete ---------------------------------------------------------------------------


@pytest.mark.parametrize("label", ADMINS)
def test_search_does_not_cover_private_fields(label, client, moderator, two_reporters):
    opts = model_admin_for(label).model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    client.force_login(moderator)
    differ = []
    for field_name in (
        "reporter_name",
        "contact_email",
        "contact_phone",
        "organisation",
        "internal_notes",
        "original_name",
        "error",
        "text",
    ):
        answers = [
            normalised(client.get(url, {"q": str(SECRETS[k][field_name])}), str(SECRETS[k][field_name]))
            for k in ("a", "b")
        ]
        if answers[0] != answers[1]:
            differ.append(field_name)
    assert differ == []


def test_autocomplete_answers_only_for_the_fields_an_admin_declares(
    client, moderator, two_reporters, django_user_model, editor
):
    """Django's autocomplete would search any relation's target; only declared fields are served."""
    root = django_user_model.objects.create_superuser("root", "root@example.org", "a-long-password-1")
    url = reverse("admin:autocomplete")
    undeclared = [
        {"app_label": "impacts", "model_name": "evidence", "field_name": "report", "term": "aigul"},
        {"app_label": "impacts", "model_name": "notification", "field_name": "report", "term": "550"},
        {"app_label": "impacts", "model_name": "impactreport", "field_name": "assigned_to", "term": "mod"},
        {"app_label": "impacts", "model_name": "impactreport", "field_name": "project", "term": "a"},
    ]
    for user in (moderator, root):
        client.force_login(user)
        for query in undeclared:
            assert client.get(url, query).status_code == 403, (user, query)
    client.force_login(editor)
    declared = client.get(
        url, {"app_label": "projects", "model_name": "projectparty", "field_name": "company", "term": ""}
    )
    assert declared.status_code == 200 and "results" in declared.json()


def test_the_guard_covers_admins_registered_by_other_apps():
    """Users, groups, the task queue, login lockouts and authenticator devices are guarded too."""
    from kzcn.admin_site import ListLookupGuard

    labels = {model._meta.label for model, model_admin in registry() if isinstance(model_admin, ListLookupGuard)}
    assert {
        "auth.User",
        "auth.Group",
        "axes.AccessAttempt",
        "otp_totp.TOTPDevice",
        "impacts.ImpactReport",
        "projects.Project",
    } <= labels
    assert labels == set(ADMINS)
    assert User  # the user admin's own lookups are in the walk above (auth.User in PRIVATE)


def test_a_bulk_decision_on_a_list_filtered_by_a_private_field_is_refused_and_changes_nothing(
    client, moderator, two_reporters
):
    """An action over "all matching reports" would otherwise count, and act on, the private match."""
    client.force_login(moderator)
    url = reverse("admin:impacts_impactreport_changelist") + "?contact_email__startswith=ai"
    response = client.post(
        url,
        {
            "action": "start_review",
            "select_across": "1",
            "index": "0",
            "_selected_action": [r.pk for r in two_reporters.values()],
        },
    )
    assert response.status_code == 400
    assert set(ImpactReport.objects.values_list("status", flat=True)) == {"submitted"}
