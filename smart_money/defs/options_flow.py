"""Group ``options_flow``: parent events of option prints with profile scores, their integrity check, and
the evaluation against the simulated truth. Thin assets over ``smart_money.options_flow``; the raw tables
(option prints, their hidden truth, the corporate calendar) come from the raw-table factory in ``raw.py``."""

import time

import dagster as dg
import pandas as pd

from smart_money import gates
from smart_money.defs.artifacts import ARTIFACTS
from smart_money.defs.metadata import check_result, markdown_table, partitioned_result
from smart_money.defs.partitions import lookback, monthly_partitions, window_months
from smart_money.defs.raw import (
    OPTIONS_FLOW_GROUP,
    raw_corporate_events,
    raw_option_prints,
    synthetic_flow_truth,
)
from smart_money.options_flow import classify, contracts, evaluation
from smart_money.warehouse import Warehouse

_SINGLE_RUN = dg.BackfillPolicy.single_run()
EVENTS_INTEGRITY = "smart_money_events_integrity"
EVALUATION_CONSISTENT = "options_flow_evaluation_consistent"


def _months(context) -> list[pd.Timestamp]:
    months = window_months(context)
    if not months:
        raise dg.Failure("options_flow assets are partitioned by month: pass a partition key or range")
    return months


@dg.asset(
    group_name=OPTIONS_FLOW_GROUP,
    partitions_def=monthly_partitions,
    backfill_policy=_SINGLE_RUN,
    deps=[
        dg.AssetDep(raw_option_prints),
        dg.AssetDep(raw_corporate_events, partition_mapping=lookback(0, ahead=1)),
    ],
    kinds={"parquet", "duckdb"},
)
def smart_money_events(
    context: dg.AssetExecutionContext, warehouse: dg.ResourceParam[Warehouse]
) -> dg.MaterializeResult:
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
    seconds = time.monotonic() - began
    called = frame[~frame["abstained"]]
    mix = called.groupby(["primary_profile_id", "primary_direction"]).size().rename("events").reset_index()
    return partitioned_result(
        context,
        frame,
        "start_ts",
        "smart_money_events",
        {
            "months_written": len(counts),
            "abstention_rate": float(frame["abstained"].mean()) if len(frame) else 0.0,
            "profiles": dg.MetadataValue.md(markdown_table(mix, 20)),
            "seconds": round(seconds, 2),
        },
    )


@dg.asset_check(
    asset=smart_money_events,
    name=EVENTS_INTEGRITY,
    blocking=True,
    description="Every print of the window is in exactly one event, event ids are unique, probabilities lie "
    "in [0, 1], and an event abstains exactly when it has no primary profile.",
)
def smart_money_events_integrity(
    context: dg.AssetCheckExecutionContext, warehouse: dg.ResourceParam[Warehouse]
) -> dg.AssetCheckResult:
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
            "severity_level": gates.CRITICAL if problems else gates.PASSED,
        },
    )


@dg.asset(
    group_name=OPTIONS_FLOW_GROUP,
    deps=[smart_money_events, synthetic_flow_truth],
    kinds={"json"},
    io_manager_key=ARTIFACTS,
)
def options_flow_evaluation(
    context: dg.AssetExecutionContext, warehouse: dg.ResourceParam[Warehouse]
) -> dg.Output[dict | None]:
    """Options-flow evaluation against the simulated truth: per-profile precision/recall, the confusion
    matrix, abstention, probability calibration and each trap's false-positive rate, over every month of
    ``smart_money_events``. Its output (``<data>/artifacts/options_flow_evaluation.json``) is an input of
    the evaluation report."""
    events = warehouse.read_months("smart_money_events")
    truth = warehouse.read_months("synthetic_flow_truth")
    if events.empty or truth.empty:
        # a live source, or the options flow off: nothing to score, which is not a failure of the model job
        reason = (
            "no simulated options tape: smart_money_events and synthetic_flow_truth are empty (only the "
            "synthetic source's options_flow group fills both), so the report has no options-flow section"
        )
        context.log.info(f"options_flow_evaluation: {reason}")
        return dg.Output(None, metadata={"available": False, "reason": reason})
    members = events[["event_id", "member_print_ids"]].explode("member_print_ids")
    members = members.rename(columns={"member_print_ids": "print_id"})
    result = evaluation.evaluate(events, evaluation.event_truth(members, truth))
    table = evaluation.summary_table(result)
    confusion = pd.DataFrame(result["confusion"]).T.fillna(0).astype(int).reset_index(names="truth")
    context.log.info("options_flow_evaluation:\n" + table.to_string(index=False))
    return dg.Output(
        result,
        metadata={
            "events": result["events"],
            "abstention_rate": round(result["abstention_rate"], 4),
            "profile_events_recall": result["profile_events_recall"],
            "profiles_and_traps": dg.MetadataValue.md(markdown_table(table, 20)),
            "confusion": dg.MetadataValue.md(markdown_table(confusion, 20)),
            "calibration": dg.MetadataValue.md(markdown_table(pd.DataFrame(result["calibration"]), 10)),
        },
    )


@dg.asset_check(
    asset=options_flow_evaluation,
    name=EVALUATION_CONSISTENT,
    blocking=True,
    description="The options-flow evaluation adds up: its confusion matrix counts every scored event once, "
    "every event × profile pair falls in one calibration bin, and precision, recall, abstention and "
    "false-positive rates lie in [0, 1] (critical if not; no simulated tape passes, nothing to score).",
)
def options_flow_evaluation_consistent(options_flow_evaluation: dict | None) -> dg.AssetCheckResult:
    return check_result(
        gates.options_flow_evaluation_gate(
            EVALUATION_CONSISTENT, options_flow_evaluation, len(contracts.PROFILES)
        )
    )


assets = [smart_money_events, options_flow_evaluation]
checks = [smart_money_events_integrity, options_flow_evaluation_consistent]
