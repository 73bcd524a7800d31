"""Probability calibration fit on the validation segment only: isotonic (default) or Platt.

``class_weight='balanced'`` trains LightGBM as if half the rows were positive, so its raw scores rank well
but overstate the probability of a rare move. Calibration maps them to observed frequencies. Both methods
store their few parameters as JSON and predict with NumPy, so a reloaded calibrator is exact.
"""

import json
from pathlib import Path

import numpy as np

METHODS = ("isotonic", "platt", "none")
_EPS = 1e-6


class Calibrator:
    """Maps raw model scores in [0, 1] to calibrated probabilities."""

    def __init__(self, method: str = "isotonic"):
        if method not in METHODS:
            raise ValueError(f"calibration method {method!r} is not one of {METHODS}")
        self.method = method

    def fit(self, scores: np.ndarray, labels: np.ndarray) -> "Calibrator":
        scores, labels = np.asarray(scores, float), np.asarray(labels, float)
        if self.method == "isotonic":
            from sklearn.isotonic import IsotonicRegression

            iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(scores, labels)
            self.x_ = np.asarray(iso.X_thresholds_, float)
            self.y_ = np.asarray(iso.y_thresholds_, float)
        elif self.method == "platt":
            from sklearn.linear_model import LogisticRegression

            logit = _logit(scores).reshape(-1, 1)
            fit = LogisticRegression(C=1e6, max_iter=1000).fit(logit, labels.astype(int))
            self.a_, self.b_ = float(fit.coef_[0, 0]), float(fit.intercept_[0])
        return self

    def predict(self, scores: np.ndarray) -> np.ndarray:
        scores = np.asarray(scores, float)
        if self.method == "isotonic":
            return np.interp(scores, self.x_, self.y_)
        if self.method == "platt":
            return 1.0 / (1.0 + np.exp(-(self.a_ * _logit(scores) + self.b_)))
        return scores

    def to_dict(self) -> dict:
        data: dict = {"method": self.method, "fit_on": "validation segment"}
        if self.method == "isotonic":
            data.update(x=self.x_.tolist(), y=self.y_.tolist())
        elif self.method == "platt":
            data.update(a=self.a_, b=self.b_, input="logit of the raw score")
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Calibrator":
        calibrator = cls(data["method"])
        if calibrator.method == "isotonic":
            calibrator.x_, calibrator.y_ = np.array(data["x"], float), np.array(data["y"], float)
        elif calibrator.method == "platt":
            calibrator.a_, calibrator.b_ = float(data["a"]), float(data["b"])
        return calibrator

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict()))

    @classmethod
    def load(cls, path: Path) -> "Calibrator":
        return cls.from_dict(json.loads(path.read_text()))


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _EPS, 1 - _EPS)
    return np.log(p / (1 - p))
