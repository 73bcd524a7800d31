"""The server degrades and never dies: damaged models, features, raw months and toggle files, through a real
server on a copy of the default market (the data and the models directories)."""

import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from smart_money import cli, tables
from smart_money.modeling import registry as registry_logic
from smart_money.modeling import training
from smart_money.serve.app import create_app
from smart_money.warehouse import Warehouse
from smart_money_tests.serve.conftest import ADMIN_TOKEN, RunningServer, copy_warehouse

URL = "/api/ml/smart-money-flow"
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def _copy(market, tmp_path: Path) -> tuple[Path, Path]:
    data = copy_warehouse(market["pristine_data_dir"], tmp_path / "data")
    models = tmp_path / "models"
    shutil.copytree(market["models_dir"], models)
    return data, models


def _production(data: Path, models: Path) -> tuple[pd.Series, Path]:
    row = registry_logic.production(registry_logic.read(Warehouse(data)))
    return row, registry_logic.model_folder(row["path"], models)


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _rehash(folder: Path, data: Path, version: str) -> None:
    """Record the folder's current files as if they had been saved so: an artifact whose hashes verify
    and whose content is bad (what a buggy writer or a deliberate edit leaves)."""
    meta_path = folder / "metadata.json"
    meta = json.loads(meta_path.read_text())
    meta["files"] = {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.iterdir()
        if p.is_file() and p.name in meta.get("files", {})
    }
    meta_path.write_text(json.dumps(meta))
    warehouse = Warehouse(data)
    table = registry_logic.read(warehouse)
    table.loc[table["model_version"] == version, "metadata_sha256"] = training.metadata_sha256(folder)
    registry_logic.write(warehouse, table)


def _add_retired_copy(data: Path, models: Path) -> str:
    """A second, older model: a copy of the production one registered as retired the day before."""
    row, folder = _production(data, models)
    version = f"{row['model_version']}-previous"
    copy = folder.with_name(version)
    shutil.copytree(folder, copy)
    meta = json.loads((copy / "metadata.json").read_text())
    (copy / "metadata.json").write_text(json.dumps({**meta, "version": version}))
    warehouse = Warehouse(data)
    table = registry_logic.read(warehouse)
    retired = {
        **row.to_dict(),
        "model_version": version,
        "status": "retired",
        "created_at": row["created_at"] - pd.Timedelta(days=1),
        "path": registry_logic.relative_path(copy, models),
        "metadata_sha256": training.metadata_sha256(copy),
    }
    registry_logic.write(warehouse, pd.concat([table, pd.DataFrame([retired])], ignore_index=True))
    return version


def _every_endpoint(server: RunningServer) -> dict[str, int]:
    client = server.client
    calls = {
        "healthz": client.get("/healthz"),
        "meta": client.get("/api/meta"),
        "models": client.get("/api/ml/models"),
        "symbols": client.get("/api/symbols", params={"q": "SYN00"}),
        "activity": client.get("/api/symbols/SYN001/activity"),
        "options": client.get("/api/symbols/SYN001/options-events"),
        "predict": client.post(URL, json={"symbol": "SYN001"}),
        "predict_date": client.post(URL, json={"symbol": "SYN002", "date": "2023-06-30"}),
        "batch": client.post(f"{URL}/batch", json={"symbols": ["SYN001", "SYN003"]}),
        "admin": client.get("/api/admin/features", headers=AUTH),
        "page": client.get("/"),
    }
    return {name: response.status_code for name, response in calls.items()}


def _health(server: RunningServer) -> dict:
    response = server.client.get("/healthz")
    assert response.status_code == 200, response.text
    return response.json()


def test_a_damaged_production_model_falls_back_to_the_retired_one_then_to_the_rules(
    built_default_market, tmp_path
):
    data, models = _copy(built_default_market, tmp_path)
    previous = _add_retired_copy(data, models)
    row, folder = _production(data, models)
    good = (folder / "model.txt").read_bytes()
    _truncate(folder / "model.txt")  # a truncated model.txt crashed the server on the first request
    with RunningServer(data, models) as server:
        server.enable(reason="damaged model test")
        data_ = server.client.post(URL, json={"symbol": "SYN001"}).json()["data"]
        model = data_["model"]
        assert model["version"] == previous and model["status"] == "retired"
        assert (
            row["model_version"] in model["error"]
            and "model.txt is not the file that was saved" in model["error"]
        )
        assert data_["ml_score"] is not None  # a real model serves, not the rules
        health = _health(server)
        assert health["status"] == "degraded" and health["model_version"] == previous
        assert [p["component"] for p in health["problems"]] == ["model"]
        assert health["problems"][0]["file"] == str(folder) and "model.txt" in health["reason"]

        _flip(folder.with_name(previous) / "normalizer.json")  # the fallback is damaged too: the rules
        model = server.client.post(URL, json={"symbol": "SYN001"}).json()["data"]["model"]
        assert model["version"] == "rules-only" and model["status"] == "model_unavailable"
        assert previous in model["error"] and "normalizer.json" in model["error"]
        assert len(_health(server)["problems"]) == 2
        assert all(status < 500 for status in _every_endpoint(server).values())

        (folder / "model.txt").write_bytes(good)  # restored: noticed without a restart
        health = _health(server)
        assert health["status"] == "ok" and health["model_version"] == row["model_version"], health


