"""N-PORT on real records (fixtures/sec/nport/, PROVENANCE.md there): the edgartools NPORT-P documents,
the SEC data set sample of four ETF filings, the SEC's fund tickers file; and documents written in the
real schema from the sample's real rows."""

import json
import re
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

import pandas as pd
import pytest

from smart_money import gates, tables
from smart_money.sources.sec import nport

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sec" / "nport"
DUPREE = FIXTURES / "edgartools_NPORT.Dupree.xml"
ADVANCED = FIXTURES / "edgartools_NPORT.AdvancedSeries.xml"
SAMPLE = FIXTURES / "nport_sample"
MILN = "0002048251-26-000808"  # Global X Millennial Consumer ETF, as of 30-NOV-2025, filed 29-JAN-2026
TDVG = "0001099263-26-002573"  # T. Rowe Price Dividend Growth ETF, as of 31-DEC-2025, filed 26-FEB-2026
HEDGED = "0001099263-26-002582"  # T. Rowe Price Hedged Equity ETF (options: negative lines)


def _tsv(name: str) -> pd.DataFrame:
    return pd.read_csv(SAMPLE / name, sep="\t", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def sample_filings() -> pd.DataFrame:
    return nport.dataset_filings(_tsv("filings.tsv"))


@pytest.fixture(scope="module")
def sample_holdings(sample_filings) -> pd.DataFrame:
    return nport.dataset_holdings(_tsv("holdings.tsv"), sample_filings)


@pytest.fixture(scope="module")
def cusips() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "sample_cusips.csv", dtype=str)


def _filing(sample_filings, accession: str) -> dict:
    return sample_filings.set_index("accession_number").loc[accession].to_dict() | {
        "accession_number": accession
    }


def _valid(frame: pd.DataFrame) -> None:
    result = gates.schema_gate(nport.TABLE, frame, gates.table_schema(tables.spec(nport.TABLE)))
    assert result.passed, (result.summary, result.failures)


# ---- documents written from the sample's rows (PROVENANCE.md: "Built in the tests") ------------------------
def _iso(dmy: str) -> str:
    return f"{pd.Timestamp(dmy):%Y-%m-%d}"


def sample_document(
    accession: str, *, cusip_of: dict | None = None, equity: bool = False, form=None
) -> bytes:
    """The sample filing ``accession`` as N-PORT XML holding exactly the sample's values; ``cusip_of``
    (issuer name → CUSIP) and ``equity`` (units NS, USD, Long, EC) add the values the sample lacks."""
    filing = _tsv("filings.tsv").set_index("ACCESSION_NUMBER").loc[accession]
    rows = _tsv("holdings.tsv")
    rows = rows[rows["ACCESSION_NUMBER"] == accession]
    holdings = []
    for row in rows.itertuples():
        cusip = (cusip_of or {}).get(row.ISSUER_NAME, "N/A")
        extra = "<units>NS</units><curCd>USD</curCd>" if equity else ""
        tail = "<payoffProfile>Long</payoffProfile><assetCat>EC</assetCat>" if equity else ""
        holdings.append(
            f"<invstOrSec><name>{escape(row.ISSUER_NAME)}</name><lei>{row.ISSUER_LEI or 'N/A'}</lei>"
            f"<title>N/A</title><cusip>{cusip}</cusip><identifiers/><balance>{row.BALANCE}</balance>{extra}"
            f"<valUSD>{row.CURRENCY_VALUE}</valUSD><pctVal>{row.PERCENTAGE}</pctVal>{tail}"
            f"<invCountry>{row.INVESTMENT_COUNTRY}</invCountry></invstOrSec>"
        )
    return (
        '\n<?xml version="1.0" encoding="UTF-8"?><edgarSubmission xmlns="http://www.sec.gov/edgar/nport">'
        f"<headerData><submissionType>{form or filing.SUB_TYPE}</submissionType><filerInfo><filer>"
        f"<issuerCredentials><cik>{filing.CIK}</cik></issuerCredentials></filer></filerInfo></headerData>"
        f"<formData><genInfo><regName>{escape(filing.REGISTRANT_NAME)}</regName><regCik>{filing.CIK}</regCik>"
        f"<seriesName>{escape(filing.SERIES_NAME)}</seriesName><repPdEnd>{_iso(filing.REPORT_ENDING_PERIOD)}"
        f"</repPdEnd><repPdDate>{_iso(filing.REPORT_DATE)}</repPdDate></genInfo>"
        f"<invstOrSecs>{''.join(holdings)}</invstOrSecs></formData></edgarSubmission>"
    ).encode()


