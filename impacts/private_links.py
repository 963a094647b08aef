"""Private expiring links: one implementation for every secret address the site hands out.

The reporter's tracking link, the company's invitation to reply and a subscriber's confirm and
unsubscribe links are all the same thing: 256 random bits shown once (in a page or an e-mail),
whose SHA-256 alone is stored, with an optional expiry. A leaked database therefore opens nothing,
and a link copied from an old mailbox stops working when its time is up.

A concrete link is a model inheriting `PrivateLink`; its manager issues links and finds them.
"""

import hashlib
import secrets
from datetime import timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Tokens we hand out are 43 characters; anything much longer is not one of ours and is not hashed.
MAX_TOKEN_LENGTH = 100


def new_token() -> str:
    """A random token: 256 bits, unrelated to any id."""
    return secrets.token_urlsafe(32)


def digest(token: str) -> str:
    """What is stored of a token: its SHA-256, in hex."""
    return hashlib.sha256(token.encode()).hexdigest()


class PrivateLinkQuerySet(models.QuerySet):
    def valid(self, at=None) -> "PrivateLinkQuerySet":
        at = at or timezone.now()
        return self.filter(models.Q(expires__isnull=True) | models.Q(expires__gt=at))

    def expired(self, at=None) -> "PrivateLinkQuerySet":
        return self.filter(expires__lte=at or timezone.now())

    def issue(self, *, lifetime: timedelta | None, **fields) -> tuple["PrivateLink", str]:
        """Create a link (with `fields`) and return it with its token, which is not stored.

        `lifetime=None` makes a link that never expires (an unsubscribe link must keep working).
        """
        token, now = new_token(), timezone.now()
        expires = now + lifetime if lifetime is not None else None
        link = self.create(digest=digest(token), created=now, expires=expires, **fields)
        return link, token

    def by_token(self, token: str, at=None) -> "PrivateLink":
        """The valid link this token opens; DoesNotExist for an unknown, expired or malformed token."""
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
            raise self.model.DoesNotExist
        return self.valid(at).get(digest=digest(token))


class PrivateLink(models.Model):
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created = models.DateTimeField(_("issued"), default=timezone.now)
    expires = models.DateTimeField(_("link expires"), null=True, blank=True, help_text=_("Empty: never."))

    objects = PrivateLinkQuerySet.as_manager()

    class Meta:
        abstract = True

    def is_valid(self, at=None) -> bool:
        return self.expires is None or self.expires > (at or timezone.now())

    def rotate(self, *, lifetime: timedelta | None = None) -> str:
        """Replace the token (the old link stops working); returns the new one. Keeps the expiry
        unless a new `lifetime` is given."""
        token = new_token()
        self.digest = digest(token)
        fields = ["digest"]
        if lifetime is not None:
            self.expires = timezone.now() + lifetime
            fields.append("expires")
        self.save(update_fields=fields)
        return token
