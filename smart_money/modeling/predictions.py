"""Conviction predictions: calibrated probability, 0-100 scores, confidence and reasons in words.

``ml_score`` maps the calibrated probability onto 0-100 with 50 at the train base rate (the average chance of
the labelled move), so 50 means "no view" for the model as for the rules. ``conviction_score`` is
``0.6 × rules_score + 0.4 × ml_score`` (the rules score alone without a model) and the call is BULLISH at 50
or above. Confidence (README: Predictions):

- HIGH: the model's lift (probability / base rate) is at least 2 for a bullish call or at most 0.5 for a
  bearish one, at least two categories point the same way and none the other way;
- MEDIUM: lift at least 1.25 (bullish) or at most 0.8 (bearish) and no more categories against than for,
  or three categories for and none against;
- LOW: everything else. Without a model the lift conditions are left out (HIGH needs three categories for
  and none against, MEDIUM two).

Reasons come in two kinds that can disagree. A model reason is one feature's SHAP contribution to *this*
row's log-odds: it says whether that feature, as the model weighs it beside every other feature against the
whole market, raises or lowers this prediction's probability. A rule reason is one category read on its own
(``rules.rule_reasons``). So ``insider_buy_ratio_30d = 0.3333`` can raise the model's probability while the
insider rule calls the same ratio bearish.
"""

import numpy as np
import pandas as pd

from smart_money.modeling import rules
from smart_money.modeling.training import FittedModel

RULES_ONLY_VERSION = "rules-only"
HIGH_LIFT, MEDIUM_LIFT = 2.0, 1.25
TOP_CONTRIBUTIONS = 3
MODEL_CODE_PREFIX = "SHAP"  # a model reason's code: SHAP+<feature> or SHAP-<feature>; the rest are rule codes


def ml_score(probability: np.ndarray, base_rate: float) -> np.ndarray:
    """0-100 with 50 at the base rate: linear from 0 to the base rate, then from the base rate to 1."""
    p = np.clip(np.asarray(probability, float), 0.0, 1.0)
    b = float(np.clip(base_rate, 1e-6, 1 - 1e-6))
    return np.where(p <= b, 50.0 * p / b, 50.0 + 50.0 * (p - b) / (1.0 - b))


def confidence(
    bullish: np.ndarray, lift: np.ndarray | None, agree: np.ndarray, oppose: np.ndarray
) -> np.ndarray:
    """HIGH / MEDIUM / LOW from the model's lift and the agreement of the four categories."""
    if lift is None:
        high = (agree >= 3) & (oppose == 0)
        medium = (agree >= 2) & (oppose == 0)
    else:
        strong = np.where(bullish, lift >= HIGH_LIFT, lift <= 1 / HIGH_LIFT)
        moderate = np.where(bullish, lift >= MEDIUM_LIFT, lift <= 1 / MEDIUM_LIFT)
        high = strong & (agree >= 2) & (oppose == 0)
        medium = (moderate & (agree >= oppose)) | ((agree >= 3) & (oppose == 0))
    return np.select([high, medium], ["HIGH", "MEDIUM"], "LOW")


def direction(contribution: float) -> str:
    """How a feature's contribution pushes this prediction: ``raises``, ``lowers`` or ``does not move``."""
    return "raises" if contribution > 0 else "lowers" if contribution < 0 else "does not move"


def describe(feature: str, value: float, contribution: float) -> str:
    """A model reason in words, with the direction it pushes this prediction's probability."""
    shown = "missing" if not np.isfinite(value) else f"{value:.4g}"
    effect = direction(contribution)
    if effect == "does not move":
        return f"{feature} = {shown} does not move this prediction's probability"
    return f"{feature} = {shown} {effect} this prediction's probability ({contribution:+.2f} log-odds)"


def model_reason(feature: str, value: float, contribution: float) -> dict:
    """One model reason as the API shows it: the feature, its value, its SHAP contribution (log-odds), the
    direction and the words."""
    return {
        "feature": feature,
        "value": None if not np.isfinite(value) else value,
        "contribution": round(float(contribution), 6),
        "direction": direction(contribution),
        "text": describe(feature, value, contribution),
    }


def top_contributions(contributions: np.ndarray, k: int = TOP_CONTRIBUTIONS) -> np.ndarray:
    """Per row, the indices of the ``k`` largest contributions by size (ties: the earlier feature)."""
    return np.argsort(-np.abs(contributions), axis=1, kind="stable")[:, :k]


def predict(
    features: pd.DataFrame,
    model: FittedModel | None,
    base_rate: float | None,
    model_version: str,
    contributions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One prediction per features row (symbol, sample_date, source and the catalog features).

    ``contributions``: the model's SHAP values for ``features`` when the caller has them already (the
    server needs them too), else they are computed here."""
    signals = rules.category_signals(features)
    directions = rules.signal_directions(signals)
    if model is None:
        probability = np.full(len(features), np.nan)
        ml = None
        lift = None
        contributions = None
    else:
        probability = model.predict_proba(features)
        ml = ml_score(probability, base_rate)
        lift = probability / base_rate
        contributions = model.contributions(features) if contributions is None else contributions
    combined = rules.combined_score(signals["rules_score"].to_numpy(), ml)
    bullish = combined["conviction_score"].to_numpy() >= 50
    sign = np.where(bullish, 1, -1)[:, None]
    agree = (directions.to_numpy() * sign > 0).sum(axis=1)
    oppose = (directions.to_numpy() * sign < 0).sum(axis=1)
    reasons, codes = [], []
    if contributions is not None:  # vectorized: this runs for every row the API serves
        contribution_values = contributions.to_numpy()
        names = list(contributions.columns)
        feature_values = features[names].to_numpy(float)
        top = top_contributions(contribution_values)
    for i, row_codes in enumerate(signals["reason_codes"].tolist()):
        words = []
        shap_codes = []
        if contributions is not None:
            for j in top[i]:
                value = float(contribution_values[i, j])
                words.append(describe(names[j], float(feature_values[i, j]), value))
                shap_codes.append(f"{MODEL_CODE_PREFIX}{'+' if value > 0 else '-'}{names[j]}")
        words += rules.reason_text(row_codes)
        reasons.append(" | ".join(words) if words else "no smart-money activity on record")
        codes.append(";".join([*shap_codes, row_codes]))
    return pd.DataFrame(
        {
            "symbol": features["symbol"].to_numpy(),
            "sample_date": pd.to_datetime(features["sample_date"]).to_numpy(),
            "model_version": model_version,
            "probability": probability,
            "ml_score": np.full(len(features), np.nan) if ml is None else ml,
            "rules_score": signals["rules_score"].to_numpy(),
            "conviction_score": combined["conviction_score"].to_numpy(),
            "rules_contribution": combined["rules_contribution"].to_numpy(),
            "ml_contribution": combined["ml_contribution"].to_numpy(),
            "confidence": confidence(bullish, lift, agree, oppose),
            "predicted_conviction": np.where(bullish, "BULLISH", "BEARISH"),
            "insider_activity": signals["insider_activity"].to_numpy(),
            "institutional_flow": signals["institutional_flow"].to_numpy(),
            "congressional_sentiment": signals["congressional_sentiment"].to_numpy(),
            "hedge_fund_positioning": signals["hedge_fund_positioning"].to_numpy(),
            "top_reasons": reasons,
            "reason_codes": codes,
            "source": features["source"].to_numpy() if "source" in features else "unknown",
        }
    )
