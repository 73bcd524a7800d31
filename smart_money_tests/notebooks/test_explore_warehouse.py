"""notebooks/explore_warehouse.ipynb runs top to bottom on a built warehouse (nbclient, a real kernel), its
deciles rank the uncalibrated model score, and no legend covers a bar or a line once the figures are
drawn."""

import io
import json
import os
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import httpx
import nbformat
import pandas as pd
from nbclient import NotebookClient

from smart_money.warehouse import Warehouse

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "explore_warehouse.ipynb"
# Every figure the notebook draws, by the name it keeps it under.
FIGURES = ("features_fig", "balance_fig", "insider_fig", "decile_fig", "track_fig")
BAR_CHARTS = FIGURES[:4]
MIN_LEGEND_POINTS = 11

# Run in the notebook's kernel after its last cell: for every legend of every figure, the bars and line
# points it overlaps in display coordinates, once the figure is drawn.
LAYOUT_PROBE = """
import json as _json
import numpy as _np
from matplotlib.backends.backend_agg import FigureCanvasAgg as _Canvas
from matplotlib.patches import Rectangle as _Rectangle

def _overlaps(fig):
    canvas = _Canvas(fig)  # the inline backend closed the figure once shown: draw it again, the same way
    canvas.draw()
    renderer = canvas.get_renderer()
    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    report = {"legends": len(legends), "bars": 0, "lines": 0, "covered": [], "font_sizes": []}
    for ax in fig.axes:
        report["bars"] += sum(1 for p in ax.patches if isinstance(p, _Rectangle) and p.get_height())
        report["lines"] += len(ax.lines)
    for legend in legends:
        box = legend.get_window_extent(renderer)
        report["font_sizes"] += [t.get_fontsize() for t in legend.get_texts()]
        for ax in fig.axes:
            for patch in ax.patches:
                if not (isinstance(patch, _Rectangle) and patch.get_height()):
                    continue
                bar = patch.get_window_extent(renderer)
                width = min(box.x1, bar.x1) - max(box.x0, bar.x0)
                height = min(box.y1, bar.y1) - max(box.y0, bar.y0)
                if width > 0 and height > 0:
                    report["covered"].append(f"bar {patch.get_label() or ''} at {bar.bounds}")
            for line in ax.lines:
                x, y = line.get_transform().transform(_np.asarray(line.get_xydata(), float)).T
                inside = (x >= box.x0) & (x <= box.x1) & (y >= box.y0) & (y <= box.y1)
                if inside.any():
                    report["covered"].append(f"line {line.get_label()}: {int(inside.sum())} points")
    return report

print("LAYOUT " + _json.dumps({name: _overlaps(globals()[name]) for name in FIGURES}))
print("DECILES " + deciles.to_json(double_precision=15))
""".replace("FIGURES", repr(FIGURES))


def _deciles(scores: pd.DataFrame, score: str) -> pd.DataFrame:
    """Hit rate and rows by decile of ``score`` within each test month, tied scores on one average rank."""
    test = scores[scores["segment"] == "test"].copy()
    test["decile"] = test.groupby("sample_date")[score].transform(
        lambda s: pd.qcut(s.rank(method="average"), 10, labels=False, duplicates="drop") + 1
    )  # the calibrated probability's long ties merge deciles; the raw score's few ties never do
    return test.groupby("decile").agg(hit_rate=("label", "mean"), rows=("label", "size"))


