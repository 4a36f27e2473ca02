"""Schemathesis on the REST endpoints against a real `qrforge serve`: no input may make a 5xx.

The operations come from the OpenAPI document that `/openapi.json` serves, so an endpoint
documented later is fuzzed too, and a route missing from the document fails a test here.
The server is its own process on its own database (each test backend) and the test Redis,
with limits raised so generated requests reach the handlers rather than a 429. Requests
carry an all-scopes key, except `/api/qr`'s, which go without one as most of that
endpoint's callers do. The link and code the document's examples name (`spring-sale`, link
`TGluazox`, code 1) exist, so the examples get past the lookups. Answers to well-formed
requests must also match the document: status, content type, body and headers.

The end of the file pins what the fuzzer found (issue 6).
"""

from __future__ import annotations

import asyncio
import base64
import os
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import asyncpg
import httpx
import pytest
import redis
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.routing import Match, Route

from app.domain.links.slugs import MAX_LENGTH as MAX_SLUG
from app.http.openapi import DOCUMENT, PATHS, document
from app.settings import Settings
from app.web.pages import routes as dashboard_routes
from qrforge.cli import build_app

EXAMPLES = int(os.environ.get("QRFORGE_FUZZ_EXAMPLES", "25"))
# The same examples on every run, so CI is red only for a change; QRFORGE_FUZZ_EXPLORE=1
# draws new ones (worth a run now and then, with more examples).
DERANDOMIZE = not os.environ.get("QRFORGE_FUZZ_EXPLORE")
BACKENDS = os.environ.get("QRFORGE_TEST_BACKENDS", "postgres,sqlite").split(",")
PG_ADMIN_DSN = os.environ.get("QRFORGE_TEST_PG", "postgres://postgres@127.0.0.1:5432/postgres")
SCHEMA = schemathesis.openapi.from_dict(DOCUMENT)
CONFORMANCE = [
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
METHODS = ("get", "head", "post", "put", "patch", "delete")
LIMIT = "1000000"
FORM_FIELDS = 5  # what the password form's parser takes (app/http/redirect.py)
SENT: Counter[tuple[str, str]] = Counter()  # (backend, operation) -> requests sent

SETUP = """
mutation {
  createLink(input: {destination: "https://example.com/", slug: "spring-sale",
                     password: "correct horse"}) { link { id } userErrors { code } }
  createQrCode(input: {name: "fuzz", dataType: URL, data: {url: "https://example.com/"}}) {
    qrCode { id } userErrors { code } }
}"""


async def _admin(sql: str) -> None:
    connection = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def _examples(base: str, key: str) -> None:
    """The objects the document's examples name, made first so they get the ids it shows."""
    response = httpx.post(f"{base}/graphql", json={"query": SETUP},
                          headers={"Authorization": f"Bearer {key}"}, timeout=30)  # fmt: skip
    data = response.json()["data"]
    assert data["createLink"]["link"]["id"] == "TGluazox", data  # Link:1
    assert data["createQrCode"]["qrCode"]["id"] == "UXJDb2RlOjE=", data  # QrCode:1


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    redis_url: str,
    qrforge_serve: Any,
) -> Iterator[tuple[str, str, str]]:
    """(base URL, API key, backend) of a `qrforge serve` on a database of its own."""
    backend = request.param
    data = tmp_path_factory.mktemp(f"fuzz-rest-{backend}")
    namespace = f"qft{uuid.uuid4().hex[:12]}"
    database = f"qrforge_fuzz_{uuid.uuid4().hex[:10]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("QRFORGE_")} | {
        "QRFORGE_DATA_DIR": str(data),
        "QRFORGE_REDIS_URL": redis_url,
        "QRFORGE_REDIS_NAMESPACE": namespace,
        "QRFORGE_RATE_LIMIT": LIMIT,
        "QRFORGE_ANONYMOUS_RATE_LIMIT": LIMIT,
        "QRFORGE_REDIRECT_MISSES_PER_MINUTE": LIMIT,
        "QRFORGE_REDIRECT_PER_SLUG_PER_MINUTE": LIMIT,
        "QRFORGE_ALLOW_PRIVATE_TARGETS": "false",
    }
    if backend == "postgres":
        asyncio.run(_admin(f'CREATE DATABASE "{database}"'))
        env["QRFORGE_DATABASE_URL"] = PG_ADMIN_DSN.rsplit("/", 1)[0] + f"/{database}"
    try:
        with qrforge_serve(env) as (base, key):
            _examples(base, key)
            yield base, key, backend
            statuses = [
                line
                for line in httpx.get(f"{base}/metrics").text.splitlines()
                if line.startswith("qrforge_http_requests_total") and "graphql" not in line
            ]
            mine = sorted((op, n) for (b, op), n in SENT.items() if b == backend)
            print(f"\nschemathesis REST cases sent ({backend}):", *mine, sep="\n  ")
            print("answers by status:", *statuses, sep="\n  ")
    finally:
        if backend == "postgres":
            asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        with redis.Redis.from_url(redis_url) as client:
            for stale in client.scan_iter(match=f"{namespace}*"):
                client.delete(stale)


