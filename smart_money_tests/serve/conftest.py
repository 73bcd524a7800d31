"""A real uvicorn server on a loopback port, over a copy of the default market's warehouse, and a real
headless Chromium (Debian's chromium + chromedriver, driven by Selenium) that reaches only loopback."""

import shutil
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn

from smart_money.serve.app import create_app
from smart_money.testing import browser as browser_paths

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


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless Chromium without network: any host but 127.0.0.1 fails to resolve, and the proxy it would
    use is a closed port, so a page that needs a CDN shows it."""
    if browser_paths.missing():
        pytest.fail(f"{browser_paths.missing()} not found: {browser_paths.INSTALL_HINT}")
    driver = browser_paths.headless_chromium(tmp_path_factory.mktemp("chromium-profile"), (1200, 1400))
    yield driver
    driver.quit()
