"""FMP payloads → the warehouse contract (DESIGN.md §3), record by record.

Each function returns ``(rows, quarantined)``. A record that cannot be made valid (a missing or unparseable
date, an unknown transaction type, a filing dated before its trade, …) is quarantined with its reason,
never dropped silently and never a crash. Older field spellings seen in FMP payloads
(``acquistionOrDisposition``, ``dateRecieved``) are accepted.
"""

import json
import math
import re
from datetime import date, timedelta

import pandas as pd

from smart_money import tables
from smart_money.options_flow.contracts import CALENDAR_NOTICE_DAYS

SOURCE = "fmp"
THIRTEEN_F_FILING_LAG_DAYS = 45  # known_at when a 13F row has no filing date: the legal deadline
_C_SUITE = re.compile(
    r"\bchief\b|\bceo\b|\bcfo\b|\bcoo\b|\bcto\b|(?<!vice )(?<!vice-)\bpresident\b", re.IGNORECASE
)
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
# Hedge-fund managers among 13F filers (FMP does not flag them): name fragments, case-insensitive. A
# heuristic, documented in README (FMP source); synthetic filers are named "... Hedge Fund NN".
HEDGE_FUND_NAMES = (
    "hedge fund",
    "bridgewater",
    "renaissance technologies",
    "citadel advisors",
    "millennium management",
    "two sigma",
    "d. e. shaw",
    "d.e. shaw",
    "aqr capital",
    "elliott investment",
    "elliott management",
    "pershing square",
    "tiger global",
    "third point",
    "appaloosa",
    "baupost",
    "coatue",
    "viking global",
    "lone pine",
    "point72",
    "greenlight capital",
    "marshall wace",
    "balyasny",
    "exoduspoint",
    "schonfeld",
    "hudson bay capital",
    "farallon",
    "glenview",
    "icahn",
    "starboard value",
    "valueact",
    "jana partners",
    "trian fund",
    "soros fund",
    "duquesne family",
    "maverick capital",
    "man group",
    "winton",
    "sculptor",
)
QUARANTINE_COLUMNS = ["table", "symbol", "reason", "record"]


class Rejected(ValueError):
    """One record cannot be normalized; the message is its quarantine reason."""


def _date(value, field: str) -> pd.Timestamp:
    if value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == "":
        raise Rejected(f"{field} is missing")
    try:
        return pd.Timestamp(str(value).strip()[:10])
    except ValueError:
        raise Rejected(f"{field} {value!r} is not a date") from None


def _number(value, field: str, minimum: float | None = 0.0, required: bool = True) -> float:
    if value is None or value == "":
        if required:
            raise Rejected(f"{field} is missing")
        return float("nan")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise Rejected(f"{field} {value!r} is not a number") from None
    if math.isnan(number):
        if required:
            raise Rejected(f"{field} is NaN")
        return number
    if minimum is not None and number < minimum:
        raise Rejected(f"{field} {number} is below {minimum}")
    return number


def _text(value, field: str) -> str:
    if value is None or str(value).strip() == "":
        raise Rejected(f"{field} is missing")
    return str(value).strip()


def _symbol(record: dict, fallback: str | None) -> str:
    return _text(record.get("symbol") or fallback, "symbol").upper()


def _run(table: str, records, convert, fallback_symbol: str | None = None) -> tuple[list[dict], list[dict]]:
    rows, quarantined = [], []
    for record in records if isinstance(records, list) else []:
        try:
            if not isinstance(record, dict):
                raise Rejected(f"record is a {type(record).__name__}, not an object")
            rows.append({**convert(record), "source": SOURCE})
        except Rejected as reason:
            quarantined.append(
                {
                    "table": table,
                    "symbol": str(
                        (record.get("symbol") if isinstance(record, dict) else None) or fallback_symbol
                    ),
                    "reason": str(reason),
                    "record": json.dumps(record, sort_keys=True, default=str)[:2000],
                }
            )
    return rows, quarantined


