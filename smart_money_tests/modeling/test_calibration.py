import json

import numpy as np
import pytest

from smart_money.modeling.calibration import Calibrator


@pytest.fixture(scope="module")
def overconfident():
    """Scores centred on 0.5 for a 20% event, as balanced class weights produce."""
    rng = np.random.default_rng(0)
    truth = rng.uniform(0.02, 0.5, 4000)
    labels = (rng.uniform(size=4000) < truth).astype(int)
    scores = np.clip(truth + 0.3, 0, 1)
    return scores, labels


@pytest.mark.parametrize("method", ["isotonic", "platt"])
def test_calibration_lowers_brier_and_reloads_exactly(method, overconfident):
    scores, labels = overconfident
    calibrator = Calibrator(method).fit(scores, labels)
    calibrated = calibrator.predict(scores)
    assert np.mean((calibrated - labels) ** 2) < np.mean((scores - labels) ** 2) - 0.05
    assert abs(calibrated.mean() - labels.mean()) < 0.01
    assert np.all(np.diff(calibrator.predict(np.linspace(0, 1, 50))) >= 0)  # monotone: ranking kept
    again = Calibrator.from_dict(json.loads(json.dumps(calibrator.to_dict())))
    assert np.array_equal(again.predict(scores), calibrated)


def test_unknown_method_is_a_clear_error():
    with pytest.raises(ValueError, match="calibration method 'sigmoid'"):
        Calibrator("sigmoid")
