"""A small, independent writer of Insider Transactions Data Set rows from ownership XML, following the SEC's
``FORM_345_readme.htm`` column definitions (and the real 2024 Q3 ``DERIV_TRANS.tsv`` header).

It shares no code with ``smart_money.sources.sec`` on purpose: the bulk-vs-per-filing test feeds its TSVs
to the data set reader and compares the rows with the XML parser's, so a bug in either path shows. The
filing date and accession number come from INDEX.csv (what EDGAR knows), not from any header parser.

Conventions of the real files: dates ``DD-MON-YYYY``; numbers with two decimals at most and at least one
(``250000.0``, ``19.82``); booleans as filed; empty cells for absent values; ``*_FN`` columns hold the
footnote ids.
"""

import io
import re
import xml.etree.ElementTree as ET
import zipfile
from decimal import ROUND_HALF_UP, Decimal

from smart_money_tests.sources.sec import realdata

MONTHS = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split()


def _date(text: str | None) -> str:
    if not text:
        return ""
    y, m, d = text.strip()[:10].split("-")
    return f"{d}-{MONTHS[int(m) - 1]}-{y}"


def _num(text: str | None) -> str:
    if text is None or not text.strip():
        return ""
    s = f"{Decimal(text.strip()).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):f}".rstrip("0")
    return s + "0" if s.endswith(".") else s


def _find(el, path):
    return None if el is None else el.find(path)


def _val(el, path=None) -> str | None:
    node = el if path is None else _find(el, path)
    if node is None:
        return None
    v = node.find("value")
    text = v.text if v is not None else (node.text if len(node) == 0 else None)
    return text.strip() if text and text.strip() else None


def _fn(el, path) -> str:
    node = _find(el, path)
    return "" if node is None else ",".join(f.get("id") for f in node.findall("footnoteId"))


def _text(el, path) -> str:
    node = _find(el, path)
    return (node.text or "").strip() if node is not None else ""


def _pair(row: dict, column: str, el, path, kind="text"):
    value = _val(el, path)
    row[column] = {"date": _date, "num": _num}.get(kind, lambda v: v or "")(value)
    row[column + "_FN"] = _fn(el, path)


