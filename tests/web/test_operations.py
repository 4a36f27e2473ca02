"""Bulk upload, webhooks, API keys and scope refusals, through the dashboard in a browser."""

from __future__ import annotations

import csv
import io
import threading
import zipfile
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import zxingcpp
from PIL import Image
from selenium.webdriver.common.by import By

from tests.web.browsing import element, sign_in, text_appears, wait
from tests.web.conftest import Api, unique

# A real browser against a real server: slower than the suite's 60 s default on a busy
# CI machine (each test is a few seconds when the machine is idle).
pytestmark = pytest.mark.timeout(180)


def test_a_50_row_csv_becomes_a_zip_with_row_errors_by_row(
    page: Any, served: tuple[str, str], tmp_path: Path, shoot: Callable[[str], Path]
) -> None:
    base, key = served
    batch = unique("crate")
    path = tmp_path / "codes.csv"
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["name", "type", "url", "text"])
        for i in range(50):
            if i == 6:  # CSV row 8: refused by the server, reported by row
                writer.writerow([f"{batch}-{i}", "URL", "ftp://not-http.example", ""])
            elif i % 2:
                writer.writerow([f"{batch}-{i}", "TEXT", "", f'Crate {i}, "fragile"'])
            else:
                writer.writerow([f"{batch}-{i}", "URL", f"https://example.com/crate/{i}", ""])

    sign_in(page, base, key)
    page.find_element(By.LINK_TEXT, "Bulk").click()
    element(page, "#csv").send_keys(str(path))
    text_appears(page, "#bulk-form button", "Create 50 codes").click()
    text_appears(page, "#job", "SUCCEEDED", timeout=60)
    progress = element(page, "#progress")
    assert progress.get_attribute("value") == progress.get_attribute("max") == "50"
    assert "49 made · 1 refused" in element(page, "#job").text
    error_row = text_appears(page, "#row-errors tbody tr", "8")
    assert error_row.find_elements(By.TAG_NAME, "td")[0].text == "8"
    assert "http" in error_row.text.lower()
    shoot("bulk")

    download = httpx.get(element(page, "#zip").get_attribute("href"), timeout=30)
    assert download.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(download.content))
    images = [n for n in archive.namelist() if n.endswith(".png")]
    assert len(images) == 49 and "manifest.csv" in archive.namelist()
    manifest = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode())))
    crate_2 = next(row for row in manifest if row.get("name") == f"{batch}-2")
    image_name = next(n for n in images if n in crate_2.values() or crate_2["name"] in n)
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(archive.read(image_name))).convert("RGB"))
    assert [b.text for b in found] == ["https://example.com/crate/2"]


def test_a_key_without_codes_write_is_told_why_in_words(
    page: Any, served: tuple[str, str], api: Api, shoot: Callable[[str], Path]
) -> None:
    base, _ = served
    reader = api.new_key("codes:read", "links:read")
    sign_in(page, base, reader)
    page.find_element(By.LINK_TEXT, "New code").click()
    fill_name = element(page, "[name=name]")
    fill_name.send_keys("Not allowed")
    refusal = text_appears(page, "#verdict [role=alert]", "codes:write")
    assert "lacks the codes:write scope" in refusal.text
    element(page, "img#preview")  # renderQr needs no scope: the picture is still shown
    element(page, "#code-form button[type=submit]").click()
    saved = text_appears(page, "#code-form > div > [role=alert]", "codes:write")
    assert "refused" in saved.text
    shoot("code-refused")
    assert "/app/codes/new" in page.current_url  # nothing was made, nowhere to go

    page.find_element(By.LINK_TEXT, "Webhooks").click()
    text_appears(page, "[role=alert]", "webhooks:manage")


class Receiver:
    """A webhook endpoint on 127.0.0.1 that answers `status` (500 until told otherwise)."""

    def __init__(self) -> None:
        self.status = 500
        self.hits = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", 0)))
                receiver.hits += 1
                self.send_response(receiver.status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


def test_webhook_deliveries_show_failures_and_redeliver(
    page: Any, served: tuple[str, str], api: Api, receiver: Receiver, shoot: Callable[[str], Path]
) -> None:
    base, key = served
    sign_in(page, base, key)
    page.find_element(By.LINK_TEXT, "Webhooks").click()
    element(page, "#webhook-url").send_keys(receiver.url)
    element(page, "input[name=events][value=SCAN_CREATED]").click()  # off
    element(page, "input[name=events][value=LINK_CREATED]").click()  # on
    element(page, "#webhook-form button[type=submit]").click()
    assert element(page, "#webhook-secret code").text.startswith("whsec_")

    api('mutation { createLink(input: {destination: "https://example.com/x"}) { link { id } } }')

    def refreshed_row(d: Any) -> Any:
        card = text_appears(d, "section.webhook", receiver.url)
        card.find_element(By.XPATH, ".//button[text()='Refresh']").click()
        rows = d.find_elements(By.CSS_SELECTOR, "section.webhook tr[data-delivery]")
        return rows[0] if rows and "500" in rows[0].text else None

    row = wait(page, refreshed_row, timeout=30)
    assert "LINK_CREATED" in row.text and "500" in row.text
    shoot("webhooks")

    receiver.status = 204
    row.find_element(By.XPATH, ".//button[text()='Redeliver']").click()

    def succeeded(d: Any) -> bool:
        text_appears(d, "section.webhook", receiver.url).find_element(
            By.XPATH, ".//button[text()='Refresh']"
        ).click()
        rows = d.find_elements(By.CSS_SELECTOR, "section.webhook tr[data-delivery]")
        return bool(rows) and "SUCCEEDED" in rows[0].text

    wait(page, succeeded, timeout=30)
    assert receiver.hits >= 2


def test_api_key_is_shown_once_and_can_be_revoked(
    page: Any, served: tuple[str, str], api: Api, shoot: Callable[[str], Path]
) -> None:
    base, key = served
    name = unique("printer")
    sign_in(page, base, key)
    page.find_element(By.LINK_TEXT, "API keys").click()
    element(page, "#key-name").send_keys(name)
    element(page, "input[name=scopes][value='analytics:read']").click()  # off again
    element(page, "#key-form button[type=submit]").click()
    secret = element(page, "#new-key code").text
    assert secret.startswith("qrf_")
    viewer = api("{ viewer { scopes } }", key=secret)["viewer"]
    assert sorted(viewer["scopes"]) == ["codes:read", "links:read"]
    row = text_appears(page, "#keys tbody tr", name)
    assert secret not in page.find_element(By.ID, "keys").text  # only the prefix is listed
    shoot("keys")

    page.execute_script("window.confirm = () => true")
    row.find_element(By.XPATH, ".//button[text()='Revoke']").click()
    wait(page, lambda d: name not in d.find_element(By.ID, "keys").text)
    refused = httpx.post(
        f"{base}/graphql",
        json={"query": "{ viewer { scopes } }"},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert refused.status_code == 401


def test_overview_shows_usage_against_limits(
    page: Any, served: tuple[str, str], shoot: Callable[[str], Path]
) -> None:
    base, key = served
    sign_in(page, base, key)
    page.find_element(By.LINK_TEXT, "Overview").click()
    text_appears(page, ".card", "Links in the last 24 h, of")
    text_appears(page, "section h2", "Scans, last 30 days")
    # Workspace analytics: the earlier tests' scans and links are there (the session's
    # server is shared), with the workspace's chart as an image.
    element(page, "#ws-total")
    chart = element(page, "#ws-chart")
    wait(page, lambda d: d.execute_script("return arguments[0].naturalWidth", chart) > 0)
    shoot("overview")
