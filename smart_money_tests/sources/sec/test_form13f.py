"""13F filings and the Form 13F data sets on real records (fixtures/sec/form13f, PROVENANCE.md there).

Real filings: LTS One Management (13F-HR, period 2023-09-30, filed 2023-11-14), Acorn Creek Capital (13F-HR,
period 2024-12-31, filed 2025-01-22), NVIDIA's own 13F-HR (NVIDIA as the filing manager, period 2024-03-31,
filed 2024-05-15), the cover pages of MetLife and Abacus Wealth Partners and an information table whose
filer is not named. The values below were read by hand from the files. The SEC's samples
(``sec_13f_xml_spec/Sample_*.xml``, ``information_table.xml``) are illustrative, not real filings (made-up
CIK 0123456789, "BIG FUND TRUST inc", totals that do not add up): they are used for shape only.
"""

import base64
import html
import lzma
import re
import xml.etree.ElementTree as ET
import zipfile
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from smart_money.sources.sec import form13f

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sec" / "form13f"
LTS_ONE = FIXTURES / "edgartools" / "13F.0001894188-23-000007.txt"
ACORN = FIXTURES / "edgartools" / "13f__0001951757-25-000093.nc"
NVIDIA = FIXTURES / "sec_api" / "13F-HR_NVIDIA_CIK1045810_0001045810-24-000108.txt"
METLIFE = FIXTURES / "edgartools" / "metlife.13F-HR.primarydoc.xml"
ABACUS = FIXTURES / "edgartools" / "xml__abacus.13F-HR.primarydoc.xml"
NO_FILER_TABLE = FIXTURES / "edgartools" / "xml__13F-HR.infotable.xml"
SPEC = FIXTURES / "sec_13f_xml_spec"
README = FIXTURES / "FORM13F_readme.htm.xz"

# (accession, FILING_DATE, PERIODOFREPORT) as the SEC headers of the two real submissions give them.
LTS_ONE_ID = ("0001894188-23-000007", "14-NOV-2023", "30-SEP-2023")
ACORN_ID = ("0001951757-25-000093", "22-JAN-2025", "31-DEC-2024")


def _line(lines: pd.DataFrame, cusip: str) -> dict:
    rows = lines[lines["cusip"] == cusip]
    assert len(rows) == 1, cusip
    return rows.iloc[0].to_dict()


def _infotable_count(xml: bytes) -> int:
    """infoTable elements, counted by ElementTree without the module under test."""
    root = ET.fromstring(xml.lstrip())
    return sum(1 for e in root.iter() if e.tag.rsplit("}", 1)[-1] == "infoTable")


def _xml_documents(submission: bytes) -> dict[str, bytes]:
    """root element name → the XML of each <XML> block of a submission (the test's own reading)."""
    out = {}
    for block in re.findall(rb"<XML>\s*(.*?)\s*</XML>", submission, flags=re.DOTALL):
        root = ET.fromstring(block)
        out[root.tag.rsplit("}", 1)[-1]] = block
    return out


# ---- per filing: real filings field by field ---------------------------------------------------------------
def test_lts_one_cover_and_lines_field_by_field():
    filing, lines = form13f.parse_submission(LTS_ONE.read_bytes())
    assert filing["accession_number"] == "0001894188-23-000007"
    assert filing["filer_cik"] == "0001894188"
    assert filing["filer_name"] == "LTS One Management LP"
    assert filing["form_type"] == "13F-HR"
    assert filing["filing_date"] == pd.Timestamp("2023-11-14")  # FILED AS OF DATE: the public date
    assert filing["period_of_report"] == pd.Timestamp("2023-09-30")
    assert filing["report_type"] == "13F HOLDINGS REPORT"
    assert filing["amendment_type"] is None and filing["is_amendment"] is False
    assert filing["acceptance_time"] == pd.Timestamp("2023-11-14 14:38:54", tz="UTC")  # 09:38:54 Eastern
    assert filing["table_entry_total"] == 14 and filing["table_value_total"] == 454_926_000
    assert list(lines.columns) == list(form13f.LINE_COLUMNS)
    assert len(lines) == 14 and lines.attrs["quarantined"] == []
    # Filed after 2023-01-03, so in dollars: the total is $454,926,000 (= 454,926 thousand), each value
    # rounded by the filer to whole thousands of dollars; Amazon's 137,500 shares at $17,479,000 is $127.12 a
    # share, a price, where thousands would make it $127,120.
    assert lines["value_usd"].sum() == 454_926_000
    amazon = _line(lines, "023135106")
    assert amazon["issuer_name"] == "AMAZON COM INC" and amazon["title_of_class"] == "COM"
    assert (amazon["value_usd"], amazon["shares"], amazon["shares_type"]) == (17_479_000, 137_500, "SH")
    assert round(amazon["value_usd"] / amazon["shares"], 2) == 127.12
    assert pd.isna(amazon["put_call"]) and pd.isna(amazon["other_manager"])
    assert amazon["investment_discretion"] == "SOLE"
    assert (amazon["voting_sole"], amazon["voting_shared"], amazon["voting_none"]) == (137_500, 0, 0)
    flavors = _line(lines, "459506101")
    assert flavors["issuer_name"] == "INTERNATIONAL FLAVORS&FRAGRA"  # &amp; in the XML
    assert (flavors["value_usd"], flavors["shares"]) == (154_405_000, 2_265_000)
    femsa = _line(lines, "344419106")
    assert femsa["title_of_class"] == "SPON ADR UNITS" and femsa["value_usd"] == 31_654_000
    assert list(lines["cusip"].iloc[[0, -1]]) == ["023135106", "92826C839"]  # document order: Amazon .. Visa
    assert _line(lines, "92826C839")["shares"] == 90_000
    assert lines["put_call"].isna().all()


