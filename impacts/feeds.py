"""Atom feeds of newly published reports: all of them, per project and per region.

Each feed also carries the follow-ups of its published reports (a company responded, the reporter
says it continues, ...): one entry per step, linking to that step on the report's timeline.

Items carry the public title, an excerpt of the public (redacted) text, the report's link and
the date it was published; nothing else about a report is read.

Everything a report's author wrote travels as plain text (``type="text"``): Django's Atom feed
sends descriptions as HTML, and feed readers then show the images and follow the links a
reporter typed. ``PlainTextAtomFeed`` marks every text construct as text and the feeds hand it
text with any tags and XML-illegal control characters taken out.
"""

import re

from django.contrib.syndication.views import Feed
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import strip_tags
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from kzcn.freshness import public_page
from projects.models import Project, Region

from . import exports
from .models import FollowUp, ImpactReport, ReportTransition, Status
from .timeline import PUBLIC_MESSAGE_ACTIONS

ITEMS_PER_FEED = 50
EXCERPT_WORDS = 60
# RFC 4287 text constructs: each may say type="text", "html" or "xhtml".
TEXT_CONSTRUCTS = frozenset({"title", "subtitle", "rights", "summary", "content"})
# XML 1.0 allows tab, line feed and carriage return only; Django refuses the rest with an error.
XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def plain_text(text: str) -> str:
    """Text a feed reader shows as written: no tags, no characters XML cannot carry."""
    return XML_ILLEGAL.sub("", strip_tags(text or ""))


class _TextConstructs:
    """Wraps the XML writer so that every text construct is written with type="text"."""

    def __init__(self, handler):
        self._handler = handler

    def addQuickElement(self, name, contents=None, attrs=None):  # the XML writer's own method name
        if name in TEXT_CONSTRUCTS:
            attrs = {"type": "text"}
        self._handler.addQuickElement(name, contents, attrs)

    def __getattr__(self, name):
        return getattr(self._handler, name)


class PlainTextAtomFeed(Atom1Feed):
    """Atom with titles, summaries and rights as ``type="text"`` (Django writes summaries as HTML)."""

    def add_root_elements(self, handler):
        super().add_root_elements(_TextConstructs(handler))

    def add_item_elements(self, handler, item):
        super().add_item_elements(_TextConstructs(handler), item)


class PublishedReportsFeed(Feed):
    """All newly published reports, newest first."""

    feed_type = PlainTextAtomFeed
    is_public_page = True  # as `public_page` marks a view: kzcn.page_cache revalidates it early

    def __call__(self, request, *args, **kwargs):
        # Conditional GET (304) and shared copies from the site version, like the pages; Django's
        # own Last-Modified (the newest item) would miss a withdrawal or an edit.
        return public_page(super().__call__)(request, *args, **kwargs)

    def title(self, obj=None) -> str:
        return _("KZCN Watch: newly published reports")

    def subtitle(self, obj=None) -> str:
        return _("Impact reports published after a moderator's review.")

    def link(self, obj=None) -> str:
        return reverse("impacts:report_list")

    def feed_copyright(self, obj=None) -> str:
        return f"{exports.attribution()} ({exports.license_name()}: {exports.license_url()})"

    def reports(self, obj):
        """Published reports of this feed; subclasses narrow it."""
        return ImpactReport.objects.published()

    def followups(self, obj):
        """Follow-up steps on this feed's published reports, newest first.

        Read straight from the transitions, in one query, with the rule of impacts.timeline: the new
        state, and the words only where a moderator wrote them for the public. (timeline's
        recent_public_events reads every kind of event, one query or more each: more than a feed
        that every reader's client fetches every few minutes should cost.)
        """
        steps = ReportTransition.objects.filter(
            report__in=self.reports(obj), from_status=Status.PUBLISHED, to_status=Status.PUBLISHED
        ).exclude(to_followup="")
        steps = steps.select_related("report").only(
            "action", "to_followup", "message", "created", "report__reference", "report__public_title"
        )
        return steps.order_by("-created", "-pk")[:ITEMS_PER_FEED]

    def items(self, obj=None):
        reports = self.reports(obj).filter(published_at__isnull=False).order_by("-published_at", "-pk")
        reports = reports.only("reference", "public_title", "public_description", "published_at")[:ITEMS_PER_FEED]
        entries = [*reports, *self.followups(obj)]
        return sorted(entries, key=self.item_pubdate, reverse=True)[:ITEMS_PER_FEED]

    def item_title(self, item: ImpactReport | ReportTransition) -> str:
        if isinstance(item, ReportTransition):
            return plain_text(f"{item.report.public_title} — {FollowUp(item.to_followup).label}")
        return plain_text(item.public_title)

    def item_description(self, item: ImpactReport | ReportTransition) -> str:
        if isinstance(item, ReportTransition):
            step = _("Report %(reference)s: %(followup)s") % {
                "reference": item.report.reference,
                "followup": FollowUp(item.to_followup).label,
            }
            public_words = item.message if item.action in PUBLIC_MESSAGE_ACTIONS else ""
            return Truncator(plain_text(f"{step}. {public_words}".strip())).words(EXCERPT_WORDS)
        return Truncator(plain_text(item.public_description)).words(EXCERPT_WORDS)

    def item_link(self, item: ImpactReport | ReportTransition) -> str:
        if isinstance(item, ReportTransition):
            return f"{item.report.get_absolute_url()}#event-followup-{item.pk}"  # its place on the timeline
        return item.get_absolute_url()

    def item_pubdate(self, item: ImpactReport | ReportTransition):
        return item.created if isinstance(item, ReportTransition) else item.published_at

    def item_updateddate(self, item: ImpactReport | ReportTransition):
        return self.item_pubdate(item)


class ProjectReportsFeed(PublishedReportsFeed):
    """Published reports about one project of the catalogue."""

    def get_object(self, request, slug: str) -> Project:
        return get_object_or_404(Project, slug=slug)

    def title(self, obj: Project) -> str:
        return _("KZCN Watch: reports about %(project)s") % {"project": plain_text(obj.name)}

    def link(self, obj: Project) -> str:
        return obj.get_absolute_url()

    def reports(self, obj: Project):
        return ImpactReport.objects.published().filter(project=obj)


class RegionReportsFeed(PublishedReportsFeed):
    """Published reports from one region (the report's region, as the list's region filter reads it)."""

    def get_object(self, request, region: str) -> str:
        if region not in Region.values:
            raise Http404
        return region

    def title(self, obj: str) -> str:
        return _("KZCN Watch: reports from %(region)s") % {"region": Region(obj).label}

    def link(self, obj: str) -> str:
        return f"{reverse('impacts:report_list')}?region={obj}"

    def reports(self, obj: str):
        return ImpactReport.objects.published().filter(region=obj)
