"""The price importer on the real skfolio closes (fixtures/prices/) and on small hand-written files."""

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from smart_money import gates, tables
from smart_money.sources.imports import PriceFileError, prices_window, read_prices

FIXTURE = Path(__file__).parents[2] / "fixtures" / "prices" / "sp500_20_closes_2012_2022.csv.gz"
SKFOLIO_20 = "AAPL AMD BAC BBY CVX GE HD JNJ JPM KO LLY MRK MSFT PEP PFE PG RRC UNH WMT XOM".split()


@pytest.fixture(scope="module")
def fixture_prices() -> pd.DataFrame:
    return read_prices(FIXTURE)


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _valid(frame: pd.DataFrame) -> None:
    result = gates.schema_gate("raw_prices", frame, gates.table_schema(tables.spec("raw_prices")))
    assert result.passed, (result.summary, result.failures)


# ---- the real fixture -------------------------------------------------------------------------------------
def test_the_skfolio_fixture_parses_completely(fixture_prices):
    frame = fixture_prices
    assert sorted(frame["symbol"].unique()) == SKFOLIO_20
    assert frame["date"].min() == pd.Timestamp("2012-01-03")
    assert frame["date"].max() == pd.Timestamp("2022-12-28")
    with gzip.open(FIXTURE, "rt") as handle:
        assert len(frame) == sum(1 for _ in handle) - 1  # every line but the header is a row
    assert (frame.groupby("symbol")["date"].max() == pd.Timestamp("2022-12-28")).all()
    assert frame.groupby("symbol").size().nunique() == 1  # every stock on every trading day
    assert list(frame.columns) == tables.RAW_PRICES.column_names
    assert (frame["known_at"] == frame["date"]).all()
    assert (frame["source"] == "file").all()
    assert frame["volume"].isna().all()  # the dataset has no volume
    assert (frame["adj_close"] == frame["close"]).all()
    assert frame.equals(frame.sort_values(["symbol", "date"]).reset_index(drop=True))
    _valid(frame)


def test_the_fixture_holds_the_shipped_closes(fixture_prices):
    """Values read by hand in skfolio's sp500_dataset.csv.gz (first 2012 row and last row)."""
    frame = fixture_prices.set_index(["symbol", "date"])
    assert frame.loc[("AAPL", pd.Timestamp("2012-01-03")), "close"] == 12.483
    assert frame.loc[("AAPL", pd.Timestamp("2012-01-04")), "adj_close"] == 12.55
    assert frame.loc[("AAPL", pd.Timestamp("2022-12-28")), "close"] == 125.674
    assert frame.loc[("XOM", pd.Timestamp("2022-12-28")), "close"] == 106.627
    assert frame.loc[("UNH", pd.Timestamp("2022-12-27")), "close"] == 527.935
    assert frame.loc[("RRC", pd.Timestamp("2022-12-28")), "close"] == 24.497


def test_csv_and_parquet_give_identical_frames(tmp_path, fixture_prices):
    sample = fixture_prices[fixture_prices["symbol"].isin(["AAPL", "MSFT", "XOM"])]
    sample = sample[sample["date"] >= "2022-06-01"]
    csv_path = tmp_path / "p.csv"
    sample[["symbol", "date", "close", "adj_close", "volume"]].to_csv(
        csv_path, index=False, date_format="%Y-%m-%d"
    )
    parquet_dates = tmp_path / "dates.parquet"
    pq.write_table(
        pa.table(
            {
                "symbol": sample["symbol"].tolist(),
                "date": pa.array(sample["date"].dt.date.tolist(), pa.date32()),
                "close": sample["close"].to_numpy(),
                "adj_close": sample["adj_close"].to_numpy(),
                "volume": sample["volume"].to_numpy(),
            }
        ),
        parquet_dates,
    )
    parquet_stamps = tmp_path / "stamps.parquet"
    sample[["symbol", "date", "close", "adj_close", "volume"]].to_parquet(parquet_stamps, index=False)
    parquet_indexed = tmp_path / "indexed.parquet"  # a stored pandas index is not a row position
    sample[["symbol", "date", "close", "adj_close", "volume"]].set_index("date", drop=False).to_parquet(
        parquet_indexed
    )
    expected = sample.reset_index(drop=True)
    for path in (csv_path, parquet_dates, parquet_stamps, parquet_indexed):
        pd.testing.assert_frame_equal(read_prices(path), expected)


