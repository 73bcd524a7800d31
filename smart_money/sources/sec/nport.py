"""ETF holdings from Form N-PORT → ``raw_etf_holdings`` rows, point in time.

Every registered fund other than a money market fund or a small business investment company files Form
N-PORT under rule 30b1-9, exchange-traded funds organized as unit investment trusts included (the form's
General Instruction A). A report lists the
fund's holdings as of one month end with CUSIP, balance, value in dollars and share of net assets.

**The document** (``primary_doc.xml``, namespace ``http://www.sec.gov/edgar/nport``; the SEC's
``eis_NPORT_Filer.xsd``, copied in dgunning/edgartools ``data/nport/schema``): ``headerData/
submissionType`` (``NPORT-P``, ``NPORT-P/A``, ``NPORT-NP``, ``NPORT-NP/A``), ``formData/genInfo`` with
``regName``, ``regCik``, ``seriesName``, ``seriesId``, ``repPdEnd`` (Item A.3.a, the **fiscal year end**)
and ``repPdDate`` (Item A.3.b, the date the holdings are **as of**), ``isFinalFiling``; ``fundInfo`` with
``totAssets``, ``netAssets``; ``invstOrSecs/invstOrSec`` one per holding: ``name``, ``lei``, ``title``,
``cusip`` (``N/A`` allowed), ``identifiers`` (``isin``/``ticker``/``other``, the value in a ``value``
attribute), ``balance``, ``units`` (``NS`` shares, ``PA`` principal amount, ``NC`` contracts, ``OU``
other), ``curCd`` or ``currencyConditional`` (``curCd``, ``exchangeRt`` attributes, for non-dollar
holdings), ``valUSD``, ``pctVal`` (percent of net assets, 0-100, negative for short positions),
``payoffProfile`` (``Long``/``Short``/``N/A``), ``assetCat`` (``EC`` equity common, ``EP``, ``DBT``,
``DE`` …) or ``assetConditional`` (``assetCat="OTHER"``), ``issuerCat``, ``invCountry``. Numbers may be
``N/A`` (read as NaN). Real documents start with a blank line before the XML declaration (the two
edgartools copies do); the document carries no filing date and no accession number, so the caller passes
both (the filing index, the submissions JSON, the data set's ``SUBMISSION``).

**Which reports are public, and from when** (:func:`publication`):

* Until the 2024 amendments apply, a fund files all three monthly reports of a fiscal quarter within 60
  days after the quarter ends; **only the third month's report is public, on its filing**, the first
  two are not public at all. (The SEC's 27 February 2019 amendments to rule 30b1-9; its press release as
  quoted by Deloitte DART: "The non-public monthly reports … for the first and second months of the
  fiscal quarter will remain non-public and the monthly report for the third month will become publicly
  available upon filing"; also National Law Review and 40actlawyer.com, same date.) The fiscal quarter
  comes from the fiscal year end in ``repPdEnd``: a report is public when its month is 0, 3, 6 or 9
  months from the fiscal year end's month.
* The 2024 amendments (Release IC-35308, File S7-26-22, 89 FR 73764, 11 September 2024; effective 17
  November 2025, compliance for fund groups with $1 billion or more then, smaller groups 18 May 2026)
  have funds file each month within 30 days and make **every month public 60 days after the end of the
  month** (SEC press release of 28 August 2024 as quoted by Traders Magazine and FilePoint; Mondaq,
  3 September 2024). There the filing date is earlier than the public date, so a report filed on or after
  :data:`MONTHLY_PUBLIC_FROM` is known from ``max(filing date, month end + 60 days)``.
* In February 2026 the SEC proposed quarterly filing again (third month public, 60-day delay; Investment
  Law Watch, 20 February 2026; AIMA, 19 February 2026) and extended the N-PORT compliance dates of the
  Names Rule items to 17 November 2027 / 18 May 2028 (sec.gov, IC-35963). No source found here says
  whether the 2024 amendments' own compliance date was deferred; the shared sample suggests funds still
  filed quarterly in early 2026 (T. Rowe Price filed its 31 December 2025 reports on 26 February 2026,
  day 57, past the amended 30-day deadline). The rule above is right under either reading: before the
  boundary the third month is public on filing; from the boundary on, ``max(filing, month end + 60)`` is
  never earlier than the public date under the old rule (public on filing), the 2024 amendments (public
  at day 60) or the 2026 proposal (public at day 60); it may be a few days late (T. Rowe: 1 March 2026
  rather than 26 February).
* ``NPORT-NP`` / ``NPORT-NP/A`` (the schema's non-public submission types) are never public. A report
  with no filing date, no report date or (before the boundary) no fiscal year end is not placed in time:
  its filing is quarantined with the reason, one entry per filing (not per holding).

So ``known_at`` is the public date of the report, never its report date. The shared N-PORT sample's
30-NOV-2025 reports filed 29-JAN-2026 (Global X) are third-month reports (fiscal year ending in November,
``REPORT_ENDING_PERIOD`` 30-NOV-2025: quarters end in February, May, August, November), filed on the
60-day deadline, 30 November + 60 days = 29 January: public that day under every reading.

**Rows** (:func:`etf_rows`): equity common (``assetCat`` ``EC``), not short, whose CUSIP (or, without
one, the CUSIP inside a US/CA ISIN) maps to a universe symbol; ``shares`` = ``balance`` (units must be
``NS``), ``weight`` = ``pctVal`` / 100, ``market_value`` = ``valUSD``, ``report_date`` = ``repPdDate``,
``known_at`` as above, ``form_type`` ``NPORT-P``/``NPORT-P/A``, the accession number and the CUSIP.
Lines of one report that map to the same symbol are summed (the CUSIP is kept when they share one).
Holdings outside the universe are not rows and not quarantined (choosing the universe is not dropping
data); :func:`holdings_coverage` reports the share of equity value mapped and the largest unmapped CUSIPs.
A mapped holding that cannot be a row (units not shares, a negative or missing balance, a percent
outside 0-100) is quarantined with its reason.

**Amendments.** Rows are kept as filed, one set per filing. An ``NPORT-P/A`` restates the whole report
of its period (series, ``report_date``) from its own ``known_at``, never before. The rule readers apply
(:func:`reports_as_of`): at a date t, for each ETF and report date take the filing with the latest
``known_at`` on or before t (on the same day the amendment, then the higher accession number), then the
ETF's latest report date among those; its rows are the ETF's holdings known at t. A holding missing from
the chosen filing is not held. (An amendment none of whose holdings map to the universe leaves no rows,
so readers keep the previous filing's rows for that period; the filing list shows the amendment.)

**Share classes.** ``company_tickers_mf.json`` (:func:`fund_tickers`) lists every open-end fund share
class: ``{"fields": ["cik", "seriesId", "classId", "symbol"], "data": [[36405, "S000002839",
"C000092055", "VOO"], …]}`` (CIK an unpadded integer; one real row has an empty symbol). N-PORT is filed
per series, so an ETF that is a share class of a series with mutual fund classes (Vanguard: VOO is a class
of the 500 Index Fund, series S000002839, with VFIAX and VFINX) reports the whole series' holdings, not
the ETF class's share. Unit investment trust ETFs (SPY, QQQ, DIA, MDY) have no series or class and are
not in the file.

**The data set** (:func:`dataset_filings`, :func:`dataset_holdings`): the SEC's quarterly Form N-PORT
data sets carry the same facts as TSV tables: ``SUBMISSION`` (``ACCESSION_NUMBER``, ``FILING_DATE``
DD-MON-YYYY, ``SUB_TYPE``, ``REPORT_ENDING_PERIOD`` = fiscal year end, ``REPORT_DATE`` = as-of date,
``IS_LAST_FILING``), ``REGISTRANT`` (``CIK``, ``REGISTRANT_NAME``), ``FUND_REPORTED_INFO``
(``SERIES_NAME``, ``SERIES_ID``, ``TOTAL_ASSETS``, ``NET_ASSETS``), ``FUND_REPORTED_HOLDING``
(``HOLDING_ID``, ``ISSUER_NAME``, ``ISSUER_CUSIP``, ``BALANCE``, ``UNIT``, ``CURRENCY_VALUE`` (the
dollar value, ``valUSD``), ``PERCENTAGE``, ``PAYOFF_PROFILE``, ``ASSET_CAT`` …) and ``IDENTIFIERS``
(``HOLDING_ID``, ``IDENTIFIER_ISIN``, ``IDENTIFIER_TICKER``). Frames joined from them (the shared sample
is such a join, with only some columns) read into the same filing and holdings shapes as the XML.
"""