def test_acorn_creek_compact_header_and_cr_line_endings():
    """The compact SGML header (``<FILING-DATE>20250122``), lines ended by carriage returns only (as kept
    by edgartools)."""
    raw = ACORN.read_bytes()
    assert b"\n" not in raw.split(b"\r", 1)[1][:2000]
    filing, lines = form13f.parse_submission(raw)
    assert (filing["accession_number"], filing["filer_cik"]) == ("0001951757-25-000093", "0001994827")
    assert filing["filer_name"] == "ACORN CREEK CAPITAL LLC" and filing["form_type"] == "13F-HR"
    assert filing["filing_date"] == pd.Timestamp("2025-01-22")
    assert filing["period_of_report"] == pd.Timestamp("2024-12-31")
    assert filing["acceptance_time"] is None  # the compact header has no ACCEPTANCE-DATETIME
    assert len(lines) == 77 == filing["table_entry_total"]
    assert lines["value_usd"].sum() == filing["table_value_total"] == 194_611_845
    abbvie = _line(lines, "00287Y109")
    assert (abbvie["issuer_name"], abbvie["value_usd"], abbvie["shares"]) == ("ABBVIE INC", 406_755, 2_289)
    assert (abbvie["voting_sole"], abbvie["voting_shared"], abbvie["voting_none"]) == (0, 0, 2_289)
    class_c, class_a = _line(lines, "02079K107"), _line(lines, "02079K305")  # Alphabet's two classes
    assert (class_c["title_of_class"], class_c["value_usd"], class_c["shares"]) == (
        "CAP STK CL C",
        1_247_638,
        6_551,
    )
    assert (class_a["title_of_class"], class_a["value_usd"], class_a["shares"]) == (
        "CAP STK CL A",
        634_939,
        3_354,
    )
    microsoft = _line(lines, "594918104")
    assert (microsoft["value_usd"], microsoft["shares"]) == (2_845_940, 6_752)
    assert round(microsoft["value_usd"] / microsoft["shares"], 2) == 421.50  # dollars: a share price
    assert _line(lines, "67066G104")["shares"] == 17_160  # NVIDIA
    wisdomtree = lines.iloc[-1].to_dict()
    assert (wisdomtree["cusip"], wisdomtree["issuer_name"]) == ("97717Y527", "WISDOMTREE TR")
    assert (wisdomtree["value_usd"], wisdomtree["shares"]) == (10_501_759, 208_700)
    assert set(lines["shares_type"]) == {"SH"} and set(lines["investment_discretion"]) == {"SOLE"}
    assert lines["put_call"].isna().all()


def test_nvidias_own_13f_as_the_filing_manager():
    """NVIDIA files a 13F-HR for the stakes it holds in other companies (its CIK is the filer)."""
    filing, lines = form13f.parse_submission(NVIDIA.read_bytes())
    assert (filing["filer_cik"], filing["filer_name"]) == ("0001045810", "NVIDIA CORP")
    assert filing["accession_number"] == "0001045810-24-000108"
    assert (filing["filing_date"], filing["period_of_report"]) == (
        pd.Timestamp("2024-05-15"),
        pd.Timestamp("2024-03-31"),
    )
    assert filing["is_amendment"] is False and filing["amendment_type"] is None
    assert list(lines["issuer_name"]) == [
        "ARM HOLDINGS PLC",
        "NANO X IMAGING LTD",
        "RECURSION PHARMACEUTICALS IN",
        "SOUNDHOUND AI INC",
    ]
    assert list(lines["cusip"]) == ["042068205", "M70700105", "75629V104", "836100107"]
    assert lines["value_usd"].sum() == filing["table_value_total"] == 332_688_337
    assert _line(lines, "042068205")["shares"] == 1_960_784
    assert _line(lines, "M70700105")["investment_discretion"] == "DFND"  # shared-defined discretion