def test_a_folder_joins_its_files_and_ignores_other_files(tmp_path, fixture_prices):
    sample = fixture_prices[fixture_prices["date"] >= "2022-12-01"]
    columns = ["symbol", "date", "close", "adj_close", "volume"]
    for i, (symbol, part) in enumerate(sample.groupby("symbol")):
        if i % 2:
            part[columns].to_parquet(tmp_path / f"{symbol}.parquet", index=False)
        else:
            part[columns].to_csv(tmp_path / f"{symbol}.csv.gz", index=False, date_format="%Y-%m-%d")
    (tmp_path / "README.md").write_text("prices of 20 stocks\n")
    pd.testing.assert_frame_equal(read_prices(tmp_path), sample.reset_index(drop=True))


def test_optional_columns_and_lenient_spelling(tmp_path):
    path = _write(
        tmp_path / "p.csv",
        "\ufeff Symbol ,DATE,Close,Volume,note\n"
        " msft ,2022-12-28,234.53,17457100,x\n"
        "\n"
        "brk.b,2022-12-27 00:00:00,309.5,,y\n",
    )
    frame = read_prices(path)
    assert frame["symbol"].tolist() == ["BRK.B", "MSFT"]
    assert frame["date"].tolist() == [pd.Timestamp("2022-12-27"), pd.Timestamp("2022-12-28")]
    assert frame["adj_close"].tolist() == frame["close"].tolist() == [309.5, 234.53]  # no adj_close column
    assert np.isnan(frame["volume"].iloc[0]) and frame["volume"].iloc[1] == 17457100
    assert list(frame.columns) == tables.RAW_PRICES.column_names
    _valid(frame)


# ---- bad files --------------------------------------------------------------------------------------------
HEADER = "symbol,date,close,adj_close,volume\n"
GOOD = "AAPL,2022-12-27,130.03,129.65,69007800\n"


@pytest.mark.parametrize(
    ("body", "column", "where", "value"),
    [
        ("AAPL,2022-13-01,1,1,1\n", "date", "line 3", "2022-13-01"),
        ("AAPL,12/28/2022,1,1,1\n", "date", "line 3", "12/28/2022"),
        ("AAPL,,1,1,1\n", "date", "line 3", ""),
        ("AAPL,2022-12-28,-1.5,1,1\n", "close", "line 3", "-1.5"),
        ("AAPL,2022-12-28,0,1,1\n", "close", "line 3", "0"),
        ("AAPL,2022-12-28,,1,1\n", "close", "line 3", ""),
        ("AAPL,2022-12-28,NaN,1,1\n", "close", "line 3", "NaN"),
        ("AAPL,2022-12-28,inf,1,1\n", "close", "line 3", "inf"),
        ("AAPL,2022-12-28,12$,1,1\n", "close", "line 3", "12$"),
        ("AAPL,2022-12-28,1,0,1\n", "adj_close", "line 3", "0"),
        ("AAPL,2022-12-28,1,1,-5\n", "volume", "line 3", "-5"),
        ("AAPL,2022-12-28,1,1,many\n", "volume", "line 3", "many"),
        ("123.4,2022-12-28,1,1,1\n", "symbol", "line 3", "123.4"),
        (",2022-12-28,1,1,1\n", "symbol", "line 3", ""),
        (" aapl ,2022-12-27,1,1,1\n", "symbol, date", "line 3", "AAPL 2022-12-27"),
    ],
)
def test_a_bad_csv_value_names_file_column_line_and_value(tmp_path, body, column, where, value):
    path = _write(tmp_path / "prices.csv", HEADER + GOOD + body)
    with pytest.raises(PriceFileError) as caught:
        read_prices(path)
    message = str(caught.value)
    assert str(path) in message
    assert f"column {column!r}" in message
    assert where in message
    assert repr(value) in message
    assert "Fix:" in message


def test_a_duplicate_names_the_first_row_too(tmp_path):
    path = _write(tmp_path / "prices.csv", HEADER + GOOD + "MSFT,2022-12-27,1,1,1\n" + GOOD)
    with pytest.raises(PriceFileError, match=r"line 4: 'AAPL 2022-12-27' is a second price .* on line 2"):
        read_prices(path)


