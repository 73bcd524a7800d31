"""The ``labels`` asset (group ``features``): forward returns after each sample date."""

import dagster as dg
from pydantic import Field

from smart_money import sample_tables, timeline
from smart_money.defs.features import FEATURES_GROUP, features
from smart_money.defs.metadata import partitioned_result
from smart_money.defs.partitions import lookback, monthly_partitions, window_months
from smart_money.defs.raw import raw_prices, universe
from smart_money.labels import LABEL_DEFINITIONS, LabelConfig
from smart_money.warehouse import Warehouse


class LabelsConfig(dg.Config):
    """Which label the model trains on and the parameters of every definition (README: Labels)."""

    definition: str = Field(
        default="return_threshold",
        description="Label copied into `label`: "
        + "; ".join(f"{k} = {v}" for k, v in LABEL_DEFINITIONS.items()),
    )
    horizon_days: int = Field(default=timeline.LABEL_HORIZON_DAYS, description="Calendar days to the exit.")
    return_threshold: float = Field(default=0.05, description="Return above which label_return is 1.")
    excess_threshold: float = Field(default=0.03, description="Excess return for market/sector labels.")
    vol_scaled_threshold: float = Field(default=1.0, description="Sigmas for label_vol_scaled.")
    spike_multiple: float = Field(default=2.0, description="Future/trailing volatility ratio for a spike.")
    drawdown_threshold: float = Field(default=-0.10, description="Return below which label_drawdown is 1.")

    def label_config(self) -> LabelConfig:
        return LabelConfig(
            definition=self.definition,
            horizon_days=self.horizon_days,
            return_threshold=self.return_threshold,
            excess_threshold=self.excess_threshold,
            vol_scaled_threshold=self.vol_scaled_threshold,
            spike_multiple=self.spike_multiple,
            drawdown_threshold=self.drawdown_threshold,
        )


@dg.asset(
    group_name=FEATURES_GROUP,
    partitions_def=monthly_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=[
        dg.AssetDep(universe),
        dg.AssetDep(
            raw_prices,
            partition_mapping=lookback(timeline.LABEL_LOOKBACK_MONTHS, timeline.LABEL_LOOKAHEAD_MONTHS),
        ),
        dg.AssetDep(features),
    ],
    kinds={"parquet"},
)
def labels(
    context: dg.AssetExecutionContext, config: LabelsConfig, warehouse: dg.ResourceParam[Warehouse]
) -> dg.MaterializeResult:
    """Labels: one row per symbol × sample date with price_at_sample, price_after (first trading day on or
    after t + horizon), return_fwd, every label definition and `label` (the configured one). NA while the
    forward window is incomplete. Prices after t only; the composite label also reads features at t."""
    months = window_months(context)
    if not months:
        raise dg.Failure("labels are partitioned by sample month: pass a partition key or range")
    label_config = config.label_config()
    frame = sample_tables.build_label_table(
        warehouse, months, label_config, features=warehouse.read_months("features", months)
    )
    warehouse.write_months("labels", frame, months, "sample_date")
    known = frame["label"].dropna()
    context.log.info(
        f"labels: {len(frame)} rows, {len(known)} known, positive share "
        f"{known.astype(float).mean() if len(known) else float('nan'):.3f}"
    )
    return partitioned_result(
        context,
        frame,
        "sample_date",
        "labels",
        {
            "label_definition": label_config.definition,
            "known_labels": len(known),
            "positive_share": float(known.astype(float).mean()) if len(known) else 0.0,
        },
    )


assets = [labels]
