"""The SEC's company data → the universe: tickers and CIKs, sectors, filings lists and point-in-time shares
outstanding.

* ``https://www.sec.gov/files/company_tickers.json``: ``{"0": {"cik_str": 320193, "ticker": "AAPL",
  "title": "Apple Inc."}, …}``; ``cik_str`` is an unpadded integer, share classes are spelled with a dash
  (``BRK-B``), and the rows come in the SEC's order, not alphabetically. Issuers are keyed by the 10-digit
  CIK, so a ticker change keeps the history.
* ``https://data.sec.gov/submissions/CIK##########.json``: ``sic`` / ``sicDescription``, ``tickers``, and
  ``filings.recent`` (column arrays: ``accessionNumber``, ``filingDate``, ``acceptanceDateTime`` (UTC),
  ``form``, ``reportDate``, ``primaryDocument`` …, the newest ~1000 filings) plus ``filings.files``, the
  older pages (``CIK##########-submissions-001.json``) in the same column layout.
* ``https://data.sec.gov/api/xbrl/companyfacts/CIK##########.json``: ``facts.dei.
  EntityCommonStockSharesOutstanding`` (the cover page count) and ``facts.us-gaap.
  CommonStockSharesOutstanding`` (the balance sheet count), each value with ``end`` (the date it counts
  at), ``filed`` (the date it became public), ``accn`` and ``form``.

**Shares outstanding, point in time** (:func:`shares_outstanding_at`): at a date t, among the values filed
on or before t, the one with the latest ``end``; on equal ``end`` the dei value before the us-gaap one, then
the later ``filed``. So the cover-page figure is used, falling back to the balance-sheet figure when a
filing has no cover-page value, and nothing is known before its filing date. The dei concept is reported
once per share class on multi-class issuers; the values of one filing (``accn``) for one ``end`` are summed
into the issuer's total. Repeated values (the same ``end`` re-reported in later filings) keep the earliest
filing date.

**Sector** (:func:`sector_for_sic`): the SIC code through :data:`SIC_SECTORS`, an approximate table from SIC
ranges to the 11 GICS sector names the synthetic market uses. SIC predates GICS and is coarser, so some
issuers land elsewhere than in GICS (Alphabet's 7370 and Meta's 7370 are "Information Technology", not
"Communication Services"); an unknown or missing SIC is "Unknown".
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from smart_money.sources.sec import normalize

SOURCE = "sec"
DEI_SHARES = ("dei", "EntityCommonStockSharesOutstanding")
GAAP_SHARES = ("us-gaap", "CommonStockSharesOutstanding")
UNKNOWN_SECTOR = "Unknown"

# SIC code ranges (inclusive) → GICS sector name; the first range containing the code wins, so the
# narrow ranges come before the wide ones. Sources: the SEC's SIC code list (Division / Major Group
# structure) mapped by hand to the GICS sector of the typical issuer in each group.
SIC_SECTORS: tuple[tuple[int, int, str, str], ...] = (
    # narrow exceptions first
    (1311, 1389, "Energy", "crude petroleum, natural gas, drilling and oil field services"),
    (1220, 1241, "Energy", "coal mining"),
    (1531, 1531, "Consumer Discretionary", "operative builders (homebuilders)"),
    (2830, 2836, "Health Care", "drugs, biological products"),
    (2840, 2844, "Consumer Staples", "soap, detergents, perfumes, cosmetics"),
    (3011, 3011, "Consumer Discretionary", "tires"),
    (3570, 3579, "Information Technology", "computer and office equipment"),
    (3630, 3639, "Consumer Discretionary", "household appliances"),
    (3651, 3652, "Consumer Discretionary", "household audio and video equipment, records"),
    (3660, 3679, "Information Technology", "communications equipment, semiconductors, electronic parts"),
    (3710, 3716, "Consumer Discretionary", "motor vehicles and car bodies"),
    (3751, 3751, "Consumer Discretionary", "motorcycles, bicycles"),
    (3812, 3829, "Information Technology", "search, navigation, measuring and control instruments"),
    (3841, 3851, "Health Care", "surgical, medical, dental and ophthalmic instruments"),
    (3861, 3861, "Information Technology", "photographic equipment"),
    (3873, 3873, "Consumer Discretionary", "watches and clocks"),
    (4950, 4959, "Industrials", "sanitary services, waste management"),
    (5045, 5045, "Information Technology", "wholesale computers and software"),
    (5065, 5065, "Information Technology", "wholesale electronic parts"),
    (5122, 5122, "Health Care", "wholesale drugs"),
    (5140, 5149, "Consumer Staples", "wholesale groceries"),
    (5171, 5172, "Energy", "wholesale petroleum products"),
    (5331, 5331, "Consumer Staples", "variety stores (general merchandise with groceries)"),
    (5400, 5499, "Consumer Staples", "food stores"),
    (5912, 5912, "Consumer Staples", "drug stores"),
    (6798, 6798, "Real Estate", "real estate investment trusts"),
    (7310, 7319, "Communication Services", "advertising"),
    (7370, 7379, "Information Technology", "computer programming, software, data processing"),
    (7810, 7829, "Communication Services", "motion pictures"),
    (7830, 7841, "Communication Services", "motion picture theaters, video rental"),
    (8731, 8731, "Health Care", "commercial physical and biological research"),
    # the divisions and major groups
    (100, 799, "Consumer Staples", "agricultural production and services"),
    (800, 899, "Materials", "forestry"),
    (900, 999, "Consumer Staples", "fishing"),
    (1000, 1099, "Materials", "metal mining"),
    (1200, 1399, "Energy", "coal, oil and gas extraction"),
    (1400, 1499, "Materials", "nonmetallic minerals"),
    (1500, 1799, "Industrials", "construction"),
    (2000, 2199, "Consumer Staples", "food, beverages, tobacco"),
    (2200, 2399, "Consumer Discretionary", "textiles and apparel"),
    (2400, 2499, "Materials", "lumber and wood"),
    (2500, 2599, "Consumer Discretionary", "furniture and fixtures"),
    (2600, 2699, "Materials", "paper"),
    (2700, 2799, "Communication Services", "printing and publishing"),
    (2800, 2899, "Materials", "chemicals"),
    (2900, 2999, "Energy", "petroleum refining"),
    (3000, 3099, "Materials", "rubber and plastics"),
    (3100, 3199, "Consumer Discretionary", "leather"),
    (3200, 3399, "Materials", "stone, clay, glass, primary metals"),
    (3400, 3599, "Industrials", "fabricated metal, industrial machinery"),
    (3600, 3699, "Industrials", "electrical equipment"),
    (3700, 3799, "Industrials", "transportation equipment, aircraft, ships"),
    (3800, 3899, "Information Technology", "instruments"),
    (3900, 3999, "Consumer Discretionary", "miscellaneous manufacturing (toys, jewelry, sporting goods)"),
    (4000, 4799, "Industrials", "transportation"),
    (4800, 4899, "Communication Services", "communications"),
    (4900, 4999, "Utilities", "electric, gas, water services"),
    (5000, 5199, "Industrials", "wholesale trade"),
    (5200, 5999, "Consumer Discretionary", "retail trade"),
    (6000, 6499, "Financials", "banks, credit, brokers, insurance"),
    (6500, 6599, "Real Estate", "real estate"),
    (6700, 6799, "Financials", "holding and investment offices"),
    (7000, 7299, "Consumer Discretionary", "hotels, personal services"),
    (7300, 7399, "Industrials", "business services"),
    (7500, 7699, "Consumer Discretionary", "auto repair, miscellaneous repair"),
    (7800, 7999, "Consumer Discretionary", "amusement and recreation"),
    (8000, 8099, "Health Care", "health services"),
    (8100, 8199, "Industrials", "legal services"),
    (8200, 8299, "Consumer Discretionary", "educational services"),
    (8300, 8699, "Industrials", "social services, membership organizations"),
    (8700, 8799, "Industrials", "engineering, accounting, research, management"),
)


class CompanyDataError(ValueError):
    """A company JSON document has the wrong shape (the message names it and what was expected)."""


def _load(document, name: str):
    if isinstance(document, (bytes, str)):
        try:
            return json.loads(document)
        except json.JSONDecodeError as error:
            raise CompanyDataError(f"{name} is not JSON ({error})") from None
    return document


def sector_for_sic(sic) -> str:
    """The GICS sector name for an SIC code (text or int); "Unknown" when missing or unlisted."""
    text = str(sic or "").strip()
    if not text.isdigit():
        return UNKNOWN_SECTOR
    code = int(text)
    for low, high, sector, _ in SIC_SECTORS:
        if low <= code <= high:
            return sector
    return UNKNOWN_SECTOR


# ---- company tickers ---------------------------------------------------------------------------------------
def company_tickers(document) -> pd.DataFrame:
    """``company_tickers.json`` → columns cik (10 digits), ticker, name, in the file's order."""
    data = _load(document, "company_tickers.json")
    if not isinstance(data, Mapping):
        raise CompanyDataError("company_tickers.json is not an object keyed by row number")
    rows = []
    for key, entry in data.items():
        if not isinstance(entry, Mapping) or "cik_str" not in entry or "ticker" not in entry:
            raise CompanyDataError(f"company_tickers.json row {key!r} has no cik_str / ticker: {entry!r}")
        rows.append(
            {
                "cik": normalize.cik(entry["cik_str"]),
                "ticker": str(entry["ticker"]).strip().upper(),
                "name": str(entry.get("title") or "").strip(),
                "_order": int(key) if str(key).isdigit() else len(rows),
            }
        )
    out = pd.DataFrame(rows, columns=["cik", "ticker", "name", "_order"])
    return out.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)


