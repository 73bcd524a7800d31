"""The build stages as named jobs: what ``smart-money build`` launches, what the UI lists, and what the
tests run. A partition range needs every selected asset on the same partitions with a single-run backfill
policy, so the monthly stages and the unpartitioned model stage are separate jobs. Each monthly job takes its
partitions from its assets (raw: the source's history; the others: the sample months)."""

import dagster as dg

RAW_JOB = "raw"
OPTIONS_FLOW_JOB = "options_flow"
FEATURES_JOB = "features_and_labels"  # not "features": an asset's op has that name, and a repository
# refuses two definitions with one name (the UI and `dagster job execute -m` could not load the code)
MODEL_JOB = "model"
OPTIONS_FLOW_EVALUATION = dg.AssetKey("options_flow_evaluation")

raw_job = dg.define_asset_job(
    RAW_JOB,
    selection=dg.AssetSelection.groups("raw"),
    description="Stage 1: the universe, prices and every disclosure table for a range of months of known_at "
    "(one run per range), with their schema and completeness checks.",
)
options_flow_job = dg.define_asset_job(
    OPTIONS_FLOW_JOB,
    selection=dg.AssetSelection.groups("options_flow") - dg.AssetSelection.assets(OPTIONS_FLOW_EVALUATION),
    description="Stage 2 (optional): option prints, the corporate calendar and the classified smart-money "
    "events for a range of sample months.",
)
features_job = dg.define_asset_job(
    FEATURES_JOB,
    selection=dg.AssetSelection.groups("features"),
    description="Stage 3: features and labels for a range of sample months, with the no-look-ahead proof and "
    "the data gates.",
)
TRACK_RECORD_JOB = "live_track_record"  # not "track_record": that is an asset op's name
TRACK_RECORD_ASSETS = dg.AssetSelection.assets("prediction_outcomes", "track_record")
model_job = dg.define_asset_job(
    MODEL_JOB,
    selection=(dg.AssetSelection.groups("model") - TRACK_RECORD_ASSETS)
    | dg.AssetSelection.assets(OPTIONS_FLOW_EVALUATION),
    description="Stage 4: splits, the model and its baselines, the evaluation report (with the options-flow "
    "evaluation), the registry with the promotion check, and predictions.",
)

track_record_job = dg.define_asset_job(
    TRACK_RECORD_JOB,
    selection=TRACK_RECORD_ASSETS,
    description="The live track record: the published predictions of a range of sample months scored "
    "against their labels (prediction_outcomes), then the track record and its degradation check.",
)

jobs = [raw_job, options_flow_job, features_job, model_job, track_record_job]
