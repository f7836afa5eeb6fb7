"""Photos from the field and from citizens: JPEG, PNG or HEIC, at most 10 MB, the type read
from the content (never from the file name or the declared type), decoded by Pillow (HEIC
through pillow-heif). `public_copy` applies the EXIF orientation and drops every piece of
metadata (GPS position, camera, time) from the copy that is shown; the original is evidence
and is kept as it came, with its SHA-256."""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from datetime import datetime

import pillow_heif
from PIL import Image, ImageOps, UnidentifiedImageError

from common.clock import BEIJING
from common.refusals import Unprocessable

pillow_heif.register_heif_opener()

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 8192 * 6144
"""50 megapixels: the largest phone photo (8160 × 6120) fits, and no decompression bomb does. The
size is read from the image's header and refused before anything is decoded."""
Image.MAX_IMAGE_PIXELS = 2 * MAX_PIXELS
"""Pillow's own guard stays behind ours: it refuses in Image.open above twice this (200 megapixels),
before our check could name the size, and guards any other path that opens an image."""
warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # what it warns of, inspect() refuses
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "HEIF": ("image/heic", "heic")}


class PhotoRejected(Unprocessable):
    """The upload is not a photo we accept; the message says why (422, or 413 when too large).
    With `field`, the answer names the form's field in the field-error list."""

    def __init__(self, message: str, *, too_large: bool = False, field: str | None = None) -> None:
        detail = [{"loc": ["body", field], "msg": message, "type": "photo_rejected"}] if field else None
        super().__init__(message, status=413 if too_large else 422, detail=detail)
        self.too_large = too_large

    def naming(self, field: str) -> PhotoRejected:
        """The same refusal, naming the form's field."""
        return PhotoRejected(str(self), too_large=self.too_large, field=field)


@dataclass(frozen=True)
class Photo:
    data: bytes
    content_type: str
    extension: str
    sha256: str
    width: int
    height: int


def inspect(data: bytes, name: str = "photo") -> Photo:
    if len(data) > MAX_BYTES:
        raise PhotoRejected(f"{name} is {len(data):,} bytes; the limit is {MAX_BYTES:,} (10 MB)", too_large=True)
    if not data:
        raise PhotoRejected(f"{name} is empty")
    try:
        with Image.open(io.BytesIO(data)) as image:  # reads the header only
            kind, size = image.format, image.size
            _refuse_too_many_pixels(name, size)
            image.verify()
    except PhotoRejected:
        raise
    except Image.DecompressionBombError as exc:
        raise PhotoRejected(
            f"{name} has more than {4 * MAX_PIXELS / 1e6:.0f} megapixels; the limit is "
            f"{MAX_PIXELS / 1e6:.0f} megapixels",
            too_large=True,
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise PhotoRejected(f"{name} is not a JPEG, PNG or HEIC image ({exc.__class__.__name__})") from exc
    if kind not in FORMATS:
        raise PhotoRejected(f"{name} is {kind}; only JPEG, PNG and HEIC are accepted")
    content_type, extension = FORMATS[kind]
    return Photo(
        data=data,
        content_type=content_type,
        extension=extension,
        sha256=hashlib.sha256(data).hexdigest(),
        width=size[0],
        height=size[1],
    )


def _refuse_too_many_pixels(name: str, size: tuple[int, int]) -> None:
    width, height = size
    if width * height > MAX_PIXELS:
        raise PhotoRejected(
            f"{name} is {width:,} × {height:,} pixels ({width * height / 1e6:.1f} megapixels); "
            f"the limit is {MAX_PIXELS / 1e6:.0f} megapixels",
            too_large=True,
        )


def public_copy(photo: Photo) -> Photo:
    """The copy that is shown: upright, and with no EXIF, XMP or GPS left in it. HEIC is
    re-encoded as JPEG so that every browser can show it."""
    with Image.open(io.BytesIO(photo.data)) as image:
        upright = ImageOps.exif_transpose(image)
        kind = "PNG" if photo.content_type == "image/png" else "JPEG"
        if kind == "JPEG" and upright.mode not in ("RGB", "L"):
            upright = upright.convert("RGB")
        clean = Image.new(upright.mode, upright.size)
        clean.paste(upright)
        out = io.BytesIO()
        clean.save(out, format=kind, **({"quality": 88} if kind == "JPEG" else {}))
    data = out.getvalue()
    content_type, extension = FORMATS[kind]
    return Photo(
        data=data,
        content_type=content_type,
        extension=extension,
        sha256=hashlib.sha256(data).hexdigest(),
        width=clean.size[0],
        height=clean.size[1],
    )


EXIF_IFD, DATETIME_ORIGINAL, OFFSET_TIME_ORIGINAL = 0x8769, 0x9003, 0x9011


def taken_at(photo: Photo) -> datetime | None:
    """When the photo was taken, from EXIF DateTimeOriginal (with OffsetTimeOriginal when the
    camera wrote it; a phone in China without it is on Beijing time), or None."""
    try:
        with Image.open(io.BytesIO(photo.data)) as image:
            exif = image.getexif().get_ifd(EXIF_IFD)
    except (OSError, ValueError):
        return None
    raw, offset = exif.get(DATETIME_ORIGINAL), exif.get(OFFSET_TIME_ORIGINAL)
    if not isinstance(raw, str):
        return None
    try:
        moment = datetime.strptime(raw.strip("\x00 "), "%Y:%m:%d %H:%M:%S")
        if isinstance(offset, str) and offset.strip():
            return datetime.strptime(f"{raw.strip()} {offset.strip()}", "%Y:%m:%d %H:%M:%S %z")
    except ValueError:
        return None
    return moment.replace(tzinfo=BEIJING)
