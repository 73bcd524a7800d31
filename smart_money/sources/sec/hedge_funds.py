"""Which 13F filers are hedge funds: a list of filer CIKs first, a name heuristic second.

13F filings do not say what kind of manager files them (a bank, a pension fund, a hedge fund all file the
same form), yet the hedge-fund features need the distinction. The rule (:class:`HedgeFundRule`):

1. **By CIK**: a filer whose CIK is in the list is a hedge fund. The default list
   (``data/hedge_fund_filers.csv``: ``cik, name, source``) holds 30 well-known hedge-fund managers' 13F filer
   CIKs. ``SMART_MONEY_HEDGE_FUNDS=path.csv`` with the same columns replaces it (not extends it: copy the
   default rows you want to keep).
2. **Else by name**: the filer's name holds, as whole words, a fragment of
   :data:`smart_money.sources.fmp.normalize.HEDGE_FUND_NAMES` or of :data:`EXTRA_HEDGE_FUND_NAMES`
   (case-insensitive; "Man Group" matches "MAN GROUP PLC", not "HUMAN GROUP").

Limits: a filer is either flagged or not, for all its history (no dates: a manager that turned into a
family office stays flagged); the list and the names cover famous managers, so the many small hedge funds
are missed (the feature undercounts, it does not invent); a name fragment can flag a namesake that is not
a hedge fund (a bank or trust company sharing a word). :meth:`HedgeFundRule.counts` says how many filers
each rule flagged, for the build's metadata.

Where the default CIKs come from. No CIK was typed from memory: each is listed by at least two independent
public sources (read through the code search corpus; EDGAR itself was not reachable from here), named in
the ``source`` column by these labels:

- ``hedge-fund-tracker``: dokson/hedge-fund-tracker, commit 500d339 (2026-08-21),
  ``database/excluded_hedge_funds.csv`` and ``database/hedge_funds.csv`` (CIK + EDGAR filer name; the
  project downloads each fund's 13F-HR filings from EDGAR by that CIK every quarter);
- ``edgartools-check``: a tracker's CIK table annotated "verified against SEC EDGAR via edgartools"
  (2026-04-18) with the EDGAR entity name each CIK resolved to (given in brackets);
- ``filer-resolution``: a write-up of 20 managers resolved through EDGAR company search and
  ``data.sec.gov/submissions/CIK##########.json`` (retrieved 2026-08-12), with filer successions;
- ``scout-list``: a 13F scout's table "verified against SEC EDGAR full-text search 2026-05-20";
- ``crowding-study``: a 13F study's 18 hedge-fund CIKs "verified via EDGAR 2026-09-28";
- ``full-text-test`` / ``EDGAR path``: an accession number or Archives path filed under that CIK;
- ``other-lists``: further public CIK lists agreeing on the same fund.

Conflicting claims were left out (Balyasny, Davidson Kempner, an older Elliott CIK, Trian); both Two Sigma
CIKs are kept because every source places both at Two Sigma, though they disagree on which is "Investments"
and which "Advisers". Check a CIK against ``https://data.sec.gov/submissions/CIK##########.json`` (its
``name``) before adding it.
"""

import csv
import re
import threading
from collections.abc import Iterable
from pathlib import Path

from smart_money.sources.fmp.normalize import HEDGE_FUND_NAMES

DEFAULT_FILE = Path(__file__).parent / "data" / "hedge_fund_filers.csv"
HEDGE_FUNDS_ENV = "SMART_MONEY_HEDGE_FUNDS"
# Managers of the default list whose 13F names the FMP fragments do not catch.
EXTRA_HEDGE_FUND_NAMES = (
    "scion asset management",
    "dme capital management",
)
_SPACES = re.compile(r"\s+")


class HedgeFundListError(ValueError):
    """The hedge-fund filer list cannot be used (missing file or column, a bad CIK)."""


def filer_cik(value) -> str | None:
    """A CIK as an unpadded number string (``0001350694`` → ``1350694``); None if it is not a CIK."""
    text = str(value if value is not None else "").strip()
    if text.endswith(".0"):  # a CIK read as a float
        text = text[:-2]
    if not text.isdigit() or len(text) > 10 or int(text) == 0:
        return None
    return str(int(text))


