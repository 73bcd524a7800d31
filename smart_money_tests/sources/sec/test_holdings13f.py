"""13F filings → raw_institutional_holdings rows: real filings (LTS One, NVIDIA, PRN lines of a real
information table), quarters, amendments and quarantine built on top of them, and point-in-time properties
on a seeded stream of filings."""

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from smart_money import gates, tables
from smart_money.sources.sec import holdings13f
from smart_money.sources.sec.holdings13f import (
    hidden_from,
    institutional_rows,
    quarter_position,
    quarter_versions,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "holdings13f"
LTS = "0001894188-23-000007"
LTS_CIK = "0001894188"
NVIDIA = "0001045810-24-000108"
# the tickers of the filed issuers (LTS One's 14, NVIDIA's 4, the unnamed table's 2 stocks)
TICKERS = {
    "023135106": "AMZN",
    "22160N109": "CSGP",
    "126408103": "CSX",
    "29414B104": "EPAM",
    "344419106": "FMX",
    "444859102": "HUM",
    "45866F104": "ICE",
    "459506101": "IFF",
    "461202103": "INTU",
    "450056106": "IRTC",
    "594918104": "MSFT",
    "824348106": "SHW",
    "91879Q109": "MTN",
    "92826C839": "V",
    "042068205": "ARM",
    "M70700105": "NNOX",
    "75629V104": "RXRX",
    "836100107": "SOUN",
    "037833100": "AAPL",
}
HEDGE_FUNDS = {LTS_CIK}


def hedge_fund(cik: str, name: str) -> bool:
    return cik in HEDGE_FUNDS


def real_filings() -> pd.DataFrame:
    frame = pd.read_csv(FIXTURES / "filings.csv", dtype=str, keep_default_na=False)
    frame = frame.replace({"": None})
    for column in ("filing_date", "period_of_report"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def real_lines(with_unnamed: bool = False) -> pd.DataFrame:
    """The fixture's lines as the parser gives them (every filing here is after 2023-01-03: dollars); the
    unnamed information table's only ``with_unnamed`` (it has no filing of its own)."""
    frame = pd.read_csv(FIXTURES / "lines.csv", dtype=str, keep_default_na=False).replace({"": None})
    if not with_unnamed:
        frame = frame[frame["accession_number"] != "UNNAMED-INFOTABLE"]
    for column in ("value", "shares", "voting_sole", "voting_shared", "voting_none"):
        frame[column] = pd.to_numeric(frame[column])
    return frame.rename(columns={"value": "value_usd"})


def filing(
    accession: str,
    filed: str,
    period: str,
    form: str = "13F-HR",
    amendment: str | None = None,
    cik: str = LTS_CIK,
    name: str = "LTS One Management LP",
    report: str = "13F HOLDINGS REPORT",
) -> dict:
    return {
        "accession_number": accession,
        "filer_cik": cik,
        "filer_name": name,
        "form_type": form,
        "filing_date": pd.Timestamp(filed) if filed else None,
        "period_of_report": pd.Timestamp(period) if period else None,
        "report_type": report,
        "amendment_type": amendment,
    }


def line(
    accession: str,
    cusip: str,
    shares: float,
    value: float | None = None,
    put_call: str | None = None,
    shares_type: str = "SH",
    manager: str | None = None,
) -> dict:
    return {
        "accession_number": accession,
        "cusip": cusip,
        "issuer_name": "issuer",
        "title_of_class": "COM",
        "value_usd": shares * 10.0 if value is None else value,
        "shares": shares,
        "shares_type": shares_type,
        "put_call": put_call,
        "investment_discretion": "DFND" if manager else "SOLE",
        "other_manager": manager,
        "voting_sole": shares,
        "voting_shared": 0,
        "voting_none": 0,
    }


def frames(filings: list[dict], lines: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    return pd.DataFrame(filings, columns=holdings13f.FILING_FIELDS), pd.DataFrame(lines)


def build(filings: list[dict], lines: list[dict], tickers: dict | None = None):
    f, x = frames(filings, lines)
    return institutional_rows(f, x, TICKERS if tickers is None else tickers, hedge_fund)


def of(rows: pd.DataFrame, accession: str, symbol: str, put_call: str | None = None) -> pd.Series:
    match = rows[
        (rows["accession_number"] == accession)
        & (rows["symbol"] == symbol)
        & (rows["put_call"].isna() if put_call is None else rows["put_call"] == put_call)
    ]
    assert len(match) == 1, (accession, symbol, put_call, len(match))
    return match.iloc[0]


# ---- real filings ------------------------------------------------------------------------------------------
def test_real_lts_one_filing_field_by_field() -> None:
    rows, quarantined = institutional_rows(real_filings(), real_lines(), TICKERS, hedge_fund)
    assert quarantined == []
    assert list(rows.columns) == tables.RAW_INSTITUTIONAL_HOLDINGS.column_names
    lts = rows[rows["accession_number"] == LTS]
    assert len(lts) == 14
    # the cover page's table value total, in dollars (filed after 2023-01-03)
    assert lts["market_value"].sum() == 454_926_000
    assert (lts["known_at"] == pd.Timestamp("2023-11-14")).all()
    assert (lts["report_date"] == pd.Timestamp("2023-09-30")).all()
    assert (lts["filer_id"] == LTS_CIK).all() and (lts["filer_name"] == "LTS One Management LP").all()
    assert (
        lts["is_hedge_fund"].all() and (lts["source"] == "sec").all() and (lts["form_type"] == "13F-HR").all()
    )
    assert lts["put_call"].isna().all() and lts["amendment_type"].isna().all()
    # the filer's first quarter in the data: nothing says what it held before
    assert lts["change_in_shares"].isna().all()
    assert not lts["is_new_position"].any() and not lts["is_closed_position"].any()
    iff = of(rows, LTS, "IFF")  # INTERNATIONAL FLAVORS&FRAGRA, the largest line
    assert (iff["cusip"], iff["shares"], iff["market_value"]) == ("459506101", 2_265_000.0, 154_405_000.0)
    fmx = of(rows, LTS, "FMX")  # an ADR: SH units
    assert (fmx["cusip"], fmx["shares"], fmx["market_value"]) == ("344419106", 290_000.0, 31_654_000.0)
    # the table's types, as the warehouse reads them back, and its contract
    assert rows.dtypes["known_at"] == "datetime64[ms]" and rows.dtypes["shares"] == "float64"
    gates.table_schema("raw_institutional_holdings").validate(rows, lazy=True)


def test_real_nvidia_filing_and_a_universe_subset() -> None:
    rows, _ = institutional_rows(real_filings(), real_lines(), TICKERS, hedge_fund)
    nvda = rows[rows["accession_number"] == NVIDIA]
    assert sorted(nvda["symbol"]) == ["ARM", "NNOX", "RXRX", "SOUN"]
    assert nvda["market_value"].sum() == 332_688_337  # the summary page's tableValueTotal
    assert of(rows, NVIDIA, "NNOX")["shares"] == 59_632.0  # the DFND (defined) discretion line
    assert not nvda["is_hedge_fund"].any()
    assert (nvda["known_at"] == pd.Timestamp("2024-05-15")).all()
    # only CUSIPs of the universe give rows; the others are not checked, not quarantined
    rows, quarantined = institutional_rows(
        real_filings(), real_lines(), {"594918104": "MSFT", "042068205": "ARM"}, hedge_fund
    )
    assert sorted(zip(rows["accession_number"], rows["symbol"], strict=True)) == [
        (NVIDIA, "ARM"),
        (LTS, "MSFT"),
    ]
    assert quarantined == []


def test_real_principal_amount_lines_give_no_rows() -> None:
    lines = real_lines(with_unnamed=True)
    filings = pd.concat(
        [real_filings(), pd.DataFrame([filing("UNNAMED-INFOTABLE", "2023-05-15", "2023-03-31", cik="99")])]
    )
    assert (lines["shares_type"] == "PRN").sum() == 3
    # the iBonds ETFs in the universe too: their PRN lines (face amounts, not shares) still give no rows
    universe = {**TICKERS, "46435UAA9": "IBDS", "46435GAA0": "IBDR", "46434VAX8": "IBDO"}
    rows, quarantined = institutional_rows(filings, lines, universe, hedge_fund)
    unnamed = rows[rows["accession_number"] == "UNNAMED-INFOTABLE"]
    assert sorted(unnamed["symbol"]) == ["AAPL", "AMZN"]
    assert of(rows, "UNNAMED-INFOTABLE", "AAPL")[["shares", "market_value"]].tolist() == [
        58_228.0,
        8_239_330.0,
    ]
    assert (unnamed["filer_id"] == "0000000099").all()  # the CIK, zero-padded
    assert quarantined == []


# ---- quarters and amendments, built on the real LTS One filing ---------------------------------------------
Q3, Q4, Q1 = "2023-09-30", "2023-12-31", "2024-03-31"


def lts_q3() -> tuple[list[dict], list[dict]]:
    f, x = real_filings(), real_lines()
    return [f.iloc[0].to_dict()], x[x["accession_number"] == LTS].to_dict("records")


def test_a_filers_next_quarter_change_new_and_closed_rows() -> None:
    filings, lines = lts_q3()
    q4 = "0001894188-24-900001"
    filings.append(filing(q4, "2024-02-14", Q4))
    lines += [
        line(q4, "023135106", 150_000),  # AMZN up 12,500
        line(q4, "594918104", 65_000),  # MSFT unchanged
        line(q4, "037833100", 10_000),  # AAPL new
        line(q4, "037833100", 500, put_call="CALL"),  # an option line: kept, flagged
    ]
    # every other Q3 position (12 of them) is closed
    rows, quarantined = build(filings, lines)
    assert quarantined == []
    q4_rows = rows[rows["accession_number"] == q4]
    amzn, msft, aapl = of(rows, q4, "AMZN"), of(rows, q4, "MSFT"), of(rows, q4, "AAPL")
    assert (amzn["shares"], amzn["change_in_shares"], amzn["is_new_position"]) == (150_000.0, 12_500.0, False)
    assert (msft["change_in_shares"], msft["is_new_position"], msft["is_closed_position"]) == (
        0.0,
        False,
        False,
    )
    assert (aapl["change_in_shares"], aapl["is_new_position"]) == (10_000.0, True)
    call = of(rows, q4, "AAPL", "CALL")
    assert (call["shares"], call["is_new_position"], call["is_closed_position"]) == (500.0, True, False)
    closed = q4_rows[q4_rows["is_closed_position"]]
    assert len(closed) == 12 and (closed["shares"] == 0).all() and (closed["market_value"] == 0).all()
    iff = of(rows, q4, "IFF")
    assert (iff["change_in_shares"], iff["cusip"], iff["known_at"]) == (
        -2_265_000.0,
        "459506101",
        pd.Timestamp("2024-02-14"),
    )
    assert closed["put_call"].isna().all() and (closed["report_date"] == pd.Timestamp(Q4)).all()
    # nothing is replaced: every row stays in the version public at any date
    assert hidden_from(rows).isna().all()


def test_lines_of_two_managers_are_summed() -> None:
    filings, lines = lts_q3()
    q4 = "0001894188-24-900002"
    filings.append(filing(q4, "2024-02-14", Q4))
    lines += [
        line(q4, "023135106", 100_000, value=17_000_000),
        line(q4, "023135106", 40_000, value=6_800_000, manager="1"),  # shared discretion with manager 1
        line(q4, "023135106", 200, value=34_000, put_call="PUT"),
        line(q4, "023135106", 100, value=17_000, put_call="PUT", manager="1"),
    ]
    rows, _ = build(filings, lines)
    amzn = of(rows, q4, "AMZN")
    assert (amzn["shares"], amzn["market_value"], amzn["change_in_shares"]) == (
        140_000.0,
        23_800_000.0,
        2_500.0,
    )
    put = of(rows, q4, "AMZN", "PUT")
    assert (put["shares"], put["market_value"]) == (300.0, 51_000.0)
    # two CUSIPs of one symbol (an old and a new CUSIP in one map) are one position: the CUSIP of the larger
    rows, _ = build(
        filings, [*lines, line(q4, "02313510X", 60_000, value=9_000_000)], {**TICKERS, "02313510X": "AMZN"}
    )
    amzn = of(rows, q4, "AMZN")
    assert (amzn["shares"], amzn["cusip"]) == (200_000.0, "023135106")


def test_restatement_of_a_quarter_filed_after_the_next_one() -> None:
    filings, lines = lts_q3()
    q4, q3a = "0001894188-24-900003", "0001894188-24-900004"
    filings += [filing(q4, "2024-02-14", Q4), filing(q3a, "2024-03-01", Q3, "13F-HR/A", "RESTATEMENT")]
    q3_lines = [x for x in lines if x["cusip"] not in ("594918104",)]  # the restated Q3 has no MSFT
    lines += [line(q4, x["cusip"], x["shares"] + 1000, x["value_usd"]) for x in lines[:-1]]  # V closed in Q4
    restated = [{**x, "accession_number": q3a} for x in q3_lines]
    restated[0] = {**restated[0], "shares": 100_000.0}  # AMZN restated from 137,500 to 100,000
    rows, quarantined = build(filings, lines + restated)
    assert quarantined == []
    # Q4 was compared with Q3 as public on 2024-02-14 (the original): the restatement does not change it
    assert of(rows, q4, "AMZN")["change_in_shares"] == 1000.0
    assert of(rows, q4, "MSFT")["change_in_shares"] == 1000.0
    v = of(rows, q4, "V")
    assert (v["shares"], v["change_in_shares"], v["is_closed_position"]) == (0.0, -90_000.0, True)
    # the restatement's rows: its own quarter's first version is unknown as well (no Q2 in the data),
    # and MSFT, no longer listed, is withdrawn with a 0-share row (not a closed position)
    msft = of(rows, q3a, "MSFT")
    assert (msft["shares"], msft["is_closed_position"], msft["amendment_type"]) == (0.0, False, "RESTATEMENT")
    assert math.isnan(msft["change_in_shares"])
    assert of(rows, q3a, "AMZN")["shares"] == 100_000.0
    # the original Q3 rows are replaced from the restatement's filing date; Q4's never are
    hidden = hidden_from(rows)
    assert (hidden[rows["accession_number"] == LTS] == pd.Timestamp("2024-03-01")).all()
    assert hidden[rows["accession_number"] != LTS].isna().all()
    before = quarter_versions(rows, "2024-02-29")
    after = quarter_versions(rows, "2024-03-01")
    q3_before = before[before["report_date"] == pd.Timestamp(Q3)]
    q3_after = after[after["report_date"] == pd.Timestamp(Q3)]
    assert set(q3_before["accession_number"]) == {LTS} and set(q3_after["accession_number"]) == {q3a}
    assert q3_after.set_index("symbol").loc["AMZN", "shares"] == 100_000.0
    assert q3_after.set_index("symbol").loc["MSFT", "shares"] == 0.0
    # the position of each row's version at the end of its filing day
    position = quarter_position(rows)
    assert position.loc[rows.index[rows["accession_number"] == q3a], "shares"].sum() == pytest.approx(
        sum(x["shares"] for x in restated)
    )


def test_new_holdings_amendment_adds_from_its_filing_date() -> None:
    filings, lines = lts_q3()
    q4, q4a = "0001894188-24-900005", "0001894188-24-900006"
    filings += [filing(q4, "2024-02-14", Q4), filing(q4a, "2024-05-01", Q4, "13F-HR/A", "NEW HOLDINGS")]
    lines += [line(q4, x["cusip"], x["shares"], x["value_usd"]) for x in lines if x["cusip"] != "92826C839"]
    lines += [
        line(q4a, "037833100", 5_000),  # AAPL, a position the original left out: new
        line(q4a, "92826C839", 90_000),  # V, which the original reported closed: not closed after all
        line(q4a, "023135106", 2_500),  # more AMZN, on top of the original's 137,500
    ]
    rows, _ = build(filings, lines)
    aapl, v, amzn = of(rows, q4a, "AAPL"), of(rows, q4a, "V"), of(rows, q4a, "AMZN")
    assert (aapl["known_at"], aapl["change_in_shares"], aapl["is_new_position"]) == (
        pd.Timestamp("2024-05-01"),
        5_000.0,
        True,
    )
    assert (v["change_in_shares"], v["is_new_position"], v["is_closed_position"]) == (0.0, False, False)
    # an addition to a position already compared with the previous quarter: the added shares
    assert (amzn["shares"], amzn["change_in_shares"], amzn["is_new_position"]) == (2_500.0, 2_500.0, False)
    hidden = hidden_from(rows)
    closed_v = (rows["accession_number"] == q4) & (rows["symbol"] == "V")
    assert rows.loc[closed_v, "is_closed_position"].all()
    assert hidden[closed_v].tolist() == [pd.Timestamp("2024-05-01")]
    assert hidden[~closed_v].isna().all()  # an addition replaces nothing else
    position = quarter_position(rows)
    amzn_rows = rows.index[(rows["report_date"] == pd.Timestamp(Q4)) & (rows["symbol"] == "AMZN")]
    assert sorted(position.loc[amzn_rows, "shares"]) == [137_500.0, 140_000.0]
    before = quarter_versions(rows, "2024-04-30")
    after = quarter_versions(rows, "2024-05-01")
    assert "AAPL" not in set(before["symbol"]) and "AAPL" in set(after["symbol"])
    assert before[before["symbol"] == "V"]["is_closed_position"].tolist() == [False, True]
    assert after[(after["symbol"] == "V") & (after["report_date"] == pd.Timestamp(Q4))][
        "shares"
    ].tolist() == [90_000.0]


def test_a_new_holdings_amendment_before_a_restatement_is_replaced_with_the_rest() -> None:
    filings, lines = lts_q3()
    q3b, q3c = "0001894188-24-900007", "0001894188-24-900008"
    filings += [
        filing(q3b, "2023-11-20", Q3, "13F-HR/A", "NEW HOLDINGS"),
        filing(q3c, "2023-12-01", Q3, "13F-HR/A", "RESTATEMENT"),
    ]
    lines += [line(q3b, "037833100", 1000), line(q3c, "023135106", 1)]
    rows, _ = build(filings, lines)
    # the restatement lists AMZN alone: every other symbol of the version it replaces is withdrawn
    q3c_rows = rows[rows["accession_number"] == q3c].set_index("symbol")
    assert (
        len(q3c_rows) == 15
        and q3c_rows.loc["AAPL", "shares"] == 0.0
        and q3c_rows.loc["AMZN", "shares"] == 1.0
    )
    hidden = hidden_from(rows)
    assert (hidden[rows["accession_number"].isin([LTS, q3b])] == pd.Timestamp("2023-12-01")).all()
    assert set(quarter_versions(rows, "2023-11-30")["accession_number"]) == {LTS, q3b}
    assert set(quarter_versions(rows, "2023-12-01")["accession_number"]) == {q3c}


def test_a_same_day_restatement_replaces_the_original_at_once() -> None:
    filings, lines = lts_q3()
    q3a = "0001894188-23-900009"
    filings.append(filing(q3a, "2023-11-14", Q3, "13F-HR/A", "RESTATEMENT"))
    lines.append(line(q3a, "023135106", 7))
    rows, _ = build(filings, lines)
    hidden = hidden_from(rows)
    assert (hidden[rows["accession_number"] == LTS] == pd.Timestamp("2023-11-14")).all()
    assert set(quarter_versions(rows, "2023-11-14")["accession_number"]) == {q3a}
    position = quarter_position(rows)
    amzn = rows.index[rows["symbol"] == "AMZN"]
    assert position.loc[amzn, "shares"].tolist() == [7.0, 7.0]  # one day, one version


def test_notice_reports_no_holdings() -> None:
    filings, lines = lts_q3()
    notice = "0001894188-24-900010"
    filings.append(filing(notice, "2024-02-14", Q4, report="13F NOTICE"))
    lines.append(line(notice, "023135106", 5))
    rows, quarantined = build(filings, lines)
    assert notice not in set(rows["accession_number"])
    assert [q["reason"] for q in quarantined] == [
        "a line of a 13F NOTICE, which reports no holdings of its own"
    ]
    # and the next quarter has no previous version to compare with: the notice is not one
    q1 = "0001894188-24-900011"
    filings.append(filing(q1, "2024-05-14", Q1))
    lines.append(line(q1, "023135106", 5))
    rows, _ = build(filings, lines)
    assert math.isnan(of(rows, q1, "AMZN")["change_in_shares"])


def test_quarantine_names_each_unusable_record() -> None:
    filings, lines = lts_q3()
    bad = {
        "0000000001-24-000001": filing("0000000001-24-000001", "", Q4, cik="1"),
        "0000000001-24-000002": filing("0000000001-24-000002", "2024-02-14", "2023-12-15", cik="1"),
        "0000000001-24-000003": filing("0000000001-24-000003", "2024-02-14", Q4, "13F-HR/A", cik="1"),
        "0000000001-24-000004": filing(
            "0000000001-24-000004", "2024-02-14", Q4, "13F-HR", "RESTATEMENT", "1"
        ),
        "0000000001-24-000005": filing("0000000001-24-000005", "2024-02-14", Q4, "10-K", cik="1"),
        "0000000001-24-000006": filing("0000000001-24-000006", "2024-02-14", Q4, cik="CIK1"),
        "0000000001-24-000007": filing("0000000001-24-000007", "2024-02-14", Q4, cik="1", report="OTHER"),
        "0000000001-24-000008": filing("0000000001-24-000008", "2023-12-30", Q4, cik="1"),
    }
    filings += [*bad.values(), filings[0]]  # and LTS One's filing a second time
    good = "0000000002-24-000001"
    filings.append(filing(good, "2024-02-14", Q4, cik="2"))
    lines += [line(a, "023135106", 1) for a in bad]
    lines += [
        line("9999999999-99-999999", "023135106", 1),
        line(good, "023135106", 1, shares_type="XX"),
        line(good, "594918104", 1, put_call="STRADDLE"),
        line(good, "037833100", -5),
        line(good, "126408103", 5, value=-1.0),
        line(good, "29414B104", float("nan")),
        line(good, "92826C839", 5, value=float("nan")),  # no value given: market_value NaN
        line(good, "999999999", -5, shares_type="XX"),  # not in the universe: not checked
    ]
    rows, quarantined = build(filings, lines)
    reasons = {q["accession_number"]: q["reason"] for q in quarantined if q["accession_number"] in bad}
    assert reasons["0000000001-24-000001"].startswith("no filing date")
    assert "not a calendar quarter end" in reasons["0000000001-24-000002"]
    assert "must say RESTATEMENT or NEW HOLDINGS" in reasons["0000000001-24-000003"]
    assert "an original 13F-HR with amendment_type 'RESTATEMENT'" in reasons["0000000001-24-000004"]
    assert "form_type '10-K'" in reasons["0000000001-24-000005"]
    assert "filer_cik 'CIK1' is not a CIK" in reasons["0000000001-24-000006"]
    assert "report_type 'OTHER'" in reasons["0000000001-24-000007"]
    assert "is not before the filing date" in reasons["0000000001-24-000008"]
    assert [q["reason"] for q in quarantined if q["accession_number"] == LTS] == [
        f"accession number {LTS} is given 2 times; the first is kept"
    ]
    others = sorted(q["reason"] for q in quarantined if q["accession_number"] not in bad and q["symbol"])
    assert others == sorted(
        [
            "accession number '9999999999-99-999999' is not among the 13F filings",
            "shares_type 'XX' is neither SH (shares) nor PRN (principal amount)",
            "put_call 'STRADDLE' is not PUT or CALL",
            "shares -5.0 is not a number >= 0",
            "value_usd -1.0 is not a number >= 0",
            "shares nan is not a number >= 0",
        ]
    )
    first = next(q for q in quarantined if q["accession_number"] == "0000000001-24-000001")
    assert first["table"] == "raw_institutional_holdings" and first["symbol"] is None
    assert json.loads(first["record"])["universe_lines"] == 1
    # the usable filings still give their rows
    assert set(rows["accession_number"]) == {LTS, good}
    assert of(rows, good, "V")["shares"] == 5.0 and math.isnan(of(rows, good, "V")["market_value"])
    assert len(rows[rows["accession_number"] == good]) == 1


def test_missing_input_columns_are_a_clear_error() -> None:
    f, x = frames(*lts_q3())
    with pytest.raises(ValueError, match=r"filings frame is missing columns \['period_of_report'\]"):
        institutional_rows(f.drop(columns="period_of_report"), x, TICKERS, hedge_fund)
    with pytest.raises(ValueError, match=r"lines frame is missing columns \['shares_type'\]"):
        institutional_rows(f, x.drop(columns="shares_type"), TICKERS, hedge_fund)


# ---- a seeded stream of filings: order, point in time, versions --------------------------------------------
def random_13f(
    seed: int, symbols: list[str], first_quarter: str = "2022-03-31", last_quarter: str = "2024-03-31"
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """13F filings of 12 filers (6 hedge funds, CIKs ending in an even digit) over the quarters, as the parser
    would give them: originals 20-60 days after the quarter end (a tenth 100-200 days late, some quarters
    skipped or filed as notices), restatements and NEW HOLDINGS amendments 0-150 days after the original
    (some on the same day, some after the next quarter), lines split between managers, put/call lines, PRN
    lines and CUSIPs outside the universe."""
    rng = np.random.default_rng(seed)
    cusips = {s: f"{i:06d}10{i % 10}" for i, s in enumerate(symbols, start=1)}
    quarters = pd.date_range(first_quarter, last_quarter, freq="QE")
    filings, lines = [], []
    n = 0

    def emit(accession: str, holdings: dict[str, float]) -> None:
        for symbol, shares in holdings.items():
            if shares <= 0:
                continue
            parts = [shares] if rng.random() < 0.7 else [shares - shares // 3, shares // 3]
            for k, part in enumerate(parts):
                lines.append(
                    line(accession, cusips[symbol], float(part), None, None, "SH", str(k) if k else None)
                )
            if rng.random() < 0.15:
                lines.append(line(accession, cusips[symbol], float(rng.integers(1, 50) * 100), None, "PUT"))
            if rng.random() < 0.1:
                lines.append(line(accession, cusips[symbol], 5e5, None, None, "PRN"))
        if rng.random() < 0.3:
            lines.append(line(accession, "99999999" + str(rng.integers(0, 10)), 100.0))

    for filer in range(12):
        cik = f"{1000 + filer:010d}"
        held = {s: float(rng.integers(1, 100) * 100) if rng.random() < 0.5 else 0.0 for s in symbols}
        for quarter in quarters:
            for s in symbols:  # positions drift, open and close
                u = rng.random()
                held[s] = 0.0 if u < 0.15 else held[s] if u < 0.4 else float(rng.integers(1, 100) * 100)
            if rng.random() < 0.1:
                continue  # a skipped quarter
            n += 1
            accession = f"{cik}-{quarter.year % 100:02d}-{n:06d}"
            late = rng.random() < 0.1
            filed = quarter + pd.Timedelta(days=int(rng.integers(100, 200) if late else rng.integers(20, 60)))
            report = "13F NOTICE" if rng.random() < 0.05 else "13F HOLDINGS REPORT"
            filings.append(
                filing(accession, f"{filed:%Y-%m-%d}", f"{quarter:%Y-%m-%d}", cik=cik, name=f"F{filer}")
            )
            filings[-1]["report_type"] = report
            if report == "13F NOTICE":
                continue  # another manager reports the holdings
            emit(accession, held)
            for kind in ("RESTATEMENT", "NEW HOLDINGS"):
                if rng.random() < (0.3 if kind == "RESTATEMENT" else 0.2):
                    n += 1
                    amended = f"{cik}-{quarter.year % 100:02d}-9{n:05d}"
                    lag = 0 if rng.random() < 0.15 else int(rng.integers(1, 150))
                    day = f"{filed + pd.Timedelta(days=lag):%Y-%m-%d}"
                    filings.append(
                        filing(amended, day, f"{quarter:%Y-%m-%d}", "13F-HR/A", kind, cik, f"F{filer}")
                    )
                    if kind == "RESTATEMENT":
                        emit(amended, {s: v * rng.choice([0, 1, 1, 1.5]) for s, v in held.items()})
                    else:
                        extra = rng.choice(symbols, int(rng.integers(1, 3)), replace=False)
                        emit(amended, {s: float(rng.integers(1, 20) * 100) for s in extra})
    universe = {c: s for s, c in cusips.items()}
    return pd.DataFrame(filings, columns=holdings13f.FILING_FIELDS), pd.DataFrame(lines), universe


def random_hedge_fund(cik: str, name: str) -> bool:
    return int(cik[-1]) % 2 == 0


SYMBOLS = ["AAA", "BBB", "CCC", "DDD", "EEE"]


@pytest.fixture(scope="module")
def stream() -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str], pd.DataFrame]:
    filings, lines, universe = random_13f(3, SYMBOLS)
    rows, quarantined = institutional_rows(filings, lines, universe, random_hedge_fund)
    assert quarantined == []
    return filings, lines, universe, rows


def test_the_stream_meets_every_case(stream) -> None:
    _, _, _, rows = stream
    assert (rows["amendment_type"] == "RESTATEMENT").sum() >= 50
    assert (rows["amendment_type"] == "NEW HOLDINGS").sum() >= 10
    assert rows["put_call"].notna().sum() >= 20
    assert rows["is_closed_position"].sum() >= 20 and rows["is_new_position"].sum() >= 20
    assert rows["change_in_shares"].isna().sum() >= 10
    assert hidden_from(rows).notna().sum() >= 50
    assert rows["is_hedge_fund"].any() and not rows["is_hedge_fund"].all()
    # the table's contract: types, allowed values, unique key, the row rules of the gates
    gates.table_schema("raw_institutional_holdings").validate(rows, lazy=True)


def test_rows_do_not_depend_on_input_order(stream) -> None:
    filings, lines, universe, rows = stream
    again, _ = institutional_rows(
        filings.sample(frac=1.0, random_state=1),
        lines.sample(frac=1.0, random_state=2),
        universe,
        random_hedge_fund,
    )
    pd.testing.assert_frame_equal(again, rows)


def test_later_filings_never_change_earlier_rows(stream) -> None:
    filings, lines, universe, rows = stream
    for cutoff in pd.date_range("2022-06-01", "2024-10-01", freq="37D"):
        early, _ = institutional_rows(
            filings[filings["filing_date"] <= cutoff], lines, universe, random_hedge_fund
        )
        expected = rows[rows["known_at"] <= cutoff].reset_index(drop=True)
        pd.testing.assert_frame_equal(early.reset_index(drop=True), expected)


def test_hidden_from_is_the_literal_version_at_every_date(stream) -> None:
    _, _, _, rows = stream
    hidden = hidden_from(rows)
    for t in pd.date_range("2022-04-15", "2024-12-31", freq="11D"):
        literal = quarter_versions(rows, t)
        fast = rows[(rows["known_at"] <= t) & ~(hidden <= t)]
        assert list(literal.index) == list(fast.index), t


def test_position_of_the_latest_row_is_the_version_public_at_t(stream) -> None:
    _, _, _, rows = stream
    position = quarter_position(rows)
    shares = rows[rows["put_call"].isna()].assign(position=position["shares"])
    for t in pd.date_range("2022-06-15", "2024-12-31", freq="23D"):
        version = quarter_versions(rows, t)
        version = version[version["put_call"].isna()]
        totals = version.groupby(["filer_id", "report_date", "symbol"])["shares"].sum()
        latest = (
            shares[shares["known_at"] <= t]
            .sort_values(["known_at"], kind="stable")
            .groupby(["filer_id", "report_date", "symbol"])["position"]
            .last()
        )
        pd.testing.assert_series_equal(latest.sort_index(), totals.sort_index(), check_names=False)


def test_rows_without_a_filing_are_never_replaced() -> None:
    synthetic = tables.RAW_INSTITUTIONAL_HOLDINGS.empty()
    synthetic = pd.DataFrame(
        {
            "symbol": ["AAA", "AAA"],
            "known_at": pd.to_datetime(["2024-02-10", "2024-03-01"]),
            "report_date": pd.to_datetime([Q4, Q4]),
            "filer_id": "SYNIN001",
            "shares": [10.0, 20.0],
            "market_value": [1.0, 2.0],
            "is_closed_position": False,
            **{c: None for c in ("accession_number", "form_type", "put_call", "amendment_type")},
        }
    ).reindex(columns=synthetic.columns)
    assert hidden_from(synthetic).isna().all()
    assert quarter_position(synthetic).isna().all().all()
    assert len(quarter_versions(synthetic, "2024-03-01")) == 2


def test_a_report_without_universe_lines_closes_every_position_and_empty_inputs_give_typed_rows() -> None:
    filings, lines = lts_q3()
    q4 = "0001894188-24-900012"
    filings.append(filing(q4, "2024-02-14", Q4))
    lines.append(line(q4, "999999999", 100))  # a CUSIP outside the universe only
    rows, _ = build(filings, lines)
    q4_rows = rows[rows["accession_number"] == q4]
    assert len(q4_rows) == 14 and q4_rows["is_closed_position"].all() and (q4_rows["shares"] == 0).all()
    f, x = frames(filings, lines)
    empty, quarantined = institutional_rows(f, x.iloc[:0], TICKERS, hedge_fund)
    assert quarantined == [] and empty.empty
    assert list(empty.columns) == tables.RAW_INSTITUTIONAL_HOLDINGS.column_names
    assert empty.dtypes["known_at"] == "datetime64[ms]"
