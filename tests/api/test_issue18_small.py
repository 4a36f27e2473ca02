"""Issue 18 item 8: small surprises, each fixed and pinned on both backends."""

from __future__ import annotations

import pytest

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
