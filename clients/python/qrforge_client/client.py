"""The hand-written layer over the generated clients: what users of qrforge do most.

`AsyncQrforge` and `Qrforge` are the generated clients (every operation in
`operations/*.graphql` is a typed method, e.g. `create_link(input=CreateLinkInput(…))`) plus a
few steps that take more than one call: make a link or a code and get it back or a
`UserErrors`, download an image, run a bulk job to its ZIP, walk a connection, follow scans.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx

from qrforge_client import aio, sync
from qrforge_client.errors import BulkJobFailed, UserErrors

# A create checks that the code scans before it answers, and a busy server may take a while:
# longer than httpx's 5 s default, far shorter than a hung connection.
TIMEOUT_SECONDS = 30.0
# How often run_bulk asks how a job is doing: a 1,000-code job takes a few seconds.
POLL_SECONDS = 0.5
FINISHED = ("SUCCEEDED", "FAILED")


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _graphql(url: str) -> str:
    return f"{url.rstrip('/')}/graphql"


def _checked(payload: Any, field: str) -> Any:
    if payload.user_errors:
        raise UserErrors(payload.user_errors)
    return getattr(payload, field)


class AsyncQrforge(aio.AsyncClient):
    """`AsyncQrforge("http://localhost:8000", key)`: every operation, async, with subscriptions."""

    def __init__(self, url: str, key: str, timeout: float = TIMEOUT_SECONDS) -> None:
        self._http = httpx.AsyncClient(headers=_auth(key), timeout=timeout)
        super().__init__(
            url=_graphql(url),
            http_client=self._http,
            ws_url=_graphql(url).replace("http", "ws", 1),
            ws_connection_init_payload=_auth(key),
        )

    async def shorten(self, destination: str, **options: Any) -> aio.LinkFields:
        """A new link (`options` as in CreateLinkInput: slug, title, tags, scan_limit, …)."""
        made = await self.create_link(aio.CreateLinkInput(destination=destination, **options))
        return _checked(made.create_link, "link")  # type: ignore[no-any-return]

    async def make_code(
        self, name: str, data_type: aio.QrDataType, data: Any, **options: Any
    ) -> aio.QrCodeFields:
        """A new QR code; `kind=aio.QrCodeKind.DYNAMIC` makes a tracked one with its link."""
        code = aio.CreateQrCodeInput(name=name, data_type=data_type, data=data, **options)
        made = await self.create_qr_code(code)
        return _checked(made.create_qr_code, "qr_code")  # type: ignore[no-any-return]

    async def download_image(
        self, code_id: str, format: aio.ImageFormat = aio.ImageFormat.PNG, size: int = 512
    ) -> bytes:
        """The code's image, through its signed imageUrl."""
        found = (await self.get_qr_code(id=code_id, format=format, size=size)).qr_code
        if found is None:
            raise UserErrors([aio.Problems(field=["id"], message="No such QR code.", code="NOT_FOUND")])
        response = await self._http.get(found.image_url)
        response.raise_for_status()
        return response.content

    async def run_bulk(
        self, items: list[aio.CreateQrCodeInput], timeout: float = 600, **options: Any
    ) -> bytes:
        """Queues the codes, waits for the job's end and returns the ZIP (downloadable once).
        For live progress, follow `bulk_job_updated(id=…)` beside it."""
        queued = await self.bulk_create_qr_codes(aio.BulkCreateQrCodesInput(items=items, **options))
        job = _checked(queued.bulk_create_qr_codes, "bulk_job")
        async with asyncio.timeout(timeout):
            while job.status.value not in FINISHED:
                await asyncio.sleep(POLL_SECONDS)
                job = (await self.get_bulk_job(id=job.id)).bulk_job or job
        if job.status.value != "SUCCEEDED" or not job.result_url:
            raise BulkJobFailed(job)
        response = await self._http.get(job.result_url)
        response.raise_for_status()
        return response.content

    async def iter_links(
        self, filter: aio.LinkFilter | None = None, page_size: int = 100
    ) -> AsyncIterator[aio.LinkFields]:
        """Every link the filter matches, newest first, a page at a time."""
        after = None
        while True:
            page = (await self.list_links(first=page_size, after=after, filter_=filter)).links
            for edge in page.edges:
                yield edge.node
            if not page.page_info.has_next_page:
                return
            after = page.page_info.end_cursor

    async def follow_scans(self, link_id: str | None = None) -> AsyncIterator[aio.ScanFields]:
        """Scans as they are recorded (of one link, or the whole workspace), until cancelled."""
        async for event in self.scan_recorded(link_id=link_id):
            yield event.scan_recorded


class Qrforge(sync.Client):
    """`Qrforge("http://localhost:8000", key)`: every query and mutation, blocking.
    Subscriptions need a socket held open: use AsyncQrforge for those."""

    def __init__(self, url: str, key: str, timeout: float = TIMEOUT_SECONDS) -> None:
        self._http = httpx.Client(headers=_auth(key), timeout=timeout)
        super().__init__(url=_graphql(url), http_client=self._http)

    def shorten(self, destination: str, **options: Any) -> sync.LinkFields:
        made = self.create_link(sync.CreateLinkInput(destination=destination, **options))
        return _checked(made.create_link, "link")  # type: ignore[no-any-return]

    def make_code(
        self, name: str, data_type: sync.QrDataType, data: Any, **options: Any
    ) -> sync.QrCodeFields:
        code = sync.CreateQrCodeInput(name=name, data_type=data_type, data=data, **options)
        return _checked(self.create_qr_code(code).create_qr_code, "qr_code")  # type: ignore[no-any-return]

    def download_image(
        self, code_id: str, format: sync.ImageFormat = sync.ImageFormat.PNG, size: int = 512
    ) -> bytes:
        found = self.get_qr_code(id=code_id, format=format, size=size).qr_code
        if found is None:
            raise UserErrors([sync.Problems(field=["id"], message="No such QR code.", code="NOT_FOUND")])
        response = self._http.get(found.image_url)
        response.raise_for_status()
        return response.content

    def run_bulk(
        self, items: list[sync.CreateQrCodeInput], timeout: float = 600, **options: Any
    ) -> bytes:
        queued = self.bulk_create_qr_codes(sync.BulkCreateQrCodesInput(items=items, **options))
        job = _checked(queued.bulk_create_qr_codes, "bulk_job")
        deadline = time.monotonic() + timeout
        while job.status.value not in FINISHED:
            if time.monotonic() > deadline:
                raise TimeoutError(f"bulk job {job.id} still {job.status.value}")
            time.sleep(POLL_SECONDS)
            job = self.get_bulk_job(id=job.id).bulk_job or job
        if job.status.value != "SUCCEEDED" or not job.result_url:
            raise BulkJobFailed(job)
        response = self._http.get(job.result_url)
        response.raise_for_status()
        return response.content

    def iter_links(
        self, filter: sync.LinkFilter | None = None, page_size: int = 100
    ) -> Iterator[sync.LinkFields]:
        after = None
        while True:
            page = self.list_links(first=page_size, after=after, filter_=filter).links
            yield from (edge.node for edge in page.edges)
            if not page.page_info.has_next_page:
                return
            after = page.page_info.end_cursor

