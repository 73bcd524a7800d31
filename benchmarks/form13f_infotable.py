"""Benchmark: reading a whole-quarter Form 13F data set filtered to the universe's CUSIPs.

Writes a synthetic data set ZIP in the SEC's layout (the seven tables of FORM13F_readme.htm, the readme's
columns; INFOTABLE with ``--rows`` lines of realistic widths over ``--cusips`` distinct CUSIPs, a few
popular ones held by most filers, ``--filings`` filings), then, in a fresh process so that the writer's
memory does not count, times ``form13f.dataset_cusip_values(zip)`` and
``form13f.read_dataset(zip, cusips=<the universe>)`` (what the sec source does with a data set) and reads
the peak resident memory (``VmHWM``). Target: at most 1.5 GB and 30 s for 3,000,000 lines.

    .venv/bin/python benchmarks/form13f_infotable.py [--rows 3000000] [--cusips 5000] [--universe 500]
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

from smart_money.sources.sec import form13f
from smart_money.sources.synthetic.identifiers import cusip_check_digit

WORDS = np.array(
    "ACME GLOBAL HOLDINGS INDUSTRIES TECHNOLOGIES FINANCIAL ENERGY PHARMACEUTICALS SYSTEMS CAPITAL "
    "RESOURCES THERAPEUTICS BANCORP PARTNERS SEMICONDUCTOR NETWORKS BRANDS MATERIALS REALTY SOLUTIONS".split()
)
CLASSES = np.array(["COM", "COM", "COM", "CL A", "SHS", "SPONSORED ADR", "COM NEW", "NOTE 2.500% 6/1"])
DISCRETION = np.array(["SOLE"] * 8 + ["DFND", "OTR"])


def _cusips(count: int, rng: np.random.Generator) -> list[str]:
    alphabet = np.array(list("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"))
    out: set[str] = set()
    while len(out) < count:
        base = "".join(rng.choice(alphabet[:10], 6)) + "".join(rng.choice(alphabet, 2))
        out.add(base + cusip_check_digit(base))
    return sorted(out)


def _lines(values: dict[str, np.ndarray]) -> str:
    columns = [values[c] for c in form13f.DATASET_COLUMNS["INFOTABLE"]]
    return "".join("\t".join(row) + "\n" for row in zip(*columns, strict=True))


def write_dataset(path: Path, rows: int, n_cusips: int, n_universe: int, n_filings: int, seed: int = 7):
    """The synthetic data set ZIP; returns the universe's CUSIPs and how many lines hold one of them."""
    rng = np.random.default_rng(seed)
    cusips = np.array(_cusips(n_cusips, rng))
    names = np.array([f"{a} {b} {c}" for a, b, c in rng.choice(WORDS, (n_cusips, 3))])
    weights = 1.0 / np.arange(1, n_cusips + 1) ** 0.8  # a few CUSIPs in most portfolios, a long tail
    weights /= weights.sum()
    universe = set(rng.choice(cusips[: 4 * n_universe], n_universe, replace=False).tolist())
    accessions = np.array([f"{1_000_000 + i:010d}-24-{i:06d}" for i in range(n_filings)])
    per_filing = rng.multinomial(rows, rng.dirichlet(np.full(n_filings, 0.3)))
    tables = form13f.DATASET_COLUMNS

    def tsv(name: str, data: list[list[str]]) -> str:
        return "\t".join(tables[name]) + "\n" + "".join("\t".join(r) + "\n" for r in data)

    ciks = [f"{2_000_000 + i}" for i in range(n_filings)]
    small = {
        "SUBMISSION": [
            [a, "14-NOV-2024", "13F-HR", c, "30-SEP-2024"] for a, c in zip(accessions, ciks, strict=True)
        ],
        "COVERPAGE": [
            [
                a,
                "30-SEP-2024",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                f"MANAGER {i} LLC",
                "1 MAIN ST",
                "",
                "NEW YORK",
                "NY",
            ]
            + ["10001", "13F HOLDINGS REPORT", f"028-{i:05d}", "", "", "N", ""]
            for i, a in enumerate(accessions)
        ],
        "SUMMARYPAGE": [[a, "0", str(n), "0", "N"] for a, n in zip(accessions, per_filing, strict=True)],
        "SIGNATURE": [
            [a, "A SIGNER", "CCO", "212-555-0100", "A SIGNER", "NEW YORK", "NY", "14-NOV-2024"]
            for a in accessions
        ],
        "OTHERMANAGER": [],
        "OTHERMANAGER2": [],
    }
    kept = 0
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for name, data in small.items():
            archive.writestr(f"{name}.tsv", tsv(name, data))
        with archive.open("INFOTABLE.tsv", "w", force_zip64=True) as member:
            member.write(("\t".join(tables["INFOTABLE"]) + "\n").encode())
            filing_of_line = np.repeat(np.arange(n_filings), per_filing)
            for start in range(0, rows, 250_000):
                idx = filing_of_line[start : start + 250_000]
                n = len(idx)
                which = rng.choice(n_cusips, n, p=weights)
                kept += int(np.isin(cusips[which], list(universe)).sum())
                shares = rng.lognormal(8, 2, n).astype(np.int64) + 1
                value = (shares * rng.lognormal(3.5, 1, n)).astype(np.int64)
                putcall = np.where(rng.random(n) < 0.02, rng.choice(["Put", "Call"], n), "")
                sole = np.where(rng.random(n) < 0.7, shares, 0)
                values = {
                    "ACCESSION_NUMBER": accessions[idx],
                    "INFOTABLE_SK": (np.arange(start, start + n) + 40_000_000).astype(str),
                    "NAMEOFISSUER": names[which],
                    "TITLEOFCLASS": rng.choice(CLASSES, n),
                    "CUSIP": cusips[which],
                    "FIGI": np.where(rng.random(n) < 0.1, "BBG000B9XRY4", ""),
                    "VALUE": value.astype(str),
                    "SSHPRNAMT": shares.astype(str),
                    "SSHPRNAMTTYPE": np.where(rng.random(n) < 0.01, "PRN", "SH"),
                    "PUTCALL": putcall,
                    "INVESTMENTDISCRETION": rng.choice(DISCRETION, n),
                    "OTHERMANAGER": np.where(rng.random(n) < 0.1, "1,2", ""),
                    "VOTING_AUTH_SOLE": sole.astype(str),
                    "VOTING_AUTH_SHARED": np.zeros(n, dtype=np.int64).astype(str),
                    "VOTING_AUTH_NONE": (shares - sole).astype(str),
                }
                member.write(_lines(values).encode())
    return sorted(universe), kept