def test_metlife_and_abacus_cover_pages():
    metlife = form13f.parse_cover(METLIFE.read_bytes())
    assert (metlife["filer_cik"], metlife["filer_name"], metlife["form_type"]) == (
        "0001099219",
        "METLIFE INC",
        "13F-HR",
    )
    assert metlife["report_type"] == "13F COMBINATION REPORT"
    assert metlife["is_amendment"] is False and metlife["amendment_type"] is None  # isAmendment false
    assert metlife["period_of_report"] == pd.Timestamp("2021-12-31")
    assert (metlife["table_entry_total"], metlife["table_value_total"]) == (6, 11_019_796)
    # The bare document has no filing date: nothing places it in time until the caller gives one.
    assert pd.isna(metlife["filing_date"]) and metlife["accession_number"] is None
    # edgartools' tests name this MetLife 13F-HR 0001140361-23-013281, filed 2023-03-23 (signed 03-22-2023).
    dated = form13f.parse_cover(
        METLIFE.read_bytes(), accession_number="000114036123013281", filing_date="2023-03-23"
    )
    assert (dated["accession_number"], dated["filing_date"]) == (
        "0001140361-23-013281",
        pd.Timestamp("2023-03-23"),
    )

    abacus = form13f.parse_cover(ABACUS.read_text(encoding="utf-8"))
    assert (abacus["filer_cik"], abacus["filer_name"]) == ("0001978011", "Abacus Wealth Partners, LLC")
    assert abacus["report_type"] == "13F HOLDINGS REPORT" and abacus["form_type"] == "13F-HR"
    assert abacus["period_of_report"] == pd.Timestamp("2020-12-31")  # a late report: signed 05-31-2023
    assert (abacus["table_entry_total"], abacus["table_value_total"]) == (92, 114_663_960)
    assert abacus["is_amendment"] is False and abacus["amendment_number"] is None

    frame = form13f.filing_frame([metlife, dated, abacus])
    assert list(frame.columns) == list(form13f.FILING_COLUMNS)
    assert str(frame["filing_date"].dtype) == "datetime64[ms]" == str(frame["period_of_report"].dtype)
    assert frame["filing_date"].isna().tolist() == [True, False, True]
    assert frame["amendment_type"].isna().all()


def test_the_information_table_with_no_filer_named():
    """255 lines, three of them principal amounts (iShares iBonds, PRN). No filer, no filing date."""
    xml = NO_FILER_TABLE.read_bytes()
    assert xml.startswith(b"\n<?xml")  # a blank line before the declaration, which strict parsers refuse
    with pytest.raises(form13f.Form13FError, match="filing date is required"):
        form13f.parse_information_table(xml, "0000000000-00-000000", None)
    # Only to count rows and show the unit rule: the dates and the accession are not the filing's.
    after = form13f.parse_information_table(xml, "0000000000-00-000001", "2023-01-03")
    before = form13f.parse_information_table(xml, "0000000000-00-000001", "2023-01-02")
    assert len(after) == len(before) == 255 == _infotable_count(xml)
    assert (before["value_usd"] == after["value_usd"] * 1000).all()
    mmm = _line(after, "88579Y101")
    assert (mmm["issuer_name"], mmm["value_usd"], mmm["shares"]) == ("3M CO", 409_469, 2_334)
    principal = after[after["shares_type"] == "PRN"]
    assert list(principal["cusip"]) == ["46435UAA9", "46435GAA0", "46434VAX8"]
    assert list(principal["title_of_class"]) == ["IBONDS 27 ETF", "IBONDS DEC2026", "IBONDS DEC23 ETF"]
    assert _line(after, "46435UAA9")["shares"] == 16_480


def _spec_embedded_tables() -> dict[str, bytes]:
    """The information tables the SEC's sample submissions carry base64-encoded in <contents>."""
    out = {}
    for name in ("Sample_13F-HR.xml", "Sample_13F-HRA.xml"):
        text = (SPEC / name).read_text(encoding="utf-8")
        (contents,) = re.findall(r"<contents>(.*?)</contents>", text, flags=re.DOTALL)
        out[name] = base64.b64decode(contents)
    return out


def test_every_shared_information_table_parses_with_one_row_per_infotable():
    tables = {
        LTS_ONE.name: _xml_documents(LTS_ONE.read_bytes())["informationTable"],
        ACORN.name: _xml_documents(ACORN.read_bytes())["informationTable"],
        NVIDIA.name: _xml_documents(NVIDIA.read_bytes())["informationTable"],
        NO_FILER_TABLE.name: NO_FILER_TABLE.read_bytes(),
        "information_table.xml (SEC sample)": (SPEC / "information_table.xml").read_bytes(),
        **{f"{k} <contents> (SEC sample)": v for k, v in _spec_embedded_tables().items()},
    }
    counts = {}
    for name, xml in tables.items():
        lines = form13f.parse_information_table(xml, "0000000000-00-000001", "2024-05-15")
        assert len(lines) == _infotable_count(xml), name
        assert lines.attrs["quarantined"] == [], name
        assert lines["cusip"].str.fullmatch(r"[A-Z0-9]{9}").all(), name
        counts[name] = len(lines)
    assert list(counts.values()) == [14, 77, 4, 255, 169, 169, 169]


