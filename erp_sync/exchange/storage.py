"""Session working directories, uploaded chunks and zip archives: nothing is written outside them."""

import os
import re
import shutil
import tempfile
import zipfile
import zlib

from django.utils.translation import gettext as _

from erp_sync.exchange.settings import exchange_settings

_SAFE_PART = re.compile(r"^[\w][\w .\-]{0,127}$")
COPY_BUFFER = 64 * 1024
#: How a zip archive begins: its first member's header, or the end record of an empty archive.
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")


class StorageError(Exception):
    """An upload refused: a bad name, a file too large, a zip bomb."""


def session_dir(session, *, create=True):
    path = os.path.join(exchange_settings.EXCHANGE_DIR, f"session-{session.pk}")
    if create:
        os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def clear_session_dir(session):
    path = session_dir(session, create=False)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path, mode=0o700, exist_ok=True)


def clean_name(name):
    """A relative path made of safe parts; refuses traversal rather than guessing what was meant.

    Backslashes are folders (1C on Windows); a leading slash or drive letter
    (1C on Linux sends absolute paths) is dropped.
    """
    if not name or "\x00" in name or len(name) > 255:
        raise StorageError(_("A file name is missing or invalid."))
    name = name.replace("\\", "/")
    name = re.sub(r"^[A-Za-z]:", "", name).lstrip("/")
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if not parts:
        raise StorageError(_("A file name is missing or invalid."))
    for part in parts:
        if part == ".." or not _SAFE_PART.match(part):
            raise StorageError(_("The file name %(name)r is not allowed.") % {"name": name})
    return "/".join(parts)


def path_in(directory, name):
    """The absolute path of ``name`` (already clean) inside ``directory``, checked to stay inside it."""
    base = os.path.realpath(directory)
    path = os.path.realpath(os.path.join(base, name))
    if os.path.commonpath([base, path]) != base or path == base:
        raise StorageError(_("The file name %(name)r is not allowed.") % {"name": name})
    return path


def append_chunk(directory, name, stream, *, length=None):
    """Append the request body ``stream`` to ``name``; returns the file's new size.

    The chunk is received into a temporary file first and appended only when
    complete and within the size limit, so a refused or broken upload leaves
    the file as it was.
    """
    limit = exchange_settings.EXCHANGE_MAX_FILE_SIZE
    path = path_in(directory, name)
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    current = os.path.getsize(path) if os.path.exists(path) else 0
    if length is not None and current + length > limit:
        raise StorageError(_("The file is larger than the %(limit)s bytes accepted.") % {"limit": limit})
    received = 0
    with tempfile.NamedTemporaryFile(dir=directory, prefix=".chunk-", delete=False) as part:
        try:
            while True:
                block = stream.read(COPY_BUFFER)
                if not block:
                    break
                received += len(block)
                if current + received > limit:
                    raise StorageError(_("The file is larger than the %(limit)s bytes accepted.") % {"limit": limit})
                part.write(block)
            part.flush()
        except BaseException:
            part.close()
            os.unlink(part.name)
            raise
    if length is not None and received != length:
        os.unlink(part.name)
        raise StorageError(
            _("The upload was cut short: %(received)s of %(length)s bytes.") % {"received": received, "length": length}
        )
    try:
        with open(part.name, "rb") as source, open(path, "ab") as target:
            shutil.copyfileobj(source, target, COPY_BUFFER)
    finally:
        os.unlink(part.name)
    return current + received


def unpack_zip(directory, name):
    """Unpack the archive ``name`` into ``directory``; returns the member names written.

    Checked before and while unpacking: the number of members, each member's
    name, its declared and its real size, and the ratio to the archive's size.
    Members go to a temporary folder and move in only when all are good.
    """
    path = path_in(directory, name)
    limit = exchange_settings.EXCHANGE_MAX_FILE_SIZE
    archive_size = os.path.getsize(path)
    total_limit = min(limit, max(archive_size, 1) * exchange_settings.EXCHANGE_MAX_ZIP_RATIO)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise StorageError(_("The archive %(name)s cannot be read.") % {"name": name}) from error
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        if len(members) > exchange_settings.EXCHANGE_MAX_ZIP_MEMBERS:
            raise StorageError(_("The archive holds too many files."))
        if sum(info.file_size for info in members) > total_limit:
            raise StorageError(_("The archive unpacks to more than is accepted (a zip bomb?)."))
        names = [clean_name(info.filename) for info in members]
        staging = tempfile.mkdtemp(dir=directory, prefix=".unzip-")
        try:
            written = 0
            for info, member_name in zip(members, names, strict=True):
                target = path_in(staging, member_name)
                os.makedirs(os.path.dirname(target), mode=0o700, exist_ok=True)
                with archive.open(info) as source, open(target, "wb") as out:
                    while block := source.read(COPY_BUFFER):
                        written += len(block)
                        if written > total_limit:
                            raise StorageError(_("The archive unpacks to more than is accepted (a zip bomb?)."))
                        out.write(block)
            for member_name in names:
                final = path_in(directory, member_name)
                os.makedirs(os.path.dirname(final), mode=0o700, exist_ok=True)
                os.replace(path_in(staging, member_name), final)
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as error:
            raise StorageError(_("The archive %(name)s cannot be read.") % {"name": name}) from error
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return names


def zip_members(directory, name):
    """The (clean) names of the files in an archive already checked by ``unpack_zip``."""
    try:
        with zipfile.ZipFile(path_in(directory, name)) as archive:
            return [clean_name(info.filename) for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, OSError) as error:
        raise StorageError(_("The archive %(name)s cannot be read.") % {"name": name}) from error


def zip_awaits_more(path):
    """Whether the bytes received so far are the beginning of a zip archive whose end is still to come.

    1C sends an archive larger than ``file_limit`` in several calls and does
    not say which is the last; the archive's directory is at its very end, so
    it is whole once that directory can be read. Bytes that do not begin as a
    zip does never will: waiting for more cannot help them.
    """
    with open(path, "rb") as handle:
        head = handle.read(len(ZIP_SIGNATURES[0]))
    if not any(signature.startswith(head) for signature in ZIP_SIGNATURES):
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return True
    return False
