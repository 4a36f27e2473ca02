"""viewer.workspace.analytics: every link together, narrowed by tag, ids, source or search."""

from __future__ import annotations

from app.domain.links.models import Link
from tests.api.test_analytics import BOT, DESKTOP, ingest, record

CREATE = "mutation($i: CreateLinkInput!) { createLink(input: $i) { link { id slug } } }"
WORKSPACE = """
query($filter: AnalyticsFilter, $bots: Boolean) {
  viewer { workspace { analytics(from: "2026-03-01T00:00:00Z", to: "2026-03-08T00:00:00Z",
                                 filter: $filter, includeBots: $bots) {
    total unique series { scans } byCountry { key count } bySource { key count }
    byDevice { key count } topLinks(first: 2) { link { slug } scans unique }
  } } }
}"""


async def make(gql, key, slug: str, tags: list[str], title: str | None = None) -> tuple[str, int]:
    i = {"destination": "https://example.com/", "slug": slug, "tags": tags, "title": title}
    body = await gql(key, CREATE, i=i)
    return body["data"]["createLink"]["link"]["id"], (await Link.get(slug=slug)).id


async def test_workspace_analytics_sum_links_and_filters_narrow_them(
    app, gql, key, make_key
) -> None:
    poster_id, poster = await make(gql, key, "poster", ["print"], title="Spring poster")
    _, flyer = await make(gql, key, "flyer", ["print", "promo"])
    _, web = await make(gql, key, "web", [])
    other_key = await make_key(workspace="other")
    _, foreign = await make(gql, other_key, "foreign", ["print"])
    for hour in range(3):
        await record(app, poster, f"2026-03-02 0{hour}:00", source="QR", country="DE")
    await record(app, flyer, "2026-03-03 10:00", source="QR", ua=DESKTOP, ip="198.51.100.2")
    await record(app, flyer, "2026-03-03 11:00", ua=BOT)
    await record(app, web, "2026-03-04 12:00", country="FR")
    await record(app, foreign, "2026-03-04 12:00")  # another workspace: never counted here
    await record(app, web, "2026-02-20 12:00")  # outside the range
    await ingest(app)

    async def figures(filter=None, bots=False) -> dict:
        body = await gql(key, WORKSPACE, filter=filter, bots=bots)
        assert "errors" not in body, body
        return body["data"]["viewer"]["workspace"]["analytics"]

    everything = await figures()
    assert (everything["total"], everything["unique"]) == (5, 3)
    assert [p["scans"] for p in everything["series"]] == [0, 3, 1, 1, 0, 0, 0]
    assert everything["bySource"] == [{"key": "QR", "count": 4}, {"key": "LINK", "count": 1}]
    assert everything["byCountry"][0] == {"key": "DE", "count": 3}
    assert everything["topLinks"] == [
        {"link": {"slug": "poster"}, "scans": 3, "unique": 1},
        {"link": {"slug": "flyer"}, "scans": 1, "unique": 1},
    ]
    with_bots = await figures(bots=True)
    assert with_bots["total"] == 6 and {"key": "bot", "count": 1} in with_bots["byDevice"]

    printed = await figures({"tag": "print"})
    assert (printed["total"], printed["unique"]) == (4, 2)
    assert (await figures({"tag": "promo"}))["total"] == 1
    assert (await figures({"source": "LINK"}))["total"] == 1
    assert (await figures({"tag": "print", "source": "LINK"}))["total"] == 0
    assert (await figures({"search": "SPRING"}))["total"] == 3  # the title, any case
    assert (await figures({"linkIds": [poster_id]}))["topLinks"] == [
        {"link": {"slug": "poster"}, "scans": 3, "unique": 1}
    ]
    assert (await figures({"linkIds": []}))["total"] == 0
    # Another workspace's link id is a link with no scans here.
    foreign_id = (await gql(other_key, "{ links { edges { node { id } } } }"))["data"]
    foreign_gid = foreign_id["links"]["edges"][0]["node"]["id"]
    assert (await figures({"linkIds": [foreign_gid]}))["total"] == 0


async def test_workspace_analytics_need_the_analytics_scope(app, gql, make_key) -> None:
    reader = await make_key(scopes=("links:read",))
    body = await gql(reader, WORKSPACE)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_workspace_analytics_refuse_bad_input(app, gql, key) -> None:
    body = await gql(
        key,
        '{ viewer { workspace { analytics(from: "2026-03-05T00:00:00Z", '
        'to: "2026-03-01T00:00:00Z") { total } } } }',
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
