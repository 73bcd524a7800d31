"""Which 13F filers are hedge funds: the CIK list, the name rule, a replacement list; real and simulated
filers."""

import csv
import re
import threading

import pytest

from smart_money.sources.fmp.normalize import HEDGE_FUND_NAMES
from smart_money.sources.sec.hedge_funds import (
    DEFAULT_FILE,
    HEDGE_FUNDS_ENV,
    HedgeFundListError,
    HedgeFundRule,
    filer_cik,
    name_matches,
    read_hedge_fund_list,
)
from smart_money.sources.synthetic.market import MarketConfig, simulate_market


def test_default_list_is_well_formed():
    with open(DEFAULT_FILE, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [*rows[0]] == ["cik", "name", "source"]
    ciks = [r["cik"] for r in rows]
    assert len(rows) == 30 and len(set(ciks)) == 30
    assert all(re.fullmatch(r"[1-9]\d{0,9}", c) for c in ciks)  # unpadded CIKs
    assert all(r["name"].strip() and r["source"].strip() for r in rows)
    listed = read_hedge_fund_list(DEFAULT_FILE)
    assert listed["1350694"] == "Bridgewater Associates, LP"
    assert listed["1037389"] == "Renaissance Technologies LLC"
    assert listed["1423053"] == "Citadel Advisors LLC"
    assert listed["1489933"] == "DME Capital Management, LP"  # Greenlight's filer from 2024
    assert "1067983" not in listed  # Berkshire Hathaway files 13F but is no hedge fund


def test_cik_rule_in_every_spelling():
    rule = HedgeFundRule()
    for cik in ("1350694", "0001350694", 1350694, " 0001350694 ", "1350694.0"):
        assert rule.rule_for(cik, "a name that matches nothing") == "cik"
    assert filer_cik("SYNHF01") is None and filer_cik("0") is None and filer_cik("12345678901") is None
    assert rule.rule_for("SYNHF01", "Synthetic Hedge Fund 01") == "name"


def test_name_rule_reuses_fmps_fragments_as_whole_words():
    assert "bridgewater" in HEDGE_FUND_NAMES  # the FMP list, imported rather than copied
    assert name_matches("BRIDGEWATER ASSOCIATES, LP") and name_matches("Two  Sigma   Advisers, LP")
    assert name_matches("MAN GROUP PLC") and not name_matches("HUMAN GROUP INC")
    assert name_matches("SCION ASSET MANAGEMENT, LLC") and name_matches("DME Capital Management, LP")
    assert not name_matches("VANGUARD GROUP INC") and not name_matches("") and not name_matches(None)
    # every manager of the default list is caught by its name too
    assert all(name_matches(name) for name in read_hedge_fund_list(DEFAULT_FILE).values())


def test_real_13f_filers_of_the_fixtures_are_not_hedge_funds():
    # the filers of the real 13F filings in the shared records (cover pages and SEC headers)
    rule = HedgeFundRule()
    filers = [
        ("0001894188", "LTS One Management LP"),
        ("0001994827", "ACORN CREEK CAPITAL LLC"),
        ("0001045810", "NVIDIA CORP"),
    ]
    assert [rule.is_hedge_fund(cik, name) for cik, name in filers] == [False, False, False]
    assert rule.counts() == {
        "hedge_fund_list": "default",
        "listed_ciks": 30,
        "filers": 3,
        "by_cik": 0,
        "by_name": 0,
        "not_hedge_funds": 3,
    }


def test_simulated_filers_agree_with_the_simulation():
    world = simulate_market(MarketConfig(seed=3, n_symbols=40))
    filers = world.institutional_holdings[["filer_id", "filer_name", "is_hedge_fund"]].drop_duplicates()
    rule = HedgeFundRule()
    flagged = [rule.is_hedge_fund(r.filer_id, r.filer_name) for r in filers.itertuples()]
    assert flagged == filers["is_hedge_fund"].tolist()
    counts = rule.counts()
    assert counts["by_name"] == int(filers["is_hedge_fund"].sum()) and counts["by_cik"] == 0
    assert counts["filers"] == len(filers) == counts["by_name"] + counts["not_hedge_funds"]


def test_counts_are_per_distinct_filer_and_thread_safe():
    rule = HedgeFundRule()

    def work():
        for _ in range(200):
            rule.is_hedge_fund("0001350694", "BRIDGEWATER ASSOCIATES, LP")
            rule.is_hedge_fund(None, "Point72 Asset Management, L.P.")
            rule.is_hedge_fund(102909, "VANGUARD GROUP INC")

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert rule.counts() | {"hedge_fund_list": None} == {
        "hedge_fund_list": None,
        "listed_ciks": 30,
        "filers": 3,
        "by_cik": 1,
        "by_name": 1,
        "not_hedge_funds": 1,
    }


def test_a_replacement_list_replaces_the_default(tmp_path):
    path = tmp_path / "funds.csv"
    path.write_text("cik,name,source\n0001067983,Berkshire Hathaway Inc,my own call\n\n")
    rule = HedgeFundRule(path)
    assert rule.ciks == {"1067983": "Berkshire Hathaway Inc"}
    assert rule.rule_for(1067983, "BERKSHIRE HATHAWAY INC") == "cik"
    assert rule.rule_for("1350694", "a renamed filer") is None  # no longer listed
    assert rule.rule_for("1350694", "BRIDGEWATER ASSOCIATES, LP") == "name"  # the name rule still applies
    assert rule.counts()["hedge_fund_list"] == str(path) and rule.counts()["listed_ciks"] == 1


def test_a_bad_list_is_an_error_naming_file_line_and_value(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("cik,name,source\n1350694,Bridgewater,x\nCIK-12,Someone,y\n")
    with pytest.raises(HedgeFundListError, match=r"bad\.csv: line 3: cik 'CIK-12' is not a CIK"):
        HedgeFundRule(bad)
    columns = tmp_path / "columns.csv"
    columns.write_text("cik,fund\n1350694,Bridgewater\n")
    with pytest.raises(HedgeFundListError, match="missing name, source"):
        HedgeFundRule(columns)
    with pytest.raises(HedgeFundListError, match=HEDGE_FUNDS_ENV):
        HedgeFundRule(tmp_path / "missing.csv")