def test_full_submissions_agree_with_their_documents_parsed_alone():
    for path, (number, filed, _) in ((LTS_ONE, LTS_ONE_ID), (ACORN, ACORN_ID)):
        documents = _xml_documents(path.read_bytes())
        filing, lines = form13f.parse_submission(path.read_bytes())
        alone = form13f.parse_information_table(documents["informationTable"], number, filed)
        pd.testing.assert_frame_equal(lines, alone)
        cover = form13f.parse_cover(documents["edgarSubmission"], accession_number=number, filing_date=filed)
        assert {k: v for k, v in filing.items() if k != "acceptance_time"} == cover


# ---- value units -------------------------------------------------------------------------------------------
def test_value_units_change_on_2023_01_03_as_the_readme_says():
    text = lzma.decompress(README.read_bytes()).decode("utf-8", errors="replace")
    words = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", text)))
    assert "Starting on January 3, 2023, market value is reported rounded to the nearest dollar." in words
    assert "Previously, market value was reported in thousands." in words
    assert form13f.DOLLARS_FROM == date(2023, 1, 3)
    assert form13f.value_in_dollars(17_479_000, "2023-11-14") == 17_479_000  # LTS One's Amazon line
    assert form13f.value_in_dollars(17_479, "2023-01-02") == 17_479_000
    assert form13f.value_in_dollars(17_479, date(2023, 1, 3)) == 17_479
    assert form13f.value_in_dollars("406755", "22-JAN-2025") == 406_755
    with pytest.raises(form13f.Form13FError, match="needs the filing date"):
        form13f.value_in_dollars(1, None)


def _lts_one_in_thousands() -> bytes:
    """Built, not real: LTS One's information table with every value written in thousands, the way a filing
    made before 2023-01-03 wrote it (its values are whole thousands of dollars, so nothing is rounded)."""
    table = _xml_documents(LTS_ONE.read_bytes())["informationTable"]
    return re.sub(rb"<ns1:value>(\d+)000</ns1:value>", rb"<ns1:value>\1</ns1:value>", table)


def test_a_filing_made_before_2023_is_read_in_thousands():
    real = form13f.parse_submission(LTS_ONE.read_bytes())[1]
    built = form13f.parse_information_table(_lts_one_in_thousands(), "0001894188-22-999007", "2022-11-14")
    assert _line(built, "023135106")["value_usd"] == 17_479_000
    pd.testing.assert_series_equal(built["value_usd"], real["value_usd"])
    # The same thousands read as a 2023 filing would be a thousand times too small: the date decides.
    late = form13f.parse_information_table(_lts_one_in_thousands(), "0001894188-23-999007", "2023-01-03")
    assert late["value_usd"].sum() == 454_926


# ---- bad lines ---------------------------------------------------------------------------------------------
def test_options_are_flagged_and_unusable_lines_are_quarantined():
    """Built from LTS One (no real filing here holds options): Amazon as puts, CoStar as calls, CSX with a
    CUSIP that lost its leading zero, EPAM with a value that is not a number, Humana with type 'XX'."""
    table = _xml_documents(LTS_ONE.read_bytes())["informationTable"]
    edits = (
        (
            b"<ns1:sshPrnamtType>SH</ns1:sshPrnamtType>\n\t\t</ns1:shrsOrPrnAmt>",
            0,
            b"<ns1:putCall>Put</ns1:putCall>",
        ),
        (
            b"<ns1:sshPrnamtType>SH</ns1:sshPrnamtType>\n\t\t</ns1:shrsOrPrnAmt>",
            1,
            b"<ns1:putCall>Call</ns1:putCall>",
        ),
    )
    parts = table.split(b"</ns1:infoTable>")
    for marker, index, option in edits:
        parts[index] = parts[index].replace(marker, marker + b"\n\t\t" + option)
    table = b"</ns1:infoTable>".join(parts)
    table = table.replace(b"<ns1:cusip>126408103<", b"<ns1:cusip>26408103<")
    table = table.replace(b"<ns1:value>12785000<", b"<ns1:value>12,785,000<")
    table = table.replace(
        b"<ns1:sshPrnamt>47500</ns1:sshPrnamt>\n\t\t\t<ns1:sshPrnamtType>SH",
        b"<ns1:sshPrnamt>47500</ns1:sshPrnamt>\n\t\t\t<ns1:sshPrnamtType>XX",
    )
    lines = form13f.parse_information_table(table, "0001894188-23-000007", "2023-11-14")
    assert len(lines) == 11
    assert _line(lines, "023135106")["put_call"] == "PUT" and _line(lines, "22160N109")["put_call"] == "CALL"
    assert lines["put_call"].isna().sum() == 9
    reasons = [q["reason"] for q in lines.attrs["quarantined"]]
    assert reasons == [
        "CUSIP '26408103' is not 9 letters or digits",
        "value '12,785,000' is not a number",
        "sshPrnamtType 'XX' is not SH or PRN",
    ]
    entry = lines.attrs["quarantined"][0]
    assert (
        entry["table"] == "raw_institutional_holdings" and entry["accession_number"] == "0001894188-23-000007"
    )
    assert set(entry) == {"table", "symbol", "accession_number", "reason", "record"}
    assert "CSX CORP" in entry["record"] and len(entry["record"]) <= 2000


