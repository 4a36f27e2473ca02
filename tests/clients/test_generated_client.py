"""The generated part of the Python client matches schema.graphql and its operations."""

from __future__ import annotations

import filecmp
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).parents[2]
CLIENT = ROOT / "clients" / "python"
CODEGEN = ROOT / ".venv-codegen" / "bin" / "ariadne-codegen"


def _differences(left: Path, right: Path) -> list[str]:
    compared = filecmp.dircmp(left, right, ignore=["__pycache__"])
    found = [*compared.left_only, *compared.right_only, *compared.diff_files]
    for name, sub in compared.subdirs.items():
        found += [f"{name}/{d}" for d in _differences(Path(sub.left), Path(sub.right))]
    return found


def test_issue15_the_generated_client_is_up_to_date(tmp_path: Path) -> None:
    assert CODEGEN.exists(), (
        "ariadne-codegen is missing: `make client` (or `make test`) installs it"
    )
    shutil.copy(ROOT / "schema.graphql", tmp_path / "schema.graphql")
    fresh = tmp_path / "clients" / "python"
    shutil.copytree(CLIENT / "operations", fresh / "operations")
    (fresh / "qrforge_client").mkdir()
    for kind in ("aio", "sync"):
        shutil.copy(CLIENT / f"codegen-{kind}.toml", fresh)
        subprocess.run(
            [CODEGEN, "--config", f"codegen-{kind}.toml", "client"],
            cwd=fresh, check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        stale = _differences(CLIENT / "qrforge_client" / kind, fresh / "qrforge_client" / kind)
        assert not stale, f"clients/python is stale against schema.graphql ({stale}): `make client`"
