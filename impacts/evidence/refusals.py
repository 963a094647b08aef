"""The one exception every evidence check raises, with a message a citizen on a phone can act on."""

from __future__ import annotations


class EvidenceRejected(Exception):
    """A file we will not accept. `message` is translated, plain, and names the file.

    `code` is a stable machine name ("unsupported_type", "too_large", ...) for forms and tests.
    """

    def __init__(self, message: str, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return self.message
