"""The ETF holdings importer on ARK's real daily files (fixtures/etf_holdings/, PROVENANCE.md there) and on
small files made from their lines."""

import csv
import gzip
import io
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from smart_money import gates, tables
from smart_money.sources.imports.etf_holdings import (
    EtfHoldingsFileError,
    load_etf_holdings,
    read_etf_holdings,
)

ARK = Path(__file__).parents[2] / "fixtures" / "etf_holdings" / "ark"
ARKK = ARK / "ARKK_holdings_history.csv.gz"
ARKW = ARK / "ARKW_holdings_history.csv"
HEADER = "date,fund,company,ticker,cusip,shares,market value ($),weight (%)\n"


@pytest.fixture(scope="module")
def loaded() -> tuple[pd.DataFrame, list[dict]]:
    return load_etf_holdings(ARK)


def _lines(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", newline="") as handle:
        return list(csv.DictReader(handle))


def _row(frame: pd.DataFrame, fund: str, day: str, symbol: str) -> dict:
    hit = frame[(frame["etf_symbol"] == fund) & (frame["report_date"] == pd.Timestamp(day))]
    hit = hit[hit["symbol"] == symbol]
    assert len(hit) == 1, (fund, day, symbol, len(hit))
    return hit.iloc[0].to_dict()


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


# ---- the real files ---------------------------------------------------------------------------------------
def test_every_stock_line_of_the_ark_files_is_a_row(loaded):
    frame, set_aside = loaded
    lines = _lines(ARKK) + _lines(ARKW)
    assert len(lines) == 2893 + 647
    stocks = [r for r in lines if r["ticker"].strip()]
    cash = [r for r in lines if not r["ticker"].strip()]
    first_day = [r for r in stocks if r["date"] == "10/08/2021"]  # superseded: known with 10/11's
    distinct = {(r["fund"], r["date"], r["ticker"].split()[0]) for r in stocks if r["date"] != "10/08/2021"}
    assert len(frame) == len(distinct) == len(stocks) - len(first_day) - 1  # ACHR's two lines on 08/28/2023
    assert frame.groupby("etf_symbol").size().to_dict() == {"ARKK": 2754, "ARKW": 589}
    no_ticker = [r for r in set_aside if r["reason"].startswith("no ticker")]
    assert len(no_ticker) == len(cash) == 110 - 2
    companies = {json.loads(r["record"])["company"] for r in no_ticker}
    assert companies == {
        "DREYFUS GOVT CASH MAN INS",
        "GOLDMAN FS TRSY OBLIG INST 468",
        "ARCHER AVIATION INC-A UNREGISTERED SHARES",
    }
    assert list(frame.columns) == tables.RAW_ETF_HOLDINGS.column_names
    assert (frame["source"] == "file").all()
    assert frame["accession_number"].isna().all() and frame["form_type"].isna().all()
    result = gates.schema_gate("raw_etf_holdings", frame, gates.table_schema(tables.spec("raw_etf_holdings")))
    assert result.passed, (result.summary, result.failures)


def test_rows_field_by_field(loaded):
    frame, _ = loaded
    # ARKK line 48: 10/11/2021,ARKK,TESLA INC,TSLA,88160R101,"2,454,351","$1,927,868,166.99",9.72%
    assert _row(frame, "ARKK", "2021-10-11", "TSLA") == {
        "symbol": "TSLA",
        "known_at": pd.Timestamp("2021-10-11"),  # committed 2021-10-12T00:11:21Z = 20:11 in New York
        "etf_symbol": "ARKK",
        "shares": 2454351.0,
        "weight": pytest.approx(0.0972, abs=1e-12),
        "market_value": 1927868166.99,
        "source": "file",
        "cusip": "88160R101",
        "accession_number": None,
        "form_type": None,
        "report_date": pd.Timestamp("2021-10-11"),
    }
    # ARKW line 91: 10/12/2021,ARKW,GRAYSCALE BITCOIN TRUST BTC,GBTC,389637109,"7,916,984",
    #               "$350,841,145.96",7.01%
    gbtc = _row(frame, "ARKW", "2021-10-12", "GBTC")
    assert (gbtc["shares"], gbtc["market_value"], gbtc["cusip"]) == (7916984.0, 350841145.96, "389637109")
    assert gbtc["weight"] == pytest.approx(0.0701) and gbtc["known_at"] == pd.Timestamp("2021-10-12")


def test_the_traps_in_arks_files(loaded):
    frame, set_aside = loaded
    # line 842: 05/06/2022,ARKK,DRAFTKINGS INC,DKNG UW,26142V105,"16,012,748",... (Bloomberg exchange code)
    dkng = _row(frame, "ARKK", "2022-05-06", "DKNG")
    assert (dkng["shares"], dkng["cusip"]) == (16012748.0, "26142V105")
    assert _row(frame, "ARKK", "2022-05-05", "DKNG")["cusip"] == "26142R104"  # before the reorganization
    # line 1834: 07/18/2022,ARKK,BERKELEY LIGHTS INC,BLI,84310101,...: the leading zero restored
    assert _row(frame, "ARKK", "2022-07-18", "BLI")["cusip"] == "084310101"
    # lines 2789 (unregistered, PIPEACHRU) and 2791 (03945R102): one row, summed
    achr = _row(frame, "ARKK", "2023-08-28", "ACHR")
    assert achr["shares"] == 7125982 + 4600283
    assert achr["market_value"] == pytest.approx(41188175.96 + 26589635.74, abs=1e-6)
    assert achr["weight"] == pytest.approx(0.0056 + 0.0036) and achr["cusip"] == "03945R102"
    assert frame["cusip"].dropna().str.len().eq(9).all()
    assert not frame["cusip"].isin(["X9USDDGCM", "X9USDGSFT", "PIPEACHRU"]).any()
    # The 10/08/2021 snapshots were committed on 11 October (03:37 Eastern), with 10/11's own.
    assert not (frame["report_date"] == pd.Timestamp("2021-10-08")).any()
    superseded = [r for r in set_aside if r["reason"].startswith("superseded")]
    assert [json.loads(r["record"]) for r in superseded] == [
        {"fund": "ARKK", "date": "10/08/2021", "rows": 45},
        {"fund": "ARKW", "date": "10/08/2021", "rows": 43},
    ]
    assert (frame["known_at"] == frame["report_date"]).all()  # every other snapshot: captured that evening


def test_a_snapshot_is_known_from_its_capture(tmp_path):
    lines = ARKW.read_text().splitlines(keepends=True)[:45]  # header + the 10/08/2021 snapshot (lines 2-45)
    holdings = _write(tmp_path / "ARKW_holdings_history.csv", "".join(lines))
    frame = read_etf_holdings(holdings)  # no capture file: known on the as-of date
    assert (frame["known_at"] == pd.Timestamp("2021-10-08")).all() and len(frame) == 43
    shutil.copy(ARK / "ARKW_snapshot_commits.csv", tmp_path)  # beside it: read too
    frame = read_etf_holdings(holdings)
    assert (frame["known_at"] == pd.Timestamp("2021-10-11")).all()
    assert (frame["report_date"] == pd.Timestamp("2021-10-08")).all()
    _write(
        tmp_path / "ARKW_snapshot_commits.csv",
        "as_of_date,source_commit,commit_time_utc\n10/08/2021,x,2021-10-09T03:59:00+00:00\n",
    )
    assert (read_etf_holdings(holdings)["known_at"] == pd.Timestamp("2021-10-08")).all()  # 23:59 Eastern
    _write(
        tmp_path / "ARKW_snapshot_commits.csv",
        "as_of_date,commit_time_utc\n10/08/2021,2021-10-09T04:00:00Z\n",
    )
    assert (read_etf_holdings(holdings)["known_at"] == pd.Timestamp("2021-10-09")).all()  # 00:00 Eastern


def test_one_file_and_a_symbol_filter():
    frame = read_etf_holdings(ARKW, symbols=["tsla", "GBTC"])
    assert set(frame["symbol"]) == {"TSLA", "GBTC"} and set(frame["etf_symbol"]) == {"ARKW"}
    assert len(frame) == 2 * 14  # 15 days, the first superseded
    assert frame.equals(frame.sort_values(["etf_symbol", "report_date", "symbol"]).reset_index(drop=True))


# ---- bad files --------------------------------------------------------------------------------------------
BAD = [
    (
        "13/45/2021,ARKK,TESLA INC,TSLA,88160R101,1,$1.00,1%",
        "column 'date', line 2: '13/45/2021' is not a date",
    ),
    ("10/11/2021,ARKK,TESLA INC,TSLA,88160R101,-5,$1.00,1%", "column 'shares', line 2: '-5' is not a number"),
    ("10/11/2021,ARKK,TESLA INC,TSLA,88160R101,,$1.00,1%", "column 'shares', line 2: '' is missing"),
    (
        "10/11/2021,ARKK,TESLA INC,TSLA,88160R101,1,1 dollar,1%",
        "column 'market value ($)', line 2: '1 dollar'",
    ),
    ("10/11/2021,ARKK,TESLA INC,TSLA,88160R101,1,$1.00,101%", "column 'weight (%)', line 2: '101%' is more"),
    ("10/11/2021,ARKK,TESLA INC,TS LA X,88160R101,1,$1.00,1%", "column 'ticker', line 2: 'TS LA X' is not a"),
    ("10/11/2021,,TESLA INC,TSLA,88160R101,1,$1.00,1%", "column 'fund', line 2: '' is empty"),
]


@pytest.mark.parametrize(("line", "message"), BAD)
def test_a_bad_value_names_the_file_column_line_and_value(tmp_path, line, message):
    path = _write(tmp_path / "holdings.csv", HEADER + line + "\n")
    with pytest.raises(EtfHoldingsFileError, match="Fix:") as error:
        read_etf_holdings(path)
    assert str(path) in str(error.value) and message in str(error.value)


def test_capture_files_must_cover_their_fund_and_be_unambiguous(tmp_path):
    lines = ARKW.read_text().splitlines(keepends=True)
    holdings = _write(
        tmp_path / "ARKW_holdings_history.csv", "".join(lines[:1] + lines[45:132])
    )  # 10/11 and 10/12
    _write(
        tmp_path / "ARKW_snapshot_commits.csv",
        "as_of_date,commit_time_utc\n10/11/2021,2021-10-12T00:11:21Z\n",
    )
    with pytest.raises(EtfHoldingsFileError, match=r"line 46: 'ARKW 10/12/2021' has no capture time"):
        read_etf_holdings(holdings)
    _write(
        tmp_path / "ARKW_snapshot_commits.csv",
        "as_of_date,commit_time_utc\n10/11/2021,2021-10-12T00:11:21Z\n10/11/2021,2021-10-13T00:11:21Z\n",
    )
    with pytest.raises(EtfHoldingsFileError, match="line 3: 'ARKW 2021-10-11' is a second capture time"):
        read_etf_holdings(holdings)
    _write(tmp_path / "ARKW_snapshot_commits.csv", "as_of_date,commit_time_utc\n10/11/2021,yesterday\n")
    with pytest.raises(EtfHoldingsFileError, match="'yesterday' is not a date and time"):
        read_etf_holdings(holdings)
    (tmp_path / "ARKW_snapshot_commits.csv").unlink()
    _write(tmp_path / "captures.csv", "as_of_date,commit_time_utc\n10/11/2021,2021-10-12T00:11:21Z\n")
    with pytest.raises(EtfHoldingsFileError, match="names no fund"):
        read_etf_holdings(tmp_path)


def test_files_that_are_not_holdings_are_errors(tmp_path):
    with pytest.raises(EtfHoldingsFileError, match="column 'fund' is missing"):
        read_etf_holdings(_write(tmp_path / "prices.csv", "date,ticker,shares\n10/11/2021,TSLA,1\n"))
    with pytest.raises(EtfHoldingsFileError, match="no such file or folder"):
        read_etf_holdings(tmp_path / "absent")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(EtfHoldingsFileError, match="holds no ETF holdings files"):
        read_etf_holdings(empty)


def test_iso_dates_and_plain_numbers_read_too(tmp_path):
    text = HEADER + "2021-10-11,ARKK,TESLA INC,TSLA,88160R101,2454351,1927868166.99,9.72\n"
    frame = read_etf_holdings(_write(tmp_path / "h.csv", text))
    row = frame.iloc[0]
    assert (row["report_date"], row["shares"], row["market_value"]) == (
        pd.Timestamp("2021-10-11"),
        2454351.0,
        1927868166.99,
    )
    assert row["weight"] == pytest.approx(0.0972)
    gz = tmp_path / "h2.csv.gz"
    gz.write_bytes(gzip.compress(io.BytesIO(text.encode()).read()))
    assert read_etf_holdings(gz).equals(frame)
