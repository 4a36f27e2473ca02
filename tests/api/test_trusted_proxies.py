"""Client addresses against a real `qrforge serve`: forwarded headers count only from the
proxies in QRFORGE_TRUSTED_PROXIES, and IPv6 clients are limited per /64."""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from app.domain.workspaces import services as workspaces
from app.security.client_ip import parse_networks
from app.security.throttle import PASSWORD_ATTEMPTS_PER_MINUTE

LOCK = """mutation($i: CreateLinkInput!) { createLink(input: $i) {
  link { slug } userErrors { code } } }"""


@pytest.fixture
def serve(qrforge_serve: Any, redis_url: str, tmp_path: Path) -> Iterator[Any]:
    """serve(**env) -> (base URL, key) of a `qrforge serve` on SQLite, stopped afterwards."""
    namespace = f"qft{uuid.uuid4().hex[:12]}"
    started: list[Any] = []

    def start(**extra: str) -> tuple[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("QRFORGE_")} | {
            "QRFORGE_DATA_DIR": str(tmp_path / f"serve{len(started)}"),
            "QRFORGE_REDIS_URL": redis_url,
            "QRFORGE_REDIS_NAMESPACE": namespace,
            **extra,
        }
        context = qrforge_serve(env)
        started.append(context)
        return context.__enter__()  # type: ignore[no-any-return]

    try:
        yield start
    finally:
        for context in started:
            context.__exit__(None, None, None)
        with redis.Redis.from_url(redis_url) as client:
            for stale in client.scan_iter(match=f"{namespace}*"):
                client.delete(stale)


def locked_link(base: str, key: str, slug: str) -> None:
    body = httpx.post(
        f"{base}/graphql",
        headers={"Authorization": f"Bearer {key}"},
        json={
            "query": LOCK,
            "variables": {
                "i": {"destination": "https://example.com/", "slug": slug, "password": "right-one"}
            },
        },
    ).json()
    assert body["data"]["createLink"]["userErrors"] == [], body


def guess(base: str, slug: str, forwarded_for: str) -> int:
    return httpx.post(
        f"{base}/r/{slug}",
        data={"password": "wrong"},
        headers={"X-Forwarded-For": forwarded_for},
    ).status_code


def until_refused(base: str, slug: str, clients: Iterator[str]) -> int:
    """Guesses, each from the next client, until one is refused: how many were answered.
    The budget refills one guess every 6 s, so a slow machine may get a guess or two more."""
    for answered in range(2 * PASSWORD_ATTEMPTS_PER_MINUTE):
        status = guess(base, slug, next(clients))
        if status == 429:
            return answered
        assert status == 403
    raise AssertionError(f"{2 * PASSWORD_ATTEMPTS_PER_MINUTE} wrong passwords, never a 429")


@pytest.mark.timeout(120)
def test_issue10_forwarded_for_from_loopback_does_not_escape_the_password_limit(serve) -> None:
    base, key = serve()
    locked_link(base, key, "vault")
    # Before: uvicorn believed X-Forwarded-For from any loopback peer, so each guess came
    # from a "new client" and 30 wrong passwords never met a 429.
    changing = (f"198.51.100.{i}" for i in range(1, 255))
    assert until_refused(base, "vault", changing) >= PASSWORD_ATTEMPTS_PER_MINUTE


@pytest.mark.timeout(120)
def test_issue10_trusted_proxy_tells_clients_apart_and_ipv6_counts_per_64(serve) -> None:
    base, key = serve(QRFORGE_TRUSTED_PROXIES="127.0.0.1/32,::1")
    locked_link(base, key, "vault")
    # One client behind our proxy uses up its attempts ...
    assert until_refused(base, "vault", itertools.repeat("203.0.113.5")) >= (
        PASSWORD_ATTEMPTS_PER_MINUTE
    )
    # ... and prepending an address of its choice does not make it someone else ...
    assert guess(base, "vault", "192.0.2.44, 203.0.113.5") == 429
    # ... while another visitor behind the same proxy is not refused for it.
    assert guess(base, "vault", "198.51.100.7") == 403
    # An IPv6 client gets its attempts per /64, whichever addresses of it it uses.
    one_64 = (f"2001:db8:1:2::{i:x}" for i in range(1, 100))
    assert until_refused(base, "vault", one_64) >= PASSWORD_ATTEMPTS_PER_MINUTE
    assert guess(base, "vault", "2001:db8:1:3::1") == 403


async def test_issue10_anonymous_rendering_is_limited_per_ipv6_64(run_app, settings) -> None:
    async with run_app(replace(settings, anonymous_rate_limit_per_minute=3)) as app:

        def client(ip: str) -> httpx.AsyncClient:
            transport = httpx.ASGITransport(app=app, client=(ip, 40000))
            return httpx.AsyncClient(transport=transport, base_url="http://t")

        statuses = []
        for i in range(4):
            async with client(f"2001:db8:7:7::{i + 1}") as http:
                statuses.append((await http.get("/api/qr?data=hi&format=svg")).status_code)
        assert statuses == [200, 200, 200, 429]
        async with client("2001:db8:7:8::1") as http:
            assert (await http.get("/api/qr?data=hi&format=svg")).status_code == 200


async def test_issue10_behind_a_trusted_proxy_one_clients_misses_refuse_only_it(
    run_app, settings
) -> None:
    behind_lb = replace(
        settings, trusted_proxies=parse_networks("10.0.0.0/8"), redirect_misses_per_minute=5
    )
    async with run_app(behind_lb) as app:
        workspace = await workspaces.ensure_workspace("acme")
        _, key = await workspaces.create_key(workspace.id, "t", ["*"])
        transport = httpx.ASGITransport(app=app, client=("10.0.0.2", 40000))  # the LB
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as lb:
            created = await lb.post(
                "/graphql",
                headers={"Authorization": f"Bearer {key}"},
                json={"query": LOCK, "variables": {"i": {
                    "destination": "https://example.com/", "slug": "poster"}}},
            )  # fmt: skip
            assert created.json()["data"]["createLink"]["userErrors"] == []

            def via(client_ip: str) -> dict[str, str]:
                return {"X-Forwarded-For": client_ip}

            misses = [
                (await lb.get(f"/r/nope-{i}", headers=via("203.0.113.66"))).status_code
                for i in range(8)
            ]
            assert 429 in misses
            # Before (every visitor the proxy's address): this scan was refused too.
            assert (await lb.get("/r/poster", headers=via("198.51.100.5"))).status_code == 302
            assert (await lb.get("/r/poster", headers=via("203.0.113.66"))).status_code == 429