def _miln(cusips, **kind) -> tuple[dict, pd.DataFrame]:
    xml = sample_document(
        MILN, cusip_of=dict(zip(cusips["issuer_name"], cusips["cusip"], strict=True)), **kind
    )
    return nport.parse_nport(xml, MILN, "29-JAN-2026")


def _universe(cusips) -> dict[str, str]:
    return dict(zip(cusips["cusip"], cusips["symbol"], strict=True))


# ---- the real NPORT-P documents ----------------------------------------------------------------------------
def test_the_dupree_report_parses_field_by_field():
    raw = DUPREE.read_bytes()
    assert raw.startswith(b"\n<?xml")  # as served: a blank line before the declaration
    filing, holdings = nport.parse_nport(raw, "0000311101-23-000001", None)
    assert {k: filing[k] for k in ("form_type", "cik", "registrant_name", "series_id", "series_name")} == {
        "form_type": "NPORT-P",
        "cik": "0000311101",
        "registrant_name": "Dupree Mutual Funds",
        "series_id": "S000012000",
        "series_name": "Kentucky Tax-Free Short-to-Medium Series",
    }
    assert filing["report_date"] == date(2022, 12, 31)
    assert filing["fiscal_year_end"] == date(2023, 6, 30)
    assert filing["is_final_filing"] is False
    assert filing["total_assets"] == 41468995.88 and filing["net_assets"] == 41349926.01
    assert filing["filing_date"] is None  # the document carries none
    assert filing["n_holdings"] == len(holdings) == raw.count(b"<invstOrSec>") == 55
    assert list(holdings.columns) == list(nport.HOLDING_COLUMNS)
    first = holdings.iloc[0].to_dict()
    assert first["name"] == "KENTUCKY ST PPTY & BLDGS COMMN"  # &amp; decoded
    assert (first["cusip"], first["isin"], first["ticker"]) == ("49151FGH7", "US49151FGH73", "KYSFAC")
    assert (first["balance"], first["units"], first["value_usd"]) == (755000.0, "PA", 794207.15)
    assert (first["pct_val"], first["asset_cat"], first["payoff_profile"]) == (1.9206978745, "DBT", "Long")
    assert first["report_date"] == pd.Timestamp("2022-12-31") and first["series_id"] == "S000012000"
    last = holdings.iloc[-1]
    assert (last["cusip"], last["balance"], last["value_usd"], last["pct_val"]) == (
        "914391V61",
        745000.0,
        775962.2,
        1.8765745791,
    )
    filed = [float(v) for v in re.findall(rb"<pctVal>([^<]+)</pctVal>", raw)]
    assert holdings["pct_val"].sum() == pytest.approx(sum(filed), abs=1e-9)
    assert (holdings["asset_cat"] == "DBT").all() and (holdings["units"] == "PA").all()


def test_a_report_without_a_filing_date_is_not_placed_in_time():
    filing, holdings = nport.parse_nport(DUPREE.read_bytes(), "0000311101-23-000001", None)
    rows, quarantined = nport.etf_rows(filing, holdings, "KYSMX", {"49151FGH7": "KYBOND"})
    assert rows.empty
    assert len(quarantined) == 1  # one entry for the filing, not one per holding
    assert "no filing date" in quarantined[0]["reason"]
    assert set(quarantined[0]) == {"table", "symbol", "reason", "record"}
    assert json.loads(quarantined[0]["record"])["series_id"] == "S000012000"


