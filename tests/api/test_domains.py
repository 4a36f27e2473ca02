"""Custom domains (issue 13): proof of control, root-level short URLs picked by Host + slug,
slugs unique per domain, the domain's own not-found and base redirects."""

from __future__ import annotations

import socket
from dataclasses import replace

import pytest

from app.domain.domains import services as domains
from app.domain.domains.models import Domain
from app.domain.workspaces.services import ensure_workspace
from app.errors import InvalidInput
from app.graphql.relay import to_global_id

CREATE_DOMAIN = """
mutation($i: CreateDomainInput!) {
  createDomain(input: $i) {
    domain { id hostname verified verificationToken notFoundRedirect baseRedirect }
    userErrors { field code message }
  }
}"""
VERIFY = """
mutation($id: ID!) {
  verifyDomain(id: $id) { domain { verified } userErrors { field code message } }
}"""
CREATE_LINK = """
mutation($i: CreateLinkInput!) {
  createLink(input: $i) { link { id slug shortUrl } userErrors { field code } }
}"""
CODE = """
mutation($i: CreateQrCodeInput!) {
  createQrCode(input: $i) { qrCode { encodedText } userErrors { field code } }
}"""


async def verified_domain(app, workspace: str, hostname: str, **redirects) -> Domain:
    """Added as an operator would (`qrforge domains add`), and known to the redirect."""
    ws = await ensure_workspace(workspace)
    domain = await domains.add_verified(ws.id, hostname, "http://testserver")
    if redirects:
        await Domain.filter(id=domain.id).update(**redirects)
    await app.state.domains.load()
    return domain


def domain_id(domain: Domain) -> str:
    return to_global_id("Domain", domain.id)


async def test_issue13_two_workspaces_own_the_same_slug_on_their_own_domains(
    app, client, gql, key, make_key
) -> None:
    acme = await verified_domain(app, "acme", "go.acme.test")
    globex_key = await make_key("globex")
    globex = await verified_domain(app, "globex", "go.globex.test")
    made = {}
    for who, domain, destination in (
        (key, acme, "https://acme.example/spring"),
        (globex_key, globex, "https://globex.example/spring"),
    ):
        body = await gql(
            who,
            CREATE_LINK,
            i={"destination": destination, "slug": "spring", "domainId": domain_id(domain)},
        )
        assert body["data"]["createLink"]["userErrors"] == [], body
        made[domain.hostname] = body["data"]["createLink"]["link"]
    assert made["go.acme.test"]["shortUrl"] == "http://go.acme.test/spring"
    for host, destination in (
        ("go.acme.test", "https://acme.example/spring"),
        ("go.globex.test", "https://globex.example/spring"),
        ("GO.ACME.TEST:443", "https://acme.example/spring"),  # case and port do not matter
    ):
        response = await client.get("/spring", headers={"Host": host})
        assert response.status_code == 302, host
        assert response.headers["location"] == destination, host
    # Not on the install's own domain, and a domain's slug is its own.
    assert (await client.get("/r/spring")).status_code == 404
    again = await gql(
        globex_key,
        CREATE_LINK,
        i={"destination": "https://x.example/", "slug": "spring", "domainId": domain_id(globex)},
    )
    assert again["data"]["createLink"]["userErrors"] == [{"field": ["slug"], "code": "SLUG_TAKEN"}]
    # Another workspace's domain is one that does not exist.
    foreign = await gql(
        key,
        CREATE_LINK,
        i={"destination": "https://x.example/", "slug": "autumn", "domainId": domain_id(globex)},
    )
    assert foreign["data"]["createLink"]["userErrors"] == [
        {"field": ["domainId"], "code": "NOT_FOUND"}
    ]


async def test_issue13_a_renamed_slug_on_a_domain_keeps_redirecting(app, client, gql, key) -> None:
    acme = await verified_domain(app, "acme", "go.acme.test")
    body = await gql(
        key,
        CREATE_LINK,
        i={"destination": "https://acme.example/", "slug": "old", "domainId": domain_id(acme)},
    )
    link = body["data"]["createLink"]["link"]
    await gql(
        key,
        'mutation($id: ID!) { updateLink(id: $id, input: {slug: "new"}) { link { slug } } }',
        id=link["id"],
    )
    for path in ("/old", "/new"):
        response = await client.get(path, headers={"Host": "go.acme.test"})
        assert response.headers["location"] == "https://acme.example/", path


async def test_issue13_domain_not_found_and_base_redirects(app, client) -> None:
    await verified_domain(
        app,
        "acme",
        "go.acme.test",
        not_found_redirect="https://acme.example/404",
        base_redirect="https://acme.example/",
    )
    await verified_domain(app, "acme", "plain.acme.test")
    host = {"Host": "go.acme.test"}
    assert (await client.get("/", headers=host)).headers["location"] == "https://acme.example/"
    missing = await client.get("/nothing", headers=host)
    assert missing.headers["location"] == "https://acme.example/404"
    plain = await client.get("/nothing", headers={"Host": "plain.acme.test", "Accept": "text/html"})
    assert plain.status_code == 404 and "Link not found" in plain.text
    # The API's own routes answer on any host.
    assert (await client.get("/healthz", headers=host)).status_code == 200