from __future__ import annotations

import calendar
import json
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from smart_money import tables
from smart_money.sources.sec import normalize
from smart_money.sources.sec import xml as sec_xml

SOURCE = "sec"
TABLE = tables.RAW_ETF_HOLDINGS.name
PUBLIC_FORMS = ("NPORT-P", "NPORT-P/A")
NON_PUBLIC_FORMS = ("NPORT-NP", "NPORT-NP/A")
# From this filing date on, a report may be public in any month, 60 days after its month ends (2024
# amendments' effective date; see the module docstring).
MONTHLY_PUBLIC_FROM = date(2025, 11, 17)
PUBLIC_DELAY_DAYS = 60
EQUITY_COMMON = "EC"
SHARE_UNITS = "NS"

# One row per holding of a report (XML or data set), as filed.
HOLDING_COLUMNS: tuple[str, ...] = (
    "accession_number",
    "series_id",
    "report_date",  # repPdDate: the date the holdings are as of
    "cusip",  # None when N/A or missing
    "isin",
    "ticker",
    "name",
    "balance",
    "units",  # NS shares, PA principal amount, NC contracts, OU other
    "value_usd",
    "pct_val",  # percent of net assets as filed, 0-100 (negative for shorts)
    "asset_cat",
    "payoff_profile",
)
# What a filing says about itself (the dict parse_nport returns; dataset_filings' columns).
FILING_KEYS: tuple[str, ...] = (
    "accession_number",
    "form_type",
    "filing_date",
    "cik",
    "registrant_name",
    "series_id",
    "series_name",
    "report_date",
    "fiscal_year_end",
    "is_final_filing",
    "total_assets",
    "net_assets",
    "n_holdings",
)
_NUMBER_COLUMNS = ("balance", "value_usd", "pct_val")

