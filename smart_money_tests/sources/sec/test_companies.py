"""Company tickers, submissions JSON, the SIC → sector table and point-in-time shares outstanding on real
SEC documents."""

import json
import math
import re

import pandas as pd
import pytest

from smart_money.sources.sec import companies
from smart_money.sources.synthetic.market import SECTORS
from smart_money_tests.sources.sec import realdata


def test_company_tickers_keys_issuers_by_padded_cik_in_the_secs_order():
    tickers = realdata.tickers()
    assert len(tickers) == 247
    assert list(tickers["ticker"].head(3)) == ["CMG", "MSFT", "AAPL"]  # not alphabetical
    apple = tickers[tickers["ticker"] == "AAPL"].iloc[0]
    assert (apple["cik"], apple["name"]) == ("0000320193", "Apple Inc.")  # cik_str 320193, unpadded int
    assert "BRK-B" in set(tickers["ticker"])  # class shares with a dash
    assert tickers["cik"].str.fullmatch(r"\d{10}").all()


def test_cik_symbol_map_reports_unknown_symbols_and_gives_a_shared_cik_to_one_symbol():
    mapping, missing = companies.cik_symbol_map(realdata.tickers(), ["aapl", "MSFT", "FB", "NOPE"])
    assert mapping == {"0000320193": "AAPL", "0000789019": "MSFT"}
    assert missing == ["FB", "NOPE"]  # Facebook is META now: its CIK keeps the history
    # Two classes of one issuer: the first listed takes the issuer's filings.
    two = companies.company_tickers(
        {
            "0": {"cik_str": 1652044, "ticker": "GOOGL", "title": "Alphabet Inc."},
            "1": {"cik_str": 1652044, "ticker": "GOOG", "title": "Alphabet Inc."},
        }
    )
    assert companies.cik_symbol_map(two, ["GOOG", "GOOGL"]) == ({"0001652044": "GOOGL"}, [])


def test_bad_ticker_documents_name_the_problem():
    with pytest.raises(companies.CompanyDataError, match="not JSON"):
        companies.company_tickers(b"<html>")
    with pytest.raises(companies.CompanyDataError, match="row '0' has no cik_str"):
        companies.company_tickers({"0": {"ticker": "AAPL"}})


def test_submissions_json_gives_sic_sector_and_every_filing_with_its_public_date():
    document = realdata.submissions_json("edgar4j__CIK0000789019.json")
    profile = companies.company_profile(document)
    assert profile == {
        "cik": "0000789019",
        "name": "MICROSOFT CORP",
        "sic": "7372",
        "sic_description": "Services-Prepackaged Software",
        "sector": "Information Technology",
        "tickers": ["MSFT"],
    }
    filings = companies.all_filings(document)
    assert len(filings) == 1007 and filings["accession_number"].is_unique
    newest = filings.iloc[0]
    assert newest["accession_number"] == "0001062993-22-019522" and newest["form"] == "4"
    assert newest["filing_date"] == pd.Timestamp("2022-09-13")
    assert newest["acceptance_time"] == pd.Timestamp("2022-09-13 18:02:38", tz="UTC")
    assert newest["primary_document"] == "xslF345X03/form4.xml"
    ownership_forms = filings.loc[filings["is_ownership"], "form"].value_counts().to_dict()
    assert ownership_forms == {"4": 793, "5": 11, "3": 10, "4/A": 2, "3/A": 1}
    assert filings["filing_date"].notna().all()
    assert companies.filing_pages(document) == [
        "CIK0000789019-submissions-001.json",
        "CIK0000789019-submissions-002.json",
    ]


def test_older_pages_extend_the_recent_filings():
    document = json.loads(realdata.submissions_json("edgar4j__CIK0000789019.json"))
    recent = document["filings"]["recent"]
    # A page has the recent block's column layout; take the last two filings of recent as a stand-in page.
    page = {k: v[-2:] for k, v in recent.items()}
    document["filings"]["recent"] = {k: v[:-2] for k, v in recent.items()}
    filings = companies.all_filings(document, [page])
    assert len(filings) == 1007
    with pytest.raises(companies.CompanyDataError, match="'form' has 1 values for 2 filings"):
        companies.filings_frame({**page, "form": ["4"]})


def test_a_persons_submissions_json_has_no_sector():
    profile = companies.company_profile(realdata.submissions_json("edgartools_cassette__CIK0001462356.json"))
    assert (profile["cik"], profile["sic"], profile["sector"]) == ("0001462356", "", "Unknown")


@pytest.mark.parametrize(
    ("sic", "sector"),
    [
        ("3571", "Information Technology"),  # Apple: electronic computers
        ("7372", "Information Technology"),  # Microsoft, MongoDB: prepackaged software
        ("2834", "Health Care"),  # 2seventy bio: pharmaceutical preparations
        ("5065", "Information Technology"),  # Arrow Electronics: electronic parts wholesale
        ("1311", "Energy"),
        ("6022", "Financials"),
        ("6798", "Real Estate"),
        ("4911", "Utilities"),
        ("5331", "Consumer Staples"),
        ("3711", "Consumer Discretionary"),
        ("4813", "Communication Services"),
        ("2800", "Materials"),
        ("3720", "Industrials"),
        ("9995", "Unknown"),
        ("", "Unknown"),
        (None, "Unknown"),
    ],
)
def test_sic_to_sector(sic, sector):
    assert companies.sector_for_sic(sic) == sector


