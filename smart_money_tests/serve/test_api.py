"""The HTTP contract of `smart-money serve`, through httpx against the real app on a loopback port."""

import json
import os
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import duckdb
import httpx
import numpy as np
import pandas as pd
import pytest

from smart_money import cli
from smart_money.features.catalog import FEATURE_NAMES
from smart_money.modeling import registry as registry_logic
from smart_money.modeling import rules
from smart_money.options_flow.contracts import PROFILES
from smart_money.warehouse import Warehouse
from smart_money_tests.serve.conftest import ADMIN_TOKEN, RunningServer, copy_warehouse

URL = "/api/ml/smart-money-flow"
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
TOGGLE = "/api/admin/features/smart_money_flow"


def _max_age(response) -> int:
    match = re.search(r"max-age=(\d+)", response.headers.get("cache-control", ""))
    assert match, response.headers
    return int(match.group(1))


def _error(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False and body["error"]["message"]
    if field is not None:
        assert body["error"]["field"] == field, body
    return body["error"]


def test_feature_is_off_by_default_and_predictions_answer_503(served):
    state = served.client.get("/api/admin/features", headers=AUTH).json()["data"][0]
    assert state["id"] == "smart_money_flow" and state["enabled"] is False and state["default"] is False
    error = _error(served.client.post(URL, json={"symbol": "SYN001"}), 503)
    assert error["code"] == "feature_disabled" and "smart-money toggle" in error["message"]
    # plain words: said once, no Markdown or RST backticks around the command
    assert error["message"].count("turned off") == 1 and "`" not in error["message"]
    _error(served.client.post(f"{URL}/batch", json={"symbols": ["SYN001"]}), 503)
    assert served.client.get("/healthz").json()["smart_money_flow"] is False


def test_admin_endpoints_need_the_bearer_token(served, tmp_path):
    put = {"enabled": True, "reason": "try"}
    response = served.client.put(TOGGLE, json=put)
    _error(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
    _error(served.client.get("/api/admin/features"), 401)
    wrong = {"Authorization": "Bearer not-the-token"}
    _error(served.client.put(TOGGLE, json=put, headers=wrong), 403)
    _error(served.client.get("/api/admin/features", headers=wrong), 403)
    # unauthenticated bad bodies are refused for the token first, not parsed
    _error(served.client.put(TOGGLE, content=b"{bad"), 401)
    _error(served.client.put(TOGGLE, json={"enabled": True}, headers=AUTH), 400)
    _error(
        served.client.put(TOGGLE, json={**put, "enabled": "yes"}, headers=AUTH),
        400,
        "enabled",
    )
    _error(served.client.put("/api/admin/features/other_feature", json=put, headers=AUTH), 404)
    assert served.client.get("/healthz").json()["smart_money_flow"] is False  # nothing changed
    # no SMART_MONEY_ADMIN_TOKEN set
    with RunningServer(served.data_dir, served.models_dir, admin_token="") as no_token:
        error = _error(no_token.client.get("/api/admin/features", headers=AUTH), 403)
        assert "SMART_MONEY_ADMIN_TOKEN" in error["message"]


def test_toggle_changes_are_audited_in_the_warehouse_and_the_cli_toggles_too(served, monkeypatch, capsys):
    on = served.enable(reason="launch after review").json()
    assert on["data"]["enabled"] is True and on["data"]["updated_by"] == "pytest"
    entry = on["audit"][0]
    assert (entry["actor"], entry["old_enabled"], entry["new_enabled"]) == ("pytest", False, True)
    assert entry["reason"] == "launch after review" and pd.Timestamp(entry["changed_at"]).tzinfo is not None
    assert served.client.post(URL, json={"symbol": "SYN001"}).status_code == 200

    monkeypatch.setenv("SMART_MONEY_DATA_DIR", str(served.data_dir))
    assert cli.main(["toggle", "smart_money_flow", "off", "--reason", "incident 42", "--actor", "ops"]) == 0
    assert "smart_money_flow: off" in capsys.readouterr().out
    _error(served.client.post(URL, json={"symbol": "SYN001"}), 503)  # the server sees the CLI's change
    assert cli.main(["toggle", "smart_money_flow", "on"]) == 2  # a change needs a reason

    audit = served.client.get("/api/admin/features", headers=AUTH).json()["audit"]
    assert [(a["actor"], a["old_enabled"], a["new_enabled"]) for a in audit[:2]] == [
        ("ops", True, False),
        ("pytest", False, True),
    ]
    # persisted in the warehouse, and each change refreshed the catalog: its views show the log and the state
    with duckdb.connect(str(Warehouse(served.data_dir).catalog_path), read_only=True) as con:
        state = con.execute("select new_enabled, actor from feature_toggles").fetchall()
        rows = con.execute("select count(*) from feature_toggle_audit").fetchone()[0]
    assert state == [(False, "ops")] and rows >= 2
    served.enable(reason="back on for the remaining tests")


def _production(served) -> tuple[str, dict]:
    market = served.market
    registry = market["registry"]
    version = registry.loc[registry["status"] == "production", "model_version"].iloc[0]
    return version, market["metadata"]


def test_prediction_has_the_documented_shape_and_matches_the_materialized_predictions(served):
    served.enable()
    response = served.client.post(URL, json={"symbol": "SYN001"})
    assert response.status_code == 200, response.text
    assert 120 <= _max_age(response) <= 300
    body = response.json()
    assert body["success"] is True
    data = body["data"]
    for key in (
        "symbol",
        "predicted_conviction",
        "conviction_score",
        "confidence",
        "features",
        "signals",
        "model",
        "timestamp",
        "rules_score",
        "ml_score",
        "combined_score",
        "contributions",
        "reasons",
        "data_source",
    ):
        assert key in data, key
    version, metadata = _production(served)
    assert data["model"]["version"] == version and data["model"]["algorithm"] == "LightGBM"
    assert data["model"]["accuracy"] == pytest.approx(metadata["metrics"]["test"]["accuracy"])
    assert data["model"]["auc"] == pytest.approx(metadata["metrics"]["test"]["auc"])
    assert list(data["features"]) == list(FEATURE_NAMES)
    assert set(data["signals"]) == set(rules.CATEGORY_VALUES)
    for category, value in data["signals"].items():
        assert value in rules.CATEGORY_VALUES[category]
    assert data["predicted_conviction"] == ("BULLISH" if data["conviction_score"] >= 50 else "BEARISH")
    assert data["confidence"] in ("HIGH", "MEDIUM", "LOW")
    assert data["combined_score"] == data["conviction_score"]
    assert data["conviction_score"] == pytest.approx(
        rules.RULES_WEIGHT * data["rules_score"] + rules.ML_WEIGHT * data["ml_score"], abs=1e-3
    )
    parts = data["contributions"]
    assert parts["rules"] + parts["ml"] == pytest.approx(data["conviction_score"], abs=1e-3)
    assert len(parts["top_features"]) == 5 and data["reasons"]
    # the model's reasons: the three largest contributions to this prediction, each with its direction
    model_reasons = data["model_reasons"]
    assert [r["feature"] for r in model_reasons] == [t["feature"] for t in parts["top_features"][:3]]
    for reason, top in zip(model_reasons, parts["top_features"], strict=False):
        assert reason["contribution"] == top["shap"] != 0
        assert reason["direction"] == ("raises" if top["shap"] > 0 else "lowers")
        assert f"{reason['direction']} this prediction's probability" in reason["text"]
    # the rules' reasons: one category each, with that category's signal (the card's)
    for reason in data["rule_reasons"]:
        assert reason["signal"] == data["signals"][reason["category"]]
        assert reason["text"] == rules.REASON_TEXT[reason["code"]]
    assert data["reasons"] == [r["text"] for r in model_reasons] + [r["text"] for r in data["rule_reasons"]]
    assert data["data_source"] == "synthetic" and data["synthetic"] is True
    assert isinstance(data["timestamp"], int)

    # the same call the pipeline's `predictions` asset made for the newest month
    stored = served.market["predictions"]
    row = stored[(stored["symbol"] == "SYN001") & (stored["model_version"] == version)]
    row = row.sort_values("sample_date").iloc[-1]
    assert data["sample_date"] == f"{row['sample_date']:%Y-%m-%d}"
    assert data["probability"] == pytest.approx(row["probability"], abs=1e-6)
    assert data["conviction_score"] == pytest.approx(row["conviction_score"], abs=1e-3)
    assert data["confidence"] == row["confidence"]
    assert data["predicted_conviction"] == row["predicted_conviction"]


def test_date_picks_the_newest_sample_on_or_before_it(served):
    served.enable()
    sample_dates = sorted(served.market["predictions"]["sample_date"].unique())
    features = Warehouse(served.data_dir).read_months("features")
    dates = sorted(features.loc[features["symbol"] == "SYN002", "sample_date"].unique())
    first, middle = pd.Timestamp(dates[0]), pd.Timestamp(dates[len(dates) // 2])
    assert sample_dates  # the stored predictions exist
    for asked, expected in (
        (middle, middle),
        (middle + pd.Timedelta(days=3), middle),
        (middle - pd.Timedelta(days=1), pd.Timestamp(dates[len(dates) // 2 - 1])),
    ):
        data = served.client.post(URL, json={"symbol": "syn002", "date": f"{asked:%Y-%m-%d}"}).json()["data"]
        assert data["symbol"] == "SYN002" and data["sample_date"] == f"{expected:%Y-%m-%d}"
    before = first - pd.Timedelta(days=1)
    asked = {"symbol": "SYN002", "date": f"{before:%Y-%m-%d}"}
    error = _error(served.client.post(URL, json=asked), 404, "date")  # the date is at fault, not the symbol
    assert f"{first:%Y-%m-%d}" in error["message"]
    batch = served.client.post(f"{URL}/batch", json={"symbols": ["SYN002", "NOPE"], "date": asked["date"]})
    assert [(e["symbol"], e["field"]) for e in batch.json()["errors"]] == [
        ("SYN002", "date"),
        ("NOPE", "symbol"),
    ]
    activity = served.client.get(f"/api/symbols/SYN002/activity?date={asked['date']}")
    assert _error(activity, 404, "date")["code"] == "not_found"
    error = _error(served.client.post(URL, json={"symbol": "NOPE"}), 404, "symbol")
    assert "NOPE" in error["message"]


@pytest.mark.parametrize(
    "body, field",
    [
        (b"{bad json", "body"),
        (b"[1, 2]", "body"),
        (b'"SYN001"', "body"),
        (b"{}", "symbol"),
        (b'{"symbol": ""}', "symbol"),
        (b'{"symbol": "ABCDEFGHIJK"}', "symbol"),
        (b'{"symbol": "AB CD"}', "symbol"),
        (b'{"symbol": "<script>"}', "symbol"),
        (b'{"symbol": 42}', "symbol"),
        (b'{"symbol": "SYN001", "date": "2024/01/15"}', "date"),
        (b'{"symbol": "SYN001", "date": "2024-02-30"}', "date"),
        (b'{"symbol": "SYN001", "date": "yesterday"}', "date"),
        (b'{"symbol": "SYN001", "features": [1, 2, 3]}', "features"),
        (b'{"symbol": "SYN001", "features": []}', "features"),
        (b'{"symbol": "SYN001", "features": "1,2,3"}', "features"),
        (b'{"symbol": "SYN001", "features": [NaN]}', "features[0]"),
        (b'{"symbol": "SYN001", "features": [1, Infinity]}', "features[1]"),
        (b'{"symbol": "SYN001", "features": [1, 2, -Infinity]}', "features[2]"),
        (b'{"symbol": "SYN001", "features": [1e999]}', "features[0]"),
        (b'{"symbol": "SYN001", "features": ["1.5"]}', "features[0]"),
        (b'{"symbol": "SYN001", "features": [true]}', "features[0]"),
        (b'{"symbol": "SYN001", "features": [[1]]}', "features[0]"),
        (b'{"symbol": "SYN001", "horizon": 14}', "horizon"),
        # dates outside pandas' timestamps were misread (answered with another sample date)
        (b'{"symbol": "SYN001", "date": "2607-06-15"}', "date"),
        (b'{"symbol": "SYN001", "date": "1677-09-21"}', "date"),
        (b'{"symbol": "SYN001", "date": "1899-12-31"}', "date"),
        (b'{"symbol": "SYN001", "date": "2262-04-12"}', "date"),
        (b'{"symbol": "SYN001", "date": "2024-01-15\\n"}', "date"),
        (b'{"symbol": "SYN001\\n"}', "symbol"),  # the pattern matches the whole string
        (b'{"symbol": "SYN001", "features": [1' + b"0" * 400 + b"]}", "features[0]"),  # beyond float
        (b'{"symbol": "SYN001", "features": [0, -1' + b"0" * 400 + b".5]}", "features[1]"),
        (b'{"symbol": "SYN001", "features": [1' + b"0" * 5000 + b"]}", "body"),  # over Python's 4300 digits
        (b'{"symbol": "SYN001", "features": ' + b"[0," * 20000 + b"0" + b"]" * 20000 + b"}", "body"),  # deep
    ],
)
def test_bad_input_is_a_400_naming_the_field(served, body, field):
    served.enable()
    response = served.client.post(URL, content=body, headers={"Content-Type": "application/json"})
    error = _error(response, 400, field)
    assert error["code"] == "invalid_request"
    assert response.headers["cache-control"] == "no-store"


def test_the_supported_date_range_ends_are_answered(served):
    served.enable()
    late = served.client.post(URL, json={"symbol": "SYN001", "date": "2262-04-11"})
    assert late.status_code == 200, late.text
    assert (
        late.json()["data"]["sample_date"]
        == served.client.post(URL, json={"symbol": "SYN001"}).json()["data"]["sample_date"]
    )
    _error(served.client.post(URL, json={"symbol": "SYN001", "date": "1900-01-01"}), 404, "date")


def test_errors_quote_at_most_80_characters_of_the_input(served):
    served.enable()
    huge = "x" * 900_000  # under the 1 MB body limit: the body reaches validation
    for body in (
        {"symbol": "SYN001", "features": [huge]},
        {"symbol": "SYN001", "date": huge},
        {"symbol": huge},
        {"symbol": "SYN001", huge: 1},
    ):
        response = served.client.post(URL, json=body)
        assert response.status_code == 400 and len(response.content) < 500, response.content[:500]
        assert "x" * 81 not in response.text
    response = served.client.get(f"/api/symbols/SYN001/activity?date={'9' * 100_00}")
    assert response.status_code == 400 and len(response.content) < 500
    response = served.client.put(
        f"/api/admin/features/{'f' * 5000}", json={"enabled": True, "reason": "r"}, headers=AUTH
    )
    assert response.status_code == 404 and len(response.content) < 500


@pytest.mark.parametrize(
    "change, field",
    [
        ({"actor": "ops\n2026-01-01 INFO serve: smart_money_flow set to False by admin"}, "actor"),
        ({"actor": "ops\r"}, "actor"),
        ({"reason": "ok\u2028forged"}, "reason"),
        ({"reason": "tab\tseparated"}, "reason"),
        ({"reason": "x" * 501}, "reason"),
    ],
)
def test_toggle_actor_and_reason_reject_control_characters(served, change, field, monkeypatch):
    before = served.client.get("/api/admin/features", headers=AUTH).json()["audit"]
    body = {"enabled": True, "reason": "a reason", "actor": "ops", **change}
    error = _error(served.client.put(TOGGLE, json=body, headers=AUTH), 400, field)
    assert len(error["message"]) < 200
    assert served.client.get("/api/admin/features", headers=AUTH).json()["audit"] == before  # not saved
    monkeypatch.setenv("SMART_MONEY_DATA_DIR", str(served.data_dir))
    args = ["toggle", "smart_money_flow", "on", "--reason", body["reason"], "--actor", body["actor"]]
    assert cli.main(args) == 2  # the CLI refuses them too


def test_bad_batch_and_activity_input_are_400s(served):
    served.enable()
    _error(served.client.post(f"{URL}/batch", json={"symbols": []}), 400, "symbols")
    _error(served.client.post(f"{URL}/batch", json={"symbols": ["SYN001"] * 1001}), 400, "symbols")
    _error(served.client.post(f"{URL}/batch", json={"symbols": ["SYN001", "BAD SYMBOL"]}), 400, "symbols[1]")
    _error(served.client.post(f"{URL}/batch", json={"symbols": ["A"], "date": "2024-13-01"}), 400, "date")
    _error(served.client.get("/api/symbols/BAD%20SYMBOL/activity"), 400, "symbol")
    _error(served.client.get("/api/symbols/SYN001/activity?date=2024-1-1"), 400, "date")
    _error(served.client.get("/api/symbols/SYN001/activity?date=2607-06-15"), 400, "date")
    _error(served.client.get("/api/symbols/SYN001/activity?date=1677-09-21"), 400, "date")
    _error(served.client.get("/api/symbols/SYN001/options-events?date=2607-06-15"), 400, "date")
    _error(served.client.get("/api/symbols/SYN001%0A/activity"), 400, "symbol")
    _error(served.client.post(f"{URL}/batch", json={"symbols": ["SYN001\n"]}), 400, "symbols[0]")
    _error(served.client.get("/api/symbols/SYN001/activity?days=0"), 400, "days")
    _error(served.client.get("/api/symbols/SYN001/activity?days=many"), 400, "days")
    _error(served.client.get("/api/symbols/SYN001/options-events?days=366"), 400, "days")
    _error(served.client.get("/api/symbols?limit=all"), 400, "limit")
    _error(served.client.get("/api/symbols/NOPE/activity"), 404, "symbol")


def test_every_error_names_the_field_at_fault_in_plain_words(served):
    """Every refusal names the input at fault (null only when no input is: an unknown endpoint, the
    feature off), and no message carries Markdown or RST markup."""
    served.enable()
    put = {"enabled": True, "reason": "why"}
    cases = [
        (served.client.put(TOGGLE, json=put), 401, "Authorization"),
        (
            served.client.put(TOGGLE, json=put, headers={"Authorization": "Bearer wrong"}),
            403,
            "Authorization",
        ),
        (served.client.put("/api/admin/features/nope", json=put, headers=AUTH), 404, "feature_id"),
        (served.client.put(TOGGLE, json={"enabled": True, "reason": "  "}, headers=AUTH), 400, "reason"),
        (served.client.put(TOGGLE, json={"enabled": True, "reason": ""}, headers=AUTH), 400, "reason"),
        (served.client.put(TOGGLE, json={"enabled": "yes", "reason": "r"}, headers=AUTH), 400, "enabled"),
        (
            served.client.put(TOGGLE, json={"enabled": True, "reason": "r", "actor": " "}, headers=AUTH),
            400,
            "actor",
        ),
        (served.client.post(URL, json={"symbol": "NOPE"}), 404, "symbol"),
        (served.client.post(URL, json={"symbol": "SYN001", "date": "1990-01-01"}), 404, "date"),
        (served.client.post(URL, json={"symbol": "SYN001", "features": [1.0]}), 400, "features"),
        (served.client.post(URL, content=b"symbol=SYN001"), 400, "body"),
        (served.client.get("/api/nothing-here"), 404, None),
        (served.client.delete("/healthz"), 405, None),
    ]
    for response, status, field in cases:
        error = _error(response, status)
        assert error["field"] == field, (response.request.method, response.request.url, error)
        assert "`" not in error["message"] and "**" not in error["message"], error["message"]
    assert "/docs" in _error(served.client.get("/api/nothing-here"), 404)["message"]
    served.enable(False, reason="the message while off")
    try:
        error = _error(served.client.post(URL, json={"symbol": "SYN001"}), 503)
        assert error["field"] is None and "`" not in error["message"]
    finally:
        served.enable()
    _error(served.client.post(f"{URL}/batch", json={"symbols": ["A"], "date": "2607-06-15"}), 400, "date")
    _error(served.client.post(f"{URL}/batch", json={"symbols": ["A"] * 5_000}), 400, "symbols")
    _error(served.client.post(f"{URL}/batch", json={"symbols": ["A"] * 150_000}), 400, "body")  # 0.75 MB
    _error(served.client.get("/api/symbols/SYN001/activity?days=0"), 400, "days")
    _error(served.client.get("/api/symbols/SYN001/activity?days=abc"), 400, "days")
    _error(served.client.get("/api/symbols/NOPE/activity"), 404)
    _error(served.client.get("/no/such/page"), 404)


def test_a_callers_feature_vector_is_scored_like_the_stored_row(served):
    served.enable()
    symbols = [f"SYN{i:03d}" for i in range(1, 60)]
    batch = served.client.post(f"{URL}/batch", json={"symbols": symbols}).json()["data"]
    stored = next(d for d in batch if any(v is None for v in d["features"].values()))
    names = served.client.get("/api/meta").json()["data"]["feature_names"]
    vector = [stored["features"][n] for n in names]  # null where the feature is missing
    response = served.client.post(URL, json={"symbol": stored["symbol"], "features": vector})
    assert response.status_code == 200, response.text
    scored = response.json()["data"]
    assert scored["data_source"] == "request" and scored["synthetic"] is False
    assert scored["probability"] == pytest.approx(stored["probability"], abs=1e-9)
    assert scored["conviction_score"] == pytest.approx(stored["conviction_score"], abs=1e-9)
    assert scored["signals"] == stored["signals"]


def test_batch_returns_every_known_symbol_and_lists_the_unknown(served):
    served.enable()
    symbols = ["SYN001", "SYN002", "NOPE", "SYN001", "SYN010"]
    response = served.client.post(f"{URL}/batch", json={"symbols": symbols, "date": "2023-06-30"})
    assert response.status_code == 200 and 120 <= _max_age(response) <= 300
    body = response.json()
    assert body["count"] == 3 and [d["symbol"] for d in body["data"]] == ["SYN001", "SYN002", "SYN010"]
    assert [(e["symbol"], e["field"]) for e in body["errors"]] == [("NOPE", "symbol")]
    single = served.client.post(URL, json={"symbol": "SYN002", "date": "2023-06-30"}).json()["data"]
    assert body["data"][1] == single


def test_repeated_requests_are_served_from_the_in_process_cache(served):
    served.enable()
    first = served.client.post(URL, json={"symbol": "SYN004", "date": "2022-09-20"}).json()["data"]
    before = served.client.get("/api/meta").json()["data"]["cache"]
    second = served.client.post(URL, json={"symbol": "SYN004", "date": "2022-09-21"}).json()["data"]
    after = served.client.get("/api/meta").json()["data"]["cache"]
    assert second == first  # same (symbol, sample date, model version): the same cached body
    assert after["hits"] == before["hits"] + 1 and after["misses"] == before["misses"]


def test_models_and_health(served):
    version, _ = _production(served)
    body = served.client.get("/api/ml/models").json()
    assert body["serving"]["version"] == version
    production = [m for m in body["data"] if m["status"] == "production"]
    assert [m["version"] for m in production] == [version] and production[0]["serving"] is True
    assert production[0]["test_auc"] == pytest.approx(served.market["metadata"]["metrics"]["test"]["auc"])
    health = served.client.get("/healthz").json()
    assert health["status"] == "ok" and health["model_version"] == version and health["synthetic"] is True
    assert health["symbols"] == 500


def test_cold_start_without_a_model_uses_the_rules_alone(built_default_market, tmp_path):
    data_dir = copy_warehouse(built_default_market["pristine_data_dir"], tmp_path, skip=("model_registry",))
    with RunningServer(data_dir, built_default_market["models_dir"]) as server:
        server.enable(reason="cold start test")
        response = server.client.post(URL, json={"symbol": "SYN001"})
        assert response.status_code == 200, response.text
        data = response.json()["data"]
        assert data["ml_score"] is None and data["probability"] is None
        assert data["model"]["version"] == "rules-only" and data["model"]["status"] == "cold_start"
        assert data["conviction_score"] == data["rules_score"]
        assert data["contributions"]["ml"] == 0 and data["contributions"]["top_features"] is None
        rule_words = [r["text"] for r in data["rule_reasons"]] or ["no smart-money activity on record"]
        assert data["model_reasons"] == [] and data["reasons"] == rule_words
        assert server.client.get("/api/ml/models").json()["data"] == []
        # a caller's vector of the catalog's length is scored by the rules too
        vector = [data["features"][n] for n in FEATURE_NAMES]
        scored = server.client.post(URL, json={"symbol": "SYN001", "features": vector}).json()["data"]
        assert scored["rules_score"] == data["rules_score"]


def test_the_server_never_holds_a_lock_on_the_catalog(served):
    """A pipeline must be able to open warehouse.duckdb read-write while the server answers."""
    served.enable()
    catalog = Warehouse(served.data_dir)
    catalog.refresh_catalog()
    with duckdb.connect(str(catalog.catalog_path)) as writer:  # the single writer
        writer.execute("create or replace table pipeline_probe as select 1 as x")
        for symbol in ("SYN020", "SYN021"):
            assert served.client.post(URL, json={"symbol": symbol}).status_code == 200
        assert served.client.get("/api/symbols/SYN020/activity").status_code == 200
        assert (
            served.client.put(
                TOGGLE,
                json={"enabled": True, "reason": "lock test"},
                headers=AUTH,
            ).status_code
            == 200
        )


def test_activity_is_point_in_time(served):
    response = served.client.get("/api/symbols/SYN001/activity", params={"date": "2023-06-20"})
    assert response.status_code == 200
    data = response.json()["data"]
    as_of = pd.Timestamp(data["as_of"])
    assert as_of <= pd.Timestamp("2023-06-20")
    dates = [pd.Timestamp(e["date"]) for e in data["events"]]
    assert dates and all(as_of - pd.Timedelta(days=120) < d <= as_of for d in dates)
    assert dates == sorted(dates, reverse=True)
    assert {e["category"] for e in data["events"]} <= set(rules.CATEGORY_VALUES)
    assert json.dumps(data)  # plain JSON
    assert np.all([e["detail"] for e in data["events"]])


def test_a_missing_model_folder_falls_back_to_the_rules_and_says_so(built_default_market, tmp_path):
    data_dir = copy_warehouse(built_default_market["pristine_data_dir"], tmp_path)
    stored = Warehouse(data_dir)
    registry = registry_logic.read(stored)
    registry["path"] = str(tmp_path / "deleted-model-folder")
    registry_logic.write(stored, registry)
    with RunningServer(data_dir, built_default_market["models_dir"]) as server:
        server.enable(reason="broken model test")
        data = server.client.post(URL, json={"symbol": "SYN001"}).json()["data"]
        assert data["model"]["status"] == "model_unavailable" and "cannot be loaded" in data["model"]["error"]
        assert data["ml_score"] is None and data["conviction_score"] == data["rules_score"]
        assert server.client.get("/healthz").json()["model_version"] == "rules-only"


def test_predictions_list_the_symbols_recent_profiled_options_events(served):
    served.enable()
    symbols = [f"SYN{i:03d}" for i in range(1, 101)]
    batch = served.client.post(f"{URL}/batch", json={"symbols": symbols}).json()["data"]
    with_events = [d for d in batch if d["options_flow"] and d["options_flow"]["events"]]
    assert with_events, "no symbol has options events in the default market"
    data = with_events[0]
    sample = pd.Timestamp(data["sample_date"])
    events = data["options_flow"]["events"]
    assert data["options_flow"]["window_days"] == 30 and 1 <= len(events) <= 5
    times = [pd.Timestamp(e["time"]) for e in events]
    assert times == sorted(times, reverse=True)
    assert all(sample - pd.Timedelta(days=31) < t <= sample for t in times)  # closed before the sample date
    for e in events:
        assert e["profile"] in PROFILES and e["reasons"] and 0.6 <= e["probability"] <= 1
    same = served.client.get(f"/api/symbols/{data['symbol']}/options-events").json()["data"]
    assert same["available"] is True and same["events"] == events
    _error(served.client.get(f"/api/symbols/{data['symbol']}/options-events?days=0"), 400, "days")
    _error(served.client.get(f"/api/symbols/{data['symbol']}/options-events?date=soon"), 400, "date")
    _error(served.client.get("/api/symbols/NOPE/options-events"), 404)


def _ask_concurrently(server: RunningServer) -> None:
    symbols = [f"SYN{i:03d}" for i in range(100, 140)]
    dates = ["2022-03-20", "2023-03-20", "2024-03-20", None]
    asks = [{"symbol": s, **({"date": d} if d else {})} for s in symbols for d in dates]

    def ask(body: dict) -> dict:
        response = server.client.post(URL, json=body)
        assert response.status_code == 200, response.text
        return {k: v for k, v in response.json()["data"].items() if k != "timestamp"}

    with ThreadPoolExecutor(max_workers=8) as pool:
        together = list(pool.map(ask, asks))
        batches = list(
            pool.map(
                lambda d: server.client.post(f"{URL}/batch", json=d).json(),
                [{"symbols": [*symbols, "NOPE"], "date": "2023-03-20"}] * 8,
            )
        )
    assert together == [ask(body) for body in asks]
    expected = [together[i] for i in range(1, len(asks), len(dates))]  # the 2023-03-20 answers
    for batch in batches:
        assert [{k: v for k, v in d.items() if k != "timestamp"} for d in batch["data"]] == expected
        assert [e["symbol"] for e in batch["errors"]] == ["NOPE"]


def test_concurrent_requests_get_the_answers_of_sequential_ones(served):
    """Requests share the service's cache from several threads (every answer here checks the files)."""
    served.enable()
    _ask_concurrently(served)


def test_answers_in_memory_skip_the_thread_pool_and_match(built_default_market, tmp_path):
    """With the files checked recently, a cached answer comes straight from memory, and it is the same."""
    data_dir = copy_warehouse(built_default_market["pristine_data_dir"], tmp_path)
    with RunningServer(data_dir, built_default_market["models_dir"], refresh_seconds=600) as server:
        server.enable(reason="in-memory answers")
        service = server.app.state.service
        assert service.cached_prediction("SYN001") is None  # not scored yet
        first = server.client.post(URL, json={"symbol": "SYN001"}).content
        cached = service.cached_prediction("SYN001")
        assert cached is not None and json.loads(cached) == json.loads(first)["data"]
        _ask_concurrently(server)
        error = _error(server.client.post(URL, json={"symbol": "NOPE"}), 404, "symbol")
        assert "NOPE" in error["message"]


def test_a_reload_in_progress_does_not_stall_the_event_loop(built_default_market, tmp_path, monkeypatch):
    """While one request waits for Parquet to reload, the loop keeps answering the others."""
    data_dir = copy_warehouse(built_default_market["pristine_data_dir"], tmp_path)
    with RunningServer(data_dir, built_default_market["models_dir"]) as server:
        server.enable(reason="reload test")
        assert server.client.post(URL, json={"symbol": "SYN001"}).status_code == 200
        service = server.app.state.service
        entered, release = threading.Event(), threading.Event()
        load = service._load

        def slow_load(signature):
            entered.set()
            assert release.wait(30)
            return load(signature)

        monkeypatch.setattr(service, "_load", slow_load)
        stored = Warehouse(data_dir)
        os.utime(stored.partition_path("features", stored.existing_months("features")[-1]))  # a reload
        with ThreadPoolExecutor(max_workers=1) as pool:
            waiting = pool.submit(server.client.post, URL, json={"symbol": "SYN002"})
            assert entered.wait(30)
            try:
                started = time.monotonic()
                assert server.client.get("/").status_code == 200
                assert server.client.get("/api/admin/features", headers=AUTH).status_code == 200
                assert time.monotonic() - started < 5
                assert not waiting.done()
            finally:
                release.set()
            assert waiting.result(timeout=60).status_code == 200


def _small_latencies_during(served, body: bytes) -> tuple[int, list[float]]:
    """The big request's status, and the latencies of small cached requests sent while it is processed."""
    latencies, done = [], threading.Event()

    def small() -> None:
        with httpx.Client(base_url=served.url, timeout=60) as client:
            while not done.is_set():
                started = time.perf_counter()
                assert client.post(URL, json={"symbol": "SYN002"}).status_code == 200
                latencies.append(time.perf_counter() - started)

    thread = threading.Thread(target=small)
    thread.start()
    time.sleep(0.3)
    try:
        with httpx.Client(base_url=served.url, timeout=120) as client:
            status = client.post(URL, content=body, headers={"Content-Type": "application/json"}).status_code
    finally:
        done.set()
        thread.join()
    return status, latencies


@pytest.mark.parametrize("values", [449_000, 25_000_000], ids=["0.9MB", "50MB"])
def test_a_huge_features_list_does_not_stall_a_concurrent_request(served, values):
    """Refusing a 25-million-element list once took 5.6 s, and every other request waited for it. Now it is
    refused by its length before it is parsed, and in the thread pool (measured here: the small requests'
    worst latency was about 7 ms during the 0.9 MB body and 130 ms during the 50 MB one, against 100 ms and
    2.1 s before)."""
    served.enable()
    served.client.post(URL, json={"symbol": "SYN002"})  # scored and cached
    body = b'{"symbol":"SYN001","features":[' + b",".join([b"0"] * values) + b"]}"
    status, latencies = _small_latencies_during(served, body)
    assert status in (400, 413)  # 413 where a body limit refuses it before it is read
    assert latencies and max(latencies) < 1.0, f"worst {max(latencies):.3f}s over {len(latencies)} requests"
