"""``evaluation_report`` (group ``model``): the HTML report and the ``evaluation_scores`` table.

It takes the model's handle and (when the options flow ran) the options-flow evaluation as declared
inputs, and passes the handle on, with the promotion decision, to the registry."""

import base64
from pathlib import Path

import dagster as dg
import numpy as np

from smart_money import files, gates
from smart_money.defs.artifacts import ARTIFACTS, optional_input
from smart_money.defs.metadata import check_result
from smart_money.defs.model import handle_folder, read_scores
from smart_money.defs.splits import MODEL_GROUP
from smart_money.modeling import evaluation, training
from smart_money.report import evaluation_report as report_html
from smart_money.warehouse import Warehouse

REPORT_FILE = "report.html"
REPORT_COMPLETE = "evaluation_report_complete"
REPRODUCE_TOLERANCE = 1e-9
METADATA_PLOTS = (
    "roc_test",
    "pr_test",
    "reliability_test",
    "gain_importance",
    "shap_summary",
    "monthly_ic_test",
    "deciles_test",
)


def reload_and_verify(
    warehouse: Warehouse, folder: Path, scores, log
) -> tuple[training.FittedModel, dict, "object"]:
    """Reload the saved artifact and check it reproduces the in-memory probabilities (to 1e-9)."""
    model, metadata = training.load_model(folder)
    features = warehouse.read_months(
        "features", sorted(scores["sample_date"].dt.to_period("M").dt.to_timestamp().unique()), require=True
    )
    rows = scores[["symbol", "sample_date"]].merge(features, on=["symbol", "sample_date"], how="left")
    reloaded = model.predict_proba(rows)
    worst = float(np.max(np.abs(reloaded - scores["probability"].to_numpy()))) if len(rows) else 0.0
    if worst > REPRODUCE_TOLERANCE:
        raise dg.Failure(
            f"the saved model in {folder} does not reproduce its training-time probabilities "
            f"(max difference {worst:.3g} > {REPRODUCE_TOLERANCE}); the artifact is not trustworthy"
        )
    log(f"evaluation_report: reloaded {folder.name}; max probability difference {worst:.2g}")
    return model, metadata, rows


@dg.asset(
    group_name=MODEL_GROUP,
    kinds={"html", "parquet"},
    io_manager_key=ARTIFACTS,
    ins={"options_flow_evaluation": optional_input()},
)
def evaluation_report(
    context: dg.AssetExecutionContext,
    warehouse: dg.ResourceParam[Warehouse],
    smart_money_model: dict,
    options_flow_evaluation: dict | None,
) -> dg.Output[dict]:
    """Evaluation report: one self-contained HTML file per model version (metrics beside every baseline and
    the oracle, ROC / PR / reliability / importance / SHAP plots, monthly IC and deciles, and the options-flow
    evaluation when there is one) and the scored rows behind it in `evaluation_scores` (one row per model
    version × segment × symbol × sample date)."""
    folder = handle_folder(warehouse, smart_money_model)
    scores = read_scores(folder)
    model, metadata, rows = reload_and_verify(warehouse, folder, scores, context.log.info)
    test = scores["segment"].to_numpy() == "test"
    contributions = model.contributions(rows[test])
    status, reason = evaluation.promotion_decision(metadata["metrics"], leaky=metadata["split"]["leaky"])
    empty = warehouse.empty_tables()
    report = report_html.render(
        {**metadata, "empty_tables": empty},
        scores,
        model.gain_importance(),
        contributions,
        rows[test],
        status,
        reason,
        options_flow_evaluation,
    )
    files.write_text_atomic(folder / REPORT_FILE, report.html)
    warehouse.write_keyed("evaluation_scores", scores, {"model_version": metadata["version"]})
    context.log.info(f"evaluation_report: {folder / REPORT_FILE}")
    plot_md = {
        f"plot_{name}": dg.MetadataValue.md(
            f"![{name}](data:image/png;base64,{base64.b64encode(report.plots[name]).decode()})"
        )
        for name in METADATA_PLOTS
    }
    return dg.Output(
        {**smart_money_model, "promotion_status": status, "promotion_reason": reason},
        metadata={
            "model_version": metadata["version"],
            "model_path": dg.MetadataValue.path(str(folder)),
            "report_path": dg.MetadataValue.path(str(folder / REPORT_FILE)),
            "headline": dg.MetadataValue.md(report.headline_markdown),
            "promotion": f"{status}: {reason}",
            "evaluation_scores_rows": len(scores),
            "options_flow_section": options_flow_evaluation is not None,
            "empty_raw_tables": ", ".join(empty) or "none",
            **plot_md,
        },
    )


@dg.asset_check(
    asset=evaluation_report,
    name=REPORT_COMPLETE,
    blocking=True,
    description="The model version's report.html exists and names the version, and evaluation_scores "
    "holds exactly the rows the model scored (critical if not: the registry would promote on a report "
    "nobody can read).",
)
def evaluation_report_complete(
    evaluation_report: dict, warehouse: dg.ResourceParam[Warehouse]
) -> dg.AssetCheckResult:
    folder = handle_folder(warehouse, evaluation_report)
    version = evaluation_report["version"]
    path = folder / REPORT_FILE
    html = path.read_text() if path.is_file() else None
    scored = len(read_scores(folder))
    stored = len(warehouse.read_keyed("evaluation_scores", {"model_version": version}))
    return check_result(gates.report_gate(REPORT_COMPLETE, version, html, scored, stored))


assets = [evaluation_report]
checks = [evaluation_report_complete]
