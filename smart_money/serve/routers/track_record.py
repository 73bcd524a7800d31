"""``GET /api/ml/track-record``: how the published predictions did once their label windows closed.

Per model version and live sample month (``scope=month``) and cumulatively (``scope=cumulative``), each
figure beside the volatility-only baseline on the same rows (README: Live track record). ``serving`` sums up
the serving model: its live hit rate beside its test accuracy, which the page shows. ``predictions_made``
counts the published predictions per version from the Parquet footers (no row is read). A plain ``def``
handler: it reads Parquet files; a damaged one is a 503 naming it.
"""

import math
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
from fastapi import APIRouter

from smart_money import tables
from smart_money.serve.dependencies import Service
from smart_money.serve.errors import ApiError
from smart_money.serve.text import quote
from smart_money.warehouse import PART_FILE, Warehouse

SCOPES = ("all", "month", "cumulative")

router = APIRouter()


def _value(value):
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m}"
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return _value(value.item())
    return value


def predictions_made(warehouse: Warehouse) -> dict[str, int]:
    """Published predictions per model version, from each partition's Parquet footer."""
    counts: dict[str, int] = {}
    root = warehouse.parquet_root / tables.PREDICTIONS.name
    for path in sorted(root.glob(f"model_version=*/month=*/{PART_FILE}")):
        version = Path(path).parent.parent.name.split("=", 1)[1]
        counts[version] = counts.get(version, 0) + pq.read_metadata(path).num_rows
    return counts


def serving_summary(record: pd.DataFrame, version: str, model_info: dict) -> dict:
    """The serving model's newest cumulative figures beside its test-segment ones."""
    rows = record[(record["model_version"] == version) & (record["scope"] == "cumulative")]
    live = None
    if len(rows):
        last = rows.sort_values("month").iloc[-1]
        live = {
            "through": _value(last["month"]),
            "months": int(last["months"]),
            "rows": int(last["rows"]),
            "hit_rate": _value(last["accuracy"]),
            "baseline_hit_rate": _value(last["baseline_accuracy"]),
            "auc": _value(last["auc"]),
            "baseline_auc": _value(last["baseline_auc"]),
            "hit_rate_bullish": _value(last["hit_rate_bullish"]),
            "hit_rate_high": _value(last["hit_rate_high"]),
        }
    return {
        "version": version,
        "test_accuracy": model_info.get("accuracy"),
        "test_auc": model_info.get("auc"),
        "live": live,
    }


@router.get("/api/ml/track-record")
def track_record(service: Service, model_version: str | None = None, scope: str = "all") -> dict:
    """The live track record of every model version by sample month, the serving model's live hit rate
    beside its test accuracy, and the predictions made per version. Filter with model_version and scope
    (all, month or cumulative)."""
    if scope not in SCOPES:
        raise ApiError(
            400, "invalid_request", f"scope: {quote(scope)} is not one of {', '.join(SCOPES)}", "scope"
        )
    snapshot = service.snapshot()
    record = service.warehouse.read_keyed(tables.TRACK_RECORD.name)
    if model_version is not None and model_version not in set(snapshot.registry["model_version"]):
        raise ApiError(
            404,
            "not_found",
            f"model_version {quote(model_version)} is not registered; see GET /api/ml/models",
        )
    chosen = record
    if model_version is not None:
        chosen = chosen[chosen["model_version"] == model_version]
    if scope != "all":
        chosen = chosen[chosen["scope"] == scope]
    chosen = chosen.sort_values(["model_version", "scope", "month"])
    data = [{k: _value(v) for k, v in row.items()} for row in chosen.to_dict(orient="records")]
    return {
        "success": True,
        "synthetic": snapshot.synthetic,
        "data_source": snapshot.data_source,
        "serving": serving_summary(record, snapshot.serving.version, snapshot.serving.info),
        "predictions_made": predictions_made(service.warehouse),
        "data": data,
    }
