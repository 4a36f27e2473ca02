from __future__ import annotations

import io
from typing import Any

import pytest
import zxingcpp
from PIL import Image
from tortoise import connections

from app.domain.codes.models import QrCode as QrCodeModel
from app.domain.links.models import Link as LinkModel

CODE_FIELDS = """
  id name kind dataType data encodedText createdAt
  link { id slug shortUrl destination }
  design { id name }
  style { moduleShape errorCorrection }
  imageUrl
"""
CREATE = f"""
mutation($input: CreateQrCodeInput!, $dryRun: Boolean) {{
  createQrCode(input: $input, dryRun: $dryRun) {{
    qrCode {{ {CODE_FIELDS} }} userErrors {{ field message code }} }}
}}"""
UPDATE = f"""
mutation($id: ID!, $input: UpdateQrCodeInput!) {{
  updateQrCode(id: $id, input: $input) {{
    qrCode {{ {CODE_FIELDS} }} userErrors {{ field message code }} }}
}}"""
DELETE = "mutation($id: ID!) { deleteQrCode(id: $id) { deletedId userErrors { field code } } }"
GET = f"query($id: ID!) {{ qrCode(id: $id) {{ {CODE_FIELDS} }} }}"
LIST = """
query($filter: QrCodeFilter, $first: Int, $after: String) {
  qrCodes(first: $first, after: $after, filter: $filter) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { id name } } }
}"""
CREATE_DESIGN = """
mutation($input: DesignInput!) { createDesign(input: $input) { design { id } userErrors { code } } }
"""

SAMPLES: dict[str, dict[str, Any]] = {
    "URL": {"url": "https://example.com/a?b=c"},
    "TEXT": {"text": "Hello, world; ünïcode ✓"},
    "EMAIL": {"address": "sales@example.com", "subject": "Hi there", "body": "Line 1\nLine 2"},
    "PHONE": {"phone": "+1 (555) 010-9999"},
    "SMS": {"phone": "+15550109999", "message": "STOP"},
    "WIFI": {"ssid": "Cafe; \"Guest\"", "password": "s3cret:pass", "encryption": "WPA"},
    "VCARD": {"first_name": "Ada", "last_name": "Lovelace", "phone": "+441234567",
              "email": "ada@example.com", "org": "Analytical, Ltd"},
    "MECARD": {"first_name": "Ada", "last_name": "Lovelace", "phone": "+441234567"},
    "GEO": {"latitude": 48.8584, "longitude": 2.2945},
    "EVENT": {"title": "Launch", "date_start": "2030-05-01T10:00:00Z",
              "date_end": "2030-05-01T12:00:00Z", "location": "Berlin"},
    "CRYPTO": {"currency": "bitcoin", "address": "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
               "amount": "0.001"},
    "EPC": {"name": "Rotes Kreuz", "iban": "DE89 3704 0044 0532 0130 00", "bic": "COBADEFFXXX",
            "amount": "25", "text": "Spende 2026"},
}  # fmt: skip


def decode(data: bytes) -> str:
    image = Image.open(io.BytesIO(data)).convert("RGB")
    results = zxingcpp.read_barcodes(image)
    assert len(results) == 1, "expected exactly one QR code in the image"
    return results[0].text


async def create(gql: Any, key: str, dry_run: bool = False, **input: Any) -> dict[str, Any]:
    body = await gql(key, CREATE, input=input, dryRun=dry_run)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["createQrCode"]
    return payload


async def image(client: Any, url: str) -> bytes:
    response = await client.get(url.removeprefix("http://testserver"))
    assert response.status_code == 200, response.text
    data: bytes = response.content
    return data


