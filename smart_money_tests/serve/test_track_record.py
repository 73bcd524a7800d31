"""``GET /api/ml/track-record`` against a real server, and the page's live hit rate and admin section in a
real headless Chromium, over the default market after nine months of published predictions were scored."""

import pytest
from selenium.webdriver.common.by import By

from smart_money_tests.serve.conftest import RunningServer, copy_warehouse
from smart_money_tests.serve.test_page import _wait
from smart_money_tests.track_records import PUBLISHED_MONTHS


@pytest.fixture(scope="module")
def scored_server(track_record_market, tmp_path_factory):
    data_dir = copy_warehouse(track_record_market["data_dir"], tmp_path_factory.mktemp("scored"))
    with RunningServer(data_dir, track_record_market["models_dir"]) as server:
        server.market = track_record_market
        yield server


def test_the_track_record_endpoint_serves_every_version_and_month(scored_server):
    market = scored_server.market
    version = market["version"]
    record = market["warehouse"].read_keyed("track_record")
    response = scored_server.client.get("/api/ml/track-record")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] and body["synthetic"] is True
    assert len(body["data"]) == len(record) == 12
    assert {r["month"] for r in body["data"]} == {m for m in PUBLISHED_MONTHS if m >= "2024-07"}
    assert body["predictions_made"][version] == 500 * len(PUBLISHED_MONTHS)
    last = record[record["scope"] == "cumulative"].sort_values("month").iloc[-1]
    serving = body["serving"]
    assert serving["version"] == version
    assert serving["live"]["hit_rate"] == pytest.approx(last["accuracy"])
    assert serving["live"]["auc"] == pytest.approx(last["auc"])
    assert serving["live"]["through"] == "2024-12" and serving["live"]["rows"] == 3000
    assert serving["test_accuracy"] == pytest.approx(
        market["market"]["metadata"]["metrics"]["test"]["accuracy"]
    )
    monthly = scored_server.client.get(
        "/api/ml/track-record", params={"scope": "month", "model_version": version}
    )
    assert [r["scope"] for r in monthly.json()["data"]] == ["month"] * 6


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [({"scope": "weekly"}, 400, "scope"), ({"model_version": "nope"}, 404, None)],
)
def test_bad_track_record_queries_name_the_field(scored_server, params, status, field):
    response = scored_server.client.get("/api/ml/track-record", params=params)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["field"] == field and error["message"]


def test_the_page_shows_the_live_hit_rate_and_the_admin_track_record(scored_server, browser):  # noqa: F811
    browser.get(scored_server.url + "/")
    live = _wait(
        browser,
        lambda d: d.find_element(By.ID, "live-track") if d.find_element(By.ID, "live-track").text else None,
    )
    body = scored_server.client.get("/api/ml/track-record").json()["serving"]
    assert f"Live hit rate (synthetic data): {100 * body['live']['hit_rate']:.1f}%" in live.text
    assert f"test accuracy {100 * body['test_accuracy']:.1f}%" in live.text
    browser.find_element(By.CSS_SELECTOR, "#admin summary").click()
    table = _wait(browser, lambda d: d.find_element(By.ID, "track-record-table"))
    assert len(table.find_elements(By.CSS_SELECTOR, "tbody tr")) == 6
    assert "Feature smart_money_flow is off" in browser.find_element(By.ID, "track-record-toggle").text
    assert "Predictions made:" in browser.find_element(By.ID, "track-record-made").text
    chart = browser.find_element(By.ID, "track-record-chart")
    assert chart.find_elements(By.CSS_SELECTOR, "line.test-auc") and chart.find_elements(
        By.CSS_SELECTOR, "polyline"
    )
