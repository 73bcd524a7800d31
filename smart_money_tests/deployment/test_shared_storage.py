"""Many runs finishing together on shared storage: each writes its partitions atomically and refreshes the
one DuckDB catalog, from its own process, at the same moment. Nothing is lost and nobody sees a lock
error; readers of the catalog meanwhile always get an answer."""

import multiprocessing
import time
from pathlib import Path

import pandas as pd

from smart_money.warehouse import Warehouse

WRITERS = 6
MONTHS = [pd.Timestamp(f"2024-{m:02d}-01") for m in range(1, WRITERS + 1)]
WRITES = 3  # each writer rewrites its month this often, each write a catalog refresh
TABLE = "raw_congress_trades"


def _frame(month: pd.Timestamp, rows: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "symbol": [f"SYN{i:03d}" for i in range(rows)],
            "known_at": month + pd.Timedelta(days=9),
            "transaction_date": month + pd.Timedelta(days=2),
            "chamber": "house",
            "member": "Synthetic Rep. 01",
            "side": "buy",
            "amount_low": 1001.0 + pd.RangeIndex(rows),
            "amount_high": 15000.0,
            "source": "synthetic",
        }
    )


def _writer(data_dir: str, index: int, start_at: float, errors) -> None:
    """One run's end: write its month (each write refreshes the catalog)."""
    try:
        warehouse = Warehouse(data_dir)
        time.sleep(max(0.0, start_at - time.time()))
        for _ in range(WRITES):
            warehouse.write_months(TABLE, _frame(MONTHS[index], index + 1), [MONTHS[index]], "known_at")
    except Exception as exc:  # the parent asserts on the list
        errors.append(f"writer {index}: {type(exc).__name__}: {exc}")


def _reader(data_dir: str, start_at: float, stop_at: float, errors, answers) -> None:
    warehouse = Warehouse(data_dir)
    time.sleep(max(0.0, start_at - time.time()))
    while time.time() < stop_at:
        try:
            answers.append(int(warehouse.query("select count(*) from raw_congress_trades").iloc[0, 0]))
        except Exception as exc:
            errors.append(f"reader: {type(exc).__name__}: {exc}")
        time.sleep(0.02)


def test_concurrent_writes_and_catalog_refreshes_lose_nothing(tmp_path: Path):
    data_dir = tmp_path / "shared" / "data"
    seed = Warehouse(data_dir)  # the catalog exists before the runs, as after any earlier build
    seed.write_months(TABLE, _frame(pd.Timestamp("2023-12-01"), 1), [pd.Timestamp("2023-12-01")], "known_at")
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        errors, answers = manager.list(), manager.list()
        start_at = time.time() + 4.0  # every process is up and imported by then
        writers = [
            context.Process(target=_writer, args=(str(data_dir), i, start_at, errors)) for i in range(WRITERS)
        ]
        reader = context.Process(
            target=_reader, args=(str(data_dir), start_at, start_at + 8.0, errors, answers)
        )
        for process in [*writers, reader]:
            process.start()
        for process in [*writers, reader]:
            process.join(120)
            assert process.exitcode == 0
        errors, answers = list(errors), list(answers)
    assert errors == []
    assert answers, "the reader never got an answer"
    warehouse = Warehouse(data_dir)
    expected = 1 + sum(range(1, WRITERS + 1))
    assert int(warehouse.query(f"select count(*) from {TABLE}").iloc[0, 0]) == expected
    assert answers[-1] == expected  # the last refresh saw every month
    assert warehouse.damaged_partitions() == []
    assert not list(data_dir.rglob("*.tmp"))
