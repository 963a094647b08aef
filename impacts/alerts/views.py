"""Subscribing to alerts, confirming, and leaving: pages that work without JavaScript.

The subscribe page answers the same whatever the address: whether it already follows something,
or has had its few confirmation e-mails today, nobody learns from the page. The confirm and
unsubscribe links act only on POST: mail scanners open (GET) every link in a message, and must not
confirm or cancel anything by doing so.
"""

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from .. import abuse
from ..views import _private
from . import sending
from .forms import SubscriptionForm
from .models import LinkPurpose, SubscriptionLink


@require_http_methods(["GET", "POST"])
def subscribe(request):
    if request.method == "GET":
        form = SubscriptionForm(initial=SubscriptionForm.initial_from_query(request.GET))
        return render(request, "impacts/alerts/subscribe.html", {"form": form})
    form = SubscriptionForm(request.POST)
    problem = _too_many_posts(request)
    if problem:
        form.add_error(None, problem)
    elif form.is_valid():
        _ask_for_confirmation(form)
        messages.success(
            request,
            _(
                "Thank you. If the address can receive e-mail, a message with a link to "
                "confirm is on its way: please check your e-mail, including the spam folder. "
                "Nothing else is sent until you confirm."
            ),
        )
        return redirect("impacts:alerts_subscribe")
    return render(request, "impacts/alerts/subscribe.html", {"form": form}, status=400)


def _too_many_posts(request) -> str | None:
    """Every post from a client counts against the same allowance as the report form's posts."""
    window, left = abuse.current_window()
    if abuse.hit(abuse.limit_key("alerts.ip", abuse.client_ip(request), window), left + 1) > abuse.posts_per_ip():
        minutes = max(1, round(left / 60))
        return _("There have been several requests in a short time. Please try again in about %(minutes)d minutes.") % {
            "minutes": minutes
        }
    return None


def _ask_for_confirmation(form: SubscriptionForm) -> None:
    """Record the subscription, unconfirmed, and queue its confirmation e-mail (within today's few)."""
    if not sending.confirmation_allowed(form.cleaned_data["email"]):
        return  # the page says the same: the address's owner has had enough e-mails from us today
    with transaction.atomic():
        subscription = form.subscription(get_language() or settings.LANGUAGE_CODE)
        subscription.save()
        sending.queue_confirmation(subscription)


def _link(token: str, purpose: str) -> SubscriptionLink | None:
    try:
        return (
            SubscriptionLink.objects.select_related("subscription", "subscription__project")
            .filter(purpose=purpose)
            .by_token(token)
        )
    except SubscriptionLink.DoesNotExist:
        return None


def _not_valid(request, purpose: str):
    return _private(render(request, "impacts/alerts/link_not_valid.html", {"purpose": purpose}, status=404))


@require_http_methods(["GET", "POST"])
def confirm(request, token):
    link = _link(token, LinkPurpose.CONFIRM)
    if link is None:
        return _not_valid(request, LinkPurpose.CONFIRM)
    subscription = link.subscription
    if request.method == "POST":
        unsubscribe_token = subscription.confirm()
        context = {"subscription": subscription, "unsubscribe_token": unsubscribe_token}
        return _private(render(request, "impacts/alerts/confirmed.html", context))
    return _private(render(request, "impacts/alerts/confirm.html", {"subscription": subscription}))


# RFC 8058 one-click unsubscribe: the POST comes from the mail provider's server, with the body
# "List-Unsubscribe=One-Click" and without our cookies, so it cannot carry a CSRF token. The secret
# token in the address is what authorises it, and a forged POST could only do what it already allows.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    link = _link(token, LinkPurpose.UNSUBSCRIBE)
    if link is None:
        return _not_valid(request, LinkPurpose.UNSUBSCRIBE)
    subscription = link.subscription
    if request.method == "POST":
        scope = subscription.scope_label()
        subscription.delete()  # with all its links and its record of what was sent
        return _private(render(request, "impacts/alerts/unsubscribed.html", {"scope": scope}))
    return _private(render(request, "impacts/alerts/unsubscribe.html", {"subscription": subscription}))