def test_the_sic_table_uses_only_the_gics_sector_names_of_the_warehouse():
    assert {s for _, _, s, _ in companies.SIC_SECTORS} == set(SECTORS)
    assert all(low <= high for low, high, _, _ in companies.SIC_SECTORS)


def test_every_issuer_sic_in_the_shared_headers_maps_to_a_sector():
    # The issuer's SIC as the SEC headers give it: metadata.json ASSIGNED-SIC, the text header's
    # "STANDARD INDUSTRIAL CLASSIFICATION: … [3571]" and the compact header's <ASSIGNED-SIC>.
    sics = set()
    for entry in realdata.index():
        folder = entry["file"].rsplit("/", 1)[0]
        try:
            meta = json.loads(realdata.form4_bytes(f"{folder}/metadata.json"))
            sics |= {i["COMPANY-DATA"]["ASSIGNED-SIC"] for i in meta["submission"]["ISSUER"]}
        except KeyError:
            head = realdata.form4_bytes(entry["file"]).split(b"<DOCUMENT>", 1)[0].decode()
            found = re.findall(r"CLASSIFICATION:.*\[(\d{4})\]|<ASSIGNED-SIC>(\d{4})", head)
            sics |= {text or compact for text, compact in found}
    assert {s: companies.sector_for_sic(s) for s in sics} == {
        "2834": "Health Care",  # 2seventy bio
        "3571": "Information Technology",  # Apple
        "3674": "Information Technology",  # Alpha & Omega Semiconductor
        "3720": "Industrials",  # AAR Corp
        "4512": "Industrials",  # JetBlue
        "5065": "Information Technology",  # Arrow Electronics
        "6163": "Financials",  # Better Home & Finance
        "7200": "Consumer Discretionary",  # Yelp (GICS: Communication Services; SIC is coarser)
        "7370": "Information Technology",  # Facebook / Meta (GICS: Communication Services)
        "7372": "Information Technology",  # Microsoft, LinkedIn, MongoDB
        "7374": "Information Technology",
        "7990": "Consumer Discretionary",  # DraftKings
    }


# ---- shares outstanding, point in time ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def blackrock():
    return companies.shares_outstanding_facts(realdata.COMPANY_FACTS.read_bytes())


def test_shares_outstanding_facts_are_known_from_their_filed_date(blackrock):
    assert set(blackrock["concept"]) == {"dei", "us-gaap"}
    assert blackrock["known_at"].min() == pd.Timestamp("2024-11-06")
    # Re-reported values keep the first filing date: 2024-12-31's count was first filed on 2025-02-25.
    restated = blackrock[
        (blackrock["concept"] == "us-gaap") & (blackrock["end"] == pd.Timestamp("2024-12-31"))
    ]
    assert restated[["known_at", "shares"]].values.tolist() == [[pd.Timestamp("2025-02-25"), 154947813.0]]


@pytest.mark.parametrize(
    ("as_of", "shares"),
    [
        ("2024-11-05", math.nan),  # nothing filed yet
        ("2024-11-06", 154878930),  # the 10-Q's cover page (dei, at 2024-10-31)
        ("2025-02-24", 154878930),
        ("2025-02-25", 155253443),  # the 10-K's cover page (dei, at 2025-01-31)
        ("2025-05-07", 154926181),  # dei, at 2025-04-30
        ("2025-08-06", 154751073),  # this 10-Q has no dei value: us-gaap at 2025-06-30 (later than dei's)
        ("2026-03-01", 155069171),  # us-gaap at 2025-12-31, from the 10-K filed 2026-02-25
    ],
)
def test_shares_outstanding_at_a_date_uses_only_values_filed_by_then(blackrock, as_of, shares):
    value = companies.shares_outstanding_at(blackrock, as_of)
    assert (math.isnan(value) and math.isnan(shares)) or value == shares


def test_dei_values_of_one_filing_are_summed_across_share_classes():
    facts = {
        "facts": {
            "dei": {
                "EntityCommonStockSharesOutstanding": {
                    "units": {
                        "shares": [
                            {"end": "2024-07-19", "val": 5_800_000_000, "accn": "a-1", "filed": "2024-07-24"},
                            {"end": "2024-07-19", "val": 860_000_000, "accn": "a-1", "filed": "2024-07-24"},
                            {"end": "2024-07-19", "val": 5_600_000_000, "accn": "a-1", "filed": "2024-07-24"},
                        ]
                    }
                }
            }
        }
    }
    frame = companies.shares_outstanding_facts(facts)
    assert companies.shares_outstanding_at(frame, "2024-08-01") == 12_260_000_000


def test_universe_row_from_the_submissions_profile_and_facts(blackrock):
    profile = companies.company_profile(realdata.submissions_json("edgar4j__CIK0000789019.json"))
    rows, quarantined = companies.universe_row("MSFT", profile, None, pd.Timestamp("2024-06-28"))
    assert quarantined == []
    (row,) = rows
    assert (
        row["symbol"] == "MSFT" and row["cik"] == "0000789019" and row["sector"] == "Information Technology"
    )
    assert math.isnan(row["shares_outstanding"])  # no company facts: NaN, not a guess
    assert row["is_synthetic"] is False and row["source"] == "sec"
    rows, _ = companies.universe_row(
        "BLK", {"cik": "2012383", "name": "BlackRock, Inc.", "sic": "6211"}, blackrock, "2025-06-30"
    )
    assert rows[0]["shares_outstanding"] == 154926181 and rows[0]["sector"] == "Financials"
    rows, quarantined = companies.universe_row("X", {"cik": "1"}, None, "2025-06-30")
    assert rows == [] and quarantined[0]["reason"] == "submissions JSON has no company name"
