"""An operator's keys and workspaces commands, run as real processes on the SQLite default."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CLI = [sys.executable, "-m", "qrforge.cli"]


def shown_prefix(secret: str) -> str:
    """What lists show of a key: qrf_ and its 8-character prefix, never the secret part."""
    return secret.strip()[:12]


@pytest.fixture
def qrforge(tmp_path: Path):  # type: ignore[no-untyped-def]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("QRFORGE_")}
    env = {**clean, "QRFORGE_DATA_DIR": str(tmp_path / "var")}

    def run(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=60)
        assert (done.returncode == 0) is ok, done.stderr
        return done

    run("migrate")
    return run


def test_issue15_keys_list_shows_prefix_scopes_and_last_use(qrforge) -> None:  # type: ignore[no-untyped-def]
    secret = qrforge("keys", "create", "--workspace", "acme", "--scopes", "links:read").stdout
    qrforge("keys", "create", "--workspace", "globex", "--name", "deploy")
    prefix = shown_prefix(secret.strip())

    listed = qrforge("keys", "list").stdout.splitlines()
    assert listed[0].split() == ["WORKSPACE", "PREFIX", "NAME", "SCOPES", "CREATED", "LAST", "USED"]
    acme = next(line for line in listed if line.startswith("acme"))
    assert acme.split()[1:4] == [prefix, "cli", "links:read"]
    assert acme.endswith("-")  # never used
    assert [
        line.split()[0]
        for line in qrforge("keys", "list", "--workspace", "globex").stdout.splitlines()[1:]
    ] == ["globex"]
    assert secret.strip() not in qrforge("keys", "list").stdout


def test_issue15_keys_revoke_by_prefix_removes_the_key(qrforge) -> None:  # type: ignore[no-untyped-def]
    secret = qrforge("keys", "create", "--workspace", "acme").stdout.strip()
    prefix = shown_prefix(secret)
    assert "Revoked" in qrforge("keys", "revoke", prefix).stdout
    assert prefix not in qrforge("keys", "list").stdout
    again = qrforge("keys", "revoke", prefix, ok=False)
    assert "not found" in again.stderr


def test_issue15_workspaces_create_set_limits_and_list(qrforge) -> None:  # type: ignore[no-untyped-def]
    assert "Created workspace 'acme'" in qrforge("workspaces", "create", "acme").stdout
    assert "Already there" in qrforge("workspaces", "create", "acme").stdout
    answer = qrforge(
        "workspaces", "set-limits", "acme", "--links-per-day", "5", "--requests-per-minute", "30"
    ).stdout
    assert "5 links" in answer and "100000 codes" in answer and "30 requests" in answer
    row = next(
        line
        for line in qrforge("workspaces", "list").stdout.splitlines()
        if line.startswith("acme")
    )
    assert row.split() == ["acme", "0/5", "0/100000", "0/10000", "30"]

    qrforge("workspaces", "set-limits", "acme", "--links-per-day", "default")
    row = next(
        line
        for line in qrforge("workspaces", "list").stdout.splitlines()
        if line.startswith("acme")
    )
    assert row.split()[1] == "0/100000"


def test_issue15_set_limits_refuses_nonsense(qrforge) -> None:  # type: ignore[no-untyped-def]
    qrforge("workspaces", "create", "acme")
    assert (
        "positive"
        in qrforge("workspaces", "set-limits", "acme", "--links-per-day", "0", ok=False).stderr
    )
    assert (
        "not found"
        in qrforge("workspaces", "set-limits", "nope", "--links-per-day", "3", ok=False).stderr
    )
    assert (
        "whole number"
        in qrforge("workspaces", "set-limits", "acme", "--codes-per-day", "x", ok=False).stderr
    )


def test_issue15_import_reports_refused_rows_and_exits_1(qrforge) -> None:  # type: ignore[no-untyped-def]
    bitly = Path(__file__).parent / "fixtures" / "imports" / "bitly.csv"
    done = qrforge("import", str(bitly), "--workspace", "acme", "--format", "bitly", ok=False)
    assert done.returncode == 1
    assert "Imported 2 links into 'acme'; 1 rows refused." in done.stdout
    assert "row 3, createdAt: Not a date: 'yesterday'." in done.stderr
    again = qrforge("import", str(bitly), "--workspace", "acme", "--format", "bitly", ok=False)
    assert "Imported 0 links" in again.stdout and "row 1, slug" in again.stderr


def test_issue15_import_of_an_unreadable_file_says_why(qrforge, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    junk = tmp_path / "links.json"
    junk.write_text("<html>")
    done = qrforge("import", str(junk), "--workspace", "acme", "--format", "kutt", ok=False)
    assert "not JSON" in done.stderr