def _truncated_model(folder: Path) -> None:
    _truncate(folder / "model.txt")


def _edited_threshold(folder: Path) -> None:
    lines = (folder / "model.txt").read_text().split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("threshold="))
    lines[at] = " ".join(lines[at].split()[:-3])  # three thresholds fewer than the tree has splits
    (folder / "model.txt").write_text("\n".join(lines))


def _garbage_model(folder: Path) -> None:
    (folder / "model.txt").write_bytes(b"\x00garbage\n" * 100)


def _metadata_without(key: str):
    def damage(folder: Path) -> None:
        meta = json.loads((folder / "metadata.json").read_text())
        del meta[key]
        (folder / "metadata.json").write_text(json.dumps(meta))

    return damage


@pytest.mark.parametrize(
    "damage, reason",
    [
        (_truncated_model, r"LightGBM crashed \(SIG|does not load"),
        (_edited_threshold, r"LightGBM crashed \(SIG|does not load"),
        (_garbage_model, "is not a LightGBM model"),
        (_metadata_without("metrics"), r"lacks \['metrics'\]"),
        (_metadata_without("base_rate_train"), r"lacks \['base_rate_train'\]"),
    ],
    ids=["truncated", "edited-threshold", "garbage", "no-metrics", "no-base-rate"],
)
def test_a_model_whose_hashes_match_but_which_cannot_load_is_refused_and_nothing_answers_500(
    built_default_market, tmp_path, damage, reason
):
    """The hashes match (a buggy writer, a deliberate edit): the child process that loads it first crashes
    or fails, never the server, and every endpoint answers."""
    data, models = _copy(built_default_market, tmp_path)
    row, folder = _production(data, models)
    damage(folder)
    _rehash(folder, data, row["model_version"])
    with RunningServer(data, models) as server:
        server.enable(reason="unloadable model test")
        statuses = _every_endpoint(server)
        assert all(status < 500 for status in statuses.values()), statuses
        assert statuses["predict"] == 200 and statuses["healthz"] == 200
        model = server.client.post(URL, json={"symbol": "SYN001"}).json()["data"]["model"]
        assert model["version"] == "rules-only" and model["status"] == "model_unavailable"
        health = _health(server)
        assert health["status"] == "degraded"
        assert pd.Series([health["reason"]]).str.contains(reason).all(), health["reason"]


def _features_months(data: Path) -> list[pd.Timestamp]:
    return Warehouse(data).existing_months("features")


