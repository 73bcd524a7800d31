"""Normalization of payloads in FMP's documented shapes (hand-written fixtures, quirks included)."""

import math

import pandas as pd
import pytest

from smart_money import gates, tables
from smart_money.sources.fmp import normalize
from smart_money.warehouse import to_arrow

INSIDER = [
    {  # a CEO purchase, filingDate with a time part
        "symbol": "AAPL",
        "filingDate": "2024-02-15 18:30:05",
        "transactionDate": "2024-02-13",
        "reportingCik": "0001214156",
        "companyCik": "0000320193",
        "transactionType": "P-Purchase",
        "securitiesOwned": 3280180.5,
        "reportingName": "Cook Timothy D",
        "typeOfOwner": "director, officer: Chief Executive Officer",
        "acquisitionOrDisposition": "A",
        "directOrIndirect": "D",
        "formType": "4",
        "securitiesTransacted": 1000,
        "price": 182.5,
        "securityName": "Common Stock",
        # FMP links the filing's EDGAR index page, whose folder and name carry the accession number
        "url": "https://www.sec.gov/Archives/edgar/data/320193/000032019324000042/0000320193-24-000042-index.htm",
    },
    {  # an award at price 0, the old misspelled key, a 10% owner
        "symbol": "AAPL",
        "filingDate": "2024-03-01",
        "transactionDate": "2024-02-28",
        "reportingCik": "0000102909",
        "transactionType": "A-Award",
        "securitiesOwned": 0,
        "reportingName": "Big Holder LP",
        "typeOfOwner": "10 percent owner",
        "acquistionOrDisposition": "A",
        "securitiesTransacted": 500,
        "price": 0,
    },
    {  # a vice president's sale: an officer, not C-suite
        "symbol": "AAPL",
        "filingDate": "2024-03-05",
        "transactionDate": "2024-03-04",
        "reportingCik": "1",
        "transactionType": "S-Sale",
        "securitiesOwned": 10,
        "reportingName": "VP",
        "typeOfOwner": "officer: Vice President, Operations",
        "acquisitionOrDisposition": "D",
        "securitiesTransacted": 20,
        "price": 180.0,
    },
    {  # empty transactionType: quarantined
        "symbol": "AAPL",
        "filingDate": "2024-03-05",
        "transactionDate": "2024-03-04",
        "reportingCik": "2",
        "transactionType": "",
        "reportingName": "X",
        "typeOfOwner": "director",
        "acquisitionOrDisposition": "D",
        "securitiesTransacted": 1,
        "price": 1.0,
    },
    {  # filed before it was traded: quarantined
        "symbol": "AAPL",
        "filingDate": "2024-03-01",
        "transactionDate": "2024-03-04",
        "reportingCik": "3",
        "transactionType": "S-Sale",
        "reportingName": "Y",
        "typeOfOwner": "director",
        "acquisitionOrDisposition": "D",
        "securitiesTransacted": 1,
        "price": 1.0,
    },
    "not an object",
]


