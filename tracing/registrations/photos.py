"""A child's photo: decoded and written again without its metadata, stored under a random
name, replaced versions deleted, every read audited.

A phone's JPEG carries EXIF: the GPS position where it was taken (where the child is), the
time, the device. Copying the uploaded bytes would hand that to everyone who may see the
photo. So the image is decoded with Pillow and encoded anew from its pixels alone, turned
upright as the camera meant it, and shrunk to at most MAX_PHOTO_SIDE pixels a side;
anything Pillow cannot decode as a JPEG or PNG is refused, whatever its first bytes say.
"""

from __future__ import annotations

import io
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy.orm import Session

from models import ChildRegistration, User
from models.db import transaction
from tracing.audit import record_audit
from tracing.errors import NotFound, ServiceError

MAX_PHOTO_BYTES = 5 * 1024 * 1024
# Enough to recognise a face on a verification visit, small enough for a field phone.
MAX_PHOTO_SIDE = 1600
# Pixels a photo may have: a 24-megapixel camera's, not a decompression bomb. A larger
# image (a tiny file can claim 20,000 x 20,000) is refused before it is decoded.
MAX_PHOTO_PIXELS = 25_000_000
# What an upload is read as, and written as: phones often write a JPEG with a second
# picture in it (Pillow reads it as MPO: a depth or gain map); its first is the photo.
FORMATS = {"JPEG": ".jpg", "MPO": ".jpg", "PNG": ".png"}
NOT_A_PHOTO = (
    UnidentifiedImageError,
    OSError,
    SyntaxError,
    ValueError,
    Image.DecompressionBombWarning,
    Image.DecompressionBombError,
)


@dataclass(frozen=True)
class Photo:
    """A photo ready to store: re-encoded bytes and their file ending."""

    data: bytes
    suffix: str


def normalised_photo(data: bytes) -> Photo:
    """The photo re-encoded from its pixels only (no EXIF, GPS, comments or profiles),
    upright and at most MAX_PHOTO_SIDE a side; a refusal for anything but a JPEG or PNG
    image Pillow can decode. A JPEG is decoded at the smallest scale that still gives
    MAX_PHOTO_SIDE (Pillow's draft mode): a fraction of the memory of the full size."""
    if len(data) > MAX_PHOTO_BYTES:
        raise ServiceError("the photo is larger than 5 MB")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=["JPEG", "PNG"]) as image:
                if image.width * image.height > MAX_PHOTO_PIXELS:
                    raise ServiceError("the photo has too many pixels")
                kind = str(image.format)
                if kind in ("JPEG", "MPO"):
                    image.draft("RGB", (MAX_PHOTO_SIDE, MAX_PHOTO_SIDE))
                image.load()
                upright = ImageOps.exif_transpose(image)
    except NOT_A_PHOTO:
        raise ServiceError("the photo must be a JPEG or PNG image") from None
    upright.thumbnail((MAX_PHOTO_SIDE, MAX_PHOTO_SIDE))
    out = io.BytesIO()
    if FORMATS[kind] == ".jpg":
        upright.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
    else:
        mode = "RGBA" if "A" in upright.getbands() or "transparency" in upright.info else "RGB"
        upright.convert(mode).save(out, "PNG", optimize=True)
    return Photo(out.getvalue(), FORMATS[kind])


def store_photo(
    session: Session,
    actor: User,
    child: ChildRegistration,
    photo: Photo,
    folder: Path,
    *,
    ip: str | None = None,
) -> str:
    """Keep a child's photo, re-encoded by `normalised_photo`, under a random name; the
    photo it replaces is deleted once the new one is recorded. Returns the file name."""
    clean, suffix = photo.data, photo.suffix
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}{suffix}"
    (folder / name).write_bytes(clean)
    previous = child.photo_path
    try:
        with transaction(session):
            child.photo_path = name
            record_audit(
                session, actor.id, "store_photo", record=child, ip=ip, details={"bytes": len(clean)}
            )
    except BaseException:
        (folder / name).unlink(missing_ok=True)
        raise
    if previous and previous != name:
        (folder / Path(previous).name).unlink(missing_ok=True)
    return name


def view_photo(session: Session, actor: User, child: ChildRegistration, *, ip: str | None) -> str:
    """The stored file name of a child's photo; the read is audited."""
    if not child.photo_path:
        raise NotFound("no photo")
    with transaction(session):
        record_audit(session, actor.id, "view_photo", record=child, ip=ip)
    return child.photo_path
