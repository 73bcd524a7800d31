"""Imputation and scaling fit on the training segment only, applied identically at inference.

Median imputation then z-scoring, per feature. Parameters are plain numbers saved as JSON next to the model,
so a served prediction transforms features exactly as training did.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd


class Normalizer:
    """Per-feature median imputation and z-score (scikit-learn style: learned state ends in ``_``)."""

    def __init__(self, feature_names: list[str]):
        self.feature_names = list(feature_names)

    def fit(self, frame: pd.DataFrame) -> "Normalizer":
        values = self._matrix(frame)
        medians = np.nanmedian(np.where(np.isnan(values).all(axis=0), 0.0, values), axis=0)
        medians = np.where(np.isnan(medians), 0.0, medians)  # a feature that is all NaN imputes to 0
        filled = np.where(np.isnan(values), medians, values)
        std = filled.std(axis=0)
        self.medians_ = medians
        self.means_ = filled.mean(axis=0)
        self.stds_ = np.where(std > 0, std, 1.0)
        self.missing_share_ = np.isnan(values).mean(axis=0)
        return self

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        values = self._matrix(frame)
        filled = np.where(np.isnan(values), self.medians_, values)
        return (filled - self.means_) / self.stds_

    def _matrix(self, frame: pd.DataFrame) -> np.ndarray:
        missing = [c for c in self.feature_names if c not in frame.columns]
        if missing:
            raise KeyError(f"features frame lacks columns {missing} the model was trained on")
        return frame[self.feature_names].to_numpy(dtype="float64", na_value=np.nan)

    def to_dict(self) -> dict:
        return {
            "method": "median imputation, then z-score; fit on the train segment only",
            "features": {
                name: {
                    "median": float(self.medians_[i]),
                    "mean": float(self.means_[i]),
                    "std": float(self.stds_[i]),
                    "train_missing_share": float(self.missing_share_[i]),
                }
                for i, name in enumerate(self.feature_names)
            },
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Normalizer":
        names = list(data["features"])
        normalizer = cls(names)
        params = data["features"]
        normalizer.medians_ = np.array([params[n]["median"] for n in names])
        normalizer.means_ = np.array([params[n]["mean"] for n in names])
        normalizer.stds_ = np.array([params[n]["std"] for n in names])
        normalizer.missing_share_ = np.array([params[n]["train_missing_share"] for n in names])
        return normalizer

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), indent=2))

    @classmethod
    def load(cls, path: Path) -> "Normalizer":
        return cls.from_dict(json.loads(path.read_text()))
