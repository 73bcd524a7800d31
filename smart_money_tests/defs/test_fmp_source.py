"""The raw group through the real Dagster runtime with the FMP source against the local FMP-shaped
server: metadata, a second run with zero requests, fail-fast without a key, and the key in no log, file or
metadata."""

from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from smart_money import cli
from smart_money.definitions import build_definitions
from smart_money.defs import jobs
from smart_money.sources.synthetic.market import MarketConfig
from smart_money.testing.fmp_server import LocalFmpServer
from smart_money.warehouse import Warehouse

KEY = "sk-dagster-91c2e7d4aa"
RAW = (pd.Timestamp("2024-01-01"), pd.Timestamp("2025-01-01"))
SYMBOLS = "SYN001,SYN002,SYN003,SYN004,SYN005"


@pytest.fixture(scope="module")
def fmp_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("fmp")
    with (
        LocalFmpServer(MarketConfig(seed=9, n_symbols=6), api_key=KEY) as server,
        pytest.MonkeyPatch.context() as mp,
    ):
        env = {
            "SMART_MONEY_SOURCE": "fmp",
            "FMP_API_KEY": KEY,
            "FMP_BASE_URL": server.url,
            "SMART_MONEY_SYMBOLS": SYMBOLS,
            "FMP_AS_OF": "2025-01-31",
            "FMP_RATE_PER_MINUTE": "60000",
            "SMART_MONEY_DATA_DIR": str(root / "data"),
            "DAGSTER_HOME": str(root / "dagster_home"),
        }
        for name, value in env.items():
            mp.setenv(name, value)
        (root / "dagster_home").mkdir()
        with dg.instance_for_test(temp_dir=str(root / "dagster_home")) as instance:
            defs = build_definitions()
            stage = cli.Stage(jobs.RAW_JOB, *RAW)
            first = cli.run_stage(stage, defs, instance, log_level="DEBUG")
            first_requests = server.state.total
            server.state.reset()
            second = cli.run_stage(stage, defs, instance, log_level="DEBUG")
            yield {
                "root": root,
                "server": server,
                "instance": instance,
                "first": first,
                "second": second,
                "first_requests": first_requests,
                "second_requests": server.state.total,
                "mp": mp,
            }


def test_raw_group_runs_on_fmp_with_fetch_metadata(fmp_run):
    first = fmp_run["first"]
    assert first.success
    checks = {e.check_name: e for e in first.get_asset_check_evaluations()}
    assert all(c.passed for c in checks.values()), {k: c.metadata.get("summary") for k, c in checks.items()}
    meta = {
        e.asset_key.to_user_string(): {k: v.value for k, v in e.materialization.metadata.items()}
        for e in first.get_asset_materialization_events()
    }
    assert meta["raw_insider_trades"]["quarantined_records"] == 0
    assert meta["raw_insider_trades"]["fetch_requests"] > 0 and meta["universe"]["source"] == "fmp"
    warehouse = Warehouse(fmp_run["root"] / "data")
    universe = warehouse.query("select symbol, is_synthetic, source from universe order by symbol")
    assert universe["symbol"].tolist() == SYMBOLS.split(",") and universe["is_synthetic"].all()
    assert fmp_run["first_requests"] > 0


def test_a_second_run_makes_zero_requests(fmp_run):
    assert fmp_run["second"].success
    assert fmp_run["second_requests"] == 0


def test_the_api_key_appears_in_no_log_file_name_cache_or_metadata(fmp_run, capfd):
    instance = fmp_run["instance"]
    texts = []
    for result in (fmp_run["first"], fmp_run["second"]):
        for record in instance.all_logs(result.run_id):
            texts.append(str(record))  # every event: log lines, metadata, check results
    joined = "\n".join(texts)
    assert "fetch_requests" in joined and len(texts) > 100  # the grep really looked at the logs
    assert KEY not in joined
    captured = capfd.readouterr()
    assert KEY not in captured.out and KEY not in captured.err
    files = [p for p in Path(fmp_run["root"]).rglob("*")]
    assert any("cache" in p.parts for p in files)
    for path in files:
        assert KEY not in path.name
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path


def test_without_a_key_the_build_fails_before_any_request(fmp_run, capsys):
    mp, server = fmp_run["mp"], fmp_run["server"]
    server.state.reset()
    mp.delenv("FMP_API_KEY")
    try:
        code = cli.main(["build", "--skip-model"])
    finally:
        mp.setenv("FMP_API_KEY", KEY)
    assert code == 2
    assert "SMART_MONEY_SOURCE=fmp needs FMP_API_KEY" in capsys.readouterr().err
    assert server.state.total == 0
