"""Rules for the six profiles: probability, direction, confidence band, reason codes and suppression reasons
per event, and abstention when no profile clears ``PRIMARY_THRESHOLD``.

Each profile is a list of weighted pieces of evidence. Its probability is the weight share of the evidence
present, times the multipliers of the guards that fire (each guard adds a suppression reason). Required
evidence caps the probability at ``MISSING_REQUIRED_CAP`` when absent. Everything is vectorized over events.

False-positive guards (README: Options flow):
- auction, cross, complex, late or out-of-sequence prints never read as directional (``SPECIAL_PRINT``);
- stale quotes and illiquid wide spreads make the aggressor side unreliable (``STALE_QUOTE``,
  ``WIDE_SPREAD``);
- short-dated OTM call frenzies in small lots are retail, not institutional (``RETAIL_PATTERN``);
- hedge_reactive needs 0-2 DTE at the money with a move of the underlying;
- arbitrage needs matched legs and near-flat net delta;
- structures (vertical, straddle, roll, box, 0DTE gamma punch) are reasons, never profiles.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from smart_money.options_flow.contracts import PROFILES

PRIMARY_THRESHOLD = 0.6
MISSING_REQUIRED_CAP = 0.2
BANDS = ((0.85, "high"), (0.7, "medium"))
DIRECTIONAL = ("institutional_directional", "retail_whale", "event_driven")

# thresholds (README: Options flow)
AGGRESSIVE_SHARE = 0.6
LARGE_PREMIUM = 100_000.0
MEANINGFUL_PREMIUM = 25_000.0
MANY_PRINTS = 8
MIN_BURST = 3  # an event bet is a burst of prints, not one print that happens to expire after an event
STALE_QUOTE_MS = 2_000.0
WIDE_SPREAD = 0.25  # of the mid, and
WIDE_SPREAD_ABS = 0.10  # dollars: a cheap option's one- or two-cent spread is not illiquidity
RETAIL_DTE = 7
INSTITUTIONAL_MIN_DTE = 14
RETAIL_LOT = 200.0
EVENT_WINDOW_DAYS = 10
EVENT_EXPIRY_DAYS = 14
FLAT_DELTA = 0.1
HEDGE_MOVE = 0.005
ATM = 0.01
DIRECTION_BIAS = 0.3


@dataclass(frozen=True)
class Evidence:
    code: str
    weight: float
    required: bool = False


def _evidence(f: pd.DataFrame) -> dict[str, dict[str, np.ndarray]]:
    """Boolean evidence per profile, keyed by reason code."""
    buyer = f["buy_share"].to_numpy() >= AGGRESSIVE_SHARE
    seller = f["sell_share"].to_numpy() >= AGGRESSIVE_SHARE
    dte = f["dte"].to_numpy()
    otm = f["moneyness"].to_numpy()
    calls = f["call_share"].to_numpy() >= 0.8
    single = f["n_legs"].to_numpy() == 1
    multi = ~single
    to_event = f["days_to_event"].to_numpy()
    after_event = f["expiry_after_event_days"].to_numpy()
    aligned = (to_event <= EVENT_WINDOW_DAYS) & (after_event >= 0) & (after_event <= EVENT_EXPIRY_DAYS)
    move = f["underlying_move"].to_numpy()
    delta = f["net_delta"].to_numpy()
    return {
        "institutional_directional": {
            "AGGRESSIVE_BUYER": buyer,
            "LARGE_PREMIUM": f["premium"].to_numpy() >= LARGE_PREMIUM,
            "DTE_21_180": (dte >= 21) & (dte <= 180),
            "NEAR_OTM": (otm >= -0.02) & (otm <= 0.10),
            "MULTI_VENUE_SWEEP": (f["venue_count"].to_numpy() >= 3)
            & (f["inter_fill_ms"].fillna(1e9).to_numpy() <= 250),
            "CONCENTRATED_STRIKE": single & (f["strike_concentration"].to_numpy() >= 0.9),
        },
        "retail_whale": {
            "SHORT_DATED": dte <= RETAIL_DTE,
            "OTM_CALLS": calls & (otm >= 0.04),
            "AGGRESSIVE_BUYER": buyer,
            "SMALL_LOTS": f["avg_size"].to_numpy() <= RETAIL_LOT,
            "IV_POP": f["iv_shock"].to_numpy() >= 0.03,
            "MANY_PRINTS": f["n_prints"].to_numpy() >= MANY_PRINTS,
        },
        "event_driven": {
            "EVENT_ALIGNED_EXPIRY": aligned,
            "PRE_EVENT_WINDOW": to_event <= 7,
            "SPREAD_WIDENING": f["spread_widening"].to_numpy() >= 1.25,
            "IV_RISING": f["iv_shock"].to_numpy() >= 0.02,
            "AGGRESSIVE_BUYER": buyer,
            "MEANINGFUL_PREMIUM": f["premium"].to_numpy() >= MEANINGFUL_PREMIUM,
            "BURST": f["n_prints"].to_numpy() >= MIN_BURST,
        },
        "vol_seller": {
            "AGGRESSIVE_SELLER": seller,
            "OTM": otm >= 0.03,
            "DTE_14_90": (dte >= 14) & (dte <= 90),
            "IV_FLAT_OR_FALLING": f["iv_shock"].to_numpy() <= 0.005,
            "MEANINGFUL_PREMIUM": f["premium"].to_numpy() >= MEANINGFUL_PREMIUM,
        },
        "arbitrage": {
            "MULTI_LEG": multi,
            "LEG_SYMMETRY": f["leg_size_symmetry"].to_numpy() >= 0.9,
            "FLAT_DELTA": np.abs(delta) <= FLAT_DELTA,
            "PARITY_STRUCTURE": multi & f["both_sides"].to_numpy() & f["calls_and_puts"].to_numpy(),
            "COMPLEX_ORDER": f["special_share"].to_numpy() > 0,
        },
        "hedge_reactive": {
            "ZERO_TO_TWO_DTE": dte <= 2,
            "AT_THE_MONEY": f["atm_proximity"].to_numpy() <= ATM,
            "UNDERLYING_MOVE": np.abs(move) >= HEDGE_MOVE,
            "FAST_BURST": (f["inter_fill_ms"].fillna(1e9).to_numpy() <= 100)
            & (f["n_prints"].to_numpy() >= 5),
            "WITH_THE_MOVE": np.sign(delta) == np.sign(move),
        },
    }


WEIGHTS = {
    "institutional_directional": {
        "AGGRESSIVE_BUYER": Evidence("AGGRESSIVE_BUYER", 2, True),
        "LARGE_PREMIUM": Evidence("LARGE_PREMIUM", 2, True),
        "DTE_21_180": Evidence("DTE_21_180", 1),
        "NEAR_OTM": Evidence("NEAR_OTM", 1),
        "MULTI_VENUE_SWEEP": Evidence("MULTI_VENUE_SWEEP", 1),
        "CONCENTRATED_STRIKE": Evidence("CONCENTRATED_STRIKE", 1),
    },
    "retail_whale": {
        "SHORT_DATED": Evidence("SHORT_DATED", 2, True),
        "OTM_CALLS": Evidence("OTM_CALLS", 2, True),
        "AGGRESSIVE_BUYER": Evidence("AGGRESSIVE_BUYER", 1),
        "SMALL_LOTS": Evidence("SMALL_LOTS", 1),
        "IV_POP": Evidence("IV_POP", 1),
        "MANY_PRINTS": Evidence("MANY_PRINTS", 1, True),
    },
    "event_driven": {
        "EVENT_ALIGNED_EXPIRY": Evidence("EVENT_ALIGNED_EXPIRY", 3, True),
        "PRE_EVENT_WINDOW": Evidence("PRE_EVENT_WINDOW", 1),
        "SPREAD_WIDENING": Evidence("SPREAD_WIDENING", 1),
        "IV_RISING": Evidence("IV_RISING", 1),
        "AGGRESSIVE_BUYER": Evidence("AGGRESSIVE_BUYER", 1),
        "MEANINGFUL_PREMIUM": Evidence("MEANINGFUL_PREMIUM", 1, True),
        "BURST": Evidence("BURST", 1, True),
    },
    "vol_seller": {
        "AGGRESSIVE_SELLER": Evidence("AGGRESSIVE_SELLER", 3, True),
        "OTM": Evidence("OTM", 1, True),
        "DTE_14_90": Evidence("DTE_14_90", 1),
        "IV_FLAT_OR_FALLING": Evidence("IV_FLAT_OR_FALLING", 1),
        "MEANINGFUL_PREMIUM": Evidence("MEANINGFUL_PREMIUM", 1, True),
    },
    "arbitrage": {
        "MULTI_LEG": Evidence("MULTI_LEG", 1, True),
        "LEG_SYMMETRY": Evidence("LEG_SYMMETRY", 2, True),
        "FLAT_DELTA": Evidence("FLAT_DELTA", 2, True),
        "PARITY_STRUCTURE": Evidence("PARITY_STRUCTURE", 2, True),
        "COMPLEX_ORDER": Evidence("COMPLEX_ORDER", 1),
    },
    "hedge_reactive": {
        "ZERO_TO_TWO_DTE": Evidence("ZERO_TO_TWO_DTE", 2, True),
        "AT_THE_MONEY": Evidence("AT_THE_MONEY", 2, True),
        "UNDERLYING_MOVE": Evidence("UNDERLYING_MOVE", 2, True),
        "FAST_BURST": Evidence("FAST_BURST", 1),
        "WITH_THE_MOVE": Evidence("WITH_THE_MOVE", 1),
    },
}


def _guards(f: pd.DataFrame) -> dict[str, dict[str, tuple[np.ndarray, float]]]:
    """Per profile: suppression reason -> (fires, multiplier)."""
    special = f["special_share"].to_numpy() > 0
    stale = f["quote_age_ms"].to_numpy() > STALE_QUOTE_MS
    wide = (f["spread_rel"].to_numpy() > WIDE_SPREAD) & (f["spread_abs"].to_numpy() > WIDE_SPREAD_ABS)
    retail = (
        (f["dte"].to_numpy() <= RETAIL_DTE)
        & (f["call_share"].to_numpy() >= 0.8)
        & (f["moneyness"].to_numpy() >= 0.04)
        & (f["avg_size"].to_numpy() <= RETAIL_LOT)
    )
    structure = (f["n_legs"].to_numpy() >= 2) & (np.abs(f["net_delta"].to_numpy()) <= FLAT_DELTA)
    directional = {
        "SPECIAL_PRINT": (special, 0.1),
        "STALE_QUOTE": (stale, 0.2),
        "WIDE_SPREAD": (wide, 0.2),
        "NON_DIRECTIONAL_STRUCTURE": (structure, 0.2),
    }
    return {
        "institutional_directional": {
            **directional,
            "RETAIL_PATTERN": (retail, 0.3),
            # days-to-expiry under a week is hedging, event or retail flow, not a positioned view
            "SHORT_DATED_FLOW": (f["dte"].to_numpy() < INSTITUTIONAL_MIN_DTE, 0.6),
        },
        "retail_whale": dict(directional),
        "event_driven": dict(directional),
        "vol_seller": {
            "SPECIAL_PRINT": (special, 0.5),
            "STALE_QUOTE": (stale, 0.3),
            "WIDE_SPREAD": (wide, 0.3),
        },
        "arbitrage": {"STALE_QUOTE": (stale, 0.5)},
        "hedge_reactive": {"SPECIAL_PRINT": (special, 0.3), "STALE_QUOTE": (stale, 0.3)},
    }


def structure_reasons(f: pd.DataFrame) -> np.ndarray:
    """Structure labels as reason codes (never profiles), ``;``-joined per event."""
    two = f["n_legs"].to_numpy() == 2
    same_expiry = f["n_expiries"].to_numpy() == 1
    cp = f["calls_and_puts"].to_numpy(bool)
    both = f["both_sides"].to_numpy(bool)
    strikes = f["n_strikes"].to_numpy()
    labels = {
        "STRUCTURE_BOX": (f["n_legs"].to_numpy() == 4) & cp & both & same_expiry,
        "STRUCTURE_STRADDLE": two & cp & ~both & same_expiry & (strikes == 1),
        "STRUCTURE_STRANGLE": two & cp & ~both & same_expiry & (strikes == 2),
        "STRUCTURE_VERTICAL": two & ~cp & both & same_expiry & (strikes == 2),
        "STRUCTURE_ROLL": two & both & (f["n_expiries"].to_numpy() == 2),
        "ZERO_DTE_GAMMA_PUNCH": (f["dte"].to_numpy() < 1)
        & (f["atm_proximity"].to_numpy() <= ATM)
        & (f["n_prints"].to_numpy() >= 5),
    }
    return codes_text(labels)


def codes_text(flags: dict[str, np.ndarray]) -> np.ndarray:
    """``;``-joined names of the flags that fire, per row. Vectorized: the flags become a bit mask and only
    the distinct masks (a handful) are turned into text."""
    names = list(flags)
    if not names:
        return np.array([], dtype=object)
    mask = np.zeros(len(next(iter(flags.values()))), dtype=np.int64)
    for bit, name in enumerate(names):
        mask |= np.asarray(flags[name], dtype=bool).astype(np.int64) << bit
    distinct, inverse = np.unique(mask, return_inverse=True)
    text = np.array([";".join(n for b, n in enumerate(names) if m >> b & 1) for m in distinct], dtype=object)
    return text[inverse.reshape(-1)]


def direction(f: pd.DataFrame) -> np.ndarray:
    """The aggressor-signed call/put bias of the flow (bought calls and sold puts are bullish): bullish,
    bearish or neutral (balanced structures)."""
    bias = f["directional_bias"].to_numpy()
    return np.select([bias > DIRECTION_BIAS, bias < -DIRECTION_BIAS], ["bullish", "bearish"], "neutral")


def _band(probability: np.ndarray) -> np.ndarray:
    return np.select([probability >= b for b, _ in BANDS], [n for _, n in BANDS], "low")


def score(features: pd.DataFrame) -> pd.DataFrame:
    """Per event and profile: ``<profile>_probability``, ``_confidence_band``, ``_direction`` and
    ``_reasons``; then the primary profile (or abstention), its probability, direction and band, its reasons,
    every suppression reason and the structure reasons. Vectorized over events."""
    f = features.reset_index(drop=True)
    n = len(f)
    evidence = _evidence(f)
    guards = _guards(f)
    flow_direction = direction(f)
    out = pd.DataFrame({"event_id": f["event_id"]})
    suppressed: dict[str, np.ndarray] = {}
    for profile in PROFILES:
        weights = WEIGHTS[profile]
        total = sum(e.weight for e in weights.values())
        present = np.zeros(n)
        missing_required = np.zeros(n, dtype=bool)
        for code, spec in weights.items():
            fires = evidence[profile][code]
            present += spec.weight * fires
            if spec.required:
                missing_required |= ~fires
        probability = present / total
        probability = np.where(missing_required, np.minimum(probability, MISSING_REQUIRED_CAP), probability)
        for reason, (fires, multiplier) in guards[profile].items():
            probability = np.where(fires, probability * multiplier, probability)
            suppressed[reason] = suppressed.get(reason, np.zeros(n, dtype=bool)) | fires
        probability = np.round(probability, 4)
        out[f"{profile}_probability"] = probability
        out[f"{profile}_confidence_band"] = _band(probability)
        out[f"{profile}_direction"] = _profile_direction(profile, flow_direction)
        out[f"{profile}_reasons"] = codes_text({c: evidence[profile][c] for c in weights})
    probabilities = out[[f"{p}_probability" for p in PROFILES]].to_numpy()
    best = probabilities.argmax(axis=1)
    rows = np.arange(n)
    best_probability = probabilities[rows, best]
    abstained = best_probability < PRIMARY_THRESHOLD
    primary = np.array(PROFILES, dtype=object)[best]
    directions = out[[f"{p}_direction" for p in PROFILES]].to_numpy(object)[rows, best]
    out["primary_profile_id"] = np.where(abstained, None, primary)
    out["primary_probability"] = best_probability
    out["primary_direction"] = np.where(abstained, None, directions)
    out["confidence_band"] = np.where(abstained, "none", _band(best_probability))
    out["abstained"] = abstained
    out["reasons"] = out[[f"{p}_reasons" for p in PROFILES]].to_numpy(object)[rows, best]
    out["suppressed_reasons"] = codes_text({r: suppressed[r] for r in sorted(suppressed)})
    out["structure_reasons"] = structure_reasons(f)
    out["flow_direction"] = flow_direction
    return out


def _profile_direction(profile: str, flow_direction: np.ndarray) -> np.ndarray:
    """Directional profiles (and hedge_reactive) take the flow's direction; vol_seller is short volatility;
    arbitrage is neutral."""
    if profile in DIRECTIONAL or profile == "hedge_reactive":
        return flow_direction
    return np.full(
        len(flow_direction), "short_volatility" if profile == "vol_seller" else "neutral", dtype=object
    )


def profile_scores(row) -> list[dict]:
    """The ``profile_scores`` list of one event row (a mapping with the flat per-profile columns)."""
    return [
        {
            "profile_id": profile,
            "probability": float(row[f"{profile}_probability"]),
            "confidence_band": row[f"{profile}_confidence_band"],
            "direction": row[f"{profile}_direction"],
            "reasons": [c for c in str(row[f"{profile}_reasons"]).split(";") if c],
        }
        for profile in PROFILES
    ]
