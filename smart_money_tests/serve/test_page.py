"""The web page in a real headless Chromium (Debian's chromium + chromedriver, driven by Selenium).

`make test` installs chromium and chromium-driver when they are missing; without them this test fails (it
is never skipped). The screenshot goes to the test's tmp folder, and to ``SMART_MONEY_SCREENSHOT_DIR`` when
that is set.
"""

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from smart_money_tests.serve.conftest import ADMIN_TOKEN


def _wait(driver, condition, timeout: float = 20):
    return WebDriverWait(driver, timeout).until(condition)


INSIDER_FEATURES = ("insider_buy_ratio_30d", "insider_cluster_score")
UP, DOWN = {"bullish", "accumulation", "positive", "long"}, {"bearish", "distribution", "negative", "short"}


def _disagrees(data: dict) -> bool:
    """A model reason on an insider feature pushes against what the insider rule says."""
    insider = data["signals"]["insider_activity"]
    return any(
        r["feature"] in INSIDER_FEATURES
        and (
            (r["direction"] == "raises" and insider in DOWN) or (r["direction"] == "lowers" and insider in UP)
        )
        for r in data["model_reasons"]
    )


def _check_reasons(browser, expected: dict) -> None:
    """The model's and the rules' reasons are two separate groups, each model reason says the direction its
    contribution pushes this prediction, and one line says why the two can disagree."""
    model_group = browser.find_element(By.ID, "model-reasons-group")
    rule_group = browser.find_element(By.ID, "rule-reasons-group")
    assert model_group.is_displayed() and rule_group.is_displayed()
    model_items = model_group.find_elements(By.CSS_SELECTOR, "li.model-reason")
    rule_items = rule_group.find_elements(By.CSS_SELECTOR, "li.rule-reason")
    assert not model_group.find_elements(By.CSS_SELECTOR, ".rule-reason")
    assert not rule_group.find_elements(By.CSS_SELECTOR, ".model-reason")
    # visibly apart: two boxes that do not overlap, each with its own heading
    a, b = model_group.rect, rule_group.rect
    assert a["x"] + a["width"] <= b["x"] or a["y"] + a["height"] <= b["y"], (a, b)
    assert "model" in model_group.find_element(By.TAG_NAME, "h3").text.lower()
    assert "rules" in rule_group.find_element(By.TAG_NAME, "h3").text.lower()

    shap = {t["feature"]: t["shap"] for t in expected["contributions"]["top_features"]}
    assert [li.get_attribute("data-feature") for li in model_items] == [
        r["feature"] for r in expected["model_reasons"]
    ]
    assert len(model_items) == 3
    for li in model_items:
        contribution = float(li.get_attribute("data-contribution"))
        assert contribution == pytest.approx(shap[li.get_attribute("data-feature")])
        direction = "raises" if contribution > 0 else "lowers"
        assert li.get_attribute("data-direction") == direction
        assert f"{direction} this prediction's probability" in li.text
        assert li.text.startswith("▲" if direction == "raises" else "▼")
    assert [li.text for li in rule_items] == [
        f"{LABELS[r['category']]}, {r['signal']}: {r['text']}" for r in expected["rule_reasons"]
    ]
    note = browser.find_element(By.ID, "reasons-note")
    assert note.is_displayed()
    assert "disagree" in note.text and "all its features together" in note.text and "one signal" in note.text


LABELS = {
    "insider_activity": "Insiders (Form 4)",
    "institutional_flow": "Institutions (13F)",
    "congressional_sentiment": "Congress (STOCK Act)",
    "hedge_fund_positioning": "Hedge funds (13F)",
}


