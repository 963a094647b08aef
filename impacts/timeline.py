"""A published report's public story after publication, as one list of dated events.

The report page shows it as a timeline; the alerts (e-mails, Atom feeds) send the newest events
across all published reports. Both read it here, so that what counts as public is decided once:

    from impacts import timeline

    events = timeline.public_events(report)                       # oldest first
    recent = timeline.recent_public_events(since=yesterday)        # newest first, published reports only

    for event in events:
        event.when      # aware datetime (dates such as "sent on" are taken at local midnight)
        event.kind      # one of EventKind: "published", "followup", "company_invited", ...
        event.report    # the ImpactReport
        event.label     # one line, translated in the language active when the function was called
        event.text      # public text ("" if none): a moderator-approved reply, a summary, an update
        event.anchor    # the id of this event on the report page ("event-update-12")
        event.url       # the report page's address with that anchor (no scheme or host)
        event.photos    # public photos of a published neighbour's update (ready copies only)

Call it inside `translation.override(language)` to get labels in another language (e-mails).

What is public, and what is not:
- follow-up changes (ReportTransition rows with a follow-up) show the new state and its date;
  the message is shown only for "action reported", which a moderator writes for the public. The
  reporter's own words when they say "it continues" or "it is resolved" may identify them: never;
- a company invitation shows the company and the deadline; its reply once a moderator published
  it (its public text, else the text as sent); "no response" once the deadline passed without a
  published reply;
- a request to an authority shows when it was sent and answered, and the answer's summary and
  what the authority says was done (written by a moderator);
- a neighbour's update once published, with its public text and its approved, processed photos.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from .models import Evidence, FollowUp, ImpactReport, ReportTransition, Status


class EventKind:
    PUBLISHED = "published"
    FOLLOWUP = "followup"
    COMPANY_INVITED = "company_invited"
    COMPANY_RESPONDED = "company_responded"
    COMPANY_NO_RESPONSE = "company_no_response"
    AUTHORITY_REQUEST_SENT = "authority_request_sent"
    AUTHORITY_ANSWERED = "authority_answered"
    NEIGHBOUR_UPDATE = "neighbour_update"


# Moderators write this follow-up's message for the public; every other follow-up message stays private.
PUBLIC_MESSAGE_ACTIONS = frozenset({"action_reported"})
DEFAULT_LIMIT = 50


@dataclass(frozen=True)
class Event:
    when: datetime
    kind: str
    report: ImpactReport
    label: str
    anchor: str
    text: str = ""
    photos: tuple = field(default=())

    @property
    def url(self) -> str:
        return f"{self.report.get_absolute_url()}#{self.anchor}"

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS.get(self.kind, ""))


KIND_LABELS = {
    EventKind.PUBLISHED: gettext_lazy("Published"),
    EventKind.FOLLOWUP: gettext_lazy("Follow-up"),
    EventKind.COMPANY_INVITED: gettext_lazy("Company invited"),
    EventKind.COMPANY_RESPONDED: gettext_lazy("Company's response"),
    EventKind.COMPANY_NO_RESPONSE: gettext_lazy("No response"),
    EventKind.AUTHORITY_REQUEST_SENT: gettext_lazy("Request to an authority"),
    EventKind.AUTHORITY_ANSWERED: gettext_lazy("Authority's answer"),
    EventKind.NEIGHBOUR_UPDATE: gettext_lazy("Neighbour's update"),
}


def public_events(report: ImpactReport, *, now: datetime | None = None) -> list[Event]:
    """Everything the public may see of `report`'s story, oldest first; [] unless it is published."""
    if report.status != Status.PUBLISHED:
        return []
    now = now or timezone.now()
    events = []
    for source in _SOURCES:
        events.extend(source(_only(report), None, now))
    return sorted(events, key=_order)