@pytest.mark.timeout(300)
@SCHEMA.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=DERANDOMIZE,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_generated_request_makes_a_server_error(case: Any, live: tuple[str, str, str]) -> None:
    base, key, backend = live
    headers = {} if case.path == "/api/qr" else {"Authorization": f"Bearer {key}"}
    response = case.call(base_url=base, headers=headers, timeout=30, allow_redirects=False)
    SENT[backend, case.operation.label] += 1
    positive = case.meta is not None and case.meta.generation.mode.is_positive
    checks = [not_a_server_error, *(CONFORMANCE if positive else [])]
    case.validate_response(response, checks=checks, headers=headers)


def test_the_served_document_is_valid_openapi(live: tuple[str, str, str]) -> None:
    base, _, _ = live
    response = httpx.get(f"{base}/openapi.json")
    assert response.status_code == 200
    served = response.json()
    assert served == document(base)
    schemathesis.openapi.from_dict(served).validate()  # against the OpenAPI 3.1 meta-schema


def _example_path(path: str) -> str:
    """`path` with each of its parameters replaced by the example the document gives."""
    parameters = [*PATHS[path].get("parameters", [])]
    for method in METHODS:
        parameters += PATHS[path].get(method, {}).get("parameters", [])
    for parameter in parameters:
        if parameter["in"] == "path":
            path = path.replace(f"{{{parameter['name']}}}", str(parameter["example"]))
    return path


def _matches(route: Route, path: str, method: str) -> bool:
    scope = {"type": "http", "path": _example_path(path), "method": method.upper()}
    return route.matches(scope)[0] == Match.FULL


def test_every_rest_route_is_documented() -> None:
    app = build_app(Settings())
    # GraphQL documents itself (schema.graphql), and the dashboard's pages are for people (the
    # README); everything else is REST.
    pages = {r.path for r in dashboard_routes() if isinstance(r, Route)}
    routes = [r for r in app.routes if isinstance(r, Route) and r.path not in {"/graphql", *pages}]
    documented = [(path, m) for path, item in PATHS.items() for m in item if m in METHODS]
    for path, method in documented:
        assert any(_matches(r, path, method) for r in routes), f"{method} {path}: no route"
    for route in routes:
        # Starlette answers HEAD wherever there is a GET; the document names HEAD only where
        # it means more than a GET without its body.
        for method in sorted((route.methods or set()) - {"HEAD"}):
            assert any(_matches(route, p, m) for p, m in documented if m == method.lower()), (
                f"{method} {route.path} is not in the OpenAPI document (app/http/openapi.py)"
            )


# --- issue 6: what the fuzzer found ------------------------------------------------------