def test_bonds_are_never_etf_rows():
    # The document's signature date (2023-01-31) stands in for the filing date it does not carry.
    filing, holdings = nport.parse_nport(DUPREE.read_bytes(), "0000311101-23-000001", "2023-01-31")
    assert nport.publication(filing["report_date"], "2023-01-31", filing["fiscal_year_end"]).known_at == date(
        2023, 1, 31
    )  # December is the third month of the fiscal quarter Oct-Dec (fiscal year ends in June)
    rows, quarantined = nport.etf_rows(filing, holdings, "KYSMX", {"49151FGH7": "KYBOND"})
    assert rows.empty and quarantined == []
    coverage = nport.holdings_coverage(holdings, {"49151FGH7": "KYBOND"})
    assert coverage["n_holdings"] == 55 and coverage["n_equity"] == 0 and coverage["largest_unmapped"] == []


def test_a_final_report_without_holdings():
    filing, holdings = nport.parse_nport(ADVANCED.read_bytes(), "0000814679-23-000001", "2023-02-27")
    assert filing["is_final_filing"] is True and filing["n_holdings"] == 0 and holdings.empty
    assert list(holdings.columns) == list(nport.HOLDING_COLUMNS)
    assert (filing["series_id"], filing["report_date"]) == ("S000030880", date(2022, 12, 30))
    assert filing["net_assets"] == 1389080.74
    rows, quarantined = nport.etf_rows(filing, holdings, "AST", {})
    assert rows.empty and quarantined == [] and list(rows.columns) == tables.RAW_ETF_HOLDINGS.column_names


# ---- the SEC's fund tickers file ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tickers() -> pd.DataFrame:
    return nport.fund_tickers((FIXTURES / "company_tickers_mf_SUBSET.json").read_bytes())


def test_fund_tickers_reads_the_sec_file(tickers):
    raw = json.loads((FIXTURES / "company_tickers_mf_SUBSET.json").read_text())
    assert raw["fields"] == ["cik", "seriesId", "classId", "symbol"]
    assert len(raw["data"]) == 34 and len(tickers) == 33  # the row with an empty symbol is left out
    assert list(tickers.columns) == ["cik", "series_id", "class_id", "symbol"]
    voo = tickers[tickers["symbol"] == "VOO"].iloc[0].to_dict()
    assert voo == {"cik": "0000036405", "series_id": "S000002839", "class_id": "C000092055", "symbol": "VOO"}
    # Vanguard's ETF is one class of a series with mutual fund classes: N-PORT reports the whole series.
    assert set(tickers[tickers["series_id"] == "S000002839"]["symbol"]) == {"VFINX", "VFIAX", "VOO", "VFFSX"}


def test_the_default_etfs_each_resolve_to_one_series(tickers):
    series = nport.etf_series(tickers, nport.DEFAULT_ETFS)
    assert list(series) == list(nport.DEFAULT_ETFS)
    assert series["IVV"] == ("0001100663", "S000004310")
    assert series["VTI"] == ("0000036405", "S000002848")
    assert series["XLK"] == ("0001064641", "S000006415")
    assert series["SCHD"] == ("0001454889", "S000034163")
    assert len({s for _, s in series.values()}) == len(series)


def test_the_ticker_of_the_dupree_series_finds_its_report(tickers):
    filing, _ = nport.parse_nport(DUPREE.read_bytes(), None, None)
    assert nport.etf_series(tickers, ["kysmx"]) == {"KYSMX": (filing["cik"], filing["series_id"])}


def test_unknown_or_doubled_etfs_are_clear_errors(tickers):
    with pytest.raises(nport.FundTickersError, match=r"\['SPY'\].*unit investment trust"):
        nport.etf_series(tickers, ["VOO", "SPY"])
    with pytest.raises(nport.FundTickersError, match="same fund series.*S000002839"):
        nport.etf_series(tickers, ["VOO", "VFIAX"])
    with pytest.raises(nport.FundTickersError, match="lack"):
        nport.fund_tickers('{"fields": ["cik", "symbol"], "data": []}')
    with pytest.raises(nport.FundTickersError, match="row 0"):
        nport.fund_tickers('{"fields": ["cik", "seriesId", "classId", "symbol"], "data": [[1, "S1"]]}')