def insider_role(type_of_owner: str) -> tuple[str, bool]:
    """("officer" / "director" / "ten_percent_owner" / "other", is C-suite) from FMP's typeOfOwner text."""
    text = (type_of_owner or "").lower()
    officer_title = text.split("officer:", 1)[1] if "officer:" in text else ""
    c_suite = bool(_C_SUITE.search(officer_title)) or bool(re.search(r"\bceo\b|\bcfo\b", text))
    if "officer" in text:
        role = "officer"
    elif "director" in text:
        role = "director"
    elif "10 percent" in text or "10%" in text or "ten percent" in text:
        role = "ten_percent_owner"
    else:
        role = "other"
    return role, c_suite


def insider_trades(records, symbol: str | None = None) -> tuple[list[dict], list[dict]]:
    def convert(r: dict) -> dict:
        known_at = _date(r.get("filingDate"), "filingDate")
        traded = _date(r.get("transactionDate"), "transactionDate")
        if known_at < traded:
            raise Rejected(f"filingDate {known_at:%Y-%m-%d} is before transactionDate {traded:%Y-%m-%d}")
        kind = str(r.get("transactionType") or "").strip()
        code = kind.split("-", 1)[0].strip().upper()
        if not re.fullmatch(r"[A-Z]{1,2}", code):
            raise Rejected(f"transactionType {kind!r} has no Form 4 code")
        side = (
            str(r.get("acquisitionOrDisposition") or r.get("acquistionOrDisposition") or "").strip().upper()
        )
        if side not in ("A", "D"):
            raise Rejected(f"acquisitionOrDisposition {side!r} is not A or D")
        role, c_suite = insider_role(str(r.get("typeOfOwner") or ""))
        price = _number(r.get("price"), "price", required=False)
        return {
            "symbol": _symbol(r, symbol),
            "known_at": known_at,
            "transaction_date": traded,
            "insider_id": _text(r.get("reportingCik"), "reportingCik"),
            "insider_name": _text(r.get("reportingName"), "reportingName"),
            "insider_role": role,
            "is_c_suite": c_suite,
            "transaction_code": code,
            "acquired_disposed": side,
            "shares": _number(r.get("securitiesTransacted"), "securitiesTransacted"),
            "price": price,
            "shares_owned_after": _number(r.get("securitiesOwned"), "securitiesOwned", required=False),
            **filing_columns(r),
        }

    return _run("raw_insider_trades", records, convert, symbol)


_ACCESSION = re.compile(r"\b(\d{10})-?(\d{2})-?(\d{6})\b")


def _cik(value) -> str | None:
    text = str(value or "").strip()
    return text.zfill(10) if text.isdigit() and len(text) <= 10 else None


def _choice(value, allowed: tuple[str, ...]) -> str | None:
    text = str(value or "").strip().upper()
    return text if text in allowed else None


def filing_columns(r: dict) -> dict:
    """The filing columns (``tables.FILING_COLUMNS``) an FMP insider record really has: the issuer's CIK
    (``companyCik``), the accession number where the filing's ``url`` names it (EDGAR's Archives links
    do), ``formType`` (and from it ``is_amendment``), ``directOrIndirect`` and ``securityName``. The rest is
    null: FMP gives no acceptance time, 10b5-1 flag, other owners, period of report or original
    submission date, nor says whether a row is from the derivative table. Without the period and the
    original date an FMP amendment cannot be matched to the filing it amends, so no FMP row is ever
    replaced (each counts from its filingDate)."""
    url = str(r.get("url") or r.get("link") or "")
    accession = _ACCESSION.search(url)
    form = _choice(r.get("formType"), tables.OWNERSHIP_FORMS)
    return {
        "issuer_cik": _cik(r.get("companyCik")),
        "accession_number": "-".join(accession.groups()) if accession else None,
        "acceptance_time": pd.NaT,
        "form_type": form,
        "is_amendment": None if form is None else form.endswith("/A"),
        "aff10b5one": None,
        "direct_or_indirect": _choice(r.get("directOrIndirect"), ("D", "I")),
        "security_title": str(r.get("securityName") or "").strip() or None,
        "is_derivative": None,
        "other_owner_ciks": None,
        "period_of_report": pd.NaT,
        "date_of_original_submission": pd.NaT,
    }


