"""Issue 10, item 8: signed URLs stay out of the access log; routine lines go to DEBUG."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from app.logs import install


@contextmanager
def captured(name: str) -> Iterator[io.StringIO]:
    logger = logging.getLogger(name)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger.addHandler(handler)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)


def access(path: str) -> None:
    # How uvicorn writes an access line.
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d', "127.0.0.1:50000", "GET", path, "1.1", 200
    )


def test_issue10_signed_query_strings_are_dropped_from_the_access_log() -> None:
    install()
    uvicorn.Config(app="app.main:create_app", log_level="info").configure_logging()  # as run
    with captured("uvicorn.access") as out:
        access("/qr/12.png?size=512&exp=1767225600&sig=Zm9vYmFy")
        access("/bulk/3/result?exp=1767225600&sig=YmF6")
        access("/api/qr?data=hello&size=256")
    lines = out.getvalue().splitlines()
    assert "sig=" not in out.getvalue() and "Zm9vYmFy" not in out.getvalue()
    assert '"GET /qr/12.png?… HTTP/1.1" 200' in lines[0]
    assert '"GET /bulk/3/result?… HTTP/1.1" 200' in lines[1]
    assert "/api/qr?data=hello&size=256" in lines[2]


def test_issue10_sweeps_and_orm_start_stop_log_at_debug_only() -> None:
    install()
    arq, orm = logging.getLogger("arq.worker"), logging.getLogger("tortoise")
    before = arq.level, orm.level
    try:
        arq.setLevel(logging.INFO)
        orm.setLevel(logging.INFO)
        with captured("arq.worker") as jobs, captured("tortoise") as tortoise:
            sweep = "qrforge:sweep_bulk_jobs:1767225600000:sweep_bulk_jobs"
            arq.info("%6.2fs → %s(%s)%s", 0.01, sweep, "", "")
            arq.info("%6.2fs ← %s ● %s", 0.02, sweep, 0)
            arq.info("%6.2fs → %s(%s)%s", 0.01, "abc123:render_code", "7", "")
            orm.info("Tortoise-ORM startup\n    connections: %s\n    apps: %s", {}, {})
            orm.info("Tortoise-ORM shutdown")
            arq.setLevel(logging.DEBUG)
            arq.info("%6.2fs → %s(%s)%s", 0.01, sweep, "", "")
        lines = jobs.getvalue().splitlines()
        assert lines == ["INFO   0.01s → abc123:render_code(7)", f"DEBUG   0.01s → {sweep}()"]
        assert tortoise.getvalue() == ""
    finally:
        arq.setLevel(before[0])
        orm.setLevel(before[1])
