from __future__ import annotations

from pathlib import Path

import pytest

from app.settings import Settings, SettingsError


def test_defaults_are_the_embedded_setup() -> None:
    settings = Settings.from_env({})
    assert settings.embedded_redis
    assert settings.effective_database_url == "sqlite://var/qrforge.sqlite3"
    assert settings.public_url == "http://localhost:8000"
    assert settings.allow_private_targets is False


def test_postgresql_spelling_is_accepted() -> None:
    settings = Settings.from_env({"QRFORGE_DATABASE_URL": "postgresql://u@db:5432/qr"})
    assert settings.database_url == "postgres://u@db:5432/qr"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("QRFORGE_DATABASE_URL", "mysql://x/y"),
        ("QRFORGE_REDIS_URL", "http://localhost:6379"),
        ("QRFORGE_PUBLIC_URL", "localhost:8000"),
        ("QRFORGE_ALLOW_PRIVATE_TARGETS", "maybe"),
        ("QRFORGE_GEOIP_DB", "/nonexistent/file.mmdb"),
        ("QRFORGE_REDIS_NAMESPACE", "has space"),
        ("QRFORGE_BULK_JOB_TIMEOUT", "0"),
        ("QRFORGE_SCAN_RECLAIM_IDLE_MS", "2.5"),
    ],
)
def test_a_bad_value_names_its_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})


def test_job_timeouts_are_read() -> None:
    env = {"QRFORGE_JOB_TIMEOUT": "5", "QRFORGE_BULK_JOB_TIMEOUT": "15"}
    settings = Settings.from_env(env)
    assert (settings.job_timeout, settings.bulk_job_timeout) == (5, 15)
    assert Settings.from_env({}).bulk_job_timeout == 600


def test_scan_reclaim_idle_time_is_read() -> None:
    assert Settings.from_env({"QRFORGE_SCAN_RECLAIM_IDLE_MS": "1500"}).scan_reclaim_idle_ms == 1500
    assert Settings.from_env({}).scan_reclaim_idle_ms == 30_000


def test_secret_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    settings = Settings.from_env({"QRFORGE_DATA_DIR": str(tmp_path)})
    first = settings.with_secret_key().secret_key
    assert len(first) > 40
    assert settings.with_secret_key().secret_key == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_a_configured_secret_key_wins(tmp_path: Path) -> None:
    env = {"QRFORGE_DATA_DIR": str(tmp_path), "QRFORGE_SECRET_KEY": "given"}
    assert Settings.from_env(env).with_secret_key().secret_key == "given"
    assert not (tmp_path / "secret_key").exists()


def test_result_storage_settings_are_read() -> None:
    env = {"QRFORGE_STORAGE_URL": "s3://labels/qr?endpoint=http://127.0.0.1:9000",
           "QRFORGE_RESULT_TTL": "3600"}  # fmt: skip
    settings = Settings.from_env(env)
    assert (settings.storage_url, settings.result_ttl) == (env["QRFORGE_STORAGE_URL"], 3600)
    assert (Settings.from_env({}).storage_url, Settings.from_env({}).result_ttl) == ("", 604800)


@pytest.mark.parametrize("value", ["https://bucket/prefix", "s3:///no-bucket"])
def test_a_storage_url_that_is_not_s3_names_its_variable(value: str) -> None:
    with pytest.raises(SettingsError, match="QRFORGE_STORAGE_URL"):
        Settings.from_env({"QRFORGE_STORAGE_URL": value})