def is_hedge_fund(name: str) -> bool:
    lowered = name.lower()
    return any(fragment in lowered for fragment in HEDGE_FUND_NAMES)


def institutional_holdings(records, symbol: str | None = None) -> tuple[list[dict], list[dict]]:
    def convert(r: dict) -> dict:
        report_date = _date(r.get("date"), "date")
        filed = r.get("filingDate")
        known_at = (
            _date(filed, "filingDate") if filed else report_date + timedelta(days=THIRTEEN_F_FILING_LAG_DAYS)
        )
        if known_at <= report_date:
            raise Rejected(
                f"filingDate {known_at:%Y-%m-%d} is not after the quarter end {report_date:%Y-%m-%d}"
            )
        shares = _number(r.get("sharesNumber"), "sharesNumber")
        closed = bool(r.get("isSoldOut"))
        if closed and shares != 0:
            raise Rejected(f"isSoldOut but sharesNumber is {shares}")
        name = _text(r.get("investorName"), "investorName")
        return {
            "symbol": _symbol(r, symbol),
            "known_at": known_at,
            "report_date": report_date,
            "filer_id": _text(r.get("cik"), "cik"),
            "filer_name": name,
            "is_hedge_fund": is_hedge_fund(name),
            "shares": shares,
            "change_in_shares": _number(r.get("changeInSharesNumber"), "changeInSharesNumber", None, False),
            "market_value": _number(r.get("marketValue"), "marketValue", required=False),
            "is_new_position": bool(r.get("isNew")),
            "is_closed_position": closed,
        }

    return _run("raw_institutional_holdings", records, convert, symbol)


def amount_band(text: str) -> tuple[float, float]:
    """ "$1,001 - $15,000" → (1001, 15000); "Over $50,000,000" → (50000001, NaN); "$50,000,001 +" →
    (50000001, NaN): "over" excludes the number, "+" includes it."""
    numbers = [float(n.replace(",", "")) for n in _NUMBER.findall(text or "")]
    if len(numbers) >= 2:
        return numbers[0], numbers[1]
    if len(numbers) == 1 and re.search(r"over|above", text, re.IGNORECASE):
        return numbers[0] + 1, float("nan")
    if len(numbers) == 1 and "+" in text:
        return numbers[0], float("nan")
    if len(numbers) == 1:
        return numbers[0], numbers[0]
    raise Rejected(f"amount {text!r} is not a dollar band")


def congress_trades(records, chamber: str, symbol: str | None = None) -> tuple[list[dict], list[dict]]:
    def convert(r: dict) -> dict:
        known_at = _date(r.get("disclosureDate") or r.get("dateRecieved"), "disclosureDate")
        traded = _date(r.get("transactionDate"), "transactionDate")
        if known_at < traded:
            raise Rejected(f"disclosureDate {known_at:%Y-%m-%d} is before transactionDate {traded:%Y-%m-%d}")
        kind = str(r.get("type") or "").strip().lower()
        if kind.startswith("purchase"):
            side = "buy"
        elif kind.startswith("sale"):
            side = "sell"
        else:
            raise Rejected(f"type {r.get('type')!r} is neither a purchase nor a sale")
        low, high = amount_band(str(r.get("amount") or ""))
        member = " ".join(str(r.get(k) or "").strip() for k in ("firstName", "lastName")).strip()
        return {
            "symbol": _symbol(r, symbol),
            "known_at": known_at,
            "transaction_date": traded,
            "chamber": chamber,
            "member": member or _text(r.get("office"), "office"),
            "side": side,
            "amount_low": low,
            "amount_high": high,
        }

    return _run("raw_congress_trades", records, convert, symbol)


