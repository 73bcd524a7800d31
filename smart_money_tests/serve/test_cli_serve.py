"""`smart-money serve` as a user starts it: the console script in its own process."""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from smart_money_tests.serve.conftest import ADMIN_TOKEN, copy_warehouse


def test_the_console_script_serves_the_api_and_the_page(built_default_market, tmp_path):
    data_dir = copy_warehouse(built_default_market["pristine_data_dir"], tmp_path / "data")
    script = shutil.which("smart-money", path=str(Path(sys.executable).parent))
    assert script, "the smart-money console script is not installed in this environment"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "SMART_MONEY_DATA_DIR": str(data_dir),
        "SMART_MONEY_MODELS_DIR": str(built_default_market["models_dir"]),
        "SMART_MONEY_ADMIN_TOKEN": ADMIN_TOKEN,
    }
    server = subprocess.Popen(
        [script, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"{url}/healthz", timeout=2)
                break
            except httpx.HTTPError:
                assert server.poll() is None and time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        assert health.status_code == 200 and health.json()["smart_money_flow"] is False
        page = httpx.get(f"{url}/")
        assert page.status_code == 200 and "Smart Money Flow" in page.text
        assert httpx.get(f"{url}/static/app.js").status_code == 200
        assert httpx.get(f"{url}/openapi.json").json()["paths"]["/api/ml/smart-money-flow"]
        enable = httpx.put(
            f"{url}/api/admin/features/smart_money_flow",
            json={"enabled": True, "reason": "console script test"},
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        )
        assert enable.status_code == 200
        assert httpx.post(f"{url}/api/ml/smart-money-flow", json={"symbol": "SYN001"}).status_code == 200
    finally:
        server.terminate()
        output = server.communicate(timeout=20)[0].decode()
    assert ADMIN_TOKEN not in output  # the token is never logged
    assert "admin API on" in output and '"POST /api/ml/smart-money-flow HTTP/1.1" 200' in output
