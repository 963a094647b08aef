"""E-mail alerts: a person subscribes to a project, a region or an area, confirms from their mailbox,
receives one e-mail per piece of news (at once or in a daily digest) and leaves with one request.

Hostile classes: garbage, overlong, expired and replayed links; GET never confirms nor unsubscribes;
an unconfirmed address receives nothing after its confirmation; the same news handled twice is
sent once; the one-click POST of RFC 8058 comes without cookies or CSRF token; coordinates typed
with other scripts' digits, inverted or out of range are explained, not crashed on.
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.db.models.signals import post_save
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from impacts import workflow
from impacts.alerts import sending
from impacts.alerts.models import AlertSent, Frequency, LinkPurpose, Subscription, SubscriptionLink
from impacts.models import ReportTransition
from tests.reports import make_report, make_site_project

pytestmark = pytest.mark.django_db

AIGUL = "aigul@example.org"
NURLAN = "nurlan@example.org"
REPORTER = "reporter.private@example.org"


@pytest.fixture(autouse=True)
def _emails_leave_at_once(monkeypatch):
    """The test's transaction never commits, so e-mails queued "after commit" are sent right away."""
    monkeypatch.setattr("django.db.transaction.on_commit", lambda callback, *args, **kwargs: callback())


@pytest.fixture
def project(db):
    return make_site_project()


def subscribe_page(language: str = "en") -> str:
    with translation.override(language):
        return reverse("impacts:alerts_subscribe")


def subscribe(client, *, language="en", **fields):
    data = {"email": AIGUL, "scope": "project", "frequency": "immediate", **fields}
    return client.post(subscribe_page(language), data)


def links_in(message, kind: str) -> list[str]:
    """The paths of the alert links (kind: "confirm" or "unsubscribe") in an e-mail's body."""
    links = re.findall(rf"https?://\S+/alerts/{kind}/[\w-]+/", message.body)
    return [link.removeprefix(settings.KZCN_SITE_URL) for link in links]


def confirmed(client, project=None, *, email=AIGUL, frequency="immediate", **fields) -> Subscription:
    """Subscribe and confirm as the person would: the form, then the button behind the e-mailed link."""
    before = len(mail.outbox)
    if project is not None:
        fields = {"scope": "project", "project": project.pk, **fields}
    assert subscribe(client, email=email, frequency=frequency, **fields).status_code == 302
    (path,) = links_in(mail.outbox[before], "confirm")
    assert client.post(path).status_code == 200
    return Subscription.objects.confirmed().get(email=email)


def published(moderator, **kw):
    report = make_report(contact_email=REPORTER, **{"region": "kyzylorda", **kw})
    workflow.apply(report, "start_review", by=moderator)
    workflow.apply(report, "publish", by=moderator)
    return report


def alerts_to(email: str) -> list:
    return [m for m in mail.outbox if m.to == [email] and "List-Unsubscribe" in m.extra_headers]


# --- Subscribing ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_the_subscribe_page_offers_a_project_a_region_and_an_area_in_each_language(client, project, language):
    response = client.get(subscribe_page(language))
    assert response.status_code == 200
    page = response.content.decode()
    assert f'lang="{language}"' in page
    for name in ("email", "project", "region", "min_latitude", "max_longitude", "frequency"):
        assert f'name="{name}"' in page
    assert project.name_en in page


def test_the_map_link_fills_in_the_area_and_the_project_link_the_project(client, project):
    page = client.get(subscribe_page(), {"bbox": "68.1,43.2,68.5,43.6"}).content.decode()
    assert 'value="43.2"' in page and 'value="68.5"' in page
    assert re.search(r'value="area"[^>]*checked', page)
    page = client.get(subscribe_page(), {"project": project.slug}).content.decode()
    assert re.search(rf'value="{project.pk}"[^>]*selected', page)


