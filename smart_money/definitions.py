"""The one ``Definitions`` of the project, built from the modules under ``defs/`` and nothing else."""

import dagster as dg

from smart_money import settings
from smart_money.defs import (
    automation,
    checks,
    dataset,
    features,
    labels,
    model,
    options_flow,
    predictions,
    raw,
    registry,
    report,
)
from smart_money.defs.resources import source_from_env


def build_definitions() -> dg.Definitions:
    """Assets (with their monthly automation), checks, the automation sensor and the source resource chosen
    by the environment (README: Configuration, Automation).

    Runs use the in-process executor by default: here the multiprocess one re-imports the code for every
    step and was 2-3x slower. ``SMART_MONEY_EXECUTOR=multiprocess`` selects it.
    """
    executor = dg.multiprocess_executor if settings.executor() == "multiprocess" else dg.in_process_executor
    return dg.Definitions(
        assets=[
            *automation.with_automation(
                [*raw.assets, *features.assets, *labels.assets, *options_flow.assets[:3]],
                automation.monthly_partitioned(),
            ),
            *automation.with_automation(options_flow.assets[3:], automation.monthly_unpartitioned()),
            *automation.with_automation(
                [*dataset.assets, *model.assets, *report.assets, *registry.assets, *predictions.assets],
                automation.monthly_unpartitioned(),
            ),
        ],
        asset_checks=[
            *checks.checks,
            *dataset.checks,
            *registry.checks,
            *automation.checks,
            *options_flow.checks,
        ],
        sensors=[automation.automation_sensor()],
        resources={"source": source_from_env()},
        executor=executor,
    )


defs = build_definitions()
