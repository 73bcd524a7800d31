"""The one ``Definitions`` of the project, built from the modules under ``defs/``.

This is the only place that reads the environment into resources: the source (``SMART_MONEY_SOURCE`` and its
settings), the warehouse (``SMART_MONEY_DATA_DIR``, ``SMART_MONEY_MODELS_DIR``) and the executor. Tests build
their own with :func:`build_definitions` and other resources instead of changing the environment.
"""

import dagster as dg
import pandas as pd

from smart_money import deployment, settings, timeline
from smart_money.defs import (
    automation,
    checks,
    features,
    jobs,
    labels,
    model,
    options_flow,
    partitions,
    predictions,
    raw,
    registry,
    report,
    splits,
    track_record,
)
from smart_money.defs.artifacts import ARTIFACTS, ArtifactIOManager
from smart_money.defs.resources import (
    FmpSource,
    SecSource,
    SmartMoneySource,
    SyntheticSource,
    WarehouseResource,
)
from smart_money.sources.sec import nport
from smart_money.sources.sec.client import USER_AGENT_HINT, SecError, check_user_agent


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
    if name == "sec":
        return sec_from_env(prints)
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


def sec_from_env(option_prints_path: str | None = None) -> SecSource:
    """The sec source from the environment; refuses to start (before any request) without a declared
    SEC_USER_AGENT or a price source (README: SEC EDGAR source)."""
    agent = settings.sec_user_agent()
    try:
        check_user_agent(agent)
    except SecError as exc:
        raise settings.SettingsError(f"{exc}; nothing was requested") from None
    if agent is None:  # check_user_agent refuses None; this keeps type checkers informed
        raise settings.SettingsError(f"SMART_MONEY_SOURCE=sec needs SEC_USER_AGENT: {USER_AGENT_HINT}")
    prices, congress = settings.prices_source(), settings.congress_source()
    needs_fmp = "fmp" in (prices, congress)
    if needs_fmp and not settings.fmp_api_key():
        raise settings.SettingsError(
            "SMART_MONEY_PRICES=fmp or SMART_MONEY_CONGRESS=fmp needs FMP_API_KEY (FMP's free plan has "
            "end-of-day prices); or give SMART_MONEY_PRICES a CSV / Parquet file; nothing was requested"
        )
    preset = settings.universe_preset()
    as_of = settings.sec_as_of()
    start = settings.history_start()
    if start is not None and start < settings.SEC_DEFAULTS.first_month:
        raise settings.SettingsError(
            f"SMART_MONEY_HISTORY_START={start:%Y-%m} is before the SEC's first insider data set "
            f"({settings.SEC_DEFAULTS.first_month:%Y-%m}); choose 2006-01 or later"
        )
    try:
        cusip_map, etf_file, hedge_funds = (
            settings.cusip_map_file(),
            settings.etf_holdings_path(),
            settings.hedge_funds_file(),
        )
    except settings.SettingsError as exc:
        raise settings.SettingsError(f"{exc}; nothing was requested") from None
    return SecSource(
        user_agent=dg.EnvVar("SEC_USER_AGENT"),
        www_url=settings.sec_www_url(),
        data_url=settings.sec_data_url(),
        rate_per_s=settings.sec_rate_per_s(),
        cache_dir=str(settings.sec_cache_dir()),
        cache_ttl_days=settings.sec_cache_ttl_days(),
        max_workers=settings.sec_max_workers(),
        as_of=as_of.isoformat() if as_of else None,
        universe_preset=preset,
        symbols=settings.custom_symbols() if preset == "custom" else [],
        history_start_date=(start or timeline.HISTORY_START).isoformat(),
        price_source=prices,
        congress_source=congress,
        fmp_api_key=dg.EnvVar("FMP_API_KEY") if needs_fmp else None,
        fmp_base_url=settings.fmp_base_url(),
        fmp_cache_dir=str(settings.cache_dir()),
        etfs=list(settings.etf_symbols(nport.DEFAULT_ETFS)),
        openfigi_api_key=dg.EnvVar("OPENFIGI_API_KEY") if settings.openfigi_api_key() else None,
        openfigi_url=settings.openfigi_url(),
        cusip_map=str(cusip_map) if cusip_map else None,
        etf_holdings_file=str(etf_file) if etf_file else None,
        hedge_funds=str(hedge_funds) if hedge_funds else None,
        synthetic_seed=settings.seed(),
        synthetic_n_symbols=settings.n_symbols(),
        option_prints_path=option_prints_path,
    )


def warehouse_from_env() -> WarehouseResource:
    return WarehouseResource(data_dir=str(settings.data_dir()), models_dir=str(settings.models_dir()))


Months = tuple[pd.Timestamp, pd.Timestamp | None]


def sample_months(history: Months) -> Months:
    """The environment's sample months (``latest``: through the source's last complete month)."""
    last = history[1] if settings.sample_end_is_latest() else timeline.month_start(settings.sample_end())
    return timeline.month_start(settings.sample_start()), last


def build_definitions(
    source: SmartMoneySource | None = None,
    warehouse: WarehouseResource | None = None,
    samples: Months | None = None,
) -> dg.Definitions:
    """Assets (with their monthly automation), checks, the named stage jobs, the automation sensor and the
    resources (README: Configuration, Automation); ``source`` and ``warehouse`` default to the
    environment's. Raw partitions span the source's history and sample partitions (features, labels, the
    options flow) ``samples``, default the environment's sample months (``defs/partitions.py``).

    The executor is ``SMART_MONEY_EXECUTOR``'s (in-process by default; README: Running at scale), and the
    jobs that fetch carry the source's tag for the run queue's limits.
    """
    source = source or source_from_env()
    warehouse = warehouse or warehouse_from_env()
    history = partitions.source_months(source.history_start(), source.history_end())
    sampled = [
        *raw.options_flow_raw_assets,
        *features.assets,
        *labels.assets,
        options_flow.smart_money_events,
        track_record.prediction_outcomes,
    ]
    return dg.Definitions(
        assets=[
            *automation.with_automation(
                [
                    *partitions.repartitioned(raw.raw_assets, partitions.monthly(*history)),
                    *partitions.repartitioned(
                        sampled, partitions.monthly(*(samples or sample_months(history)))
                    ),
                ],
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
                    track_record.track_record,
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
            *model.checks,
            *report.checks,
            *track_record.checks,
        ],
        jobs=deployment.with_source_tag(
            jobs.jobs, source.source_name, (jobs.RAW_JOB, jobs.OPTIONS_FLOW_JOB)
        ),
        sensors=[
            automation.automation_sensor(settings.automation_on()),
            automation.retrain_sensor(settings.automation_on()),
        ],
        resources={
            "source": source,
            "warehouse": warehouse,
            ARTIFACTS: ArtifactIOManager(warehouse=warehouse),
        },
        executor=deployment.executor_def(),
    )


defs = build_definitions()
