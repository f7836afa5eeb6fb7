"""What a video or audio file is, read from its content with PyAV (FFmpeg's demuxers): the
container, the codec, the duration and, where the camera wrote it, the recording time; and its
SHA-256, read in blocks. Body cameras (执法记录仪) write MP4/MOV with H.264 or H.265 most often,
some AVI or MPEG-TS; what FFmpeg cannot open as audio or video is refused, naming why."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import av

from common.refusals import Unprocessable

BLOCK = 1024 * 1024


@dataclass(frozen=True)
class MediaFacts:
    kind: str  # video | audio
    container: str
    codec: str
    duration_s: float | None
    recorded_at: datetime | None
    content_type: str


CONTENT_TYPES = {"mov": "video/mp4", "mp4": "video/mp4", "matroska": "video/x-matroska", "avi": "video/x-msvideo"}


def probe(path: Path, name: str) -> MediaFacts:
    """The file's facts, or a refusal saying what it is not."""
    try:
        with av.open(str(path)) as media:
            video = next(iter(media.streams.video), None)
            audio = next(iter(media.streams.audio), None)
            stream = video or audio
            if stream is None:
                raise Unprocessable.field("file", f"{name} holds no video or audio stream")
            container = media.format.name
            duration = media.duration / 1_000_000 if media.duration else None
            created = media.metadata.get("creation_time") or stream.metadata.get("creation_time")
    except av.error.FFmpegError as exc:
        raise Unprocessable.field("file", f"{name} is not a video or audio file we can read: {exc}") from exc
    recorded = None
    if created:
        try:
            recorded = datetime.fromisoformat(created.replace("Z", "+00:00")).astimezone(UTC)
        except ValueError:
            recorded = None
    first = container.split(",")[0]
    kind = "video" if video is not None else "audio"
    content_type = CONTENT_TYPES.get(first, f"{kind}/{first}")
    return MediaFacts(kind, container, stream.codec_context.name, duration, recorded, content_type)


def sha256_of(path: Path) -> tuple[str, int]:
    """The file's SHA-256 and size, read a block at a time."""
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as f:
        while block := f.read(BLOCK):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size
