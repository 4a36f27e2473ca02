from __future__ import annotations

import asyncio
import io
import os
import signal
import time
from pathlib import Path

import httpx
import pytest
import zxingcpp
from PIL import Image

from app.errors import InvalidInput
from app.rendering.pool import RenderPool
from app.rendering.render import RenderTask, render
from app.rendering.style import Style
from app.settings import Settings

STYLED = Style.from_dict({"module_shape": "ROUNDED"})  # one the scannability guard accepts


def task(text: str, size: int = 512, style: Style = STYLED) -> RenderTask:
    return (text, style.to_dict(), "PNG", size, None)


def decode(data: bytes) -> str:
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(data)).convert("RGB"))
    assert len(results) == 1
    return results[0].text


def render_processes() -> set[int]:
    """The children of this process's fork server (Linux /proc). The fork server itself
    serves every pool and lives as long as this process does."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError):
            continue  # ended while we looked
    servers = {
        pid
        for pid, parent in parents.items()
        if parent == os.getpid() and b"forkserver" in _cmdline(pid)
    }
    return {pid for pid, parent in parents.items() if parent in servers}


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


async def test_render_one_draws_and_refuses_as_the_renderer_does() -> None:
    pool = RenderPool(workers=1)
    try:
        rendered = await pool.render_one(task("https://example.com/pool"))
        assert rendered == render("https://example.com/pool", STYLED, "PNG", size=512)
        assert decode(rendered.data) == "https://example.com/pool"
        too_long = task("€" * 1024, style=Style(error_correction="H"))
        for refused in (task("x" * 200, size=64), too_long):
            with pytest.raises(InvalidInput) as expected:
                render(refused[0], Style.from_dict(refused[1]), "PNG", size=refused[3])
            with pytest.raises(InvalidInput) as error:
                await pool.render_one(refused)
            assert error.value.problems == expected.value.problems
        assert {p.code for p in error.value.problems} == {"TOO_LONG"}
    finally:
        await pool.shutdown()


async def test_an_image_miss_does_not_wait_for_a_whole_bulk_job() -> None:
    pool = RenderPool(workers=2)
    try:
        tasks = [task(f"bulk {i}") for i in range(400)]
        started = time.perf_counter()
        bulk = asyncio.create_task(pool.render_many(tasks))
        await asyncio.sleep(0.1)  # its first images are in the pool
        asked = time.perf_counter()
        miss = await pool.render_one(task("a miss"))
        waited = time.perf_counter() - asked
        images = await bulk
        whole = time.perf_counter() - started
        assert decode(miss.data) == "a miss"
        assert waited < whole / 4, (waited, whole)
        assert len(images) == len(tasks)
        for i in (0, 199, 399):  # in order
            image = images[i]
            assert isinstance(image, bytes) and decode(image) == f"bulk {i}"
    finally:
        await pool.shutdown()


async def test_bulk_renders_say_why_an_image_cannot_be_drawn() -> None:
    pool = RenderPool(workers=1)
    try:
        drawn, refused = await pool.render_many([task("fine"), task("x" * 200, size=64)])
    finally:
        await pool.shutdown()
    assert isinstance(drawn, bytes) and decode(drawn) == "fine"
    assert isinstance(refused, str) and "64 px" in refused


async def test_a_pool_whose_process_died_starts_anew() -> None:
    before = render_processes()
    pool = RenderPool(workers=1)
    try:
        await pool.render_one(task("first"))
        (process,) = render_processes() - before
        os.kill(process, signal.SIGKILL)
        # Tried once more in a fresh process rather than failing with the one that died.
        assert decode((await pool.render_one(task("as it died"))).data) == "as it died"
        assert process not in render_processes()
        assert decode((await pool.render_one(task("after"))).data) == "after"
    finally:
        await pool.shutdown()


def sleepy_svg_logo() -> bytes:
    return (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        b'<rect width="10" height="10"/></svg>'
    )


async def test_issue10_a_render_past_its_time_limit_is_refused_and_the_pool_serves_on() -> None:
    pool = RenderPool(workers=1, timeout=0.2)
    try:
        started = time.perf_counter()
        with pytest.raises(InvalidInput) as error:
            # 4096 px PNG with dots and a gradient: over a second here
            await pool.render_one((
                "https://example.com/" + "x" * 600,
                Style.from_dict({
                    "module_shape": "DOTS", "finder_shape": "ROUNDED", "error_correction": "H",
                    "gradient": {"type": "RADIAL", "stops": [{"color": "#000000"},
                                                              {"color": "#0000FF"}]},
                }).to_dict(), "PNG", 4096, None,
            ))  # fmt: skip
        assert time.perf_counter() - started < 3
        [problem] = error.value.problems
        assert problem.code == "RENDER_LIMIT" and "0.2 s of CPU" in problem.message
        assert decode((await pool.render_one(task("next"))).data) == "next"
    finally:
        await pool.shutdown()


async def test_issue10_a_render_past_its_memory_limit_is_refused_and_the_pool_serves_on() -> None:
    probe = RenderPool(workers=1)
    before = render_processes()
    try:
        await probe.render_one(task("probe"))
        (process,) = render_processes() - before
        status = Path(f"/proc/{process}/status").read_text()
        resting = int(status.split("VmSize:")[1].split()[0]) * 1024  # an idle process's
    finally:
        await probe.shutdown()
    pool = RenderPool(workers=1, memory=resting + 64 * 2**20)
    try:
        with pytest.raises(InvalidInput) as error:
            # A 4096 px JPEG with a gradient holds several full-size RGBA images at once.
            await pool.render_one((
                "https://example.com/memory",
                Style.from_dict({"gradient": {"type": "LINEAR", "stops": [
                    {"color": "#000000"}, {"color": "#0000FF"}]}}).to_dict(),
                "JPEG", 4096, None,
            ))  # fmt: skip
        [problem] = error.value.problems
        assert problem.code == "RENDER_LIMIT", problem
        assert decode((await pool.render_one(task("next"))).data) == "next"
    finally:
        await pool.shutdown()


async def test_issue10_a_render_past_its_wall_clock_limit_is_refused() -> None:
    pool = RenderPool(workers=1, wall_timeout=0.05)
    try:
        with pytest.raises(InvalidInput) as error:
            await pool.render_one(task("slow", size=4096))
        assert "0.05 s" in error.value.problems[0].message
    finally:
        await pool.shutdown()


async def test_issue10_check_logo_decodes_in_the_pool() -> None:
    pool = RenderPool(workers=1)
    try:
        await pool.check_logo(sleepy_svg_logo())
        with pytest.raises(InvalidInput) as error:
            await pool.check_logo(b"<svg><use href='#a' id='a'/></svg>")
        assert error.value.problems[0].code == "INVALID_LOGO"
    finally:
        await pool.shutdown()


async def test_the_lifespan_stops_the_render_processes(settings: Settings, run_app) -> None:
    async with run_app(settings) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            response = await c.get("/api/qr", params={"data": "rendered in a process"})
        assert response.status_code == 200 and response.headers["x-cache"] == "MISS"
        during = render_processes()
        assert during, "the miss rendered in no other process"
    assert not during & render_processes()