# The default SMART_MONEY_ETFS: the largest US-listed equity ETFs by assets that are share classes of
# registered open-end funds (so they file N-PORT per series and are found in company_tickers_mf.json; each
# resolves in the SEC's file, checked on a copy of August 2024). The unit investment trusts SPY, QQQ, DIA
# and MDY also file N-PORT but have no series to look up, so they are left out. The ranking by assets is
# the issuers' public fund sizes of 2024-2025, not checked against a source here.
DEFAULT_ETFS: tuple[str, ...] = (
    "VOO",  # Vanguard 500 Index Fund (series with mutual fund classes: the whole series is reported)
    "IVV",  # iShares Core S&P 500
    "VTI",  # Vanguard Total Stock Market Index Fund (idem)
    "VUG",  # Vanguard Growth Index Fund (idem)
    "VTV",  # Vanguard Value Index Fund (idem)
    "IWF",  # iShares Russell 1000 Growth
    "IJH",  # iShares Core S&P Mid-Cap
    "IJR",  # iShares Core S&P Small-Cap
    "VGT",  # Vanguard Information Technology Index Fund (idem)
    "IWM",  # iShares Russell 2000
    "XLK",  # Technology Select Sector SPDR
    "SCHD",  # Schwab U.S. Dividend Equity
)

_DOCUMENT = re.compile(rb"<(?:\w+:)?edgarSubmission[\s>].*?</(?:\w+:)?edgarSubmission>", re.DOTALL)
_NA = {"", "N/A", "NA", "NONE"}


class NportParseError(ValueError):
    """The bytes are not a readable N-PORT document (the message names what is wrong)."""


class FundTickersError(ValueError):
    """``company_tickers_mf.json`` has the wrong shape, or a configured ETF is not in it."""


# ---- small readers -----------------------------------------------------------------------------------------


def _attribute(element: ET.Element | None, name: str) -> str | None:
    return None if element is None else _optional_text(element.get(name))


def _number(text, what: str) -> float:
    """A decimal as filed; ``N/A`` and empty are NaN, other text is an error naming ``what``."""
    if text is None:
        return math.nan
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return float(text)
    value = str(text).strip()
    if value.upper() in _NA:
        return math.nan
    try:
        return float(value)
    except ValueError:
        raise NportParseError(f"{what} {value!r} is not a number (nor N/A)") from None


def _date(text, what: str) -> date | None:
    try:
        return normalize.parse_date(text, what)
    except normalize.Rejected as error:
        raise NportParseError(str(error)) from None