# ---- the SEC data set sample -------------------------------------------------------------------------------
def test_the_data_set_sample_reads_every_holding(sample_filings, sample_holdings):
    listed = _tsv("filings.tsv").set_index("ACCESSION_NUMBER")
    assert len(sample_filings) == 4
    assert len(sample_holdings) == len(_tsv("holdings.tsv")) == 397
    counts = sample_holdings.groupby("accession_number").size()
    sums = sample_holdings.groupby("accession_number")["pct_val"].sum()
    for accession, row in listed.iterrows():
        assert counts[accession] == int(row["n_holdings"])
        assert round(sums[accession], 3) == float(row["pct_sum"])
    assert sample_holdings["cusip"].isna().all()  # the sample carries no CUSIP
    miln = sample_filings.set_index("accession_number").loc[MILN]
    assert (miln["filing_date"], miln["report_date"], miln["fiscal_year_end"]) == (
        date(2026, 1, 29),
        date(2025, 11, 30),
        date(2025, 11, 30),
    )
    assert miln["cik"] == "0001432353" and miln["series_name"] == "Global X Millennial Consumer ETF"


def test_values_and_percents_agree_on_one_net_asset_figure_per_filing(sample_holdings):
    """CURRENCY_VALUE is the dollar value: value / percent gives the same net assets on every line."""
    big = sample_holdings[sample_holdings["pct_val"].abs() > 0.05]
    implied = big["value_usd"] / big["pct_val"] * 100
    spread = implied.groupby(big["accession_number"]).agg(lambda s: s.max() / s.min() - 1)
    assert (spread < 1e-6).all()


def test_short_and_written_lines_are_kept_as_filed(sample_holdings):
    hedged = sample_holdings[sample_holdings["accession_number"] == HEDGED]
    negative = hedged[hedged["value_usd"] < 0]
    assert len(negative) == 2 and negative["name"].isna().all()  # options, filed without an issuer name
    assert sorted(negative["balance"]) == [-5.0, 38.0]


# ---- which months are public -------------------------------------------------------------------------------
def test_the_sample_reports_are_third_month_reports(sample_filings):
    """30-NOV-2025 filed 29-JAN-2026: the Global X funds' fiscal year ends in November, so November closes a
    fiscal quarter and its report is public; filed on the 60-day deadline (30 Nov + 60 days = 29 Jan)."""
    for row in sample_filings.to_dict("records"):
        args = (row["report_date"], row["filing_date"], row["fiscal_year_end"], row["form_type"])
        old_rule = nport.publication(*args, monthly_public_from=None)
        assert old_rule.known_at == row["filing_date"], old_rule.reason
        assert "third month" in old_rule.reason
        assert nport.is_public(*args)
    miln = _filing(sample_filings, MILN)
    assert nport.month_end(miln["report_date"]) + pd.Timedelta(days=60) == date(2026, 1, 29)
    assert nport.publication(
        miln["report_date"], miln["filing_date"], miln["fiscal_year_end"]
    ).known_at == date(2026, 1, 29)
    # Filed from 2025-11-17 on, the public date is never before month end + 60 days: T. Rowe's 31 Dec report
    # filed 26 Feb is known from 1 March (conservative by three days if the old rule still applied).
    tdvg = _filing(sample_filings, TDVG)
    public = nport.publication(tdvg["report_date"], tdvg["filing_date"], tdvg["fiscal_year_end"])
    assert public.known_at == date(2026, 3, 1)


def test_first_and_second_months_are_not_public_before_the_2024_amendments():
    fiscal = date(2025, 11, 30)  # the Global X fiscal year end: quarters end Feb, May, Aug, Nov
    assert nport.publication(date(2025, 8, 31), date(2025, 10, 29), fiscal).known_at == date(2025, 10, 29)
    for report, which in ((date(2025, 6, 30), "first"), (date(2025, 7, 31), "second")):
        public = nport.publication(report, date(2025, 10, 29), fiscal)
        assert public.known_at is None and which in public.reason
        assert not nport.is_public(report, date(2025, 10, 29), fiscal)
    # Under the 2024 amendments every month is public, 60 days after its end.
    assert nport.publication(date(2025, 12, 31), date(2026, 1, 20), fiscal).known_at == date(2026, 3, 1)


