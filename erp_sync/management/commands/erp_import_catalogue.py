"""``manage.py erp_import_catalogue PATH...``: import CommerceML catalogue files from disk, with a progress bar.

For the first load of a shop's catalogue and for support: the same import
as the exchange's ``type=catalog`` (same checks, batches and log of runs),
without the HTTP protocol. A directory is imported as 1C uploads one:
``import*.xml`` first, then ``offers*.xml``, ``prices*.xml`` and
``rests*.xml``; pictures are read from its ``import_files/``. A zip archive
is unpacked (with the exchange's limits) into a temporary directory first.
"""

import os
import re
import shutil
import tempfile
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from erp_sync.exchange import commerceml, storage
from erp_sync.exchange.catalogue import runs
from erp_sync.exchange.catalogue.context import CatalogueRefused

#: The order 1C sends a catalogue in: products before the offers that name them.
ORDER = (r"^import", r"^offers", r"^prices", r"^rests")
BAR_WIDTH = 30


def ordered(names):
    """The catalogue files among ``names``, in the order they must be imported."""

    def rank(name):
        base = os.path.basename(name).lower()
        for index, pattern in enumerate(ORDER):
            if re.match(pattern, base):
                return index
        return None

    wanted = [name for name in names if name.lower().endswith(".xml") and rank(name) is not None]
    return sorted(wanted, key=lambda name: (rank(name), os.path.basename(name).lower()))


class Command(BaseCommand):
    help = _(
        "Import CommerceML catalogue files (import.xml, offers.xml, prices*.xml, rests*.xml) from disk: "
        "files, directories or zip archives."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help=_("Catalogue files, directories holding them, or zip archives."))
        parser.add_argument("--no-progress", action="store_true", help=_("Do not draw the progress bar."))

    def handle(self, *args, paths=(), no_progress=False, **options):
        self.show_progress = not no_progress and options.get("verbosity", 1) > 0
        temporary = []
        try:
            files = []
            for path in paths:
                files.extend(self.expand(path, temporary))
            if not files:
                raise CommandError(_("No catalogue files (import*.xml, offers*.xml, prices*.xml, rests*.xml) found."))
            failures = 0
            for path in files:
                failures += not self.import_file(path)
        finally:
            for directory in temporary:
                shutil.rmtree(directory, ignore_errors=True)
        if failures:
            raise CommandError(
                ngettext("%(count)s file could not be imported.", "%(count)s files could not be imported.", failures)
                % {"count": failures}
            )

    def expand(self, path, temporary):
        if os.path.isdir(path):
            return [os.path.join(path, name) for name in ordered(os.listdir(path))]
        if path.lower().endswith(".zip"):
            directory = tempfile.mkdtemp(prefix="erp-catalogue-")
            temporary.append(directory)
            shutil.copy(path, os.path.join(directory, "upload.zip"))
            try:
                members = storage.unpack_zip(directory, "upload.zip")
            except storage.StorageError as error:
                raise CommandError(str(error)) from error
            return [storage.path_in(directory, name) for name in ordered(members)]
        if not os.path.isfile(path):
            raise CommandError(_("No such file or directory: %(path)s") % {"path": path})
        return [path]

    def import_file(self, path):
        name = os.path.basename(path)
        began = time.monotonic()
        try:
            run = runs.start(name, path)
            runs.step(run, path, directory=os.path.dirname(path), progress=self.draw)
        except (commerceml.CommerceMLError, CatalogueRefused) as error:
            self.finish_bar()
            self.stderr.write(_("%(name)s: refused: %(error)s") % {"name": name, "error": error})
            return False
        self.draw(run)
        self.finish_bar()
        self.stdout.write(
            _(
                "%(name)s: %(total)s products and offers; %(created)s created, %(updated)s updated, "
                "%(unchanged)s unchanged, %(unavailable)s made unavailable, %(failed)s failed (%(seconds).1f s)."
            )
            % {
                "name": name,
                "total": run.items_total,
                "created": run.created,
                "updated": run.updated,
                "unchanged": run.unchanged,
                "unavailable": run.unavailable,
                "failed": run.failed,
                "seconds": time.monotonic() - began,
            }
        )
        for error in run.errors[:10]:
            self.stdout.write(f"  {error['id'] or '-'}: {error['error']}")
        if run.failed > 10:
            self.stdout.write("  " + _("and %(count)s more") % {"count": run.failed - 10})
        return True

    def draw(self, run):
        if not self.show_progress or not run.items_total:
            return
        share = min(1.0, run.items_done / run.items_total)
        filled = int(share * BAR_WIDTH)
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        self.stderr.write(f"\r{run.name[:30]:30} [{bar}] {share:4.0%} {run.items_done}/{run.items_total}", ending="")
        self.stderr.flush()
        self._drawn = True

    def finish_bar(self):
        if getattr(self, "_drawn", False):
            self.stderr.write("")
            self._drawn = False
