"""A real uvicorn server on a loopback port, over a copy of the default market's warehouse, and a real
headless Chromium (Debian's chromium + chromedriver, driven by Selenium) that reaches only loopback."""

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from smart_money.serve.app import create_app

ADMIN_TOKEN = "test-admin-token-0123456789"


class RunningServer:
    def __init__(
        self,
        data_dir: Path,
        models_dir: Path,
        admin_token: str | None = ADMIN_TOKEN,
        refresh_seconds: float = 0.0,
    ):
        self.data_dir, self.models_dir = data_dir, models_dir
        self.app = create_app(data_dir, models_dir, admin_token=admin_token, refresh_seconds=refresh_seconds)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "RunningServer":
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)
        self.client = httpx.Client(base_url=self.url, timeout=30)
        return self

    def __exit__(self, *exc) -> None:
        self.client.close()
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def enable(self, enabled: bool = True, reason: str = "test setup") -> httpx.Response:
        response = self.client.put(
            "/api/admin/features/smart_money_flow",
            json={"enabled": enabled, "reason": reason, "actor": "pytest"},
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        )
        assert response.status_code == 200, response.text
        return response


def copy_warehouse(source: Path, target: Path, skip: tuple[str, ...] = ()) -> Path:
    """A private copy of a market's Parquet folders (the server writes toggles there)."""
    for folder in (source / "parquet").iterdir():
        if folder.name not in skip:
            shutil.copytree(folder, target / "parquet" / folder.name)
    return target


@pytest.fixture(scope="module")
def served(built_default_market, tmp_path_factory):
    """The default market (with its production model) behind a real server, the feature toggled off."""
    data_dir = copy_warehouse(built_default_market["pristine_data_dir"], tmp_path_factory.mktemp("served"))
    with RunningServer(data_dir, built_default_market["models_dir"]) as server:
        server.market = built_default_market
        yield server


CHROMIUM = os.environ.get("SMART_MONEY_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("SMART_MONEY_CHROMEDRIVER", "/usr/bin/chromedriver")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless Chromium without network: any host but 127.0.0.1 fails to resolve, and the proxy it would
    use is a closed port, so a page that needs a CDN shows it."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    if missing:
        pytest.fail(
            f"{missing} not found: run `make test` (it installs Debian's chromium and chromium-driver)"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1200,1400",
        # no network but loopback: a page or docs asset fetched from anywhere else fails to load
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
        "--proxy-server=http://127.0.0.1:9",
        "--proxy-bypass-list=127.0.0.1",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()