def test_subscribing_sends_only_a_confirmation_and_starts_nothing(client, project):
    response = subscribe(client, project=project.pk)
    assert response.status_code == 302
    assert "please check your e-mail" in client.get(response.url).content.decode()
    subscription = Subscription.objects.get()
    assert subscription.confirmed_at is None and subscription.project == project
    assert subscription.language == "en"
    (message,) = mail.outbox
    assert message.to == [AIGUL] and len(links_in(message, "confirm")) == 1
    assert "List-Unsubscribe" not in message.extra_headers  # nothing to leave yet
    # The link is stored as a digest only.
    link = SubscriptionLink.objects.get()
    assert link.purpose == LinkPurpose.CONFIRM and link.digest not in message.body
    assert link.expires - link.created == datetime.timedelta(days=7)


def test_the_page_answers_the_same_whether_or_not_the_address_already_follows_something(client, project):
    confirmed(client, project)
    pages = []
    for email in (AIGUL, NURLAN):
        response = subscribe(client, email=email, project=project.pk)
        page = client.get(response.url).content.decode()
        pages.append(re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page))
    assert pages[0] == pages[1]


def test_an_address_gets_at_most_three_confirmation_emails_a_day_and_the_page_does_not_say_so(client, project):
    for _ in range(5):
        response = subscribe(client, project=project.pk)
        assert response.status_code == 302
    assert len(mail.outbox) == 3
    assert Subscription.objects.count() == 3
    subscribe(client, email=AIGUL.upper(), project=project.pk)
    assert len(mail.outbox) == 3  # the same mailbox, however it is written


def test_one_client_cannot_post_without_limit(client, project, settings):
    settings.KZCN_RATE_LIMIT_POSTS_PER_IP = 2
    for index in range(2):
        assert subscribe(client, email=f"person{index}@example.org", project=project.pk).status_code == 302
    response = subscribe(client, email="person9@example.org", project=project.pk)
    assert response.status_code == 400
    assert "several requests in a short time" in response.content.decode()
    assert 'value="person9@example.org"' in response.content.decode()
    assert len(mail.outbox) == 2


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"scope": "project"}, "Please choose a project."),
        ({"scope": "region", "region": "atlantis"}, "Select a valid choice"),
        (
            {"scope": "area", "min_latitude": "٤٣", "max_latitude": "44", "min_longitude": "68", "max_longitude": "69"},
            "with the digits 0–9",
        ),
        (
            {"scope": "area", "min_latitude": "4²", "max_latitude": "44", "min_longitude": "68", "max_longitude": "69"},
            "with the digits 0–9",
        ),
        (
            {"scope": "area", "min_latitude": "44", "max_latitude": "43", "min_longitude": "68", "max_longitude": "69"},
            "must be north of the southern edge",
        ),
        (
            {"scope": "area", "min_latitude": "43", "max_latitude": "44", "min_longitude": "69", "max_longitude": "69"},
            "must be east of the western edge",
        ),
        (
            {"scope": "area", "min_latitude": "43", "max_latitude": "95", "min_longitude": "68", "max_longitude": "69"},
            "between −90 and 90",
        ),
        (
            {
                "scope": "area",
                "min_latitude": "43",
                "max_latitude": "44",
                "min_longitude": "-181",
                "max_longitude": "69",
            },
            "between −180 and 180",
        ),
        (
            {
                "scope": "area",
                "min_latitude": "4" * 40,
                "max_latitude": "44",
                "min_longitude": "68",
                "max_longitude": "69",
            },
            "at most 20 characters",
        ),
        (
            {"scope": "area", "min_latitude": "", "max_latitude": "44", "min_longitude": "68", "max_longitude": "69"},
            "Please give this edge of the area.",
        ),
        ({"scope": "elsewhere"}, "Select a valid choice"),
        ({"frequency": "hourly"}, "Select a valid choice"),
        ({"email": "not an address"}, "Enter a valid email address."),
    ],
)
def test_wrong_answers_get_a_clear_message_and_keep_what_was_typed(client, project, fields, error):
    response = subscribe(client, **fields)
    assert response.status_code == 400
    page = response.content.decode()
    assert error in page
    assert f'value="{fields.get("email", AIGUL)}"' in page
    assert Subscription.objects.count() == 0 and mail.outbox == []


