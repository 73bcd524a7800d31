"""Fixtures of the defs tests that several modules share."""

import shutil

import dagster as dg
import pandas as pd
import pytest

from smart_money import cli
from smart_money.definitions import build_definitions
from smart_money.defs import jobs
from smart_money.defs.predictions import PredictionsConfig, predictions
from smart_money.defs.resources import SyntheticSource, WarehouseResource

PUBLISHED_MONTHS = [f"2024-{m:02d}" for m in range(4, 13)]  # 3 in-sample (validation) and 6 live months


@pytest.fixture(scope="session")
def track_record_market(built_default_market, tmp_path_factory):
    """A copy of the default market whose production model published predictions for nine past sample
    months (2024-04 .. 2024-12, as the `predictions` asset does), then the `track_record` job over 2024."""
    root = tmp_path_factory.mktemp("track_record_market")
    shutil.copytree(built_default_market["pristine_data_dir"] / "parquet", root / "data" / "parquet")
    resource = WarehouseResource(
        data_dir=str(root / "data"), models_dir=str(built_default_market["models_dir"])
    )
    warehouse = resource.warehouse()
    version = str(warehouse.read_keyed("model_registry").iloc[0]["model_version"])
    predictions(
        context=dg.build_asset_context(),
        config=PredictionsConfig(months=PUBLISHED_MONTHS),
        warehouse=warehouse,
        model_registry={"version": version, "status": "production", "reason": "test"},
    )
    defs = build_definitions(source=SyntheticSource(), warehouse=resource)
    with dg.instance_for_test() as instance:
        stage = cli.Stage(jobs.TRACK_RECORD_JOB, pd.Timestamp("2024-01-01"), pd.Timestamp("2024-12-01"))
        result = cli.run_stage(stage, defs, instance, log_level="WARNING")
        assert result.success
        yield {
            "market": built_default_market,
            "warehouse": warehouse,
            "resource": resource,
            "defs": defs,
            "instance": instance,
            "result": result,
            "version": version,
        }
