"""A simulated market with hidden news and actors who trade on it with different strength and lag.

Why simulate: real disclosures carry an unknown (and small) amount of information, so a pipeline cannot be
checked against the truth. Here the truth is known. Each stock-month has a hidden news value that moves the
price in the days right after that month's sample date; insiders, hedge funds, institutions and members of
Congress see it (or its persistent part) through noisy views whose correlation with the truth is set by
``signal_strength``; ETFs are passive. At ``signal_strength = 0`` every actor trades as much as before but on
pure noise, so no disclosure carries information while prices and news are unchanged (each component draws
from its own random stream).

The price model is market factor × beta + sector factor + idiosyncratic noise with heterogeneous volatility
+ news impact, all Gaussian given the hidden news, so each sample's true probability of a +5% move over the
label window is exact. All names are obviously synthetic (``SYN001``, "Synthetic Company 001").
"""

import functools
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from scipy.special import ndtr

from smart_money import timeline

SOURCE = "synthetic"
SECTORS = (
    "Communication Services",
    "Consumer Discretionary",
    "Consumer Staples",
    "Energy",
    "Financials",
    "Health Care",
    "Industrials",
    "Information Technology",
    "Materials",
    "Real Estate",
    "Utilities",
)

# Market structure (daily log-return scales).
MARKET_SD = 0.009
MARKET_DRIFT = 0.0
# Tuned so that the default universe has realized volatility of about 11-67% (5th-95th percentile 15-42%,
# median 23%), 14-day return std 5.8% and 18.7% of samples above +5% (real large caps: 13%, std 5.5%).
VOL_MEDIAN = 0.24  # annualized, before volatility regimes
VOL_LOG_SD = 0.38
REGIME_LOG_SD = 0.6
REGIME_PERSISTENCE = 0.7
SECTOR_SD = 0.006
# News: a persistent state A (AR(1) by month) plus a fresh shock; impact lands in the 10 calendar days after
# the sample date, scaled to NEWS_IMPACT × the stock's 10-day volatility.
PERSISTENCE = 0.9
PERSISTENT_SHARE = 0.5
NEWS_IMPACT = 0.5
NEWS_IMPACT_DAYS = 10
# How well each actor sees the hidden state at signal_strength = 1 (correlation of its view with the truth).
INSIDER_RHO = 0.75  # sees this month's news
HEDGE_FUND_RHO = 0.6  # sees the persistent state at quarter end
INSTITUTION_RHO = 0.25  # sees the persistent state weakly, adjusts slowly
CONGRESS_RHO = 0.2  # sees this month's news weakly, discloses late
# An opportunistic insider buys when its view of the news is above OPPORTUNISTIC_BUY_Z and sells below
# OPPORTUNISTIC_SELL_Z (views are unit normal): how often informed Form 4s appear.
OPPORTUNISTIC_BUY_Z = 1.2
OPPORTUNISTIC_SELL_Z = -1.1
# Label used for the true probability (the default label: +5% within the horizon).
TRUE_PROBABILITY_THRESHOLD = 0.05

CONGRESS_BANDS = np.array(
    [
        (1_001, 15_000),
        (15_001, 50_000),
        (50_001, 100_000),
        (100_001, 250_000),
        (250_001, 500_000),
        (500_001, 1_000_000),
        (1_000_001, 5_000_000),
    ],
    dtype=float,
)
CONGRESS_BAND_P = np.array([0.55, 0.2, 0.1, 0.07, 0.045, 0.025, 0.01])


@dataclass(frozen=True)
class MarketConfig:
    """The knobs of the simulated market; the same config always gives the same market."""

    seed: int = 7
    n_symbols: int = 500
    start: date = timeline.HISTORY_START
    end: date = timeline.HISTORY_END
    signal_strength: float = 1.0

    def __post_init__(self) -> None:
        if self.n_symbols < 1 or self.n_symbols > 9999:
            raise ValueError(f"n_symbols={self.n_symbols}: the synthetic market supports 1 to 9999 symbols")
        if not 0.0 <= self.signal_strength <= 1.5:
            raise ValueError(
                f"signal_strength={self.signal_strength}: use a value between 0 and 1.5 (default 1)"
            )
        if pd.Timestamp(self.end) - pd.Timestamp(self.start) < pd.Timedelta(days=90):
            raise ValueError(
                f"start={self.start}, end={self.end}: the market needs at least 90 days of history"
            )
        if self.seed < 0:
            raise ValueError(f"seed={self.seed}: use a non-negative integer")

    def rho(self, base: float) -> float:
        return float(np.clip(base * self.signal_strength, 0.0, 0.99))


