"""Importing vendor-shaped option prints from Parquet and CSV, and the errors for bad files."""

import pandas as pd
import pytest

from smart_money.options_flow import importer
from smart_money.options_flow.contracts import PRINT_COLUMNS
from smart_money.options_flow.tape import TapeConfig, simulate


@pytest.fixture(scope="module")
def prints():
    return simulate(TapeConfig(scenarios_per_kind=3, mode="demo", background_ratio=1.0))[0]


def test_parquet_and_csv_round_trip(prints, tmp_path):
    prints.to_parquet(tmp_path / "a.parquet")
    csv = prints.assign(
        ts=pd.to_datetime(prints["ts"], unit="ms", utc=True).dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        option_type=prints["option_type"].map({"C": "call", "P": "put"}),
    )
    csv.to_csv(tmp_path / "b.csv", index=False)
    from_parquet = importer.read_prints(tmp_path / "a.parquet")
    from_csv = importer.read_prints(tmp_path / "b.csv")
    expected = prints.sort_values(["ts", "print_id"], ignore_index=True)
    pd.testing.assert_frame_equal(from_parquet, expected[list(PRINT_COLUMNS)], check_dtype=False)
    pd.testing.assert_frame_equal(from_csv, from_parquet, check_dtype=False)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda f: f.drop(columns=["bid"]), "missing column(s) ['bid']"),
        (lambda f: f.assign(option_type="X"), "column option_type must be C/P"),
        (lambda f: f.assign(price=float("nan")), "column price must be a finite number; row 0"),
        (lambda f: f.assign(size=-1), "sizes must be positive"),
        (lambda f: pd.concat([f, f.head(1)]), "appears twice"),
    ],
)
def test_bad_files_are_refused_with_the_file_and_column(prints, tmp_path, change, message):
    path = tmp_path / "bad.parquet"
    change(prints.copy()).to_parquet(path)
    with pytest.raises(importer.PrintImportError) as failure:
        importer.read_prints(path)
    assert message in str(failure.value) and str(path) in str(failure.value)


def test_a_missing_path_or_an_empty_folder_is_refused(tmp_path):
    with pytest.raises(importer.PrintImportError, match="no such file"):
        importer.read_prints(tmp_path / "nope.parquet")
    with pytest.raises(importer.PrintImportError, match="no .parquet or .csv"):
        importer.read_prints(tmp_path)
