"""Files in S3-compatible object storage (AWS S3, MinIO, Ceph, R2, …).

`QRFORGE_STORAGE_URL=s3://bucket/prefix?endpoint=https://minio.internal:9000&region=eu-west-1`;
credentials come the usual AWS ways (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile,
an instance role). boto3 is synchronous, so every call runs in a thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

CHUNK = 1024 * 1024
MISSING = ("NoSuchKey", "404", "NotFound")


@dataclass
class S3Store:
    bucket: str
    prefix: str
    client: Any

    @classmethod
    def from_url(cls, url: str) -> S3Store:
        parts = urlsplit(url)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        client = boto3.client(
            "s3",
            endpoint_url=query.get("endpoint") or None,
            region_name=query.get("region") or "us-east-1",
            # Path-style addressing: what MinIO and most self-hosted stores expect.
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}),
        )
        prefix = parts.path.strip("/")
        return cls(parts.netloc, f"{prefix}/" if prefix else "", client)

    async def put(self, key: str, source: Path) -> int:
        # upload_file switches to a multipart upload for large files: no whole file in memory.
        await asyncio.to_thread(self.client.upload_file, str(source), self.bucket, self._key(key))
        return source.stat().st_size

    async def read(self, key: str) -> AsyncIterator[bytes]:
        try:
            response = await asyncio.to_thread(
                self.client.get_object, Bucket=self.bucket, Key=self._key(key)
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in MISSING:
                return
            raise
        body = response["Body"]
        try:
            while data := await asyncio.to_thread(body.read, CHUNK):
                yield data
        finally:
            body.close()

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.client.delete_object, Bucket=self.bucket, Key=self._key(key))

    def _key(self, key: str) -> str:
        return self.prefix + key
