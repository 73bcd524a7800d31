"""``smart_money.tables`` is the one declaration of every table: the pandera schemas, the feature families'
inputs, the options-flow outputs and the test frames agree with it, and no module needs an import cycle."""

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow
import pytest

from smart_money import gates, tables
from smart_money.features import _common, congress, etf, insider, institutional, market, options_flow
from smart_money.features.build import RawFrames
from smart_money.modeling import registry, splits
from smart_money.options_flow import classify, contracts
from smart_money.options_flow.tape import TapeConfig, simulate
from smart_money.sources.sec import companies
from smart_money.sources.sec import normalize as sec_normalize
from smart_money.sources.synthetic.market import MarketConfig
from smart_money.sources.synthetic.source import SyntheticMarketSource
from smart_money.warehouse import to_arrow
from smart_money_tests.features import test_congress, test_etf, test_insider, test_institutional
from smart_money_tests.features.test_build import random_panel
from smart_money_tests.sources.sec import realdata

REPO_ROOT = Path(__file__).resolve().parents[1]
SPECS = {spec.name: spec for spec in tables.all_specs()}
DAY = pd.Timestamp("2024-06-14")
# Values the generic row needs so that a table's row rules hold (gates.ROW_RULES).
ROW_OVERRIDES = {
    "raw_institutional_holdings": {"report_date": pd.Timestamp("2024-03-31")},
    "labels": {"label_date": pd.Timestamp("2024-06-28")},
    "dataset_splits": {"label_date": pd.Timestamp("2024-06-28")},
    "raw_option_prints": {"ts": DAY.value // 1_000_000},
}


def _valid_value(column: tables.Column):
    dtype = column.type
    if column.allowed is not None:
        return column.allowed[0]
    if pyarrow.types.is_string(dtype):
        return "A" * (column.length[0] if column.length else 1)
    if pyarrow.types.is_timestamp(dtype):
        return DAY.tz_localize(dtype.tz) if dtype.tz else DAY
    if pyarrow.types.is_boolean(dtype):
        return False
    if pyarrow.types.is_list(dtype):
        return ["P1"]
    low = column.ge if column.ge is not None else (column.gt + 1 if column.gt is not None else 1)
    return low if column.le is None else min(low, column.le)


def valid_row(spec: tables.TableSpec) -> pd.DataFrame:
    """One row that satisfies every column contract and row rule, typed as the warehouse reads it."""
    values = {c.name: [_valid_value(c)] for c in spec.column_specs} | {
        name: [value] for name, value in ROW_OVERRIDES.get(spec.name, {}).items()
    }
    frame = pd.DataFrame(values)
    return to_arrow(frame, spec).to_pandas()


def _wrong_type(column: tables.Column):
    return 7 if pyarrow.types.is_string(column.type) or pyarrow.types.is_list(column.type) else "x"


def _disallowed(column: tables.Column) -> list:
    """Values that break the column's contract (besides its type)."""
    bad = []
    if column.allowed is not None:
        bad.append("not-allowed" if isinstance(column.allowed[0], str) else 99)
    if column.ge is not None:
        bad.append(column.ge - 1)
    if column.gt is not None:
        bad.append(column.gt)
    if column.le is not None:
        bad.append(column.le + 1)
    if column.length is not None:
        bad.append("" if column.length[0] > 0 else "x" * (column.length[1] + 1))
    if column.finite:
        bad.append(np.inf)
    if not column.nullable:
        bad.append(None)
    return bad


def _failed_columns(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> set[str]:
    result = gates.schema_gate("test", frame, schema)
    if result.passed:
        return set()
    assert result.failures is not None, result.summary
    return set(result.failures["column"].dropna())


def test_every_table_is_declared_once_in_pipeline_order():
    names = [spec.name for spec in tables.all_specs()]
    assert len(names) == len(set(names))
    assert names[:9] == [
        "universe",
        *[t.name for t in tables.RAW_TABLES],
        "synthetic_truth",
        "features",
        "labels",
    ]
    assert names[9:13] == list(tables.OPTIONS_FLOW_TABLES)
    assert names[13:] == [t.name for t in (*tables.MODEL_TABLES, *tables.SERVING_TABLES)]
    for spec in tables.all_specs():
        assert tables.spec(spec.name) is spec
        assert all(c.description for c in spec.column_specs), spec.name
        assert spec.descriptions.keys() == set(spec.column_names)
    # the code that writes these columns uses the same values
    assert tables.SPLIT_SEGMENTS == splits.SEGMENTS and tables.SPLIT_METHODS == splits.METHODS
    assert tables.MODEL_STATUSES == registry.STATUSES
    with pytest.raises(KeyError, match="unknown warehouse table 'nope'"):
        tables.spec("nope")
    with pytest.raises(KeyError, match="raw_prices has no column 'nope'"):
        tables.RAW_PRICES.column("nope")


@pytest.mark.parametrize("name", list(SPECS))
def test_table_schema_accepts_the_contract_and_rejects_what_breaks_it(name):
    spec = SPECS[name]
    schema = gates.table_schema(name)
    assert list(schema.columns) == spec.column_names
    assert gates.schema_gate(name, spec.empty(), schema).passed
    row = valid_row(spec)
    assert gates.schema_gate(name, row, schema).passed, gates.schema_gate(name, row, schema).failures
    for column in spec.column_specs:
        wrong = row.astype({column.name: object})
        wrong.loc[0, column.name] = _wrong_type(column)
        wrong[column.name] = wrong[column.name].infer_objects()
        assert column.name in _failed_columns(schema, wrong), (name, column.name, "type")
        for value in _disallowed(column):
            bad = row.astype({column.name: object})
            bad.at[0, column.name] = value
            bad = bad.astype({column.name: row[column.name].dtype}) if value is not None else bad
            assert column.name in _failed_columns(schema, bad), (name, column.name, value)
    if spec.key:
        twice = pd.concat([row, row], ignore_index=True)
        assert not gates.schema_gate(name, twice, schema).passed
    missing = row.drop(columns=spec.column_names[0])
    assert not gates.schema_gate(name, missing, schema).passed


# Per table, one change of the valid row for each of its row rules (gates.ROW_RULES), in rule order.
LATER = DAY + pd.Timedelta(days=1)
ROW_RULE_BREAKS = {
    "raw_prices": [{"known_at": LATER}],
    "raw_insider_trades": [{"transaction_date": LATER}],
    "raw_institutional_holdings": [{"report_date": DAY}, {"is_closed_position": True, "shares": 5.0}],
    "raw_congress_trades": [{"transaction_date": LATER}, {"amount_low": 2.0, "amount_high": 1.0}],
    "synthetic_truth": [{"month": pd.Timestamp("2024-05-01")}],
    "labels": [{"label_date": DAY}],
    "raw_option_prints": [{"ts": DAY.value // 1_000_000 + 1}, {"bid": 2.0, "ask": 1.0}],
    "raw_corporate_events": [{"known_at": LATER}],
    "smart_money_events": [{"start_ts": LATER}, {"end_ts": LATER}, {"abstained": True}],
    "dataset_splits": [{"label_date": DAY}],
}


def test_every_row_rule_rejects_a_row_that_breaks_it():
    assert ROW_RULE_BREAKS.keys() == gates.ROW_RULES.keys()
    for name, breaks in ROW_RULE_BREAKS.items():
        rules = gates.ROW_RULES[name]
        assert len(breaks) == len(rules), name
        schema = gates.table_schema(name)
        for (error, _), change in zip(rules, breaks, strict=True):
            frame = valid_row(tables.spec(name)).assign(**change)
            result = gates.schema_gate(name, frame, schema)
            assert not result.passed and error in set(result.failures["check"].astype(str)), (name, error)


def test_the_feature_families_read_declared_columns_with_their_types():
    inputs = {
        "raw_insider_trades": [insider._TRADES_SCHEMA],
        "raw_prices": [insider._PRICES_SCHEMA, market._PRICES_SCHEMA],
        "raw_institutional_holdings": [institutional.HOLDINGS_SCHEMA],
        "raw_congress_trades": [congress._SCHEMA],
        "raw_etf_holdings": [etf._SCHEMA],
        "smart_money_events": [options_flow._SCHEMA],
    }
    kinds = {
        "str": pyarrow.types.is_string,
        "date": pyarrow.types.is_timestamp,
        "bool": pyarrow.types.is_boolean,
    }
    for table, schemas in inputs.items():
        for schema in schemas:
            for name, kind in schema.items():
                dtype = tables.spec(table).column(name).type
                assert kinds.get(kind, pyarrow.types.is_floating)(dtype), (table, name, kind)
    assert _common.GRID_SCHEMA == {"symbol": "str", "sample_date": "date", "shares_outstanding": "float"}
    with pytest.raises(KeyError, match="raw_prices has no column 'closing'"):
        _common.input_schema(tables.RAW_PRICES, ["closing"])


def _dtype_schema(table: str, columns: list[str]) -> pa.DataFrameSchema:
    """The table schema's dtypes only, for test frames that hold hand-picked (not necessarily valid) rows."""
    full = gates.table_schema(table)
    return pa.DataFrameSchema(
        {
            name: pa.Column(c.dtype, coerce=c.coerce, nullable=True)
            for name, c in full.columns.items()
            if name in columns
        }
    )


def _frames_built_by_the_feature_tests() -> dict[str, list[pd.DataFrame]]:
    grid, raw = random_panel()
    assert isinstance(raw, RawFrames)
    return {
        "raw_insider_trades": [
            raw.insider_trades,
            test_insider.trades([test_insider.trade("AAA", "2024-06-03", "2024-06-01", "I1", "P")]),
        ],
        "raw_prices": [raw.prices, test_insider.prices([("AAA", "2024-06-03", 10.0)])],
        "raw_institutional_holdings": [
            raw.institutional_holdings,
            test_institutional.holdings(
                [test_institutional.holding("AAA", "F1", "2024-03-31", "2024-05-15", 100.0)]
            ),
        ],
        "raw_congress_trades": [
            raw.congress_trades,
            test_congress.congress([("AAA", "2024-06-03", "2024-06-01", "buy")]),
        ],
        "raw_etf_holdings": [raw.etf_holdings, test_etf.etf([("AAA", "2024-06-03", "E1", 10.0)])],
        "smart_money_events": [raw.options_events],
    }


def test_the_frames_the_feature_tests_build_match_the_tables():
    for table, frames in _frames_built_by_the_feature_tests().items():
        spec = tables.spec(table)
        for frame in frames:
            columns = list(frame.columns)
            if table == "smart_money_events":  # the family's inputs only
                assert set(columns) <= set(spec.column_names), set(columns) - set(spec.column_names)
            else:
                assert columns == spec.column_names, table
            result = gates.schema_gate(table, frame, _dtype_schema(table, columns))
            assert result.passed, (table, result.failures)


def test_every_source_builds_the_declared_insider_and_universe_columns():
    trades, universe = tables.RAW_INSIDER_TRADES, tables.UNIVERSE
    # the filing columns close the insider table and may be null (the other sources know few of them)
    assert trades.column_names[-len(tables.FILING_COLUMN_NAMES) :] == list(tables.FILING_COLUMN_NAMES)
    assert all(c.nullable for c in tables.FILING_COLUMNS) and universe.column("cik").nullable
    # the SEC normalization writes exactly the declared row
    assert sec_normalize.COLUMNS == tuple(trades.column_names) and sec_normalize.SCHEMA == trades.schema
    assert sec_normalize.OWNERSHIP_FORMS == trades.column("form_type").allowed

    def stored_passes(table: tables.TableSpec, frame: pd.DataFrame) -> None:
        result = gates.schema_gate(table.name, to_arrow(frame, table).to_pandas(), gates.table_schema(table))
        assert result.passed, (table.name, result.failures)

    sec_rows, _ = realdata.document_rows(realdata.SOFTBANK)
    stored_passes(trades, sec_normalize.frame(sec_rows))
    profile = companies.company_profile(realdata.submissions_json("edgar4j__CIK0000789019.json"))
    (sec_universe,), _ = companies.universe_row("MSFT", profile, None, pd.Timestamp("2024-06-28"))
    assert set(sec_universe) == set(universe.column_names) and sec_universe["cik"] == "0000789019"
    stored_passes(universe, pd.DataFrame([sec_universe]))
    # the synthetic market: its simulated Form 4s are originals of non-derivative trades; no CIKs
    source = SyntheticMarketSource(MarketConfig(seed=3, n_symbols=4))
    synthetic = source.insider_trades(None, pd.Timestamp("2023-01-01"), pd.Timestamp("2024-01-01"))
    assert list(synthetic.columns) == trades.column_names
    assert set(synthetic["form_type"]) == {"4"} and not synthetic["is_amendment"].any()
    assert not synthetic["is_derivative"].any() and synthetic["accession_number"].isna().all()
    stored_passes(trades, synthetic)
    listed = source.universe(pd.Timestamp("2023-01-01"))
    assert set(listed.columns) == set(universe.column_names) and listed["cik"].isna().all()
    stored_passes(universe, listed)


def test_the_options_flow_path_writes_the_declared_tables():
    assert [c for c in tables.RAW_OPTION_PRINTS.column_names if c not in ("known_at", "source")] == list(
        contracts.PRINT_COLUMNS
    )
    prints, truth, calendar = simulate(TapeConfig(scenarios_per_kind=2, mode="demo", background_ratio=1.0))
    known = pd.to_datetime(prints["ts"], unit="ms")
    stored = {
        "raw_option_prints": prints.assign(known_at=known, source="synthetic"),
        "synthetic_flow_truth": truth.assign(known_at=known, source="synthetic"),
        "raw_corporate_events": calendar.assign(source="synthetic"),
        "smart_money_events": classify.classify(prints, calendar)[0].assign(source="synthetic"),
    }
    for table, frame in stored.items():
        spec = tables.spec(table)
        assert set(frame.columns) == set(spec.column_names), table
        through_parquet = to_arrow(frame, spec).to_pandas()  # what the warehouse writes and reads back
        result = gates.schema_gate(table, through_parquet, gates.table_schema(table))
        assert result.passed, (table, result.failures)
    events = stored["smart_money_events"]
    assert list(events.columns[:-1]) == list(classify.EVENT_COLUMNS)
    assert list(classify.events_table(prints.iloc[:0], calendar).columns) == list(classify.EVENT_COLUMNS)


def _modules() -> list[str]:
    root = REPO_ROOT / "smart_money"
    names = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(REPO_ROOT).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_every_module_imports_on_its_own():
    """One fresh interpreter imports each ``smart_money`` module with none of the package loaded before it
    (third-party libraries stay loaded, so it takes seconds): an import cycle between package modules would
    fail for whichever module starts it."""
    script = textwrap.dedent(
        """
        import importlib, sys, traceback
        failed = []
        for name in sys.argv[1:]:
            for loaded in [m for m in sys.modules if m == "smart_money" or m.startswith("smart_money.")]:
                del sys.modules[loaded]
            try:
                importlib.import_module(name)
            except Exception:
                failed.append(name + ": " + traceback.format_exc(limit=-3))
        print("\\n".join(failed))
        sys.exit(1 if failed else 0)
        """
    )
    modules = _modules()
    assert "smart_money.tables" in modules and "smart_money.options_flow.contracts" in modules
    done = subprocess.run(
        [sys.executable, "-c", script, *modules],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _imported_modules(path: Path, known: set[str]) -> set[str]:
    """The package modules a file imports, at module level or inside a function, with the packages that
    importing them initializes first."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.update({node.module, *(f"{node.module}.{alias.name}" for alias in node.names)})
    closed = set()
    for name in found:
        parts = name.split(".")
        closed |= {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
    return closed & known


def test_no_import_cycle_between_modules():
    """The imports between package modules form no cycle, counting those inside functions (which would only
    hide one): importing ``a.b.c`` from outside ``a.b`` also runs ``a.b``'s ``__init__``, so it counts as
    importing ``a.b`` too."""
    modules = _modules()
    known = set(modules)
    graph = {}
    for name in modules:
        path = REPO_ROOT / Path(*name.split("."))
        path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
        # a module's own packages are initialized before it runs, whatever it imports from them
        graph[name] = {t for t in _imported_modules(path, known) if not (name + ".").startswith(t + ".")}
    state: dict[str, str] = {}

    def visit(name: str, trail: list[str]) -> None:
        state[name] = "open"
        for target in sorted(graph[name]):
            if state.get(target) == "open":
                cycle = trail[trail.index(target) :] + [name, target] if target in trail else [name, target]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target, [*trail, name])
        state[name] = "done"

    for name in modules:
        if name not in state:
            visit(name, [])