def test_reports_that_are_never_public():
    assert (
        nport.publication(date(2025, 11, 30), date(2026, 1, 29), date(2025, 11, 30), "NPORT-NP").known_at
        is None
    )
    assert nport.publication(date(2025, 11, 30), date(2026, 1, 29), None, "NT NPORT-P").known_at is None
    no_year_end = nport.publication(date(2025, 8, 31), date(2025, 10, 29), None)
    assert no_year_end.known_at is None and "fiscal year end" in no_year_end.reason
    assert nport.publication(date(2025, 8, 31), None, date(2025, 11, 30)).known_at is None
    assert nport.publication(date(2025, 8, 31), date(2025, 8, 1), date(2025, 11, 30)).known_at is None


def test_a_non_public_report_is_one_quarantine_entry(cusips):
    filing, holdings = _miln(cusips, equity=True)
    filing = {**filing, "report_date": date(2025, 7, 31), "filing_date": date(2025, 9, 29)}
    rows, quarantined = nport.etf_rows(filing, holdings, "MILN", _universe(cusips))
    assert rows.empty and len(quarantined) == 1 and "second month" in quarantined[0]["reason"]


# ---- documents written from the sample's rows --------------------------------------------------------------
def test_documents_from_the_sample_parse_like_the_data_set(sample_filings, sample_holdings):
    for accession in sample_filings["accession_number"]:
        filing, holdings = nport.parse_nport(sample_document(accession), accession, None)
        expected = sample_holdings[sample_holdings["accession_number"] == accession].reset_index(drop=True)
        assert filing["n_holdings"] == len(expected)
        assert filing["report_date"] == _filing(sample_filings, accession)["report_date"]
        for column in ("name", "balance", "value_usd", "pct_val", "report_date"):
            assert holdings[column].equals(expected[column]), column


def test_the_millennial_consumer_etf_rows_field_by_field(cusips):
    filing, holdings = _miln(cusips, equity=True)
    rows, quarantined = nport.etf_rows(filing, holdings, "MILN", _universe(cusips))
    assert quarantined == []
    assert sorted(rows["symbol"]) == sorted(cusips["symbol"])
    assert list(rows.columns) == tables.RAW_ETF_HOLDINGS.column_names
    aapl = rows.set_index("symbol").loc["AAPL"].to_dict()
    # holdings.tsv: APPLE INC.  15759.0  4394397.15  3.988292970106  US
    assert aapl == {
        "known_at": pd.Timestamp("2026-01-29"),
        "etf_symbol": "MILN",
        "shares": 15759.0,
        "weight": pytest.approx(0.03988292970106, abs=1e-15),
        "market_value": 4394397.15,
        "source": "sec",
        "cusip": "037833100",
        "accession_number": MILN,
        "form_type": "NPORT-P",
        "report_date": pd.Timestamp("2025-11-30"),
    }
    spot = rows.set_index("symbol").loc["SPOT"]  # SPOTIFY TECHNOLOGY S.A.  5242.0  3139276.54  2.849163179459
    assert (spot["shares"], spot["market_value"], spot["cusip"]) == (5242.0, 3139276.54, "L8681T102")
    assert (rows["known_at"] > rows["report_date"]).all()
    _valid(rows)


def test_only_the_universe_becomes_rows_and_coverage_says_how_much(cusips):
    filing, holdings = _miln(cusips, equity=True)
    universe = {c: s for c, s in _universe(cusips).items() if s in ("AAPL", "AMZN", "META")}
    rows, _ = nport.etf_rows(filing, holdings, "MILN", universe)
    assert sorted(rows["symbol"]) == ["AAPL", "AMZN", "META"]
    coverage = nport.holdings_coverage(holdings, universe, top=2)
    sample = _tsv("holdings.tsv")
    sample = sample[sample["ACCESSION_NUMBER"] == MILN]
    values = sample.set_index("ISSUER_NAME")["CURRENCY_VALUE"].astype(float)
    assert (coverage["n_holdings"], coverage["n_equity"], coverage["n_equity_mapped"]) == (79, 79, 3)
    assert coverage["equity_value_usd"] == pytest.approx(values.sum())
    mapped = values[["APPLE INC.", "AMAZON.COM, INC.", "META PLATFORMS, INC."]].sum()
    assert coverage["mapped_value_usd"] == pytest.approx(mapped)
    assert coverage["mapped_value_share"] == pytest.approx(mapped / values.sum())
    # The largest holding left unmapped: Alphabet, whose two share classes the sample cannot tell apart.
    assert coverage["largest_unmapped"][0] == {
        "cusip": None,
        "name": "ALPHABET INC.",
        "value_usd": 6012340.04,
    }


