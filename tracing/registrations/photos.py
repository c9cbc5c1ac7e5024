"""A child's photo: checked by its bytes, stored under a random name, read audited."""

from __future__ import annotations

import secrets
from pathlib import Path

from sqlalchemy.orm import Session

from models import ChildRegistration, User
from models.db import transaction
from tracing.audit import record_audit
from tracing.errors import NotFound, ServiceError

PHOTO_TYPES = {b"\xff\xd8\xff": ".jpg", b"\x89PNG\r\n\x1a\n": ".png"}
MAX_PHOTO_BYTES = 5 * 1024 * 1024


def photo_suffix(data: bytes) -> str:
    """The file ending for a photo's bytes; a refusal for anything but a small JPEG/PNG."""
    if len(data) > MAX_PHOTO_BYTES:
        raise ServiceError("the photo is larger than 5 MB")
    suffix = next((ext for magic, ext in PHOTO_TYPES.items() if data.startswith(magic)), None)
    if suffix is None:
        raise ServiceError("the photo must be a JPEG or PNG image")
    return suffix


def store_photo(
    session: Session,
    actor: User,
    child: ChildRegistration,
    data: bytes,
    folder: Path,
    *,
    ip: str | None = None,
) -> str:
    """Keep a child's photo under a random name; the type is read from the bytes, never
    from the uploaded name. Returns the stored file name."""
    suffix = photo_suffix(data)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}{suffix}"
    (folder / name).write_bytes(data)
    with transaction(session):
        child.photo_path = name
        record_audit(session, actor.id, "store_photo", record=child, ip=ip)
    return name


def view_photo(session: Session, actor: User, child: ChildRegistration, *, ip: str | None) -> str:
    """The stored file name of a child's photo; the read is audited."""
    if not child.photo_path:
        raise NotFound("no photo")
    with transaction(session):
        record_audit(session, actor.id, "view_photo", record=child, ip=ip)
    return child.photo_path
