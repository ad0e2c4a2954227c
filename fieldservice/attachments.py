"""Photos and signatures of work orders: checked (real JPEG or PNG, bounded size), stored once by checksum
under the data folder (``<home>/attachments/ab/abcdef….jpg``), recorded with when and where they were taken.

Who may read one is who may see its order (:mod:`fieldservice.access`); the files are never served
from a public path.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy.orm import Session

from assets.errors import FieldError, NotFoundError, ValidationError
from fieldservice.models import ATTACHMENT_KINDS, WorkOrderAttachment
from fieldservice.worklog import open_order
from gis.crs import STORAGE_SRID

MAX_BYTES = int(os.environ.get("CITYPILOT_ATTACHMENT_MAX_MB", "8")) * 1024 * 1024
#: Content type by the file's first bytes (its magic number), never by what the client says.
MAGIC = {b"\xff\xd8\xff": ("image/jpeg", "jpg"), b"\x89PNG\r\n\x1a\n": ("image/png", "png")}


def sniff(data: bytes) -> tuple[str, str]:
    """The content type and extension of a JPEG or PNG; ValidationError on anything else."""
    for magic, found in MAGIC.items():
        if data.startswith(magic):
            return found
    raise ValidationError(FieldError("file", "not a JPEG or PNG image"))


def path_of(root: Path, sha256: str, extension: str) -> Path:
    return root / "attachments" / sha256[:2] / f"{sha256}.{extension}"


def store(session: Session, root: Path, order_id: int, kind: str, data: bytes, actor: int | None,
          taken_at: dt.datetime | None = None, position: Point | None = None) -> WorkOrderAttachment:
    """Keep a photo or signature of an open order; the same bytes are written once on disk."""
    if kind not in ATTACHMENT_KINDS:
        raise ValidationError(FieldError("kind", f"one of {', '.join(ATTACHMENT_KINDS)}"))
    if not data:
        raise ValidationError(FieldError("file", "empty"))
    if len(data) > MAX_BYTES:
        raise ValidationError(FieldError("file", f"{len(data) / 1048576:.1f} MiB: at most {MAX_BYTES // 1048576} MiB"))
    content_type, extension = sniff(data)
    if taken_at is not None and taken_at.tzinfo is None:
        raise ValidationError(FieldError("taken_at", "give the time zone"))
    open_order(session, order_id)
    sha256 = hashlib.sha256(data).hexdigest()
    target = path_of(root, sha256, extension)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(f".{os.getpid()}.part")
        partial.write_bytes(data)
        partial.replace(target)  # atomic: a reader never sees half a photo
    row = WorkOrderAttachment(order_id=order_id, kind=kind, sha256=sha256, size=len(data), content_type=content_type,
                              taken_at=taken_at, uploaded_by=actor,
                              geom=from_shape(position, srid=STORAGE_SRID) if position is not None else None)
    session.add(row)
    session.flush()
    return row


def open_attachment(session: Session, root: Path, order_id: int, attachment_id: int) -> tuple[Path, str]:
    """The file of one attachment of ``order_id`` and its content type (NotFoundError if not there)."""
    row = session.get(WorkOrderAttachment, attachment_id)
    if row is None or row.order_id != order_id:
        raise NotFoundError(f"work order {order_id} has no attachment {attachment_id}")
    path = path_of(root, row.sha256, "png" if row.content_type == "image/png" else "jpg")
    if not path.exists():
        raise NotFoundError(f"the file of attachment {attachment_id} is missing from the data folder")
    return path, row.content_type