def test_insider_trades_codes_roles_and_quarantine():
    rows, quarantined = normalize.insider_trades(INSIDER, "AAPL")
    frame = normalize.frame("raw_insider_trades", rows)
    assert frame["transaction_code"].tolist() == ["P", "A", "S"]
    assert frame["insider_role"].tolist() == ["officer", "ten_percent_owner", "officer"]
    assert frame["is_c_suite"].tolist() == [True, False, False]
    assert frame["acquired_disposed"].tolist() == ["A", "A", "D"]
    assert frame["known_at"].tolist() == [
        pd.Timestamp("2024-02-15"),
        pd.Timestamp("2024-03-01"),
        pd.Timestamp("2024-03-05"),
    ]
    assert frame["shares_owned_after"].iloc[0] == 3280180.5 and frame["price"].iloc[1] == 0.0
    assert (frame["source"] == "fmp").all()
    # the filing columns FMP has (the first record has them all), null where it does not say
    first = frame.iloc[0]
    assert first["issuer_cik"] == "0000320193" and first["accession_number"] == "0000320193-24-000042"
    assert first["form_type"] == "4" and first["is_amendment"] is False
    assert first["direct_or_indirect"] == "D" and first["security_title"] == "Common Stock"
    assert frame[["issuer_cik", "accession_number", "form_type", "is_amendment"]].iloc[1:].isna().all().all()
    never = ["acceptance_time", "aff10b5one", "is_derivative", "other_owner_ciks", "period_of_report"]
    assert frame[[*never, "date_of_original_submission"]].isna().all().all()
    assert list(frame.columns) == tables.RAW_INSIDER_TRADES.column_names
    stored = to_arrow(frame, tables.RAW_INSIDER_TRADES).to_pandas()
    assert gates.schema_gate("t", stored, gates.table_schema("raw_insider_trades")).passed
    amended, _ = normalize.insider_trades(
        [{**INSIDER[0], "formType": "4/A"}, {**INSIDER[0], "formType": "144"}]
    )
    assert [r["form_type"] for r in amended] == ["4/A", None]  # a form outside 3/4/5 is not kept
    assert [r["is_amendment"] for r in amended] == [True, None]
    reasons = [q["reason"] for q in quarantined]
    assert reasons == [
        "transactionType '' has no Form 4 code",
        "filingDate 2024-03-01 is before transactionDate 2024-03-04",
        "record is a str, not an object",
    ]
    assert all(q["table"] == "raw_insider_trades" and q["record"] for q in quarantined)


@pytest.mark.parametrize(
    ("text", "role", "c_suite"),
    [
        ("director", "director", False),
        ("officer: Chief Financial Officer", "officer", True),
        ("director, officer: President & CEO", "officer", True),
        ("officer: Executive Vice President", "officer", False),
        ("officer: Senior Vice-President, Sales", "officer", False),
        ("officer: President", "officer", True),
        ("10 percent owner", "ten_percent_owner", False),
        ("", "other", False),
    ],
)
def test_insider_role_from_type_of_owner(text, role, c_suite):
    assert normalize.insider_role(text) == (role, c_suite)


def test_13f_holders_filing_date_default_and_hedge_funds():
    records = [
        {
            "date": "2024-03-31",
            "cik": "0001350694",
            "filingDate": "2024-05-10",
            "investorName": "Bridgewater Associates, LP",
            "symbol": "AAPL",
            "sharesNumber": 1000,
            "changeInSharesNumber": 100,
            "marketValue": 171000.0,
            "isNew": False,
            "isSoldOut": False,
        },
        {
            "date": "2024-03-31",
            "cik": "0000102909",
            "investorName": "Vanguard Group Inc",
            "symbol": "AAPL",
            "sharesNumber": 0,
            "changeInSharesNumber": -50,
            "marketValue": 0,
            "isNew": False,
            "isSoldOut": True,
        },
        {
            "date": "2024-03-31",
            "cik": "9",
            "filingDate": "2024-03-31",
            "investorName": "Same Day",
            "symbol": "AAPL",
            "sharesNumber": 1,
        },
        {
            "date": "2024-03-31",
            "cik": "8",
            "filingDate": "2024-05-01",
            "investorName": "Sold But Holding",
            "symbol": "AAPL",
            "sharesNumber": 5,
            "isSoldOut": True,
        },
    ]
    rows, quarantined = normalize.institutional_holdings(records, "AAPL")
    frame = normalize.frame("raw_institutional_holdings", rows)
    assert frame["is_hedge_fund"].tolist() == [True, False]
    assert frame["known_at"].tolist() == [pd.Timestamp("2024-05-10"), pd.Timestamp("2024-05-15")]  # +45 days
    assert frame["is_closed_position"].tolist() == [False, True]
    assert [q["reason"] for q in quarantined] == [
        "filingDate 2024-03-31 is not after the quarter end 2024-03-31",
        "isSoldOut but sharesNumber is 5.0",
    ]


