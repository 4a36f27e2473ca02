"""The Python client in clients/python against a real `qrforge serve` on the embedded default."""

from __future__ import annotations

import asyncio
import http.server
import io
import os
import queue
import re
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import zxingcpp
from PIL import Image
from qrforge_client import (
    AsyncQrforge,
    InvalidSignature,
    Qrforge,
    UserErrors,
    aio,
    sync,
    verify_webhook,
)

README = Path(__file__).parents[2] / "README.md"


@pytest.fixture(scope="module")
def server(
    qrforge_serve: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """SQLite, the bundled Redis and the in-process worker: what `make run` starts."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QRFORGE_")}
    env["QRFORGE_DATA_DIR"] = str(tmp_path_factory.mktemp("client-server"))
    env["QRFORGE_ALLOW_PRIVATE_TARGETS"] = "true"  # the webhook receiver is on 127.0.0.1
    with qrforge_serve(env) as served:
        yield served


def _decoded(png: bytes) -> str:
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert found, "the image does not scan"
    return str(found[0].text)


def test_issue15_the_readme_example_runs_as_written(server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base, key = server
    example = re.search(r"## The Python client.*?```python\n(.*?)```", README.read_text(), re.S)
    assert example is not None
    env = {**os.environ, "QRFORGE_URL": base, "QRFORGE_KEY": key}
    done = subprocess.run(
        [sys.executable, "-c", example.group(1)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    short_url = done.stdout.strip()
    assert short_url.startswith(f"{base}/r/")
    assert _decoded((tmp_path / "poster.png").read_bytes()) == f"{short_url}?qr=1"


def test_issue15_sync_client_refusals_are_user_errors_with_fields(server) -> None:  # type: ignore[no-untyped-def]
    with Qrforge(*server) as qf:
        qf.shorten("https://example.com/", slug="taken-once")
        with pytest.raises(UserErrors) as refused:
            qf.shorten("https://example.com/", slug="taken-once")
        assert refused.value.errors[0].field == ["slug"]
        with pytest.raises(UserErrors):
            qf.shorten("not a url")


def test_issue15_sync_iter_links_walks_every_page(server) -> None:  # type: ignore[no-untyped-def]
    with Qrforge(*server) as qf:
        made = [qf.shorten("https://example.com/", tags=["walk"]).id for _ in range(5)]
        walked = [link.id for link in qf.iter_links(sync.LinkFilter(tag="walk"), page_size=2)]
    assert walked == made[::-1]


def test_issue15_sync_run_bulk_returns_the_zip(server) -> None:  # type: ignore[no-untyped-def]
    items = [
        sync.CreateQrCodeInput(
            name=f"label-{i}", data_type=sync.QrDataType.TEXT, data={"text": f"box {i}"}
        )
        for i in range(3)
    ]
    with Qrforge(*server) as qf:
        zipped = qf.run_bulk(items, timeout=120)
    archive = zipfile.ZipFile(io.BytesIO(zipped))
    images = sorted(n for n in archive.namelist() if n.endswith(".png"))
    assert len(images) == 3 and "manifest.csv" in archive.namelist()
    assert sorted(_decoded(archive.read(n)) for n in images) == ["box 0", "box 1", "box 2"]


async def test_issue15_async_client_follows_scans_as_they_happen(server) -> None:  # type: ignore[no-untyped-def]
    base, key = server
    async with AsyncQrforge(base, key) as qf:
        link = await qf.shorten("https://example.com/live")
        scans = qf.follow_scans(link.id)
        first = asyncio.ensure_future(anext(scans))
        await asyncio.sleep(0.5)  # the subscription is open before the scan
        async with httpx.AsyncClient() as http:
            assert (await http.get(link.short_url)).status_code == 302
        scan = await asyncio.wait_for(first, 30)
        assert scan.link is not None and scan.link.id == link.id
        assert scan.source == aio.ScanSource.LINK
        await scans.aclose()

        code = await qf.make_code("async", aio.QrDataType.TEXT, {"text": "hello"})
        assert _decoded(await qf.download_image(code.id)) == "hello"


def test_issue15_verify_webhook_accepts_qrforges_signature_only(server) -> None:  # type: ignore[no-untyped-def]
    received: queue.Queue[tuple[dict[str, str], bytes]] = queue.Queue()

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["content-length"]))
            received.put((dict(self.headers.items()), body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        with Qrforge(*server) as qf:
            made = qf.create_webhook(
                sync.CreateWebhookInput(
                    url=f"http://127.0.0.1:{receiver.server_port}/hook",
                    events=[sync.WebhookEvent.LINK_CREATED],
                )
            ).create_webhook
            assert made.secret and not made.user_errors
            link = qf.shorten("https://example.com/hooked")
        headers, body = received.get(timeout=30)
    finally:
        receiver.shutdown()
        receiver.server_close()

    event = verify_webhook(made.secret, headers, body)
    assert event["type"] == "link.created" and link.slug in body.decode()
    with pytest.raises(InvalidSignature):
        verify_webhook(made.secret, headers, body.replace(b"hooked", b"hacked"))
    with pytest.raises(InvalidSignature):
        verify_webhook("whsec_" + "A" * 43 + "=", headers, body)
    with pytest.raises(InvalidSignature, match="timestamp"):
        verify_webhook(made.secret, headers, body, now=int(headers["webhook-timestamp"]) + 3600)
