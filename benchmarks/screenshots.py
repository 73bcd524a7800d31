"""Screenshots of what a new user sees, taken in headless Chromium: the Dagster UI over a default synthetic
build and the prediction page with its API docs.

    .venv/bin/python benchmarks/screenshots.py [--out docs/screenshots] [--root BUILD] [--reuse]

It builds the default synthetic market with `smart-money build` into ``--root`` (data/, models/,
dagster_home/; default a temporary folder), or with ``--reuse`` uses the build already there. Then it starts
`dagster-webserver` over that DAGSTER_HOME and `smart-money serve` over its data, each on a free loopback
port, turns the ``smart_money_flow`` toggle on in that build (so the page shows a prediction; the change is
in the build's audit log), drives Debian's chromium through chromedriver and saves:

- ``01_partitions.png``: raw_insider_trades' Partitions page, partition 2025-01 selected (its own row count);
- ``02_events.png``: raw_insider_trades' Events page for 2025-01, each event with that month's row count;
- ``03_catalog.png``: the asset catalog, every asset's status (partitioned ones: all materialized, 0 missing);
- ``04_lineage_<group>.png``: each group's lineage (raw, options_flow, features, model), every node with
  its asset checks and, when partitioned, its partitions 100% filled;
- ``05_checks.png``: the features asset's checks, features_missing_data open: a warning that does not block;
- ``06_page.png``: the web page with one prediction and its reasons;
- ``07_docs.png``: the API docs at /docs.

It prints each file's path. No internet is used: every server is on 127.0.0.1.
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from selenium import webdriver

from smart_money.testing import browser as browser_paths

ROOT = Path(__file__).resolve().parents[1]
ASSET = "raw_insider_trades"
PARTITION = "2025-01-01"


def save(driver: webdriver.Chrome, path: Path) -> Path:
    """Save the window as a 256-colour PNG (a UI screenshot loses nothing visible; a third of the size)."""
    from PIL import Image

    driver.save_screenshot(str(path))
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256)
    small.save(path, optimize=True)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(root: Path) -> dict[str, str]:
    """The default synthetic settings over the build in ``root`` (no SMART_MONEY_* of the caller)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMART_MONEY_")}
    env.update(
        SMART_MONEY_DATA_DIR=str(root / "data"),
        SMART_MONEY_MODELS_DIR=str(root / "models"),
        DAGSTER_HOME=str(root / "dagster_home"),
        PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
    )
    return env


def smart_money(*args: str, env: dict[str, str]) -> list[str]:
    return [sys.executable, "-m", "smart_money.cli", *args]


def build(root: Path, env: dict[str, str]) -> None:
    began = time.monotonic()
    command = smart_money("build", "--log-level", "WARNING", env=env)
    result = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(
            f"smart-money build failed ({result.returncode}):\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
        )
    print(f"built the default synthetic market in {root} in {time.monotonic() - began:.0f} s")