def filing_tables(entries, aff10b5one_column: bool = False) -> dict[str, list[dict]]:
    """TSV rows (dicts) of SUBMISSION, REPORTINGOWNER, NONDERIV_TRANS and DERIV_TRANS for INDEX entries."""
    out = {"SUBMISSION": [], "REPORTINGOWNER": [], "NONDERIV_TRANS": [], "DERIV_TRANS": []}
    sk = 1000
    for e in entries:
        raw = realdata.form4_bytes(e["file"])
        root = ET.fromstring(re.search(rb"<ownershipDocument>.*?</ownershipDocument>", raw, re.S).group(0))
        acc = e["accession"]
        sub = {
            "ACCESSION_NUMBER": acc,
            "FILING_DATE": _date(e["filing_date"]),
            "PERIOD_OF_REPORT": _date(_text(root, "periodOfReport")),
            "DATE_OF_ORIG_SUB": _date(_text(root, "dateOfOriginalSubmission")),
            "NO_SECURITIES_OWNED": _text(root, "noSecuritiesOwned"),
            "NOT_SUBJECT_SEC16": _text(root, "notSubjectToSection16"),
            "FORM3_HOLDINGS_REPORTED": _text(root, "form3HoldingsReported"),
            "FORM4_TRANS_REPORTED": _text(root, "form4TransactionsReported"),
            "DOCUMENT_TYPE": _text(root, "documentType"),
            "ISSUERCIK": _text(root, "issuer/issuerCik"),
            "ISSUERNAME": _text(root, "issuer/issuerName"),
            "ISSUERTRADINGSYMBOL": _text(root, "issuer/issuerTradingSymbol"),
            "REMARKS": _text(root, "remarks"),
        }
        if aff10b5one_column:
            sub["AFF10B5ONE"] = _text(root, "aff10b5One")
        out["SUBMISSION"].append(sub)
        for owner in root.findall("reportingOwner"):
            rel = owner.find("reportingOwnerRelationship")
            flags = [
                name
                for tag, name in (
                    ("isDirector", "Director"),
                    ("isOfficer", "Officer"),
                    ("isTenPercentOwner", "TenPercentOwner"),
                    ("isOther", "Other"),
                )
                if _text(rel, tag).lower() in ("1", "true")
            ]
            out["REPORTINGOWNER"].append(
                {
                    "ACCESSION_NUMBER": acc,
                    "RPTOWNERCIK": _text(owner, "reportingOwnerId/rptOwnerCik"),
                    "RPTOWNERNAME": _text(owner, "reportingOwnerId/rptOwnerName"),
                    "RPTOWNER_RELATIONSHIP": ",".join(flags),
                    "RPTOWNER_TITLE": _text(rel, "officerTitle"),
                    "RPTOWNER_TXT": _text(rel, "otherText"),
                    "RPTOWNER_STREET1": _text(owner, "reportingOwnerAddress/rptOwnerStreet1"),
                    "RPTOWNER_STREET2": _text(owner, "reportingOwnerAddress/rptOwnerStreet2"),
                    "RPTOWNER_CITY": _text(owner, "reportingOwnerAddress/rptOwnerCity"),
                    "RPTOWNER_STATE": _text(owner, "reportingOwnerAddress/rptOwnerState"),
                    "RPTOWNER_ZIPCODE": _text(owner, "reportingOwnerAddress/rptOwnerZipCode"),
                    "RPTOWNER_STATE_DESC": _text(owner, "reportingOwnerAddress/rptOwnerStateDescription"),
                    "FILE_NUMBER": "",
                }
            )
        for table, tag in (
            ("NONDERIV_TRANS", "nonDerivativeTable/nonDerivativeTransaction"),
            ("DERIV_TRANS", "derivativeTable/derivativeTransaction"),
        ):
            for t in root.findall(tag):
                sk += 1
                row = {"ACCESSION_NUMBER": acc, f"{table}_SK": str(sk)}
                _pair(row, "SECURITY_TITLE", t, "securityTitle")
                if table == "DERIV_TRANS":
                    _pair(row, "CONV_EXERCISE_PRICE", t, "conversionOrExercisePrice", "num")
                _pair(row, "TRANS_DATE", t, "transactionDate", "date")
                _pair(row, "DEEMED_EXECUTION_DATE", t, "deemedExecutionDate", "date")
                row["TRANS_FORM_TYPE"] = _text(t, "transactionCoding/transactionFormType")
                row["TRANS_CODE"] = _text(t, "transactionCoding/transactionCode")
                row["EQUITY_SWAP_INVOLVED"] = _text(t, "transactionCoding/equitySwapInvolved")
                row["EQUITY_SWAP_TRANS_CD_FN"] = _fn(t, "transactionCoding")
                _pair(row, "TRANS_TIMELINESS", t, "transactionTimeliness")
                _pair(row, "TRANS_SHARES", t, "transactionAmounts/transactionShares", "num")
                if table == "DERIV_TRANS":
                    _pair(row, "TRANS_TOTAL_VALUE", t, "transactionAmounts/transactionTotalValue", "num")
                _pair(row, "TRANS_PRICEPERSHARE", t, "transactionAmounts/transactionPricePerShare", "num")
                _pair(row, "TRANS_ACQUIRED_DISP_CD", t, "transactionAmounts/transactionAcquiredDisposedCode")
                if table == "DERIV_TRANS":
                    _pair(row, "EXCERCISE_DATE", t, "exerciseDate", "date")
                    _pair(row, "EXPIRATION_DATE", t, "expirationDate", "date")
                    _pair(row, "UNDLYNG_SEC_TITLE", t, "underlyingSecurity/underlyingSecurityTitle")
                    _pair(row, "UNDLYNG_SEC_SHARES", t, "underlyingSecurity/underlyingSecurityShares", "num")
                    _pair(row, "UNDLYNG_SEC_VALUE", t, "underlyingSecurity/underlyingSecurityValue", "num")
                _pair(
                    row,
                    "SHRS_OWND_FOLWNG_TRANS",
                    t,
                    "postTransactionAmounts/sharesOwnedFollowingTransaction",
                    "num",
                )
                _pair(
                    row,
                    "VALU_OWND_FOLWNG_TRANS",
                    t,
                    "postTransactionAmounts/valueOwnedFollowingTransaction",
                    "num",
                )
                _pair(row, "DIRECT_INDIRECT_OWNERSHIP", t, "ownershipNature/directOrIndirectOwnership")
                _pair(row, "NATURE_OF_OWNERSHIP", t, "ownershipNature/natureOfOwnership")
                out[table].append(row)
    return out


def columns(table: str, rows: list[dict]) -> list[str]:
    """The real file's column order: DERIV_TRANS from the shared 2024 Q3 header, the others from the
    SEC's FORM_345_metadata.json; extra columns (AFF10B5ONE) appended."""
    if table == "DERIV_TRANS":
        header = (
            realdata.dataset_table_bytes("DERIV_TRANS.tsv").split(b"\n", 1)[0].decode().strip().split("\t")
        )
    elif table == "SUBMISSION":
        header = (
            realdata.dataset_table_bytes("SUBMISSION.tsv").split(b"\n", 1)[0].decode().strip().split("\t")
        )
    else:
        header = realdata.metadata_columns(table)
    extra = [c for r in rows for c in r if c not in header]
    return header + list(dict.fromkeys(extra))


def _cell(value: str) -> str:
    return re.sub(r"[\t\r\n]+", " ", value)


def archive(entries, aff10b5one_column: bool = False) -> bytes:
    """A ZIP in the SEC's layout (one ``<TABLE>.tsv`` per table) for the INDEX entries."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for table, rows in filing_tables(entries, aff10b5one_column).items():
            cols = columns(table, rows)
            lines = ["\t".join(cols)] + ["\t".join(_cell(r.get(c, "")) for c in cols) for r in rows]
            z.writestr(f"{table}.tsv", "\n".join(lines) + "\n")
    return buffer.getvalue()
