"""The dashboard in a real browser: a key, the lists, GraphiQL without the internet."""

from __future__ import annotations

import base64
import io
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import zxingcpp
from PIL import Image
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.web.browsing import element, sign_in, text_appears, wait
from tests.web.conftest import Api, unique

# A real browser against a real server: slower than the suite's 60 s default on a busy
# CI machine (each test is a few seconds when the machine is idle).
pytestmark = pytest.mark.timeout(180)

CREATE_CODE = """mutation($input: CreateQrCodeInput!) {
  createQrCode(input: $input) {
    qrCode { id name link { id slug shortUrl } }
    userErrors { message }
  }
}"""


def test_pasted_key_shows_the_codes_and_links(
    page: Any, served: tuple[str, str], api: Api, shoot: Callable[[str], Path]
) -> None:
    base, key = served
    name = unique("Poster")
    code = api(
        CREATE_CODE,
        input={"name": name, "dataType": "URL", "kind": "DYNAMIC",
               "data": {"url": "https://example.com/spring"},
               "link": {"destination": "https://example.com/spring", "tags": ["spring"],
                        "title": f"{name} link"}},
    )["createQrCode"]["qrCode"]  # fmt: skip

    sign_in(page, base, key)
    row = text_appears(page, "#codes tbody tr", name)
    assert code["link"]["shortUrl"] in row.text
    thumb = row.find_element(By.CSS_SELECTOR, "img.thumb")
    wait(page, lambda d: d.execute_script("return arguments[0].naturalWidth", thumb) > 0)
    shoot("codes")
    # The key is in this tab's session storage, never in the URL or a cookie.
    assert page.execute_script("return sessionStorage.getItem('qrforge.key')") == key
    assert key not in page.current_url and not page.get_cookies()

    page.find_element(By.LINK_TEXT, "Links").click()
    element(page, "#links")
    search = page.find_element(By.CSS_SELECTOR, "input[name=search]")
    search.send_keys(code["link"]["slug"])
    row = text_appears(page, "#links tbody tr", f"{name} link")
    assert code["link"]["shortUrl"] in row.text and "spring" in row.text
    wait(page, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#links tbody tr")) == 1)
    thumb = element(page, "#links tbody tr img.thumb")
    image = base64.b64decode(thumb.get_attribute("src").split(",", 1)[1])
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(image)).convert("RGB"))
    assert [b.text for b in found] == [code["link"]["shortUrl"]]
    shoot("links")


def test_an_unknown_key_is_refused_in_words(
    page: Any, served: tuple[str, str], shoot: Callable[[str], Path]
) -> None:
    base, _ = served
    page.get(f"{base}/")
    element(page, "#api-key").send_keys("qrf_nope_notakey")
    page.find_element(By.CSS_SELECTOR, ".key-form button").click()
    alert = element(page, ".key-form [role=alert]")
    assert "Unknown API key" in alert.text
    shoot("key-refused")
    assert page.execute_script("return sessionStorage.getItem('qrforge.key')") is None


def test_graphiql_runs_a_query_with_only_this_server_reachable(
    page: Any, served: tuple[str, str], shoot: Callable[[str], Path]
) -> None:
    base, key = served
    sign_in(page, base, key)
    page.get(f"{base}/graphql")
    element(page, ".graphiql-execute-button").click()
    result = text_appears(page, ".result-window", '"scopes"')
    assert '"name": "fuzz"' in result.text
    shoot("graphiql")
    loaded = page.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert any("graphiql.min.js" in url for url in loaded)
    assert all(url.startswith(base) for url in loaded), loaded
    # Subscriptions run over the websocket: a scan shows up in the result pane.
    link = Api(base, key)(
        'mutation { createLink(input: {destination: "https://example.com/gql"}) '
        "{ link { id slug } } }"
    )["createLink"]["link"]
    editor = page.find_element(By.CSS_SELECTOR, ".graphiql-query-editor .CodeMirror")
    page.execute_script(
        "arguments[0].CodeMirror.setValue(arguments[1])",
        editor,
        f'subscription {{ scanRecorded(linkId: "{link["id"]}") {{ source link {{ slug }} }} }}',
    )
    element(page, ".graphiql-execute-button").click()
    for _ in range(20):  # the socket may still be subscribing: scan until one is heard
        httpx.get(f"{base}/r/{link['slug']}", follow_redirects=False, timeout=30)
        if link["slug"] in page.find_element(By.CSS_SELECTOR, ".result-window").text:
            break
        time.sleep(0.5)
    text_appears(page, ".result-window", link["slug"])
    assert '"source": "LINK"' in page.find_element(By.CSS_SELECTOR, ".result-window").text

    # And the browser really has no way out (the page's CSP aside): another host fails.
    with pytest.raises(WebDriverException, match="ERR_PROXY_CONNECTION_FAILED"):
        page.get("http://example.com/")


def test_link_made_and_edited_in_its_form(
    page: Any, served: tuple[str, str], api: Api, shoot: Callable[[str], Path]
) -> None:
    base, key = served
    slug = unique("form")
    sign_in(page, base, key)
    page.find_element(By.LINK_TEXT, "Links").click()
    element(page, "a[href='/app/links/new']").click()
    element(page, "#link-destination").send_keys("ftp://example.com/file")
    # Checked as it is typed: the refusal sits under the destination field.
    refusal = text_appears(page, "#link-form .field [role=alert]", "http")
    assert (
        refusal.find_element(By.XPATH, "..")
        .find_element(By.TAG_NAME, "input")
        .get_attribute("name")
        == "destination"
    )
    shoot("link-new")
    destination = element(page, "#link-destination")
    destination.send_keys(Keys.CONTROL, "a")
    destination.send_keys("https://example.com/made-in-form")
    element(page, "#link-slug").send_keys(slug)
    wait(page, lambda d: not d.find_elements(By.CSS_SELECTOR, "#link-form [role=alert]"))
    element(page, "#link-form button[type=submit]").click()
    text_appears(page, "main h1", slug)

    element(page, "#edit-link").click()
    limit = element(page, "#link-scanLimit")
    limit.send_keys("5")
    element(page, "#link-title").send_keys("Made in the form")
    element(page, "#link-form button[type=submit]").click()
    text_appears(page, "#link-form [role=status]", "Saved")
    link = api("query($s: String) { link(slug: $s) { title scanLimit destination } }", s=slug)
    assert link["link"] == {
        "title": "Made in the form",
        "scanLimit": 5,
        "destination": "https://example.com/made-in-form",
    }
