"""Group ``options_flow`` (issue 6): option prints and corporate events, parent events with profile scores,
and the evaluation against the simulated truth. Thin assets over ``smart_money.options_flow``."""

import json
import time

import dagster as dg
import numpy as np
import pandas as pd
from pydantic import Field

from smart_money import settings, tables, timeline, warehouse
from smart_money.defs.partitions import lookback, monthly_partitions, window_months
from smart_money.defs.raw import universe
from smart_money.defs.reporting import markdown_table, table_metadata
from smart_money.defs.resources import SmartMoneySource
from smart_money.options_flow import classify, evaluation, importer
from smart_money.options_flow.tape import TapeConfig, simulate

OPTIONS_FLOW_GROUP = "options_flow"
_SINGLE_RUN = dg.BackfillPolicy.single_run()
EVENTS_INTEGRITY = "smart_money_events_integrity"
TAPE_DAYS = 20


class OptionPrintsConfig(dg.Config):
    """Where option prints come from (README: Options flow)."""

    prints_path: str | None = Field(
        default=None,
        description="A Parquet/CSV file or folder of option prints to import instead of the simulated tape "
        "(default: SMART_MONEY_OPTION_PRINTS). Without it a non-synthetic source has no prints.",
    )
    n_symbols: int = Field(default=500, description="Simulated tape: the first N universe symbols.")
    scenarios_per_kind: int = Field(default=10, description="Simulated tape: scenarios per template a month.")
    mode: str = Field(default="demo", description="Simulated tape: 'demo' (background flow) or 'test'.")
    background_ratio: float = Field(
        default=3.0, description="Simulated tape (demo): background prints per scenario print."
    )
    seed: int = Field(default=11, description="Simulated tape: base seed (each month adds its index).")


def _months(context) -> list[pd.Timestamp]:
    months = window_months(context)
    if not months:
        raise dg.Failure("options_flow assets are partitioned by month: pass a partition key or range")
    return months


def _month_end(month: pd.Timestamp) -> pd.Timestamp:
    return month + pd.DateOffset(months=1)


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            "raw_option_prints",
            group_name=OPTIONS_FLOW_GROUP,
            deps=[universe],
            kinds={"parquet"},
            description="Option prints: one row per print (contract, price, size, venue, conditions) with "
            "the NBBO, quote age, underlying quote and implied volatility at the print; known_at = the print "
            "time.",
        ),
        dg.AssetSpec(
            "synthetic_flow_truth",
            group_name=OPTIONS_FLOW_GROUP,
            deps=[universe],
            kinds={"parquet"},
            description="Hidden labels of the simulated tape: one row per print with its scenario and true "
            "profile or trap. Never read by the rules; only the evaluation reads it.",
        ),
    ],
    partitions_def=monthly_partitions,
    backfill_policy=_SINGLE_RUN,
)
def option_prints(context: dg.AssetExecutionContext, config: OptionPrintsConfig, source: SmartMoneySource):
    months = _months(context)
    path = config.prints_path or settings.option_prints_path()
    prints, truth = [], []
    began = time.monotonic()
    if path:
        imported = importer.read_prints(path)
        context.log.info(f"raw_option_prints: imported {len(imported)} prints from {path}")
        prints.append(imported.assign(source="import"))
    elif source.source_name == "synthetic":
        listed = warehouse.read_months("universe", months, require=True)
        for month in months:
            symbols = tuple(sorted(listed.loc[timeline.month_starts(listed["as_of"]) == month, "symbol"]))
            config_ = TapeConfig(
                symbols=symbols[: config.n_symbols],
                start=f"{month:%Y-%m-%d}",
                days=TAPE_DAYS,
                scenarios_per_kind=config.scenarios_per_kind,
                mode=config.mode,
                background_ratio=config.background_ratio,
                seed=config.seed + month.year * 12 + month.month,
                id_prefix=f"P{month:%Y%m}-",
            )
            tape, labels, _ = simulate(config_)
            prints.append(tape.assign(source="synthetic"))
            truth.append(labels.assign(source="synthetic", known_at=pd.to_datetime(tape["ts"], unit="ms")))
    else:
        context.log.warning(
            f"raw_option_prints: the {source.source_name} source has no option prints; set "
            "SMART_MONEY_OPTION_PRINTS to a file of vendor prints (README: Options flow)"
        )
    frame = pd.concat(prints, ignore_index=True) if prints else tables.spec("raw_option_prints").empty()
    frame["known_at"] = pd.to_datetime(frame["ts"].astype("int64"), unit="ms")
    first, end = months[0], _month_end(months[-1])
    frame = frame[(frame["known_at"] >= first) & (frame["known_at"] < end)]
    counts = warehouse.write_months("raw_option_prints", frame, months, "known_at")
    truth_frame = (
        pd.concat(truth, ignore_index=True) if truth else warehouse.read_months("synthetic_flow_truth", [])
    )
    truth_counts = warehouse.write_months("synthetic_flow_truth", truth_frame, months, "known_at")
    warehouse.refresh_catalog()
    context.log.info(
        f"raw_option_prints: {len(frame)} prints in {len(months)} month(s) in {time.monotonic() - began:.1f}s"
    )
    yield dg.MaterializeResult(
        asset_key="raw_option_prints",
        metadata=table_metadata(
            frame.drop(columns=["known_at"]),
            {"months_written": len(counts), "imported_from": path or "", "source": source.source_name},
        ),
    )
    yield dg.MaterializeResult(
        asset_key="synthetic_flow_truth",
        metadata=table_metadata(truth_frame, {"months_written": len(truth_counts)}),
    )