def test_a_nul_byte_or_an_overlong_address_is_refused_without_a_crash(client, project):
    for email in ("aigul\x00@example.org", "a" * 300 + "@example.org"):
        response = subscribe(client, email=email, project=project.pk)
        assert response.status_code in (400, 404)
    assert Subscription.objects.count() == 0


def test_subscribing_takes_only_get_and_post(client):
    assert client.put(subscribe_page()).status_code == 405


# --- Confirming ---------------------------------------------------------------------------------------


def test_opening_the_confirmation_link_confirms_nothing_until_the_button_is_pressed(client, project):
    subscribe(client, project=project.pk)
    (path,) = links_in(mail.outbox[0], "confirm")
    for _ in range(3):  # a mail scanner, a preview, the person
        response = client.get(path)
        assert response.status_code == 200
        assert "Confirm and start the alerts" in response.content.decode()
    assert Subscription.objects.confirmed().count() == 0
    response = client.post(path)
    assert response.status_code == 200
    assert "Your alerts are confirmed" in response.content.decode()
    subscription = Subscription.objects.confirmed().get()
    assert list(subscription.links.values_list("purpose", flat=True)) == [LinkPurpose.UNSUBSCRIBE]
    assert subscription.links.get().expires is None
    assert response["Cache-Control"] == "no-store, private"


def test_a_confirmation_link_works_once(client, project):
    subscribe(client, project=project.pk)
    (path,) = links_in(mail.outbox[0], "confirm")
    assert client.post(path).status_code == 200
    replay = client.post(path)
    assert replay.status_code == 404
    assert "If you have confirmed already, there is nothing more to do" in replay.content.decode()
    assert Subscription.objects.confirmed().count() == 1


def test_an_expired_confirmation_link_confirms_nothing(client, project):
    subscribe(client, project=project.pk)
    (path,) = links_in(mail.outbox[0], "confirm")
    SubscriptionLink.objects.update(expires=timezone.now() - datetime.timedelta(seconds=1))
    assert client.post(path).status_code == 404
    assert Subscription.objects.confirmed().count() == 0


@pytest.mark.parametrize("view", ["impacts:alerts_confirm", "impacts:alerts_unsubscribe"])
@pytest.mark.parametrize("token", ["garbage", "x" * 101, "x" * 5000, "%C2%B2", "..", "a-b_c" * 8])
def test_garbage_and_overlong_tokens_get_a_clear_page(client, view, token):
    url = reverse(view, args=["TOKEN"]).replace("TOKEN", token)
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code == 404
        assert "This link does not work" in response.content.decode()


def test_a_nul_byte_in_a_link_is_not_a_server_error(client):
    response = client.get("/en/alerts/unsubscribe/abc%00def/")
    assert response.status_code in (400, 404)


def test_a_confirm_link_does_not_unsubscribe_and_an_unsubscribe_link_does_not_confirm(client, project):
    subscribe(client, project=project.pk)
    (path,) = links_in(mail.outbox[0], "confirm")
    assert client.post(path.replace("/confirm/", "/unsubscribe/")).status_code == 404
    assert Subscription.objects.count() == 1


def test_subscribing_again_with_another_frequency_replaces_the_first(client, project):
    confirmed(client, project)
    subscribe(client, project=project.pk, frequency="daily")
    (path,) = links_in(mail.outbox[-1], "confirm")
    client.post(path)
    assert list(Subscription.objects.values_list("frequency", flat=True)) == [Frequency.DAILY]


# --- Alerts as they happen -------------------------------------------------------------------------------


