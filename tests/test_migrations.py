"""The migrations describe the models: a model change without its migration fails here."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_the_migrations_match_the_models(tmp_path: Path) -> None:
    # Tortoise's own autodetector, as `makemigrations` runs it. When it finds a change it
    # also writes the migration into app/migrations: the file this test asks for.
    env = {**os.environ, "QRFORGE_DATABASE_URL": f"sqlite://{tmp_path / 'db.sqlite3'}"}
    done = subprocess.run(
        [sys.executable, "-m", "tortoise", "-c", "app.db.TORTOISE_ORM", "makemigrations"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "No changes detected" in done.stdout, done.stdout
