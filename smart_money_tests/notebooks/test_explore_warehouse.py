"""notebooks/explore_warehouse.ipynb runs top to bottom on a built warehouse (nbclient, a real kernel)."""

from pathlib import Path

import duckdb
import nbformat
from nbclient import NotebookClient

from smart_money.warehouse import Warehouse

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "explore_warehouse.ipynb"


def test_the_notebook_runs_and_shows_every_section(built_default_market, monkeypatch):
    data_dir = built_default_market["data_dir"]
    monkeypatch.setenv("SMART_MONEY_DATA_DIR", str(data_dir))
    monkeypatch.delenv("SMART_MONEY_NOTEBOOK_SYMBOL", raising=False)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in notebook.cells if c.cell_type == "code")  # committed clean
    NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    ).execute()  # raises CellExecutionError (with the cell and traceback) if any cell fails

    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    text = "\n".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", "")) for o in outputs)
    assert len(images) == 4  # feature histograms, label balance, one symbol's insiders, deciles
    assert "SYNTHETIC DATA" in text
    assert "partitions verified (SHA-256)" in text
    assert "predictions with a known outcome" in text and "insider trades" in text
    # the notebook released its read-only connection: a writer can lock the catalog again
    with duckdb.connect(str(Warehouse(data_dir).catalog_path)) as writer:
        writer.execute("select 1")
