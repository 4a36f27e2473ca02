from __future__ import annotations

from typing import Any

DESIGN_FIELDS = """
  id name
  style { size margin errorCorrection foreground background moduleShape finderShape finderColor
          gradient { type rotation stops { offset color } }
          logo { data url size hideBackgroundModules } }
"""
CREATE = f"""
mutation($input: DesignInput!) {{
  createDesign(input: $input) {{ design {{ {DESIGN_FIELDS} }} userErrors {{ field message code }} }}
}}"""
UPDATE = f"""
mutation($id: ID!, $input: UpdateDesignInput!) {{
  updateDesign(id: $id, input: $input) {{
    design {{ {DESIGN_FIELDS} }} userErrors {{ field message code }} }}
}}"""
DELETE = """
mutation($id: ID!) { deleteDesign(id: $id) { deletedId userErrors { field code } } }"""
LIST = f"query {{ designs(first: 10) {{ totalCount edges {{ node {{ {DESIGN_FIELDS} }} }} }} }}"
GET = f"query($id: ID!) {{ design(id: $id) {{ {DESIGN_FIELDS} }} }}"
NODE = "query($id: ID!) { node(id: $id) { id ... on Design { name } } }"

STYLED = {
    "margin": 3,
    "errorCorrection": "Q",
    "gradient": {
        "type": "LINEAR",
        "rotation": 45,
        "stops": [{"offset": 0, "color": "#0b1f6b"}, {"offset": 1, "color": "#6b0b4f"}],
    },
    "moduleShape": "DOTS",
    "finderShape": "ROUNDED",
    "finderColor": "#111111",
}


async def create(gql: Any, key: str, name: str = "Brand", style: Any = None) -> dict[str, Any]:
    body = await gql(key, CREATE, input={"name": name, "style": style or STYLED})
    payload: dict[str, Any] = body["data"]["createDesign"]
    return payload


async def test_design_lifecycle(gql, key) -> None:
    created = await create(gql, key)
    assert created["userErrors"] == []
    design = created["design"]
    assert design["style"]["moduleShape"] == "DOTS"
    assert design["style"]["gradient"]["stops"][0]["color"] == "#0B1F6B"  # canonical form
    assert design["style"]["size"] == 512 and design["style"]["logo"] is None

    listed = (await gql(key, LIST))["data"]["designs"]
    assert listed["totalCount"] == 1 and listed["edges"][0]["node"]["id"] == design["id"]
    assert (await gql(key, GET, id=design["id"]))["data"]["design"]["name"] == "Brand"
    assert (await gql(key, NODE, id=design["id"]))["data"]["node"]["name"] == "Brand"

    renamed = (await gql(key, UPDATE, id=design["id"], input={"name": "Renamed"}))["data"]
    assert renamed["updateDesign"]["design"]["name"] == "Renamed"
    assert renamed["updateDesign"]["design"]["style"]["moduleShape"] == "DOTS"  # untouched

    restyled = await gql(key, UPDATE, id=design["id"], input={"style": {"moduleShape": "CLASSY"}})
    style = restyled["data"]["updateDesign"]["design"]["style"]
    assert style["moduleShape"] == "CLASSY" and style["gradient"] is None  # replaced whole

    deleted = (await gql(key, DELETE, id=design["id"]))["data"]["deleteDesign"]
    assert deleted == {"deletedId": design["id"], "userErrors": []}
    assert (await gql(key, GET, id=design["id"]))["data"]["design"] is None
    assert (await gql(key, DELETE, id=design["id"]))["data"]["deleteDesign"]["userErrors"][0][
        "code"
    ] == "NOT_FOUND"


async def test_design_style_errors_name_their_fields(gql, key) -> None:
    bad = {
        "size": 10,
        "foreground": "red",
        "gradient": {"type": "RADIAL", "stops": [{"color": "#000000"}]},
        "logo": {"size": 0.2},
    }
    errors = (await create(gql, key, style=bad))["userErrors"]
    fields = {tuple(e["field"]) for e in errors}
    assert ("style", "size") in fields
    assert ("style", "foreground") in fields
    assert ("style", "gradient", "stops") in fields
    assert ("style", "logo") in fields
    assert {e["code"] for e in errors} == {"INVALID_STYLE"}
    assert (await gql(key, LIST))["data"]["designs"]["totalCount"] == 0


async def test_unscannable_design_is_refused_with_reason(gql, key) -> None:
    pale = {"foreground": "#DDDDDD", "background": "#FFFFFF"}
    errors = (await create(gql, key, style=pale))["userErrors"]
    assert errors[0]["code"] == "NOT_SCANNABLE"
    assert errors[0]["field"] == ["style", "foreground"]
    assert "contrast" in errors[0]["message"] and ":1" in errors[0]["message"]

    inverted = {"foreground": "#FFFFFF", "background": "#000000"}
    assert (await create(gql, key, style=inverted))["userErrors"][0]["code"] == "NOT_SCANNABLE"
    thin = {"margin": 0}
    errors = (await create(gql, key, style=thin))["userErrors"]
    assert errors[0]["field"] == ["style", "margin"]

    design = (await create(gql, key))["design"]
    refused = await gql(key, UPDATE, id=design["id"], input={"style": {"errorCorrection": "L",
                        "margin": 1, "foreground": "#EEEEEE"}})  # fmt: skip
    errors = refused["data"]["updateDesign"]["userErrors"]
    assert [(e["code"], e["field"]) for e in errors] == [
        ("NOT_SCANNABLE", ["style", "foreground"]),
        ("NOT_SCANNABLE", ["style", "margin"]),
    ]
    kept = (await gql(key, GET, id=design["id"]))["data"]["design"]
    assert kept["style"]["moduleShape"] == "DOTS"


