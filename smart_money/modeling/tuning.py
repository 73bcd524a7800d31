"""Optional hyperparameter search over time-series folds of train + validation (never test).

Folds are expanding windows over sample months: fold k trains on the first k blocks and scores the next
block, dropping training rows whose label window reaches the scored block (the same embargo as the split).
``DEFAULT_GRID`` is the search space unless one is given (README: The model); the best mean fold AUC wins.
"""

import itertools
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd

from smart_money import timeline
from smart_money.modeling.evaluation import auc
from smart_money.modeling.training import ModelConfig, train

DEFAULT_GRID: dict[str, list] = {
    "learning_rate": [0.01, 0.05, 0.1],
    "max_depth": [4, 6, 8],
    "num_leaves": [31, 50, 75],
    "n_estimators": [100, 200, 300],
}


def time_folds(frame: pd.DataFrame, n_folds: int) -> list[tuple[pd.DataFrame, pd.DataFrame]]:
    """Expanding-window (fit, score) pairs by sample month, embargoed by label date."""
    months = np.sort(timeline.month_starts(frame["sample_date"]).unique())
    if len(months) < n_folds + 1:
        raise ValueError(f"{len(months)} months cannot make {n_folds} time folds; use fewer folds")
    blocks = np.array_split(months, n_folds + 1)
    month_of = timeline.month_starts(frame["sample_date"])
    folds = []
    for k in range(1, n_folds + 1):
        scored = frame[month_of.isin(blocks[k])]
        start = scored["sample_date"].min()
        fit = frame[month_of.isin(np.concatenate(blocks[:k])) & (frame["label_date"] < start)]
        folds.append((fit, scored))
    return folds


def tune(
    frame: pd.DataFrame,
    feature_names: list[str],
    base: ModelConfig,
    grid: dict[str, list] | None = None,
    n_folds: int = 3,
    log: Callable[[str], None] = lambda _: None,
) -> tuple[ModelConfig, pd.DataFrame]:
    """Best config by mean fold AUC (uncalibrated) and the table of every candidate's fold scores.

    ``frame`` holds train + validation rows with features, label and label_date. Inside each fold the
    last month of the fitting window serves as early-stopping data (embargoed the same way).
    """
    grid = grid or DEFAULT_GRID
    keys = list(grid)
    records = []
    folds = time_folds(frame, n_folds)
    candidates = list(itertools.product(*(grid[k] for k in keys)))
    for i, values in enumerate(candidates, 1):
        config = replace(base, **dict(zip(keys, values, strict=True)))
        scores = []
        for fit, scored in folds:
            stop_month = timeline.month_starts(fit["sample_date"]).max()
            stop = fit[timeline.month_starts(fit["sample_date"]) == stop_month]
            inner = fit[
                (timeline.month_starts(fit["sample_date"]) < stop_month)
                & (fit["label_date"] < stop["sample_date"].min())
            ]
            model = train(inner, stop, feature_names, replace(config, calibration="none"))
            scores.append(auc(scored["label"].to_numpy(), model.raw_score(scored)))
        records.append(
            {
                **dict(zip(keys, values, strict=True)),
                "mean_auc": float(np.mean(scores)),
                "fold_aucs": [round(s, 4) for s in scores],
            }
        )
        log(
            f"tuning {i}/{len(candidates)}: {dict(zip(keys, values, strict=True))} "
            f"mean AUC {np.mean(scores):.4f}"
        )
    table = pd.DataFrame.from_records(records).sort_values("mean_auc", ascending=False).reset_index(drop=True)
    best = {k: table.iloc[0][k] for k in keys}
    best = {k: (int(v) if isinstance(grid[k][0], int) else float(v)) for k, v in best.items()}
    return replace(base, **best), table