def _read(zip_path: str, universe_path: str) -> None:
    """The measured part, in its own process: prints one JSON line."""
    universe = set(json.loads(Path(universe_path).read_text()))
    status = Path("/proc/self/status").read_text()
    before = int(next(line for line in status.splitlines() if line.startswith("VmHWM")).split()[1])
    began = time.perf_counter()
    values = form13f.dataset_cusip_values(Path(zip_path))  # what the sec source maps first
    values_s = time.perf_counter() - began
    began = time.perf_counter()
    filings, lines = form13f.read_dataset(Path(zip_path), cusips=universe)
    elapsed = time.perf_counter() - began
    status = Path("/proc/self/status").read_text()
    peak = int(next(line for line in status.splitlines() if line.startswith("VmHWM")).split()[1])
    print(
        json.dumps(
            {
                "seconds": round(elapsed, 2),
                "values_seconds": round(values_s, 2),
                "distinct_cusips": int(values["cusip"].nunique()),
                "peak_rss_mb": round(peak / 1024, 1),
                "rss_after_imports_mb": round(before / 1024, 1),
                "filings": len(filings),
                "lines": len(lines),
                "quarantined": len(lines.attrs["quarantined"]),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=3_000_000)
    parser.add_argument("--cusips", type=int, default=5_000)
    parser.add_argument("--universe", type=int, default=500)
    parser.add_argument("--filings", type=int, default=8_000)
    parser.add_argument("--read", nargs=2, metavar=("ZIP", "UNIVERSE_JSON"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.read:
        _read(*args.read)
        return
    with tempfile.TemporaryDirectory() as folder:
        zip_path = Path(folder) / "01sep2024-30nov2024_form13f.zip"
        began = time.perf_counter()
        universe, kept = write_dataset(zip_path, args.rows, args.cusips, args.universe, args.filings)
        written = time.perf_counter() - began
        with zipfile.ZipFile(zip_path) as archive:
            raw = archive.getinfo("INFOTABLE.tsv").file_size
        universe_path = Path(folder) / "universe.json"
        universe_path.write_text(json.dumps(universe))
        print(
            f"wrote {zip_path.name}: {args.rows:,} INFOTABLE lines ({raw / 1e6:,.0f} MB uncompressed, "
            f"{zip_path.stat().st_size / 1e6:,.0f} MB zipped), {args.cusips:,} CUSIPs, "
            f"{args.filings:,} filings, "
            f"in {written:.1f} s; {kept:,} lines hold one of the {len(universe)} universe CUSIPs"
        )
        command = [sys.executable, __file__, "--read", str(zip_path), str(universe_path)]
        result = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
        assert result["lines"] == kept, (result, kept)
        met = result["seconds"] + result["values_seconds"] <= 30 and result["peak_rss_mb"] <= 1536
        print(
            f"dataset_cusip_values: {result['values_seconds']} s ({result['distinct_cusips']:,} CUSIPs); "
            f"read_dataset(cusips=<{len(universe)}>): {result['seconds']} s; both in one process: "
            f"peak RSS {result['peak_rss_mb']:,} MB "
            f"(after imports {result['rss_after_imports_mb']:,} MB), {result['filings']:,} filings, "
            f"{result['lines']:,} lines, {result['quarantined']} quarantined; "
            f"target <= 30 s and <= 1,536 MB: {'met' if met else 'MISSED'}"
        )


if __name__ == "__main__":
    main()
