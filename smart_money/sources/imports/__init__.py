"""Importers: raw tables read from files, for a source that lacks them (the SEC has no prices and no
Congress trades). ``prices`` reads the documented price file; ``congress`` reads the documented Congress
CSV, the Senate eFD daily summaries and the House transactions with the House Clerk's index."""

from smart_money.sources.imports.congress import CongressFileError, read_congress
from smart_money.sources.imports.prices import PriceFileError, prices_window, read_prices

__all__ = ["CongressFileError", "PriceFileError", "prices_window", "read_congress", "read_prices"]