def _fragment_pattern(fragments: Iterable[str]) -> re.Pattern:
    alternatives = sorted({_SPACES.sub(" ", f.strip().lower()) for f in fragments if f.strip()}, key=len)
    body = "|".join(re.escape(f) for f in reversed(alternatives))
    return re.compile(rf"(?<![a-z0-9])(?:{body})(?![a-z0-9])")


NAME_PATTERN = _fragment_pattern((*HEDGE_FUND_NAMES, *EXTRA_HEDGE_FUND_NAMES))


def name_matches(filer_name: str | None) -> bool:
    """Whether the name holds a hedge-fund fragment as whole words (rule 2 of the module docstring)."""
    if not filer_name:
        return False
    return NAME_PATTERN.search(_SPACES.sub(" ", str(filer_name).lower())) is not None


def read_hedge_fund_list(path: Path | str) -> dict[str, str]:
    """CIK → name from a ``cik, name, source`` CSV; a bad line is an error naming the file, line and value."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.reader(fh))
    except FileNotFoundError:
        raise HedgeFundListError(
            f"hedge-fund filer list {path} does not exist; fix {HEDGE_FUNDS_ENV} or unset it to use the "
            f"default list ({DEFAULT_FILE.name})"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise HedgeFundListError(f"hedge-fund filer list {path} cannot be read: {exc}") from None
    header = [c.strip().lower() for c in (rows[0] if rows else [])]
    missing = [c for c in ("cik", "name", "source") if c not in header]
    if missing:
        raise HedgeFundListError(
            f"hedge-fund filer list {path}: line 1 must name the columns cik, name, source "
            f"(missing {', '.join(missing)}; found {', '.join(header) or 'nothing'})"
        )
    at_cik, at_name = header.index("cik"), header.index("name")
    out: dict[str, str] = {}
    for line_no, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        raw = row[at_cik] if at_cik < len(row) else ""
        cik = filer_cik(raw)
        if cik is None:
            raise HedgeFundListError(
                f"hedge-fund filer list {path}: line {line_no}: cik {raw!r} is not a CIK (a number of at "
                "most 10 digits, e.g. 1350694 or 0001350694)"
            )
        out[cik] = (row[at_name] if at_name < len(row) else "").strip()
    return out


class HedgeFundRule:
    """``is_hedge_fund(cik, name)``: the CIK list, else the name heuristic (module docstring). Counts how
    many distinct filers each rule flagged. Thread-safe."""

    def __init__(self, path: Path | str | None = None):
        self.path = Path(path) if path is not None else DEFAULT_FILE
        self.is_default = path is None
        self.ciks = read_hedge_fund_list(self.path)
        self._seen: dict[str, str | None] = {}  # filer → "cik" / "name" / None
        self._lock = threading.Lock()

    def rule_for(self, filer_cik_value, filer_name: str | None) -> str | None:
        """Which rule flags this filer: ``"cik"``, ``"name"`` or None (not a hedge fund)."""
        cik = filer_cik(filer_cik_value)
        if cik is not None and cik in self.ciks:
            rule = "cik"
        elif name_matches(filer_name):
            rule = "name"
        else:
            rule = None
        key = f"cik:{cik}" if cik is not None else f"name:{_SPACES.sub(' ', str(filer_name or '')).lower()}"
        with self._lock:
            self._seen[key] = rule
        return rule

    def is_hedge_fund(self, filer_cik_value, filer_name: str | None) -> bool:
        return self.rule_for(filer_cik_value, filer_name) is not None

    def counts(self) -> dict:
        """Distinct filers seen and how many each rule flagged (for the build's metadata)."""
        with self._lock:
            rules = list(self._seen.values())
        return {
            "hedge_fund_list": "default" if self.is_default else str(self.path),
            "listed_ciks": len(self.ciks),
            "filers": len(rules),
            "by_cik": rules.count("cik"),
            "by_name": rules.count("name"),
            "not_hedge_funds": rules.count(None),
        }
