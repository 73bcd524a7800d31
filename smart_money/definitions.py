"""The one ``Definitions`` of the project, built from the modules under ``defs/``.

This is the only place that reads the environment into resources: the source (``SMART_MONEY_SOURCE`` and its
settings), the warehouse (``SMART_MONEY_DATA_DIR``, ``SMART_MONEY_MODELS_DIR``) and the executor. Tests build
their own with :func:`build_definitions` and other resources instead of changing the environment.
"""

import dagster as dg

from smart_money import settings
from smart_money.defs import (
    automation,
    checks,
    features,
    jobs,
    labels,
    model,
    options_flow,
    predictions,
    raw,
    registry,
    report,
    splits,
)
from smart_money.defs.artifacts import ARTIFACTS, ArtifactIOManager
from smart_money.defs.resources import FmpSource, SmartMoneySource, SyntheticSource, WarehouseResource


def source_from_env() -> SmartMoneySource:
    """The resource named by ``SMART_MONEY_SOURCE``, knobs from the environment (README: Configuration)."""
    name = settings.source_name()
    prints = settings.option_prints_path()
    if name == "synthetic":
        return SyntheticSource(
            seed=settings.seed(),
            n_symbols=settings.n_symbols(),
            signal_strength=settings.signal_strength(),
            option_prints_path=prints,
        )
    if name == "fmp":
        return fmp_from_env(prints)
    raise settings.SettingsError(f"SMART_MONEY_SOURCE={name!r} has no resource yet")


def fmp_from_env(option_prints_path: str | None = None) -> FmpSource:
    if not settings.fmp_api_key():
        raise settings.SettingsError(
            "SMART_MONEY_SOURCE=fmp needs FMP_API_KEY (your Financial Modeling Prep key); "
            "nothing was requested"
        )
    preset = settings.universe_preset()
    as_of = settings.fmp_as_of()
    return FmpSource(
        api_key=dg.EnvVar("FMP_API_KEY"),
        base_url=settings.fmp_base_url(),
        rate_per_minute=settings.fmp_rate_per_minute(),
        universe_preset=preset,
        symbols=settings.custom_symbols() if preset == "custom" else [],
        cache_dir=str(settings.cache_dir()),
        cache_ttl_days=settings.fmp_cache_ttl_days(),
        max_workers=settings.fmp_max_workers(),
        as_of=as_of.isoformat() if as_of else None,
        option_prints_path=option_prints_path,
    )


def warehouse_from_env() -> WarehouseResource:
    return WarehouseResource(data_dir=str(settings.data_dir()), models_dir=str(settings.models_dir()))


def build_definitions(
    source: SmartMoneySource | None = None, warehouse: WarehouseResource | None = None
) -> dg.Definitions:
    """Assets (with their monthly automation), checks, the named stage jobs, the automation sensor and the
    resources (README: Configuration, Automation); ``source`` and ``warehouse`` default to the
    environment's.

    Runs use the in-process executor by default: here the multiprocess one re-imports the code for every
    step and was 2-3x slower. ``SMART_MONEY_EXECUTOR=multiprocess`` selects it.
    """
    source = source or source_from_env()
    warehouse = warehouse or warehouse_from_env()
    executor = dg.multiprocess_executor if settings.executor() == "multiprocess" else dg.in_process_executor
    return dg.Definitions(
        assets=[
            *automation.with_automation(
                [*raw.assets, *features.assets, *labels.assets, options_flow.smart_money_events],
                automation.monthly_partitioned(),
            ),
            *automation.with_automation(
                [
                    options_flow.options_flow_evaluation,
                    *splits.assets,
                    *model.assets,
                    *report.assets,
                    *registry.assets,
                    *predictions.assets,
                ],
                automation.monthly_unpartitioned(),
            ),
        ],
        asset_checks=[
            *checks.checks,
            *splits.checks,
            *registry.checks,
            *automation.checks,
            *options_flow.checks,
        ],
        jobs=jobs.jobs,
        sensors=[automation.automation_sensor(settings.automation_on())],
        resources={
            "source": source,
            "warehouse": warehouse,
            ARTIFACTS: ArtifactIOManager(warehouse=warehouse),
        },
        executor=executor,
    )


defs = build_definitions()