def test_page_searches_a_symbol_and_renders_gauge_breakdown_and_timeline(served, browser, tmp_path):
    served.enable(reason="browser test")
    symbols = [f"SYN{i:03d}" for i in range(1, 101)]
    batch = served.client.post("/api/ml/smart-money-flow/batch", json={"symbols": symbols}).json()["data"]
    # one with options events and rule reasons to show, preferring a model reason that disagrees with the
    # rule of the same category (the case the note under "Why" explains)
    shown = [d for d in batch if d["options_flow"]["events"] and d["rule_reasons"]]
    expected = next((d for d in shown if _disagrees(d)), shown[0])
    symbol = expected["symbol"]
    browser.get(served.url + "/")
    _wait(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "1")
    banner = browser.find_element(By.ID, "synthetic-banner")
    assert banner.is_displayed() and "SYNTHETIC" in banner.text
    model_info = browser.find_element(By.ID, "model-info").text
    assert expected["model"]["version"] in model_info and "accuracy" in model_info

    browser.find_element(By.ID, "symbol-input").send_keys(symbol.lower())
    browser.find_element(By.ID, "search-button").click()
    _wait(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-rendered") == symbol)

    assert browser.find_element(By.ID, "result").is_displayed()
    assert browser.find_element(By.ID, "gauge-value").text == f"{expected['conviction_score']:.0f}"
    gauge = browser.find_element(By.ID, "gauge")
    assert float(gauge.get_attribute("data-value")) == pytest.approx(expected["conviction_score"], abs=0.05)
    assert browser.find_element(By.ID, "gauge-arc").get_attribute("d").startswith("M 20 100 A 80 80")
    call = browser.find_element(By.ID, "call")
    assert call.text == expected["predicted_conviction"] and call.value_of_css_property("color") != ""
    assert browser.find_element(By.ID, "confidence").text == expected["confidence"]

    cards = browser.find_elements(By.CSS_SELECTOR, "#breakdown .category")
    assert [c.get_attribute("data-category") for c in cards] == list(expected["signals"])
    for card in cards:
        value = card.find_element(By.CSS_SELECTOR, ".value").text.lower()
        assert value == expected["signals"][card.get_attribute("data-category")]
        assert card.get_attribute("title")  # the native tooltip
    tooltip = cards[0].find_element(By.CSS_SELECTOR, ".tooltip")
    assert not tooltip.is_displayed()
    ActionChains(browser).move_to_element(cards[0]).perform()
    _wait(browser, lambda d: tooltip.is_displayed())
    assert "30 days" in tooltip.text

    rows = browser.find_elements(By.CSS_SELECTOR, "#timeline tbody tr.event")
    activity = served.client.get(f"/api/symbols/{symbol}/activity").json()["data"]["events"]
    assert len(rows) == len(activity) > 0
    assert rows[0].find_elements(By.TAG_NAME, "td")[0].text == activity[0]["date"]
    _check_reasons(browser, expected)
    flow = browser.find_elements(By.CSS_SELECTOR, "#options-events tbody tr.option-event")
    events = expected["options_flow"]["events"]
    assert [r.get_attribute("data-event-id") for r in flow] == [e["event_id"] for e in events]
    first = flow[0].find_elements(By.TAG_NAME, "td")
    assert first[1].text == events[0]["profile"] and events[0]["reasons"][0] in first[4].text
    # shown on the market's clock: New York time, inside regular hours (the API's time is UTC)
    closed = pd.Timestamp(events[0]["time"]).tz_localize("UTC").tz_convert("America/New_York")
    assert first[0].text == f"{closed:%Y-%m-%d %H:%M:%S}" and "09:30" <= f"{closed:%H:%M}" < "16:00"

    shot = tmp_path / "smart-money-page.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    if os.environ.get("SMART_MONEY_SCREENSHOT_DIR"):
        target = Path(os.environ["SMART_MONEY_SCREENSHOT_DIR"])
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, target / shot.name)


def test_admin_panel_toggles_the_feature_with_the_token(served, browser):
    served.enable(reason="browser admin test")
    browser.get(served.url + "/")
    _wait(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "1")
    assert browser.find_element(By.ID, "toggle-state").get_attribute("textContent") == "ON"
    browser.find_element(By.CSS_SELECTOR, "#admin summary").click()
    status = browser.find_element(By.ID, "admin-status")

    browser.find_element(By.ID, "admin-token").send_keys("wrong-token")
    browser.find_element(By.ID, "admin-reason").send_keys("browser says off")
    browser.find_element(By.ID, "admin-disable").click()
    _wait(browser, lambda d: "not the admin token" in status.text)
    assert served.client.get("/healthz").json()["smart_money_flow"] is True

    token = browser.find_element(By.ID, "admin-token")
    token.clear()
    token.send_keys(ADMIN_TOKEN)
    browser.find_element(By.ID, "admin-disable").click()
    _wait(browser, lambda d: d.find_element(By.ID, "toggle-state").text == "OFF")
    assert served.client.get("/healthz").json()["smart_money_flow"] is False
    audit = browser.find_elements(By.CSS_SELECTOR, "#admin-audit tbody tr")
    assert (
        "web-admin" in audit[0].text and "on → off" in audit[0].text and "browser says off" in audit[0].text
    )

    browser.find_element(By.ID, "symbol-input").send_keys("SYN001")
    browser.find_element(By.ID, "search-button").click()
    message = browser.find_element(By.ID, "message")
    _wait(browser, lambda d: message.is_displayed())
    assert "turned off" in message.text and not browser.find_element(By.ID, "result").is_displayed()
    # plain words, said once: no backticks, no doubled sentence
    assert message.text.count("turned off") == 1 and "`" not in message.text
    served.enable(reason="browser test done")