@dataclass(frozen=True)
class MarketWorld:
    """Every table of one simulated market, in warehouse shape, over the whole history."""

    config: MarketConfig
    universe: pd.DataFrame
    prices: pd.DataFrame
    insider_trades: pd.DataFrame
    institutional_holdings: pd.DataFrame
    congress_trades: pd.DataFrame
    etf_holdings: pd.DataFrame
    truth: pd.DataFrame


def _view(rng: np.random.Generator, truth: np.ndarray, rho: float) -> np.ndarray:
    """A noisy unit-variance view of a unit-variance truth with correlation ``rho``.

    The noise is drawn whatever ``rho`` is, so the random stream (and hence trading activity) is the same
    at every signal strength.
    """
    noise = rng.standard_normal(truth.shape)
    return rho * truth + np.sqrt(1.0 - rho**2) * noise


@functools.lru_cache(maxsize=4)
def simulate_market(config: MarketConfig) -> MarketWorld:
    """Simulate the whole market for ``config`` (cached: every raw asset in a run slices the same world)."""
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(config.seed).spawn(8)]
    r_uni, r_px, r_news, r_ins, r_13f, r_con, r_etf, _ = streams
    days = timeline.trading_days(config.start, config.end)
    months = timeline.months_between(config.start, config.end)
    sample_days = np.array(timeline.sample_dates(months, days), dtype="datetime64[ns]")
    day_values = days.values
    sample_idx = np.searchsorted(day_values, sample_days)

    uni, hidden = _universe(r_uni, config)
    state, news = _news(r_news, config.n_symbols, len(months))
    created_idx = _news_created(r_news, day_values, months, sample_idx, config.n_symbols)
    regime = _volatility_regimes(r_px, config.n_symbols, len(months))
    log_ret, impact_total, idio_scale = _returns(
        r_px, hidden, news, regime, months, day_values, sample_days, sample_idx
    )
    close = np.round(hidden["p0"][None, :] * np.exp(np.cumsum(log_ret, axis=0)), 2)
    close = np.maximum(close, 0.01)

    prices = _prices_frame(r_px, uni, days, close, log_ret, hidden)
    truth = _truth_frame(
        uni,
        months,
        days,
        sample_days,
        sample_idx,
        news,
        state,
        created_idx,
        impact_total,
        hidden,
        idio_scale,
        regime,
    )
    insider = _insider_trades(r_ins, config, uni, hidden, days, months, close, news, created_idx)
    holdings = _institutional_holdings(r_13f, config, uni, hidden, days, months, close, state)
    congress = _congress_trades(r_con, config, uni, days, months, news)
    etf = _etf_holdings(r_etf, uni, hidden, days, months, close)
    return MarketWorld(config, uni, prices, insider, holdings, congress, etf, truth)


def _universe(rng: np.random.Generator, config: MarketConfig) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    n = config.n_symbols
    width = max(3, len(str(n)))
    numbers = [f"{i:0{width}d}" for i in range(1, n + 1)]
    sector_idx = rng.integers(0, len(SECTORS), n)
    shares_out = np.round(np.exp(rng.uniform(np.log(5e7), np.log(3e9), n)), -3)
    p0 = np.round(np.exp(rng.uniform(np.log(15), np.log(400), n)), 2)
    ann_vol = np.clip(np.exp(rng.normal(np.log(VOL_MEDIAN), VOL_LOG_SD, n)), 0.12, 0.8)
    beta = np.clip(rng.normal(1.0, 0.3, n), 0.3, 1.8)
    turnover = rng.uniform(0.002, 0.01, n)
    universe = pd.DataFrame(
        {
            "symbol": [f"SYN{s}" for s in numbers],
            "name": [f"Synthetic Company {s}" for s in numbers],
            "sector": np.array(SECTORS)[sector_idx],
            "shares_outstanding": shares_out,
            "is_synthetic": True,
            "source": SOURCE,
            "cik": None,  # made-up companies have no SEC CIK
        }
    )
    hidden = {
        "sector_idx": sector_idx,
        "p0": p0,
        "ann_vol": ann_vol,
        "beta": beta,
        "turnover": turnover,
        "shares_out": shares_out,
    }
    return universe, hidden


def _news(rng: np.random.Generator, n: int, n_months: int) -> tuple[np.ndarray, np.ndarray]:
    """Persistent state A (months × symbols, AR(1), unit variance) and news z = part A + fresh shock."""
    state = np.empty((n_months, n))
    state[0] = rng.standard_normal(n)
    shocks = rng.standard_normal((n_months, n))
    for m in range(1, n_months):
        state[m] = PERSISTENCE * state[m - 1] + np.sqrt(1 - PERSISTENCE**2) * shocks[m]
    fresh = rng.standard_normal((n_months, n))
    news = np.sqrt(PERSISTENT_SHARE) * state + np.sqrt(1 - PERSISTENT_SHARE) * fresh
    return state, news


