"""Where photos and documents are kept: a pluggable object store, chosen by URL.

`file:///var/lib/cgzf/objects` or `file:relative/folder` (a local folder, the default). A
store for another backend implements the two methods of `ObjectStore` and is added to
`open_store`. Keys are content addresses (`<sha256>.<ext>` under a prefix), so a put is
idempotent."""
from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse


class ObjectStore(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def get(self, key: str) -> bytes: ...


class LocalFolderStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"object key {key!r} leaves the store")
        return path

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        def write() -> None:
            path = self._path(key)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(path.suffix + ".part")
            tmp.write_bytes(data)
            os.replace(tmp, path)  # readers never see half a file
        await asyncio.to_thread(write)

    async def get(self, key: str) -> bytes:
        try:
            return await asyncio.to_thread(self._path(key).read_bytes)
        except FileNotFoundError as exc:
            raise KeyError(key) from exc


def open_store(url: str) -> ObjectStore:
    parsed = urlparse(url)
    if parsed.scheme in ("", "file"):
        return LocalFolderStore(Path(parsed.path or url))
    raise ValueError(f"unsupported object store {url!r}: use file:///path")
