"""Importers: raw tables read from files, for a source that lacks them (the SEC has no prices and no
Congress trades). ``prices`` reads the documented price file; ``congress`` reads the documented Congress
CSV, the Senate eFD daily summaries and the House transactions with the House Clerk's index;
``etf_holdings`` reads ETF holdings files in ARK's daily layout."""

from smart_money.sources.imports.congress import CongressFileError, read_congress
from smart_money.sources.imports.etf_holdings import (
    EtfHoldingsFileError,
    load_etf_holdings,
    read_etf_holdings,
)
from smart_money.sources.imports.prices import PriceFileError, prices_window, read_prices

__all__ = [
    "CongressFileError",
    "EtfHoldingsFileError",
    "PriceFileError",
    "load_etf_holdings",
    "prices_window",
    "read_congress",
    "read_etf_holdings",
    "read_prices",
]