def test_a_confirmed_subscriber_gets_one_email_for_a_new_report_with_one_click_unsubscribe(client, project, moderator):
    confirmed(client, project)
    report = published(moderator, project=project, description="Call Aigul on +7 701 111 2233")
    (message,) = alerts_to(AIGUL)
    assert report.reference in message.subject and report.public_title in message.subject
    assert report.public_title in message.body
    assert settings.KZCN_SITE_URL + "/en" + f"/reports/{report.reference}/" in message.body
    assert "Shieli cement plant" in message.body and "Kyzylorda" in message.body
    for private in (REPORTER, "+7 701 111 2233", report.description):
        assert private not in message.body and private not in message.subject
    # RFC 8058: the unsubscribe address in the header is the one in the body.
    (path,) = links_in(message, "unsubscribe")
    assert message.extra_headers["List-Unsubscribe"] == f"<{settings.KZCN_SITE_URL}{path}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert AlertSent.objects.get().item == f"report:{report.pk}"


def test_an_unconfirmed_address_receives_nothing_but_its_confirmation(client, project, moderator):
    subscribe(client, project=project.pk)
    published(moderator, project=project)
    assert [m.to for m in mail.outbox if m.to == [AIGUL]] == [[AIGUL]]
    assert AlertSent.objects.count() == 0


def test_the_same_news_handled_twice_is_sent_once(client, project, moderator):
    confirmed(client, project)
    report = published(moderator, project=project)
    transition = report.transitions.get(action="publish")
    post_save.send(ReportTransition, instance=transition, created=True)  # the signal again
    sending.send_alerts(transition.pk)  # and the task run again by a second worker
    assert len(alerts_to(AIGUL)) == 1


def test_a_follow_up_on_a_published_report_is_news_but_not_its_words(client, project, moderator):
    report = published(moderator, project=project)
    confirmed(client, project)
    workflow.apply(report, "reporter_continues", message="Still dust; my neighbour Ivan Petrov is ill")
    (message,) = alerts_to(AIGUL)
    assert report.reference in message.subject
    assert "The reporter says it continues" in message.body
    assert "Ivan Petrov" not in message.body
    transition = report.transitions.get(action="reporter_continues")
    assert AlertSent.objects.get().item == f"event:{transition.pk}"
    assert f"{report.get_absolute_url()}#event-followup-{transition.pk}" in message.body


def test_steps_that_are_not_news_send_nothing(client, project, moderator):
    confirmed(client, project)
    report = make_report(project=project)
    workflow.apply(report, "start_review", by=moderator)
    workflow.apply(report, "reject", by=moderator, message="Not about the plant")
    assert alerts_to(AIGUL) == []


def test_a_report_withdrawn_before_the_worker_sends_is_not_announced(
    client, project, moderator, senior_moderator, monkeypatch
):
    confirmed(client, project)
    queued = []
    monkeypatch.setattr(sending, "queue_alerts", queued.append)
    report = published(moderator, project=project)
    workflow.apply(report, "withdraw", by=senior_moderator, message="Duplicate")
    for transition in queued:
        sending.send_alerts(transition.pk)
    assert alerts_to(AIGUL) == []


def test_regions_and_areas_match_the_public_point_only(client, project, moderator):
    confirmed(client, email=AIGUL, scope="region", region="kyzylorda")
    # An area around the report's exact pin but not its public point (a settlement's centre far away).
    confirmed(
        client,
        email=NURLAN,
        scope="area",
        min_latitude="43.20",
        max_latitude="43.22",
        min_longitude="68.10",
        max_longitude="68.12",
    )
    report = make_report(
        project=project, region="kyzylorda", latitude=Decimal("43.21001"), longitude=Decimal("68.11001")
    )
    type(report).objects.filter(pk=report.pk).update(public_latitude=Decimal("44.5"), public_longitude=Decimal("66.0"))
    report.refresh_from_db()
    workflow.apply(report, "start_review", by=moderator)
    workflow.apply(report, "publish", by=moderator)
    assert len(alerts_to(AIGUL)) == 1
    assert alerts_to(NURLAN) == []
    area = confirmed(
        client,
        email="third@example.org",
        scope="area",
        min_latitude="44",
        max_latitude="45",
        min_longitude="65.5",
        max_longitude="66.5",
    )
    assert area.followed_reports().get() == report


def test_alerts_are_written_in_the_subscribers_language(client, project, moderator):
    confirmed(client, project, language="kk")
    report = published(moderator, project=project)
    (message,) = alerts_to(AIGUL)
    assert f"/kk/reports/{report.reference}/" in message.body
    assert "/kk/alerts/unsubscribe/" in message.extra_headers["List-Unsubscribe"]


