"""A five-symbol universe builds end to end on every source: raw → features → model, through the same
stage jobs as ``smart-money build``.

Five symbols make tiny segments (five rows a sample month, ten in validation), months with too few rows
for deciles and often a segment with a single class; every metric such a segment cannot define is NaN
(null in ``metadata.json``) and the evaluation report shows it as "n/a". The window is short (raw
2019-01 … 2020-07, sample months 2019-07 … 2020-06) to keep the test fast. The FMP build runs against the
local FMP-shaped server over loopback HTTP; its options flow is off, as ``smart-money build`` leaves it
for a live source.
"""

import contextlib
import json
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from smart_money import cli
from smart_money.defs import jobs
from smart_money.defs.resources import FmpSource, SyntheticSource
from smart_money.sources.synthetic.market import MarketConfig
from smart_money.testing.fmp_server import LocalFmpServer
from smart_money.warehouse import Warehouse
from smart_money_tests.markets import definitions_for, run_plan

RAW = (pd.Timestamp("2019-01-01"), pd.Timestamp("2020-07-01"))
SAMPLES = (pd.Timestamp("2019-07-01"), pd.Timestamp("2020-06-01"))
SYMBOLS = [f"SYN{i:03d}" for i in range(1, 6)]
KEY = "sk-small-universe-3f1a"


@contextlib.contextmanager
def _source(name: str, root: Path):
    if name == "synthetic":
        yield SyntheticSource(n_symbols=len(SYMBOLS)), True
        return
    with LocalFmpServer(MarketConfig(seed=9, n_symbols=len(SYMBOLS) + 1), api_key=KEY) as server:
        yield (
            FmpSource(
                api_key=KEY,
                base_url=server.url,
                universe_preset="custom",
                symbols=SYMBOLS,
                as_of="2025-01-31",
                rate_per_minute=60000,
                cache_dir=str(root / "fmp_cache"),
            ),
            False,
        )


@pytest.fixture(scope="module", params=["synthetic", "fmp"])
def small_build(request, tmp_path_factory):
    root = tmp_path_factory.mktemp(f"small_{request.param}")
    with _source(request.param, root) as (source, options_flow):
        defs = definitions_for(root, source)
        plan = cli.build_plan(RAW, SAMPLES, options_flow=options_flow)
        results = run_plan(defs, plan, dg.DagsterInstance.ephemeral())  # asserts every stage succeeded
    model = next(r for r in results if r.dagster_run.job_name == jobs.MODEL_JOB)
    materialized = {
        e.asset_key.to_user_string(): {k: v.value for k, v in e.materialization.metadata.items()}
        for e in model.get_asset_materialization_events()
    }
    return {"source": request.param, "root": root, "plan": plan, "results": results, "model": materialized}


def test_every_stage_ran_on_five_symbols(small_build):
    assert [stage.job for stage in small_build["plan"]][-2:] == ["model", "live_track_record"]
    warehouse = Warehouse(small_build["root"] / "data", small_build["root"] / "models")
    universe = warehouse.query("select distinct symbol from universe order by symbol")
    assert universe["symbol"].tolist() == SYMBOLS
    features = warehouse.query("select * from features")
    assert len(features) == len(SYMBOLS) * 12 and set(features["source"]) == {small_build["source"]}
    assert warehouse.has_data("dataset_splits") and warehouse.has_data("evaluation_scores")


def test_the_model_and_its_report_exist_with_undefined_metrics_shown_as_na(small_build):
    materialized = small_build["model"]
    assert {"smart_money_model", "evaluation_report", "model_registry"} <= set(materialized)
    folder = Path(materialized["evaluation_report"]["model_path"])
    metadata = json.loads((folder / "metadata.json").read_text())
    assert metadata["source"] == small_build["source"]
    segments = {s["segment"]: s["rows"] for s in metadata["split"]["segments"]}
    assert sum(segments.values()) <= len(SYMBOLS) * 12 and segments["validation"] <= 15
    # five rows a month: no month has ten rows for deciles, so the spread is undefined, stored as null
    assert metadata["metrics"]["test"]["finance"]["top_minus_bottom_decile"] is None
    report = Path(materialized["evaluation_report"]["report_path"]).read_text()
    assert "No test month has ten scored rows" in report and "n/a" in report
    registry = Warehouse(small_build["root"] / "data").read_keyed("model_registry")
    (row,) = registry.to_dict("records")
    assert row["model_version"] == metadata["version"] and row["status"] in ("candidate", "production")
    assert row["reason"]  # the promotion decision says why, even on an undefined validation AUC
