import pandas as pd

from smart_money.features import catalog
from smart_money.modeling import tuning
from smart_money.modeling.training import ModelConfig


def test_time_folds_expand_in_order_and_are_embargoed(split_and_training_set):
    rows, data = split_and_training_set
    frame = data[data.segment != "test"].merge(rows[["symbol", "sample_date", "label_date"]])
    folds = tuning.time_folds(frame, 3)
    assert len(folds) == 3
    for fit, scored in folds:
        assert fit["sample_date"].max() < scored["sample_date"].min()
        assert (fit["label_date"] < scored["sample_date"].min()).all()
    assert [len(f) for f, _ in folds] == sorted(len(f) for f, _ in folds)


def test_tune_picks_the_best_mean_fold_auc(split_and_training_set):
    rows, data = split_and_training_set
    frame = data[data.segment != "test"].merge(rows[["symbol", "sample_date", "label_date"]])
    grid = {"num_leaves": [7, 31], "learning_rate": [0.05]}
    best, table = tuning.tune(frame, list(catalog.FEATURE_NAMES), ModelConfig(), grid=grid, n_folds=2)
    assert len(table) == 2 and table["mean_auc"].is_monotonic_decreasing
    assert best.num_leaves == int(table.iloc[0]["num_leaves"]) and isinstance(best.num_leaves, int)
    assert isinstance(table, pd.DataFrame) and all(len(a) == 2 for a in table["fold_aucs"])
