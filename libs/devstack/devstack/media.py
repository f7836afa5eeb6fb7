"""A body camera's video as a camera writes it, for the tests and the bench: an MPEG-4 file with its
recording time, brought to any size."""

from __future__ import annotations

import hashlib
from fractions import Fraction
from pathlib import Path

MB = 2**20


def body_camera_video(path: Path, total: int) -> str:
    """A short MPEG-4 video as a camera writes it (with its recording time), then a `free` box
    (ISO/IEC 14496-12: space a reader skips) to bring the file to `total` bytes; its SHA-256."""
    import av
    import numpy as np  # the test extras: the tests and the bench

    with av.open(str(path), "w", format="mp4") as out:
        out.metadata["creation_time"] = "2026-11-23T08:41:00.000000Z"
        stream = out.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        stream.time_base = Fraction(1, 10)
        for i in range(20):
            frame = av.VideoFrame.from_ndarray(np.full((240, 320, 3), i * 10 % 255, dtype=np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    pad = total - path.stat().st_size
    with path.open("ab") as f:
        f.write(pad.to_bytes(4, "big") + b"free")
        left = pad - 8
        while left:
            n = min(left, 8 * MB)
            f.write(bytes(n))
            left -= n
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(8 * MB):
            digest.update(block)
    return digest.hexdigest()
