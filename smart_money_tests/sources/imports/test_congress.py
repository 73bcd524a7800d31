"""The Congress importers on the real Senate and House disclosures (fixtures/congress/) and on small files.

Values checked field by field were read by hand in the shared files (../shared/realdata/congress/)."""

import gzip
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from smart_money import gates, tables
from smart_money.sources.fmp.normalize import QUARANTINE_COLUMNS
from smart_money.sources.imports import CongressFileError, read_congress
from smart_money.sources.imports.congress import amount_band

FIXTURES = Path(__file__).parents[2] / "fixtures" / "congress"
SENATE = FIXTURES / "senate" / "daily_summaries_received_2012_2016.json.gz"
HOUSE = FIXTURES / "house" / "transactions_of_2022_filings.json.gz"
CLERK = FIXTURES / "house" / "clerk_fd_index" / "2022FD.xml.gz"
SKFOLIO_20 = set("AAPL AMD BAC BBY CVX GE HD JNJ JPM KO LLY MRK MSFT PEP PFE PG RRC UNH WMT XOM".split())


def _json(path: Path):
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return json.load(handle)


def _day(text: str) -> pd.Timestamp:
    month, day, year = (int(x) for x in text.split("/"))
    return pd.Timestamp(year=year, month=month, day=day)


@pytest.fixture(scope="module")
def senate():
    return read_congress(SENATE)


@pytest.fixture(scope="module")
def house():
    return read_congress(FIXTURES / "house")


@pytest.fixture(scope="module")
def clerk_dates() -> dict[str, str]:
    with gzip.open(CLERK, "rb") as handle:
        root = ET.fromstring(handle.read())
    return {m.findtext("DocID"): m.findtext("FilingDate") or "" for m in root.iter("Member")}


def _one(frame: pd.DataFrame, **values) -> pd.Series:
    mask = np.ones(len(frame), dtype=bool)
    for name, value in values.items():
        mask &= (frame[name] == value).to_numpy()
    assert mask.sum() == 1, (values, int(mask.sum()))
    return frame[mask].iloc[0]


def _valid(frame: pd.DataFrame) -> None:
    result = gates.schema_gate(
        "raw_congress_trades", frame, gates.table_schema(tables.spec("raw_congress_trades"))
    )
    assert result.passed, (result.summary, result.failures)


def _reasons(quarantined: list[dict], pattern: str) -> list[dict]:
    return [q for q in quarantined if re.search(pattern, q["reason"])]


# ---- Senate -----------------------------------------------------------------------------------------------
def test_senate_every_transaction_is_a_row_or_quarantined(senate):
    rows, quarantined = senate
    reports = _json(SENATE)
    transactions = [t for r in reports for t in r["transactions"]]
    assert len(rows) + len(quarantined) == len(transactions) == 2718
    assert all(set(q) == set(QUARANTINE_COLUMNS) for q in quarantined)
    assert {q["table"] for q in quarantined} == {"raw_congress_trades"}
    assert all(len(q["record"]) <= 2000 for q in quarantined)
    assert len(_reasons(quarantined, r"^no ticker \('--'\)")) == sum(
        t["ticker"] == "--" for t in transactions
    )
    assert (rows["chamber"] == "senate").all() and (rows["source"] == "file").all()
    _valid(rows)


def test_senate_purchase_read_by_hand(senate):
    """Pat Roberts' report received 12/30/2016: spouse bought BAC on 12/15/2016, $1,001 - $15,000."""
    row = _one(senate[0], symbol="BAC", member="Pat Roberts", transaction_date=pd.Timestamp("2016-12-15"))
    assert row["known_at"] == pd.Timestamp("2016-12-30")  # date_recieved, not the trade date
    assert (row["side"], row["amount_low"], row["amount_high"]) == ("buy", 1001.0, 15000.0)
    assert row["chamber"] == "senate"