async def test_other_workspace_cannot_see_or_change_a_design(gql, key, make_key) -> None:
    design = (await create(gql, key))["design"]
    other = await make_key("globex")
    assert (await gql(other, GET, id=design["id"]))["data"]["design"] is None
    assert (await gql(other, NODE, id=design["id"]))["data"]["node"] is None
    assert (await gql(other, LIST))["data"]["designs"]["totalCount"] == 0
    updated = (await gql(other, UPDATE, id=design["id"], input={"name": "x"}))["data"]
    assert updated["updateDesign"]["userErrors"][0]["code"] == "NOT_FOUND"
    deleted = (await gql(other, DELETE, id=design["id"]))["data"]["deleteDesign"]
    assert deleted["userErrors"][0]["code"] == "NOT_FOUND"
    assert (await gql(key, GET, id=design["id"]))["data"]["design"]["name"] == "Brand"


async def test_design_scopes_are_enforced(gql, key, make_key) -> None:
    reader = await make_key(scopes=("designs:read",))
    body = await gql(reader, CREATE, input={"name": "x", "style": {}})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    codes_only = await make_key(scopes=("codes:read",))
    assert (await gql(codes_only, LIST))["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await gql(reader, LIST))["data"]["designs"]["totalCount"] == 0


async def test_link_shows_its_design(gql, key) -> None:
    design = (await create(gql, key))["design"]
    body = await gql(
        key,
        """mutation($input: CreateLinkInput!) {
             createLink(input: $input) { link { design { id name style { moduleShape } } } } }""",
        input={"destination": "https://example.com", "designId": design["id"]},
    )
    linked = body["data"]["createLink"]["link"]["design"]
    assert linked == {"id": design["id"], "name": "Brand", "style": {"moduleShape": "DOTS"}}


PNG_1PX = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
    "+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


SCANNABILITY = "scannability { conditions passed minModulePx minPrintSizeMm warnings }"


async def test_issue14_design_frame_circle_and_scannability_through_the_api(gql, key) -> None:
    style = {
        "shape": "CIRCLE",
        "innerFinderShape": "ROUNDED",
        "innerFinderColor": "#B91C1C",
        "backgroundGradient": {"type": "RADIAL", "stops": [{"color": "#FFFFFF"},
                                                           {"color": "#E0F2FE"}]},
        "frame": {"style": "BUBBLE", "text": "Scan for the menu", "color": "#1E3A8A"},
        "logo": {"data": PNG_1PX, "size": 0.25, "margin": 1, "removeBackground": True},
        "errorCorrection": "L",
    }  # fmt: skip
    query = f"""mutation($input: DesignInput!) {{ createDesign(input: $input) {{
      design {{ id style {{ shape innerFinderShape innerFinderColor errorCorrection
                            frame {{ style text textColor color }}
                            logo {{ size margin removeBackground }} }} {SCANNABILITY} }}
      userErrors {{ field message code }} }} }}"""
    body = await gql(key, query, input={"name": "Menu card", "style": style})
    assert "errors" not in body, body
    payload = body["data"]["createDesign"]
    assert payload["userErrors"] == []
    design = payload["design"]
    assert design["style"]["shape"] == "CIRCLE" and design["style"]["errorCorrection"] == "L"
    assert design["style"]["frame"] == {
        "style": "BUBBLE", "text": "Scan for the menu", "textColor": "#FFFFFF", "color": "#1E3A8A",
    }  # fmt: skip
    assert design["style"]["logo"] == {"size": 0.25, "margin": 1.0, "removeBackground": True}
    verdict = design["scannability"]
    assert verdict["passed"] is True and len(verdict["conditions"]) == 6
    assert verdict["minModulePx"] >= 2 and verdict["minPrintSizeMm"] > 10
    assert any("raised from L to H" in w for w in verdict["warnings"])
    assert any("includes the frame" in w for w in verdict["warnings"])


async def test_issue14_fragile_design_is_refused_naming_the_condition(gql, key) -> None:
    style = {"finderShape": "DOT", "innerFinderShape": "SQUARE"}
    errors = (await create(gql, key, style=style))["userErrors"]
    assert [(e["code"], e["field"]) for e in errors] == [("NOT_SCANNABLE", ["style"])]
    assert (
        "seen at a slant" in errors[0]["message"]
        and "SQUARE or ROUNDED finders" in (errors[0]["message"])
    )
