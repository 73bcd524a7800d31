"""Loaders for the real SEC records copied into ``smart_money_tests/fixtures/sec`` (see PROVENANCE.md there).

Nothing here reads ``../shared``: the fixtures are the repo's copies, so the tests run anywhere.
"""

import csv
import io
import json
import lzma
import zipfile
from functools import cache
from pathlib import Path

from smart_money.sources.sec import companies, ownership
from smart_money.testing.edgar_server import FilingsWorld

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sec"
FORM4_ZIP = FIXTURES / "form4_xml.zip"
SEC_API = FIXTURES / "sec_api"
SUBMISSIONS_JSON = FIXTURES / "sec_submissions_json"
DATASET_2024Q3 = FIXTURES / "insider_datasets_tsv" / "2024q3_form345"
COMPANY_FACTS = FIXTURES / "xbrl" / "companyfacts_CIK0002012383_shares_only.json"

AAPL_SALE = "edgartools/cassette__0000320193-22-000061.txt"
SOFTBANK = "syeo1_secform4project/softbank_derivative_acquisition.xml"
LNKD_FOOTNOTES = "datamule_paypal/000118143111033001/rrd313108.xml"

# The universe a caller would pass: issuer CIK → symbol. Taken from the SEC's company_tickers.json where
# the (truncated) copy lists the issuer (MSFT, AAPL, META: Facebook's CIK, so its "FB" filings land on META),
# and written out for the issuers it does not list (LinkedIn was delisted in 2016; the others are beyond
# the copy's first 247 rows).
EXTRA_UNIVERSE = {
    "0001271024": "LNKD",
    "0001345016": "YELP",
    "0001441816": "MDB",
    "0000001750": "AIR",
    "0000007536": "ARW",
    "0000867773": "SPWR",
    "0000933972": "SCWO",
    "0001158463": "JBLU",
    "0001327811": "WDAY",
    "0001387467": "AOSL",
    "0001617553": "ZIP",
    "0001640147": "SNOW",
    "0001835856": "BETR",
    "0001860782": "TSVT",
    "0001883685": "DKNG",
}


@cache
def _zip() -> zipfile.ZipFile:
    return zipfile.ZipFile(FORM4_ZIP)


def form4_bytes(relative: str) -> bytes:
    """A file of ``form4_xml/`` (path relative to it, as INDEX.csv gives it)."""
    return _zip().read(f"form4_xml/{relative}")


@cache
def index() -> tuple[dict, ...]:
    """INDEX.csv rows: one per document, with the expected counts read from the documents."""
    text = form4_bytes("INDEX.csv").decode("utf-8")
    return tuple(csv.DictReader(io.StringIO(text)))


def entry(relative: str) -> dict:
    return next(e for e in index() if e["file"] == relative)


def header(relative: str) -> ownership.SecHeader:
    """The SEC header of a shared document: its metadata.json if it has one, else the header in the file."""
    folder = relative.rsplit("/", 1)[0]
    meta = f"form4_xml/{folder}/metadata.json"
    if meta in _zip().namelist():
        return ownership.header_from_metadata(_zip().read(meta))
    return ownership.parse_header(form4_bytes(relative))


@cache
def tickers():
    return companies.company_tickers((SEC_API / "company_tickers_TRUNCATED_first247.json").read_bytes())


@cache
def universe() -> dict[str, str]:
    """CIK → symbol for every issuer in the shared filings."""
    mapping, _ = companies.cik_symbol_map(tickers(), ["MSFT", "AAPL", "META"])
    return {**mapping, **EXTRA_UNIVERSE}


def document_rows(relative: str, cik_to_symbol=None):
    """(rows, quarantined) of one shared document with its own header's filing date."""
    return ownership.submission_rows(
        form4_bytes(relative), universe() if cik_to_symbol is None else cik_to_symbol, header=header(relative)
    )


def sec_api_documents() -> dict[str, bytes]:
    """The five AAPL Form 4 XMLs (2024) by accession number (from their file names)."""
    out = {}
    for path in sorted(SEC_API.glob("form4_AAPL_*.xml")):
        digits = path.name.split("_")[2]
        out[f"{digits[:10]}-{digits[10:12]}-{digits[12:]}"] = path.read_bytes()
    return out


def submissions_json(name: str) -> bytes:
    return (SUBMISSIONS_JSON / name).read_bytes()


def dataset_table_bytes(name: str) -> bytes:
    """A verbatim 2024 Q3 data set file (``SUBMISSION.tsv``, ``DERIV_TRANS.tsv``), stored xz-compressed."""
    return lzma.decompress((DATASET_2024Q3 / f"{name}.xz").read_bytes())


def dataset_zip(path: Path, names=("SUBMISSION.tsv", "DERIV_TRANS.tsv")) -> Path:
    """The shared 2024 Q3 files as a ZIP laid out like the SEC's quarterly archive."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            archive.writestr(name, dataset_table_bytes(name))
        archive.writestr("FORM_345_metadata.json", (DATASET_2024Q3 / "FORM_345_metadata.json").read_bytes())
    return path


def metadata_columns(table: str) -> list[str]:
    meta = json.loads((DATASET_2024Q3 / "FORM_345_metadata.json").read_text())
    spec = next(t for t in meta["tables"] if t["url"] == f"{table}.tsv")
    return [c["name"] for c in spec["tableSchema"]["columns"]]


def edgar_world(folder: Path) -> FilingsWorld:
    """The shared documents as the local EDGAR stand-in serves them: unpacked into ``folder`` and read by its
    own header and XML parsing (nothing of ``smart_money.sources.sec``), the way EDGAR knows them."""
    with zipfile.ZipFile(FORM4_ZIP) as archive:
        archive.extractall(folder)
    return FilingsWorld(Path(folder) / "form4_xml")