def test_senate_sale_read_by_hand(senate):
    """John F Reed's report received 07/27/2016: sold part of his MSFT on 07/25/2016, $1,001 - $15,000."""
    row = _one(senate[0], symbol="MSFT", member="John F Reed", transaction_date=pd.Timestamp("2016-07-25"))
    assert row["known_at"] == pd.Timestamp("2016-07-27")
    assert (row["side"], row["amount_low"], row["amount_high"]) == ("sell", 1001.0, 15000.0)
    full = _one(senate[0], symbol="CVX", member="Pat Roberts", transaction_date=pd.Timestamp("2016-12-27"))
    assert (full["side"], full["amount_low"], full["amount_high"]) == (
        "sell",
        15001.0,
        50000.0,
    )  # Sale (Full)


def test_senate_records_that_cannot_be_used_are_quarantined_with_their_reason(senate):
    _, quarantined = senate
    exchange = _reasons(quarantined, r"^type 'Exchange' is neither a buy nor a sell")
    assert {q["symbol"] for q in exchange} >= {"ASIX"}  # ASIX shares received for HON shares
    home_depot = [q for q in _reasons(quarantined, r"^no ticker") if "HD-The Home Depot" in q["record"]]
    assert home_depot and all(q["symbol"] is None for q in home_depot)  # never read from the description
    bond = _reasons(quarantined, r"^asset_type 'Corporate Bond' is not the company's stock")
    assert "VZ" in {q["symbol"] for q in bond}
    late = _reasons(quarantined, r"^transaction_date 2015-05-28 is after date_recieved 2015-05-07")
    assert [q["symbol"] for q in late] == ["AAPL"]  # Pat Roberts, a typo in the report: never moved


def test_senate_known_at_is_date_recieved(senate):
    rows, _ = senate
    received = {_day(r["date_recieved"]) for r in _json(SENATE) if r["transactions"]}
    assert set(rows["known_at"]) <= received
    assert (rows["known_at"] >= rows["transaction_date"]).all()


def test_senate_rows_in_the_twenty_skfolio_names(senate):
    rows, quarantined = read_congress(SENATE, SKFOLIO_20)
    assert set(rows["symbol"]) <= SKFOLIO_20
    in_names = Counter(
        m.group(1)
        for r in _json(SENATE)
        for t in r["transactions"]
        if (m := re.search(r">([^<]*)</a>", t["ticker"])) and m.group(1) in SKFOLIO_20
    )
    assert (sum(in_names.values()), len(in_names)) == (215, 17)  # the realdata README's count
    assert (len(rows), rows["symbol"].nunique()) == (214, 17)  # Roberts' AAPL typo is quarantined
    assert sorted(SKFOLIO_20 - set(rows["symbol"])) == ["AMD", "BBY", "LLY"]
    named = [q for q in quarantined if q["symbol"] is not None]
    assert [q["symbol"] for q in named] == ["AAPL"]
    assert all(q["symbol"] is None or q["symbol"] in SKFOLIO_20 for q in quarantined)
    pd.testing.assert_frame_equal(
        rows, senate[0][senate[0]["symbol"].isin(SKFOLIO_20)].reset_index(drop=True)
    )


# ---- House ------------------------------------------------------------------------------------------------
def test_house_every_transaction_is_a_row_or_quarantined(house):
    rows, quarantined = house
    assert len(rows) + len(quarantined) == len(_json(HOUSE)) == 955
    assert (rows["chamber"] == "house").all()
    _valid(rows)


