"""Floods, races, replays and odd bodies against the report form: every post counts, the limit holds
under concurrency, a form token makes one report, and no combination of repeated or invalid values
gives a 500."""

import threading
import time

import pytest
from django.conf import settings as django_settings
from django.test import Client, RequestFactory
from django.urls import reverse

from impacts import abuse, evidence
from impacts.forms import ImpactReportForm
from impacts.models import Category, ImpactReport, ReportCategory
from tests.live.servers import redis_url_for_tests
from tests.test_report_form import form_data, photo, served_a_minute_ago

pytestmark = pytest.mark.django_db

REPORT_URL = reverse("impacts:report_create")
REDIS = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url_for_tests(0)}}


def post(client, **overrides):
    return client.post(REPORT_URL, form_data(timestamp=served_a_minute_ago(), **overrides))


@pytest.fixture
def decoded_files(monkeypatch):
    """Counts the files the evidence pipeline decodes (the expensive work)."""
    calls = []
    real = evidence.prepare_evidence

    def counting(uploaded):
        calls.append(uploaded.name)
        return real(uploaded)

    monkeypatch.setattr(evidence, "prepare_evidence", counting)
    return calls


# --- Every POST counts -----------------------------------------------------------------------------


def _refused_file():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests import evidence_files

    return {"files": [photo(), SimpleUploadedFile("page.jpg", evidence_files.html_as_jpg(), "image/jpeg")]}


@pytest.mark.parametrize(
    "invalid",
    [
        lambda: {"title": ""},  # a field error
        lambda: {"observed_on": "2999-01-01"},
        lambda: {"primary_category": "not-a-category"},
        _refused_file,  # a file the pipeline refuses, beside one it accepts
    ],
    ids=["missing-title", "future-date", "bad-choice", "refused-file"],
)
def test_invalid_posts_are_counted_and_refused_before_any_file_is_decoded(client, settings, decoded_files, invalid):
    settings.KZCN_RATE_LIMIT_REPORTS_PER_IP = 2
    settings.KZCN_RATE_LIMIT_POSTS_PER_IP = 4
    for _ in range(4):
        assert post(Client(), **invalid()).status_code == 400
    decoded = len(decoded_files)

    flood = post(client, **{**invalid(), "files": [photo("late.jpg", lat=2.0)]})

    assert flood.status_code == 400
    assert "try again in about" in flood.content.decode()
    assert len(decoded_files) == decoded, "the refused post's files were not decoded"
    assert not ImpactReport.objects.exists()


def test_mistakes_do_not_use_up_the_allowance_of_reports(client, settings):
    """The allowance of posts is larger than that of reports: a typo costs a post, not a report."""
    settings.KZCN_RATE_LIMIT_REPORTS_PER_IP = 2
    assert abuse.posts_per_ip() == 6  # three times the reports by default
    for _ in range(3):
        assert post(client, title="").status_code == 400
    assert post(client, title="Dust on Monday").status_code == 302
    assert post(client, title="Dust on Tuesday").status_code == 302
    refused = post(client, title="Dust on Wednesday")
    assert refused.status_code == 400 and "try again in about" in refused.content.decode()
    assert ImpactReport.objects.count() == 2


def test_a_post_refused_by_the_honeypot_or_a_forged_token_still_counts(client, settings):
    settings.KZCN_RATE_LIMIT_POSTS_PER_IP = 3
    client.post(REPORT_URL, form_data(timestamp="forged"))
    client.post(REPORT_URL, form_data(timestamp=served_a_minute_ago(), website="http://spam.example"))
    client.post(REPORT_URL, form_data(timestamp=""))
    response = post(client)
    assert response.status_code == 400 and "try again in about" in response.content.decode()


def test_posts_from_another_address_have_their_own_allowance(client, settings):
    settings.KZCN_RATE_LIMIT_POSTS_PER_IP = 2
    for _ in range(3):
        post(client, title="")
    assert post(Client(REMOTE_ADDR="10.1.2.3")).status_code == 302


# --- The limit holds under concurrency --------------------------------------------------------------