def test_a_truncated_features_month_answers_503_for_that_month_only(built_default_market, tmp_path):
    data, models = _copy(built_default_market, tmp_path)
    stored = Warehouse(data)
    months = _features_months(data)
    features = stored.read_months("features")
    samples = {
        m: features.loc[features["sample_date"].dt.to_period("M") == m.to_period("M"), "sample_date"].iloc[0]
        for m in months
    }
    damaged = months[len(months) // 2]
    path = stored.partition_path("features", damaged)
    _truncate(path)
    with RunningServer(data, models) as server:
        server.enable(reason="damaged features test")
        for day in (samples[damaged], samples[damaged] + pd.Timedelta(days=10)):
            response = server.client.post(URL, json={"symbol": "SYN001", "date": f"{day:%Y-%m-%d}"})
            assert response.status_code == 503, response.text
            error = response.json()["error"]
            assert error["code"] == "data_unavailable" and str(path) in error["message"]
        batch = server.client.post(
            f"{URL}/batch", json={"symbols": ["SYN001", "SYN002"], "date": f"{samples[damaged]:%Y-%m-%d}"}
        )
        assert batch.status_code == 503 and str(path) in batch.json()["error"]["message"]
        # every other month answers, with its own sample date
        before = months[months.index(damaged) - 1]
        for asked, expected in (
            (samples[damaged] - pd.Timedelta(days=1), samples[before]),  # before the damaged month's sample
            (samples[months[1]], samples[months[1]]),
            (samples[months[-1]], samples[months[-1]]),
        ):
            response = server.client.post(URL, json={"symbol": "SYN001", "date": f"{asked:%Y-%m-%d}"})
            assert response.status_code == 200, response.text
            assert response.json()["data"]["sample_date"] == f"{expected:%Y-%m-%d}"
        assert server.client.post(URL, json={"symbol": "SYN001"}).status_code == 200  # the newest month
        statuses = _every_endpoint(server)
        assert all(status == 200 for status in statuses.values()), statuses
        health = _health(server)
        assert health["status"] == "degraded" and health["problems"] == [
            {"component": "features", "file": str(path), "message": health["problems"][0]["message"]}
        ]
        assert str(path) in health["reason"]

        _truncate(stored.partition_path("features", months[-1]))  # the newest month: the default date
        response = server.client.post(URL, json={"symbol": "SYN001"})
        assert response.status_code == 503 and "features" in response.json()["error"]["message"]
        assert len(_health(server)["problems"]) == 2


def test_a_corrupt_raw_month_makes_activity_answer_503_naming_the_file(built_default_market, tmp_path):
    data, models = _copy(built_default_market, tmp_path)
    stored = Warehouse(data)
    path = stored.partition_path("raw_insider_trades", pd.Timestamp("2023-04-01"))
    _flip(path)
    with RunningServer(data, models) as server:
        response = server.client.get("/api/symbols/SYN001/activity", params={"date": "2023-06-20"})
        assert response.status_code == 503, response.text
        assert response.json()["error"]["code"] == "data_unavailable"
        assert str(path) in response.json()["error"]["message"]
        later = server.client.get("/api/symbols/SYN001/activity", params={"date": "2024-06-20"})
        assert later.status_code == 200  # a window without the damaged month
        health = _health(server)
        assert health["status"] == "degraded"
        assert [(p["component"], p["file"]) for p in health["problems"]] == [
            ("raw_insider_trades", str(path))
        ]


def test_a_corrupt_options_flow_month_is_said_in_the_prediction_and_503_on_its_endpoint(
    built_default_market, tmp_path
):
    data, models = _copy(built_default_market, tmp_path)
    stored = Warehouse(data)
    month = stored.existing_months("smart_money_events")[-1]
    path = stored.partition_path("smart_money_events", month)
    _flip(path)
    with RunningServer(data, models) as server:
        server.enable(reason="damaged options flow test")
        response = server.client.post(URL, json={"symbol": "SYN001"})
        assert response.status_code == 200, response.text
        flow = response.json()["data"]["options_flow"]
        assert flow["events"] == [] and str(path) in flow["unavailable"]
        response = server.client.get("/api/symbols/SYN001/options-events")
        assert response.status_code == 503 and str(path) in response.json()["error"]["message"]
        assert _health(server)["problems"][0]["file"] == str(path)


def test_a_corrupt_audit_file_disables_only_the_admin_endpoints(
    built_default_market, tmp_path, monkeypatch, capsys
):
    data, models = _copy(built_default_market, tmp_path)
    audit = Warehouse(data).keyed_path("feature_toggle_audit", {})
    with RunningServer(data, models) as server:
        server.enable(reason="before the damage")
        assert server.client.post(URL, json={"symbol": "SYN001"}).status_code == 200
        good = audit.read_bytes()
        _flip(audit)
        damaged = audit.read_bytes()
        for response in (
            server.client.get("/api/admin/features", headers=AUTH),
            server.client.put(
                "/api/admin/features/smart_money_flow", json={"enabled": False, "reason": "x"}, headers=AUTH
            ),
        ):
            assert response.status_code == 503, response.text
            error = response.json()["error"]
            assert error["code"] == "toggles_unavailable" and str(audit) in error["message"]
        # predictions keep the last verified state (on), and health says what is wrong
        assert server.client.post(URL, json={"symbol": "SYN001"}).status_code == 200
        health = _health(server)
        assert health["status"] == "degraded" and health["smart_money_flow"] is True
        assert health["problems"][0]["component"] == "feature_toggle_audit"
        assert audit.read_bytes() == damaged  # never overwritten

        monkeypatch.setenv("SMART_MONEY_DATA_DIR", str(data))
        assert cli.main(["toggle", "smart_money_flow"]) == 2
        assert cli.main(["toggle", "smart_money_flow", "off", "--reason", "try"]) == 2
        assert str(audit) in capsys.readouterr().err and audit.read_bytes() == damaged

        with RunningServer(data, models) as fresh:  # never verified the file: the default (off)
            response = fresh.client.post(URL, json={"symbol": "SYN001"})
            assert response.status_code == 503 and response.json()["error"]["code"] == "feature_disabled"
            assert fresh.client.get("/api/admin/features", headers=AUTH).status_code == 503

        audit.write_bytes(good)  # restored
        assert server.client.get("/api/admin/features", headers=AUTH).status_code == 200
        assert _health(server)["status"] == "ok"


def test_the_toggle_cli_saves_the_change_despite_damage_elsewhere(
    built_default_market, tmp_path, monkeypatch, capsys
):
    data, _ = _copy(built_default_market, tmp_path)
    _truncate(Warehouse(data).partition_path("features", _features_months(data)[3]))
    monkeypatch.setenv("SMART_MONEY_DATA_DIR", str(data))
    # the first change refreshes the catalog, whose view over features fails on the damaged month
    assert cli.main(["toggle", "smart_money_flow", "on", "--reason", "unrelated damage"]) == 0
    assert "smart_money_flow: on" in capsys.readouterr().out
    assert Warehouse(data).read_keyed("feature_toggle_audit")["new_enabled"].tolist() == [True]


def test_an_empty_universe_month_is_ignored(built_default_market, tmp_path):
    data, models = _copy(built_default_market, tmp_path)
    stored = Warehouse(data)
    stored.write_months("universe", tables.UNIVERSE.empty(), [pd.Timestamp("2030-01-01")], "as_of")
    assert stored.existing_months("universe")[-1] == pd.Timestamp("2030-01-01")
    with RunningServer(data, models) as server:
        server.enable(reason="empty universe month")
        names = server.client.get("/api/symbols", params={"q": "SYN", "limit": 500}).json()["data"]
        assert len(names) == 500 and all(n["name"] for n in names)
        assert server.client.post(URL, json={"symbol": "SYN001"}).json()["data"]["name"]
        assert _health(server)["status"] == "ok"


def test_registry_paths_resolve_against_the_given_models_directory(
    built_default_market, tmp_path, monkeypatch
):
    """A copied data directory serves the models directory it is given, not the one it was built with."""
    data = copy_warehouse(built_default_market["pristine_data_dir"], tmp_path / "data")
    moved = tmp_path / "moved-models"
    shutil.copytree(built_default_market["models_dir"], moved)
    row, _ = _production(data, moved)
    assert not Path(row["path"]).is_absolute()
    monkeypatch.setenv("SMART_MONEY_MODELS_DIR", str(moved))
    for models_dir in (moved, None):  # given, or from SMART_MONEY_MODELS_DIR
        service = create_app(data, models_dir, admin_token=ADMIN_TOKEN).state.service
        assert service.snapshot().serving.version == row["model_version"], service.snapshot().serving.info
        assert all(moved.resolve() in p.parents for p in service.snapshot().model_files)
    monkeypatch.setenv("SMART_MONEY_MODELS_DIR", str(tmp_path / "nowhere"))
    service = create_app(data, admin_token=ADMIN_TOKEN).state.service  # the built models dir is not used
    assert service.snapshot().serving.info["status"] == "model_unavailable"
    # a registry written with absolute paths (before they were relative) still serves
    stored = Warehouse(data)
    table = registry_logic.read(stored)
    table["path"] = [str(moved / p) for p in table["path"]]
    registry_logic.write(stored, table)
    service = create_app(data, tmp_path / "nowhere", admin_token=ADMIN_TOKEN).state.service
    assert service.snapshot().serving.version == row["model_version"]


def test_a_corrupt_registry_keeps_the_last_verified_model_and_a_fresh_server_serves_the_rules(
    built_default_market, tmp_path
):
    data, models = _copy(built_default_market, tmp_path)
    stored = Warehouse(data)
    row, _ = _production(data, models)
    path = stored.keyed_path("model_registry", {})
    universe = stored.partition_path("universe", stored.existing_months("universe")[-1])
    with RunningServer(data, models) as server:
        server.enable(reason="damaged registry test")
        assert server.client.post(URL, json={"symbol": "SYN001"}).status_code == 200  # the model is loaded
        _flip(path)
        _flip(universe)  # names come from the month before
        data_ = server.client.post(URL, json={"symbol": "SYN001"}).json()["data"]
        assert data_["model"]["version"] == row["model_version"] and data_["name"]
        health = _health(server)
        assert health["status"] == "degraded" and health["model_version"] == row["model_version"]
        assert {p["file"] for p in health["problems"]} == {str(path), str(universe)}
        assert all(status < 500 for status in _every_endpoint(server).values())
    with RunningServer(data, models) as fresh:
        model = fresh.client.post(URL, json={"symbol": "SYN001"}).json()["data"]["model"]
        assert model["version"] == "rules-only" and model["status"] == "model_unavailable"
        assert str(path) in model["error"]
        assert str(path) in _health(fresh)["reason"]


def test_the_model_files_are_watched_without_reloading_an_unchanged_warehouse(built_default_market, tmp_path):
    data, models = _copy(built_default_market, tmp_path)
    _, folder = _production(data, models)
    with RunningServer(data, models) as server:
        service = server.app.state.service
        first = service.snapshot()
        assert folder / "model.txt" in first.model_files
        assert service.snapshot() is first  # nothing changed: the cache of scored dates stays
        _flip(folder / "calibration.json")
        damaged = service.snapshot()
        assert damaged is not first and damaged.serving.info["status"] == "model_unavailable"
