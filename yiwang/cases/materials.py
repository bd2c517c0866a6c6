"""Materials: uploads checked by size and by what their content is (magic bytes, and the
entries of a ZIP container), then kept under ``var_dir`` by their SM3 digest; the files of a
refused application are kept a short while under a token for the applicant's retry
(:func:`stage`).

An upload is measured, hashed and sniffed where the web layer left it (a spooled file), so a
refused one is never written. An accepted one whose content the store already holds is not
written again; a new one is written to a temporary name beside the store, flushed to disk and
renamed into place, and the directories that gained a file are flushed once, before the
transaction commits, so a committed case never names a file a crash could lose. A file moved
into place by a transaction that then rolls back is removed again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
import shutil
import tempfile
import time
import uuid
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import event
from sqlalchemy.orm import Session

from yiwang.core.errors import AppError, InvalidInput

log = logging.getLogger(__name__)

_NEW_FILES = "yiwang.cases.new_files"
_NEW_DIRS = "yiwang.cases.new_file_dirs"
_STAGED_DONE = "yiwang.cases.staged_done"
_CHUNK = 1 << 16
_SPOOL_BYTES = 1 << 20

_EXTENSIONS = {
    "pdf": "pdf",
    "jpg": "jpeg",
    "jpeg": "jpeg",
    "png": "png",
    "ofd": "ofd",
    "docx": "docx",
    "xlsx": "xlsx",
    "zip": "zip",
}
TYPE_LABELS = {
    "pdf": "PDF",
    "jpeg": "JPEG",
    "png": "PNG",
    "ofd": "OFD",
    "docx": "DOCX",
    "xlsx": "XLSX",
    "zip": "ZIP",
}


@dataclass(frozen=True, slots=True)
class Upload:
    """A file as the web layer hands it over: the material key, its name and its bytes."""

    key: str
    filename: str
    stream: BinaryIO


@dataclass(frozen=True, slots=True)
class StoredFile:
    key: str
    filename: str
    file_type: str
    size: int
    digest: str
    path: Path
    provided_by: str | None = None  # <provider>:<reference> of a document offered in its place


def sniff(head: bytes, content: Path | BinaryIO) -> str | None:
    """Return the file type of the content (pdf, jpeg, png, ofd, docx, xlsx, zip), or None
    when it is none of those. ``head`` is its first 16 bytes; ``content`` (a path or a
    seekable file) is read only for ZIP containers."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(content) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError):
            return None
        if "OFD.xml" in names:
            return "ofd"
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
        return "zip"
    return None


def claimed_type(filename: str) -> str | None:
    """The type a file name claims by its extension, if it is one we know."""
    _, dot, extension = filename.rpartition(".")
    return _EXTENSIONS.get(extension.lower()) if dot else None


def _store_dir(root: Path) -> Path:
    return root / "cases" / "materials"


def path_of(root: Path, digest: str) -> Path:
    return _store_dir(root) / digest[:2] / digest


def store(
    session: Session,
    upload: Upload,
    *,
    root: Path,
    max_bytes: int,
    accepted: Sequence[str],
    material_name: str,
) -> StoredFile:
    """Check and keep one upload; raise a clear error (and keep nothing) when it is too big,
    not of an accepted type, or not what its name claims."""
    with _readable(upload.stream) as content:
        digest, size, head = _measure(content, upload, max_bytes, material_name)
        if size == 0:
            raise InvalidInput("cases.material_empty", material=material_name)
        actual = _sniff_at_start(head, content)
        allowed = "、".join(TYPE_LABELS[t] for t in accepted)
        if actual is None or actual not in accepted:
            raise InvalidInput(
                "cases.material_type",
                material=material_name,
                filename=upload.filename,
                actual=TYPE_LABELS.get(actual or "", "?"),
                allowed=allowed,
            )
        claimed = claimed_type(upload.filename)
        if claimed is not None and claimed != actual:
            raise InvalidInput(
                "cases.material_mismatch",
                material=material_name,
                filename=upload.filename,
                actual=TYPE_LABELS[actual],
            )
        final = path_of(root, digest)
        if not final.exists():  # content-addressed: a file already there is this content
            _write(session, content, root, final)
    return StoredFile(upload.key, upload.filename[:300], actual, size, digest, final)


