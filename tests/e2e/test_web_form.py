"""The sample web form (examples/web-form) in a real browser: headless Chromium, driven by
Selenium through Debian's chromedriver, against `closeloop dev --allow-dev-origins`.

The pages are served from localhost on a port of their own, as a developer's would be; the
browser fills in the form, submits it, and must land on thanks.html (the plain form) or show
the answer in the page (the fetch variant), and the lead must be there through the API.

Without Chromium a developer's run skips these tests, saying what to install; CI (CI=true)
fails instead, because .ci/run installs it and a skip there would hide a broken front door.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import tempfile
import threading
import urllib.request
import uuid
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.e2e.stacks import running_dev

ROOT = Path(__file__).resolve().parents[2]
PAGES = ROOT / "examples" / "web-form"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ADMIN_KEY = "e2e-web-form-key"
WAIT = 20  # seconds an explicit wait may take before the test fails (it normally takes well under one)
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

pytestmark = pytest.mark.e2e


def _browser_missing() -> str | None:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if not missing:
        return None
    return f"{' and '.join(missing)} not found: install Debian's chromium and chromium-driver packages"


@pytest.fixture(scope="module")
def browser_available() -> None:
    reason = _browser_missing()
    if reason is None:
        return
    if os.environ.get("CI", "").strip().lower() in ("true", "1", "yes"):
        pytest.fail(f"CI must run the browser test, but {reason} (.ci/run installs them)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def stack(browser_available: None) -> Iterator[dict[str, Any]]:
    """`closeloop dev --allow-dev-origins` as a developer runs it, on free ports."""
    settings = {"CLOSELOOP_ADMIN_KEY": ADMIN_KEY, "CLOSELOOP_DEV_ORIGINS": "off"}  # the flag wins over the variable
    with running_dev("--allow-dev-origins", **settings) as running:
        yield running


class _QuietPages(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def pages(browser_available: None) -> Iterator[int]:
    """examples/web-form served on a free loopback port, as `python -m http.server` would."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietPages, directory=str(PAGES)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser(browser_available: None) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="closeloop-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def until(driver: Any, condition: Any, what: str) -> Any:
    """Wait (explicitly, up to WAIT seconds) for `condition`; on time-out, say what was awaited and
    where the browser is, instead of Selenium's bare TimeoutException."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, WAIT).until(condition)
    except TimeoutException:
        page = driver.execute_script("return document.body ? document.body.innerText : ''")
        where = f"the browser is at {driver.current_url}: {page[:500]!r}"
        raise AssertionError(f"{what}: not within {WAIT} s; {where}") from None


def fill(driver: Any, **fields: str) -> None:
    from selenium.webdriver.common.by import By

    for name, value in fields.items():
        element = driver.find_element(By.NAME, name)
        element.clear()
        element.send_keys(value)


def submit(driver: Any) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()


def api_get(stack: dict[str, Any], path: str) -> Any:
    request = urllib.request.Request(f"{stack['api']}{path}", headers={"X-Api-Key": ADMIN_KEY})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def lead_by_email(stack: dict[str, Any], email: str) -> dict[str, Any] | None:
    listed = [item for item in api_get(stack, "/leads?since=1h&limit=200")["leads"] if item["email"] == email]
    assert len(listed) <= 1, listed
    return api_get(stack, f"/leads/{listed[0]['lead_id']}") if listed else None


def unique_email(kind: str) -> str:
    return f"{kind}.{uuid.uuid4().hex[:8]}@example.cn"


# ------------------------------------------------------------------ the tests


def test_the_banner_says_pages_on_this_machine_may_post(stack):
    assert "dev origins:   on:" in stack["banner"]


def test_the_form_posts_a_lead_and_the_browser_lands_on_the_thanks_page(stack, pages, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    browser.get(f"http://localhost:{pages}/index.html?api={stack['api']}&utm_source=e2e")
    honeypot = browser.find_element(By.NAME, "_hp")
    assert not honeypot.is_displayed() and honeypot.get_attribute("value") == ""
    email = unique_email("form")
    fill(browser, name="李雷", email=email, phone="13800138000", company="杭州智造", province="浙江")
    browser.find_element(By.NAME, "consent").click()
    submit(browser)

    until(browser, ec.visibility_of_element_located((By.ID, "thanks")), "the thanks page")
    landed = urlsplit(browser.current_url)
    assert (landed.hostname, landed.port, landed.path) == ("localhost", pages, "/thanks.html")
    assert "error=" not in landed.query
    lead = lead_by_email(stack, email)
    assert lead is not None, "the browser landed on thanks.html but no lead was stored"
    stored = (lead["name"], lead["company"], lead["phone"], lead["province"], lead["consent"])
    assert stored == ("李雷", "杭州智造", "+8613800138000", "浙江", True)
    touches = [(t["source"], t["channel"], t["utm_source"], t["campaign"]) for t in lead["touches"]]
    assert touches == [("website", "web", "e2e", None)]  # the page's own ?utm_source= travelled with it


def test_a_refused_form_lands_on_the_thanks_page_saying_why(stack, pages, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    browser.get(f"http://localhost:{pages}/index.html?api={stack['api']}")
    email = unique_email("refused")
    fill(browser, email=email, phone="12")  # not a phone number
    submit(browser)

    until(browser, ec.visibility_of_element_located((By.ID, "refused")), "the thanks page saying it was refused")
    assert browser.find_element(By.ID, "code").text == "validation_failed"
    assert browser.find_element(By.ID, "fields").text == "Phone · 电话"  # which field, in both languages
    assert "请检查" in browser.find_element(By.ID, "reason").text
    landed = parse_qs(urlsplit(browser.current_url).query)
    assert landed["fields"] == ["phone"] and "phone" not in landed and email not in browser.current_url  # names only
    assert lead_by_email(stack, email) is None
    back = urlsplit(browser.find_element(By.ID, "back").get_attribute("href"))
    assert back.path == "/index.html" and "error" not in back.query and "api=" in back.query

    browser.find_element(By.ID, "back").click()  # back to the form: what was typed is there again
    until(browser, ec.visibility_of_element_located((By.CSS_SELECTOR, "#refused")), "the form saying what to fix")
    assert browser.find_element(By.NAME, "email").get_attribute("value") == email
    assert browser.find_element(By.NAME, "phone").get_attribute("value") == "12"
    assert browser.find_element(By.NAME, "phone").get_attribute("aria-invalid") == "true"
    assert "Phone · 电话" in browser.find_element(By.ID, "refused").text
    fill(browser, phone="13900139000")  # a phone of its own: another test's lead has 13800138000
    submit(browser)
    until(browser, ec.visibility_of_element_located((By.ID, "thanks")), "the thanks page after the fix")
    assert lead_by_email(stack, email) is not None


def test_the_fetch_variant_shows_the_answer_in_the_page(stack, pages, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    page = f"http://127.0.0.1:{pages}/fetch.html?api={stack['api']}"
    browser.get(page)
    email = unique_email("fetch")
    fill(browser, name="韩梅梅", email=email, company="上海精密制造", message="第一行\n第二行")
    submit(browser)

    answer = (By.CSS_SELECTOR, "#answer[data-state=ok]")
    until(browser, ec.text_to_be_present_in_element(answer, "lead ld_"), "the answer in the page")
    text = browser.find_element(*answer).text
    lead = lead_by_email(stack, email)
    assert lead is not None and f"lead {lead['lead_id']}, created" in text
    assert lead["message"] == "第一行\r\n第二行"  # a textarea's lines, as the browser sends them
    assert browser.current_url == page  # the page stayed


def test_the_fetch_variant_shows_why_a_lead_was_refused(stack, pages, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    browser.get(f"http://127.0.0.1:{pages}/fetch.html?api={stack['api']}")
    fill(browser, email="someone@localhost")  # a browser takes it; the API wants a real domain
    submit(browser)

    answer = (By.CSS_SELECTOR, "#answer[data-state=error]")
    until(browser, ec.text_to_be_present_in_element(answer, "validation_failed"), "the refusal in the page")
    text = browser.find_element(*answer).text
    assert "email:" in text and "Work email · 工作邮箱" in text and "请检查" in text  # both languages
    assert browser.find_element(By.NAME, "email").get_attribute("aria-invalid") == "true"
    assert lead_by_email(stack, "someone@localhost") is None


def test_a_form_opened_from_disk_posts_too(stack, browser):
    """A file:// page sends `Origin: null`; with no redirect target the browser shows the answer."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    browser.get(f"{(PAGES / 'index.html').as_uri()}?api={stack['api']}")
    email = unique_email("disk")
    fill(browser, email=email)
    submit(browser)

    until(browser, ec.text_to_be_present_in_element((By.TAG_NAME, "body"), '"status"'), "the API's JSON answer")
    assert json.loads(browser.find_element(By.TAG_NAME, "body").text)["status"] == "created"
    assert lead_by_email(stack, email) is not None