async def test_static_code_lifecycle(gql, key, client) -> None:
    created = await create(gql, key, name="Menu", dataType="TEXT", data={"text": "soup of the day"})
    assert created["userErrors"] == []
    code = created["qrCode"]
    assert code["kind"] == "STATIC" and code["link"] is None and code["style"] is None
    assert code["encodedText"] == "soup of the day"
    assert decode(await image(client, code["imageUrl"])) == "soup of the day"

    got = (await gql(key, GET, id=code["id"]))["data"]["qrCode"]
    assert got["name"] == "Menu" and got["data"] == {"text": "soup of the day"}

    updated = await gql(key, UPDATE, id=code["id"], input={"name": "Lunch",
                        "data": {"text": "salad"}})  # fmt: skip
    code = updated["data"]["updateQrCode"]["qrCode"]
    assert code["name"] == "Lunch" and code["encodedText"] == "salad"
    assert decode(await image(client, code["imageUrl"])) == "salad"

    retyped = await gql(key, UPDATE, id=code["id"], input={"dataType": "URL",
                        "data": {"url": "https://example.org"}})  # fmt: skip
    assert retyped["data"]["updateQrCode"]["qrCode"]["encodedText"] == "https://example.org"

    deleted = (await gql(key, DELETE, id=code["id"]))["data"]["deleteQrCode"]
    assert deleted == {"deletedId": code["id"], "userErrors": []}
    assert (await gql(key, GET, id=code["id"]))["data"]["qrCode"] is None
    assert await QrCodeModel.all().count() == 0


@pytest.mark.parametrize("data_type", sorted(SAMPLES))
async def test_every_data_type_is_creatable_and_scans(gql, key, client, data_type) -> None:
    created = await create(gql, key, name=data_type, dataType=data_type, data=SAMPLES[data_type])
    assert created["userErrors"] == []
    code = created["qrCode"]
    assert decode(await image(client, code["imageUrl"])) == code["encodedText"]


async def test_dynamic_code_encodes_its_short_link_and_survives_a_new_destination(
    gql, key, client
) -> None:
    created = await create(
        gql, key, name="Poster", kind="DYNAMIC", dataType="URL",
        data={"url": "https://example.com/spring"},
        link={"destination": "https://example.com/spring", "slug": "spring-poster",
              "title": "Spring", "tags": ["print"]},
    )  # fmt: skip
    assert created["userErrors"] == []
    code = created["qrCode"]
    assert code["link"]["slug"] == "spring-poster"
    assert code["encodedText"] == "http://testserver/r/spring-poster?qr=1"
    first = await image(client, code["imageUrl"])
    assert decode(first) == "http://testserver/r/spring-poster?qr=1"
    link = await LinkModel.get(slug="spring-poster")
    assert link.title == "Spring" and link.tags == ["print"]

    updated = await gql(
        key, UPDATE, id=code["id"], input={"data": {"url": "https://example.com/summer"}}
    )
    code = updated["data"]["updateQrCode"]["qrCode"]
    assert updated["data"]["updateQrCode"]["userErrors"] == []
    assert code["encodedText"] == "http://testserver/r/spring-poster?qr=1"
    assert code["data"] == {"url": "https://example.com/summer"}
    assert code["link"]["destination"] == "https://example.com/summer"
    assert (await LinkModel.get(id=link.id)).destination == "https://example.com/summer"
    assert await image(client, code["imageUrl"]) == first

    await gql(key, DELETE, id=code["id"])
    assert await LinkModel.filter(id=link.id).count() == 0


async def test_dynamic_code_gets_a_generated_slug(gql, key, client) -> None:
    code = (await create(gql, key, name="P", kind="DYNAMIC", dataType="URL",
                         data={"url": "https://example.com"}))["qrCode"]  # fmt: skip
    assert code["encodedText"] == f"{code['link']['shortUrl']}?qr=1"
    assert decode(await image(client, code["imageUrl"])) == code["encodedText"]


async def test_dry_run_stores_nothing(gql, key) -> None:
    static = await create(gql, key, dry_run=True, name="S", dataType="TEXT", data={"text": "x"})
    assert static["userErrors"] == [] and static["qrCode"]["encodedText"] == "x"
    assert static["qrCode"]["id"] == "" and static["qrCode"]["imageUrl"] == ""
    dynamic = await create(gql, key, dry_run=True, name="D", kind="DYNAMIC", dataType="URL",
                           data={"url": "https://example.com"}, link={"slug": "would-be",
                           "destination": "https://example.com"})  # fmt: skip
    assert dynamic["userErrors"] == []
    assert dynamic["qrCode"]["encodedText"] == "http://testserver/r/would-be?qr=1"
    assert dynamic["qrCode"]["link"]["slug"] == "would-be"
    assert dynamic["qrCode"]["data"] == {"url": "https://example.com"}
    assert await QrCodeModel.all().count() == 0
    assert await LinkModel.all().count() == 0

    bad = await create(gql, key, dry_run=True, name="B", dataType="URL", data={"url": "ftp://x"})
    assert bad["userErrors"][0]["field"] == ["data", "url"]