def test_the_notebook_runs_and_shows_every_section(track_record_market, monkeypatch):
    built_default_market = track_record_market["market"]
    data_dir = track_record_market["data_dir"]
    monkeypatch.setenv("SMART_MONEY_DATA_DIR", str(data_dir))
    monkeypatch.delenv("SMART_MONEY_NOTEBOOK_SYMBOL", raising=False)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in notebook.cells if c.cell_type == "code")  # committed clean
    notebook.cells.append(nbformat.v4.new_code_cell(LAYOUT_PROBE))
    NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    ).execute()  # raises CellExecutionError (with the cell and traceback) if any cell fails

    *cells, probe = [c for c in notebook.cells if c.cell_type == "code"]
    outputs = [o for c in cells for o in c.outputs]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    text = "\n".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", "")) for o in outputs)
    assert len(images) == 5  # feature histograms, label balance, one symbol's insiders, deciles, track record
    assert "SYNTHETIC DATA" in text
    assert "partitions verified (SHA-256)" in text
    assert "predictions with a known outcome" in text and "insider trades" in text
    assert "share their raw score with another row of their month (kept in one decile)" in text

    lines = "".join(o.get("text", "") for o in probe.outputs).splitlines()
    layout = json.loads(next(line for line in lines if line.startswith("LAYOUT "))[len("LAYOUT ") :])
    assert layout["insider_fig"]["legends"] == 1 and layout["decile_fig"]["legends"] == 1
    assert layout["track_fig"]["legends"] == 1 and layout["track_fig"]["lines"] >= 3
    live = track_record_market["warehouse"].query("select * from prediction_outcomes where not in_sample")
    assert f"live track record: {len(live):,} scored predictions" in text
    for name, figure in layout.items():
        assert figure["covered"] == [], f"{name}: the legend covers {figure['covered']}"
        assert all(size >= MIN_LEGEND_POINTS for size in figure["font_sizes"]), (name, figure["font_sizes"])
    # the check saw the data it guards: bars in every bar chart, the price line in the insider chart
    assert min(layout[n]["bars"] for n in BAR_CHARTS) > 0 and layout["insider_fig"]["lines"] >= 1

    # deciles of the uncalibrated score within each month, not of the calibrated probability
    shown = pd.read_json(io.StringIO(next(line for line in lines if line.startswith("DECILES "))[8:]))
    scores = built_default_market["scores"]
    expected = _deciles(scores, "raw_score")
    assert shown.index.tolist() == list(range(1, 11))
    assert shown["rows"].tolist() == expected["rows"].tolist()
    assert (shown["hit_rate"] - expected["hit_rate"]).abs().max() < 1e-12
    calibrated = _deciles(scores, "probability")  # what the notebook must not show
    assert not calibrated.equals(expected)

    # the notebook released its read-only connection: a writer can lock the catalog again
    with duckdb.connect(str(Warehouse(data_dir).catalog_path)) as writer:
        writer.execute("select 1")


def test_make_notebook_serves_the_notebook_in_jupyterlab(tmp_path):
    """`make notebook` runs JupyterLab from the environment's dev extra on the notebook: the server it starts
    answers with JupyterLab and the notebook's contents."""
    root = NOTEBOOK.parents[1]
    bin_dir = Path(sys.executable).parent
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    token = "notebook-test"
    args = f"--no-browser --port={port} --IdentityProvider.token={token}"
    # the command `make notebook` runs, with this environment's bin folder and without reinstalling it
    command = subprocess.run(
        ["make", "-s", "-n", "-o", ".venv/.installed", "notebook", f"BIN={bin_dir}", f"NOTEBOOK_ARGS={args}"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    as_root = "--allow-root " if os.geteuid() == 0 else ""  # Jupyter refuses root without it
    assert command == f"{bin_dir}/jupyter lab {as_root}{args} notebooks/explore_warehouse.ipynb"
    environment = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
    }
    server = subprocess.Popen(
        shlex.split(command), cwd=root, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stderr.read().decode()[-2000:]
            try:
                lab = httpx.get(f"{base}/lab?token={token}", timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "JupyterLab did not answer within 60 s"
                time.sleep(0.5)
        assert lab.status_code == 200 and "JupyterLab" in lab.text
        auth = {"Authorization": f"token {token}"}
        # given a file, JupyterLab serves its folder and opens the file
        contents = httpx.get(f"{base}/api/contents/{NOTEBOOK.name}", headers=auth)
        assert contents.status_code == 200
        first = contents.json()["content"]["cells"][0]["source"]
        assert first.startswith("# Explore the smart-money warehouse")
        kernels = httpx.get(f"{base}/api/kernelspecs", headers=auth, timeout=10)
        assert "python3" in kernels.json()["kernelspecs"]
    finally:
        server.terminate()
        server.wait(timeout=30)