@dg.asset(
    group_name=OPTIONS_FLOW_GROUP,
    partitions_def=monthly_partitions,
    backfill_policy=_SINGLE_RUN,
    deps=[universe],
    kinds={"parquet"},
)
def raw_corporate_events(context: dg.AssetExecutionContext, source: SmartMoneySource) -> dg.MaterializeResult:
    """Scheduled corporate events: one row per symbol × event (earnings and others) with its date and
    kind, partitioned by the month of the event (a calendar is read ahead); known_at = when the date became
    public, and only rows known at a print's time are used. Synthetic calendar by default, FMP's earnings
    calendar with fmp."""
    months = _months(context)
    listed = warehouse.read_months("universe", months, require=True)
    frame = source.corporate_events(sorted(listed["symbol"].unique()), months[0], _month_end(months[-1]))
    counts = warehouse.write_months("raw_corporate_events", frame, months, "event_date")
    warehouse.refresh_catalog()
    return dg.MaterializeResult(
        metadata=table_metadata(frame, {"months_written": len(counts), "source": source.source_name})
    )


@dg.asset(
    group_name=OPTIONS_FLOW_GROUP,
    partitions_def=monthly_partitions,
    backfill_policy=_SINGLE_RUN,
    deps=[
        dg.AssetDep("raw_option_prints"),
        dg.AssetDep(raw_corporate_events, partition_mapping=lookback(0, ahead=1)),
    ],
    kinds={"parquet", "duckdb"},
)
def smart_money_events(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    """Smart-money options events: one row per parent event of option prints (single- or multi-leg) with its
    typed features, the six profile scores, the primary profile or abstention, direction, confidence band,
    reasons and suppression reasons. The view ``smart_money_alerts`` gives one line per alert."""
    months = _months(context)
    began = time.monotonic()
    frames = []
    for month in months:
        prints = warehouse.read_months("raw_option_prints", [month], require=True)
        # this month's and next month's scheduled events; the features keep those known at each print
        calendar = warehouse.read_months("raw_corporate_events", [month, month + pd.DateOffset(months=1)])
        events, _ = classify.classify(prints, calendar)
        frames.append(events.assign(source=prints["source"].iloc[0] if len(prints) else "none"))
        context.log.info(f"smart_money_events: {month:%Y-%m}: {len(prints)} prints -> {len(events)} events")
    frame = pd.concat(frames, ignore_index=True)
    counts = warehouse.write_months("smart_money_events", frame, months, "start_ts")
    warehouse.refresh_catalog()
    seconds = time.monotonic() - began
    called = frame[~frame["abstained"]]
    mix = called.groupby(["primary_profile_id", "primary_direction"]).size().rename("events").reset_index()
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": dg.MetadataValue.int(len(frame)),
            "months_written": len(counts),
            "abstention_rate": float(frame["abstained"].mean()) if len(frame) else 0.0,
            "profiles": dg.MetadataValue.md(markdown_table(mix, 20)),
            "seconds": round(seconds, 2),
        }
    )