def cik_symbol_map(
    tickers: pd.DataFrame, symbols: Iterable[str] | None = None
) -> tuple[dict[str, str], list[str]]:
    """(CIK → universe symbol, requested symbols the tickers file does not know).

    With ``symbols`` None every ticker is in the universe. When two universe symbols share a CIK (share
    classes such as GOOGL / GOOG) the one listed first in the SEC's file gets the issuer's filings, so no
    transaction is counted under two symbols.
    """
    wanted = None if symbols is None else [s.strip().upper() for s in symbols]
    known = set(tickers["ticker"])
    missing = [] if wanted is None else [s for s in wanted if s not in known]
    chosen = tickers if wanted is None else tickers[tickers["ticker"].isin(set(wanted))]
    mapping: dict[str, str] = {}
    for row in chosen.itertuples(index=False):
        mapping.setdefault(row.cik, row.ticker)
    return mapping, missing


# ---- submissions -------------------------------------------------------------------------------------------
FILING_COLUMNS = (
    "accession_number",
    "form",
    "filing_date",
    "report_date",
    "acceptance_time",
    "primary_document",
    "is_ownership",
)


def company_profile(document) -> dict:
    """The issuer fields of a submissions JSON: cik, name, sic, sic_description, sector, tickers."""
    data = _load(document, "submissions JSON")
    if not isinstance(data, Mapping) or "cik" not in data:
        raise CompanyDataError("submissions JSON has no 'cik'; expected data.sec.gov/submissions/CIK….json")
    return {
        "cik": normalize.cik(data["cik"]),
        "name": str(data.get("name") or "").strip(),
        "sic": str(data.get("sic") or "").strip(),
        "sic_description": str(data.get("sicDescription") or "").strip(),
        "sector": sector_for_sic(data.get("sic")),
        "tickers": [str(t).upper() for t in data.get("tickers") or []],
    }


