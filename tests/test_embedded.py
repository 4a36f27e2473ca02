"""The embedded redis-server: its memory policy, its lifetime, its files (issue 10, item 8)."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from app.embedded import EmbeddedRedis
from tests.test_cli import CLI, _free_port, _stop


def test_issue10_embedded_redis_has_a_memory_bound_that_spares_queues(tmp_path: Path) -> None:
    with EmbeddedRedis(tmp_path / "redis") as embedded:
        client = redis.Redis.from_url(embedded.url)
        try:
            assert int(client.config_get("maxmemory")["maxmemory"]) == 512 * 2**20
            assert client.config_get("maxmemory-policy")["maxmemory-policy"] == "volatile-lru"
        finally:
            client.close()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("QRFORGE_")}
    return {**clean, "QRFORGE_DATA_DIR": str(tmp_path / "var")}


def _serve(env: dict[str, str], port: int) -> tuple[subprocess.Popen[str], list[str]]:
    """`qrforge serve`, up once uvicorn says it listens (a first start migrates: slow on a
    busy machine, hence the minute and a half)."""
    process = subprocess.Popen(
        [*CLI, "serve", "--port", str(port)],
        env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    lines: list[str] = []
    assert process.stdout is not None
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        lines.append(line)
        if "Uvicorn running on" in line:
            return process, lines
    process.kill()
    process.stdout.close()
    raise AssertionError("serve did not start:\n" + "".join(lines))


def redis_servers_on(data_dir: Path) -> list[int]:
    """Live redis-server processes working in `data_dir` (their --dir; Linux /proc)."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (proc / "cmdline").read_bytes()
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
            cwd = os.readlink(proc / "cwd")
        except OSError:
            continue
        if state != "Z" and b"redis-server" in cmdline and cwd == str(data_dir):
            found.append(int(proc.name))
    return found


def wait_for(condition: Callable[[], bool], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.mark.timeout(240)
def test_issue10_kill_9_of_serve_takes_its_redis_along_and_a_restart_runs_one(
    env: dict[str, str], tmp_path: Path
) -> None:
    redis_dir = (tmp_path / "var" / "redis").resolve()
    process, _ = _serve(env, _free_port())
    try:
        [first] = redis_servers_on(redis_dir)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.stdout:
            process.stdout.close()
    assert wait_for(lambda: redis_servers_on(redis_dir) == []), "redis-server outlived serve"
    process, _ = _serve(env, _free_port())
    try:
        assert len(redis_servers_on(redis_dir)) == 1
        # Owner-only: webhook secrets in SQLite, raw IPs in the AOF, the secret key.
        data_dir = tmp_path / "var"
        assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
        for name in ("qrforge.sqlite3", "secret_key", "redis"):
            mode = stat.S_IMODE((data_dir / name).stat().st_mode)
            assert mode & 0o077 == 0, (name, oct(mode))
        for path in redis_dir.rglob("*"):
            assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
    finally:
        _stop(process)
    assert wait_for(lambda: redis_servers_on(redis_dir) == [])


def test_issue10_two_embedded_redis_never_share_a_data_dir(tmp_path: Path) -> None:
    with EmbeddedRedis(tmp_path / "redis") as first:
        with pytest.raises(RuntimeError, match="another qrforge serve"):
            EmbeddedRedis(tmp_path / "redis").start()
        assert redis.Redis.from_url(first.url).ping()
        # A parent that died without its redis-server dying too (its lock gone with it):
        # the next start stops the leftover before starting its own.
        assert first._lock is not None
        os.close(first._lock)
        first._lock = None
        leftover = first.process
        assert leftover is not None
        with EmbeddedRedis(tmp_path / "redis") as second:
            assert leftover.wait(timeout=15) is not None
            assert redis_servers_on((tmp_path / "redis").resolve()) == [second.process.pid]
