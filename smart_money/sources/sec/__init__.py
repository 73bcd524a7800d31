"""SEC EDGAR as a source: ownership filings (Forms 3/4/5), the quarterly Insider Transactions Data Sets,
company tickers, submissions and XBRL company facts, all free and keyless. This package parses; the
normalization contract for ``raw_insider_trades`` is documented in :mod:`.normalize`."""
