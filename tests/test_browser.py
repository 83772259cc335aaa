"""The try-it page in a real headless Chromium (Debian's chromium + chromium-driver, via Selenium)."""
from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from pathlib import Path

import pytest

from bench.server import start_server, stop_server

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "artifacts" / "browser"
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def browser():
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        if os.environ.get("CI"):
            pytest.fail("chromium and chromium-driver are not installed (scripts/system-deps.sh installs them)")
        pytest.skip("chromium and chromium-driver are not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--disable-quic", f"--user-data-dir={profile}", "--window-size=1280,1400",
                "--lang=en-US"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def base():
    proc, url = start_server(workers=1)
    yield url
    stop_server(proc)


def _shot(driver, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def _submit(driver, text: str, **selects: str) -> None:
    from selenium.webdriver.support.ui import Select

    area = driver.find_element("id", "text")
    area.clear()
    # send_keys types slowly and mangles Hangul composition; set the value as a paste would
    driver.execute_script("arguments[0].value = arguments[1];", area, text)
    for field, value in selects.items():
        Select(driver.find_element("id", field)).select_by_value(value)
    driver.find_element("id", "submit").click()


def _wait(driver, condition, timeout: float = 20):  # noqa: ANN001, ANN202
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(condition)


def test_korean_then_english_then_errors(browser, base: str) -> None:
    import requests
    from selenium.webdriver.common.keys import Keys

    d = browser
    d.get(base + "/")
    ko = (ROOT / "samples" / "ko.txt").read_text(encoding="utf-8")
    _submit(d, "😀 " + ko)  # an astral character first: offsets are code points, not UTF-16 units
    _wait(d, lambda drv: len(drv.find_elements("css selector", "#bullets li")) == 3)
    assert not d.find_element("id", "submit").get_attribute("disabled")
    api = requests.post(base + "/v1/summarize", json={"text": "😀 " + ko}, timeout=30).json()
    bullets = d.find_elements("css selector", "#bullets li")
    assert [b.text for b in bullets] == [b["text"] for b in api["bullets"]]
    bullets[1].click()
    active = d.find_elements("css selector", "#article mark.active")
    assert [m.text for m in active] == [s["sentence"] for s in api["bullets"][1]["sources"]]
    assert d.execute_script('return document.fonts.check(\'16px "Noto Sans CJK KR"\')')
    hangul_width = d.execute_script(
        "const c = document.createElement('canvas').getContext('2d');"
        "c.font = '16px \"Noto Sans CJK KR\"'; return c.measureText('가').width;")
    assert hangul_width > 12  # a real glyph, about one em wide
    korean = _shot(d, "korean")

    # keyboard: Tab reaches a bullet, Enter highlights its source
    bullets[0].send_keys(Keys.TAB)  # focus moves on to the next bullet
    d.switch_to.active_element.send_keys(Keys.ENTER)
    focused = d.switch_to.active_element
    assert focused.get_attribute("data-index") == "1"
    assert d.find_element("css selector", "#bullets li.active").get_attribute("data-index") == "1"

    en = (ROOT / "samples" / "en.txt").read_text(encoding="utf-8")
    _submit(d, en)
    _wait(d, lambda drv: "en" in drv.find_element("id", "meta").text and
          "Oslo" in drv.find_element("id", "bullets").text)
    assert "method: extractive" in d.find_element("id", "meta").text
    d.find_elements("css selector", "#bullets li")[0].click()
    assert d.find_elements("css selector", "#article mark.active")
    english = _shot(d, "english")

    # an error in words: bullets in Korean need a translation model this server does not have
    _submit(d, en, target_lang="ko")
    _wait(d, lambda drv: drv.find_element("id", "error").is_displayed())
    message = d.find_element("id", "error").text
    assert "Could not summarize" in message and "translation model" in message and "{" not in message
    error = _shot(d, "error")

    # empty text: a validation message, not raw JSON
    from selenium.webdriver.support.ui import Select

    Select(d.find_element("id", "target_lang")).select_by_value("")
    _submit(d, "   ")
    _wait(d, lambda drv: "whitespace" in drv.find_element("id", "error").text)

    # phone width: no horizontal scrolling, the form still works
    d.set_window_size(390, 844)
    d.get(base + "/")
    _submit(d, ko)
    _wait(d, lambda drv: len(drv.find_elements("css selector", "#bullets li")) == 3)
    assert d.execute_script("return document.documentElement.scrollWidth") <= 390
    # the page scrolls to the result by itself: the bullets' top comes into the viewport
    _wait(d, lambda drv: drv.execute_script(
        "const r = document.getElementById('bullets').getBoundingClientRect();"
        "return window.scrollY > 0 && r.top >= 0 && r.top < window.innerHeight;"))
    phone = _shot(d, "phone")

    # a request in flight shows progress and cannot be sent twice
    state = d.execute_script(
        "const b = document.getElementById('submit'); b.click(); b.click();"
        "return [b.disabled, document.getElementById('form').getAttribute('aria-busy'),"
        " document.getElementById('progress').hidden];")
    assert state == [True, "true", False]
    _wait(d, lambda drv: not drv.find_element("id", "submit").get_attribute("disabled"))
    d.set_window_size(1280, 1400)
    warnings.warn(f"browser screenshots: {korean}, {english}, {error}, {phone}", stacklevel=1)


def test_concise_style_from_the_page(browser, base: str) -> None:
    import requests

    d = browser
    d.set_window_size(1280, 1400)
    d.get(base + "/")
    ko = (ROOT / "samples" / "ko.txt").read_text(encoding="utf-8")
    _submit(d, ko, style="concise")
    _wait(d, lambda drv: "style: concise" in drv.find_element("id", "meta").text)
    api = requests.post(base + "/v1/summarize", json={"text": ko, "style": "concise"}, timeout=30).json()
    assert api["style"] == "concise"
    shown = [b.text for b in d.find_elements("css selector", "#bullets li")]
    assert shown == [b["text"] for b in api["bullets"]] and shown
    sentence = requests.post(base + "/v1/summarize", json={"text": ko}, timeout=30).json()
    assert [b["text"] for b in sentence["bullets"]] != shown  # the style changed the bullets


def test_bullet_length_from_the_page(browser, base: str) -> None:
    import requests

    d = browser
    d.get(base + "/")
    en = (ROOT / "samples" / "en.txt").read_text(encoding="utf-8")
    d.execute_script("document.getElementById('max_chars').value = '60';")
    _submit(d, en)
    _wait(d, lambda drv: "length: 60" in drv.find_element("id", "meta").text)
    shown = [b.text for b in d.find_elements("css selector", "#bullets li")]
    api = requests.post(base + "/v1/summarize", json={"text": en, "max_chars": 60}, timeout=30).json()
    assert shown == [b["text"] for b in api["bullets"]] and all(len(t) <= 90 for t in shown)