async def test_validation_errors_name_their_fields(gql, key, make_key) -> None:
    async def errors(**input: Any) -> set[tuple[tuple[str, ...], str]]:
        payload = await create(gql, key, **input)
        assert payload["qrCode"] is None
        return {(tuple(e["field"] or ()), e["code"]) for e in payload["userErrors"]}

    assert (("data", "url"), "INVALID_URL") in await errors(
        name="x", dataType="URL", data={"url": "javascript:alert(1)"}
    )
    assert (("data", "ssid"), "TOO_LONG") in await errors(
        name="x", dataType="WIFI", data={"ssid": "s" * 40}
    )
    assert (("data",), "INVALID_DATA") in await errors(name="x", dataType="TEXT", data=[1, 2])
    assert (("data", "text"), "INVALID_DATA") in await errors(
        name="x", dataType="TEXT", data={"text": 12}
    )
    assert (("data", "text"), "TOO_LONG") in await errors(
        name="x", dataType="TEXT", data={"text": "y" * 5000}
    )
    assert (("name",), "REQUIRED") in await errors(name="  ", dataType="TEXT", data={"text": "y"})
    assert (("dataType",), "INVALID_KIND") in await errors(
        name="x", kind="DYNAMIC", dataType="TEXT", data={"text": "y"}
    )
    assert (("style", "moduleShape"), "INVALID_STYLE") not in await errors(
        name="x", dataType="TEXT", data={"text": "y"}, style={"size": 1}
    )
    assert (("style", "size"), "INVALID_STYLE") in await errors(
        name="x", dataType="TEXT", data={"text": "y"}, style={"size": 1}
    )
    assert (("link", "slug"), "INVALID_SLUG") in await errors(
        name="x",
        kind="DYNAMIC",
        dataType="URL",
        data={"url": "https://example.com"},
        link={"destination": "https://example.com", "slug": "no spaces!"},
    )
    assert (("link", "destination"), "INVALID_URL") in await errors(
        name="x",
        kind="DYNAMIC",
        dataType="URL",
        data={"url": "https://example.com"},
        link={"destination": "not a url"},
    )

    foreign_key = await make_key("globex")
    foreign = (await gql(foreign_key, CREATE_DESIGN, input={"name": "g", "style": {}}))["data"]
    assert (("designId",), "NOT_FOUND") in await errors(
        name="x",
        dataType="TEXT",
        data={"text": "y"},
        designId=foreign["createDesign"]["design"]["id"],
    )
    assert await QrCodeModel.all().count() == 0 and await LinkModel.all().count() == 0


async def test_unscannable_style_is_refused(gql, key) -> None:
    payload = await create(gql, key, name="x", dataType="TEXT", data={"text": "y"},
                           style={"foreground": "#EEEEEE"})  # fmt: skip
    assert payload["userErrors"][0]["code"] == "NOT_SCANNABLE"
    assert payload["userErrors"][0]["field"] == ["style", "foreground"]
    gradient = {"stops": [{"color": "#000000"}, {"color": "#F0F0F0"}]}
    payload = await create(gql, key, name="x", dataType="TEXT", data={"text": "y"},
                           style={"gradient": gradient})  # fmt: skip
    assert payload["userErrors"][0]["field"] == ["style", "gradient", "stops", "1"]
    assert await QrCodeModel.all().count() == 0


async def test_content_too_long_for_a_qr_code_is_refused(gql, key) -> None:
    text = "€" * 1000  # 3,000 bytes: more than any symbol holds at error correction H
    payload = await create(gql, key, name="x", dataType="TEXT", data={"text": text},
                           style={"errorCorrection": "H"})  # fmt: skip
    assert payload["qrCode"] is None
    assert payload["userErrors"][0]["code"] == "TOO_LONG"
    assert payload["userErrors"][0]["field"] == ["data"]
    assert await QrCodeModel.all().count() == 0