def wait_for(url: str, process: subprocess.Popen, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"{process.args[:4]} exited with {process.returncode} before answering {url}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    sys.exit(f"{url} did not answer within {seconds:.0f} s")


def browser(profile: Path) -> webdriver.Chrome:
    if browser_paths.missing():
        sys.exit(f"{browser_paths.missing()} not found: {browser_paths.INSTALL_HINT}")
    driver = browser_paths.headless_chromium(profile, (1600, 1100), offline=False)
    driver.set_page_load_timeout(60)
    return driver


def settle(driver: webdriver.Chrome, text: str | None = None, seconds: float = 60) -> None:
    """Wait until the page shows ``text`` (or only has loaded), then let the UI finish drawing."""
    deadline = time.monotonic() + seconds
    while text and time.monotonic() < deadline:
        if text in driver.find_element("tag name", "body").text:
            break
        time.sleep(1)
    time.sleep(3)


def dismiss_dialogs(driver: webdriver.Chrome) -> None:
    """Close the Dagster UI's first-visit "Join the Dagster community" dialog, if it is open."""
    for button in driver.find_elements("xpath", "//button[normalize-space()='Skip']"):
        if button.is_displayed():
            button.click()
            time.sleep(1)


def shoot(
    driver: webdriver.Chrome,
    out: Path,
    name: str,
    url: str,
    text: str | None = None,
    size: tuple[int, int] = (1600, 1100),
    click: str | None = None,
) -> Path:
    """Open ``url`` in a window of ``size``, wait for ``text``, click the element showing ``click``, save."""
    driver.set_window_size(*size)
    driver.get(url)
    settle(driver, text)
    dismiss_dialogs(driver)
    if click:
        driver.find_element("xpath", f"//*[normalize-space(text())='{click}']").click()
        time.sleep(3)
    path = save(driver, out / name)
    print(f"{path}  ({path.stat().st_size // 1024} kB)  {url}")
    return path


def prediction_page(driver: webdriver.Chrome, out: Path, url: str) -> Path:
    """The page with the first symbol's newest prediction and its reasons."""
    driver.get(url + "/")
    settle(driver)
    listed = httpx.get(url + "/api/symbols", timeout=10).json().get("data") or ["SYN001"]
    first = listed[0]["symbol"] if isinstance(listed[0], dict) else str(listed[0])
    driver.find_element("id", "symbol-input").send_keys(first)
    driver.find_element("id", "search-button").click()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if driver.find_element("tag name", "body").get_attribute("data-rendered") == first:
            break
        time.sleep(0.5)
    time.sleep(1)
    height = driver.execute_script("return document.body.scrollHeight")
    driver.set_window_size(1600, min(max(int(height) + 40, 1100), 3000))
    path = save(driver, out / "06_page.png")
    driver.set_window_size(1600, 1100)
    print(f"{path}  ({path.stat().st_size // 1024} kB)  {url}/ ({first})")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots", help="folder for the PNGs")
    parser.add_argument("--root", type=Path, help="build folder (data/, models/, dagster_home/)")
    parser.add_argument("--reuse", action="store_true", help="use the build already in --root")
    args = parser.parse_args(argv)
    if args.reuse and args.root is None:
        parser.error("--reuse needs --root, the folder of an earlier build")
    root = (args.root or Path(tempfile.mkdtemp(prefix="smart-money-screenshots-"))).resolve()
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    env = environment(root)
    if not args.reuse:
        build(root, env)
    toggle = smart_money(
        "toggle", "smart_money_flow", "on", "--reason", "screenshots", "--actor", "screenshots", env=env
    )
    subprocess.run(toggle, env=env, cwd=ROOT, check=True, capture_output=True)
    dagster_port, serve_port = free_port(), free_port()
    servers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dagster_webserver",
                "-h",
                "127.0.0.1",
                "-p",
                str(dagster_port),
                "-m",
                "smart_money",
            ],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
        subprocess.Popen(
            smart_money("serve", "--port", str(serve_port), "--no-access-log", env=env),
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
    ]
    ui, page = f"http://127.0.0.1:{dagster_port}", f"http://127.0.0.1:{serve_port}"
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        driver = None
        try:
            wait_for(ui + "/server_info", servers[0])
            wait_for(page + "/", servers[1])
            driver = browser(Path(profile))
            asset = f"{ui}/assets/{ASSET}"
            shoot(
                driver,
                out,
                "01_partitions.png",
                f"{asset}?view=partitions&partition={PARTITION}",
                "row_count",
            )
            shoot(driver, out, "02_events.png", f"{asset}?view=events&partition={PARTITION}", "row_count")
            shoot(driver, out, "03_catalog.png", f"{ui}/assets", "universe", size=(1600, 1500))
            for group, size in (
                ("raw", (1800, 2000)),
                ("options_flow", (1600, 1100)),
                ("features", (1600, 1100)),
                ("model", (3000, 1300)),  # eight assets in a row: wide enough to show each node's checks
            ):
                lineage = f"{ui}/locations/smart_money/asset-groups/{group}/lineage"
                shoot(driver, out, f"04_lineage_{group}.png", lineage, "Asset checks", size=size)
            checks = f"{ui}/assets/features?view=checks"
            shoot(
                driver, out, "05_checks.png", checks, "features_missing_data", click="features_missing_data"
            )
            prediction_page(driver, out, page)
            shoot(driver, out, "07_docs.png", page + "/docs", "smart-money")
        finally:
            if driver is not None:
                driver.quit()
            for server in servers:
                server.terminate()
            for server in servers:
                try:
                    server.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    server.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
