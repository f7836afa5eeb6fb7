"""Where photos and documents are kept: a pluggable object store, chosen by URL.

`file:///var/lib/cgzf/objects` or `file:relative/folder` (a local folder, the default), or
`s3://bucket/prefix?endpoint_url=http://minio:9000&region=cn-north-1` for any S3-compatible
store (AWS, MinIO, Ceph RGW, Aliyun OSS, Huawei OBS), through boto3: credentials come from
boto3's usual chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile, an instance role),
never from the URL. A store for another backend implements the methods of `ObjectStore` and
is added to `open_store`. Keys are content addresses (`<sha256>.<ext>` under a prefix), so a put
is idempotent; what may be removed again (an application that is refused) has keys of its own.

The store is never public: objects are served through the service that owns them, which
decides who may see each one."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, urlparse


class ObjectStore(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def get(self, key: str) -> bytes: ...

    async def delete(self, key: str) -> None: ...

    async def put_file(self, key: str, path: Path, content_type: str) -> None:
        """A file of any size, streamed from disk (a video of a few GB is never held whole)."""
        ...

    async def size(self, key: str) -> int: ...

    async def read_range(self, key: str, start: int, length: int) -> bytes:
        """`length` bytes from `start` (fewer at the end): a video played back in pieces."""
        ...


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

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    async def put_file(self, key: str, path: Path, content_type: str) -> None:
        def copy() -> None:
            target = self._path(key)
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(target.suffix + ".part")
            shutil.copyfile(path, tmp)  # in blocks, by the kernel where it can
            os.replace(tmp, target)

        await asyncio.to_thread(copy)

    async def size(self, key: str) -> int:
        try:
            return (await asyncio.to_thread(self._path(key).stat)).st_size
        except FileNotFoundError as exc:
            raise KeyError(key) from exc

    async def read_range(self, key: str, start: int, length: int) -> bytes:
        def read() -> bytes:
            with self._path(key).open("rb") as f:
                f.seek(start)
                return f.read(length)

        try:
            return await asyncio.to_thread(read)
        except FileNotFoundError as exc:
            raise KeyError(key) from exc


class S3Store:
    """An S3-compatible bucket. boto3 is synchronous; each call runs in a worker thread."""

    def __init__(
        self, bucket: str, prefix: str = "", endpoint_url: str | None = None, region: str | None = None
    ) -> None:
        import boto3  # imported here: a deployment on local folders never loads it
        from botocore.config import Config

        self.bucket, self.prefix = bucket, prefix.strip("/")
        self._client = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            config=Config(retries={"max_attempts": 5, "mode": "standard"}, s3={"addressing_style": "path"}),
        )

    def _key(self, key: str) -> str:
        if key.startswith("/") or ".." in key.split("/"):
            raise ValueError(f"object key {key!r} leaves the store")
        return f"{self.prefix}/{key}" if self.prefix else key

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(
            self._client.put_object, Bucket=self.bucket, Key=self._key(key), Body=data, ContentType=content_type
        )

    async def get(self, key: str) -> bytes:
        def read() -> bytes:
            try:
                return self._client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
            except self._client.exceptions.NoSuchKey as exc:
                raise KeyError(key) from exc

        return await asyncio.to_thread(read)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._client.delete_object, Bucket=self.bucket, Key=self._key(key))

    async def put_file(self, key: str, path: Path, content_type: str) -> None:
        # boto3's managed transfer: a multipart upload in parts read from the file one at a time
        await asyncio.to_thread(
            self._client.upload_file, str(path), self.bucket, self._key(key), ExtraArgs={"ContentType": content_type}
        )

    async def size(self, key: str) -> int:
        def head() -> int:
            try:
                return self._client.head_object(Bucket=self.bucket, Key=self._key(key))["ContentLength"]
            except self._client.exceptions.ClientError as exc:
                raise KeyError(key) from exc

        return await asyncio.to_thread(head)

    async def read_range(self, key: str, start: int, length: int) -> bytes:
        def read() -> bytes:
            r = self._client.get_object(
                Bucket=self.bucket, Key=self._key(key), Range=f"bytes={start}-{start + length - 1}"
            )
            return r["Body"].read()

        return await asyncio.to_thread(read)


def open_store(url: str) -> ObjectStore:
    parsed = urlparse(url)
    if parsed.scheme in ("", "file"):
        return LocalFolderStore(Path(parsed.path or url))
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise ValueError(f"object store {url!r} names no bucket: s3://bucket/prefix")
        query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        unknown = set(query) - {"endpoint_url", "region"}
        if unknown:
            raise ValueError(
                f"object store {url!r}: unknown parameter(s) {sorted(unknown)}; use endpoint_url and region"
            )
        return S3Store(parsed.netloc, parsed.path, endpoint_url=query.get("endpoint_url"), region=query.get("region"))
    raise ValueError(f"unsupported object store {url!r}: use file:///path or s3://bucket/prefix")
