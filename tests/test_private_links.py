"""One implementation of private expiring links: tracking, company invitations, subscriptions.

Each kind of link is a model inheriting `PrivateLink`, so each is hashed at rest, expires the same
way and refuses the same malformed tokens; these tests run the same checks on every kind.
"""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from impacts import private_links
from impacts.models import (
    CompanyInvitation,
    ImpactReport,
    Status,
    Subscription,
    SubscriptionLink,
    TrackingLink,
)
from projects.models import Company

from .reports import make_report

pytestmark = pytest.mark.django_db

HOSTILE_TOKENS = ["", "x", "not-a-token", "²" * 10, "a" * 101, "a" * 100_000, "\x00abc", "../../etc/passwd"]


def issue(kind, lifetime=datetime.timedelta(days=1)):
    """A link of `kind` with its token, issued through the shared manager."""
    report = make_report(status=Status.PUBLISHED)
    if kind is TrackingLink:
        return TrackingLink.objects.issue(report=report, lifetime=lifetime)
    if kind is CompanyInvitation:
        company = Company.objects.create(name="Operator LLP", contact_email="press@operator.example")
        moderator = get_user_model().objects.create_user("mod")
        return CompanyInvitation.objects.issue(
            lifetime=lifetime,
            report=report,
            company=company,
            email=company.contact_email,
            deadline=timezone.now() + datetime.timedelta(days=14),
            invited_by=moderator,
        )
    subscription = Subscription.objects.create(email="resident@example.org", region="pavlodar")
    return SubscriptionLink.objects.issue(lifetime=lifetime, subscription=subscription, purpose="confirm")


def stored_text(model) -> str:
    """Every value of every row of the model's table, as the database holds it."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {model._meta.db_table}")  # noqa: S608 (a model's own table)
        return repr(cursor.fetchall())


KINDS = [TrackingLink, CompanyInvitation, SubscriptionLink]


def test_every_private_link_is_the_one_implementation():
    for kind in KINDS:
        assert issubclass(kind, private_links.PrivateLink)
        assert isinstance(kind.objects.all(), private_links.PrivateLinkQuerySet)


@pytest.mark.parametrize("kind", KINDS)
def test_only_the_digest_is_stored_and_the_token_opens_the_link(kind):
    link, token = issue(kind)
    assert len(token) >= 43
    assert token not in stored_text(kind)
    assert link.digest == private_links.digest(token)
    assert kind.objects.by_token(token) == link


@pytest.mark.parametrize("kind", KINDS)
def test_a_link_stops_working_when_it_expires(kind):
    link, token = issue(kind, lifetime=datetime.timedelta(hours=1))
    assert link.is_valid()
    later = timezone.now() + datetime.timedelta(hours=1, seconds=1)
    assert not link.is_valid(later)
    with pytest.raises(kind.DoesNotExist):
        kind.objects.by_token(token, at=later)
    assert list(kind.objects.expired(later)) == [link]


@pytest.mark.parametrize("kind", KINDS)
def test_a_link_without_lifetime_never_expires(kind):
    link, token = issue(kind, lifetime=None)
    assert link.expires is None
    assert kind.objects.by_token(token, at=timezone.now() + datetime.timedelta(days=3650)) == link


@pytest.mark.parametrize("kind", KINDS)
def test_rotating_a_link_retires_the_old_token(kind):
    link, old = issue(kind)
    new = link.rotate()
    assert new != old
    with pytest.raises(kind.DoesNotExist):
        kind.objects.by_token(old)
    assert kind.objects.by_token(new) == link


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("token", HOSTILE_TOKENS, ids=range(len(HOSTILE_TOKENS)))
def test_malformed_tokens_open_nothing(kind, token):
    issue(kind)
    with pytest.raises(kind.DoesNotExist):
        kind.objects.by_token(token)


@pytest.mark.parametrize("token", [*HOSTILE_TOKENS, None, 12])
def test_the_reports_own_lookup_refuses_the_same_tokens(token):
    make_report()
    with pytest.raises(ImpactReport.DoesNotExist):
        ImpactReport.objects.by_tracking_token(token)


def test_a_reissued_tracking_link_carries_its_expiry(settings):
    settings.KZCN_TRACKING_LINK_DAYS = 30
    report = make_report()
    token = TrackingLink.objects.for_report(report)
    link = TrackingLink.objects.get()
    assert link.expires - link.created == datetime.timedelta(days=30)
    assert ImpactReport.objects.by_tracking_token(token) == report