def test_house_trade_read_by_hand_takes_the_clerks_filing_date(house, clerk_dates):
    """Ed Perlmutter, filing 20022158: spouse bought AAPL on 11/10/2022. The scraped disclosure_date is
    12/16/2022; the Clerk's index says FilingDate 12/19/2022, the day it became public."""
    raw = next(t for t in _json(HOUSE) if t["filing_id"] == "20022158" and t["ticker"] == "AAPL")
    assert raw["disclosure_date"] == "12/16/2022" and clerk_dates["20022158"] == "12/19/2022"
    row = _one(house[0], symbol="AAPL", member="Ed Perlmutter", transaction_date=pd.Timestamp("2022-11-10"))
    assert row["known_at"] == pd.Timestamp("2022-12-19")
    assert row["transaction_date"] == pd.Timestamp("2022-11-10")
    assert (row["side"], row["amount_low"], row["amount_high"]) == ("buy", 1001.0, 15000.0)


def test_house_dirty_values(house):
    rows, quarantined = house
    # Virginia Foxx, filing 20021790 (FilingDate 10/12/2022): disclosure_date garbled to 09/26/2020, amount
    # "$15,001 -\n$50,000" with a line break.
    sjt = _one(rows, symbol="SJT", transaction_date=pd.Timestamp("2022-09-26"))
    assert sjt["known_at"] == pd.Timestamp("2022-10-12")
    assert (sjt["side"], sjt["amount_low"], sjt["amount_high"]) == ("sell", 15001.0, 50000.0)
    # A band cut after its dash keeps its low end; an exact amount is both ends.
    nue = _one(rows, symbol="NUE", transaction_date=pd.Timestamp("2022-11-02"))
    assert nue["amount_low"] == 50001.0 and np.isnan(nue["amount_high"])
    cck = _one(rows, symbol="CCK", transaction_date=pd.Timestamp("2022-10-21"), amount_low=999.64)
    assert cck["amount_low"] == cck["amount_high"] == 999.64
    # Thomas Suozzi's filing of 12/19/2022 reports trades from 2017: a real late disclosure, kept as filed.
    late = _one(rows, symbol="GOOGL", member="Thomas Suozzi")
    assert (late["transaction_date"], late["known_at"]) == (
        pd.Timestamp("2017-01-05"),
        pd.Timestamp("2022-12-19"),
    )
    # An OCR-garbled year, and a trade dated after its filing, are quarantined, never corrected.
    assert [q["symbol"] for q in _reasons(quarantined, r"^transaction_date 2202-09-19 is after")] == ["NEWT"]
    sessions = _reasons(
        quarantined, r"^transaction_date 2022-02-23 is after the Clerk's FilingDate 2022-02-18"
    )
    assert [q["symbol"] for q in sessions] == ["MSFT"]
    assert len(_reasons(quarantined, r"^type 'Exchange'")) == 4


def test_house_known_at_is_never_the_scraped_disclosure_date(house, clerk_dates):
    rows, _ = house
    raw = _json(HOUSE)
    by_trade: dict[tuple, list[dict]] = {}
    for t in raw:
        key = (t["ticker"], _day(t["transaction_date"]), " ".join(t["representative"].split()))
        by_trade.setdefault(key, []).append(t)
    from_disclosure = 0
    for row in rows.itertuples():
        matches = by_trade[(row.symbol, row.transaction_date, row.member)]
        filing_dates = {_day(clerk_dates[t["filing_id"]]) for t in matches}
        assert row.known_at in filing_dates
        disclosed = {_day(t["disclosure_date"]) for t in matches}
        if row.known_at in disclosed - filing_dates:
            from_disclosure += 1
    assert from_disclosure == 0
    differs = sum(_day(clerk_dates[t["filing_id"]]) != _day(t["disclosure_date"]) for t in raw)
    assert differs > 800  # the two dates differ for most transactions, so the test above has teeth
    assert (rows["known_at"] >= rows["transaction_date"]).all()


def test_a_house_file_given_alone_finds_the_index_beside_it(house):
    rows, quarantined = read_congress(HOUSE)
    pd.testing.assert_frame_equal(rows, house[0])
    assert quarantined == house[1]


def test_a_house_file_without_the_index_is_refused(tmp_path):
    alone = tmp_path / "transactions.json.gz"
    alone.write_bytes(HOUSE.read_bytes())
    with pytest.raises(
        CongressFileError, match=r"transactions\.json\.gz: House transactions without the House"
    ):
        read_congress(alone)