def filings_frame(columns: Mapping) -> pd.DataFrame:
    """A column-array block (``filings.recent`` or an older page) → one row per filing, newest first as
    filed. ``filing_date`` is the public date; ``acceptance_time`` is UTC."""
    if not isinstance(columns, Mapping) or "accessionNumber" not in columns:
        raise CompanyDataError("a filings block has no 'accessionNumber' array (filings.recent or a page)")
    n = len(columns["accessionNumber"])

    def column(name: str) -> list:
        values = columns.get(name) or [None] * n
        if len(values) != n:
            raise CompanyDataError(f"filings block: '{name}' has {len(values)} values for {n} filings")
        return list(values)

    form = [str(f or "").strip() for f in column("form")]
    return pd.DataFrame(
        {
            "accession_number": [str(a).strip() for a in column("accessionNumber")],
            "form": form,
            "filing_date": pd.to_datetime(column("filingDate"), format="%Y-%m-%d", errors="coerce").astype(
                "datetime64[ms]"
            ),
            "report_date": pd.to_datetime(
                [r or None for r in column("reportDate")], format="%Y-%m-%d", errors="coerce"
            ).astype("datetime64[ms]"),
            "acceptance_time": pd.to_datetime(
                [a or None for a in column("acceptanceDateTime")], utc=True, errors="coerce"
            ).astype("datetime64[ms, UTC]"),
            "primary_document": [str(d or "") for d in column("primaryDocument")],
            "is_ownership": [f in normalize.OWNERSHIP_FORMS for f in form],
        },
        columns=list(FILING_COLUMNS),
    )


def filing_pages(document) -> list[str]:
    """The names of the older filings pages (``filings.files[].name``) to fetch after ``recent``."""
    data = _load(document, "submissions JSON")
    files = ((data or {}).get("filings") or {}).get("files") or []
    return [str(f["name"]) for f in files if isinstance(f, Mapping) and f.get("name")]


