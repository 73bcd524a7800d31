"""Two clean builds of the same market are the same bytes.

A small simulated market (50 symbols, raw 2019-01 … 2020-07, sample months 2019-07 … 2020-06, the options
flow and the model job included) is built twice, each in a fresh root and in its own process with a
different ``PYTHONHASHSEED`` (so set and dict iteration order cannot hide behind one interpreter), through
the same stage jobs as ``smart-money build``. Fifty symbols give the market features enough rows for
DuckDB to aggregate them on several threads: with the feature connections left on two threads, 10 of the
206 data files differ here. Then:

- every data table (raw, options flow, features, labels, splits): each Parquet file and its ``.sha256``
  sidecar are byte-identical;
- the model tables (``evaluation_scores``, ``predictions``, ``model_registry``) and the model artifact: the
  model version is ``<training time>-<dataset fingerprint>`` and ``created_at`` is the training time, so
  they differ honestly between builds made at different moments. They are compared with only those
  columns set aside: the fingerprint half of the version must match, every other column must be equal cell
  for cell (floats bit for bit), and ``model.txt``, ``normalizer.json`` and ``calibration.json`` must be
  byte-identical; ``metadata.json`` must be equal once ``version`` and ``created_at`` are removed. The HTML
  report is not compared: it embeds the version and time in its text and plots.
"""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from smart_money import cli
from smart_money.defs.resources import SyntheticSource
from smart_money.features import catalog
from smart_money.modeling import experiment
from smart_money_tests.markets import definitions_for, run_plan

RAW = (pd.Timestamp("2019-01-01"), pd.Timestamp("2020-07-01"))
SAMPLES = (pd.Timestamp("2019-07-01"), pd.Timestamp("2020-06-01"))
N_SYMBOLS = 50
# tables that carry the model version (the training time is in it)
MODEL_TABLES = {"evaluation_scores", "predictions", "model_registry", "prediction_outcomes", "track_record"}
# the columns that carry the training time (model_version = "<time>-<fingerprint>", created_at) or a path
# made of the version
# metadata_sha256 is the hash of metadata.json, which holds the version and created_at (compared below)
TIME_COLUMNS = {"model_version", "created_at", "path", "metadata_sha256"}
REPO = Path(__file__).resolve().parents[2]


def build(root: str) -> None:
    """One clean build in ``root`` (data/, models/) with a fresh ephemeral Dagster instance."""
    defs = definitions_for(Path(root), SyntheticSource(n_symbols=N_SYMBOLS))
    run_plan(defs, cli.build_plan(RAW, SAMPLES), dg.DagsterInstance.ephemeral())


def _build_in_subprocess(root: Path, hash_seed: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONHASHSEED": hash_seed}
    code = "import sys; from smart_money_tests.defs.test_determinism import build; build(sys.argv[1])"
    done = subprocess.run(
        [sys.executable, "-c", code, str(root)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-4000:]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _version(root: Path) -> str:
    (folder,) = (root / "models" / "smart-money-flow").iterdir()
    return folder.name


def _files(root: Path) -> dict[str, Path]:
    """Every Parquet file under data/parquet by its path, with the model version replaced by a placeholder."""
    base = root / "data" / "parquet"
    version = _version(root)
    return {
        str(p.relative_to(base)).replace(version, "<version>"): p for p in sorted(base.rglob("*.parquet"))
    }


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory):
    roots = [tmp_path_factory.mktemp("determinism_a"), tmp_path_factory.mktemp("determinism_b")]
    for root, seed in zip(roots, ("1", "2"), strict=True):
        _build_in_subprocess(root, seed)
    return roots


def test_every_data_table_is_byte_identical(two_builds):
    a, b = (_files(root) for root in two_builds)
    assert a.keys() == b.keys()
    tables = {name.split("/")[0] for name in a}
    assert {"features", "labels", "raw_prices", "smart_money_events", "dataset_splits"} <= tables
    assert MODEL_TABLES & tables, tables
    data = [name for name in a if name.split("/")[0] not in MODEL_TABLES]
    assert len([n for n in data if n.startswith("features/")]) == 12
    differing = [name for name in data if _sha256(a[name]) != _sha256(b[name])]
    assert not differing, f"{len(differing)} of {len(data)} data files differ, e.g. {differing[:5]}"
    for name in data:  # the checksum sidecars too
        sidecar = Path(f"{a[name]}.sha256")
        assert sidecar.read_bytes() == Path(f"{b[name]}.sha256").read_bytes(), name


def test_model_tables_differ_only_in_the_training_time(two_builds):
    versions = [_version(root) for root in two_builds]
    assert versions[0].split("-")[1] == versions[1].split("-")[1]  # the dataset fingerprint's half
    a, b = (_files(root) for root in two_builds)
    model_files = [name for name in a if name.split("/")[0] in MODEL_TABLES]
    assert model_files
    for name in model_files:
        left, right = pq.read_table(a[name]), pq.read_table(b[name])
        assert left.schema == right.schema, name
        kept = [c for c in left.column_names if c not in TIME_COLUMNS]
        assert left.select(kept).equals(right.select(kept)), (
            f"{name}: a column besides {TIME_COLUMNS} differs"
        )


def test_the_model_artifact_is_the_same_model(two_builds):
    folders = [root / "models" / "smart-money-flow" / _version(root) for root in two_builds]
    for name in ("model.txt", "normalizer.json", "calibration.json"):
        assert _sha256(folders[0] / name) == _sha256(folders[1] / name), name
    metadata = [json.loads((folder / "metadata.json").read_text()) for folder in folders]
    for m in metadata:
        assert m.pop("version") and m.pop("created_at")
        assert "scores.parquet" not in m["files"]  # it carries the model_version: not a loaded file
    assert metadata[0] == metadata[1]
    assert metadata[0]["dataset_fingerprint"] == metadata[1]["dataset_fingerprint"]


def _training_set(rows: int = 40, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "symbol": [f"SYN{i % 10:03d}" for i in range(rows)],
            "sample_date": pd.to_datetime("2024-01-15") + pd.to_timedelta(31 * (np.arange(rows) // 10), "D"),
            "segment": np.where(np.arange(rows) < 20, "train", "test"),
            "label": rng.integers(0, 2, rows),
        }
    )
    for name in catalog.FEATURE_NAMES:
        frame[name] = np.where(rng.uniform(size=rows) < 0.2, np.nan, rng.normal(size=rows))
    return frame


def test_the_dataset_fingerprint_depends_on_the_data_only():
    first, second = catalog.FEATURE_NAMES[:2]
    frame = _training_set()
    frame.loc[0, second] = 0.0
    # the same data in another row order, timestamp resolution, label dtype, NaN payload and sign of zero
    same = frame.copy()
    same.loc[0, second] = -0.0
    same[first] = same[first].where(same[first].notna(), -np.nan)
    same = same.sample(frac=1.0, random_state=1).reset_index(drop=True)
    same["sample_date"] = same["sample_date"].astype("datetime64[s]")
    same["label"] = same["label"].astype("float64")
    assert experiment.fingerprint(frame) == experiment.fingerprint(same)
    # one feature value one ulp away, or one label flipped, is different data
    changed = frame.copy()
    changed.loc[5, first] = (
        np.nextafter(changed.loc[5, first], np.inf) if np.isfinite(changed.loc[5, first]) else 1.0
    )
    assert experiment.fingerprint(changed) != experiment.fingerprint(frame)
    relabelled = frame.copy()
    relabelled.loc[3, "label"] = 1 - relabelled.loc[3, "label"]
    assert experiment.fingerprint(relabelled) != experiment.fingerprint(frame)