def _house_transaction(filing_id: str, ticker: str = "AAPL") -> dict:
    return {
        "transaction_date": "01/10/2022",
        "disclosure_date": "01/11/2022",
        "ticker": ticker,
        "asset_description": "Apple Inc.",
        "asset_type": "Stock",
        "type": "Purchase",
        "amount": "$1,001 - $15,000",
        "representative": "Test Member",
        "district": "XX01",
        "owner": "Self",
        "filing_id": filing_id,
        "source_url": "",
    }


def test_house_filings_without_a_public_date_are_quarantined(tmp_path):
    """Made-up transactions against the real index: a DocID it lacks, its withdrawn entry 8219098 (no
    FilingDate), and a DocID a second index file lists with another FilingDate."""
    (tmp_path / "clerk_fd_index").mkdir()
    (tmp_path / "clerk_fd_index" / "2022FD.xml.gz").write_bytes(CLERK.read_bytes())
    (tmp_path / "clerk_fd_index" / "extra.xml").write_text(
        "<FinancialDisclosure><Member><Last>Perlmutter</Last><FilingDate>12/20/2022</FilingDate>"
        "<DocID>20022158</DocID></Member></FinancialDisclosure>"
    )
    transactions = [_house_transaction(i) for i in ("99999999", "8219098", "20022158", "20022166")]
    (tmp_path / "made_up.json").write_text(json.dumps(transactions))
    rows, quarantined = read_congress(tmp_path)
    assert [q["reason"] for q in quarantined] == [
        "filing_id '99999999' is not in the House Clerk's FD index: no public date",
        "the Clerk's index gives filing 8219098 no FilingDate: no public date",
        "the Clerk's index lists filing 20022158 with FilingDates ['12/19/2022', '12/20/2022']: no single "
        "public date",
    ]
    assert rows["known_at"].tolist() == [pd.Timestamp("2022-12-22")]  # 20022166: FilingDate 12/22/2022


# ---- the documented CSV ----------------------------------------------------------------------------------
CSV = (
    "symbol,known_at,transaction_date,chamber,member,side,amount_low,amount_high\n"
    "msft,2022-12-19,2022-11-10,House,Ed  Perlmutter,buy,1001,15000\n"
    "AAPL,2016-12-30,2016-12-15,senate,Pat Roberts,SELL,15001,\n"
)


def test_the_documented_csv_and_parquet(tmp_path):
    path = tmp_path / "trades.csv"
    path.write_text(CSV)
    rows, quarantined = read_congress(path)
    assert quarantined == []
    assert rows["symbol"].tolist() == ["AAPL", "MSFT"]  # sorted by known_at
    first = rows.iloc[1]
    assert (first["chamber"], first["member"], first["side"]) == ("house", "Ed Perlmutter", "buy")
    assert (first["known_at"], first["transaction_date"]) == (
        pd.Timestamp("2022-12-19"),
        pd.Timestamp("2022-11-10"),
    )
    assert rows.iloc[0]["amount_low"] == 15001.0 and np.isnan(rows.iloc[0]["amount_high"])
    _valid(rows)
    parquet = tmp_path / "trades.parquet"
    pd.read_csv(path, dtype=str, keep_default_na=False).to_parquet(parquet)
    pd.testing.assert_frame_equal(read_congress(parquet)[0], rows)
    zipped = tmp_path / "trades.csv.gz"
    zipped.write_bytes(gzip.compress(CSV.encode()))
    pd.testing.assert_frame_equal(read_congress(zipped)[0], rows)