def _cusip(text) -> str | None:
    """The CUSIP as filed (upper case); None for N/A, empty, all zeros or anything not 9 characters."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return None
    value = str(text).strip().upper()
    if value in _NA or len(value) != 9 or set(value) == {"0"}:
        return None
    return value


def _optional_text(text) -> str | None:
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return None
    value = str(text).strip()
    return None if value.upper() in _NA else value


def _flag(text) -> bool | None:
    value = str(text or "").strip().upper()
    return {"Y": True, "N": False}.get(value)


def _cik(text) -> str | None:
    value = _optional_text(text)
    if value is None:
        return None
    try:
        return normalize.cik(value)
    except normalize.Rejected as error:
        raise NportParseError(str(error)) from None


def month_end(day: date) -> date:
    return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])


# ---- the public rule ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Publication:
    """When a report became public (``known_at``), or why it is not public (``known_at`` None)."""

    known_at: date | None
    reason: str


def publication(
    report_date,
    filing_date,
    fiscal_year_end=None,
    form_type: str | None = "NPORT-P",
    *,
    monthly_public_from: date | None = MONTHLY_PUBLIC_FROM,
) -> Publication:
    """The public date of one N-PORT report (module docstring: the rule and its sources). Dates may be
    ``date``, ``Timestamp`` or text (ISO or DD-MON-YYYY)."""
    form = str(form_type or "").strip().upper()
    if form in NON_PUBLIC_FORMS:
        return Publication(None, f"{form} is a non-public N-PORT report")
    if form not in PUBLIC_FORMS:
        return Publication(
            None, f"form type {form or None!r} is not a public N-PORT report (NPORT-P, NPORT-P/A)"
        )
    try:
        report = normalize.parse_date(report_date, "report date")
        filed = normalize.parse_date(filing_date, "filing date")
        fiscal = normalize.parse_date(fiscal_year_end, "fiscal year end")
    except normalize.Rejected as error:
        return Publication(None, str(error))
    if filed is None:
        return Publication(None, "no filing date: nothing says when the report became public")
    if report is None:
        return Publication(None, "no report date (repPdDate)")
    if filed < report:
        return Publication(None, f"filed {filed} before its report date {report}")
    if monthly_public_from is not None and filed >= monthly_public_from:
        public_at = month_end(report) + timedelta(days=PUBLIC_DELAY_DAYS)
        return Publication(
            max(filed, public_at),
            f"filed from {monthly_public_from} on: public {PUBLIC_DELAY_DAYS} days after the month end "
            "(2024 amendments) or on filing, whichever is later",
        )
    if fiscal is None:
        return Publication(
            None,
            "no fiscal year end (repPdEnd): cannot tell whether the month is the third of a fiscal quarter",
        )
    months_from_year_end = (report.month - fiscal.month) % 3
    if months_from_year_end != 0:
        which = "first" if months_from_year_end == 1 else "second"
        return Publication(
            None,
            f"{report:%Y-%m} is the {which} month of a fiscal quarter (fiscal year ends in month "
            f"{fiscal.month}): not public",
        )
    return Publication(filed, "third month of a fiscal quarter: public on filing")


def is_public(
    report_date,
    filing_date,
    fiscal_year_end=None,
    form_type: str | None = "NPORT-P",
    *,
    monthly_public_from: date | None = MONTHLY_PUBLIC_FROM,
) -> bool:
    """True when the report is public at all (:func:`publication` gives the date)."""
    return (
        publication(
            report_date, filing_date, fiscal_year_end, form_type, monthly_public_from=monthly_public_from
        ).known_at
        is not None
    )


# ---- the XML document --------------------------------------------------------------------------------------
def _holding(element: ET.Element, position: int, accession: str | None, series: str | None, report) -> dict:
    what = f"invstOrSec {position}"
    identifiers = sec_xml.child(element, "identifiers")
    asset = sec_xml.text(sec_xml.child(element, "assetCat"))
    if asset is None and (conditional := sec_xml.child(element, "assetConditional")) is not None:
        asset = conditional.get("assetCat")
    return {
        "accession_number": accession,
        "series_id": series,
        "report_date": report,
        "cusip": _cusip(sec_xml.text(sec_xml.child(element, "cusip"))),
        "isin": _attribute(sec_xml.child(identifiers, "isin"), "value"),
        "ticker": _attribute(sec_xml.child(identifiers, "ticker"), "value"),
        "name": sec_xml.text(sec_xml.child(element, "name")),
        "balance": _number(sec_xml.text(sec_xml.child(element, "balance")), f"{what} balance"),
        "units": _optional_text(sec_xml.text(sec_xml.child(element, "units"))),
        "value_usd": _number(sec_xml.text(sec_xml.child(element, "valUSD")), f"{what} valUSD"),
        "pct_val": _number(sec_xml.text(sec_xml.child(element, "pctVal")), f"{what} pctVal"),
        "asset_cat": _optional_text(asset),
        "payoff_profile": _optional_text(sec_xml.text(sec_xml.child(element, "payoffProfile"))),
    }


def holdings_frame(rows: Iterable[Mapping]) -> pd.DataFrame:
    """Holding dicts → a frame with :data:`HOLDING_COLUMNS` and stable dtypes (an empty report too)."""
    frame = pd.DataFrame(list(rows), columns=list(HOLDING_COLUMNS))
    for column in _NUMBER_COLUMNS:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    frame["report_date"] = pd.to_datetime(frame["report_date"]).astype("datetime64[ms]")
    for column in HOLDING_COLUMNS:
        if column not in _NUMBER_COLUMNS and column != "report_date":
            frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame


def parse_nport(xml: bytes | str, accession_number: str | None, filing_date) -> tuple[dict, pd.DataFrame]:
    """An N-PORT primary document (bare, or inside a full submission text) → (the filing's facts, keyed by
    :data:`FILING_KEYS`; its holdings, :data:`HOLDING_COLUMNS` in filed order). ``filing_date`` (the public
    date's basis: the filing index, submissions JSON, data set) and ``accession_number`` come from the
    caller; either may be None (such a filing is then quarantined by :func:`etf_rows`). Raises
    :class:`NportParseError` when the bytes are not a well-formed N-PORT document with a report date."""
    raw = xml.encode("utf-8") if isinstance(xml, str) else bytes(xml)
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        raise NportParseError("the document declares a DTD or entities; N-PORT XML never does")
    match = _DOCUMENT.search(raw)
    if not match:
        raise NportParseError("no <edgarSubmission> element: not an N-PORT document")
    try:
        root = ET.fromstring(match.group(0))
    except ET.ParseError as error:
        raise NportParseError(f"the N-PORT XML is not well-formed: {error}") from None
    form_data = sec_xml.child(root, "formData")
    info = sec_xml.child(form_data, "genInfo")
    if info is None:
        raise NportParseError("no formData/genInfo: not an N-PORT report")
    header = sec_xml.child(root, "headerData")
    series = sec_xml.text(sec_xml.child(info, "seriesId")) or sec_xml.text(
        sec_xml.child(sec_xml.child(sec_xml.child(header, "filerInfo"), "seriesClassInfo"), "seriesId")
    )
    report = _date(sec_xml.text(sec_xml.child(info, "repPdDate")), "repPdDate")
    if report is None:
        raise NportParseError("no genInfo/repPdDate: the date the holdings are as of")
    fund = sec_xml.child(form_data, "fundInfo")
    accession = _optional_text(accession_number)
    listed = sec_xml.child(form_data, "invstOrSecs")
    elements = [] if listed is None else [e for e in listed if sec_xml.local(e.tag) == "invstOrSec"]
    holdings = holdings_frame(
        _holding(e, i, accession, series, pd.Timestamp(report)) for i, e in enumerate(elements, start=1)
    )
    filing = {
        "accession_number": accession,
        "form_type": sec_xml.text(sec_xml.child(header, "submissionType")),
        "filing_date": _date(filing_date, "filing date"),
        "cik": _cik(sec_xml.text(sec_xml.child(info, "regCik"))),
        "registrant_name": sec_xml.text(sec_xml.child(info, "regName")),
        "series_id": series,
        "series_name": sec_xml.text(sec_xml.child(info, "seriesName")),
        "report_date": report,
        "fiscal_year_end": _date(sec_xml.text(sec_xml.child(info, "repPdEnd")), "repPdEnd"),
        "is_final_filing": _flag(sec_xml.text(sec_xml.child(info, "isFinalFiling"))),
        "total_assets": _number(sec_xml.text(sec_xml.child(fund, "totAssets")), "totAssets"),
        "net_assets": _number(sec_xml.text(sec_xml.child(fund, "netAssets")), "netAssets"),
        "n_holdings": len(holdings),
    }
    return filing, holdings


# ---- the data set ------------------------------------------------------------------------------------------
def _upper_columns(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out.columns = [str(c).strip().upper() for c in out.columns]
    return out


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name] if name in frame.columns else pd.Series([None] * len(frame), index=frame.index)


def dataset_filings(submission: pd.DataFrame) -> pd.DataFrame:
    """Data set ``SUBMISSION`` rows (joined with ``REGISTRANT`` / ``FUND_REPORTED_INFO`` columns when
    present; column names case-insensitive) → one row per filing with :data:`FILING_KEYS`."""
    frame = _upper_columns(submission)
    if "ACCESSION_NUMBER" not in frame.columns:
        raise NportParseError(f"SUBMISSION has no ACCESSION_NUMBER column (it has {list(frame.columns)})")
    rows = []
    for i, row in enumerate(frame.to_dict("records")):
        where = f"SUBMISSION row {i} ({row.get('ACCESSION_NUMBER')})"
        holdings = row.get("N_HOLDINGS")
        rows.append(
            {
                "accession_number": _optional_text(row.get("ACCESSION_NUMBER")),
                "form_type": _optional_text(row.get("SUB_TYPE")),
                "filing_date": _date(_optional_text(row.get("FILING_DATE")), f"{where} FILING_DATE"),
                "cik": _cik(row.get("CIK")),
                "registrant_name": _optional_text(row.get("REGISTRANT_NAME")),
                "series_id": _optional_text(row.get("SERIES_ID")),
                "series_name": _optional_text(row.get("SERIES_NAME")),
                "report_date": _date(_optional_text(row.get("REPORT_DATE")), f"{where} REPORT_DATE"),
                "fiscal_year_end": _date(
                    _optional_text(row.get("REPORT_ENDING_PERIOD")), f"{where} REPORT_ENDING_PERIOD"
                ),
                "is_final_filing": _flag(row.get("IS_LAST_FILING")),
                "total_assets": _number(row.get("TOTAL_ASSETS"), f"{where} TOTAL_ASSETS"),
                "net_assets": _number(row.get("NET_ASSETS"), f"{where} NET_ASSETS"),
                "n_holdings": None if _optional_text(holdings) is None else int(float(holdings)),
            }
        )
    return pd.DataFrame(rows, columns=list(FILING_KEYS))


def dataset_holdings(
    holdings: pd.DataFrame, filings: pd.DataFrame | None = None, identifiers: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Data set ``FUND_REPORTED_HOLDING`` rows → :data:`HOLDING_COLUMNS`, in file order. ``filings``
    (:func:`dataset_filings`) gives each accession's series and report date; ``IDENTIFIERS`` (joined on
    ``HOLDING_ID``) the ISIN and ticker. Columns a frame lacks are null (the shared sample has no CUSIP,
    unit, asset category or payoff profile). Rows are read one by one: give it the configured series'
    accessions, not a whole quarter's millions of holdings."""
    frame = _upper_columns(holdings)
    if "ACCESSION_NUMBER" not in frame.columns:
        raise NportParseError(
            f"FUND_REPORTED_HOLDING has no ACCESSION_NUMBER column (it has {list(frame.columns)})"
        )
    isin = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    ticker = isin.copy()
    if identifiers is not None and "HOLDING_ID" in frame.columns:
        ids = _upper_columns(identifiers).drop_duplicates("HOLDING_ID").set_index("HOLDING_ID")
        isin = frame["HOLDING_ID"].map(_column(ids, "IDENTIFIER_ISIN"))
        ticker = frame["HOLDING_ID"].map(_column(ids, "IDENTIFIER_TICKER"))
    by_accession: dict = {}
    if filings is not None and len(filings):
        by_accession = filings.set_index("accession_number")[["series_id", "report_date"]].to_dict("index")
    accession = frame["ACCESSION_NUMBER"].map(_optional_text)
    rows = []
    for i, row in enumerate(frame.to_dict("records")):
        where = f"FUND_REPORTED_HOLDING row {i}"
        known = by_accession.get(accession.iloc[i], {})
        report = known.get("report_date")
        rows.append(
            {
                "accession_number": accession.iloc[i],
                "series_id": known.get("series_id"),
                "report_date": None if report is None else pd.Timestamp(report),
                "cusip": _cusip(row.get("ISSUER_CUSIP")),
                "isin": _optional_text(isin.iloc[i]),
                "ticker": _optional_text(ticker.iloc[i]),
                "name": _optional_text(row.get("ISSUER_NAME")),
                "balance": _number(row.get("BALANCE"), f"{where} BALANCE"),
                "units": _optional_text(row.get("UNIT")),
                "value_usd": _number(row.get("CURRENCY_VALUE"), f"{where} CURRENCY_VALUE"),
                "pct_val": _number(row.get("PERCENTAGE"), f"{where} PERCENTAGE"),
                "asset_cat": _optional_text(row.get("ASSET_CAT")),
                "payoff_profile": _optional_text(row.get("PAYOFF_PROFILE")),
            }
        )
    return holdings_frame(rows)


# ---- share classes -----------------------------------------------------------------------------------------
def fund_tickers(document) -> pd.DataFrame:
    """``company_tickers_mf.json`` → columns cik (10 digits), series_id, class_id, symbol (upper case), in
    the file's order. Fields are found by name; rows without a symbol are left out (nothing to look up)."""
    if isinstance(document, (bytes, str)):
        try:
            document = json.loads(document)
        except json.JSONDecodeError as error:
            raise FundTickersError(f"company_tickers_mf.json is not JSON ({error})") from None
    if not isinstance(document, Mapping) or not isinstance(document.get("fields"), list):
        raise FundTickersError('company_tickers_mf.json is not {"fields": [...], "data": [[...], ...]}')
    fields = [str(f) for f in document["fields"]]
    wanted = {"cik": "cik", "seriesId": "series_id", "classId": "class_id", "symbol": "symbol"}
    missing = [f for f in wanted if f not in fields]
    if missing:
        raise FundTickersError(f"company_tickers_mf.json fields {fields} lack {missing}")
    data = document.get("data")
    if isinstance(data, Mapping):  # some copies key the rows by number
        data = list(data.values())
    if not isinstance(data, list):
        raise FundTickersError("company_tickers_mf.json has no data list")
    at = {name: fields.index(name) for name in wanted}
    rows = []
    for i, entry in enumerate(data):
        if not isinstance(entry, (list, tuple)) or len(entry) != len(fields):
            raise FundTickersError(
                f"company_tickers_mf.json data row {i} is not {len(fields)} values: {entry!r}"
            )
        symbol = str(entry[at["symbol"]] or "").strip().upper()
        if not symbol:
            continue
        try:
            cik = normalize.cik(entry[at["cik"]])
        except normalize.Rejected as error:
            raise FundTickersError(f"company_tickers_mf.json data row {i}: {error}") from None
        rows.append(
            {
                "cik": cik,
                "series_id": str(entry[at["seriesId"]] or "").strip().upper() or None,
                "class_id": str(entry[at["classId"]] or "").strip().upper() or None,
                "symbol": symbol,
            }
        )
    return pd.DataFrame(rows, columns=["cik", "series_id", "class_id", "symbol"])


def etf_series(tickers: pd.DataFrame, etf_symbols: Iterable[str]) -> dict[str, tuple[str, str]]:
    """ETF symbol → (registrant CIK, series ID) for the configured ETFs (:func:`fund_tickers` rows).

    A symbol not in the file, or two configured symbols on one series (its N-PORT would count twice),
    is a :class:`FundTickersError` naming them."""
    wanted = list(dict.fromkeys(str(s).strip().upper() for s in etf_symbols if str(s).strip()))
    found = tickers[tickers["symbol"].isin(wanted)]
    missing = [s for s in wanted if s not in set(found["symbol"])]
    if missing:
        raise FundTickersError(
            f"ETF(s) {missing} are not in the SEC's company_tickers_mf.json. Fix: check the ticker, or "
            "leave it out of SMART_MONEY_ETFS; unit investment trust ETFs (SPY, QQQ, DIA, MDY) have no "
            "series and are not in that file."
        )
    out: dict[str, tuple[str, str]] = {}
    for symbol in wanted:
        rows = found[found["symbol"] == symbol]
        pairs = sorted(set(zip(rows["cik"], rows["series_id"], strict=True)))
        if len(pairs) > 1 or pairs[0][1] is None:
            raise FundTickersError(f"ETF {symbol}: company_tickers_mf.json gives {pairs}, not one series")
        out[symbol] = pairs[0]
    by_series: dict[str, list[str]] = {}
    for symbol, (_, series) in out.items():
        by_series.setdefault(series, []).append(symbol)
    shared = {series: symbols for series, symbols in by_series.items() if len(symbols) > 1}
    if shared:
        raise FundTickersError(
            f"ETFs on the same fund series {shared}: one N-PORT covers them all and would count twice. "
            "Fix: keep one symbol per series in SMART_MONEY_ETFS."
        )
    return out


# ---- rows --------------------------------------------------------------------------------------------------
def _record(value: Mapping) -> str:
    def plain(v):
        if isinstance(v, (pd.Timestamp, date)):
            return None if pd.isna(v) else f"{pd.Timestamp(v):%Y-%m-%d}"
        if isinstance(v, float) and math.isnan(v):
            return None
        if isinstance(v, np.generic):
            return v.item()
        return v

    return json.dumps({k: plain(v) for k, v in value.items()}, default=str)[:2000]


def _quarantine(symbol: str | None, reason: str, record: Mapping) -> dict:
    return {"table": TABLE, "symbol": symbol or "", "reason": reason, "record": _record(record)}


def _filing_record(filing: Mapping, etf: str) -> dict:
    return {"etf_symbol": etf, **{k: filing.get(k) for k in FILING_KEYS if k in filing}}


def _cusip_map(cusip_to_symbol: Mapping) -> dict[str, str]:
    return {str(k).strip().upper(): str(v).strip().upper() for k, v in cusip_to_symbol.items()}


def _isin_cusip(isin) -> str | None:
    """The CUSIP inside a US or Canadian ISIN (``US0378331005`` → ``037833100``)."""
    text = str(isin or "").strip().upper()
    if len(text) == 12 and text[:2] in ("US", "CA"):
        return text[2:11]
    return None


def lookup_cusips(holdings: pd.DataFrame) -> pd.Series:
    """The CUSIP each holding is looked up by: its own, or the one inside a US or Canadian ISIN."""
    from_isin = holdings["isin"].map(_isin_cusip)
    return holdings["cusip"].where(holdings["cusip"].notna(), from_isin)


def empty_rows() -> pd.DataFrame:
    return tables.RAW_ETF_HOLDINGS.empty()


def _typed(rows: list[dict]) -> pd.DataFrame:
    spec = tables.RAW_ETF_HOLDINGS
    if not rows:
        return empty_rows()
    frame = pd.DataFrame(rows, columns=spec.column_names)
    for name in ("known_at", "report_date"):
        frame[name] = pd.to_datetime(frame[name]).astype("datetime64[ms]")
    for name in ("shares", "weight", "market_value"):
        frame[name] = frame[name].astype("float64")
    return frame


def etf_rows(
    filing: Mapping,
    holdings: pd.DataFrame,
    etf_symbol: str,
    cusip_to_symbol: Mapping,
    *,
    series_id: str | None = None,
    monthly_public_from: date | None = MONTHLY_PUBLIC_FROM,
) -> tuple[pd.DataFrame, list[dict]]:
    """One report's ``raw_etf_holdings`` rows for ``etf_symbol`` and its quarantined records (module
    docstring: which holdings, the public date, amendments). ``filing`` has :data:`FILING_KEYS` (from
    :func:`parse_nport` or a :func:`dataset_filings` row); ``holdings`` may hold other filings' rows too
    (a whole data set): only this accession's are read. ``series_id``, when given, must be the filing's."""
    etf = str(etf_symbol).strip().upper()
    record = _filing_record(filing, etf)
    accession = _optional_text(filing.get("accession_number"))
    if accession is None:
        return empty_rows(), [_quarantine(None, "no accession number", record)]
    public = publication(
        filing.get("report_date"),
        filing.get("filing_date"),
        filing.get("fiscal_year_end"),
        filing.get("form_type"),
        monthly_public_from=monthly_public_from,
    )
    if public.known_at is None:
        return empty_rows(), [_quarantine(None, f"{accession}: {public.reason}", record)]
    if series_id is not None and filing.get("series_id") != series_id:
        reason = f"{accession} reports series {filing.get('series_id')}, not {etf}'s series {series_id}"
        return empty_rows(), [_quarantine(None, reason, record)]
    mine = holdings[holdings["accession_number"] == accession]
    symbols = lookup_cusips(mine).map(_cusip_map(cusip_to_symbol))
    equity = (mine["asset_cat"] == EQUITY_COMMON) & (mine["payoff_profile"] != "Short")
    keep = equity & symbols.notna()
    chosen = mine[keep].assign(symbol=symbols[keep])  # (an empty frame would take the whole index)
    quarantined: list[dict] = []
    good: list[dict] = []
    for holding in chosen.to_dict("records"):
        problem = None
        if holding["units"] != SHARE_UNITS:
            problem = f"units {holding['units']!r}: the balance is not a number of shares (NS)"
        elif not holding["balance"] >= 0:  # NaN too
            problem = f"balance {holding['balance']!r} is not a number of shares >= 0"
        elif holding["value_usd"] < 0:
            problem = f"valUSD {holding['value_usd']!r} is negative for a long holding"
        elif not (math.isnan(holding["pct_val"]) or 0 <= holding["pct_val"] <= 100):
            problem = f"pctVal {holding['pct_val']!r} is not a percent of net assets in 0-100"
        if problem:
            quarantined.append(
                _quarantine(holding["symbol"], f"{accession}: {problem}", {**record, **holding})
            )
        else:
            good.append(holding)
    rows = []
    by_symbol: dict[str, list[dict]] = {}
    for holding in good:
        by_symbol.setdefault(holding["symbol"], []).append(holding)
    for symbol, lines in by_symbol.items():
        cusips = {h["cusip"] for h in lines}
        weights = [h["pct_val"] for h in lines]
        values = [h["value_usd"] for h in lines]
        rows.append(
            {
                "symbol": symbol,
                "known_at": pd.Timestamp(public.known_at),
                "etf_symbol": etf,
                "shares": float(sum(h["balance"] for h in lines)),
                "weight": math.nan if any(map(math.isnan, weights)) else sum(weights) / 100.0,
                "market_value": math.nan if any(map(math.isnan, values)) else float(sum(values)),
                "source": SOURCE,
                "cusip": cusips.pop() if len(cusips) == 1 else None,
                "accession_number": accession,
                "form_type": str(filing.get("form_type")).strip().upper(),
                "report_date": pd.Timestamp(normalize.parse_date(filing.get("report_date"), "report date")),
            }
        )
    return _typed(rows), quarantined


def holdings_coverage(holdings: pd.DataFrame, cusip_to_symbol: Mapping, top: int = 10) -> dict:
    """How much of a report's (or a data set's) long equity maps to the universe: counts, dollar values,
    the mapped share of value and the ``top`` largest unmapped holdings (by CUSIP, or by name when the
    holding has none)."""
    cusips = lookup_cusips(holdings)
    symbols = cusips.map(_cusip_map(cusip_to_symbol))
    is_equity = (holdings["asset_cat"] == EQUITY_COMMON) & (holdings["payoff_profile"] != "Short")
    mapped = symbols.notna() & is_equity
    value = holdings["value_usd"].fillna(0.0)
    left = is_equity & ~mapped
    keys = cusips.fillna("name: " + holdings["name"].fillna("?"))
    unmapped = holdings[left].assign(value_usd=value[left], _key=keys[left])
    largest = (
        unmapped.groupby("_key", sort=False)
        .agg(cusip=("cusip", "first"), name=("name", "first"), value_usd=("value_usd", "sum"))
        .sort_values("value_usd", ascending=False, kind="stable")
        .head(top)
    )
    total = float(value[is_equity].sum())
    mapped_value = float(value[mapped].sum())
    return {
        "n_holdings": int(len(holdings)),
        "n_equity": int(is_equity.sum()),
        "n_equity_mapped": int(mapped.sum()),
        "equity_value_usd": total,
        "mapped_value_usd": mapped_value,
        "mapped_value_share": mapped_value / total if total > 0 else math.nan,
        "largest_unmapped": [
            {"cusip": r.cusip, "name": r.name, "value_usd": float(r.value_usd)} for r in largest.itertuples()
        ],
    }


def reports_as_of(rows: pd.DataFrame, as_of) -> pd.DataFrame:
    """The rows of each ETF's report as known at ``as_of`` (module docstring, "Amendments"): per ETF and
    report date the latest filing public by then (amendment first on a tie, then the higher accession),
    and of those the latest report date."""
    t = pd.Timestamp(as_of)
    known = rows[(rows["known_at"] <= t) & rows["accession_number"].notna()]
    if known.empty:
        return known.reset_index(drop=True)
    filings = known[
        ["etf_symbol", "report_date", "known_at", "form_type", "accession_number"]
    ].drop_duplicates("accession_number")
    filings = filings.assign(_amendment=filings["form_type"].eq("NPORT-P/A")).sort_values(
        ["etf_symbol", "report_date", "known_at", "_amendment", "accession_number"], kind="stable"
    )
    per_report = filings.groupby(["etf_symbol", "report_date"], sort=True).tail(1)
    latest = (
        per_report.sort_values(["etf_symbol", "report_date"], kind="stable").groupby("etf_symbol").tail(1)
    )
    return known[known["accession_number"].isin(set(latest["accession_number"]))].reset_index(drop=True)