def _global_id(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


async def test_issue6_unicode_digits_are_not_numbers(client: httpx.AsyncClient, key: str) -> None:
    auth = {"Authorization": f"Bearer {key}"}
    assert (await client.get("/qr/\u00b2.png", headers=auth)).status_code == 404
    sized = await client.get("/qr/1.png", params={"size": "\u00b2"}, headers=auth)
    assert (sized.status_code, sized.json()["code"]) == (400, "INVALID_SIZE")
    rendered = await client.get("/api/qr", params={"data": "x", "size": "\u00b2"})
    assert (rendered.status_code, rendered.json()["code"]) == (422, "INVALID_SIZE")


async def test_issue6_an_id_past_bigint_names_nothing(client: httpx.AsyncClient, key: str) -> None:
    auth = {"Authorization": f"Bearer {key}"}
    code = _global_id("QrCode", 2**63)
    assert (await client.get(f"/qr/{code}.png", headers=auth)).status_code == 404
    link = _global_id("Link", 10**30)
    exported = await client.get("/export/scans.csv", params={"link": link}, headers=auth)
    assert (exported.status_code, exported.json()["code"]) == (404, "NOT_FOUND")


async def test_issue6_a_format_that_is_not_a_string_is_invalid(client: httpx.AsyncClient) -> None:
    formats: list[object] = [{}, [], 5]
    for fmt in formats:
        body = {"dataType": "URL", "data": {"url": "https://example.com/"}, "format": fmt}
        response = await client.post("/api/qr", json=body)
        assert (response.status_code, response.json()["code"]) == (422, "INVALID_FORMAT")


@pytest.mark.parametrize(
    "bound", [("from", "0001-01-01T00:00:00+14:00"), ("to", "9999-12-31T23:59:59-14:00")]
)
async def test_issue6_an_instant_before_year_1_or_after_9999_in_utc_is_invalid(
    client: httpx.AsyncClient, gql: Any, key: str, bound: tuple[str, str]
) -> None:
    made = await gql(key, 'mutation { createLink(input: {destination: "https://example.com/"}) '
                          "{ link { id } } }")  # fmt: skip
    params = {"link": made["data"]["createLink"]["link"]["id"], bound[0]: bound[1]}
    response = await client.get(
        "/export/scans.csv", params=params, headers={"Authorization": f"Bearer {key}"}
    )
    assert (response.status_code, response.json()["code"]) == (422, "BAD_USER_INPUT")


BULK = """mutation { bulkCreateQrCodes(input: {items: [{name: "a", dataType: TEXT,
  data: {text: "a"}}]}) { bulkJob { id } } }"""
BULK_RESULT = "query($id: ID!) { bulkJob(id: $id) { status resultUrl } }"


async def test_issue6_head_does_not_spend_the_one_bulk_download(
    client: httpx.AsyncClient, gql: Any, key: str, run_jobs: Any
) -> None:
    job = (await gql(key, BULK))["data"]["bulkCreateQrCodes"]["bulkJob"]
    await run_jobs()
    done = (await gql(key, BULK_RESULT, id=job["id"]))["data"]["bulkJob"]
    assert done["status"] == "SUCCEEDED", done
    url = done["resultUrl"].removeprefix("http://testserver")

    looked = await client.head(url)
    assert looked.status_code == 200 and looked.headers["content-type"] == "application/zip"
    taken = await client.get(url)
    assert taken.status_code == 200
    assert int(looked.headers["content-length"]) == len(taken.content)
    assert (await client.head(url)).status_code == 410
    assert (await client.get(url)).status_code == 410


# Found by the fuzzer: each was a 500.


async def test_issue6_a_slug_longer_than_any_link_can_have_is_not_found(
    client: httpx.AsyncClient,
) -> None:
    for method in ("GET", "HEAD", "POST"):
        assert (await client.request(method, "/r/" + "a" * (MAX_SLUG + 1))).status_code == 404


async def test_issue6_a_slug_with_a_nul_is_not_found(client: httpx.AsyncClient) -> None:
    for method in ("GET", "HEAD", "POST"):
        assert (await client.request(method, "/r/a%00b")).status_code == 404


async def test_issue6_a_signed_url_with_unicode_digits_in_exp_is_refused(
    client: httpx.AsyncClient,
) -> None:
    for path in ("/qr/1.png", "/bulk/1/result"):
        response = await client.get(path, params={"exp": "\u00b2", "sig": "ab"})
        assert response.status_code == 403


async def test_issue6_a_password_form_with_many_fields_is_read_as_no_password(
    client: httpx.AsyncClient,
) -> None:
    form = "&".join(f"f{i}=x" for i in range(FORM_FIELDS + 1))
    response = await client.post(
        "/r/nothing-here", content=form,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    assert response.status_code == 404
