"""A NUL byte (or another control character) anywhere in a request gets a 404 or 400 page, never a 500.

PostgreSQL refuses NUL in text, so ``/reports/%00/`` once reached a lookup and failed with a
DataError. These tests walk every URL pattern of the site (the admin included, as a signed-in
moderator), put ``%00`` in each path segment (no such page: 404), in each query parameter the site
reads and in form fields (400), and expect no other answer. Run them on PostgreSQL too: that is
where NUL breaks.
"""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import LocalePrefixPattern, URLPattern, URLResolver, get_resolver, reverse

from impacts.filters import ImpactReportFilter
from projects.filters import ProjectFilter
from tests.reports import make_report, make_site_project

pytestmark = pytest.mark.django_db

# Every query parameter a page of the site reads: the public filters, paging and the admin's own.
ADMIN_PARAMETERS = [
    "q", "o", "p", "e", "all", "_changelist_filters", "_popup", "_to_field", "next", "status__exact",
    "project__id__exact", "assigned_to__id__exact", "id__in", "term", "app_label", "model_name", "field_name",
]  # fmt: skip
QUERY_PARAMETERS = sorted(
    {
        *ImpactReportFilter.base_filters,
        *ProjectFilter.base_filters,
        "page",
        "page_size",
        "format",
        "original",
        "project",
        "language",
        *ADMIN_PARAMETERS,
    }
)
FORM_FIELDS = [
    "title",
    "description",
    "site_name",
    "settlement",
    "project",
    "form",
    "answer",
    "text",
    "username",
    "password",
    "action",
    "_selected_action",
    "public_title",
    "public_site_name",
    "csrfmiddlewaretoken",
]
REFUSED = {400, 404}


@pytest.fixture
def sample_values(moderator):
    project = make_site_project()
    report = make_report(project=project, status="published")
    return {
        "reference": report.reference,
        "slug": project.slug,
        "region": "kyzylorda",
        "variant": "public",
        "app_label": "impacts",
        "object_id": str(report.pk),
    }


def _sample(name: str, pattern: str, values: dict) -> str:
    """A value for a URL parameter that its pattern accepts, real where the site has one."""
    for candidate in (values.get(name), "impacts", "x", "1"):
        if candidate is not None and re.fullmatch(pattern, candidate):
            return candidate
    raise AssertionError(f"no sample value for {name} ({pattern})")


def _fill_regex(regex: str, values: dict) -> str:
    """A path a regular-expression pattern matches: named groups filled, anchors and escapes dropped."""
    out, i = [], 0
    while i < len(regex):
        if regex.startswith("(?P<", i):
            name_end = regex.index(">", i)
            depth, j = 1, name_end + 1
            while depth:
                if regex[j] == "\\":
                    j += 2
                    continue
                depth += {"(": 1, ")": -1}.get(regex[j], 0)
                j += 1
            out.append(_sample(regex[i + 4 : name_end], regex[name_end + 1 : j - 1], values))
            i = j
        elif regex[i] in "^$":
            i += 1
        elif regex[i] == "\\":
            out.append(regex[i + 1])
            i += 2
        else:
            out.append(regex[i])
            i += 1
    return "".join(out)


def _fill(pattern, values: dict) -> str:
    if isinstance(pattern, LocalePrefixPattern):  # i18n_patterns(): /en/, /ru/, /kk/
        return pattern.language_prefix
    if hasattr(pattern, "_route"):  # a path() route: <converter:name>
        converters = pattern.converters
        return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: _sample(m[1], converters[m[1]].regex, values), pattern._route)
    return _fill_regex(pattern._regex, values)


def site_paths(values: dict, patterns=None, prefix: str = "/") -> list[str]:
    """One real path for every URL pattern of the site (the admin's included)."""
    paths = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        here = prefix + _fill(entry.pattern, values)
        if isinstance(entry, URLResolver):
            paths += site_paths(values, entry.url_patterns, here)
        elif isinstance(entry, URLPattern):
            paths.append(here)
    return sorted(set(paths))


def nul_in_each_segment(path: str) -> list[str]:
    segments = path.strip("/").split("/") if path.strip("/") else [""]
    trailing = "/" if path.endswith("/") and path != "/" else ""
    variants = []
    for index, segment in enumerate(segments):
        for poisoned in ("%00", f"{segment}%00", f"%00{segment}"):
            variants.append("/" + "/".join([*segments[:index], poisoned, *segments[index + 1 :]]) + trailing)
    return sorted(set(variants))


def _visitor(persona, moderator) -> Client:
    client = Client(raise_request_exception=False)
    if persona == "moderator":
        client.force_login(moderator)
    return client


