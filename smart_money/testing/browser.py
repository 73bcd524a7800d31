"""Headless Debian Chromium for the page, docs and report tests and the screenshot script: one place for the
browser's paths (``SMART_MONEY_CHROMIUM``, ``SMART_MONEY_CHROMEDRIVER``) and its flags. On this machine's
closed network Chromium must not look for Google's hosts, so background networking, component updates and
sync are off; ``offline`` also blocks every host but 127.0.0.1, so a page that needs a CDN shows it."""

from __future__ import annotations

import os
from pathlib import Path

CHROMIUM = os.environ.get("SMART_MONEY_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("SMART_MONEY_CHROMEDRIVER", "/usr/bin/chromedriver")
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
# no network but loopback: a page or docs asset fetched from anywhere else fails to load
OFFLINE_FLAGS = (
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=127.0.0.1",
)
INSTALL_HINT = "run `make test` (it installs Debian's chromium and chromium-driver)"


def missing() -> list[str]:
    """The browser or driver paths that do not exist."""
    return [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]


def headless_chromium(profile: Path, window: tuple[int, int], offline: bool = True):
    """A Selenium driver of headless Chromium with a fresh profile in ``profile``."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    flags = (*FLAGS, *(OFFLINE_FLAGS if offline else ()), f"--window-size={window[0]},{window[1]}")
    for flag in (*flags, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    return driver
