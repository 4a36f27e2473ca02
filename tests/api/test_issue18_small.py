"""Issue 18 item 8: small surprises, each fixed and pinned on both backends."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image

LIST = "query($first: Int) { links(first: $first) { edges { node { slug } } } }"


@pytest.mark.parametrize("first", [-1, 101])
async def test_issue18_first_out_of_range_message(gql, key, first: int) -> None:
    body = await gql(key, LIST, first=first)
    assert body["data"] is None
    [error] = body["errors"]
    assert error["message"] == "`first` must be between 0 and 100"
    assert error["extensions"]["problem"] == "INVALID_PAGE"
    assert error["extensions"]["field"] == ["first"]


async def test_issue18_size_out_of_range_message(client) -> None:
    response = await client.get("/api/qr", params={"data": "x", "size": "99999"})
    assert response.status_code == 422
    assert response.json()["detail"] == "`size` must be between 64 and 4096 pixels"


def decoded(png: bytes) -> str:
    [result] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)).convert("RGB"))
    return result.text


@pytest.mark.parametrize(
    ("zone", "line"),
    [
        (None, "DTSTART:20250502T100000Z"),
        ("Europe/Berlin", "DTSTART;TZID=Europe/Berlin:20250502T100000"),
    ],
)
async def test_issue18_event_naive_time_uses_timezone_or_utc(client, key, zone, line) -> None:
    data = {"title": "Fair", "date_start": "2025-05-02T10:00", "date_end": "2025-05-02T12:00"}
    if zone:
        data["timezone"] = zone
    response = await client.post(
        "/api/qr",
        json={"dataType": "EVENT", "data": data, "format": "PNG"},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 200, response.text
    assert f"\r\n{line}\r\n" in decoded(response.content)


async def test_issue18_post_to_a_link_without_password_is_405(client, gql, key) -> None:
    create = """mutation($input: CreateLinkInput!) {
      createLink(input: $input) { link { slug } userErrors { code } } }"""
    body = await gql(key, create, input={"destination": "https://example.com/", "slug": "open"})
    assert body["data"]["createLink"]["userErrors"] == []
    response = await client.post("/r/open", data={"password": "x"})
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "METHOD_NOT_ALLOWED"
    assert (await client.get("/r/open")).status_code == 302


async def test_issue18_get_api_qr_takes_long_and_short_style_names(client) -> None:
    for names in (("foreground", "errorCorrection"), ("fg", "ecc")):
        params = {"data": "hello", names[0]: "7C3AED", names[1]: "H"}
        response = await client.get("/api/qr", params=params)
        assert response.status_code == 200, response.text
        assert decoded(response.content) == "hello"
        # Each name is read: a pale ink and an unknown level are refused under either.
        pale = await client.get("/api/qr", params={"data": "x", names[0]: "EEEEEE"})
        assert pale.status_code == 422 and pale.json()["code"] == "NOT_SCANNABLE"
        level = await client.get("/api/qr", params={"data": "x", names[1]: "Z"})
        assert level.status_code == 422, level.text
    spec = (await client.get("/openapi.json")).json()
    names = {p["name"] for p in spec["paths"]["/api/qr"]["get"]["parameters"]}
    assert {"foreground", "background", "errorCorrection", "fg", "bg", "ecc"} <= names
