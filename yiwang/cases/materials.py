"""Materials: uploads checked by size and by what their content is (magic bytes, and the
entries of a ZIP container), then kept under ``var_dir`` by their SM3 digest.

A file is first written to a temporary name beside the store and moved into place only when it
is complete and accepted, so a failed upload leaves nothing behind; a file moved into place by a
transaction that then rolls back is removed again (unless another case already had it).
"""

from __future__ import annotations

import hashlib
import os
import uuid
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import event
from sqlalchemy.orm import Session

from yiwang.core.errors import AppError, InvalidInput

_NEW_FILES = "yiwang.cases.new_files"
_CHUNK = 1 << 16

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


def sniff(head: bytes, path: Path) -> str | None:
    """Return the file type of the content (pdf, jpeg, png, ofd, docx, xlsx, zip), or None
    when it is none of those."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
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
    tmp_dir = _store_dir(root) / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    tmp = tmp_dir / uuid.uuid4().hex
    digest = hashlib.new("sm3")
    size = 0
    head = b""
    try:
        with tmp.open("wb") as out:
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
                out.write(chunk)
        if size == 0:
            raise InvalidInput("cases.material_empty", material=material_name)
        actual = sniff(head, tmp)
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
        hexdigest = digest.hexdigest()
        final = path_of(root, hexdigest)
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():
            tmp.unlink()
        else:
            os.replace(tmp, final)
            session.info.setdefault(_NEW_FILES, []).append(final)
        return StoredFile(upload.key, upload.filename[:300], actual, size, hexdigest, final)
    finally:
        tmp.unlink(missing_ok=True)


@event.listens_for(Session, "after_rollback")
def _remove_new_files(session: Session) -> None:
    for path in session.info.pop(_NEW_FILES, []):
        path.unlink(missing_ok=True)


@event.listens_for(Session, "after_commit")
def _keep_new_files(session: Session) -> None:
    session.info.pop(_NEW_FILES, None)
