"""The commands a newcomer and an operator type, run as real processes."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

CLI = [sys.executable, "-m", "qrforge.cli"]


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=60)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("QRFORGE_")}
    return {**clean, "QRFORGE_DATA_DIR": str(tmp_path / "var")}


def test_keys_create_prints_the_key_alone_on_stdout(env: dict[str, str]) -> None:
    assert run(["migrate"], env).returncode == 0
    result = run(
        [
            "keys",
            "create",
            "--workspace",
            "acme",
            "--scopes",
            "links:read,codes:read",
            "--name",
            "ci",
        ],
        env,
    )
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"qrf_[0-9a-f]{8}_[\w-]{32}\n", result.stdout)
    assert "acme" in result.stderr


def test_keys_create_refuses_unknown_scopes(env: dict[str, str]) -> None:
    run(["migrate"], env)
    result = run(["keys", "create", "--workspace", "acme", "--scopes", "links:read,root"], env)
    assert result.returncode != 0 and "root" in result.stderr


def test_a_bad_setting_stops_start_up_naming_the_variable(env: dict[str, str]) -> None:
    result = run(["migrate"], {**env, "QRFORGE_DATABASE_URL": "mysql://nope"})
    assert result.returncode != 0 and "QRFORGE_DATABASE_URL" in result.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(env: dict[str, str], port: int) -> tuple[subprocess.Popen[str], list[str]]:
    process = subprocess.Popen(
        [*CLI, "serve", "--port", str(port)],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    lines: list[str] = []
    assert process.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        lines.append(line)
        if "Uvicorn running on" in line:  # bound and listening (startup completes before)
            return process, lines
    process.kill()
    process.stdout.close()
    raise AssertionError("serve did not start:\n" + "".join(lines))


def _stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        assert process.wait(timeout=20) == 0
    finally:
        if process.stdout:
            process.stdout.close()


def _redis_children(lines: list[str]) -> list[str]:
    port = next(re.search(r"redis://127.0.0.1:(\d+)", x)[1] for x in lines if "Embedded Redis" in x)
    ps = subprocess.run(["ps", "-eww", "-o", "args"], capture_output=True, text=True).stdout
    return [line for line in ps.splitlines() if f"redis-server 127.0.0.1:{port}" in line]


@pytest.mark.timeout(120)
def test_embedded_serve_runs_keeps_data_and_stops_cleanly(env: dict[str, str]) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    process, lines = _serve(env, port)
    try:
        key = next(lines[i + 1].strip() for i, line in enumerate(lines) if "First start" in line)
        created = httpx.post(
            f"{base}/graphql",
            headers={"Authorization": f"Bearer {key}"},
            json={
                "query": 'mutation { createLink(input: {destination: "https://example.com/", '
                'slug: "hello"}) { link { slug shortUrl } } }'
            },
        )
        assert created.json()["data"]["createLink"]["link"]["slug"] == "hello"
        # issue 13: without QRFORGE_PUBLIC_URL, codes point at the port being served, and the
        # start says so.
        shown = f"http://localhost:{port}"
        assert created.json()["data"]["createLink"]["link"]["shortUrl"] == f"{shown}/r/hello"
        assert any(f"{shown}/r/<slug>" in line for line in lines)
        assert httpx.get(f"{base}/r/hello").status_code == 302
        assert httpx.get(f"{base}/healthz").json()["status"] == "ok"
        assert _redis_children(lines)
    finally:
        _stop(process)
    assert _redis_children(lines) == []

    process, lines = _serve(env, port)
    try:
        assert not any("First start" in line for line in lines)
        assert httpx.get(f"{base}/r/hello").status_code == 302
        viewer = httpx.post(
            f"{base}/graphql",
            headers={"Authorization": f"Bearer {key}"},
            json={"query": "{ viewer { workspace { name } } }"},
        )
        assert viewer.json()["data"]["viewer"]["workspace"]["name"] == "default"
    finally:
        _stop(process)


def test_issue13_domains_add_verifies_a_domain_for_a_workspace(env: dict[str, str]) -> None:
    assert run(["migrate"], env).returncode == 0
    assert run(["workspaces", "create", "acme"], env).returncode == 0
    added = run(["domains", "add", "Go.Acme.test", "--workspace", "acme"], env)
    assert added.returncode == 0, added.stderr
    assert "go.acme.test" in added.stdout and "verified" in added.stdout
    again = run(["domains", "add", "go.acme.test", "--workspace", "acme"], env)
    assert again.returncode != 0 and "already added" in again.stderr
    nobody = run(["domains", "add", "go.other.test", "--workspace", "nobody"], env)
    assert nobody.returncode != 0 and "nobody" in nobody.stderr
