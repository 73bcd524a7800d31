"""EDGAR's daily form index (``form.<yyyymmdd>.idx``): every filing disseminated that day, one line per filer.

The sec source reads it to find the 13F-HR filings of the days after the newest Form 13F data set (no
filer list is needed: the index names every manager). Lines are fixed-width columns (form type, company
name, CIK, date filed as YYYYMMDD, file name ``edgar/data/<cik>/<accession>.txt``); form types may hold a
space (``SC 13G``), so the line is read from its right end.
"""

import re

import pandas as pd

INDEX_COLUMNS = ("form_type", "company_name", "cik", "date_filed", "accession_number")
_LINE = re.compile(
    r"^(?P<form>\S+(?: \S+)*?)\s{2,}(?P<name>.*?)\s{2,}(?P<cik>\d{1,10})\s+(?P<date>\d{8}|\d{4}-\d{2}-\d{2})"
    r"\s+edgar/data/\d+/(?P<accession>\d{10}-\d{2}-\d{6})\.txt\s*$"
)


def parse_form_index(text: str, forms: tuple[str, ...] | None = None) -> pd.DataFrame:
    """The filings of a daily form index (only ``forms`` when given), one row per (filing, filer) line:
    form_type, company_name, cik (10 digits), date_filed, accession_number. Header and separator lines are
    skipped; a line that matches no filing is skipped too (EDGAR's indexes carry none)."""
    rows = []
    for line in text.splitlines():
        match = _LINE.match(line)
        if not match or (forms is not None and match["form"] not in forms):
            continue
        rows.append(
            (
                match["form"],
                match["name"].strip(),
                f"{int(match['cik']):010d}",
                pd.Timestamp(match["date"]),
                match["accession"],
            )
        )
    return pd.DataFrame(rows, columns=list(INDEX_COLUMNS))