class _readable:  # noqa: N801  (used as a context manager, like open())
    """The upload itself when it can be read again from the start, else a spooled copy."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.copy: BinaryIO | None = None

    def __enter__(self) -> BinaryIO:
        if self.stream.seekable():
            self.stream.seek(0)
            return self.stream
        copy: BinaryIO = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # type: ignore[assignment]
        self.copy = copy
        return copy

    def __exit__(self, *_exc: object) -> None:
        if self.copy is not None:
            self.copy.close()


def _measure(
    content: BinaryIO, upload: Upload, max_bytes: int, material_name: str
) -> tuple[str, int, bytes]:
    """Read the upload once: its SM3 digest, size and first 16 bytes, refusing it as soon as
    it passes ``max_bytes``. A spooled copy (``content`` is not the upload) is filled here."""
    digest = hashlib.new("sm3")
    size = 0
    head = b""
    copying = content is not upload.stream
    while chunk := upload.stream.read(_CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise AppError(
                "cases.material_too_large",
                status_code=413,
                material=material_name,
                filename=upload.filename,
                limit=max_bytes,
            )
        if len(head) < 16:
            head += chunk[: 16 - len(head)]
        digest.update(chunk)
        if copying:
            content.write(chunk)
    return digest.hexdigest(), size, head


def _sniff_at_start(head: bytes, content: BinaryIO) -> str | None:
    content.seek(0)
    try:
        return sniff(head, content)
    finally:
        content.seek(0)


def _write(session: Session, content: BinaryIO, root: Path, final: Path) -> None:
    """Write ``content`` to ``final``: a temporary file, flushed to disk, then renamed (so the
    name never shows a partial file). The directory is flushed before the commit."""
    tmp_dir = _store_dir(root) / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = tmp_dir / uuid.uuid4().hex
    try:
        with tmp.open("wb") as out:
            shutil.copyfileobj(content, out, _CHUNK)
            out.flush()
            os.fdatasync(out.fileno())
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)
    session.info.setdefault(_NEW_FILES, []).append(final)
    session.info.setdefault(_NEW_DIRS, set()).add(final.parent)


def check(upload: Upload, *, max_bytes: int, accepted: Sequence[str], material_name: str) -> None:
    """Raise the error :func:`store` would raise for ``upload``, keeping nothing; the upload
    can be read again afterwards."""
    with _readable(upload.stream) as content:
        _, size, head = _measure(content, upload, max_bytes, material_name)
        if size == 0:
            raise InvalidInput("cases.material_empty", material=material_name)
        actual = _sniff_at_start(head, content)
        if actual is None or actual not in accepted:
            raise InvalidInput(
                "cases.material_type",
                material=material_name,
                filename=upload.filename,
                actual=TYPE_LABELS.get(actual or "", "?"),
                allowed="、".join(TYPE_LABELS[t] for t in accepted),
            )
        claimed = claimed_type(upload.filename)
        if claimed is not None and claimed != actual:
            raise InvalidInput(
                "cases.material_mismatch",
                material=material_name,
                filename=upload.filename,
                actual=TYPE_LABELS[actual],
            )
    if upload.stream.seekable():
        upload.stream.seek(0)


# --- uploads kept for a retry --------------------------------------------------------------------
# A refused application keeps the files already uploaded under a random token for a short
# while, so that the applicant corrects the form without choosing every file again. Each
# material's file is kept as ``<key>`` beside ``<key>.name`` (its file name); a folder past
# its time is ignored, and removed by the next application that keeps files and by the
# periodic supervision job (:func:`sweep_staged`). All kept files together stay under
# ``STAGED_MAX_BYTES``: past it, a refused application keeps nothing new (its applicant
# chooses the files again), so that refused submissions cannot fill the disk.

STAGED_SECONDS = 2 * 3600
STAGED_MAX_BYTES = 2 * 1024**3
_TOKEN = re.compile(r"[A-Za-z0-9_-]{22,64}")
_KEY = re.compile(r"[a-z][a-z0-9_]{0,63}")


@dataclass(frozen=True, slots=True)
class StagedFile:
    """A file kept for a retry: the material key, its file name, size and where it is."""

    key: str
    filename: str
    size: int
    path: Path


def _staged_root(root: Path) -> Path:
    return root / "cases" / "staged"


def _staged_dir(root: Path, token: str) -> Path | None:
    if not _TOKEN.fullmatch(token):
        return None
    return _staged_root(root) / token


def new_staging_token() -> str:
    return secrets.token_urlsafe(24)


def staged_files(root: Path, token: str, *, now: float | None = None) -> dict[str, StagedFile]:
    """The files kept under ``token`` by material key; none when the token is unknown,
    malformed or past its time."""
    directory = _staged_dir(root, token)
    if directory is None or not directory.is_dir():
        return {}
    if (now or time.time()) - directory.stat().st_mtime > STAGED_SECONDS:
        return {}
    found = {}
    for path in directory.iterdir():
        if not _KEY.fullmatch(path.name):
            continue
        name = path.with_name(path.name + ".name")
        try:  # a file may vanish meanwhile (a retry filed at the same time, a sweep)
            filename = name.read_text(encoding="utf-8")[:300]
            size = path.stat().st_size
        except OSError:
            continue
        found[path.name] = StagedFile(path.name, filename, size, path)
    return found


def _staged_bytes(root: Path) -> int:
    """What all the files kept for retries take on disk now."""
    total = 0
    staged = _staged_root(root)
    if not staged.is_dir():
        return 0
    for directory in staged.iterdir():
        try:
            total += sum(f.stat().st_size for f in directory.iterdir())
        except OSError:
            continue
    return total


def _size_of(upload: Upload) -> int | None:
    if not upload.stream.seekable():
        return None
    here = upload.stream.tell()
    size = upload.stream.seek(0, os.SEEK_END)
    upload.stream.seek(here)
    return size


def stage(
    root: Path,
    token: str,
    uploads: Sequence[Upload],
    *,
    drop: Sequence[str] = (),
    max_bytes: int = STAGED_MAX_BYTES,
) -> dict[str, StagedFile]:
    """Keep ``uploads`` under ``token`` (each replacing the file kept for its material) and
    forget the files kept for the materials in ``drop``; return all the files kept under it.
    Folders past their time are removed first; when the new files would take the kept files
    past ``max_bytes`` in all, none of them is kept."""
    sweep_staged(root)
    directory = _staged_dir(root, token)
    if directory is None:
        raise ValueError("not a staging token")
    sizes = [_size_of(upload) for upload in uploads]
    if uploads and (None in sizes or _staged_bytes(root) + sum(s or 0 for s in sizes) > max_bytes):
        log.warning("the files of a refused application were not kept: the space for them is full")
        uploads = ()
    directory.mkdir(parents=True, exist_ok=True)
    for key in drop:
        if _KEY.fullmatch(key):
            (directory / key).unlink(missing_ok=True)
            (directory / f"{key}.name").unlink(missing_ok=True)
    for upload in uploads:
        if not _KEY.fullmatch(upload.key):
            continue
        target = directory / upload.key
        tmp = directory / f".{uuid.uuid4().hex}"
        try:
            if upload.stream.seekable():
                upload.stream.seek(0)
            with tmp.open("wb") as out:
                shutil.copyfileobj(upload.stream, out, _CHUNK)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        target.with_name(upload.key + ".name").write_text(upload.filename[:300], encoding="utf-8")
    os.utime(directory)
    return staged_files(root, token)


def discard_staged(root: Path, token: str) -> None:
    """Remove the files kept under ``token``, if any."""
    directory = _staged_dir(root, token)
    if directory is not None:
        shutil.rmtree(directory, ignore_errors=True)


def discard_staged_at_commit(session: Session, root: Path, token: str) -> None:
    """Remove the files kept under ``token`` once the session's transaction commits (a
    rollback keeps them for another try)."""
    session.info.setdefault(_STAGED_DONE, []).append((root, token))


def sweep_staged(root: Path) -> int:
    """Remove the files kept for retries past their time; return how many folders went."""
    staged = _staged_root(root)
    if not staged.is_dir():
        return 0
    limit = time.time() - STAGED_SECONDS
    removed = 0
    for directory in staged.iterdir():
        try:
            if directory.stat().st_mtime < limit:
                shutil.rmtree(directory, ignore_errors=True)
                removed += 1
        except OSError:
            continue
    return removed


@event.listens_for(Session, "before_commit")
def _sync_new_dirs(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT released: the real commit is still to come
    for directory in session.info.pop(_NEW_DIRS, ()):
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


@event.listens_for(Session, "after_soft_rollback")
def _remove_new_files(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is not None:
        return  # a SAVEPOINT: its files may be the very content of the case that won
    session.info.pop(_NEW_DIRS, None)
    session.info.pop(_STAGED_DONE, None)
    for path in session.info.pop(_NEW_FILES, []):
        path.unlink(missing_ok=True)


@event.listens_for(Session, "after_commit")
def _keep_new_files(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT released: the real commit is still to come
    session.info.pop(_NEW_FILES, None)
    session.info.pop(_NEW_DIRS, None)
    for root, token in session.info.pop(_STAGED_DONE, []):
        discard_staged(root, token)