def _volatility_regimes(rng: np.random.Generator, n: int, n_months: int) -> np.ndarray:
    """Idiosyncratic volatility multiplier per stock-month: persistent (AR(1) in logs), E[multiplier²] = 1.

    A scale mixture of Gaussians gives fat-tailed returns and volatility clustering while keeping each
    window's return Gaussian given the (hidden) regime, so the true probabilities stay exact.
    """
    log_sd = REGIME_LOG_SD
    log_regime = np.empty((n_months, n))
    log_regime[0] = rng.normal(0, log_sd, n)
    shocks = rng.normal(0, log_sd * np.sqrt(1 - REGIME_PERSISTENCE**2), (n_months, n))
    for m in range(1, n_months):
        log_regime[m] = REGIME_PERSISTENCE * log_regime[m - 1] + shocks[m]
    return np.exp(log_regime - log_sd**2)


def _news_created(
    rng: np.random.Generator,
    day_values: np.ndarray,
    months: list[pd.Timestamp],
    sample_idx: np.ndarray,
    n: int,
) -> np.ndarray:
    """Index of the trading day each stock-month's news becomes known to informed insiders.

    Uniform between the first trading day of the month and three trading days before the sample date.
    """
    first_idx = np.searchsorted(day_values, np.array(months, dtype="datetime64[ns]"))
    last_idx = np.maximum(sample_idx - 3, first_idx)
    span = (last_idx - first_idx + 1)[:, None]
    return first_idx[:, None] + np.floor(rng.uniform(size=(len(months), n)) * span).astype(int)


def _impact_windows(day_values: np.ndarray, sample_days: np.ndarray, sample_idx: np.ndarray) -> np.ndarray:
    """Last trading-day index of each month's impact window (sample date, sample date + 10 days]."""
    ends = sample_days + np.timedelta64(NEWS_IMPACT_DAYS, "D")
    return np.searchsorted(day_values, ends, side="right") - 1


