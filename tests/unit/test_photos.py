"""Photos: the type read from the content, the bound on size, and a shown copy with nothing left
of the EXIF (GPS position, camera) but the orientation already applied."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from common.photos import MAX_BYTES, PhotoRejected, inspect, public_copy
from tests.helpers import photo_bytes


def _exif_with_gps_and_rotation() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° to show upright
    exif[0x010F] = "Huawei"  # Make
    exif[0x8825] = {1: "N", 2: (34.0, 45.0, 0.0), 3: "E", 4: (113.0, 37.0, 0.0)}  # GPS IFD
    return exif.tobytes()


def test_types_are_read_from_the_content():
    assert inspect(photo_bytes(fmt="JPEG")).content_type == "image/jpeg"
    assert inspect(photo_bytes(fmt="PNG")).content_type == "image/png"
    assert inspect(photo_bytes(fmt="HEIF")).content_type == "image/heic"
    with pytest.raises(PhotoRejected, match="x.jpg is not a JPEG, PNG or HEIC"):
        inspect(b"GIF89a\x01\x00", name="x.jpg")
    with pytest.raises(PhotoRejected, match="is GIF; only JPEG, PNG and HEIC"):
        buf = io.BytesIO()
        Image.new("RGB", (4, 4)).save(buf, format="GIF")
        inspect(buf.getvalue())
    with pytest.raises(PhotoRejected, match="the limit is 10,485,760") as too_big:
        inspect(b"\xff" * (MAX_BYTES + 1))
    assert too_big.value.too_large


def test_the_shown_copy_is_upright_and_carries_no_metadata():
    original = inspect(photo_bytes(size=(64, 48), exif=_exif_with_gps_and_rotation()))
    with Image.open(io.BytesIO(original.data)) as im:
        assert im.getexif().get(0x010F) == "Huawei" and im.getexif().get_ifd(0x8825)  # the evidence keeps it
    shown = public_copy(original)
    assert (shown.width, shown.height) == (48, 64)  # the orientation applied
    with Image.open(io.BytesIO(shown.data)) as im:
        assert dict(im.getexif()) == {} and "exif" not in im.info and "xmp" not in im.info
    assert b"Huawei" not in shown.data
    heic = public_copy(inspect(photo_bytes(fmt="HEIF")))
    assert heic.content_type == "image/jpeg"  # every browser can show it


def png_bomb(width: int = 12_000, height: int = 12_000) -> bytes:
    """A real decompression bomb: a one-bit PNG of 144 megapixels in about 50 kB."""
    buf = io.BytesIO()
    Image.new("1", (width, height)).save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def test_a_decompression_bomb_is_refused_from_its_header_without_decoding(monkeypatch):
    bomb = png_bomb()
    assert len(bomb) < 600_000

    def never(*args, **kwargs):
        raise AssertionError("the bomb reached a decoder")

    monkeypatch.setattr("PIL.ImageFile.ImageFile.load", never)
    with pytest.raises(
        PhotoRejected, match="12,000 × 12,000 pixels .144.0 megapixels.; the limit is 50 megapixels"
    ) as refused:
        inspect(bomb, name="bomb.png")
    assert refused.value.too_large


def test_a_fifty_megapixel_phone_photo_fits():
    photo = inspect(png_bomb(8160, 6120))
    assert (photo.width, photo.height) == (8160, 6120)
    with pytest.raises(PhotoRejected, match="megapixels"):
        inspect(png_bomb(8193, 6144))


def test_a_bomb_past_pillows_own_guard_is_refused_too():
    with pytest.raises(PhotoRejected, match="more than 201 megapixels; the limit is 50") as refused:
        inspect(png_bomb(16_000, 16_000))
    assert refused.value.too_large