def test_a_failed_send_is_recorded_without_the_address_and_breaks_nothing(client, project, moderator, monkeypatch):
    confirmed(client, project)

    def refuse(self, *args, **kwargs):
        raise OSError(f"550 <{AIGUL}> mailbox unavailable")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    report = published(moderator, project=project)
    assert report.status == "published"
    sent = AlertSent.objects.get()
    assert "550" in sent.error and AIGUL not in sent.error


# --- The daily digest and the sweep ---------------------------------------------------------------------------


def test_a_daily_subscriber_gets_one_digest_with_the_days_news_and_nothing_on_a_quiet_day(client, project, moderator):
    subscription = confirmed(client, project, frequency="daily")
    first = published(moderator, project=project, title="Dust at night")
    second = published(moderator, project=project, title="Water turned red")
    workflow.apply(first, "reporter_resolved", message="It stopped")
    assert alerts_to(AIGUL) == []  # nothing at once

    call_command("send_alert_digests", stdout=open("/dev/null", "w"))
    (digest,) = alerts_to(AIGUL)
    assert "3 new items" in digest.subject
    for reference in (first.reference, second.reference):
        assert reference in digest.body
    assert "Resolved, according to the reporter" in digest.body
    assert digest.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    subscription.refresh_from_db()
    assert subscription.last_sent_at is not None

    call_command("send_alert_digests", stdout=open("/dev/null", "w"))
    assert len(alerts_to(AIGUL)) == 1  # a quiet day: no e-mail


def test_unconfirmed_subscriptions_are_deleted_when_their_link_expires(client, project):
    confirmed(client, project)
    subscribe(client, email=NURLAN, project=project.pk)
    subscribe(client, email="fresh@example.org", project=project.pk)
    week_ago = timezone.now() - datetime.timedelta(days=7, seconds=1)
    stale = Subscription.objects.get(email=NURLAN)
    Subscription.objects.filter(pk=stale.pk).update(created=week_ago)
    SubscriptionLink.objects.filter(subscription=stale).update(expires=timezone.now())
    call_command("send_alert_digests", stdout=open("/dev/null", "w"))
    assert sorted(Subscription.objects.values_list("email", flat=True)) == [AIGUL, "fresh@example.org"]
    assert SubscriptionLink.objects.filter(subscription_id=stale.pk).count() == 0


# --- Leaving -------------------------------------------------------------------------------------------------


