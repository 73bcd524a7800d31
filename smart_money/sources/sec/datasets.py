"""The bulk path: the SEC's quarterly Insider Transactions Data Set (``<year>q<n>_form345.zip``, a ZIP of
tab-separated UTF-8 files) → ``raw_insider_trades`` rows through :mod:`.normalize` (contract there).

Layout, from the SEC's ``FORM_345_readme.htm`` and ``FORM_345_metadata.json`` (copied in the test fixtures):

* ``SUBMISSION`` one row per filing: ``ACCESSION_NUMBER``, ``FILING_DATE`` (the public date),
  ``PERIOD_OF_REPORT``, ``DATE_OF_ORIG_SUB`` (amendments), ``DOCUMENT_TYPE`` (3, 3/A, 4, 4/A, 5, 5/A),
  ``ISSUERCIK``, ``ISSUERNAME``, ``ISSUERTRADINGSYMBOL`` (free text, never used as the symbol), ``REMARKS``;
  newer sets may add ``AFF10B5ONE``, read when present (null otherwise).
* ``REPORTINGOWNER`` one row per (accession, owner): ``RPTOWNERCIK``, ``RPTOWNERNAME``,
  ``RPTOWNER_RELATIONSHIP`` (Director, Officer, TenPercentOwner, Other; several comma-separated),
  ``RPTOWNER_TITLE`` (the officer title), ``RPTOWNER_TXT``. The file has no order column: the first row
  of an accession, in file order, is taken as the first owner.
* ``NONDERIV_TRANS`` / ``DERIV_TRANS`` one row per Table I / Table II transaction, keyed by a surrogate
  ``*_SK``; the rows of an accession are taken in ``SK`` order (the document's order). Each value column
  has an ``_FN`` column with its footnote ids.
* ``NONDERIV_HOLDING``, ``DERIV_HOLDING`` (holdings: not transactions), ``FOOTNOTES``, ``OWNER_SIGNATURE``
  are not read.

Dates are ``DD-MON-YYYY`` and are kept as filed: a year typed 2026 for 2024 parses as 2026 and the row is
then quarantined by the rule "transaction date after the filing date" (three such rows in 2024 Q3's
``DERIV_TRANS``). Numbers are stored with 2 decimals (``NUMBER(16,2)``), the precision the XML path rounds
to. Every cell is read as text (``quoting`` off: remarks contain quotes), so nothing is lost on the way.

Only filings whose issuer CIK is in the caller's CIK → symbol map are normalized; the data set lists every
issuer at once, and choosing the universe is not dropping data.

Writing a data set (from ownership XML, as the SEC does) is the local EDGAR stand-in's job:
:func:`smart_money.testing.edgar_server.dataset_zip`.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from smart_money.sources.sec import normalize
from smart_money.sources.sec.normalize import Amount, Filing, Owner, Transaction

TABLES = (
    "SUBMISSION",
    "REPORTINGOWNER",
    "NONDERIV_TRANS",
    "NONDERIV_HOLDING",
    "DERIV_TRANS",
    "DERIV_HOLDING",
    "FOOTNOTES",
    "OWNER_SIGNATURE",
)
# The tables the rows are built from.
ROW_TABLES = ("SUBMISSION", "REPORTINGOWNER", "NONDERIV_TRANS", "DERIV_TRANS")

_REQUIRED = {
    "SUBMISSION": ("ACCESSION_NUMBER", "FILING_DATE", "DOCUMENT_TYPE", "ISSUERCIK"),
    "REPORTINGOWNER": ("ACCESSION_NUMBER", "RPTOWNERCIK"),
    "NONDERIV_TRANS": ("ACCESSION_NUMBER", "NONDERIV_TRANS_SK", "TRANS_DATE", "TRANS_CODE"),
    "DERIV_TRANS": ("ACCESSION_NUMBER", "DERIV_TRANS_SK", "TRANS_DATE", "TRANS_CODE"),
}


class DatasetError(ValueError):
    """The archive or one of its files is unusable (the message names the file and the fix)."""


Source = str | Path | bytes | zipfile.ZipFile


# ---- reading -----------------------------------------------------------------------------------------------
def _members(source: Source) -> tuple[dict[str, object], str]:
    """name (``SUBMISSION``) → a way to open it, and a label for messages."""
    if isinstance(source, zipfile.ZipFile):
        return {
            Path(n).stem.upper(): (source, n) for n in source.namelist() if n.lower().endswith(".tsv")
        }, str(source.filename or "archive")
    if isinstance(source, bytes):
        try:
            archive = zipfile.ZipFile(io.BytesIO(source))
        except zipfile.BadZipFile as error:
            raise DatasetError(f"data set bytes are not a ZIP archive ({error}); download it again") from None
        return _members(archive)
    path = Path(source)
    if path.is_dir():
        return {p.stem.upper(): p for p in path.glob("*.tsv")}, str(path)
    if not path.exists():
        raise DatasetError(
            f"data set {path} does not exist; give the quarter's ZIP or a folder of its .tsv files"
        )
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as error:
        raise DatasetError(
            f"data set {path} is not a ZIP archive ({error}); delete it and download it again"
        ) from None
    members, _ = _members(archive)
    return members, str(path)


def verify_archive(source: Source) -> list[str]:
    """Check a downloaded data set: a readable ZIP (every member's CRC) holding the row tables. Returns the
    table names found; raises :class:`DatasetError` naming the problem."""
    members, label = _members(source)
    for handle in members.values():
        if isinstance(handle, tuple):
            archive, member = handle
            try:
                with archive.open(member) as f:
                    while f.read(1 << 20):
                        pass
            except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as error:
                raise DatasetError(
                    f"data set {label}: member {member} is corrupt ({error}); download it again"
                ) from None
    missing = [t for t in ROW_TABLES if t not in members]
    if missing:
        raise DatasetError(
            f"data set {label} has no {', '.join(t + '.tsv' for t in missing)}; "
            "it is not an Insider Transactions Data Set (form345) archive"
        )
    return sorted(members)


def read_table(source: Source, name: str) -> pd.DataFrame:
    """One table of the data set as text columns ('' for empty cells), in file order."""
    members, label = _members(source)
    key = name.upper().removesuffix(".TSV")
    if key not in members:
        raise DatasetError(
            f"data set {label} has no {key}.tsv (it has {', '.join(sorted(members)) or 'none'})"
        )
    handle = members[key]
    if isinstance(handle, tuple):
        archive, member = handle
        try:
            raw = archive.read(member)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as error:
            raise DatasetError(
                f"data set {label}: member {member} is corrupt ({error}); download it again"
            ) from None
    else:
        raw = Path(handle).read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DatasetError(f"data set {label}: {key}.tsv is not UTF-8 ({error})") from None
    frame = pd.read_csv(
        io.StringIO(text),
        sep="\t",
        dtype=str,
        keep_default_na=False,
        quoting=csv.QUOTE_NONE,
        engine="c",
    )
    missing = [c for c in _REQUIRED.get(key, ()) if c not in frame.columns]
    if missing:
        raise DatasetError(
            f"data set {label}: {key}.tsv has no column {', '.join(missing)} (the readme's names)"
        )
    return frame


def read_tables(source: Source, names: Iterable[str] = ROW_TABLES) -> dict[str, pd.DataFrame]:
    """The named tables that the data set has (a table it lacks is left out)."""
    members, _ = _members(source)
    return {n: read_table(source, n) for n in names if n in members}


def submissions(table: pd.DataFrame) -> pd.DataFrame:
    """``SUBMISSION`` with typed columns: dates as timestamps (NaT for empty or unparseable), the issuer
    CIK 10 digits, ``is_amendment``. Every row is kept."""

    def dates(column: str) -> pd.Series:
        if column not in table:
            return pd.Series(pd.NaT, index=table.index, dtype="datetime64[ms]")
        return pd.Series([_safe_date(v) for v in table[column]], index=table.index, dtype="datetime64[ms]")

    return pd.DataFrame(
        {
            "accession_number": table["ACCESSION_NUMBER"].str.strip(),
            "filing_date": dates("FILING_DATE"),
            "period_of_report": dates("PERIOD_OF_REPORT"),
            "date_of_original_submission": dates("DATE_OF_ORIG_SUB"),
            "document_type": table["DOCUMENT_TYPE"].str.strip(),
            "is_amendment": table["DOCUMENT_TYPE"].str.strip().str.endswith("/A"),
            "issuer_cik": table["ISSUERCIK"].str.strip().str.zfill(10),
            "issuer_name": table.get("ISSUERNAME", pd.Series("", index=table.index)),
            "aff10b5one": [
                normalize.parse_flag(v) for v in table.get("AFF10B5ONE", pd.Series(None, index=table.index))
            ],
        }
    )


def _safe_date(value):
    try:
        day = normalize.parse_date(value)
    except normalize.Rejected:
        return pd.NaT
    return pd.NaT if day is None else pd.Timestamp(day)


# ---- records -----------------------------------------------------------------------------------------------
def _cell(row: Mapping, column: str) -> str | None:
    value = row.get(column)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _notes(row: Mapping, column: str) -> tuple[str, ...]:
    text = _cell(row, column) or ""
    return tuple(n for n in re.split(r"[\s,;]+", text) if n)


def _amount(row: Mapping, column: str) -> Amount:
    return Amount(_cell(row, column), _notes(row, column + "_FN"))


_RELATION = {"director": "d", "officer": "o", "tenpercentowner": "t", "10percentowner": "t", "other": "x"}


def _owner(row: Mapping) -> Owner:
    tokens = {
        _RELATION.get(re.sub(r"[^a-z0-9]", "", t.lower()))
        for t in re.split(r"[,;]", row.get("RPTOWNER_RELATIONSHIP") or "")
    }
    return Owner(
        cik=_cell(row, "RPTOWNERCIK") or "",
        name=_cell(row, "RPTOWNERNAME") or "",
        is_director="d" in tokens,
        is_officer="o" in tokens,
        is_ten_percent_owner="t" in tokens,
        is_other="x" in tokens,
        officer_title=_cell(row, "RPTOWNER_TITLE") or "",
        other_text=_cell(row, "RPTOWNER_TXT") or "",
    )


def _transaction(row: Mapping, is_derivative: bool, index: int) -> Transaction:
    return Transaction(
        is_derivative=is_derivative,
        index=index,
        security_title=_cell(row, "SECURITY_TITLE"),
        transaction_date=_amount(row, "TRANS_DATE"),
        transaction_code=_cell(row, "TRANS_CODE"),
        acquired_disposed=_amount(row, "TRANS_ACQUIRED_DISP_CD"),
        shares=_amount(row, "TRANS_SHARES"),
        total_value=_amount(row, "TRANS_TOTAL_VALUE") if is_derivative else Amount(),
        price=_amount(row, "TRANS_PRICEPERSHARE"),
        shares_owned_after=_amount(row, "SHRS_OWND_FOLWNG_TRANS"),
        value_owned_after=_amount(row, "VALU_OWND_FOLWNG_TRANS"),
        direct_or_indirect=_cell(row, "DIRECT_INDIRECT_OWNERSHIP"),
    )


def _sk(value) -> tuple[int, str]:
    text = str(value or "").strip()
    return (int(text), text) if text.isdigit() else (10**30, text)


def _records(table: pd.DataFrame, columns: Iterable[str]) -> list[dict]:
    """The rows of ``table`` as dicts of the given columns ('' for a column the file lacks); much faster
    than ``DataFrame.to_dict`` on Arrow-backed text columns."""
    names = list(dict.fromkeys(columns))
    values = [table[c].tolist() if c in table.columns else [""] * len(table) for c in names]
    return [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]


_TRANSACTION_FIELDS = (
    "ACCESSION_NUMBER",
    "SECURITY_TITLE",
    "TRANS_CODE",
    "DIRECT_INDIRECT_OWNERSHIP",
    *(
        f"{c}{suffix}"
        for c in (
            "TRANS_DATE",
            "TRANS_ACQUIRED_DISP_CD",
            "TRANS_SHARES",
            "TRANS_TOTAL_VALUE",
            "TRANS_PRICEPERSHARE",
            "SHRS_OWND_FOLWNG_TRANS",
            "VALU_OWND_FOLWNG_TRANS",
        )
        for suffix in ("", "_FN")
    ),
)


def _grouped_transactions(
    table: pd.DataFrame | None, is_derivative: bool, accessions: set[str] | None = None
) -> dict[str, list[Transaction]]:
    """accession → its transactions in SK order; only ``accessions`` when given."""
    if table is None or table.empty:
        return {}
    sk = "DERIV_TRANS_SK" if is_derivative else "NONDERIV_TRANS_SK"
    by_accession: dict[str, list[dict]] = defaultdict(list)
    for row in _records(table, (*_TRANSACTION_FIELDS, sk)):
        accession = str(row["ACCESSION_NUMBER"]).strip()
        if accessions is None or accession in accessions:
            by_accession[accession].append(row)
    return {
        accession: [
            _transaction(row, is_derivative, i)
            for i, row in enumerate(sorted(rows, key=lambda r: _sk(r[sk])))
        ]
        for accession, rows in by_accession.items()
    }


_SUBMISSION_FIELDS = (
    "ACCESSION_NUMBER",
    "ISSUERCIK",
    "DOCUMENT_TYPE",
    "FILING_DATE",
    "PERIOD_OF_REPORT",
    "DATE_OF_ORIG_SUB",
    "AFF10B5ONE",
    "REMARKS",
)
_OWNER_FIELDS = (
    "ACCESSION_NUMBER",
    "RPTOWNERCIK",
    "RPTOWNERNAME",
    "RPTOWNER_RELATIONSHIP",
    "RPTOWNER_TITLE",
    "RPTOWNER_TXT",
)


def filings(
    tables: Mapping[str, pd.DataFrame], issuers: Iterable[str] | None = None
) -> list[tuple[Filing, list[Transaction]]]:
    """The filings of the data set as :class:`Filing` + transactions (SUBMISSION order), the same records
    the XML path produces; only those of ``issuers`` (10-digit CIKs) when given. A table missing from
    ``tables`` counts as empty (but SUBMISSION is required)."""
    if "SUBMISSION" not in tables:
        raise DatasetError("the data set tables have no SUBMISSION; read it with read_tables(source)")
    wanted = None if issuers is None else set(issuers)
    submissions_ = [
        row
        for row in _records(tables["SUBMISSION"], _SUBMISSION_FIELDS)
        if wanted is None or _issuer_key(row["ISSUERCIK"]) in wanted
    ]
    accessions = {str(row["ACCESSION_NUMBER"]).strip() for row in submissions_}
    owners: dict[str, list[Owner]] = defaultdict(list)
    if "REPORTINGOWNER" in tables:
        for row in _records(tables["REPORTINGOWNER"], _OWNER_FIELDS):
            accession = str(row["ACCESSION_NUMBER"]).strip()
            if accession in accessions:
                owners[accession].append(_owner(row))
    nonderiv = _grouped_transactions(tables.get("NONDERIV_TRANS"), False, accessions)
    deriv = _grouped_transactions(tables.get("DERIV_TRANS"), True, accessions)
    out = []
    for row in submissions_:
        accession = str(row["ACCESSION_NUMBER"]).strip()
        filing = Filing(
            accession_number=accession,
            issuer_cik=_cell(row, "ISSUERCIK"),
            form_type=_cell(row, "DOCUMENT_TYPE"),
            filing_date=_cell(row, "FILING_DATE"),
            acceptance_time=None,
            period_of_report=_cell(row, "PERIOD_OF_REPORT"),
            date_of_original_submission=_cell(row, "DATE_OF_ORIG_SUB"),
            aff10b5one=_cell(row, "AFF10B5ONE"),
            remarks=_cell(row, "REMARKS") or "",
            owners=tuple(owners.get(accession, ())),
        )
        out.append((filing, nonderiv.get(accession, []) + deriv.get(accession, [])))
    return out


def _issuer_key(value) -> str:
    """The 10-digit form of an ISSUERCIK cell; the raw text when it is not digits (normalize rejects it)."""
    text = str(value or "").strip()
    return text.zfill(10) if text.isdigit() and len(text) <= 10 else text


def dataset_rows(tables: Mapping[str, pd.DataFrame], cik_to_symbol: Mapping) -> tuple[list[dict], list[dict]]:
    """Rows of every filing whose issuer is in ``cik_to_symbol``, and the quarantined transactions.

    A filing whose ISSUERCIK is not digits is quarantined (it cannot be matched to the universe), as are
    transactions whose accession is not in SUBMISSION ("accession not in SUBMISSION"). Rows come grouped
    by filing in SUBMISSION order, each filing's rows in document order.
    """
    mapping = normalize.cik_map(cik_to_symbol)
    submission = tables.get("SUBMISSION")
    if submission is None:
        raise DatasetError("the data set tables have no SUBMISSION; read it with read_tables(source)")
    issuers = {_issuer_key(v) for v in submission["ISSUERCIK"].tolist()}
    in_scope = {i for i in issuers if i in mapping or not i.isdigit()}
    rows: list[dict] = []
    quarantined: list[dict] = []
    for filing, transactions in filings(tables, in_scope):
        if transactions:
            r, q = normalize.filing_rows(filing, transactions, mapping)
            rows += r
            quarantined += q
    known = set(submission["ACCESSION_NUMBER"].str.strip().tolist())
    for name, is_derivative in (("NONDERIV_TRANS", False), ("DERIV_TRANS", True)):
        table = tables.get(name)
        if table is None or table.empty:
            continue
        orphans = table[~table["ACCESSION_NUMBER"].str.strip().isin(known)]
        for accession, transactions in _grouped_transactions(orphans, is_derivative).items():
            orphan = Filing(accession_number=accession, issuer_cik=None, form_type=None)
            quarantined += [
                normalize.quarantine_entry(orphan, t, None, f"accession not in SUBMISSION ({name})")
                for t in transactions
            ]
    return rows, quarantined


def archive_rows(source: Source, cik_to_symbol: Mapping) -> tuple[list[dict], list[dict]]:
    """:func:`dataset_rows` of a data set ZIP (or folder), after :func:`verify_archive`."""
    verify_archive(source)
    return dataset_rows(read_tables(source), cik_to_symbol)
