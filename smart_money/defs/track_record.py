"""``prediction_outcomes`` and ``track_record`` (group ``model``) and the ``track_record_degradation`` check.

Thin adapters over :mod:`smart_money.modeling.track_record`: the outcomes asset reads the published
predictions and the labels of its sample months and scores each month once its labels are complete; the
track record reads every outcome month; the check judges the serving model's last live months
(README: Live track record)."""

import base64
import io
import json

import dagster as dg
import pandas as pd

from smart_money import files, gates, settings, tables, timeline
from smart_money.defs.checks import schema_check
from smart_money.defs.features import features
from smart_money.defs.labels import labels
from smart_money.defs.metadata import markdown_table, partitioned_result, table_metadata
from smart_money.defs.partitions import monthly_partitions, window_months
from smart_money.defs.predictions import predictions
from smart_money.defs.report import REPORT_FILE
from smart_money.defs.splits import MODEL_GROUP
from smart_money.modeling import registry, training
from smart_money.modeling import track_record as tr
from smart_money.modeling.predictions import RULES_ONLY_VERSION
from smart_money.report.track_record_section import live_track_record_section, with_live_track_record
from smart_money.warehouse import Warehouse

TRACK_RECORD_DEGRADATION = "track_record_degradation"
OUTCOMES = "prediction_outcomes"
RECORD = "track_record"


# ---- plain helpers over the warehouse (the sensor in automation.py uses them too) -----------------------
def version_metadata(warehouse: Warehouse, table: pd.DataFrame, version: str) -> dict:
    """The metadata.json of a registered version, verified against the registry's SHA-256."""
    row = table[table["model_version"] == version]
    if row.empty:
        raise tr.TrackRecordError(f"model_version {version!r} is not in model_registry")
    row = row.iloc[0]
    folder = registry.model_folder(row["path"], warehouse.models_dir)
    files = training.read_model_files(folder, registry.recorded_sha256(row))
    return files.metadata


