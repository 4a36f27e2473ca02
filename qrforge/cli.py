"""qrforge serve | worker | migrate | keys | workspaces | import | schema.

The process entry points, above both halves: they hand the app (app/) the job queue and,
on the embedded default, the worker (workers/), which the app itself never imports.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tortoise import Tortoise
from tortoise.migrations.api import migrate as tortoise_migrate

from app import logs, operators
from app.db import tortoise_config
from app.domain.imports import formats
from app.domain.workspaces import services
from app.domain.workspaces.services import LIMIT_FIELDS
from app.settings import Settings, SettingsError

if TYPE_CHECKING:
    from starlette.applications import Starlette

DEFAULT_WORKSPACE = "default"
SCHEMA_FILE = Path("schema.graphql")


async def migrate(settings: Settings) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        await tortoise_migrate(config=tortoise_config(settings.effective_database_url))
    finally:
        await Tortoise.close_connections()


async def create_key(settings: Settings, workspace: str, name: str, scopes: list[str]) -> str:
    async def create() -> str:
        ws = await services.ensure_workspace(workspace)
        _, secret = await services.create_key(ws.id, name, scopes)
        return secret

    return await operators.with_database(settings, create)


async def add_domain(settings: Settings, workspace: str, hostname: str) -> str:
    """`qrforge domains add`: the operator vouches for the domain (they control its DNS)."""
    from app.domain.domains import services
    from app.domain.workspaces.models import Workspace
    from app.errors import NotFound

    ws = await Workspace.get_or_none(name=workspace)
    if ws is None:
        raise NotFound.of(f"Workspace '{workspace}'")
    domain = await services.add_verified(ws.id, hostname, settings.public_url)
    scheme = settings.public_url.split("://", 1)[0]
    return (
        f"Added {domain.hostname} to workspace '{workspace}', verified: its links are "
        f"{scheme}://{domain.hostname}/<slug> (running API processes see it within 30 s)."
    )


async def first_start_key(settings: Settings) -> str | None:
    """On a brand-new install, the default workspace's admin key (None once any key exists)."""
    from app.domain.workspaces.models import ApiKey

    await Tortoise.init(config=tortoise_config(settings.effective_database_url))
    try:
        has_keys = await ApiKey.exists()
    finally:
        await Tortoise.close_connections()
    if has_keys:
        return None
    return await create_key(settings, DEFAULT_WORKSPACE, "admin", ["*"])


def build_app(settings: Settings, *, embedded_worker: bool = False) -> Starlette:
    """The API queueing its jobs on arq; with `embedded_worker`, the worker runs inside it."""
    from app.main import create_app
    from workers.queue import ArqJobs
    from workers.settings import run_embedded

    return create_app(settings, jobs=ArqJobs, worker=run_embedded if embedded_worker else None)


def owner_only(data_dir: Path) -> None:
    """The data dir 0700 and what is in it (two levels: the SQLite file, redis/*) 0600, for
    data dirs made before files were created owner-only."""
    if not data_dir.is_dir():
        return
    for path in (data_dir, *data_dir.iterdir(), *data_dir.glob("*/*")):
        if not path.is_symlink():
            path.chmod(0o700 if path.is_dir() else 0o600)


def _exit_quietly(signum: int, frame: object) -> None:
    raise SystemExit(0)


def public_url_for(settings: Settings, environ: dict[str, str], host: str, port: int) -> Settings:
    """Without QRFORGE_PUBLIC_URL, codes and links point at the address being served."""
    if environ.get("QRFORGE_PUBLIC_URL", "").strip():
        return settings
    shown = "localhost" if host in ("127.0.0.1", "::1", "0.0.0.0", "::", "") else host
    if ":" in shown:  # an IPv6 literal
        shown = f"[{shown}]"
    return replace(settings, public_url=f"http://{shown}:{port}")


