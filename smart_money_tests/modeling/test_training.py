import json

import numpy as np
import pytest

from smart_money.features import catalog
from smart_money.modeling import training
from smart_money.modeling.normalizer import Normalizer

NAMES = list(catalog.FEATURE_NAMES)


@pytest.fixture(scope="module")
def fitted(split_and_training_set):
    _, data = split_and_training_set
    train, validation = data[data.segment == "train"], data[data.segment == "validation"]
    return data, training.train(train, validation, NAMES)


def test_calibration_lowers_validation_and_test_brier(fitted):
    data, model = fitted
    for segment in ("validation", "test"):  # validation: where it is fit; test: out of sample
        part = data[data.segment == segment]
        y = part["label"].to_numpy()
        raw = np.mean((model.raw_score(part) - y) ** 2)
        calibrated = np.mean((model.predict_proba(part) - y) ** 2)
        assert calibrated < raw - 0.01, segment  # balanced weights overstate a ~19% event


def test_saved_artifacts_reload_to_the_same_probabilities(fitted, tmp_path):
    data, model = fitted
    training.save_model(model, tmp_path / "v1", {"feature_names": NAMES, "parameters": model.params})
    assert sorted(p.name for p in (tmp_path / "v1").iterdir()) == [
        "calibration.json",
        "metadata.json",
        "model.txt",
        "normalizer.json",
    ]
    assert (tmp_path / "v1" / "model.txt").read_text().startswith("tree")
    reloaded, metadata = training.load_model(tmp_path / "v1")
    test = data[data.segment == "test"]
    assert np.max(np.abs(reloaded.predict_proba(test) - model.predict_proba(test))) <= 1e-9
    assert metadata["feature_names"] == NAMES


def test_normalizer_is_fit_on_train_only(fitted):
    data, model = fitted
    train = data[data.segment == "train"]
    assert np.allclose(model.normalizer.medians_, np.nan_to_num(train[NAMES].median().to_numpy()))
    # Training again with wild validation values changes the model's early stopping and calibration,
    # but not the normalizer: it never sees validation.
    shifted = data[data.segment == "validation"].copy()
    shifted[NAMES] = shifted[NAMES] * 1e3 + 1e6
    again = training.train(train, shifted, NAMES)
    assert np.array_equal(again.normalizer.medians_, model.normalizer.medians_)
    assert np.array_equal(again.normalizer.means_, model.normalizer.means_)
    assert np.array_equal(again.normalizer.stds_, model.normalizer.stds_)
    roundtrip = Normalizer.from_dict(json.loads(json.dumps(model.normalizer.to_dict())))
    assert np.array_equal(roundtrip.transform(data), model.normalizer.transform(data))


def test_missing_feature_column_is_a_clear_error(fitted):
    data, model = fitted
    with pytest.raises(KeyError, match="volatility_30d"):
        model.predict_proba(data.drop(columns=["volatility_30d"]))


def test_a_segment_with_one_class_is_refused(split_and_training_set):
    _, data = split_and_training_set
    train = data[data.segment == "train"]
    with pytest.raises(ValueError, match="validation segment .* both classes"):
        training.train(train, train[train.label == 0], NAMES)