def test_the_sample_without_asset_categories_gives_no_rows(sample_filings, sample_holdings, cusips):
    rows, quarantined = nport.etf_rows(
        _filing(sample_filings, MILN), sample_holdings, "MILN", _universe(cusips)
    )
    assert rows.empty and quarantined == []  # no CUSIP and no asset category in the data set sample


def test_an_amendment_replaces_the_report_from_its_own_filing_date(cusips):
    filing, holdings = _miln(cusips, equity=True)
    original, _ = nport.etf_rows(filing, holdings, "MILN", _universe(cusips))
    changed = holdings[holdings["name"] != "NETFLIX, INC."].copy()
    changed.loc[changed["name"] == "APPLE INC.", "balance"] = 16000.0
    changed["accession_number"] = "0002048251-26-999808"
    amended_filing = {
        **filing,
        "accession_number": "0002048251-26-999808",
        "form_type": "NPORT-P/A",
        "filing_date": date(2026, 2, 10),
    }
    amended, _ = nport.etf_rows(amended_filing, changed, "MILN", _universe(cusips))
    assert (amended["known_at"] == pd.Timestamp("2026-02-10")).all()
    assert (amended["form_type"] == "NPORT-P/A").all() and "NFLX" not in set(amended["symbol"])
    both = pd.concat([original, amended], ignore_index=True)  # kept as filed
    assert nport.reports_as_of(both, "2026-01-28").empty
    before = nport.reports_as_of(both, "2026-02-09").set_index("symbol")
    assert set(before["accession_number"]) == {MILN} and before.loc["AAPL", "shares"] == 15759.0
    after = nport.reports_as_of(both, "2026-02-10").set_index("symbol")
    assert set(after["accession_number"]) == {"0002048251-26-999808"} and "NFLX" not in after.index
    assert after.loc["AAPL", "shares"] == 16000.0


def test_the_latest_report_date_wins(cusips):
    filing, holdings = _miln(cusips, equity=True)
    november, _ = nport.etf_rows(filing, holdings, "MILN", _universe(cusips))
    august = november.assign(
        report_date=pd.Timestamp("2025-08-29"), known_at=pd.Timestamp("2025-10-28"), accession_number="A-AUG"
    )
    both = pd.concat([august, november], ignore_index=True)
    assert set(nport.reports_as_of(both, "2026-01-01")["accession_number"]) == {"A-AUG"}
    assert set(nport.reports_as_of(both, "2026-01-29")["accession_number"]) == {MILN}


def test_mapped_holdings_that_cannot_be_rows_are_quarantined(cusips):
    filing, holdings = _miln(cusips, equity=True)
    h = holdings.set_index("name")
    h.loc["APPLE INC.", "units"] = "PA"
    h.loc["AMAZON.COM, INC.", "balance"] = -3.0
    h.loc["META PLATFORMS, INC.", "pct_val"] = 120.0
    h.loc["NETFLIX, INC.", "payoff_profile"] = "Short"  # a short sale: not a holding, not an error
    h.loc["INTUIT INC.", "asset_cat"] = "EP"
    rows, quarantined = nport.etf_rows(filing, h.reset_index(), "MILN", _universe(cusips))
    assert sorted(rows["symbol"]) == ["HD", "SOFI", "SPOT"]
    reasons = {q["symbol"]: q["reason"] for q in quarantined}
    assert set(reasons) == {"AAPL", "AMZN", "META"}
    assert "not a number of shares" in reasons["AAPL"] and "balance -3.0" in reasons["AMZN"]
    assert "pctVal 120.0" in reasons["META"]


