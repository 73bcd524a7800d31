"""Monthly automation (declarative, ``AutomationCondition.on_cron``) and the stale-predictions check.

On the 2nd of every month at 06:00 UTC the newest finished month becomes the latest partition. The raw
assets, features and labels are requested for the latest two months (the month before is refreshed because
its labels' forward windows complete only now, and late filings land), and once all of an asset's parents
have been updated since the tick the model group follows: dataset splits, the retrained model, its report,
the registry and the newest month's predictions. The automation sensor is off unless
``SMART_MONEY_AUTOMATION=on``; the Dagster daemon (``dagster dev``) evaluates it.

The track record follows the predictions: ``prediction_outcomes`` for the latest two sample months (the
month before the newest completes its labels at this tick) and then ``track_record`` with its degradation
check. When that check fires, the sensor ``track_record_retrain`` requests the ``model`` job once per
(serving version, newest live month): the model is retrained on the newest data, and ``model_registry``
still promotes it only if it beats the volatility-only baseline. It runs with the same switch.
"""

import datetime

import dagster as dg

from smart_money import gates
from smart_money.defs.jobs import MODEL_JOB
from smart_money.defs.predictions import predictions
from smart_money.defs.resources import SmartMoneySource
from smart_money.defs.track_record import serving_degradation
from smart_money.freshness import prediction_staleness
from smart_money.modeling import registry
from smart_money.warehouse import Warehouse

MONTHLY_CRON = "0 6 2 * *"
FRESHNESS_CRON = "0 7 * * *"
REFRESHED_MONTHS = 2
PREDICTIONS_FRESHNESS = "predictions_freshness"
AUTOMATION_SENSOR = "smart_money_automation"
RETRAIN_SENSOR = "track_record_retrain"


def monthly_partitioned() -> dg.AutomationCondition:
    """``on_cron`` over the latest ``REFRESHED_MONTHS`` monthly partitions instead of the latest one."""
    return (
        # partitions starting within 31 × N days of the latest window's end: exactly the latest N months
        dg.AutomationCondition.in_latest_time_window(datetime.timedelta(days=31 * REFRESHED_MONTHS))
        & dg.AutomationCondition.cron_tick_passed(MONTHLY_CRON).since_last_handled()
        & dg.AutomationCondition.all_deps_updated_since_cron(MONTHLY_CRON)
    ).with_label(f"monthly ({MONTHLY_CRON} UTC), latest {REFRESHED_MONTHS} months")


def monthly_unpartitioned() -> dg.AutomationCondition:
    return dg.AutomationCondition.on_cron(MONTHLY_CRON)


def with_automation(assets: list, condition: dg.AutomationCondition) -> list:
    return dg.map_asset_specs(lambda spec: spec.replace_attributes(automation_condition=condition), assets)


@dg.asset_check(
    asset=predictions,
    name=PREDICTIONS_FRESHNESS,
    blocking=False,
    description="WARN when the newest month predicted by the serving model is older than the newest "
    "features month (or, for a live source, the last finished month). Runs with `predictions` and daily.",
    automation_condition=dg.AutomationCondition.cron_tick_passed(FRESHNESS_CRON).since_last_handled(),
)
def predictions_freshness(
    context: dg.AssetCheckExecutionContext, warehouse: dg.ResourceParam[Warehouse], source: SmartMoneySource
) -> dg.AssetCheckResult:
    version = registry.serving_version(registry.read(warehouse))
    predicted = warehouse.existing_keyed_months("predictions", {"model_version": version})
    staleness = prediction_staleness(
        predicted,
        warehouse.existing_months("features"),
        version,
        live_source=source.source_name != "synthetic",
        today=datetime.date.today(),
    )
    if staleness.stale:
        context.log.warning(staleness.message)
    return dg.AssetCheckResult(
        passed=not staleness.stale,
        severity=dg.AssetCheckSeverity.WARN,
        description=staleness.message,
        metadata={
            "summary": staleness.message,
            "severity_level": "warning" if staleness.stale else gates.PASSED,
            "model_version": version,
            "newest_predicted_month": None
            if staleness.newest_predicted is None
            else f"{staleness.newest_predicted:%Y-%m}",
            "expected_month": None if staleness.expected is None else f"{staleness.expected:%Y-%m}",
            "months_behind": staleness.months_behind,
        },
    )


def automation_sensor(running: bool) -> dg.AutomationConditionSensorDefinition:
    status = dg.DefaultSensorStatus.RUNNING if running else dg.DefaultSensorStatus.STOPPED
    return dg.AutomationConditionSensorDefinition(
        AUTOMATION_SENSOR,
        target=dg.AssetSelection.all(),
        default_status=status,
        minimum_interval_seconds=300,
        description="Evaluates the monthly on_cron conditions and the daily freshness check "
        "(README: Automation). Default off; SMART_MONEY_AUTOMATION=on starts it with the daemon.",
    )


def retrain_request(warehouse: Warehouse, margin: float | None = None) -> dg.RunRequest | dg.SkipReason:
    """A run of the ``model`` job when the serving model's live track record has degraded; the run key
    (version and newest live month) makes the same evidence ask for one retrain only."""
    verdict = serving_degradation(warehouse, margin)
    if verdict is None or not verdict.degraded:
        return dg.SkipReason(verdict.message if verdict else "no production model: nothing to judge")
    return dg.RunRequest(
        run_key=f"retrain-{verdict.version}-{verdict.months[-1]}",
        job_name=MODEL_JOB,
        tags={"smart_money/reason": verdict.message[:200]},
    )


def retrain_sensor(running: bool) -> dg.SensorDefinition:
    status = dg.DefaultSensorStatus.RUNNING if running else dg.DefaultSensorStatus.STOPPED

    @dg.sensor(
        name=RETRAIN_SENSOR,
        job_name=MODEL_JOB,
        default_status=status,
        minimum_interval_seconds=3600,
        description="Retrains (the model job) when the serving model's live track record degrades "
        "(track_record_degradation); promotion still needs the model to beat the volatility baseline. "
        "Default off; SMART_MONEY_AUTOMATION=on starts it.",
    )
    def track_record_retrain(context: dg.SensorEvaluationContext, warehouse: dg.ResourceParam[Warehouse]):
        request = retrain_request(warehouse)
        if isinstance(request, dg.RunRequest):
            context.log.warning(f"{RETRAIN_SENSOR}: {request.tags['smart_money/reason']}")
        return request

    return track_record_retrain


checks = [predictions_freshness]