def serve(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    from app.embedded import EmbeddedRedis

    # uvicorn shuts down gracefully, then re-raises the signal it caught into the handler
    # that was there before it: ours, which exits normally so the Redis child is stopped too.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _exit_quietly)
    with ExitStack() as stack:
        embedded = settings.embedded_redis
        if embedded:
            redis = stack.enter_context(EmbeddedRedis(settings.data_dir / "redis"))
            settings = replace(settings, redis_url=redis.url)
            print(f"Embedded Redis: {redis.url} (data in {redis.data_dir})", flush=True)
            asyncio.run(migrate(settings))
        if key := asyncio.run(first_start_key(settings)):
            print(f"First start: an admin key for workspace '{DEFAULT_WORKSPACE}' (shown once):")
            print(f"  {key}")
        print(f"GraphiQL: http://{host}:{port}/graphql", flush=True)
        print(
            f"Short links and QR codes will point at {settings.public_url}/r/<slug> "
            "(set QRFORGE_PUBLIC_URL to the address phones reach)",
            flush=True,
        )
        uvicorn.run(
            build_app(settings, embedded_worker=embedded),
            host=host,
            port=port,
            log_level="info",
            **server_options(settings),
        )


def server_options(settings: Settings) -> dict[str, Any]:
    """What uvicorn is told besides where to listen (tests serve the app with these too)."""
    return {
        # Forwarded headers are read by the app, from QRFORGE_TRUSTED_PROXIES only;
        # uvicorn's own reading would take them from any loopback peer.
        "proxy_headers": False,
        # A websocket message is held to the HTTP body limit (uvicorn's own is 16 MB).
        "ws_max_size": settings.max_body_bytes,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="qrforge")
    commands = parser.add_subparsers(dest="command", required=True)
    serve_cmd = commands.add_parser("serve", help="run the API (embedded: Redis and worker too)")
    serve_cmd.add_argument("--host", default="127.0.0.1")
    serve_cmd.add_argument("--port", type=int, default=8000)
    commands.add_parser("worker", help="run a worker")
    commands.add_parser("migrate", help="apply database migrations")
    commands.add_parser("schema", help="write schema.graphql")
    keys_cmd = commands.add_parser("keys", help="manage API keys").add_subparsers(
        dest="keys_command", required=True
    )
    create = keys_cmd.add_parser("create", help="create a key (and the workspace if needed)")
    create.add_argument("--workspace", required=True)
    create.add_argument("--scopes", default="*", help="comma-separated, default *")
    create.add_argument("--name", default="cli")
    domains_cmd = commands.add_parser("domains", help="manage custom domains").add_subparsers(
        dest="domains_command", required=True
    )
    add_domain = domains_cmd.add_parser(
        "add", help="add a domain as verified (you control its DNS)"
    )
    add_domain.add_argument("hostname")
    add_domain.add_argument("--workspace", required=True)
    listing = keys_cmd.add_parser("list", help="keys that still work, with when each was used")
    listing.add_argument("--workspace", help="only this workspace's")
    revoke = keys_cmd.add_parser("revoke", help="revoke a key by the prefix `keys list` shows")
    revoke.add_argument("prefix")
    spaces = commands.add_parser("workspaces", help="manage workspaces and their quotas")
    spaces_cmd = spaces.add_subparsers(dest="workspaces_command", required=True)
    spaces_cmd.add_parser("list", help="workspaces with quotas and the last 24 hours' usage")
    spaces_cmd.add_parser("create", help="create a workspace").add_argument("name")
    limits = spaces_cmd.add_parser("set-limits", help="set quotas ('default' restores one)")
    limits.add_argument("name")
    for flag in ("links-per-day", "codes-per-day", "bulk-items-per-day", "requests-per-minute"):
        limits.add_argument(
            f"--{flag}", type=_limit, metavar="N|default", default=argparse.SUPPRESS
        )
    imports = commands.add_parser(
        "import", help="import links from an export (exits 1 if any row was refused)"
    )
    imports.add_argument("file")
    imports.add_argument("--workspace", required=True)
    imports.add_argument("--format", required=True, choices=formats.FORMATS)
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logs.install()
    if args.command == "schema":
        from app.graphql.schema import schema_sdl

        SCHEMA_FILE.write_text(schema_sdl())
        print(f"wrote {SCHEMA_FILE}")
        return
    # Everything we write is our own user's alone: the SQLite file (webhook secrets), the
    # Redis AOF (raw IPs and user agents), the secret key; redis-server inherits the umask.
    os.umask(0o077)
    try:
        settings = Settings.from_env().with_secret_key()
    except SettingsError as error:
        sys.exit(f"qrforge: {error}")
    owner_only(settings.data_dir)

    if args.command == "serve":
        settings = public_url_for(settings, dict(os.environ), args.host, args.port)
        serve(settings, args.host, args.port)
    elif args.command == "worker":
        if settings.embedded_redis:
            sys.exit("qrforge worker: set QRFORGE_REDIS_URL (the embedded Redis lives in serve)")
        from workers.settings import run_worker

        asyncio.run(run_worker(settings))
    elif args.command == "migrate":
        asyncio.run(migrate(settings))
        print("migrations applied")
    elif args.command == "import":
        _import(settings, args)
    elif args.command in ("keys", "workspaces", "domains"):
        from app.errors import DomainError

        try:
            print(asyncio.run(_operate(settings, args)))
        except DomainError as error:
            sys.exit(f"qrforge {_subcommand(args)}: {error}")


def _import(settings: Settings, args: argparse.Namespace) -> None:
    work = lambda: operators.import_file(args.workspace, args.file, args.format)  # noqa: E731
    try:
        report = asyncio.run(operators.with_database(settings, work))
    except (OSError, ValueError) as error:
        sys.exit(f"qrforge import: {args.file}: {error}")
    for problem in report.errors:
        print(f"row {problem.row}, {problem.field}: {problem.message}", file=sys.stderr)
    refused = len({problem.row for problem in report.errors})
    print(f"Imported {report.created} links into '{args.workspace}'; {refused} rows refused.")
    if refused:
        sys.exit(1)


def _limit(value: str) -> int | None:
    if value == "default":
        return None
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError("a whole number, or 'default'") from None


def _subcommand(args: argparse.Namespace) -> str:
    """ "keys list", "workspaces set-limits", …"""
    return f"{args.command} {getattr(args, f'{args.command}_command')}"


async def _operate(settings: Settings, args: argparse.Namespace) -> str:
    """The keys and workspaces commands: what each prints on stdout (logs go to stderr)."""
    if _subcommand(args) == "keys create":
        scopes = [s.strip() for s in args.scopes.split(",") if s.strip()]
        secret = await create_key(settings, args.workspace, args.name, scopes)
        print(f"A key for workspace '{args.workspace}' ({','.join(scopes)}):", file=sys.stderr)
        return secret
    work: dict[str, Callable[[], Awaitable[str]]] = {
        "keys list": lambda: operators.key_lines(args.workspace),
        "keys revoke": lambda: operators.revoke_key(args.prefix),
        "workspaces list": lambda: operators.workspace_lines(settings),
        "workspaces create": lambda: operators.create_workspace(args.name),
        "domains add": lambda: add_domain(settings, args.workspace, args.hostname),
        "workspaces set-limits": lambda: operators.set_limits(
            settings, args.name, {f: getattr(args, f) for f in LIMIT_FIELDS if f in args}
        ),
    }
    return await operators.with_database(settings, work[_subcommand(args)])


if __name__ == "__main__":
    main()