def test_documents_that_cannot_be_used_raise_a_clear_error():
    with pytest.raises(form13f.Form13FError, match="root element is <edgarSubmission>"):
        form13f.parse_information_table(METLIFE.read_bytes(), "0001099219-23-000001", "2023-03-23")
    with pytest.raises(form13f.Form13FError, match="not well-formed"):
        form13f.parse_cover(METLIFE.read_bytes()[:500])
    with pytest.raises(form13f.Form13FError, match="DTD or entities"):
        form13f.parse_cover(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><edgarSubmission/>')
    with pytest.raises(form13f.Form13FError, match="not 0000000000-00-000000"):
        form13f.parse_information_table(NO_FILER_TABLE.read_bytes(), "1894188-23-7", "2023-11-14")
    undated = LTS_ONE.read_bytes().replace(b"FILED AS OF DATE:\t\t20231114\n", b"")
    with pytest.raises(form13f.Form13FError, match="nothing says when it became public"):
        form13f.parse_submission(undated)


# ---- the SEC's schema and samples (shape only) -------------------------------------------------------------
def _enumeration(xsd: Path, type_name: str) -> list[str]:
    text = xsd.read_text(encoding="utf-8")
    block = re.search(rf'<xs:simpleType name="{type_name}">(.*?)</xs:simpleType>', text, flags=re.DOTALL)
    return re.findall(r'<xs:enumeration value="([^"]+)"', block.group(1))


def test_the_codes_are_the_schemas():
    assert tuple(_enumeration(SPEC / "eis_13F_Filer.xsd", "REPORT_TYPE")) == form13f.REPORT_TYPES
    assert tuple(_enumeration(SPEC / "eis_13F_Filer.xsd", "AMENDMENT_TYPE")) == form13f.AMENDMENT_TYPES
    assert tuple(_enumeration(SPEC / "eis_13FDocument.xsd", "SHRSPRNTYPE")) == form13f.SHARES_TYPES
    # The schema spells Put and Call; the frames carry them upper case, as the raw table declares.
    assert (
        tuple(v.upper() for v in _enumeration(SPEC / "eis_13FDocument.xsd", "PUT_CALL")) == form13f.PUT_CALL
    )
    assert set(form13f.HOLDINGS_FORMS) <= set(_enumeration(SPEC / "eis_13F_Filer.xsd", "SUBMISSION_TYPE"))


def test_the_secs_sample_amendment_and_notices_shape_only():
    """Not real filings: the made-up CIK and manager show the shape of an amendment and of a notice."""
    amendment = form13f.parse_cover((SPEC / "Sample_13F-HRA.xml").read_bytes())
    assert (amendment["filer_cik"], amendment["filer_name"]) == ("0123456789", "BIG FUND TRUST inc")
    assert amendment["form_type"] == "13F-HR/A" and amendment["is_amendment"] is True
    assert (amendment["amendment_type"], amendment["amendment_number"]) == ("RESTATEMENT", 45)
    original = form13f.parse_cover((SPEC / "Sample_13F-HR.xml").read_bytes())
    assert original["amendment_type"] is None and original["form_type"] == "13F-HR"
    for name, form in (("Sample_13F-NT.xml", "13F-NT"), ("Sample_13F-NTA.xml", "13F-NT/A")):
        notice = form13f.parse_cover((SPEC / name).read_bytes())
        assert (notice["form_type"], notice["report_type"]) == (form, "13F NOTICE")
        assert notice["table_entry_total"] is None and notice["amendment_type"] is None


# ---- data sets ---------------------------------------------------------------------------------------------
def test_the_data_set_columns_are_the_readmes():
    text = lzma.decompress(README.read_bytes()).decode("utf-8", errors="replace")

    def clean(cell: str) -> str:
        return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", cell))).strip()

    tables = []
    for table in re.findall(r"<table.*?</table>", text, flags=re.DOTALL | re.IGNORECASE):
        rows = [
            [clean(c) for c in re.findall(r"<td.*?</td>", row, flags=re.DOTALL | re.IGNORECASE)]
            for row in re.findall(r"<tr.*?</tr>", table, flags=re.DOTALL | re.IGNORECASE)
        ]
        if rows and rows[0][:1] == ["Field Name"]:
            tables.append(tuple(r[0] for r in rows[1:]))
    # Sections 5.1 .. 5.7, in the readme's order.
    order = (
        "SUBMISSION",
        "COVERPAGE",
        "OTHERMANAGER",
        "SIGNATURE",
        "SUMMARYPAGE",
        "OTHERMANAGER2",
        "INFOTABLE",
    )
    assert dict(zip(order, tables, strict=True)) == form13f.DATASET_COLUMNS


def _tsv(name: str, rows: list[dict]) -> str:
    columns = form13f.DATASET_COLUMNS[name]
    return "".join(
        "\t".join(r) + "\n" for r in [columns, *([row.get(c, "") for c in columns] for row in rows)]
    )


def _dmy(mmddyyyy: str) -> str:
    month, day, year = mmddyyyy.split("-")
    return date(int(year), int(month), int(day)).strftime("%d-%b-%Y").upper()


def _dataset_rows(submission: bytes, number: str, filed: str, *, table: bytes | None = None, form=None):
    """The data set rows of one submission, written from its XML the way the readme lays them out: the
    test's own reading of the documents, independent of the module under test."""
    documents = _xml_documents(submission)
    ns = {
        "f": "http://www.sec.gov/edgar/thirteenffiler",
        "i": "http://www.sec.gov/edgar/document/thirteenf/informationtable",
    }
    cover = ET.fromstring(documents["edgarSubmission"])
    period = cover.findtext("f:headerData/f:filerInfo/f:periodOfReport", namespaces=ns)
    page = cover.find("f:formData/f:coverPage", ns)
    rows = {
        "SUBMISSION": [
            {
                "ACCESSION_NUMBER": number,
                "FILING_DATE": filed,
                "SUBMISSIONTYPE": form or cover.findtext("f:headerData/f:submissionType", namespaces=ns),
                "CIK": cover.findtext("f:headerData/f:filerInfo/f:filer/f:credentials/f:cik", namespaces=ns),
                "PERIODOFREPORT": _dmy(period),
            }
        ],
        "COVERPAGE": [
            {
                "ACCESSION_NUMBER": number,
                "REPORTCALENDARORQUARTER": _dmy(page.findtext("f:reportCalendarOrQuarter", namespaces=ns)),
                "FILINGMANAGER_NAME": page.findtext("f:filingManager/f:name", namespaces=ns),
                "REPORTTYPE": page.findtext("f:reportType", namespaces=ns),
                "FORM13FFILENUMBER": page.findtext("f:form13FFileNumber", namespaces=ns) or "",
                "PROVIDEINFOFORINSTRUCTION5": page.findtext("f:provideInfoForInstruction5", namespaces=ns),
            }
        ],
        "INFOTABLE": [],
    }
    info = ET.fromstring(table if table is not None else documents["informationTable"])
    for sk, line in enumerate(info.findall("i:infoTable", ns), start=1):
        text = {
            c: line.findtext(p, default="", namespaces=ns)
            for c, p in {
                "NAMEOFISSUER": "i:nameOfIssuer",
                "TITLEOFCLASS": "i:titleOfClass",
                "CUSIP": "i:cusip",
                "VALUE": "i:value",
                "SSHPRNAMT": "i:shrsOrPrnAmt/i:sshPrnamt",
                "SSHPRNAMTTYPE": "i:shrsOrPrnAmt/i:sshPrnamtType",
                "PUTCALL": "i:putCall",
                "INVESTMENTDISCRETION": "i:investmentDiscretion",
                "OTHERMANAGER": "i:otherManager",
                "VOTING_AUTH_SOLE": "i:votingAuthority/i:Sole",
                "VOTING_AUTH_SHARED": "i:votingAuthority/i:Shared",
                "VOTING_AUTH_NONE": "i:votingAuthority/i:None",
            }.items()
        }
        rows["INFOTABLE"].append(
            {"ACCESSION_NUMBER": number, "INFOTABLE_SK": str(int(number[-6:]) * 1000 + sk), **text}
        )
    return rows


PRE_2023 = ("0001894188-22-999007", "14-NOV-2022")  # built: LTS One's lines in thousands, filed in 2022
NOTICE = {  # built: a 13F-NT, which holds nothing
    "ACCESSION_NUMBER": "0001104659-24-000001",
    "FILING_DATE": "14-NOV-2024",
    "SUBMISSIONTYPE": "13F-NT",
    "CIK": "1234567",
    "PERIODOFREPORT": "30-SEP-2024",
}


def _write_dataset(path: Path, parts: list[dict], extra: dict | None = None) -> Path:
    tables = {name: [] for name in form13f.DATASET_COLUMNS}
    for part in parts:
        for name, rows in part.items():
            tables[name] += rows
    for name, rows in (extra or {}).items():
        tables[name] += rows
    tables["INFOTABLE"] = tables["INFOTABLE"][::-1]  # the file's order is not the documents' order
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, rows in tables.items():
            archive.writestr(f"{name}.tsv", _tsv(name, rows))
    return path


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    """A data set in the SEC's layout holding the two real filings, the built pre-2023 filing and a notice."""
    parts = [
        _dataset_rows(LTS_ONE.read_bytes(), LTS_ONE_ID[0], LTS_ONE_ID[1]),
        _dataset_rows(ACORN.read_bytes(), ACORN_ID[0], ACORN_ID[1]),
        _dataset_rows(LTS_ONE.read_bytes(), *PRE_2023, table=_lts_one_in_thousands()),
    ]
    return _write_dataset(
        tmp_path_factory.mktemp("form13f") / "2024q4_form13f.zip", parts, {"SUBMISSION": [NOTICE]}
    )


def _per_filing() -> tuple[pd.DataFrame, pd.DataFrame]:
    lts_filing, lts_lines = form13f.parse_submission(LTS_ONE.read_bytes())
    acorn_filing, acorn_lines = form13f.parse_submission(ACORN.read_bytes())
    built_lines = form13f.parse_information_table(_lts_one_in_thousands(), PRE_2023[0], PRE_2023[1])
    built_filing = {**lts_filing, "accession_number": PRE_2023[0], "filing_date": pd.Timestamp("2022-11-14")}
    filings = form13f.filing_frame([lts_filing, acorn_filing, built_filing])
    lines = pd.concat([lts_lines, acorn_lines, built_lines], ignore_index=True)
    return filings, lines


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("accession_number", kind="stable").reset_index(drop=True)


def test_bulk_gives_the_same_rows_as_per_filing(dataset):
    filings, lines = form13f.read_dataset(dataset)
    expected_filings, expected_lines = _per_filing()
    pd.testing.assert_frame_equal(filings.reset_index(drop=True), expected_filings)
    pd.testing.assert_frame_equal(lines, _sorted(expected_lines))  # each filing's lines in document order
    assert lines.attrs["quarantined"] == [] and filings.attrs["quarantined"] == []
    assert "0001104659-24-000001" not in set(filings["accession_number"])  # a notice holds nothing
    assert len(lines) == 14 + 77 + 14
    built = lines[lines["accession_number"] == PRE_2023[0]].reset_index(drop=True)
    real = lines[lines["accession_number"] == LTS_ONE_ID[0]].reset_index(drop=True)
    pd.testing.assert_series_equal(
        built["value_usd"], real["value_usd"]
    )  # thousands before 2023, dollars after


def test_the_cusip_filter_keeps_only_those_lines(dataset, tmp_path):
    universe = {"023135106", "594918104", "67066g104 "}  # Amazon, Microsoft, NVIDIA (spelled loosely)
    filings, lines = form13f.read_dataset(dataset, cusips=universe)
    all_filings, all_lines = form13f.read_dataset(dataset)
    pd.testing.assert_frame_equal(filings, all_filings)  # every filing stays: holding none is information
    expected = all_lines[all_lines["cusip"].isin({"023135106", "594918104", "67066G104"})].reset_index(
        drop=True
    )
    pd.testing.assert_frame_equal(lines, expected)
    assert sorted(zip(lines["accession_number"], lines["cusip"], strict=True)) == [
        ("0001894188-22-999007", "023135106"),
        ("0001894188-22-999007", "594918104"),
        ("0001894188-23-000007", "023135106"),
        ("0001894188-23-000007", "594918104"),
        ("0001951757-25-000093", "023135106"),
        ("0001951757-25-000093", "594918104"),
        ("0001951757-25-000093", "67066G104"),
    ]
    assert form13f.read_dataset(dataset, cusips=set())[1].empty
    # A folder of the .tsv files reads the same as the ZIP.
    with zipfile.ZipFile(dataset) as archive:
        archive.extractall(tmp_path)
    folder_filings, folder_lines = form13f.read_dataset(tmp_path, cusips=universe)
    pd.testing.assert_frame_equal(folder_lines, lines)
    pd.testing.assert_frame_equal(folder_filings, filings)


def test_data_set_text_quoting_and_malformed_lines(tmp_path):
    """Built on LTS One's rows: the SEC quotes a cell that holds a quote CSV style (seen in its Form 345
    files); a quote inside an unquoted cell is text; a line with a cell too many is quarantined alone; a
    COVERPAGE cell may span lines (MetLife's real ADDITIONALINFORMATION has blank lines)."""
    part = _dataset_rows(LTS_ONE.read_bytes(), LTS_ONE_ID[0], LTS_ONE_ID[1])
    info = part["INFOTABLE"]
    info[0]["NAMEOFISSUER"] = '"AMAZON ""COM"" INC"'
    info[1]["NAMEOFISSUER"] = 'COSTAR "GROUP INC'
    info[2]["TITLEOFCLASS"] = "COM\textra"
    metlife = ET.fromstring(METLIFE.read_bytes()).findtext(
        ".//{http://www.sec.gov/edgar/thirteenffiler}additionalInformation"
    )
    assert "\n\n" in metlife
    part["COVERPAGE"][0]["ADDITIONALINFORMATION"] = '"' + metlife.replace('"', '""') + '"'
    filings, lines = form13f.read_dataset(_write_dataset(tmp_path / "quoted.zip", [part]))
    assert filings["filer_name"].tolist() == ["LTS One Management LP"]
    assert len(lines) == 13
    assert _line(lines, "023135106")["issuer_name"] == 'AMAZON "COM" INC'
    assert _line(lines, "22160N109")["issuer_name"] == 'COSTAR "GROUP INC'
    assert "126408103" not in set(lines["cusip"])  # CSX, the malformed line
    (entry,) = lines.attrs["quarantined"]
    assert "wrong number of cells" in entry["reason"] and "126408103" in entry["record"]
    # Out of the universe, a malformed line is not in scope and not reported.
    assert form13f.read_dataset(tmp_path / "quoted.zip", cusips={"023135106"})[1].attrs["quarantined"] == []


def test_data_set_records_without_a_public_date_are_quarantined(tmp_path):
    part = _dataset_rows(LTS_ONE.read_bytes(), LTS_ONE_ID[0], "2023-11-14")  # not DD-MON-YYYY
    orphan = dict(part["INFOTABLE"][0], ACCESSION_NUMBER="0009999999-23-000001")
    filings, lines = form13f.read_dataset(
        _write_dataset(tmp_path / "undated.zip", [part], {"INFOTABLE": [orphan]})
    )
    assert filings.empty and lines.empty
    (bad_filing,) = filings.attrs["quarantined"]
    assert bad_filing["reason"].startswith("FILING_DATE '2023-11-14' is not DD-MON-YYYY")
    reasons = [q["reason"] for q in lines.attrs["quarantined"]]
    assert len(reasons) == 15
    assert reasons.count("accession 0009999999-23-000001 is not in SUBMISSION") == 1
    assert all(
        r.startswith("its filing is quarantined: FILING_DATE") for r in reasons if "0009999999" not in r
    )


def test_damaged_or_incomplete_data_sets_raise_one_clear_error(dataset, tmp_path):
    truncated = tmp_path / "2024q4_form13f.zip"
    truncated.write_bytes(dataset.read_bytes()[:-200])
    with pytest.raises(form13f.Form13FError, match=r"2024q4_form13f\.zip is not a readable ZIP"):
        form13f.read_dataset(truncated)
    with pytest.raises(form13f.Form13FError, match="does not exist"):
        form13f.read_dataset(tmp_path / "missing.zip")

    def rewrite(name: str, change) -> Path:
        out = tmp_path / name
        with zipfile.ZipFile(dataset) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for member in source.namelist():
                data = change(member, source.read(member))
                if data is not None:
                    target.writestr(member, data)
        return out

    without = rewrite("no_infotable.zip", lambda m, d: None if m == "INFOTABLE.tsv" else d)
    with pytest.raises(form13f.Form13FError, match=r"no_infotable\.zip has no INFOTABLE\.tsv"):
        form13f.read_dataset(without)
    renamed = rewrite(
        "renamed.zip", lambda m, d: d.replace(b"CUSIP", b"CUSIP_NO", 1) if m == "INFOTABLE.tsv" else d
    )
    with pytest.raises(form13f.Form13FError, match=r"member INFOTABLE\.tsv has no column CUSIP"):
        form13f.read_dataset(renamed)

    # A member whose compressed bytes are damaged: the CRC check fails while streaming it.
    raw = bytearray(dataset.read_bytes())
    with zipfile.ZipFile(dataset) as archive:
        info = archive.getinfo("INFOTABLE.tsv")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    middle = start + info.compress_size // 2
    raw[middle : middle + 8] = bytes(b ^ 0xFF for b in raw[middle : middle + 8])
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(bytes(raw))
    with pytest.raises(form13f.Form13FError, match=r"damaged\.zip: member INFOTABLE\.tsv could not be read"):
        form13f.read_dataset(damaged, cusips={"023135106"})


def test_the_cusip_values_of_a_data_set_are_its_share_lines_in_dollars(dataset):
    filings, lines = form13f.read_dataset(dataset)
    values = form13f.dataset_cusip_values(dataset)
    shares = lines[(lines["shares_type"] == "SH") & lines["put_call"].isna()].merge(
        filings[["accession_number", "period_of_report"]], on="accession_number"
    )
    expected = shares.groupby(["period_of_report", "cusip"])["value_usd"].sum()
    got = values.set_index(["report_date", "cusip"])["value_usd"]
    got.index = got.index.set_names(["period_of_report", "cusip"])
    pd.testing.assert_series_equal(got.sort_index(), expected.sort_index(), check_names=False)
    assert values["value_usd"].sum() > 1e8  # dollars, the pre-2023 filing scaled from thousands
