"""The company's private page to answer a report, and the public copy of a published reply's document."""

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from projects import suggested_document

from ..models import Status
from ..views import _private, send_file
from .forms import CompanyReplyForm
from .models import CompanyInvitation, CompanyReply


def _invitation_for_token(token: str) -> CompanyInvitation | None:
    """The valid invitation this token opens, to a report still published; None for anything else."""
    try:
        invitation = CompanyInvitation.objects.select_related("report", "report__project", "company").by_token(token)
    except CompanyInvitation.DoesNotExist:
        return None
    return invitation if invitation.report.status == Status.PUBLISHED else None


def _form_key(invitation: CompanyInvitation) -> str:
    """What a document kept for another try is signed for: this invitation's form only."""
    return f"company-reply-{invitation.pk}"


@require_http_methods(["GET", "POST"])
def company_reply(request: HttpRequest, token: str) -> HttpResponse:
    invitation = _invitation_for_token(token)
    if invitation is None:
        return _private(render(request, "impacts/replies/link_not_valid.html", status=404))
    reply = CompanyReply.objects.filter(invitation=invitation).first()
    if request.method == "POST":
        if reply is not None:
            messages.info(request, _("Your response had already been received; it was not sent a second time."))
            return redirect("impacts:company_reply", token=token)
        return _receive_reply(request, invitation, token)
    return _reply_page(request, invitation, reply, CompanyReplyForm())


def _receive_reply(request: HttpRequest, invitation: CompanyInvitation, token: str) -> HttpResponse:
    form = CompanyReplyForm(request.POST, request.FILES)
    form_key = _form_key(invitation)
    form.is_valid()
    document = suggested_document.attached(request.FILES.get("document"), request.POST, form_key)
    if document.error:
        form.add_error("document", document.error)
    if form.errors:  # the page comes back: an accepted document is kept, so it need not be chosen again
        return _reply_page(request, invitation, None, form, kept=document.keep_for_retry(form_key), status=400)
    if _save_reply(form, invitation, document.prepared):
        messages.success(
            request,
            _(
                "Thank you. Your response was received: a moderator will check it before it "
                "is published beside the report."
            ),
        )
    else:
        messages.info(request, _("Your response had already been received; it was not sent a second time."))
    document.sealed()
    return redirect("impacts:company_reply", token=token)


def _save_reply(form: CompanyReplyForm, invitation: CompanyInvitation, prepared) -> bool:
    """Store the one reply with its sealed document; False when another post saved one first."""
    reply = form.save(commit=False)
    reply.invitation = invitation
    if prepared is not None:
        reply.attach_document(prepared)
    try:
        with transaction.atomic():
            reply.save()
    except IntegrityError:
        reply.delete_document_files()  # a replayed post (a double tap): one reply, no stray files
        return False
    return True


def _reply_page(request, invitation, reply, form, *, kept=None, status: int = 200) -> HttpResponse:
    report = invitation.report
    context = {
        "invitation": invitation,
        "report": report,
        "categories": report.categories.all(),
        "reply": reply,
        "form": form,
        "kept_document": kept,
        "kept_document_name": suggested_document.KEPT_FIELD,
        "remove_kept_document_name": suggested_document.REMOVE_FIELD,
    }
    return _private(render(request, "impacts/replies/company_reply.html", context, status=status))


@require_GET
def reply_document(request: HttpRequest, pk: int) -> HttpResponse:
    """The safe copy of a published reply's document; the same 404 for anything not published."""
    reply = CompanyReply.objects.published().select_related("invitation__report").filter(pk=pk).first()
    if reply is None or not reply.document_copy:
        raise Http404
    return send_file(reply.document_copy, reply, download=True, content_type=reply.copy_content_type)