async def test_code_follows_its_design_unless_it_has_its_own_style(gql, key, client) -> None:
    design = await gql(key, CREATE_DESIGN, input={"name": "D", "style": {"moduleShape": "DOTS"}})
    design_id = design["data"]["createDesign"]["design"]["id"]
    code = (await create(gql, key, name="c", dataType="TEXT", data={"text": "t"},
                         designId=design_id))["qrCode"]  # fmt: skip
    assert code["design"]["id"] == design_id and code["style"] is None
    assert decode(await image(client, code["imageUrl"])) == "t"

    own = await gql(key, UPDATE, id=code["id"], input={"style": {"moduleShape": "ROUNDED"}})
    assert own["data"]["updateQrCode"]["qrCode"]["style"]["moduleShape"] == "ROUNDED"
    cleared = await gql(key, UPDATE, id=code["id"], input={"style": None, "designId": None})
    code = cleared["data"]["updateQrCode"]["qrCode"]
    assert code["style"] is None and code["design"] is None


async def test_list_filters_and_pages(gql, key) -> None:
    for i in range(3):
        await create(gql, key, name=f"Flyer {i}", dataType="TEXT", data={"text": str(i)})
    await create(gql, key, name="Poster", kind="DYNAMIC", dataType="URL",
                 data={"url": "https://example.com"})  # fmt: skip
    listed = (await gql(key, LIST))["data"]["qrCodes"]
    assert listed["totalCount"] == 4
    assert [e["node"]["name"] for e in listed["edges"]][0] == "Poster"  # newest first
    by_kind = (await gql(key, LIST, filter={"kind": "DYNAMIC"}))["data"]["qrCodes"]
    assert [e["node"]["name"] for e in by_kind["edges"]] == ["Poster"]
    by_type = (await gql(key, LIST, filter={"dataType": "TEXT"}))["data"]["qrCodes"]
    assert by_type["totalCount"] == 3
    searched = (await gql(key, LIST, filter={"search": "flyer 1"}))["data"]["qrCodes"]
    assert [e["node"]["name"] for e in searched["edges"]] == ["Flyer 1"]
    page = (await gql(key, LIST, first=2))["data"]["qrCodes"]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = (await gql(key, LIST, first=2, after=page["pageInfo"]["endCursor"]))["data"]["qrCodes"]
    assert len(rest["edges"]) == 2 and rest["pageInfo"]["hasNextPage"] is False


async def test_other_workspace_cannot_touch_a_code(gql, key, make_key, client) -> None:
    code = (await create(gql, key, name="Mine", kind="DYNAMIC", dataType="URL",
                         data={"url": "https://example.com"}))["qrCode"]  # fmt: skip
    other = await make_key("globex")
    assert (await gql(other, GET, id=code["id"]))["data"]["qrCode"] is None
    node = await gql(other, "query($id: ID!) { node(id: $id) { id } }", id=code["id"])
    assert node["data"]["node"] is None
    assert (await gql(other, LIST))["data"]["qrCodes"]["totalCount"] == 0
    upd = await gql(other, UPDATE, id=code["id"], input={"data": {"url": "https://evil.example"}})
    assert upd["data"]["updateQrCode"]["userErrors"][0]["code"] == "NOT_FOUND"
    deleted = (await gql(other, DELETE, id=code["id"]))["data"]["deleteQrCode"]
    assert deleted["userErrors"][0]["code"] == "NOT_FOUND"
    pk = code["imageUrl"].split("/qr/")[1].split(".")[0]
    response = await client.get(f"/qr/{pk}.png", headers={"Authorization": f"Bearer {other}"})
    assert response.status_code == 404
    assert (await LinkModel.get()).destination == "https://example.com"