def test_a_missing_column_is_named(tmp_path):
    path = _write(tmp_path / "prices.csv", "symbol,date,adj_close\nAAPL,2022-12-27,1\n")
    with pytest.raises(PriceFileError, match=r"column 'close' is missing.*\['symbol', 'date', 'adj_close'\]"):
        read_prices(path)


def test_an_unknown_extension_is_refused(tmp_path):
    path = _write(tmp_path / "prices.txt", HEADER + GOOD)
    with pytest.raises(PriceFileError, match=r"prices\.txt: unknown file type '\.txt'.*\.csv\.gz"):
        read_prices(path)


def test_bad_parquet_values_name_the_row_index(tmp_path):
    path = tmp_path / "prices.parquet"
    pq.write_table(
        pa.table({"symbol": [1, 2], "date": ["2022-12-27", "2022-12-28"], "close": [1.0, 2.0]}), path
    )
    with pytest.raises(PriceFileError, match=r"prices\.parquet: column 'symbol', row index 0: 1 is not text"):
        read_prices(path)
    pq.write_table(
        pa.table({"symbol": ["A", "B"], "date": ["2022-12-27", "2022-12-28"], "close": [1.0, float("inf")]}),
        path,
    )
    with pytest.raises(PriceFileError, match=r"column 'close', row index 1: inf is not finite"):
        read_prices(path)
    stamps = pd.to_datetime(["2022-12-27 00:00", "2022-12-28 16:00"])
    pd.DataFrame({"symbol": ["A", "B"], "date": stamps, "close": [1.0, 2.0]}).to_parquet(path)
    with pytest.raises(PriceFileError, match=r"column 'date', row index 1: .* is a time, not a day"):
        read_prices(path)
    pd.DataFrame({"symbol": ["A"], "date": stamps[:1].tz_localize("UTC"), "close": [1.0]}).to_parquet(path)
    with pytest.raises(PriceFileError, match=r"column 'date', row index 0: .* has a time zone"):
        read_prices(path)


def test_the_same_price_in_two_files_of_a_folder_is_refused(tmp_path):
    _write(tmp_path / "a.csv", HEADER + GOOD)
    _write(tmp_path / "b.csv", HEADER + "MSFT,2022-12-27,1,1,1\n" + GOOD)
    with pytest.raises(PriceFileError) as caught:
        read_prices(tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'b.csv'}: column 'symbol, date', line 3: 'AAPL 2022-12-27'")
    assert f"is also in {tmp_path / 'a.csv'}, line 2" in message


def test_missing_and_empty_inputs_are_refused(tmp_path):
    with pytest.raises(PriceFileError, match="no such file or folder"):
        read_prices(tmp_path / "absent.csv")
    _write(tmp_path / "notes.md", "no prices here\n")
    with pytest.raises(PriceFileError, match="the folder holds no price files"):
        read_prices(tmp_path)
    header_only = _write(tmp_path / "empty.csv", HEADER)
    with pytest.raises(PriceFileError, match="holds no price rows"):
        read_prices(header_only)
    garbled = tmp_path / "garbled.csv.gz"
    garbled.write_bytes(b"not gzip at all")
    with pytest.raises(PriceFileError, match=r"garbled\.csv\.gz: cannot be read as CSV"):
        read_prices(garbled)


# ---- windows ----------------------------------------------------------------------------------------------
def test_prices_window_is_half_open_on_known_at_and_filters_symbols(fixture_prices):
    window = prices_window(fixture_prices, None, pd.Timestamp("2022-12-01"), pd.Timestamp("2022-12-28"))
    assert window["known_at"].min() == pd.Timestamp("2022-12-01")
    assert window["known_at"].max() == pd.Timestamp("2022-12-27")  # end excluded
    assert window["symbol"].nunique() == 20
    some = prices_window(
        fixture_prices, ["aapl ", "XOM", "ZZZZ"], pd.Timestamp("2022-12-27"), pd.Timestamp("2023-01-01")
    )
    assert some[["symbol", "date"]].astype(str).values.tolist() == [
        ["AAPL", "2022-12-27"],
        ["AAPL", "2022-12-28"],
        ["XOM", "2022-12-27"],
        ["XOM", "2022-12-28"],
    ]
    assert prices_window(fixture_prices, [], pd.Timestamp("2012-01-01"), pd.Timestamp("2023-01-01")).empty
    _valid(window)