def test_lines_of_one_stock_are_summed_and_the_series_is_checked(cusips):
    filing, holdings = _miln(cusips, equity=True)
    doubled = pd.concat([holdings, holdings[holdings["name"] == "APPLE INC."]], ignore_index=True)
    rows, _ = nport.etf_rows(filing, doubled, "MILN", _universe(cusips))
    aapl = rows.set_index("symbol").loc["AAPL"]
    assert aapl["shares"] == 2 * 15759.0 and aapl["weight"] == pytest.approx(2 * 0.03988292970106)
    assert len(rows) == len(set(rows["symbol"]))
    rows, quarantined = nport.etf_rows(
        {**filing, "series_id": "S000054163"}, holdings, "MILN", _universe(cusips), series_id="S000080575"
    )
    assert rows.empty and "not MILN's series S000080575" in quarantined[0]["reason"]


# ---- parser edge cases (small documents written here) ------------------------------------------------------
def _document(holding: str, **gen) -> bytes:
    info = "".join(
        f"<{k}>{v}</{k}>" for k, v in {"repPdEnd": "2025-12-31", "repPdDate": "2025-12-31", **gen}.items()
    )
    return (
        '<edgarSubmission xmlns="http://www.sec.gov/edgar/nport"><headerData><submissionType>NPORT-P'
        f"</submissionType></headerData><formData><genInfo>{info}</genInfo><invstOrSecs>{holding}"
        "</invstOrSecs></formData></edgarSubmission>"
    ).encode()


def test_conditional_elements_and_an_isin_without_cusip():
    holding = (
        "<invstOrSec><name>Apple Inc</name><lei>N/A</lei><title>Apple</title><cusip>N/A</cusip>"
        '<identifiers><isin value="US0378331005"/></identifiers><balance>10</balance><units>NS</units>'
        '<currencyConditional curCd="EUR" exchangeRt="0.9"/><valUSD>N/A</valUSD><pctVal>1.5</pctVal>'
        "<payoffProfile>Long</payoffProfile><assetCat>EC</assetCat></invstOrSec>"
        "<invstOrSec><name>Something</name><cusip>000000000</cusip><balance>1</balance><units>OU</units>"
        '<valUSD>5</valUSD><pctVal>0.1</pctVal><assetConditional assetCat="OTHER" desc="x"/></invstOrSec>'
    )
    filing, holdings = nport.parse_nport(_document(holding), "A-1", "2026-02-27")
    assert holdings.loc[0, "cusip"] is None and holdings.loc[0, "isin"] == "US0378331005"
    assert pd.isna(holdings.loc[0, "value_usd"])  # N/A
    assert holdings.loc[1, "cusip"] is None and holdings.loc[1, "asset_cat"] == "OTHER"
    rows, _ = nport.etf_rows(filing, holdings, "X", {"037833100": "AAPL"})
    assert rows["symbol"].tolist() == ["AAPL"] and rows["cusip"].tolist() == [None]
    assert pd.isna(rows.loc[0, "market_value"]) and rows.loc[0, "weight"] == 0.015


def test_unreadable_documents_are_clear_errors():
    with pytest.raises(nport.NportParseError, match="no <edgarSubmission>"):
        nport.parse_nport(b"<ownershipDocument/>", None, None)
    with pytest.raises(nport.NportParseError, match="DTD"):
        nport.parse_nport(b'<!DOCTYPE x [<!ENTITY a "b">]><edgarSubmission></edgarSubmission>', None, None)
    with pytest.raises(nport.NportParseError, match="not well-formed"):
        nport.parse_nport(b"<edgarSubmission><formData></edgarSubmission>", None, None)
    with pytest.raises(nport.NportParseError, match="repPdDate"):
        nport.parse_nport(_document("", repPdDate=""), None, None)
    bad = "<invstOrSec><name>A</name><balance>1</balance><valUSD>12O</valUSD><pctVal>1</pctVal></invstOrSec>"
    with pytest.raises(nport.NportParseError, match=r"invstOrSec 1 valUSD '12O' is not a number"):
        nport.parse_nport(_document(bad), None, None)