async def test_code_scopes_are_enforced(gql, make_key) -> None:
    reader = await make_key(scopes=("codes:read",))
    body = await gql(reader, CREATE, input={"name": "x", "dataType": "TEXT", "data": {"text": "y"}})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await QrCodeModel.all().count() == 0
    links_only = await make_key(scopes=("links:read",))
    assert (await gql(links_only, LIST))["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_page_of_codes_costs_a_constant_number_of_queries(gql, key, monkeypatch) -> None:
    design = await gql(key, CREATE_DESIGN, input={"name": "D", "style": {}})
    design_id = design["data"]["createDesign"]["design"]["id"]
    query = """query { qrCodes(first: 50) { edges { node {
        id data link { slug shortUrl design { id } } design { name style { size } } } } } }"""

    connection = connections.get("default")
    count = 0
    for name in ("execute_query", "execute_query_dict"):
        original = getattr(connection, name)

        async def counted(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            nonlocal count
            count += 1
            return await _original(*args, **kwargs)

        monkeypatch.setattr(connection, name, counted)

    async def queries_for_page(total: int) -> int:
        nonlocal count
        while await QrCodeModel.all().count() < total:
            await create(
                gql,
                key,
                name="c",
                kind="DYNAMIC",
                dataType="URL",
                data={"url": "https://example.com"},
                designId=design_id,
                link={"destination": "https://example.com", "designId": design_id},
            )
        count = 0
        body = await gql(key, query)
        assert "errors" not in body
        assert len(body["data"]["qrCodes"]["edges"]) == total
        return count

    few = await queries_for_page(3)
    many = await queries_for_page(50)
    assert many == few
    assert many <= 6  # key lookup, the page, links, designs


async def test_deleting_the_link_of_a_dynamic_code_deletes_the_code(gql, key) -> None:
    code = (await create(gql, key, name="P", kind="DYNAMIC", dataType="URL",
                         data={"url": "https://example.com"}))["qrCode"]  # fmt: skip
    deleted = await gql(
        key, "mutation($id: ID!) { deleteLink(id: $id) { userErrors { code } } }",
        id=code["link"]["id"],
    )  # fmt: skip
    assert deleted["data"]["deleteLink"]["userErrors"] == []
    assert (await gql(key, GET, id=code["id"]))["data"]["qrCode"] is None
    assert (await gql(key, DELETE, id=code["id"]))["data"]["deleteQrCode"]["userErrors"][0][
        "code"
    ] == "NOT_FOUND"


async def test_codes_quota_refuses_creation_but_not_a_dry_run(gql, key) -> None:
    from app.domain.workspaces.models import Workspace

    await Workspace.filter(name="acme").update(codes_per_day=1)
    first = await create(gql, key, name="a", dataType="TEXT", data={"text": "a"})
    assert first["userErrors"] == []
    second = await create(gql, key, name="b", dataType="TEXT", data={"text": "b"})
    assert second["qrCode"] is None and second["userErrors"][0]["code"] == "QUOTA_EXCEEDED"
    dry = await create(gql, key, dry_run=True, name="c", dataType="TEXT", data={"text": "c"})
    assert dry["userErrors"] == []
    dynamic = await create(gql, key, name="d", kind="DYNAMIC", dataType="URL",
                           data={"url": "https://example.com"})  # fmt: skip
    assert dynamic["userErrors"][0]["code"] == "QUOTA_EXCEEDED"
    assert await QrCodeModel.all().count() == 1 and await LinkModel.all().count() == 0


async def test_a_dynamic_code_checks_its_link_once(client, gql, key, monkeypatch) -> None:
    from app.domain.links import services as link_services

    hashed: list[str] = []
    real_hash = link_services.hash_password

    def counting_hash(password: str) -> str:
        hashed.append(password)
        return real_hash(password)

    monkeypatch.setattr(link_services, "hash_password", counting_hash)
    payload = await create(
        gql,
        key,
        name="Door",
        kind="DYNAMIC",
        dataType="URL",
        data={"url": "https://example.com/door"},
        link={"destination": "https://example.com/door", "slug": "door-1", "password": "open-up"},
    )
    assert payload["userErrors"] == []
    assert hashed == ["open-up"]  # argon2 once, not once to check and once to save
    form = await client.post("/r/door-1", data={"password": "open-up"})
    assert form.status_code == 303  # the saved hash is the one checked
