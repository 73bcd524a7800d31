import hashlib
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


def _metadata(model) -> dict:
    metrics = {"test": {"auc": 0.6}, "validation": {"auc": 0.61}}
    return {
        "version": "v1",
        "created_at": "2026-01-01T00:00:00+00:00",
        "feature_names": NAMES,
        "label_definition": "test label",
        "base_rate_train": 0.2,
        "metrics": metrics,
        "parameters": model.params,
    }


def test_saved_artifacts_reload_to_the_same_probabilities(fitted, tmp_path):
    data, model = fitted
    training.save_model(model, tmp_path / "v1", _metadata(model))
    assert sorted(p.name for p in (tmp_path / "v1").iterdir()) == [
        "calibration.json",
        "metadata.json",
        "model.txt",
        "normalizer.json",
    ]
    assert (tmp_path / "v1" / "model.txt").read_text().startswith("tree")
    reloaded, metadata = training.load_model(tmp_path / "v1", training.metadata_sha256(tmp_path / "v1"))
    test = data[data.segment == "test"]
    assert np.max(np.abs(reloaded.predict_proba(test) - model.predict_proba(test))) <= 1e-9
    assert metadata["feature_names"] == NAMES


def test_metadata_records_every_files_sha256_and_loading_refuses_a_changed_file(fitted, tmp_path):
    _, model = fitted
    folder = training.save_model(
        model, tmp_path / "v1", _metadata(model), extra=lambda tmp: (tmp / "scores.parquet").write_bytes(b"x")
    )
    recorded = json.loads((folder / "metadata.json").read_text())["files"]
    # the files loading reads (the scores carry the version: two builds of one model would differ)
    assert set(recorded) == {"model.txt", "normalizer.json", "calibration.json"}
    for name, digest in recorded.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest
    registered = training.metadata_sha256(folder)

    text = (folder / "model.txt").read_text()
    (folder / "model.txt").write_text(text[: len(text) // 2])  # truncated: would crash LightGBM
    with pytest.raises(training.ModelError, match=r"model\.txt is not the file that was saved"):
        training.load_model(folder)
    (folder / "model.txt").write_text(text)
    training.load_model(folder, registered)  # restored: loads again

    meta = json.loads((folder / "metadata.json").read_text())
    (folder / "metadata.json").write_text(json.dumps({**meta, "base_rate_train": 0.3}))
    with pytest.raises(training.ModelError, match=r"metadata\.json changed since the model was registered"):
        training.load_model(folder, registered)


@pytest.mark.parametrize("drop", ["metrics", "base_rate_train", "feature_names"])
def test_metadata_without_what_serving_reads_is_refused_naming_the_file(fitted, tmp_path, drop):
    _, model = fitted
    folder = training.save_model(model, tmp_path / "v1", _metadata(model))
    meta = json.loads((folder / "metadata.json").read_text())
    del meta[drop]
    (folder / "metadata.json").write_text(json.dumps(meta))
    with pytest.raises(training.ModelError, match=rf"metadata\.json: lacks \['{drop}'\]"):
        training.load_model(folder)
    with pytest.raises(training.ModelError, match="lacks"):
        training.save_model(model, tmp_path / "v2", {k: v for k, v in _metadata(model).items() if k != drop})


def test_a_model_saved_before_hashes_were_recorded_still_loads(fitted, tmp_path, caplog):
    _, model = fitted
    folder = training.save_model(model, tmp_path / "v1", _metadata(model))
    meta = json.loads((folder / "metadata.json").read_text())
    del meta["files"]
    (folder / "metadata.json").write_text(json.dumps(meta))
    loaded, _ = training.load_model(folder)
    assert loaded.feature_names == NAMES and "unverified" in caplog.text
    # but a registry that recorded a hash never accepts a metadata.json without file hashes
    with pytest.raises(training.ModelError, match="records no file hashes"):
        training.load_model(folder, training.metadata_sha256(folder))


def test_a_garbage_model_txt_with_matching_hashes_is_a_model_error(fitted, tmp_path):
    _, model = fitted
    folder = training.save_model(model, tmp_path / "v1", _metadata(model))
    (folder / "model.txt").write_text("garbage\n")
    meta = json.loads((folder / "metadata.json").read_text())
    meta["files"]["model.txt"] = hashlib.sha256(b"garbage\n").hexdigest()
    (folder / "metadata.json").write_text(json.dumps(meta))
    with pytest.raises(training.ModelError, match=r"model\.txt is not a LightGBM model"):
        training.load_model(folder)


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
