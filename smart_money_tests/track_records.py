"""The default market after its production model published predictions for nine past sample months and the
`track_record` job scored them: the track-record tests of defs/ and serve/ read it (built once per session
by the `track_record_market` fixture in conftest.py, ~15 s on top of the default market)."""

import shutil
from pathlib import Path

import dagster as dg
import pandas as pd

from smart_money import cli
from smart_money.definitions import build_definitions
from smart_money.defs import jobs
from smart_money.defs.predictions import PredictionsConfig, predictions
from smart_money.defs.resources import SyntheticSource, WarehouseResource

PUBLISHED_MONTHS = [f"2024-{m:02d}" for m in range(4, 13)]  # 3 in-sample (validation) and 6 live months


def build_track_record_market(built_default_market: dict, root: Path, instance: dg.DagsterInstance) -> dict:
    """Publish predictions for ``PUBLISHED_MONTHS`` with the production model (as the `predictions` asset
    does) in a copy of the default market under ``root``, then run the `track_record` job over 2024."""
    shutil.copytree(built_default_market["pristine_data_dir"] / "parquet", root / "data" / "parquet")
    shutil.copytree(built_default_market["models_dir"], root / "models")  # the track record edits report.html
    resource = WarehouseResource(data_dir=str(root / "data"), models_dir=str(root / "models"))
    warehouse = resource.warehouse()
    version = str(warehouse.read_keyed("model_registry").iloc[0]["model_version"])
    predictions(
        context=dg.build_asset_context(),
        config=PredictionsConfig(months=PUBLISHED_MONTHS),
        warehouse=warehouse,
        model_registry={"version": version, "status": "production", "reason": "test"},
    )
    defs = build_definitions(source=SyntheticSource(), warehouse=resource)
    stage = cli.Stage(jobs.TRACK_RECORD_JOB, pd.Timestamp("2024-01-01"), pd.Timestamp("2024-12-01"))
    result = cli.run_stage(stage, defs, instance, log_level="WARNING")
    assert result.success
    return {
        "market": built_default_market,
        "data_dir": root / "data",
        "models_dir": root / "models",
        "warehouse": warehouse,
        "resource": resource,
        "defs": defs,
        "instance": instance,
        "result": result,
        "version": version,
    }
