"""When an authority must answer a letter, under the law, counted from the day it was sent.

Only terms we could source are here; a kind of letter without one gets no date (None) rather than
a guess, and the pages then show no deadline.

- Request for environmental information: the Aarhus Convention (Convention on Access to Information,
  Public Participation in Decision-making and Access to Justice in Environmental Matters, Aarhus,
  25 June 1998), art. 4(2): "as soon as possible and at the latest within one month after the request
  has been submitted, unless the volume and the complexity of the information justify an extension of
  this period up to two months after the request". Kazakhstan ratified it by the Law of 23 October 2000
  No. 92-II. We show the one-month limit; an authority that extends must say so, with reasons.
- Complaint (an appeal, "обращение"): the Administrative Procedural and Process-related Code of the
  Republic of Kazakhstan of 29 June 2020 No. 350-VI, art. 76: an administrative procedure started by an
  appeal takes fifteen working days from the day the appeal is received, unless a law provides
  otherwise; the head of the body may extend it, with reasons, to at most two months.
  (Source checked: https://adilet.zan.kz/rus/docs/K2000000350 and the art. 76 text quoted at
  https://emhana1krg.kz/ru/порядок-рассмотрения-обращений.) The Environmental Code of 2 January 2021
  No. 400-VI, art. 20(1), sends the terms for environmental information to the same Code and to the Law
  "On access to information"; we keep the Convention's month for information requests, as the brief
  of this feature asks, and the Code's fifteen working days for complaints.

Working days here are Monday to Friday. Public holidays are not counted out (their dates move by
government decree each year), so for a period that spans one the date shown is a day or two early:
an overdue flag then appears a little soon, never too late.
"""

import calendar
import datetime

from django.utils.translation import gettext as _

from .models import RequestKind

COMPLAINT_WORKING_DAYS = 15  # APPK RK art. 76
INFORMATION_MONTHS = 1  # Aarhus Convention art. 4(2)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later; the month's last day when it is shorter (31 Jan + 1 → 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def add_working_days(day: datetime.date, count: int) -> datetime.date:
    """The `count`-th working day (Monday–Friday) after `day` (the day itself is not counted)."""
    while count > 0:
        day += datetime.timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def answer_due(kind: str, sent_on: datetime.date | None) -> datetime.date | None:
    """The last day for the answer to a letter of `kind` sent on `sent_on`; None when no term applies."""
    if sent_on is None:
        return None
    if kind == RequestKind.INFORMATION:
        return add_months(sent_on, INFORMATION_MONTHS)
    if kind == RequestKind.COMPLAINT:
        return add_working_days(sent_on, COMPLAINT_WORKING_DAYS)
    return None


def legal_source(kind: str) -> str:
    """The provision the deadline of `kind` comes from, as shown beside the date."""
    if kind == RequestKind.INFORMATION:
        return _("Aarhus Convention, art. 4(2): at the latest within one month")
    if kind == RequestKind.COMPLAINT:
        return _("Administrative Procedural and Process-related Code, art. 76: fifteen working days")
    return ""
