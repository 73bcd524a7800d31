"""Black-Scholes value and delta (no rates, no dividends): the simulator prices its NBBO with them, and the
event features sign an event's net delta with them."""

import numpy as np
from scipy.special import ndtr

MIN_YEARS = 1 / 365 / 24  # an hour: an option at expiry still has a defined value and delta


def bs_price(spot, strike, years, vol, is_call) -> np.ndarray:
    """Black-Scholes value: enough for a coherent NBBO around simulated prints."""
    years = np.maximum(years, MIN_YEARS)
    root = vol * np.sqrt(years)
    d1 = (np.log(spot / strike) + 0.5 * vol**2 * years) / root
    d2 = d1 - root
    call = spot * ndtr(d1) - strike * ndtr(d2)
    return np.where(is_call, call, call - spot + strike)


def bs_delta(spot, strike, years, vol, is_call) -> np.ndarray:
    """Black-Scholes delta per contract share: calls in (0, 1), puts in (-1, 0)."""
    years = np.maximum(years, MIN_YEARS)
    d1 = (np.log(spot / strike) + 0.5 * vol**2 * years) / (vol * np.sqrt(years))
    return np.where(is_call, ndtr(d1), ndtr(d1) - 1.0)