def etf_holdings(records, stock: str, as_of: date) -> tuple[list[dict], list[dict]]:
    """``/stable/etf/asset-exposure`` rows (``symbol`` = the ETF, ``asset`` = the stock) as of ``as_of``."""

    def convert(r: dict) -> dict:
        return {
            "symbol": _text(r.get("asset") or stock, "asset").upper(),
            "known_at": pd.Timestamp(as_of),
            "etf_symbol": _text(r.get("symbol"), "symbol").upper(),
            "shares": _number(r.get("sharesNumber"), "sharesNumber"),
            "weight": _number(r.get("weightPercentage"), "weightPercentage", required=False) / 100.0,
            "market_value": _number(r.get("marketValue"), "marketValue", required=False),
        }

    return _run("raw_etf_holdings", records, convert, stock)


def prices(records, symbol: str) -> tuple[list[dict], list[dict]]:
    """Dividend-adjusted daily bars; ``close`` and ``adj_close`` are both the adjusted close."""

    def convert(r: dict) -> dict:
        day = _date(r.get("date"), "date")
        close = _number(r.get("adjClose"), "adjClose")
        if close <= 0:
            raise Rejected(f"adjClose {close} is not positive")
        return {
            "symbol": _symbol(r, symbol),
            "date": day,
            "close": close,
            "adj_close": close,
            "volume": _number(r.get("volume"), "volume", required=False),
            "known_at": day,
        }

    return _run("raw_prices", records, convert, symbol)


def universe_row(symbol: str, profile, shares_float, as_of: pd.Timestamp) -> tuple[list[dict], list[dict]]:
    """One universe row from ``/stable/profile`` and ``/stable/shares-float`` (both lists of one object)."""
    profile_row = profile[0] if isinstance(profile, list) and profile else {}
    float_row = shares_float[0] if isinstance(shares_float, list) and shares_float else {}

    def convert(_: dict) -> dict:
        if not profile_row:
            raise Rejected("no /stable/profile data for the symbol")
        outstanding = _number(float_row.get("outstandingShares"), "outstandingShares", required=False)
        return {
            "symbol": symbol.upper(),
            "name": _text(profile_row.get("companyName"), "companyName"),
            "sector": str(profile_row.get("sector") or "Unknown"),
            "shares_outstanding": outstanding,
            "is_synthetic": bool(profile_row.get("isSynthetic", False)),
            "as_of": as_of,
            "cik": None,  # the universe's CIK is the SEC source's
        }

    return _run("universe", [{"symbol": symbol}], convert, symbol)


def earnings(records) -> tuple[list[dict], list[dict]]:
    """``/stable/earnings-calendar`` rows: symbol, date, epsActual, epsEstimated, revenueActual,
    revenueEstimated, lastUpdated. FMP does not say when a date was announced: ``known_at`` is the event
    date minus ``CALENDAR_NOTICE_DAYS`` (companies confirm dates about three weeks ahead). The actual EPS and
    revenue are public only from the event date on; no feature reads them."""

    def convert(r: dict) -> dict:
        day = _date(r.get("date"), "date")
        return {
            "symbol": _symbol(r, None),
            "event_date": day,
            "kind": "earnings",
            "known_at": day - pd.Timedelta(days=CALENDAR_NOTICE_DAYS),
            "eps_actual": _number(r.get("epsActual"), "epsActual", minimum=None, required=False),
            "eps_estimated": _number(r.get("epsEstimated"), "epsEstimated", minimum=None, required=False),
            "revenue_actual": _number(r.get("revenueActual"), "revenueActual", required=False),
            "revenue_estimated": _number(r.get("revenueEstimated"), "revenueEstimated", required=False),
        }

    return _run("raw_corporate_events", records, convert)


def frame(table: str, rows: list[dict]) -> pd.DataFrame:
    """Rows as a frame with the table's columns (an empty list gives the empty typed frame)."""
    spec = tables.spec(table)
    if not rows:
        return spec.empty()
    out = pd.DataFrame.from_records(rows)
    for column in spec.column_specs:  # the SEC filing columns FMP does not know stay null
        if column.name not in out and column.nullable:
            out[column.name] = None
    return out[spec.column_names]