def recent_public_events(
    since: datetime | None = None, limit: int = DEFAULT_LIMIT, *, now: datetime | None = None
) -> list[Event]:
    """The newest public events across published reports (at or after `since`), newest first.

    Each kind is read with its own bounded query, so the cost does not grow with the history.
    """
    now = now or timezone.now()
    reports = ImpactReport.objects.published()
    events = []
    for source in _SOURCES:
        events.extend(source(reports, since, now, limit=limit))
    return sorted(events, key=_order, reverse=True)[:limit]


def _only(report: ImpactReport):
    """A report "queryset" of one, without querying it again: the sources filter on report__in."""
    return [report]


def _order(event: Event):
    return (event.when, _KIND_ORDER.index(event.kind), event.anchor)


def _at_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _day(moment) -> str:
    value = moment if isinstance(moment, date) and not isinstance(moment, datetime) else timezone.localdate(moment)
    return date_format(value, "DATE_FORMAT")


def _bounded(queryset, field_name: str, since, limit):
    if since is not None:
        queryset = queryset.filter(**{f"{field_name}__gte": since})
    if limit is not None:
        queryset = queryset.order_by(f"-{field_name}")[:limit]
    return queryset


# --- The sources, one per kind of event ---------------------------------------------------------------


def _published(reports, since, now, limit=None):
    if isinstance(reports, list):
        found = [r for r in reports if r.published_at]
    else:
        found = _bounded(
            reports.filter(published_at__isnull=False).select_related("project"), "published_at", since, limit
        )
    return [
        Event(r.published_at, EventKind.PUBLISHED, r, _("Report published"), f"event-published-{r.pk}") for r in found
    ]


def _followups(reports, since, now, limit=None):
    rows = ReportTransition.objects.filter(
        report__in=reports, from_status=Status.PUBLISHED, to_status=Status.PUBLISHED
    ).exclude(to_followup="")
    rows = _bounded(_with_reports(rows, reports), "created", since, limit)
    return [
        Event(
            row.created,
            EventKind.FOLLOWUP,
            _report_of(row, reports),
            FollowUp(row.to_followup).label,
            f"event-followup-{row.pk}",
            text=row.message if row.action in PUBLIC_MESSAGE_ACTIONS else "",
        )
        for row in rows
    ]


def _company_invitations(reports, since, now, limit=None):
    from .replies.models import CompanyInvitation, ReplyState

    invitations = CompanyInvitation.objects.filter(report__in=reports).select_related("company")
    if isinstance(reports, list):  # one report's page: its few invitations in one query, sorted out here
        invited = list(invitations.select_related("reply"))
        replied = [i for i in invited if _published_reply(i)]
        silent = [i for i in invited if i.deadline <= now and not _published_reply(i)]
    else:
        invitations = _with_reports(invitations, reports)
        invited = _bounded(invitations, "created", since, limit)
        published = invitations.filter(reply__state=ReplyState.PUBLISHED).select_related("reply")
        replied = _bounded(published, "reply__moderated_at", since, limit)
        # No response: the deadline passed without a published reply (the rule of the replies package's
        # CompanyInvitationQuerySet.overdue, which the report page's "Company's response" shows too).
        overdue = invitations.filter(deadline__lte=now).exclude(reply__state=ReplyState.PUBLISHED)
        silent = _bounded(overdue, "deadline", since, limit)
    events = [
        Event(
            invitation.created,
            EventKind.COMPANY_INVITED,
            _report_of(invitation, reports),
            _("%(company)s was invited to respond by %(deadline)s")
            % {"company": invitation.company, "deadline": _day(invitation.deadline)},
            f"event-invited-{invitation.pk}",
        )
        for invitation in invited
    ]
    for invitation in replied:
        reply = invitation.reply
        events.append(
            Event(
                reply.moderated_at or reply.received,
                EventKind.COMPANY_RESPONDED,
                _report_of(invitation, reports),
                _("%(company)s responded") % {"company": invitation.company},
                f"event-reply-{reply.pk}",
                text=reply.public_text or reply.text,
            )
        )
    for invitation in silent:
        events.append(
            Event(
                invitation.deadline,
                EventKind.COMPANY_NO_RESPONSE,
                _report_of(invitation, reports),
                _("Invited to respond on %(invited)s — no response.") % {"invited": _day(invitation.created)},
                f"event-no-response-{invitation.pk}",
            )
        )
    return events