def all_filings(document, pages: Sequence = ()) -> pd.DataFrame:
    """Every filing of a submissions JSON: ``filings.recent`` plus the fetched older ``pages`` (their JSON),
    one row per accession number (the first seen kept), newest filing date first."""
    data = _load(document, "submissions JSON")
    recent = ((data or {}).get("filings") or {}).get("recent")
    if recent is None:
        raise CompanyDataError("submissions JSON has no filings.recent")
    frames = [filings_frame(recent)] + [filings_frame(_load(p, "submissions page")) for p in pages]
    out = pd.concat(frames, ignore_index=True).drop_duplicates("accession_number")
    return out.sort_values(["filing_date", "accession_number"], ascending=False, kind="stable").reset_index(
        drop=True
    )


# ---- XBRL company facts ------------------------------------------------------------------------------------
FACT_COLUMNS = ("known_at", "end", "shares", "concept", "accession_number", "form")


def shares_outstanding_facts(document) -> pd.DataFrame:
    """Every shares-outstanding value of a companyfacts JSON, each known from its ``filed`` date.

    Columns: known_at (``filed``), end, shares, concept (``dei`` or ``us-gaap``), accession_number, form.
    Values of one concept, filing and ``end`` are summed (one per share class); a value whose ``filed`` or
    ``end`` is missing, or that is not a positive number, is left out (it cannot be placed in time).
    """
    data = _load(document, "companyfacts JSON")
    facts = (data or {}).get("facts") if isinstance(data, Mapping) else None
    if not isinstance(facts, Mapping):
        raise CompanyDataError(
            "companyfacts JSON has no 'facts'; expected data.sec.gov/api/xbrl/companyfacts"
        )
    rows = []
    for taxonomy, concept in (DEI_SHARES, GAAP_SHARES):
        units = ((facts.get(taxonomy) or {}).get(concept) or {}).get("units") or {}
        for value in units.get("shares") or []:
            filed, end, val = value.get("filed"), value.get("end"), value.get("val")
            if not filed or not end or not isinstance(val, (int, float)) or val <= 0:
                continue
            rows.append(
                {
                    "known_at": pd.Timestamp(filed),
                    "end": pd.Timestamp(end),
                    "shares": float(val),
                    "concept": taxonomy,
                    "accession_number": str(value.get("accn") or ""),
                    "form": str(value.get("form") or ""),
                }
            )
    if not rows:
        return pd.DataFrame(columns=list(FACT_COLUMNS))
    out = pd.DataFrame(rows)
    out = out.groupby(["concept", "accession_number", "end"], as_index=False, sort=False).agg(
        known_at=("known_at", "min"), shares=("shares", "sum"), form=("form", "first")
    )
    out = out.sort_values(["known_at", "concept"]).drop_duplicates(["concept", "end", "shares"], keep="first")
    return out[list(FACT_COLUMNS)].reset_index(drop=True)


def shares_outstanding_at(facts: pd.DataFrame, as_of) -> float:
    """Shares outstanding known at ``as_of`` (NaN when nothing was filed by then); rule in the module doc."""
    if facts.empty:
        return float("nan")
    known = facts[facts["known_at"] <= pd.Timestamp(as_of)]
    if known.empty:
        return float("nan")
    ranked = known.assign(_dei=(known["concept"] == "dei").astype(int)).sort_values(
        ["end", "_dei", "known_at"], kind="stable"
    )
    return float(ranked["shares"].iloc[-1])


def universe_row(
    symbol: str, profile: Mapping, facts: pd.DataFrame | None, as_of
) -> tuple[list[dict], list[dict]]:
    """One ``universe`` row (+ cik) from :func:`company_profile` and :func:`shares_outstanding_facts`
    (None when the issuer has no company facts: shares_outstanding is then NaN)."""
    try:
        name = str(profile.get("name") or "").strip()
        if not name:
            raise normalize.Rejected("submissions JSON has no company name")
        shares = float("nan") if facts is None else shares_outstanding_at(facts, as_of)
        row = {
            "symbol": symbol.strip().upper(),
            "name": name,
            "sector": profile.get("sector") or sector_for_sic(profile.get("sic")),
            "shares_outstanding": shares,
            "is_synthetic": False,
            "as_of": pd.Timestamp(as_of),
            "source": SOURCE,
            "cik": normalize.cik(profile.get("cik")),
        }
    except normalize.Rejected as reason:
        return [], [
            {
                "table": "universe",
                "symbol": symbol,
                "reason": str(reason),
                "record": json.dumps(dict(profile), default=str)[:2000],
            }
        ]
    return [row], []