@pytest.mark.parametrize(
    ("line", "column", "value"),
    [
        ("AAPL,2022-01-05,2022-01-10,house,A B,buy,1,2", "known_at", "2022-01-05"),
        ("AAPL,2022-01-15,01/10/2022,house,A B,buy,1,2", "transaction_date", "01/10/2022"),
        ("AAPL,2022-01-15,2022-01-10,congress,A B,buy,1,2", "chamber", "congress"),
        ("AAPL,2022-01-15,2022-01-10,house,A B,exchange,1,2", "side", "exchange"),
        ("AAPL,2022-01-15,2022-01-10,house,,buy,1,2", "member", ""),
        ("AAPL,2022-01-15,2022-01-10,house,A B,buy,5,2", "amount_low", "5"),
        ("AAPL,2022-01-15,2022-01-10,house,A B,buy,-5,", "amount_low", "-5"),
        ("42,2022-01-15,2022-01-10,house,A B,buy,1,2", "symbol", "42"),
    ],
)
def test_a_bad_documented_csv_value_names_file_column_line_and_value(tmp_path, line, column, value):
    path = tmp_path / "trades.csv"
    path.write_text(CSV + line + "\n")
    with pytest.raises(CongressFileError) as caught:
        read_congress(path)
    message = str(caught.value)
    assert str(path) in message and f"column {column!r}" in message and "line 4" in message
    assert repr(value) in message and "Fix:" in message


# ---- files and folders ------------------------------------------------------------------------------------
def test_the_fixture_folder_reads_every_format_and_ignores_its_notes(senate, house):
    rows, quarantined = read_congress(FIXTURES)  # PROVENANCE.md sits beside the data
    assert len(rows) == len(senate[0]) + len(house[0])
    assert len(quarantined) == len(senate[1]) + len(house[1])
    assert rows.equals(
        rows.sort_values(["known_at", "symbol", "member"], kind="stable").reset_index(drop=True)
    )
    assert list(rows.columns) == tables.RAW_CONGRESS_TRADES.column_names
    _valid(rows)


@pytest.mark.parametrize(
    ("name", "content", "detail"),
    [
        ("notes.csv", b"date,ticker,action\n2022-01-01,AAPL,buy\n", "text whose first line is"),
        ("object.json", b'{"trades": []}', "a JSON dict, not a list of records"),
        ("other.json", b'[{"ticker": "AAPL"}]', "JSON records with the fields"),
        ("index.xml", b"<Filings><Filing/></Filings>", "XML with root <Filings>"),
        ("broken.json.gz", b"\x1f\x8bnot really gzip", "a damaged gzip file"),
    ],
)
def test_a_file_in_no_known_format_is_an_error_naming_it(tmp_path, name, content, detail):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(CongressFileError) as caught:
        read_congress(tmp_path)
    assert str(caught.value).startswith(f"{path}: {detail}")


def test_symbols_keep_only_the_asked_for_tickers(house):
    rows, quarantined = read_congress(FIXTURES / "house", {"msft", "NEWT"})
    pd.testing.assert_frame_equal(
        rows, house[0][house[0]["symbol"].isin(["MSFT", "NEWT"])].reset_index(drop=True)
    )
    assert set(rows["symbol"]) == {"MSFT", "NEWT"}
    assert sorted(q["symbol"] for q in quarantined) == ["MSFT", "NEWT"]  # Sessions' MSFT, Foxx's 2202


@pytest.mark.parametrize(
    ("text", "band"),
    [
        ("$1,001 - $15,000", (1001.0, 15000.0)),
        ("$15,001 -\n$50,000", (15001.0, 50000.0)),
        ("$25,000,001 - $50,000,000", (25000001.0, 50000000.0)),
        ("Over $50,000,000", (50000001.0, None)),
        ("$50,000,001 +", (50000001.0, None)),
        ("$15,001 -", (15001.0, None)),
        ("$4,450.50", (4450.5, 4450.5)),
        ("", (None, None)),
    ],
)
def test_amount_bands(text, band):
    low, high = amount_band(text)
    assert [None if np.isnan(v) else v for v in (low, high)] == list(band)
