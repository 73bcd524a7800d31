"""Load a model in a child process before the server loads it: a malformed model.txt can crash LightGBM
(a segfault or an abort, which no ``except`` catches), and then only the child dies.

The child verifies the folder (``training.read_model_files``), checks that model.txt is the file the parent
hashed, builds the model and scores one row of missing values and one of zeros, with SHAP values. The
verdict is cached per (folder, SHA-256 of model.txt and metadata.json), so a model is checked once per
process; the check costs about 0.4 s (a Python start, LightGBM's import and one load).

Run as ``python -m smart_money.serve.model_check <folder> <model.txt sha256> <metadata.json sha256>``;
it prints ``ok`` and exits 0, or prints the reason and exits 1.
"""

import logging
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

log = logging.getLogger(__name__)

CHECK_TIMEOUT_S = 60.0
_verdicts: dict[tuple[str, str, str], str | None] = {}  # key -> None (loads) or the reason it does not
_lock = threading.Lock()


def _package_root() -> str:
    import smart_money

    return str(Path(smart_money.__file__).resolve().parent.parent)


def check(folder: Path, model_sha256: str, metadata_sha256: str) -> str | None:
    """None when the model in ``folder`` loads and predicts in a child process, else why not (cached)."""
    key = (str(Path(folder).resolve()), model_sha256, metadata_sha256)
    with _lock:
        if key in _verdicts:
            return _verdicts[key]
        verdict = _run_child(Path(folder), model_sha256, metadata_sha256)
        _verdicts[key] = verdict
        return verdict


def _run_child(folder: Path, model_sha256: str, metadata_sha256: str) -> str | None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_package_root(), env.get("PYTHONPATH")) if p)
    command = [sys.executable, "-m", __name__, str(folder), model_sha256, metadata_sha256]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, errors="replace", timeout=CHECK_TIMEOUT_S, env=env
        )
    except subprocess.TimeoutExpired:
        return f"loading {folder / 'model.txt'} in a child process took over {CHECK_TIMEOUT_S:.0f}s"
    except OSError as exc:
        return f"could not start a child process to check {folder} ({exc})"
    if done.returncode == 0 and done.stdout.strip().endswith("ok"):
        return None
    if done.returncode < 0:
        try:
            name = signal.Signals(-done.returncode).name
        except ValueError:
            name = f"signal {-done.returncode}"
        return f"LightGBM crashed ({name}) loading {folder / 'model.txt'}: the file is damaged"
    # the verdict is the child's last line on stdout (LightGBM's own messages come before it)
    lines = [line for line in (done.stderr + "\n" + done.stdout).splitlines() if line.strip()]
    reason = lines[-1] if lines else f"exit code {done.returncode}"
    return f"the model in {folder} does not load: {reason[:300]}"


def _child(folder: Path, model_sha256: str, metadata_sha256: str) -> None:
    sys.modules.setdefault("sklearn", None)  # as `smart-money serve`: only the Booster is needed
    import numpy as np
    import pandas as pd

    from smart_money.modeling import training

    files = training.read_model_files(folder)
    for name, expected in ((training.MODEL_FILE, model_sha256), (training.METADATA_FILE, metadata_sha256)):
        if files.sha256[name] != expected:
            raise training.ModelError(f"{folder / name} changed while it was being checked")
    model = training.model_from_files(files)
    frame = pd.DataFrame(
        [[np.nan] * len(model.feature_names), [0.0] * len(model.feature_names)], columns=model.feature_names
    )
    probability = model.predict_proba(frame)
    shap = model.contributions(frame).to_numpy()
    if not (np.all(np.isfinite(probability)) and np.all((probability >= 0) & (probability <= 1))):
        raise training.ModelError(f"{folder}: probabilities {probability.tolist()} are not in [0, 1]")
    if not np.all(np.isfinite(shap)):
        raise training.ModelError(f"{folder}: SHAP values are not finite")


def main(argv: list[str]) -> int:
    folder, model_sha256, metadata_sha256 = Path(argv[0]), argv[1], argv[2]
    try:
        _child(folder, model_sha256, metadata_sha256)
    except Exception as exc:  # the verdict: whatever goes wrong, the parent gets one line naming it
        print(f"{type(exc).__name__}: {exc}".replace("\n", " "))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
