"""Check a custody log exported from the admin: every link, hash and signature (impacts.evidence.custody)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from impacts.evidence.custody import CustodyLogError, verify


class Command(BaseCommand):
    help = "Verify the hash chain (and, with this site's key, the signatures) of a custody log file."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="the .jsonl file exported from the admin")
        parser.add_argument(
            "--chain-only",
            action="store_true",
            help="check the hash chain only (without this site's key, e.g. on another machine)",
        )

    def handle(self, *args, **options):
        path: Path = options["file"]
        try:
            with path.open(encoding="utf-8") as lines:
                count, head = verify(lines, check_signatures=not options["chain_only"])
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error.strerror}") from None
        except UnicodeDecodeError:
            raise CommandError(f"{path}: not a UTF-8 text file") from None
        except CustodyLogError as error:
            raise CommandError(f"{path}: NOT VERIFIED, {error}") from None
        checked = "hash chain" if options["chain_only"] else "hash chain and signatures"
        self.stdout.write(f"{path}: verified ({checked}), {count} entries, last hash {head}")