def window_frames(warehouse: Warehouse, metadata: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Features and labels of the version's data window (to refit its baseline)."""
    start, end = (pd.Timestamp(d).tz_localize(None) for d in metadata["data_window"])
    months = timeline.months_between(timeline.month_start(start), timeline.month_start(end))
    return (
        warehouse.read_months("features", months, require=True),
        warehouse.read_months("labels", months, require=True),
    )


def score_month(
    warehouse: Warehouse,
    month: pd.Timestamp,
    table: pd.DataFrame,
    published: pd.DataFrame,
    baselines: dict,
    log=lambda _: None,
    warn=lambda _: None,
) -> tuple[pd.DataFrame, dict]:
    """The outcome rows of one sample month (every registered version that published it), or none while
    the month's labels are incomplete; and what happened, for the metadata."""
    nxt = month + pd.DateOffset(months=1)
    month_labels = warehouse.read_months("labels", [month])
    later = warehouse.read_months("labels", [nxt])
    newest = pd.to_datetime(later["label_date"]).max() if len(later) else None
    if not tr.month_complete(month_labels, newest):
        return tables_empty(), {"month": f"{month:%Y-%m}", "status": "labels incomplete", "rows": 0}
    month_features = warehouse.read_months("features", [month])
    frames = []
    skipped = []
    for version, part in published.groupby("model_version", sort=True):
        if version == RULES_ONLY_VERSION or version not in set(table["model_version"]):
            skipped.append(str(version))
            continue
        if version not in baselines:
            # a version whose files are gone or damaged (ModelError) or whose window changed
            # (TrackRecordError) is left out and named; the other versions still count
            try:
                metadata = version_metadata(warehouse, table, version)
                baseline = tr.fit_volatility_baseline(*window_frames(warehouse, metadata), metadata)
            except ValueError as exc:
                warn(f"{OUTCOMES} {month:%Y-%m}: {version} left out: {exc}")
                baselines[version] = None
            else:
                baselines[version] = (metadata, baseline)
                log(f"{OUTCOMES}: refit the volatility baseline of {version}")
        if baselines[version] is None:
            skipped.append(f"{version} (left out: see the run log)")
            continue
        metadata, baseline = baselines[version]
        rows = part[["symbol", "sample_date"]].merge(
            month_features, on=["symbol", "sample_date"], how="left", validate="one_to_one"
        )
        frames.append(tr.prediction_outcomes(part, month_labels, metadata, baseline.predict_proba(rows)))
    out = pd.concat(frames, ignore_index=True) if frames else tables_empty()
    status = "scored" if frames else "no model predictions"
    return out, {
        "month": f"{month:%Y-%m}",
        "status": status,
        "rows": len(out),
        "in_sample": int(out["in_sample"].sum()) if len(out) else 0,
        "skipped_versions": ", ".join(skipped),
    }


def tables_empty() -> pd.DataFrame:
    return tables.PREDICTION_OUTCOMES.empty()


def read_outcomes(warehouse: Warehouse) -> pd.DataFrame:
    return warehouse.read_months(OUTCOMES)


def references(table: pd.DataFrame) -> dict[str, float]:
    """Each registered version's test AUC (calibrated probability), from the registry's metrics JSON."""
    return {
        str(row["model_version"]): tr.reference_auc({"metrics": json.loads(row["metrics"])})
        for _, row in table.iterrows()
    }


def serving_degradation(warehouse: Warehouse, margin: float | None = None) -> tr.Degradation | None:
    """The degradation verdict on the serving (production) model's last live months; None at cold start."""
    table = registry.read(warehouse)
    row = registry.production(table)
    if row is None:
        return None
    version = str(row["model_version"])
    margin = settings.track_record_margin() if margin is None else margin
    return tr.degradation(read_outcomes(warehouse), version, references(table)[version], margin)


def update_reports(warehouse: Warehouse, table: pd.DataFrame, record: pd.DataFrame, warn) -> list[str]:
    """Add (or replace) the "Live track record" section of each scored version's report.html."""
    updated = []
    for version in sorted(record["model_version"].unique()) if len(record) else []:
        rows = table[table["model_version"] == version]
        if rows.empty:
            continue
        try:
            page_path = registry.model_folder(rows.iloc[0]["path"], warehouse.models_dir) / REPORT_FILE
            page = page_path.read_text()
        except (OSError, ValueError) as exc:
            warn(f"{RECORD}: the report of {version} was not updated: {exc}")
            continue
        section = live_track_record_section(record, version)
        if section is not None:
            files.write_text_atomic(page_path, with_live_track_record(page, section))
            updated.append(version)
    return updated


def png_markdown(fig, name: str) -> dg.MetadataValue:
    from matplotlib import pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return dg.MetadataValue.md(
        f"![{name}](data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()})"
    )


# ---- assets and check ----------------------------------------------------------------------------------
@dg.asset(
    group_name=MODEL_GROUP,
    partitions_def=monthly_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=[predictions, labels, features],
    kinds={"parquet"},
)
def prediction_outcomes(
    context: dg.AssetExecutionContext, warehouse: dg.ResourceParam[Warehouse]
) -> dg.MaterializeResult:
    """Prediction outcomes: one row per published prediction (model version × symbol × sample date) whose
    label window has closed, as it was published (probability, conviction_score, call, confidence), beside
    the version's volatility-only baseline on the same row and the realized labels (its own definition and
    market excess) and forward returns; in_sample marks sample dates inside the version's training and
    validation window. A month is written only when its labels are complete (empty until then)."""
    months = window_months(context)
    if not months:
        raise dg.Failure(f"{OUTCOMES} is partitioned by sample month: pass a partition key or range")
    table = registry.read(warehouse)
    everything = warehouse.read_keyed("predictions")
    if len(everything):
        everything = everything.assign(month=timeline.month_starts(everything["sample_date"]))
    baselines: dict = {}
    frames, report = [], []
    for month in months:
        published = (
            everything[everything["month"] == month].drop(columns="month") if len(everything) else everything
        )
        try:
            out, info = score_month(
                warehouse, month, table, published, baselines, context.log.info, context.log.warning
            )
        except tr.TrackRecordError as exc:
            raise dg.Failure(f"{OUTCOMES} {month:%Y-%m}: {exc}") from exc
        frames.append(out)
        report.append(info)
        context.log.info(f"{OUTCOMES} {month:%Y-%m}: {info['status']}, {info['rows']} rows")
    frame = pd.concat(frames, ignore_index=True)
    warehouse.write_months(OUTCOMES, frame, months, "sample_date")
    return partitioned_result(
        context,
        frame,
        "sample_date",
        OUTCOMES,
        {
            "months": dg.MetadataValue.md(markdown_table(pd.DataFrame(report), 40)),
            "live_rows": int((~frame["in_sample"].astype(bool)).sum()) if len(frame) else 0,
            "in_sample_rows": int(frame["in_sample"].sum()) if len(frame) else 0,
            "versions": ", ".join(sorted(frame["model_version"].unique())) if len(frame) else "",
        },
    )


@dg.asset(group_name=MODEL_GROUP, deps=[prediction_outcomes], kinds={"parquet"})
def track_record(
    context: dg.AssetExecutionContext, warehouse: dg.ResourceParam[Warehouse]
) -> dg.MaterializeResult:
    """Track record: one row per model version × live sample month × scope (that month, or cumulative up
    to it) with count, AUC, hit rates (all, BULLISH and HIGH-confidence calls), Brier, rank IC and the
    top-minus-bottom decile spread, each beside the volatility-only baseline on the same rows, and the
    version's test AUC for reference. In-sample months are left out."""
    table = registry.read(warehouse)
    record = tr.track_record(read_outcomes(warehouse), references(table))
    warehouse.write_keyed(RECORD, record)
    cumulative = (
        record[record["scope"] == tr.CUMULATIVE].sort_values("month").groupby("model_version").tail(1)
    )
    shown = cumulative[
        [
            "model_version",
            "month",
            "months",
            "rows",
            "auc",
            "baseline_auc",
            "accuracy",
            "hit_rate_bullish",
            "hit_rate_high",
            "brier",
            "rank_ic",
            "decile_spread",
            "test_auc",
        ]
    ]
    extra = {
        "versions": len(record["model_version"].unique()) if len(record) else 0,
        "live_months": int((record["scope"] == tr.MONTH).sum()) if len(record) else 0,
        "cumulative": dg.MetadataValue.md(markdown_table(shown, 20)),
    }
    if len(record):
        extra["plot_auc_over_time"] = png_markdown(tr.auc_figure(record), "AUC over time")
    extra["reports_updated"] = ", ".join(update_reports(warehouse, table, record, context.log.warning))
    context.log.info(f"{RECORD}: {len(record)} rows\n" + shown.to_string(index=False))
    return dg.MaterializeResult(metadata=table_metadata(record, extra, table=RECORD))


@dg.asset_check(
    asset=track_record,
    name=TRACK_RECORD_DEGRADATION,
    blocking=False,
    description="warning: does not block. WARN when the serving model's AUC over its last 3 live months "
    "is below its test AUC by more than SMART_MONEY_TRACK_RECORD_MARGIN (default 0.05), or below the "
    "volatility baseline on the same rows; says by how much and what to run. The automation sensor then "
    "requests a retrain.",
)
def track_record_degradation(warehouse: dg.ResourceParam[Warehouse]) -> dg.AssetCheckResult:
    verdict = serving_degradation(warehouse)
    if verdict is None:
        message = "no production model: nothing published by a model to judge"
        return dg.AssetCheckResult(
            passed=True,
            severity=dg.AssetCheckSeverity.WARN,
            description=message,
            metadata={"summary": message, "severity_level": gates.PASSED},
        )
    return dg.AssetCheckResult(
        passed=not verdict.degraded,
        severity=dg.AssetCheckSeverity.WARN,
        description=verdict.message,
        metadata={
            "summary": verdict.message,
            "severity_level": "warning" if verdict.degraded else gates.PASSED,
            "model_version": verdict.version,
            "months": ", ".join(verdict.months),
            "rows": verdict.rows,
            "live_auc": dg.MetadataValue.float(float(verdict.auc)),
            "baseline_auc": dg.MetadataValue.float(float(verdict.baseline_auc)),
            "test_auc": dg.MetadataValue.float(float(verdict.test_auc)),
            "margin": verdict.margin,
        },
    )


assets = [prediction_outcomes, track_record]
checks = [schema_check(prediction_outcomes), track_record_degradation]