async def test_issue13_dynamic_codes_on_a_domain_encode_its_root_level_url(
    app, client, gql, key
) -> None:
    acme = await verified_domain(app, "acme", "go.acme.test")
    body = await gql(
        key,
        CODE,
        i={
            "name": "label",
            "dataType": "URL",
            "kind": "DYNAMIC",
            "data": {"url": "https://acme.example/p"},
            "link": {"slug": "label", "domainId": domain_id(acme)},
        },
    )
    assert body["data"]["createQrCode"] == {
        "qrCode": {"encodedText": "http://go.acme.test/label?qr=1"},
        "userErrors": [],
    }
    response = await client.get("/label?qr=1", headers={"Host": "go.acme.test"})
    assert response.headers["location"] == "https://acme.example/p"


async def test_issue13_verify_domain_fetches_its_token_from_the_host(
    app, gql, key, api_process
) -> None:
    async with api_process() as port:
        hostname = f"127.0.0.1:{port}"  # a second qrforge, which serves the token
        body = await gql(key, CREATE_DOMAIN, i={"hostname": hostname})
        domain = body["data"]["createDomain"]["domain"]
        assert domain["verified"] is False and len(domain["verificationToken"]) >= 24
        links = await gql(
            key,
            CREATE_LINK,
            i={"destination": "https://a.example/", "domainId": domain["id"]},
        )
        assert links["data"]["createLink"]["userErrors"][0]["code"] == "NOT_FOUND"  # unverified
        verified = await gql(key, VERIFY, id=domain["id"])
        assert verified["data"]["verifyDomain"] == {"domain": {"verified": True}, "userErrors": []}
    listed = await gql(key, "{ viewer { workspace { domains { hostname verified } } } }")
    assert listed["data"]["viewer"]["workspace"]["domains"] == [
        {"hostname": hostname, "verified": True}
    ]


async def test_issue13_verification_fails_clearly_and_changes_nothing(gql, key) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    body = await gql(key, CREATE_DOMAIN, i={"hostname": f"127.0.0.1:{port}"})
    domain = body["data"]["createDomain"]["domain"]
    failed = await gql(key, VERIFY, id=domain["id"])
    payload = failed["data"]["verifyDomain"]
    assert payload["domain"] is None
    assert payload["userErrors"][0]["code"] == "VERIFICATION_FAILED"
    assert await Domain.filter(verified=True).count() == 0


async def test_issue13_bad_hostnames_are_refused(gql, key) -> None:
    for hostname in ("not a host", "localhost", "testserver", "a..b", "x" * 300 + ".com"):
        body = await gql(key, CREATE_DOMAIN, i={"hostname": hostname})
        errors = body["data"]["createDomain"]["userErrors"]
        assert errors and errors[0]["field"] == ["hostname"], hostname
    first = await gql(key, CREATE_DOMAIN, i={"hostname": "go.acme.test"})
    assert first["data"]["createDomain"]["userErrors"] == []
    twice = await gql(key, CREATE_DOMAIN, i={"hostname": "GO.acme.test"})
    assert twice["data"]["createDomain"]["userErrors"][0]["code"] == "HOSTNAME_TAKEN"


async def test_issue13_the_proof_is_served_only_on_its_own_host(client, gql, key) -> None:
    body = await gql(key, CREATE_DOMAIN, i={"hostname": "go.acme.test"})
    token = body["data"]["createDomain"]["domain"]["verificationToken"]
    path = f"/.well-known/qrforge/{token}"
    own = await client.get(path, headers={"Host": "go.acme.test"})
    assert own.status_code == 200 and own.text == token
    assert (await client.get(path, headers={"Host": "evil.example"})).status_code == 404


async def test_issue13_a_domain_with_links_is_not_deleted(app, gql, key) -> None:
    acme = await verified_domain(app, "acme", "go.acme.test")
    link = {"destination": "https://a.example/", "domainId": domain_id(acme)}
    await gql(key, CREATE_LINK, i=link)
    delete = "mutation($id: ID!) { deleteDomain(id: $id) { deletedId userErrors { code } } }"
    body = await gql(key, delete, id=domain_id(acme))
    assert body["data"]["deleteDomain"] == {
        "deletedId": None,
        "userErrors": [{"code": "DOMAIN_IN_USE"}],
    }


async def test_issue13_verification_goes_through_the_ssrf_guard(settings, run_app) -> None:
    async with run_app(replace(settings, allow_private_targets=False)) as app:
        ws = await ensure_workspace("acme")
        domain = await Domain.create(
            workspace_id=ws.id, hostname="127.0.0.1:9", verification_token="t" * 32
        )
        with pytest.raises(InvalidInput) as refused:
            await domains.verify_domain(
                ws.id, domain.id, app.state.services.events, allow_private=False
            )
        problem = refused.value.problems[0]
        assert problem.code == "VERIFICATION_FAILED" and "not a public" in problem.message
        assert not (await Domain.get(id=domain.id)).verified
