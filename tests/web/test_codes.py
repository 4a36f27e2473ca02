"""Making a styled code through the dashboard's form, and watching its scans arrive live."""

from __future__ import annotations

import base64
import io
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import zxingcpp
from PIL import Image
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from tests.web.browsing import element, sign_in, text_appears, wait

# A real browser against a real server: slower than the suite's 60 s default on a busy
# CI machine (each test is a few seconds when the machine is idle).
pytestmark = pytest.mark.timeout(180)

PHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)


def decoded(image: bytes) -> str:
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(image)).convert("RGB"))
    assert len(found) == 1, f"{len(found)} codes found"
    return str(found[0].text)


def colours(image: bytes) -> int:
    return len(Image.open(io.BytesIO(image)).convert("RGB").getcolors(maxcolors=1 << 16) or ())


def has_red(image: bytes) -> bool:
    found = Image.open(io.BytesIO(image)).convert("RGB").getcolors(maxcolors=1 << 16) or ()
    return any(r > 240 and g < 16 and b < 16 for _, (r, g, b) in found)


def preview_bytes(driver: Any) -> bytes:
    src = element(driver, "img#preview").get_attribute("src")
    assert src and src.startswith("data:image/png;base64,"), src
    return base64.b64decode(src.split(",", 1)[1])


def fill(driver: Any, name: str, value: str) -> None:
    """Replace a field's text by typing over it, as a person does. (clear() changes the DOM
    without an input event, so a re-render may put the old value back before typing.)"""
    field = element(driver, name if name.startswith("#") else f"[name='{name}']")
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(value)


def test_styled_code_made_in_the_form_previews_scans_and_counts_live(
    page: Any, served: tuple[str, str], shoot: Callable[[str], Path], tmp_path: Path
) -> None:
    base, key = served
    slug = f"web{uuid.uuid4().hex[:8]}"
    sign_in(page, base, key)
    page.find_element(By.LINK_TEXT, "New code").click()
    fill(page, "name", "Styled poster")
    fill(page, "data.url", "https://example.com/styled")
    Select(element(page, "[name=kind]")).select_by_value("DYNAMIC")
    fill(page, "link.slug", slug)
    fill(page, "style.foreground", "#1d3fbf")
    Select(element(page, "[name='style.moduleShape']")).select_by_visible_text("DOTS")
    Select(element(page, "[name='style.finderShape']")).select_by_visible_text("ROUNDED")
    element(page, "[name=gradient]").click()
    Select(element(page, "[name='style.frame.style']")).select_by_visible_text("BANNER_TOP")
    fill(page, "style.frame.text", "SCAN ME")

    logo = tmp_path / "logo.png"
    Image.new("RGB", (64, 64), (255, 0, 0)).save(logo)
    element(page, "[name=logo]").send_keys(str(logo))

    # The preview follows the form: wait for one with the last change (the red logo, on a
    # gradient of more than two colours), then it must scan as the code's short URL.
    wait(page, lambda d: has_red(preview_bytes(d)), message="no logo in the preview")
    assert colours(preview_bytes(page)) > 3
    scanned = f"{base}/r/{slug}?qr=1"
    assert decoded(preview_bytes(page)) == scanned
    assert "Scannable" in element(page, "#verdict").text
    shoot("code-new")

    page.find_element(By.CSS_SELECTOR, "#code-form button[type=submit]").click()
    wait(
        page,
        lambda d: re.search(r"/app/codes/[^/]+$", d.current_url) and "new" not in d.current_url,
    )
    text_appears(page, ".saved-link", f"/r/{slug}")
    assert decoded(preview_bytes(page)) == scanned

    Select(element(page, "#dl-format")).select_by_visible_text("PNG")
    fill(page, "#dl-size", "768")
    wait(page, lambda d: "size=768" in (element(d, "#download").get_attribute("href") or ""))
    download = httpx.get(element(page, "#download").get_attribute("href"), timeout=60)
    assert download.status_code == 200 and download.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(download.content)).width == 768
    assert decoded(download.content) == scanned
    shoot("code-edit")

    element(page, "#analytics-link").click()
    element(page, "#feed")
    text_appears(page, "h2", "live")
    assert element(page, "#scan-count").text == "0"
    page.execute_script("window.notReloaded = true")

    # A phone scans the printed code: the redirect answers, the worker stores the scan,
    # and the page hears of it over its subscription.
    answer = httpx.get(scanned, headers={"User-Agent": PHONE}, follow_redirects=False, timeout=30)
    assert answer.status_code == 302 and answer.headers["location"] == "https://example.com/styled"
    line = text_appears(page, "#feed li", "QR scan", timeout=30)
    assert "mobile" in line.text.lower() or "ios" in line.text.lower(), line.text
    wait(page, lambda d: element(d, "#scan-count").text == "1")
    assert page.execute_script("return window.notReloaded") is True
    # Then the page refetches: the server's own figures agree, breakdowns and chart included.
    text_appears(page, ".breakdowns", "iOS")
    assert element(page, "#range-total").text == "1" and element(page, "#scan-count").text == "1"
    chart = element(page, "#chart")
    wait(page, lambda d: d.execute_script("return arguments[0].naturalWidth", chart) > 0)
    svg = httpx.get(base + chart.get_attribute("src").removeprefix(base), timeout=30)
    assert svg.headers["content-type"].startswith("image/svg+xml") and "1 scan ·" in svg.text
    assert page.execute_script("return window.notReloaded") is True
    shoot("link-analytics")
