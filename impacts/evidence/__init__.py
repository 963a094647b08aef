"""Evidence uploads: accept by content, publish nothing that identifies the reporter, seal the original.

A citizen near a plant may be in danger if a photo gives away where they stood or which phone they
own, and an upload may be hostile. So every file goes through `prepare_evidence`, in two halves: a
report form only runs `accept_evidence` (type, sizes, a picture's header) and seals the file; the
task worker makes the public copy later (`processing`, see `pipeline` for the split):

* the type is decided by the first bytes (magic), never by the name or the browser's content type:
  JPEG, PNG, WebP (and HEIC/HEIF when pillow-heif is installed) photos, PDF documents
  (`filetypes`);
* sizes are checked on the bytes, and a picture's pixels and decode memory on its header, before
  anything is decoded (`limits`);
* photos are decoded with Pillow restricted to that one format, shrunk, turned upright, converted to
  RGB and re-encoded as a JPEG with no metadata at all (`photo`);
* PDFs must parse, have pages, not be encrypted, and hold no scripts, launch actions, embedded files,
  rich media or XFA forms; their public copy is a new PDF made of pictures of the pages, rendered
  in a child process under memory, CPU and time limits (`pdf`, `pdf_pages`);
* what the public copy lost (author, GPS, camera serial, actions...) is listed for moderators
  (`removed`), and GPS and capture time are read from the original for them only
  (`photo_metadata`); the original itself is returned untouched (rewound) so the caller can seal it.

Every refusal is an `EvidenceRejected` whose `.message` a citizen on a phone can act on. A new kind
of evidence (video, voice) adds its signatures to `filetypes`, a module that makes its public copy,
its labels to `removed`, and a branch in `pipeline.prepare_evidence`.
"""

from .filetypes import _heif_state as _heif_state  # tests switch HEIC support off through it
from .filetypes import heif_supported, sniff_type
from .limits import check_decode_budget, check_limits
from .names import sanitise_filename
from .pdf import PdfNameScanner, has_active_content
from .pipeline import PreparedEvidence, accept_evidence, prepare_evidence
from .refusals import EvidenceRejected

# The names the tests of the single-module pipeline used.
_PdfNameScanner = PdfNameScanner
_has_active_content = has_active_content

__all__ = [
    "EvidenceRejected",
    "PreparedEvidence",
    "accept_evidence",
    "check_decode_budget",
    "check_limits",
    "heif_supported",
    "prepare_evidence",
    "sanitise_filename",
    "sniff_type",
]