@dg.asset_check(
    asset=smart_money_events,
    name=EVENTS_INTEGRITY,
    blocking=True,
    description="Every print of the window is in exactly one event, event ids are unique, probabilities lie "
    "in [0, 1], and an event abstains exactly when it has no primary profile.",
)
def smart_money_events_integrity(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    months = window_months(context)
    events = warehouse.read_months("smart_money_events", months)
    prints = warehouse.read_months("raw_option_prints", months)
    members = [p for ids in events["member_print_ids"] for p in ids]
    problems = []
    if len(members) != len(set(members)):
        problems.append("a print belongs to two events")
    if set(members) != set(prints["print_id"]):
        problems.append(f"{len(set(prints['print_id']) ^ set(members))} prints are in no event or unknown")
    if events["event_id"].duplicated().any():
        problems.append("duplicate event ids")
    probabilities = events[[c for c in events.columns if c.endswith("_probability")]].to_numpy(float)
    if len(probabilities) and ((probabilities < 0) | (probabilities > 1)).any():
        problems.append("a probability outside [0, 1]")
    if (events["abstained"] != events["primary_profile_id"].isna()).any():
        problems.append("abstained disagrees with primary_profile_id")
    return dg.AssetCheckResult(
        passed=not problems,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "summary": "; ".join(problems)
            or f"{len(events)} events cover {len(members)} prints exactly once",
            "severity_level": "critical" if problems else "info",
        },
    )


@dg.asset(
    group_name=OPTIONS_FLOW_GROUP,
    deps=[smart_money_events, "synthetic_flow_truth"],
    kinds={"json"},
)
def options_flow_evaluation(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    """Options-flow evaluation against the simulated truth: per-profile precision/recall, the confusion
    matrix, abstention, probability calibration and each trap's false-positive rate, over every month of
    ``smart_money_events``. Written to ``<data>/options_flow/evaluation.json`` for the evaluation report."""
    events = warehouse.read_months("smart_money_events")
    truth = warehouse.read_months("synthetic_flow_truth")
    if events.empty or truth.empty:
        raise dg.Failure(
            "options_flow_evaluation needs smart_money_events and synthetic_flow_truth (synthetic)"
        )
    members = events[["event_id", "member_print_ids"]].explode("member_print_ids")
    members = members.rename(columns={"member_print_ids": "print_id"})
    result = evaluation.evaluate(events, evaluation.event_truth(members, truth))
    path = settings.data_dir() / "options_flow" / "evaluation.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(result, indent=2, default=_json))
    tmp.replace(path)
    table = evaluation.summary_table(result)
    confusion = pd.DataFrame(result["confusion"]).T.fillna(0).astype(int).reset_index(names="truth")
    context.log.info("options_flow_evaluation:\n" + table.to_string(index=False))
    return dg.MaterializeResult(
        metadata={
            "events": result["events"],
            "abstention_rate": round(result["abstention_rate"], 4),
            "profile_events_recall": result["profile_events_recall"],
            "profiles_and_traps": dg.MetadataValue.md(markdown_table(table, 20)),
            "confusion": dg.MetadataValue.md(markdown_table(confusion, 20)),
            "calibration": dg.MetadataValue.md(markdown_table(pd.DataFrame(result["calibration"]), 10)),
            "path": dg.MetadataValue.path(str(path)),
        }
    )


def _json(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(type(value).__name__)


assets = [option_prints, raw_corporate_events, smart_money_events, options_flow_evaluation]
checks = [smart_money_events_integrity]