def _concurrently(function, count: int) -> list:
    """Run `function` in `count` real threads released together; return their results."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(index):
        barrier.wait()
        results[index] = function()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def _post_request(ip="203.0.113.7", **data):
    return RequestFactory().post(REPORT_URL, data, REMOTE_ADDR=ip)


@pytest.fixture(params=["locmem", "redis"])
def shared_cache(request, settings):
    """The default local-memory cache (one process) and Redis (production), each emptied around the test."""
    if request.param == "redis":
        import redis

        try:
            redis.Redis.from_url(REDIS["default"]["LOCATION"], socket_connect_timeout=1).ping()
        except redis.exceptions.ConnectionError:
            pytest.skip("Redis is not running on 127.0.0.1:6379")
        settings.CACHES = REDIS
    from django.core.cache import cache

    cache.clear()
    yield request.param
    cache.clear()


@pytest.mark.parametrize("limit", [1, 10])
def test_concurrent_reports_from_one_address_get_exactly_the_limit(shared_cache, settings, limit):
    settings.KZCN_RATE_LIMIT_REPORTS_PER_IP = limit
    results = _concurrently(lambda: abuse.take_report_allowance(_post_request()), 16)
    assert results.count(None) == limit, results
    assert all("try again in about" in r for r in results if r is not None)
    # And afterwards the address stays refused.
    assert abuse.rate_limit_problem(_post_request()) is not None


def test_concurrent_reports_with_one_contact_get_exactly_the_limit(shared_cache, settings):
    settings.KZCN_RATE_LIMIT_REPORTS_PER_CONTACT = 5

    requests = iter([_post_request(ip=f"10.0.0.{n}", contact_email="a@b.org") for n in range(16)])
    lock = threading.Lock()

    def from_a_new_address():
        with lock:
            request = next(requests)
        return abuse.take_report_allowance(request)

    results = _concurrently(from_a_new_address, 16)
    assert results.count(None) == 5


def test_concurrent_posts_from_one_address_get_exactly_the_post_allowance(shared_cache, settings):
    settings.KZCN_RATE_LIMIT_POSTS_PER_IP = 10
    results = _concurrently(lambda: abuse.count_post(_post_request()), 16)
    assert results.count(None) == 10


def test_a_refused_attempt_or_a_failed_save_gives_its_count_back(shared_cache, settings):
    settings.KZCN_RATE_LIMIT_REPORTS_PER_IP = 2
    first, second = _post_request(), _post_request()
    assert abuse.take_report_allowance(first) is None
    assert abuse.take_report_allowance(second) is None
    assert abuse.take_report_allowance(_post_request()) is not None  # over: counted, then given back
    abuse.give_back_report_allowance(second)  # the save failed: it does not count
    assert abuse.rate_limit_problem(_post_request()) is None
    assert abuse.take_report_allowance(_post_request()) is None
    assert abuse.take_report_allowance(_post_request()) is not None


def test_sixteen_posts_in_a_row_from_one_address_make_exactly_ten_reports(client):
    results = [post(client, title=f"Dust, day {day}").status_code for day in range(16)]
    assert results.count(302) == 10 and ImpactReport.objects.count() == 10


# --- A form token is single use ---------------------------------------------------------------------


def test_one_token_makes_one_report_however_often_and_from_wherever_it_is_sent(client):
    token = served_a_minute_ago()
    statuses = [
        Client(REMOTE_ADDR=f"10.0.0.{n}").post(REPORT_URL, form_data(timestamp=token)).status_code for n in range(4)
    ]
    assert statuses[0] == 302
    assert ImpactReport.objects.count() == 1
    assert ImpactReport.objects.get().submission_key == abuse.read_form_token(token).submission_key


@pytest.mark.parametrize(
    "token",
    [
        abuse.signing.dumps(time.time() - 60, salt=abuse._TIMESTAMP_SALT),  # the old format: no nonce
        abuse.signing.dumps({"n": "short", "s": time.time() - 60, "i": time.time()}, salt=abuse._TIMESTAMP_SALT),
        abuse.signing.dumps({"s": time.time() - 60, "i": time.time()}, salt=abuse._TIMESTAMP_SALT),
        abuse.signing.dumps({"n": "x" * 22, "s": "soon", "i": 1}, salt=abuse._TIMESTAMP_SALT),
        abuse.signing.dumps({"n": "x" * 22, "s": time.time() - 60, "i": time.time()}, salt="other"),
        "",
    ],
    ids=["no-nonce", "short-nonce", "missing-nonce", "bad-time", "other-salt", "empty"],
)
def test_a_token_we_did_not_make_is_refused(client, token):
    response = client.post(REPORT_URL, form_data(timestamp=token))
    assert response.status_code == 400
    assert "The form could not be checked." in response.content.decode()
    assert not ImpactReport.objects.exists()


def test_a_refused_post_does_not_use_up_the_token(client):
    token = served_a_minute_ago()
    assert client.post(REPORT_URL, form_data(timestamp=token, title="")).status_code == 400
    assert client.post(REPORT_URL, form_data(timestamp=token)).status_code == 302


# --- Repeated and invalid values: a message, never a 500 ----------------------------------------------

MULTI_VALUE_FIELDS = ["other_categories"]
CHOICE_FIELDS = [name for name, field in ImpactReportForm.base_fields.items() if hasattr(field, "choices")]


def test_the_lists_below_cover_the_form():
    assert {
        "project",
        "region",
        "primary_category",
        "other_categories",
        "severity",
        "reporter_type",
        "attribution",
        "language",
    } <= set(CHOICE_FIELDS)


def test_a_repeated_checkbox_value_is_stored_once(client):
    response = post(client, other_categories=["water", "water", "air", "water"], primary_category="air")
    assert response.status_code == 302
    assert sorted(ReportCategory.objects.values_list("category", flat=True)) == ["air", "water"]


@pytest.mark.parametrize("field", MULTI_VALUE_FIELDS)
@pytest.mark.parametrize("value", [value for value, _label in Category.choices])
def test_every_multi_value_field_repeated_makes_one_report(client, field, value):
    response = post(client, **{field: [value] * 3})
    assert response.status_code == 302
    report = ImpactReport.objects.get()
    assert report.categories.filter(category=value).count() == 1


@pytest.mark.parametrize("field", sorted(ImpactReportForm.base_fields))
def test_every_field_given_twice_is_never_a_500(client, field):
    data = form_data(timestamp=served_a_minute_ago())
    value = data.get(field, "")
    data[field] = (list(value) * 2) if isinstance(value, list) else [value, value]
    if field == "files":
        data[field] = [photo(), photo()]
    response = client.post(REPORT_URL, data)
    assert response.status_code in (302, 400)
    if response.status_code == 400:
        assert "Please check the form" in response.content.decode()
    assert ImpactReport.objects.count() <= 1


@pytest.mark.parametrize("field", CHOICE_FIELDS)
@pytest.mark.parametrize("value", ["nope", "0", "-1", "99999999999999999999", "' OR 1=1 --", "é" * 300, "1.5"])
def test_every_choice_field_with_an_invalid_value_gets_a_message_next_to_it(client, field, value):
    data = form_data(timestamp=served_a_minute_ago())
    data[field] = [value, value] if field in MULTI_VALUE_FIELDS else value
    response = client.post(REPORT_URL, data)
    assert response.status_code == 400
    assert response.context["form"].errors.get(field), response.context["form"].errors
    assert not ImpactReport.objects.exists()


# --- The whole view under real concurrency (each thread its own database connection) -------------------


needs_a_server_database = pytest.mark.skipif(
    "sqlite" in django_settings.DATABASES["default"]["ENGINE"],
    reason="the in-memory SQLite test database refuses concurrent writers (the limits are raced above on both)",
)


def _post_in_thread(client, data):
    from django.db import connection

    try:
        return client.post(REPORT_URL, data).status_code
    finally:
        connection.close()


@needs_a_server_database
@pytest.mark.django_db(transaction=True)
def test_sixteen_simultaneous_reports_from_one_address_make_exactly_the_limit(shared_cache, settings):
    settings.KZCN_RATE_LIMIT_REPORTS_PER_IP = 10
    forms = iter([form_data(timestamp=served_a_minute_ago(), title=f"Dust, report {n}") for n in range(16)])
    lock = threading.Lock()

    def send():
        with lock:
            data = next(forms)
        return _post_in_thread(Client(), data)

    statuses = _concurrently(send, 16)
    assert ImpactReport.objects.count() == 10
    assert statuses.count(302) == 10 and statuses.count(400) == 6, statuses


@needs_a_server_database
@pytest.mark.django_db(transaction=True)
def test_one_form_sent_eight_times_at_once_makes_one_report_and_one_confirmation(settings, tmp_path):
    browser = Client()
    browser.get(REPORT_URL)  # the form-client cookie
    token = served_a_minute_ago()

    def send():
        return _post_in_thread(browser, form_data(timestamp=token, files=[photo()]))

    statuses = _concurrently(send, 8)
    assert ImpactReport.objects.count() == 1, statuses
    assert statuses == [302] * 8  # every post of this browser is answered with the confirmation
    report = ImpactReport.objects.get()
    assert report.evidence.count() == 1
    sealed = tmp_path / "sealed"
    assert len([p for p in sealed.rglob("*") if p.is_file()]) == 1, "the losers' files were removed"
