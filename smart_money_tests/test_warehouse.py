import duckdb
import pandas as pd
import pytest

from smart_money import tables, warehouse


def _congress(n: int, month: str = "2022-01") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "symbol": [f"SYN{i:03d}" for i in range(n)],
            "known_at": pd.Timestamp(f"{month}-10"),
            "transaction_date": pd.Timestamp(f"{month}-03"),
            "chamber": "house",
            "member": "Synthetic Rep. 01",
            "side": "buy",
            "amount_low": 1001.0,
            "amount_high": 15000.0,
            "source": "synthetic",
        }
    )


def test_partitions_round_trip_and_overwrite_idempotently(tmp_path):
    month = pd.Timestamp("2022-01-01")
    path = warehouse.write_partition("raw_congress_trades", month, _congress(3), tmp_path)
    first = path.read_bytes()
    warehouse.write_partition("raw_congress_trades", month, _congress(3), tmp_path)
    assert path.read_bytes() == first  # same input, same file
    warehouse.write_partition("raw_congress_trades", month, _congress(2), tmp_path)
    back = warehouse.read_months("raw_congress_trades", [month], tmp_path)
    assert len(back) == 2 and list(back.columns) == tables.RAW_CONGRESS_TRADES.column_names
    assert [p.name for p in path.parent.iterdir()] == ["part.parquet"]  # no temporary files left


def test_a_bad_frame_names_the_column_and_leaves_the_old_partition(tmp_path):
    month = pd.Timestamp("2022-01-01")
    warehouse.write_partition("raw_congress_trades", month, _congress(3), tmp_path)
    broken = _congress(3).assign(amount_low="a lot")
    with pytest.raises(warehouse.WarehouseError, match=r"raw_congress_trades\.amount_low"):
        warehouse.write_partition("raw_congress_trades", month, broken, tmp_path)
    assert len(warehouse.read_months("raw_congress_trades", [month], tmp_path)) == 3
    with pytest.raises(warehouse.WarehouseError, match="lacks columns"):
        warehouse.write_partition("raw_congress_trades", month, _congress(1).drop(columns=["side"]), tmp_path)


def test_rows_outside_the_written_months_are_refused(tmp_path):
    with pytest.raises(warehouse.WarehouseError, match="outside the partitions"):
        warehouse.write_months(
            "raw_congress_trades", _congress(2, "2022-02"), [pd.Timestamp("2022-01-01")], "known_at", tmp_path
        )


def test_missing_months_are_named_when_required(tmp_path):
    with pytest.raises(warehouse.WarehouseError, match="2022-03.*materialize raw_prices"):
        warehouse.read_months("raw_prices", [pd.Timestamp("2022-03-01")], tmp_path, require=True)


def test_catalog_has_views_only_for_tables_with_files(tmp_path):
    warehouse.write_months(
        "raw_congress_trades", _congress(2), [pd.Timestamp("2022-01-01")], "known_at", tmp_path
    )
    warehouse.write_months(
        "raw_congress_trades", _congress(0, "2022-02"), [pd.Timestamp("2022-02-01")], "known_at", tmp_path
    )
    names = warehouse.refresh_catalog(tmp_path)
    assert names == ["raw_congress_trades"]
    with duckdb.connect(str(warehouse.catalog_path(tmp_path)), read_only=True) as con:
        assert con.execute("select count(*) from raw_congress_trades").fetchone()[0] == 2
        views = {
            r[0] for r in con.execute("select view_name from duckdb_views() where not internal").fetchall()
        }
    assert views == {"raw_congress_trades"}
