"""Issue 10, item 8: control characters in free text are refused with a typed error and
change nothing (a NUL answered INTERNAL on PostgreSQL, which cannot store it)."""

from __future__ import annotations

from app.domain.designs.models import Design
from app.domain.links.models import Link

CREATE_LINK = """mutation($i: CreateLinkInput!) {
  createLink(input: $i) { link { slug title tags } userErrors { field code } } }"""
SEARCH = "query($s: String) { links(filter: {search: $s}) { edges { node { slug } } } }"
CREATE_DESIGN = """mutation($i: DesignInput!) {
  createDesign(input: $i) { design { name } userErrors { field code } } }"""
CREATE_CODE = """mutation($i: CreateQrCodeInput!) {
  createQrCode(input: $i) { qrCode { data } userErrors { field code } } }"""


def link_input(**fields: object) -> dict[str, object]:
    return {"destination": "https://example.com/", **fields}


async def test_issue10_nul_and_control_characters_are_bad_user_input(gql, key) -> None:
    attempts = [
        (CREATE_LINK, {"i": link_input(title="a\x00b")}),
        (CREATE_LINK, {"i": link_input(tags=["ok", "x\x00"])}),
        (CREATE_LINK, {"i": link_input(metadata={"sku": "1\x00"})}),
        (CREATE_LINK, {"i": link_input(metadata={"k\x00": "v"})}),
        (CREATE_LINK, {"i": link_input(title="bell\x07")}),
        (SEARCH, {"s": "\x00"}),
        (CREATE_DESIGN, {"i": {"name": "n\x00", "style": {}}}),
    ]
    for query, variables in attempts:
        body = await gql(key, query, **variables)
        assert body.get("data") is None, variables
        [error] = body["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", (variables, error)
        assert "U+00" in error["message"]
    # The same in a literal of the document, not a variable.
    body = await gql(key, 'query { links(filter: {search: "a\\u0000"}) { edges { cursor } } }')
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert await Link.all().count() == 0 and await Design.all().count() == 0


async def test_issue10_one_line_fields_refuse_tab_and_newline(gql, key) -> None:
    for fields, path in (
        ({"title": "two\nlines"}, ["title"]),
        ({"tags": ["a\tb"]}, ["tags"]),
    ):
        body = await gql(key, CREATE_LINK, i=link_input(**fields))
        errors = body["data"]["createLink"]["userErrors"]
        assert errors == [{"field": path, "code": "INVALID_CHARACTERS"}], fields
    body = await gql(key, CREATE_DESIGN, i={"name": "tab\there", "style": {}})
    assert body["data"]["createDesign"]["userErrors"] == [
        {"field": ["name"], "code": "INVALID_CHARACTERS"}
    ]
    assert await Link.all().count() == 0 and await Design.all().count() == 0


async def test_multi_line_text_keeps_its_newlines_and_tabs(gql, key) -> None:
    text = "line one\n\tline two\r\nthree"
    body = await gql(
        key, CREATE_CODE, i={"name": "Note", "dataType": "TEXT", "data": {"text": text}}
    )
    payload = body["data"]["createQrCode"]
    assert payload["userErrors"] == [] and payload["qrCode"]["data"]["text"] == text
    body = await gql(key, CREATE_LINK, i=link_input(metadata={"note": "a\nb"}))
    assert body["data"]["createLink"]["userErrors"] == []
