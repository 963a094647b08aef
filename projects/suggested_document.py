"""The document a suggestion may carry: checked like report evidence, kept for a retry, then sealed.

The bytes go through `impacts.evidence.prepare_evidence` (PDFs and photos only, accepted by their
content, the same size limits), so a suggester gets the same refusals as a reporter. When the form
comes back for another reason, an accepted file is kept in the sealed pending area
(`impacts.pending_uploads`) under a reference signed for this form, so a person on a slow phone
does not pick and send it again; on the next try it is checked again like a new upload.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.files import File
from django.http import QueryDict
from django.utils.translation import gettext as _

from impacts import pending_uploads
from impacts.evidence import EvidenceRejected, PreparedEvidence, prepare_evidence

KEPT_FIELD = "kept_document"
REMOVE_FIELD = "remove_kept_document"


@dataclass
class AttachedDocument:
    """What this post brings: an accepted document (new or kept from an earlier try), or an error."""

    prepared: PreparedEvidence | None = None
    kept: pending_uploads.KeptFile | None = None  # its copy in the pending area, if it has one
    error: str = ""
    opened: File | None = None

    def keep_for_retry(self, form_key: str) -> pending_uploads.KeptFile | None:
        """The form comes back: keep a newly accepted file for the next try; return what is kept."""
        if self.prepared is not None and self.kept is None:
            self.kept = pending_uploads.keep(self.prepared, form_key)
        self.close()
        return self.kept

    def sealed(self) -> None:
        """The suggestion is saved with its own sealed copy: the pending one is not needed any more."""
        self.close()
        if self.kept is not None:
            pending_uploads.discard([self.kept])

    def close(self) -> None:
        if self.opened is not None:
            self.opened.close()
            self.opened = None


def posted_kept(post: QueryDict, form_key: str) -> pending_uploads.KeptFile | None:
    """The kept file this post refers to, if we signed it for this form; one the person removed is deleted."""
    kept = pending_uploads.read(post.get(KEPT_FIELD, ""), form_key) if form_key else None
    if kept is not None and post.get(REMOVE_FIELD):
        pending_uploads.discard([kept])
        return None
    return kept


def attached(uploaded, post: QueryDict, form_key: str) -> AttachedDocument:
    """Check a new upload, or else the file kept from the earlier try; a refusal says why."""
    previous = posted_kept(post, form_key)
    if uploaded:
        try:
            prepared = prepare_evidence(uploaded)
        except EvidenceRejected as error:
            return AttachedDocument(kept=previous, error=error.message)
        if previous is not None:
            pending_uploads.discard([previous])  # the new file replaces it
        return AttachedDocument(prepared=prepared)
    if previous is None:
        return AttachedDocument()
    return _checked_again(previous)


def _checked_again(kept: pending_uploads.KeptFile) -> AttachedDocument:
    fileobj = pending_uploads.open_kept(kept)
    prepared = None
    if fileobj is not None:
        try:
            prepared = prepare_evidence(fileobj)
        except EvidenceRejected:
            prepared = None
    if prepared is None or prepared.sha256 != kept.sha256:  # gone, expired or swapped
        if fileobj is not None:
            fileobj.close()
        message = _(
            "“%(name)s”, attached earlier, was kept for a limited time only and is no longer here. "
            "Please attach it again."
        ) % {"name": kept.name}
        return AttachedDocument(error=message)
    return AttachedDocument(prepared=prepared, kept=kept, opened=fileobj)