def _published_reply(invitation):
    """The invitation's reply if it is published (the reply was joined in), else None."""
    from .replies.models import ReplyState

    reply = getattr(invitation, "reply", None)  # a missing reverse one-to-one raises an AttributeError
    return reply if reply is not None and reply.state == ReplyState.PUBLISHED else None


def _authority_requests(reports, since, now, limit=None):
    from .authorities.models import AuthorityRequest

    requests = AuthorityRequest.objects.filter(report__in=reports).select_related("authority")
    sent_since = since and timezone.localdate(since)
    if isinstance(reports, list):  # one report's page: one query
        found = list(requests.exclude(sent_on__isnull=True, answered_on__isnull=True))
        sent = [r for r in found if r.sent_on is not None]
        answered = [r for r in found if r.answered_on is not None]
    else:
        requests = _with_reports(requests, reports)
        sent = _bounded(requests.filter(sent_on__isnull=False), "sent_on", sent_since, limit)
        answered = _bounded(requests.filter(answered_on__isnull=False), "answered_on", sent_since, limit)
    events = [
        Event(
            _at_midnight(request.sent_on),
            EventKind.AUTHORITY_REQUEST_SENT,
            _report_of(request, reports),
            _("%(kind)s sent to %(authority)s")
            % {"kind": request.get_kind_display(), "authority": authority_name(request.authority)},
            f"event-request-{request.pk}",
        )
        for request in sent
    ]
    for request in answered:
        text = "\n\n".join(part for part in (request.answer_summary, request.action_stated) if part)
        events.append(
            Event(
                _at_midnight(request.answered_on),
                EventKind.AUTHORITY_ANSWERED,
                _report_of(request, reports),
                _("%(authority)s answered") % {"authority": authority_name(request.authority)},
                f"event-answer-{request.pk}",
                text=text,
            )
        )
    return events


def authority_name(authority) -> str:
    """The authority's name in the active language, else in Russian (always filled)."""
    return getattr(authority, f"name_{get_language()}", "") or authority.name_ru


def _neighbour_updates(reports, since, now, limit=None):
    from .neighbours.models import ReportUpdate, UpdateState

    photos = Prefetch("evidence", queryset=Evidence.objects.public().exclude(public_file=""), to_attr="public_photos")
    updates = ReportUpdate.objects.filter(report__in=reports, state=UpdateState.PUBLISHED, moderated_at__isnull=False)
    updates = _bounded(_with_reports(updates, reports), "moderated_at", since, limit)
    return [
        Event(
            update.moderated_at,
            EventKind.NEIGHBOUR_UPDATE,
            _report_of(update, reports),
            _("A neighbour says it was still happening on %(date)s") % {"date": _day(update.observed_on)},
            f"event-update-{update.pk}",
            text=update.shown_text,
            photos=tuple(update.public_photos),
        )
        for update in updates.prefetch_related(photos)
    ]


def _with_reports(rows, reports):
    """`rows` with their reports and projects joined in, unless the caller passed the report itself
    (its page): then `_report_of` gives that one, and the join of two wide rows is work for nothing
    (it was most of the report page's SQL compiling, issue 16)."""
    return rows if isinstance(reports, list) else rows.select_related("report", "report__project")


def _report_of(row, reports):
    """The report instance the caller passed (for one report), else the row's own."""
    if isinstance(reports, list):
        return reports[0]
    return row.report


_SOURCES = [_published, _followups, _company_invitations, _authority_requests, _neighbour_updates]
_KIND_ORDER = [
    EventKind.PUBLISHED,
    EventKind.COMPANY_INVITED,
    EventKind.AUTHORITY_REQUEST_SENT,
    EventKind.FOLLOWUP,
    EventKind.COMPANY_RESPONDED,
    EventKind.AUTHORITY_ANSWERED,
    EventKind.COMPANY_NO_RESPONSE,
    EventKind.NEIGHBOUR_UPDATE,
]