def _failures(responses, refused=REFUSED) -> list[str]:
    return [f"{status} {url}" for url, status in responses if status not in refused]


@pytest.mark.parametrize("persona", ["anonymous", "moderator"])
def test_nul_in_any_path_segment_of_any_page_is_refused(sample_values, moderator, persona):
    client = _visitor(persona, moderator)
    paths = site_paths(sample_values)
    assert len(paths) > 60  # the walk found the admin's pages too
    # follow: an address missing its final slash is first redirected to the one with it (CommonMiddleware).
    responses = [(url, client.get(url, follow=True).status_code) for path in paths for url in nul_in_each_segment(path)]
    assert _failures(responses) == []


@pytest.mark.parametrize("persona", ["anonymous", "moderator"])
def test_nul_in_any_query_parameter_of_any_page_is_refused(sample_values, moderator, persona):
    client = _visitor(persona, moderator)
    responses = []
    for path in site_paths(sample_values):
        for parameter in QUERY_PARAMETERS:
            url = f"{path}?{parameter}=%00"
            responses.append((url, client.get(url).status_code))
        url = f"{path}?%00=1"
        responses.append((url, client.get(url).status_code))
    assert _failures(responses) == []


@pytest.mark.parametrize("persona", ["anonymous", "moderator"])
def test_nul_in_form_fields_posted_to_any_page_is_refused(sample_values, moderator, persona):
    client = _visitor(persona, moderator)
    responses = []
    for path in site_paths(sample_values):
        for field in FORM_FIELDS:
            responses.append((f"POST {path} {field}", client.post(path, {field: "dust\x00"}).status_code))
    # The read-only API refuses the method itself (405) before it reads anything.
    assert _failures(responses, REFUSED | {405}) == []


@pytest.mark.parametrize("url", ["/reports/%00/", "/en/reports/%00/", "/api/reports/%00/", "/api/projects/%00/"])
def test_an_address_with_a_nul_is_not_found(client, url):
    response = client.get(url, follow=True)
    assert response.status_code == 404
    assert "There is no page at this address." in response.content.decode()
    assert response["Content-Security-Policy"]  # the usual security headers, as on every page


@pytest.mark.parametrize("url", ["/report/?project=%00", "/en/report/?project=%00", "/en/reports/?q=dust%00"])
def test_a_parameter_with_a_nul_shows_the_400_page(client, url):
    response = client.get(url, follow=True)
    assert response.status_code == 400
    text = response.content.decode()
    assert "<h1>The request could not be accepted</h1>" in text
    assert "Null characters are not allowed." in text
    assert "invisible control character" in text
    assert response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("character", [chr(code) for code in [*range(32), 127]])
def test_any_control_character_in_an_address_is_refused(client, sample_values, character):
    encoded = f"%{ord(character):02X}"
    report_page = reverse("impacts:report_detail", args=[sample_values["reference"]])
    assert client.get(f"{report_page[:-1]}{encoded}/").status_code == 404
    # Typed text may hold tab, line feed and carriage return (and DEL, which harms nothing).
    allowed_in_text = character in "\t\n\r\x7f"
    assert client.get(f"{reverse('projects:project_list')}?q=cement{encoded}").status_code == (
        200 if allowed_in_text else 400
    )


def test_a_visitor_who_pastes_a_tab_into_the_search_still_gets_results(client, sample_values):
    response = client.get(reverse("impacts:report_list"), {"q": "Black\tdust"})
    assert response.status_code == 200
    assert "Black dust on the houses" in response.content.decode()


def test_the_report_form_with_a_nul_keeps_nothing_and_says_why(client):
    from impacts.models import ImpactReport

    response = client.post(reverse("impacts:report_create"), {"title": "Dust\x00", "description": "Dust every night."})
    assert response.status_code == 400
    assert "Null characters are not allowed." in response.content.decode()
    assert not ImpactReport.objects.exists()


def test_typed_text_may_hold_tabs_and_line_breaks(client):
    # The form is incomplete, so it is shown again (400 from the form), but not refused as hostile.
    response = client.post(reverse("impacts:report_create"), {"description": "Line one\r\nLine\ttwo"})
    assert "invisible control character" not in response.content.decode()
    assert "Line one" in response.content.decode()


@pytest.mark.parametrize("cookie", ['"\\000aaaaaaaaaaaa"', "aaaaaaaa\x00", "aaaaaaaa\x01b"])
def test_a_forged_session_cookie_with_control_characters_is_ignored(sample_values, moderator, cookie):
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = cookie
    assert client.get(reverse("impacts:report_list")).status_code == 200
    assert client.get(f"/{settings.KZCN_ADMIN_URL}").status_code == 302  # not signed in: sent to the login page