def test_one_post_from_a_mail_provider_unsubscribes_without_cookies_or_csrf(client, project, moderator):
    confirmed(client, project)
    published(moderator, project=project)
    (message,) = alerts_to(AIGUL)
    url = message.extra_headers["List-Unsubscribe"].strip("<>").removeprefix(settings.KZCN_SITE_URL)
    provider = Client(enforce_csrf_checks=True)
    response = provider.post(url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert Subscription.objects.count() == 0
    assert SubscriptionLink.objects.count() == 0 and AlertSent.objects.count() == 0
    replay = provider.post(url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert replay.status_code == 404
    assert "they have been stopped already" in replay.content.decode()
    published(moderator, project=project, title="Another report")
    assert len(alerts_to(AIGUL)) == 1


def test_opening_the_unsubscribe_link_shows_a_button_and_removes_nothing(client, project):
    confirmed(client, project)
    unsubscribe = Subscription.objects.get().issue_unsubscribe()
    path = reverse("impacts:alerts_unsubscribe", args=[unsubscribe])
    for _ in range(2):
        response = client.get(path)
        assert response.status_code == 200 and "Stop the alerts" in response.content.decode()
    assert Subscription.objects.count() == 1
    response = client.post(path)
    assert "The alerts are stopped" in response.content.decode()
    assert Subscription.objects.count() == 0


def test_an_older_emails_unsubscribe_link_still_works(client, project, moderator):
    confirmed(client, project)
    published(moderator, project=project, title="First")
    published(moderator, project=project, title="Second")
    first, second = alerts_to(AIGUL)
    assert links_in(first, "unsubscribe") != links_in(second, "unsubscribe")
    assert client.post(links_in(first, "unsubscribe")[0]).status_code == 200
    assert Subscription.objects.count() == 0


# --- The Atom feeds carry the follow-ups too ---------------------------------------------------------------------


ATOM = "{http://www.w3.org/2005/Atom}"


def feed_entries(client, url) -> list[dict]:
    from xml.etree import ElementTree

    response = client.get(url)
    assert response.status_code == 200
    feed = ElementTree.fromstring(response.content)  # noqa: S314 (our own feed)
    return [
        {
            "title": entry.findtext(f"{ATOM}title"),
            "summary": entry.findtext(f"{ATOM}summary"),
            "link": entry.find(f"{ATOM}link").get("href"),
        }
        for entry in feed.findall(f"{ATOM}entry")
    ]


def test_every_feed_carries_a_reports_follow_ups_without_the_reporters_words(client, project, moderator):
    report = published(moderator, project=project, public_title="Cement dust")
    workflow.apply(report, "reporter_continues", message="Ivan Petrov on 5th street is ill")
    workflow.apply(report, "action_reported", by=moderator, message="The akimat fined the plant.")
    steps = report.transitions.filter(to_status="published", from_status="published").order_by("pk")
    for url in (
        reverse("impacts:feed"),
        reverse("impacts:project_feed", args=[project.slug]),
        reverse("impacts:region_feed", args=["kyzylorda"]),
    ):
        entries = feed_entries(client, url)
        assert [e["title"] for e in entries] == [
            "Cement dust — Action reported",
            "Cement dust — The reporter says it continues",
            "Cement dust",
        ]
        assert entries[0]["link"].endswith(f"{report.get_absolute_url()}#event-followup-{steps[1].pk}")
        assert "The akimat fined the plant." in entries[0]["summary"]
        assert "Ivan Petrov" not in "".join(e["summary"] for e in entries)
    assert feed_entries(client, reverse("impacts:region_feed", args=["pavlodar"])) == []


def test_follow_ups_leave_the_feeds_with_their_withdrawn_report(client, project, moderator, senior_moderator):
    report = published(moderator, project=project)
    workflow.apply(report, "reporter_resolved", message="It stopped")
    workflow.apply(report, "withdraw", by=senior_moderator, message="Asked by the reporter")
    assert feed_entries(client, reverse("impacts:feed")) == []


def test_a_follow_up_makes_a_cached_feed_new_again(client, project, moderator):
    report = published(moderator, project=project)
    url = reverse("impacts:project_feed", args=[project.slug])
    etag = client.get(url)["ETag"]
    assert client.get(url, headers={"if-none-match": etag}).status_code == 304
    workflow.apply(report, "reporter_resolved", message="It stopped")
    fresh = client.get(url, headers={"if-none-match": etag})
    assert fresh.status_code == 200 and "Resolved, according to the reporter" in fresh.content.decode()


def test_the_feed_with_follow_ups_stays_cheap(client, project, moderator, django_assert_max_num_queries):
    for number in range(5):
        report = published(moderator, project=project, public_title=f"Dust {number}")
        workflow.apply(report, "reporter_continues", message="Still")
    with django_assert_max_num_queries(3):
        assert len(feed_entries(client, reverse("impacts:feed"))) == 10


# --- The admin ---------------------------------------------------------------------------------------------------


def test_moderators_never_see_subscribers_addresses_and_superusers_may(client, project, moderator, django_user_model):
    confirmed(client, project)
    url = reverse("admin:impacts_subscription_changelist")
    client.force_login(moderator)
    assert client.get(url).status_code == 403
    assert AIGUL not in client.get(reverse("admin:index")).content.decode()
    root = django_user_model.objects.create_superuser("root", "root@example.org", "a-long-password-1")
    client.force_login(root)
    response = client.get(url)
    assert response.status_code == 200 and AIGUL in response.content.decode()
