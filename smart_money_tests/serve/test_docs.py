"""``/docs`` (Swagger UI) and ``/redoc`` in headless Chromium without network: every script and style comes
from the app itself (the ``fastapi-offline`` package's files), and both pages render every operation."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from smart_money_tests.serve.conftest import RunningServer

LOADED = "return performance.getEntriesByType('resource').map((e) => [e.name, e.initiatorType])"


def _assert_loaded_from(server, browser) -> None:
    """Every script, style and data request went to the app; the only other request a page may try is
    Redoc's decorative footer logo (an image its script asks of its CDN), which the page's
    Content-Security-Policy refuses before it reaches the network."""
    loaded = browser.execute_script(LOADED)
    own = [name for name, _ in loaded if name.startswith(server.url)]
    assert any(name.endswith(".js") for name in own) and any(name.endswith("/openapi.json") for name in own)
    foreign = [(name, kind) for name, kind in loaded if not name.startswith(server.url)]
    assert all(kind == "img" and "logo" in name for name, kind in foreign), foreign


@pytest.fixture(scope="module")
def docs_server(tmp_path_factory):
    """The app over an empty data folder: the docs need no data."""
    root = tmp_path_factory.mktemp("docs")
    with RunningServer(root / "data", root / "models") as server:
        yield server


def _operations(server) -> list[tuple[str, str]]:
    spec = server.client.get("/openapi.json").json()
    return [(method.upper(), path) for path, item in spec["paths"].items() for method in item]


def test_the_docs_pages_reference_only_the_apps_own_files(docs_server):
    for page in ("/docs", "/redoc"):
        response = docs_server.client.get(page)
        assert response.status_code == 200 and "cdn" not in response.text.lower()
        assert "http://" not in response.text and "https://" not in response.text, page
        assert "img-src 'self' data:" in response.headers["content-security-policy"]
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js"):
        response = docs_server.client.get(f"/docs-assets/{asset}")
        assert response.status_code == 200 and len(response.content) > 100_000, asset


def test_swagger_ui_renders_every_operation_offline(docs_server, browser):
    operations = _operations(docs_server)
    assert ("POST", "/api/ml/smart-money-flow") in operations and len(operations) >= 8
    browser.get(docs_server.url + "/docs")
    WebDriverWait(browser, 30).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, ".opblock .opblock-summary-path")) == len(operations)
    )
    blocks = browser.find_elements(By.CSS_SELECTOR, ".opblock")
    shown = sorted(
        (
            b.find_element(By.CSS_SELECTOR, ".opblock-summary-method").text,
            b.find_element(By.CSS_SELECTOR, ".opblock-summary-path").text.replace("\u200b", ""),
        )
        for b in blocks
    )
    assert shown == sorted(operations)
    assert browser.find_element(By.CSS_SELECTOR, ".info .title").text.startswith("smart-money")
    _assert_loaded_from(docs_server, browser)


def test_redoc_renders_every_operation_offline(docs_server, browser):
    operations = _operations(docs_server)
    browser.get(docs_server.url + "/redoc")
    sections = (
        "return new Set([...document.querySelectorAll('[data-section-id^=\"operation/\"]')]"
        ".map((e) => e.getAttribute('data-section-id'))).size"
    )
    WebDriverWait(browser, 30).until(lambda d: d.execute_script(sections) == len(operations))
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "/api/ml/smart-money-flow" in body and "smart-money" in body
    _assert_loaded_from(docs_server, browser)


def test_the_documented_texts_are_plain_words(docs_server):
    """The descriptions /docs shows come from the handlers' and schemas' docstrings: no RST or Markdown
    markup, no pointers into the project's README."""
    spec = docs_server.client.get("/openapi.json").json()
    texts = []

    def walk(node) -> None:
        if isinstance(node, dict):
            texts.extend(v for k, v in node.items() if k in ("description", "summary") and isinstance(v, str))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    assert len(texts) > 10
    for text in texts:
        assert "`" not in text and "README" not in text and ":class:" not in text, text
