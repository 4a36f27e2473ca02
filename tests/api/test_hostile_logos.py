"""Issue 10, item 1: the worst logos anyone can send to `POST /api/qr` neither stall the
API's event loop (redirects keep answering at once) nor swell the API process.

A real API process (uvicorn, its own render processes); the attacks run while a client
follows a redirect over and over and times each answer. Bounded: a fixed number of attack
rounds and of timed redirects, each request with a timeout; 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import base64
import io
import time
from pathlib import Path

import httpx
import pytest
import zxingcpp
from PIL import Image

from tests.rendering.test_render_logo import png_header_only, svg_wrapping, use_bomb

REDIRECT_P99 = 0.050  # seconds
# The API process's resident memory may grow by at most this much under the attack (it sits
# near 150 MB idle); without the fix the wrapped 20000x20000 PNG alone took it to 1.7 GB.
RSS_GROWTH = 100 * 2**20
TIMED_REDIRECTS = 300
MAX_ROUNDS = 100  # of the three hostile logos at once, for as long as redirects are timed
# Between rounds: ~50 hostile renders a second, already past what the 600/min key limit lets
# one key send; the point is what each costs, not a flood (that is the rate limiter's job).
ROUND_PAUSE = 0.05

CREATE = """
mutation($i: CreateLinkInput!) {
  createLink(input: $i) { link { slug } userErrors { code } }
}"""


def data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def hostile_logos() -> dict[str, str]:
    return {
        "use bomb": data_uri(use_bomb(9), "image/svg+xml"),
        "svg wrapping 20000x20000 png": data_uri(
            svg_wrapping(png_header_only(20_000, 20_000)), "image/svg+xml"
        ),
        "png decompression bomb": data_uri(png_header_only(50_000, 50_000), "image/png"),
    }


def largest_allowed_logos() -> dict[str, str]:
    """Logos just inside the limits: each costs a render process about a second."""
    many = (
        b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">'
        + b'<rect x="1" y="2" width="50" height="50" fill="#123"/>' * 600
        + b"</svg>"
    )
    out = io.BytesIO()
    Image.new("RGB", (4096, 4096), (10, 20, 30)).save(out, "PNG")
    return {
        "600 elements (allowed)": data_uri(many, "image/svg+xml"),
        "4096x4096 png (allowed)": data_uri(out.getvalue(), "image/png"),
    }


def api_pid(port: int) -> int:
    """The API process that `api_process` started on `port` (its last argument)."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if len(args) > 2 and args[-2] == str(port).encode() and b"uvicorn" in b"".join(args):
            return int(cmdline.parent.name)
    raise AssertionError(f"no API process on port {port}")


def rss(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) * 1024


def render_request(uri: str) -> dict[str, object]:
    return {
        "dataType": "URL",
        "data": {"url": "https://example.com/logo"},
        "style": {"logo": {"data": uri}, "errorCorrection": "H"},
        "size": 1024,
    }


# One backend: nothing here depends on the database's kind, and the test takes ~10 s.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_issue10_hostile_logos_do_not_stall_redirects_or_swell_the_api(
    gql, key, api_process
) -> None:
    body = await gql(key, CREATE, i={"destination": "https://example.com/timed"})
    slug = body["data"]["createLink"]["link"]["slug"]
    hostile = hostile_logos()
    async with api_process() as port:
        pid = api_pid(port)
        headers = {"Authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            for _ in range(20):  # warm: the link cached
                assert (await http.get(f"/r/{slug}")).status_code == 302
            before = peak = rss(pid)
            # The largest logos allowed still draw (each is about a second of honest work in a
            # render process, so they stay out of the timed window below).
            for name, uri in largest_allowed_logos().items():
                response = await http.post("/api/qr", json=render_request(uri), headers=headers)
                assert response.status_code == 200, (name, response.text)
                image = Image.open(io.BytesIO(response.content)).convert("RGB")
                assert [r.text for r in zxingcpp.read_barcodes(image)] == [
                    "https://example.com/logo"
                ]
                peak = max(peak, rss(pid))

            answers: dict[str, set[int]] = {name: set() for name in hostile}
            timing = True

            async def attack() -> None:
                for _ in range(MAX_ROUNDS):
                    sent = [
                        http.post("/api/qr", json=render_request(uri), headers=headers)
                        for uri in hostile.values()
                    ]
                    for name, response in zip(hostile, await asyncio.gather(*sent), strict=True):
                        answers[name].add(response.status_code)
                    if not timing:
                        return
                    await asyncio.sleep(ROUND_PAUSE)

            async def timed() -> float:
                """The p99 of TIMED_REDIRECTS redirects, in seconds."""
                nonlocal peak
                times = []
                for _ in range(TIMED_REDIRECTS):
                    started = time.perf_counter()
                    response = await http.get(f"/r/{slug}")
                    times.append(time.perf_counter() - started)
                    assert response.status_code == 302
                    peak = max(peak, rss(pid))
                    await asyncio.sleep(0.005)
                return sorted(times)[int(len(times) * 0.99) - 1]

            quiet = await timed()
            attacking = asyncio.create_task(attack())
            p99 = await timed()
            timing = False
            await attacking
            peak = max(peak, rss(pid))

    assert answers == {name: {422} for name in hostile}
    # On a machine of its own a quiet redirect's p99 is a few ms and the 50 ms bound is what
    # counts; on a host so busy that quiet redirects alone take a quarter of it (a shared CI
    # box, load average 15 on 2 cores here), the bound is four times theirs. The stall this
    # guards against, before the fix, was 4.6 s and more.
    bound = max(REDIRECT_P99, 4 * quiet)
    assert p99 < bound, f"redirect p99 {p99 * 1000:.1f} ms (quiet {quiet * 1000:.1f} ms)"
    assert peak - before < RSS_GROWTH, f"API RSS {before >> 20} -> {peak >> 20} MB"
