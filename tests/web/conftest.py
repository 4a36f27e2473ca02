"""The browser tier: Debian's headless Chromium, driven by Selenium through the distribution's
chromedriver, against one real `qrforge serve` on the embedded default (SQLite file, bundled
Redis, in-process worker), as `make run` starts it.

One browser and one server serve the whole session; each test opens its pages in a fresh
tab state (storage cleared). The browser reaches only 127.0.0.1: every other host resolves
to nothing and every other request goes to a proxy that does not exist. Screenshots of each
page land in tests/artifacts/screenshots/ (kept by CI as artifacts).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpx
import pytest

CHROMIUM = os.environ.get("QRFORGE_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("QRFORGE_TEST_CHROMEDRIVER", "/usr/bin/chromedriver")
SCREENSHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
# Nothing but loopback: no name resolves, and any request that is not to loopback goes to a
# proxy on a port nobody listens on (Chromium never proxies loopback).
ISOLATION = (
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
    "--proxy-server=http://127.0.0.1:9",
)
FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--disable-default-apps", "--disable-extensions", "--window-size=1280,900",
)  # fmt: skip


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the session. Missing Chromium fails loudly, never skips:
    CI installs it (.ci/run), and a developer is told how."""
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not shutil.which(path)]
    if missing:
        pytest.fail(
            f"The browser tests need Chromium and its driver; missing: {', '.join(missing)}. "
            "Install them with: apt-get install -y chromium chromium-driver",
            pytrace=False,
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must not download anything
    profile = tempfile.mkdtemp(prefix="qrforge-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, *ISOLATION, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(20)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="session")
def served(
    tmp_path_factory: pytest.TempPathFactory,
    qrforge_serve: Callable[[dict[str, str]], AbstractContextManager[tuple[str, str]]],
) -> Iterator[tuple[str, str]]:
    """(base URL, all-scopes key) of a real `qrforge serve` on the embedded default."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QRFORGE_")} | {
        "QRFORGE_DATA_DIR": str(tmp_path_factory.mktemp("dashboard")),
        "QRFORGE_RATE_LIMIT": "100000",
        "QRFORGE_ALLOW_PRIVATE_TARGETS": "true",
    }
    with qrforge_serve(env) as (base, key):
        yield base, key


class Api:
    """The test's own GraphQL client for setting up data, beside the browser."""

    def __init__(self, base: str, key: str) -> None:
        self.base, self.key = base, key

    def __call__(self, query: str, key: str | None = None, **variables: Any) -> dict[str, Any]:
        response = httpx.post(
            f"{self.base}/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {key or self.key}"},
            timeout=30,
        )
        body: dict[str, Any] = response.json()
        assert not body.get("errors"), body
        return body["data"]

    def new_key(self, *scopes: str) -> str:
        data = self(
            'mutation($s: [String!]!) { createApiKey(input: {name: "browser test", '
            "scopes: $s}) { secret userErrors { message } } }",
            s=list(scopes),
        )
        secret: str = data["createApiKey"]["secret"]
        return secret


@pytest.fixture
def api(served: tuple[str, str]) -> Api:
    return Api(*served)


@pytest.fixture
def page(browser: Any, served: tuple[str, str]) -> Iterator[Any]:
    """The browser on a blank page of the server, its session storage (the key) cleared."""
    base, _ = served
    browser.get(f"{base}/static/css/app.css")
    browser.execute_script("sessionStorage.clear(); localStorage.clear();")
    yield browser
    logs = browser.get_log("browser")
    errors = [entry for entry in logs if entry["level"] == "SEVERE"]
    # A script error in the page is a bug even when the test's assertions passed.
    expected = ("401", "403", "the server responded with a status of 4")
    unexpected = [e for e in errors if not any(x in e["message"] for x in expected)]
    assert not unexpected, unexpected


@pytest.fixture
def shoot(browser: Any) -> Callable[[str], Path]:
    """shoot(name): a screenshot of the whole page as tests/artifacts/screenshots/NAME.png."""

    def take(name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        browser.execute_script("window.scrollTo(0, 0)")
        height = browser.execute_script("return document.documentElement.scrollHeight")
        browser.set_window_size(1280, max(900, min(int(height) + 100, 4000)))
        browser.save_screenshot(str(path))
        browser.set_window_size(1280, 900)
        return path

    return take


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"
