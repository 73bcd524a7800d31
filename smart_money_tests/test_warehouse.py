import os
import time

import duckdb
import pandas as pd
import pytest

from smart_money import tables
from smart_money.warehouse import CHECKSUM_SUFFIX, PART_FILE, Warehouse, WarehouseError

JAN = pd.Timestamp("2022-01-01")


def _congress(n: int, month: str = "2022-01") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "symbol": [f"SYN{i:03d}" for i in range(n)],
            "known_at": pd.Timestamp(f"{month}-10"),
            "transaction_date": pd.Timestamp(f"{month}-03"),
            "chamber": "house",
            "member": "Synthetic Rep. 01",
            "side": "buy",
            "amount_low": 1001.0 + pd.RangeIndex(n),
            "amount_high": 15000.0,
            "source": "synthetic",
        }
    )


@pytest.fixture
def warehouse(tmp_path) -> Warehouse:
    return Warehouse(tmp_path / "data")


def test_partitions_round_trip_and_overwrite_idempotently(warehouse):
    warehouse.write_months("raw_congress_trades", _congress(3), [JAN], "known_at")
    path = warehouse.partition_path("raw_congress_trades", JAN)
    first = path.read_bytes()
    warehouse.write_months("raw_congress_trades", _congress(3), [JAN], "known_at")
    assert path.read_bytes() == first  # same input, same file
    warehouse.write_months("raw_congress_trades", _congress(2), [JAN], "known_at")
    back = warehouse.read_months("raw_congress_trades", [JAN])
    assert len(back) == 2 and list(back.columns) == tables.RAW_CONGRESS_TRADES.column_names
    # no temporary files left: the partition and its checksum
    assert sorted(p.name for p in path.parent.iterdir()) == [PART_FILE, PART_FILE + CHECKSUM_SUFFIX]


def test_two_warehouses_do_not_see_each_other(tmp_path):
    one, two = Warehouse(tmp_path / "one"), Warehouse(tmp_path / "two")
    one.write_months("raw_congress_trades", _congress(3), [JAN], "known_at")
    assert one.existing_months("raw_congress_trades") == [JAN]
    assert two.existing_months("raw_congress_trades") == [] and not two.has_data("raw_congress_trades")


def test_a_bad_frame_names_the_column_and_leaves_the_old_partition(warehouse):
    warehouse.write_months("raw_congress_trades", _congress(3), [JAN], "known_at")
    broken = _congress(3).assign(amount_low="a lot")
    with pytest.raises(WarehouseError, match=r"raw_congress_trades\.amount_low"):
        warehouse.write_months("raw_congress_trades", broken, [JAN], "known_at")
    assert len(warehouse.read_months("raw_congress_trades", [JAN])) == 3
    with pytest.raises(WarehouseError, match="lacks columns"):
        warehouse.write_months("raw_congress_trades", _congress(1).drop(columns=["side"]), [JAN], "known_at")


def test_rows_outside_the_written_months_are_refused(warehouse):
    with pytest.raises(WarehouseError, match="outside the partitions"):
        warehouse.write_months("raw_congress_trades", _congress(2, "2022-02"), [JAN], "known_at")


def test_missing_months_are_named_when_required(warehouse):
    with pytest.raises(WarehouseError, match="2022-03.*materialize raw_prices"):
        warehouse.read_months("raw_prices", [pd.Timestamp("2022-03-01")], require=True)


def test_every_write_refreshes_the_catalog_with_views_only_for_tables_with_files(warehouse):
    warehouse.write_months("raw_congress_trades", _congress(2), [JAN], "known_at")
    warehouse.write_months(
        "raw_congress_trades", _congress(0, "2022-02"), [pd.Timestamp("2022-02-01")], "known_at"
    )
    with duckdb.connect(str(warehouse.catalog_path), read_only=True) as con:
        assert con.execute("select count(*) from raw_congress_trades").fetchone()[0] == 2
        views = {
            r[0] for r in con.execute("select view_name from duckdb_views() where not internal").fetchall()
        }
    assert views == {"raw_congress_trades"}
    assert warehouse.query("select count(*) from raw_congress_trades").iloc[0, 0] == 2


def _flip_one_bit(path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x10
    path.write_bytes(bytes(data))


def test_a_flipped_bit_is_never_read_silently_and_the_error_names_the_file(warehouse):
    warehouse.write_months("raw_congress_trades", _congress(50), [JAN], "known_at")
    path = warehouse.partition_path("raw_congress_trades", JAN)
    size = path.stat().st_size
    for offset in range(4, size - 8, max(1, size // 40)):  # page data, headers and footer alike
        original = path.read_bytes()
        _flip_one_bit(path, offset)
        with pytest.raises(WarehouseError) as caught:
            warehouse.read_months("raw_congress_trades", [JAN])
        message = str(caught.value)
        assert "raw_congress_trades partition month=2022-01" in message and str(path) in message
        assert "re-materialize" in message
        path.write_bytes(original)
    assert len(warehouse.read_months("raw_congress_trades", [JAN])) == 50


def test_a_partition_without_its_checksum_is_refused(warehouse):
    warehouse.write_months("raw_congress_trades", _congress(5), [JAN], "known_at")
    path = warehouse.partition_path("raw_congress_trades", JAN)
    (path.parent / (PART_FILE + CHECKSUM_SUFFIX)).unlink()
    with pytest.raises(WarehouseError, match="no recorded checksum"):
        warehouse.read_months("raw_congress_trades", [JAN])


def test_an_orphan_temporary_file_is_removed_by_the_next_write(warehouse):
    warehouse.write_months("raw_congress_trades", _congress(5), [JAN], "known_at")
    folder = warehouse.partition_path("raw_congress_trades", JAN).parent
    orphan = folder / f".{PART_FILE}.0123456789abcdef.tmp"
    orphan.write_bytes(b"half a parquet file")
    old = time.time() - 3600
    os.utime(orphan, (old, old))
    fresh = folder / f".{PART_FILE}.fedcba9876543210.tmp"  # another writer's file in flight: kept
    fresh.write_bytes(b"in flight")
    warehouse.write_months("raw_congress_trades", _congress(5), [JAN], "known_at")
    assert not orphan.exists() and fresh.exists()


def test_damaged_partitions_lists_every_bad_file_with_its_reason(warehouse):
    warehouse.write_months("raw_congress_trades", _congress(5), [JAN], "known_at")
    assert warehouse.damaged_partitions() == []
    path = warehouse.partition_path("raw_congress_trades", JAN)
    _flip_one_bit(path, path.stat().st_size // 2)
    ((bad, reason),) = warehouse.damaged_partitions()
    assert bad == path and "is corrupt" in reason