def _returns(
    rng: np.random.Generator,
    hidden: dict[str, np.ndarray],
    news: np.ndarray,
    regime: np.ndarray,
    month_starts: list[pd.Timestamp],
    day_values: np.ndarray,
    sample_days: np.ndarray,
    sample_idx: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n_days, n = len(day_values), len(hidden["p0"])
    daily_sd = hidden["ann_vol"] / np.sqrt(252)
    systematic_var = hidden["beta"] ** 2 * MARKET_SD**2 + SECTOR_SD**2
    news_var_per_day = NEWS_IMPACT**2 * daily_sd**2 * NEWS_IMPACT_DAYS / 21.0
    idio_sd = np.sqrt(np.maximum(daily_sd**2 - systematic_var - news_var_per_day, (0.3 * daily_sd) ** 2))

    market = rng.normal(MARKET_DRIFT, MARKET_SD, n_days)
    sector = rng.normal(0.0, SECTOR_SD, (n_days, len(SECTORS)))
    day_month = np.searchsorted(np.array(month_starts, dtype="datetime64[ns]"), day_values, side="right") - 1
    idio_scale = idio_sd[None, :] * regime[day_month]  # days × symbols
    idio = rng.standard_normal((n_days, n)) * idio_scale
    log_ret = market[:, None] * hidden["beta"][None, :] + sector[:, hidden["sector_idx"]] + idio

    ends = _impact_windows(day_values, sample_days, sample_idx)
    impact_total = NEWS_IMPACT * news * daily_sd[None, :] * np.sqrt(NEWS_IMPACT_DAYS)
    for m, (s, e) in enumerate(zip(sample_idx, ends, strict=True)):
        lo, hi = s + 1, min(e, n_days - 1)
        if hi >= lo:
            log_ret[lo : hi + 1] += impact_total[m][None, :] / (hi - lo + 1)
    log_ret[0] = 0.0
    return log_ret, impact_total, idio_scale


def _prices_frame(
    rng: np.random.Generator,
    uni: pd.DataFrame,
    days: pd.DatetimeIndex,
    close: np.ndarray,
    log_ret: np.ndarray,
    hidden: dict[str, np.ndarray],
) -> pd.DataFrame:
    n_days, n = close.shape
    base_volume = hidden["shares_out"] * hidden["turnover"]
    volume = np.round(
        base_volume[None, :] * np.exp(rng.normal(0, 0.25, (n_days, n))) * (1 + 15 * np.abs(log_ret)), -2
    )
    date_col = np.repeat(days.values, n)
    return pd.DataFrame(
        {
            "symbol": np.tile(uni["symbol"].to_numpy(), n_days),
            "date": date_col,
            "close": close.ravel(),
            "adj_close": close.ravel(),
            "volume": volume.ravel(),
            "known_at": date_col,
            "source": SOURCE,
        }
    )


def _truth_frame(
    uni: pd.DataFrame,
    months: list[pd.Timestamp],
    days: pd.DatetimeIndex,
    sample_days: np.ndarray,
    sample_idx: np.ndarray,
    news: np.ndarray,
    state: np.ndarray,
    created_idx: np.ndarray,
    impact_total: np.ndarray,
    hidden: dict[str, np.ndarray],
    idio_scale: np.ndarray,
    regime: np.ndarray,
) -> pd.DataFrame:
    """Each sample's exact probability that the default label (+5% over the horizon) is 1."""
    day_values = days.values
    targets = sample_days + np.timedelta64(timeline.LABEL_HORIZON_DAYS, "D")
    label_idx = np.searchsorted(day_values, targets, side="left")
    has_window = label_idx < len(day_values)
    n_win = np.where(has_window, label_idx - sample_idx, 0)[:, None]
    systematic_var = hidden["beta"] ** 2 * MARKET_SD**2 + SECTOR_SD**2
    cumulative_idio = np.vstack([np.zeros((1, idio_scale.shape[1])), np.cumsum(idio_scale**2, axis=0)])
    end = np.minimum(label_idx, len(day_values) - 1)
    window_idio = cumulative_idio[end + 1] - cumulative_idio[sample_idx + 1]
    noise_var = n_win * systematic_var[None, :] + window_idio
    mean = impact_total + n_win * MARKET_DRIFT * hidden["beta"][None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (np.log1p(TRUE_PROBABILITY_THRESHOLD) - mean) / np.sqrt(noise_var)
    prob = np.where(has_window[:, None], 1.0 - ndtr(z), np.nan)
    n_months, n = news.shape
    return pd.DataFrame(
        {
            "symbol": np.tile(uni["symbol"].to_numpy(), n_months),
            "month": np.repeat(np.array(months, dtype="datetime64[ns]"), n),
            "sample_date": np.repeat(sample_days, n),
            "news_value": news.ravel(),
            "persistent_state": state.ravel(),
            "news_created": day_values[created_idx.ravel()],
            "volatility_regime": regime.ravel(),
            "expected_log_return_fwd": np.where(has_window[:, None], mean, np.nan).ravel(),
            "true_probability": prob.ravel(),
            "source": SOURCE,
        }
    )


def _to_trading_day(day_values: np.ndarray, dates: np.ndarray) -> np.ndarray:
    """Index of the first trading day on or after each date (len(days) when past the end)."""
    return np.searchsorted(day_values, dates.astype("datetime64[ns]"), side="left")


def _insider_trades(
    rng: np.random.Generator,
    config: MarketConfig,
    uni: pd.DataFrame,
    hidden: dict[str, np.ndarray],
    days: pd.DatetimeIndex,
    months: list[pd.Timestamp],
    close: np.ndarray,
    news: np.ndarray,
    created_idx: np.ndarray,
) -> pd.DataFrame:
    n = config.n_symbols
    n_days = len(days)
    day_values = days.values
    per_firm = rng.integers(5, 11, n)
    firm = np.repeat(np.arange(n), per_firm)
    seat = np.concatenate([np.arange(k) for k in per_firm])
    n_ins = len(firm)
    last_seat = np.repeat(per_firm - 1, per_firm)

    role = np.where(seat <= 2, "officer", "director").astype(object)
    c_suite = seat <= 1
    third_is_c_suite = rng.uniform(size=n_ins) < 0.6
    c_suite |= (seat == 2) & third_is_c_suite
    owner = (seat == last_seat) & (seat >= 4) & (rng.uniform(size=n_ins) < 0.15)
    other = (seat >= 3) & ~owner & (rng.uniform(size=n_ins) < 0.05)
    role[owner] = "ten_percent_owner"
    role[other] = "other"
    routine = rng.uniform(size=n_ins) < 0.35
    shares_out = hidden["shares_out"][firm]
    holdings0 = np.where(
        owner, 0.10 * shares_out, shares_out * np.exp(rng.uniform(np.log(2e-4), np.log(8e-3), n_ins))
    )
    holdings0 = np.round(holdings0, -1)
    symbols = uni["symbol"].to_numpy()
    insider_id = np.array(
        [f"{symbols[f]}-I{s + 1:02d}" for f, s in zip(firm, seat, strict=True)], dtype=object
    )
    insider_name = np.array(
        [f"Synthetic Insider {s + 1:02d} of {symbols[f]}" for f, s in zip(firm, seat, strict=True)],
        dtype=object,
    )

    events: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []  # insider, day idx, code, shares
    month_first = np.searchsorted(day_values, np.array(months, dtype="datetime64[ns]"))
    month_last = np.append(month_first[1:] - 1, n_days - 1)

    def random_day_in_month(month_idx: np.ndarray) -> np.ndarray:
        lo, hi = month_first[month_idx], month_last[month_idx]
        return lo + np.floor(rng.uniform(size=len(month_idx)) * (hi - lo + 1)).astype(int)

    # (a) Routine plan trades: the same calendar month every year, uninformed (mostly 10b5-1 sales).
    plan_month = rng.integers(1, 13, n_ins)
    plan_sells = rng.uniform(size=n_ins) < 0.75
    month_num = np.array([m.month for m in months])
    r_ins, r_month = np.nonzero(routine[:, None] & (plan_month[:, None] == month_num[None, :]))
    if len(r_ins):
        sells = plan_sells[r_ins]
        size = np.where(sells, rng.uniform(0.01, 0.04, len(r_ins)), rng.uniform(0.002, 0.01, len(r_ins)))
        events.append(
            (r_ins, random_day_in_month(r_month), np.where(sells, "S", "P"), holdings0[r_ins] * size)
        )

    # (b) Opportunistic insiders trade on a noisy view of this month's news, a few days after it appears.
    opp = np.nonzero(~routine)[0]
    view = _view(rng, news[:, firm[opp]].T, config.rho(INSIDER_RHO))  # (opportunistic insiders, months)
    buy = view > OPPORTUNISTIC_BUY_Z
    sell = view < OPPORTUNISTIC_SELL_Z
    o_pos, o_month = np.nonzero(buy | sell)
    o_ins = opp[o_pos]
    is_buy = buy[o_pos, o_month]
    delay = rng.integers(0, 3, len(o_ins))
    day_idx = np.minimum(created_idx[o_month, firm[o_ins]] + delay, n_days - 1)
    strength = np.abs(view[o_pos, o_month])
    size = np.where(
        is_buy, rng.uniform(0.005, 0.02, len(o_ins)) * (strength - 0.6), rng.uniform(0.01, 0.05, len(o_ins))
    )
    events.append((o_ins, day_idx, np.where(is_buy, "P", "S"), holdings0[o_ins] * size))

    # (c) Uninformed noise trades by anyone.
    n_noise_cells = n_ins * len(months)
    noise_cells = np.nonzero(rng.uniform(size=n_noise_cells) < 0.015)[0]
    nz_ins, nz_month = noise_cells // len(months), noise_cells % len(months)
    nz_buy = rng.uniform(size=len(nz_ins)) < 0.5
    events.append(
        (
            nz_ins,
            random_day_in_month(nz_month),
            np.where(nz_buy, "P", "S"),
            holdings0[nz_ins] * rng.uniform(0.003, 0.02, len(nz_ins)),
        )
    )

    # (d) Annual awards (A) in the firm's grant month, with tax withholding (F) for officers.
    grant_month = rng.integers(2, 4, n)
    insider_receives = role != "ten_percent_owner"
    a_ins, a_month = np.nonzero(
        insider_receives[:, None] & (grant_month[firm][:, None] == month_num[None, :])
    )
    a_day = np.minimum(month_first[a_month] + 3, month_last[a_month])
    award = holdings0[a_ins] * rng.uniform(0.02, 0.06, len(a_ins))
    events.append((a_ins, a_day, np.full(len(a_ins), "A"), award))
    officer = role[a_ins] == "officer"
    events.append((a_ins[officer], a_day[officer], np.full(officer.sum(), "F"), 0.35 * award[officer]))

    # (e) Rare gifts.
    gift_cells = np.nonzero(rng.uniform(size=n_noise_cells) < 0.004)[0]
    g_ins, g_month = gift_cells // len(months), gift_cells % len(months)
    events.append(
        (
            g_ins,
            random_day_in_month(g_month),
            np.full(len(g_ins), "G"),
            holdings0[g_ins] * rng.uniform(0.005, 0.02, len(g_ins)),
        )
    )

    ins = np.concatenate([e[0] for e in events])
    day_idx = np.concatenate([e[1] for e in events])
    code = np.concatenate([e[2] for e in events]).astype(object)
    shares = np.maximum(np.round(np.concatenate([e[3] for e in events])), 1.0)
    filing_idx = day_idx + rng.integers(0, 3, len(ins))  # Form 4: 0-2 business days after the trade
    keep = filing_idx < n_days
    ins, day_idx, code, shares, filing_idx = (
        ins[keep],
        day_idx[keep],
        code[keep],
        shares[keep],
        filing_idx[keep],
    )

    px = close[day_idx, firm[ins]]
    price = np.where(np.isin(code, ["P", "S"]), np.round(px * (1 + rng.normal(0, 0.004, len(ins))), 2), 0.0)
    price = np.where(code == "F", px, price)
    acquired = np.isin(code, ["P", "A"])
    order = np.lexsort((code, day_idx, ins))
    ins, day_idx, code, shares, filing_idx, price, acquired = (
        a[order] for a in (ins, day_idx, code, shares, filing_idx, price, acquired)
    )
    signed = np.where(acquired, shares, -shares)
    cumulative = pd.Series(signed).groupby(ins).cumsum().to_numpy()
    owned_after = np.maximum(holdings0[ins] + cumulative, 0.0)
    return pd.DataFrame(
        {
            "symbol": symbols[firm[ins]],
            "known_at": day_values[filing_idx],
            "transaction_date": day_values[day_idx],
            "insider_id": insider_id[ins],
            "insider_name": insider_name[ins],
            "insider_role": role[ins],
            "is_c_suite": c_suite[ins],
            "transaction_code": code,
            "acquired_disposed": np.where(acquired, "A", "D"),
            "shares": shares,
            "price": price,
            "shares_owned_after": owned_after,
            "source": SOURCE,
            **_filing_columns(len(ins)),
        }
    )


def _filing_columns(n: int) -> dict[str, object]:
    """The filing columns (``tables.FILING_COLUMNS``) of ``n`` simulated trades. Each is an original Form 4
    (never amended) of a non-derivative trade, true by construction; what the simulation has no notion of
    (CIKs, accession numbers, acceptance times, 10b5-1 plans, ownership form, security title, other owners,
    the period of report) is null."""
    none = np.full(n, None, dtype=object)
    no_date = np.full(n, np.datetime64("NaT", "us"))
    return {
        "issuer_cik": none,
        "accession_number": none,
        "acceptance_time": pd.Series(pd.NaT, index=pd.RangeIndex(n), dtype="datetime64[us, UTC]"),
        "form_type": np.full(n, "4", dtype=object),
        "is_amendment": np.zeros(n, dtype=bool),
        "aff10b5one": none,
        "direct_or_indirect": none,
        "security_title": none,
        "is_derivative": np.zeros(n, dtype=bool),
        "other_owner_ciks": none,
        "period_of_report": no_date,
        "date_of_original_submission": no_date,
    }


def _institutional_holdings(
    rng: np.random.Generator,
    config: MarketConfig,
    uni: pd.DataFrame,
    hidden: dict[str, np.ndarray],
    days: pd.DatetimeIndex,
    months: list[pd.Timestamp],
    close: np.ndarray,
    state: np.ndarray,
) -> pd.DataFrame:
    """Quarterly 13F positions of hedge funds (informed on the persistent state) and institutions."""
    n = config.n_symbols
    n_hf, n_inst = 40, 120
    is_hf = np.r_[np.ones(n_hf, bool), np.zeros(n_inst, bool)]
    n_filers = len(is_hf)
    filer_id = np.array(
        [f"SYNHF{i + 1:02d}" for i in range(n_hf)] + [f"SYNIN{i + 1:03d}" for i in range(n_inst)]
    )
    filer_name = np.array(
        [f"Synthetic Hedge Fund {i + 1:02d}" for i in range(n_hf)]
        + [f"Synthetic Institution {i + 1:03d}" for i in range(n_inst)]
    )
    p_hold = np.where(is_hf, min(1.0, 40 / n), min(1.0, 150 / n))[:, None]
    p_watch = np.where(is_hf, min(1.0, 100 / n), min(1.0, 250 / n))[:, None]
    watch = rng.uniform(size=(n_filers, n)) < p_watch
    held = watch & (rng.uniform(size=(n_filers, n)) < p_hold / p_watch)
    own_target = np.where(
        is_hf[:, None], rng.uniform(0.02, 0.08, n)[None, :], rng.uniform(0.45, 0.8, n)[None, :]
    )
    expected_holders = np.where(is_hf, n_hf * p_hold[:n_hf, 0].mean(), n_inst * p_hold[n_hf:, 0].mean())[
        :, None
    ]
    base_size = hidden["shares_out"][None, :] * own_target / expected_holders
    deviation = rng.normal(0, 0.5, (n_filers, n))  # log deviation of a position from its base size
    position = np.where(held, np.round(base_size * np.exp(deviation), -1), 0.0)

    rho = np.where(is_hf, config.rho(HEDGE_FUND_RHO), config.rho(INSTITUTION_RHO))[:, None]
    kappa = np.where(is_hf, 0.5, 0.1)[:, None]
    day_values = days.values
    first_day = pd.Timestamp(day_values[0])
    quarter_ends = pd.date_range(first_day - pd.offsets.QuarterEnd(1), pd.Timestamp(config.end), freq="QE")
    month_index = {m: i for i, m in enumerate(months)}
    rows = []
    for q, qe in enumerate(quarter_ends):
        m = month_index.get(timeline.month_start(qe), 0)
        px_idx = max(np.searchsorted(day_values, np.datetime64(qe, "ns"), side="right") - 1, 0)
        px = close[px_idx]
        previous = position.copy()
        if q > 0:
            # Positions mean-revert to their base size and tilt toward the filer's view of the persistent
            # state; hedge funds also open and close positions on strong views, institutions mostly at random.
            view = rho * state[m][None, :] + np.sqrt(1 - rho**2) * rng.standard_normal((n_filers, n))
            deviation = 0.6 * deviation + kappa * view + rng.normal(0, 0.15, (n_filers, n))
            u_close, u_open = rng.uniform(size=(2, n_filers, n))
            close_now = (position > 0) & np.where(
                is_hf[:, None], (view < -1.5) & (u_close < 0.6) | (u_close < 0.01), u_close < 0.03
            )
            open_now = (
                watch
                & (position == 0)
                & np.where(
                    is_hf[:, None],
                    (view > 1.5) & (u_open < 0.5),
                    u_open < 0.045 * (1 + 0.5 * view * (view > 0)),
                )
            )
            keep = ((position > 0) & ~close_now) | open_now
            position = np.where(keep, np.round(base_size * np.exp(deviation), -1), 0.0)
        filing_days = qe + pd.to_timedelta(rng.integers(15, 46, n_filers), unit="D")
        filing_idx = _to_trading_day(day_values, filing_days.values)
        f_idx, s_idx = np.nonzero((position > 0) | (previous > 0))
        if q == 0:
            f_idx, s_idx = np.nonzero(position > 0)
        shares = position[f_idx, s_idx]
        prev = previous[f_idx, s_idx] if q > 0 else shares
        rows.append(
            pd.DataFrame(
                {
                    "filer": f_idx,
                    "sym": s_idx,
                    "filing_idx": filing_idx[f_idx],
                    "report_date": np.datetime64(qe, "ns"),
                    "shares": shares,
                    "change_in_shares": shares - prev,
                    "market_value": np.round(shares * px[s_idx], 2),
                    "is_new_position": (prev == 0) & (shares > 0),
                    "is_closed_position": (prev > 0) & (shares == 0),
                }
            )
        )
    frame = pd.concat(rows, ignore_index=True)
    frame = frame[frame["filing_idx"] < len(day_values)]
    symbols = uni["symbol"].to_numpy()
    return pd.DataFrame(
        {
            "symbol": symbols[frame["sym"].to_numpy()],
            "known_at": day_values[frame["filing_idx"].to_numpy()],
            "report_date": frame["report_date"].to_numpy(),
            "filer_id": filer_id[frame["filer"].to_numpy()],
            "filer_name": filer_name[frame["filer"].to_numpy()],
            "is_hedge_fund": is_hf[frame["filer"].to_numpy()],
            "shares": frame["shares"].to_numpy(),
            "change_in_shares": frame["change_in_shares"].to_numpy(),
            "market_value": frame["market_value"].to_numpy(),
            "is_new_position": frame["is_new_position"].to_numpy(),
            "is_closed_position": frame["is_closed_position"].to_numpy(),
            "source": SOURCE,
            **dict.fromkeys(("cusip", "accession_number", "form_type", "put_call", "amendment_type")),
        }
    )


def _congress_trades(
    rng: np.random.Generator,
    config: MarketConfig,
    uni: pd.DataFrame,
    days: pd.DatetimeIndex,
    months: list[pd.Timestamp],
    news: np.ndarray,
) -> pd.DataFrame:
    """STOCK Act trades: a weak, late view of the news, disclosed up to 45 days after the trade."""
    n = config.n_symbols
    members = np.array(
        [f"Synthetic Rep. {i + 1:02d}" for i in range(40)]
        + [f"Synthetic Sen. {i + 1:02d}" for i in range(12)]
    )
    chamber = np.array(["house"] * 40 + ["senate"] * 12)
    day_values = days.values
    counts = rng.poisson(0.18, size=(len(months), n))
    m_idx, s_idx = np.nonzero(counts)
    reps = counts[m_idx, s_idx]
    m_idx, s_idx = np.repeat(m_idx, reps), np.repeat(s_idx, reps)
    view = _view(rng, news[m_idx, s_idx], config.rho(CONGRESS_RHO))
    side = np.where(view > -0.1, "buy", "sell")
    month_first = np.searchsorted(day_values, np.array(months, dtype="datetime64[ns]"))
    month_last = np.append(month_first[1:] - 1, len(day_values) - 1)
    lo, hi = month_first[m_idx], month_last[m_idx]
    trade_idx = lo + np.floor(rng.uniform(size=len(m_idx)) * (hi - lo + 1)).astype(int)
    lag = rng.integers(2, 46, len(m_idx))
    disclosed = day_values[trade_idx] + lag.astype("timedelta64[D]")
    known_idx = _to_trading_day(day_values, disclosed)
    member = rng.integers(0, len(members), len(m_idx))
    band = rng.choice(len(CONGRESS_BANDS), size=len(m_idx), p=CONGRESS_BAND_P)
    keep = known_idx < len(day_values)
    frame = pd.DataFrame(
        {
            "symbol": uni["symbol"].to_numpy()[s_idx],
            "known_at": day_values[np.minimum(known_idx, len(day_values) - 1)],
            "transaction_date": day_values[trade_idx],
            "chamber": chamber[member],
            "member": members[member],
            "side": side,
            "amount_low": CONGRESS_BANDS[band, 0],
            "amount_high": CONGRESS_BANDS[band, 1],
            "source": SOURCE,
        }
    )
    return frame[keep].reset_index(drop=True)


def _etf_holdings(
    rng: np.random.Generator,
    uni: pd.DataFrame,
    hidden: dict[str, np.ndarray],
    days: pd.DatetimeIndex,
    months: list[pd.Timestamp],
    close: np.ndarray,
) -> pd.DataFrame:
    """Passive ETFs (total market, equal weight, size, style, dividend, themes, one per sector), holdings
    reported as of each month's last trading day; flows are random (uninformed), so ETF ownership carries
    no information about news."""
    n = len(uni)
    day_values = days.values
    month_first = np.searchsorted(day_values, np.array(months, dtype="datetime64[ns]"))
    asof_idx = np.append(month_first[1:] - 1, len(day_values) - 1)
    caps = close[asof_idx] * hidden["shares_out"][None, :]  # months × symbols
    sector_idx = hidden["sector_idx"]
    value_style = rng.uniform(size=n) < 0.5
    dividend = rng.uniform(size=n) < 0.35
    themes = rng.uniform(size=(3, n)) < 0.15

    def by_cap(low: float, high: float):
        return lambda cap: (cap >= np.quantile(cap, low)) & (cap <= np.quantile(cap, high))

    # (symbol, membership rule on this month's caps, share of members' cap owned, equal weight?)
    funds = [
        ("SYNETF-MKT", lambda cap: np.ones(n, bool), 0.05, False),
        ("SYNETF-EQW", lambda cap: np.ones(n, bool), 0.01, True),
        ("SYNETF-LRG", by_cap(0.8, 1.0), 0.02, False),
        ("SYNETF-MID", by_cap(0.4, 0.8), 0.012, False),
        ("SYNETF-SML", by_cap(0.0, 0.4), 0.012, False),
        ("SYNETF-VAL", lambda cap: value_style, 0.01, False),
        ("SYNETF-GRW", lambda cap: ~value_style, 0.01, False),
        ("SYNETF-DIV", lambda cap: dividend, 0.008, False),
        *[(f"SYNETF-T{i + 1}", (lambda cap, m=themes[i]: m), 0.004, False) for i in range(3)],
        *[
            (f"SYNETF-S{i + 1:02d}", (lambda cap, i=i: sector_idx == i), 0.012, False)
            for i in range(len(SECTORS))
        ],
    ]
    flows = np.exp(np.cumsum(rng.normal(0.003, 0.02, (len(months), len(funds))), axis=0))
    rows = []
    for m in range(len(months)):
        cap = caps[m]
        px = close[asof_idx[m]]
        for e, (etf, members, own_share, equal) in enumerate(funds):
            idx = np.nonzero(members(cap))[0]
            if len(idx) == 0:
                continue
            weight = np.full(len(idx), 1 / len(idx)) if equal else cap[idx] / cap[idx].sum()
            aum = own_share * cap[idx].sum() * flows[m, e]
            shares = np.round(aum * weight / px[idx])
            rows.append(
                pd.DataFrame(
                    {
                        "symbol": uni["symbol"].to_numpy()[idx],
                        "known_at": day_values[asof_idx[m]],
                        "etf_symbol": etf,
                        "shares": shares,
                        "weight": weight,
                        "market_value": np.round(shares * px[idx], 2),
                        "source": SOURCE,
                        **dict.fromkeys(("cusip", "accession_number", "form_type", "report_date")),
                    }
                )
            )
    return pd.concat(rows, ignore_index=True)
