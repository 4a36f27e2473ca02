"""What the browser tests share: waiting for the page, finding things by their text."""

from __future__ import annotations

from typing import Any

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

WAIT = 30  # seconds; generous for a CI machine shared with the rest of the suite


def wait(driver: Any, condition: Any, timeout: float = WAIT, message: str = "") -> Any:
    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(condition, message)


def element(driver: Any, css: str, timeout: float = WAIT) -> WebElement:
    """The first element matching `css`, once it is there."""
    found: WebElement = wait(
        driver,
        lambda d: (d.find_elements(By.CSS_SELECTOR, css) or [None])[0],
        timeout,
        f"nothing matches {css!r}",
    )
    return found


def text_appears(driver: Any, css: str, text: str, timeout: float = WAIT) -> WebElement:
    """The first element matching `css` whose text contains `text`, once there is one."""

    def find(d: Any) -> WebElement | None:
        for candidate in d.find_elements(By.CSS_SELECTOR, css):
            try:
                if text in candidate.text:
                    return candidate
            except Exception:  # replaced by a re-render while we read it
                continue
        return None

    found: WebElement = wait(driver, find, timeout, f"no {css!r} says {text!r}")
    return found


def sign_in(driver: Any, base: str, key: str) -> None:
    """Open the dashboard and paste `key` into its form, as a person would."""
    driver.get(f"{base}/")
    field = element(driver, "#api-key")
    field.send_keys(key)
    driver.find_element(By.CSS_SELECTOR, ".key-form button[type=submit]").click()
    element(driver, "header nav")