def test_congress_amount_bands_sides_and_old_spellings():
    records = [
        {
            "symbol": "NVDA",
            "disclosureDate": "2024-05-02",
            "transactionDate": "2024-04-10",
            "firstName": "Nancy",
            "lastName": "Pelosi",
            "office": "Nancy Pelosi",
            "type": "Purchase",
            "amount": "$1,000,001 - $5,000,000",
            "senateID": None,
        },
        {
            "symbol": "NVDA",
            "dateRecieved": "2024-05-03",
            "transactionDate": "2024-04-11",
            "firstName": "A",
            "lastName": "B",
            "type": "Sale (Partial)",
            "amount": "$1,001 - $15,000",
        },
        {
            "symbol": "NVDA",
            "disclosureDate": "2024-05-04",
            "transactionDate": "2024-04-12",
            "firstName": "C",
            "lastName": "D",
            "type": "Sale (Full)",
            "amount": "Over $50,000,000",
            "capitalGainsOver200USD": "True",
        },
        {
            "symbol": "NVDA",
            "disclosureDate": "2024-05-04",
            "transactionDate": "2024-04-12",
            "firstName": "E",
            "lastName": "F",
            "type": "Exchange",
            "amount": "$1,001 - $15,000",
        },
        {
            "symbol": "NVDA",
            "disclosureDate": "2024-05-04",
            "transactionDate": "2024-04-12",
            "firstName": "G",
            "lastName": "H",
            "type": "Purchase",
            "amount": "unknown",
        },
    ]
    rows, quarantined = normalize.congress_trades(records, "senate", "NVDA")
    frame = normalize.frame("raw_congress_trades", rows)
    assert frame["side"].tolist() == ["buy", "sell", "sell"]
    assert frame["member"].tolist() == ["Nancy Pelosi", "A B", "C D"]
    assert frame["known_at"].iloc[1] == pd.Timestamp("2024-05-03")  # dateRecieved accepted
    assert (frame["amount_low"].iloc[0], frame["amount_high"].iloc[0]) == (1_000_001, 5_000_000)
    assert frame["amount_low"].iloc[2] == 50_000_001 and math.isnan(frame["amount_high"].iloc[2])
    assert (frame["chamber"] == "senate").all()
    assert [q["reason"] for q in quarantined] == [
        "type 'Exchange' is neither a purchase nor a sale",
        "amount 'unknown' is not a dollar band",
    ]


def test_etf_exposure_prices_and_universe():
    etf, _ = normalize.etf_holdings(
        [{"symbol": "SPY", "asset": "AAPL", "sharesNumber": 1e8, "weightPercentage": 7.12, "marketValue": 0}],
        "AAPL",
        pd.Timestamp("2025-01-31").date(),
    )
    assert (
        etf[0]["etf_symbol"] == "SPY"
        and etf[0]["symbol"] == "AAPL"
        and etf[0]["weight"] == pytest.approx(0.0712)
    )
    assert etf[0]["known_at"] == pd.Timestamp("2025-01-31")
    prices, bad = normalize.prices(
        [
            {"symbol": "AAPL", "date": "2025-01-31", "adjClose": 236.0, "volume": 1e7},
            {"symbol": "AAPL", "date": "2025-01-30", "adjClose": 0, "volume": 1},
        ],
        "AAPL",
    )
    assert (
        prices[0]["close"] == prices[0]["adj_close"] == 236.0 and prices[0]["known_at"] == prices[0]["date"]
    )
    assert bad[0]["reason"] == "adjClose 0.0 is not positive"
    rows, _ = normalize.universe_row(
        "AAPL",
        [{"companyName": "Apple Inc.", "sector": "Technology"}],
        [{"outstandingShares": 15e9}],
        pd.Timestamp("2025-01-01"),
    )
    assert (
        rows[0]["name"] == "Apple Inc."
        and rows[0]["shares_outstanding"] == 15e9
        and not rows[0]["is_synthetic"]
        and rows[0]["cik"] is None
    )
    assert set(rows[0]) == set(tables.UNIVERSE.column_names)
    _, missing = normalize.universe_row("ZZZZ", [], [], pd.Timestamp("2025-01-01"))
    assert missing[0]["reason"] == "no /stable/profile data for the symbol"


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("$1,001 - $15,000", 1001, 15000),
        ("Over $50,000,000", 50_000_001, None),
        ("$50,000,001 +", 50_000_001, None),
        ("$15,000", 15000, 15000),
    ],
)
def test_amount_bands(text, low, high):
    got_low, got_high = normalize.amount_band(text)
    assert got_low == low and (got_high == high if high is not None else got_high != got_high)
