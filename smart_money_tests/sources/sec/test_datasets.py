"""The bulk path on the SEC's real 2024 Q3 Insider Transactions Data Set files, and the proof that the bulk
and per-filing paths give identical rows for the same filings."""

import zipfile
from collections import Counter

import pandas as pd
import pytest

from smart_money.sources.sec import datasets, normalize
from smart_money.testing import edgar_server
from smart_money_tests.sources.sec import realdata


@pytest.fixture(scope="module")
def quarter(tmp_path_factory):
    """The shared SUBMISSION.tsv and DERIV_TRANS.tsv (verbatim), zipped like the SEC's quarterly archive."""
    path = realdata.dataset_zip(tmp_path_factory.mktemp("form345") / "2024q3_form345.zip")
    return datasets.read_tables(path, ["SUBMISSION", "DERIV_TRANS"])


def test_the_full_submission_file_parses_with_every_filing_date_kept(quarter):
    table = quarter["SUBMISSION"]
    assert len(table) == 36_075
    frame = datasets.submissions(table)
    assert len(frame) == 36_075 and frame["accession_number"].is_unique
    assert frame["filing_date"].notna().all()  # every FILING_DATE (DD-MON-YYYY) parses
    assert frame["filing_date"].min() == pd.Timestamp("2024-07-01")
    assert frame["filing_date"].max() == pd.Timestamp("2024-09-30")
    assert Counter(frame["document_type"]) == {
        "4": 32530,
        "3": 2866,
        "4/A": 520,
        "3/A": 87,
        "5": 62,
        "5/A": 10,
    }
    amendments = frame[frame["document_type"] == "4/A"]
    assert amendments["date_of_original_submission"].notna().all()  # all 520 say when the original was filed
    assert frame["date_of_original_submission"].notna().sum() == 617 == frame["is_amendment"].sum()
    # As filed: one 4/A (0001213900-24-077007, filed 09-SEP-2024) names an original of 16-SEP-2024.
    later = amendments[amendments["date_of_original_submission"] > amendments["filing_date"]]
    assert list(later["accession_number"]) == ["0001213900-24-077007"]
    assert frame["issuer_cik"].str.fullmatch(r"\d{10}").all()
    assert frame["aff10b5one"].isna().all()  # the 2024 Q3 SUBMISSION has no AFF10B5ONE column


def test_the_stand_ins_data_set_has_the_secs_columns(quarter):
    """SUBMISSION and DERIV_TRANS as in the real files; the tables not shared as in FORM_345_metadata.json."""
    for name in ("SUBMISSION", "DERIV_TRANS"):
        assert list(quarter[name].columns) == list(edgar_server.DATASET_COLUMNS[name])
    for name in ("REPORTINGOWNER", "NONDERIV_HOLDING", "DERIV_HOLDING", "FOOTNOTES", "OWNER_SIGNATURE"):
        assert list(edgar_server.DATASET_COLUMNS[name]) == realdata.metadata_columns(name)


def test_the_full_derivative_file_parses_with_typo_dates_kept_as_filed(quarter):
    table = quarter["DERIV_TRANS"]
    assert len(table) == 19_003
    dates = [normalize.parse_date(v) for v in table["TRANS_DATE"]]
    assert max(dates).isoformat() == "2026-08-23" and min(dates).isoformat() == "2014-12-05"

    # REPORTINGOWNER.tsv is not in the shared copy: give every filing a stand-in owner, so that the real
    # transaction values go through the normalization (the owner fields are then not real).
    owners = pd.DataFrame(
        {
            "ACCESSION_NUMBER": quarter["SUBMISSION"]["ACCESSION_NUMBER"],
            "RPTOWNERCIK": "1",
            "RPTOWNERNAME": "STAND-IN OWNER",
            "RPTOWNER_RELATIONSHIP": "Other",
        }
    )
    universe = {c: f"X{c[-6:]}" for c in quarter["SUBMISSION"]["ISSUERCIK"]}
    rows, quarantined = datasets.dataset_rows({**quarter, "REPORTINGOWNER": owners}, universe)
    assert len(rows) + len(quarantined) == 19_003
    reasons = Counter(
        q["reason"].split(" (")[0] if "after" in q["reason"] else q["reason"] for q in quarantined
    )
    assert reasons == {
        "shares are not reported, only the transaction's total value": 80,
        "shares is missing": 18,
        "transaction date 2026-08-23 is after the filing date 2024-08-26": 1,
        "transaction date 2026-07-31 is after the filing date 2024-08-01": 1,
        "transaction date 2024-09-30 is after the filing date 2024-09-05": 1,
    }
    frame = normalize.frame(rows)
    assert len(frame) == 18_902 and frame["is_derivative"].all()
    assert (frame["known_at"] >= frame["transaction_date"]).all()
    assert frame["price"].isna().sum() == 2286 and (frame["price"] == 0).sum() == 14192
    assert set(frame["acquired_disposed"]) == {"A", "D"}
    assert set(frame["direct_or_indirect"]) == {"D", "I"}
    assert frame["acceptance_time"].isna().all()  # the data set has no acceptance time


def test_without_reporting_owners_every_transaction_is_quarantined_not_dropped(quarter):
    universe = {c: "X" for c in quarter["SUBMISSION"]["ISSUERCIK"]}
    rows, quarantined = datasets.dataset_rows(quarter, universe)
    assert rows == [] and len(quarantined) == 19_003
    assert {q["reason"] for q in quarantined} == {"no reporting owner"}


def test_only_the_universes_issuers_are_normalized(quarter):
    rows, quarantined = datasets.dataset_rows(quarter, {"320193": "AAPL"})
    assert rows == [] and quarantined == []  # Apple's 2024 Q3 filings have no DERIV_TRANS rows here
    apple = datasets.submissions(quarter["SUBMISSION"]).query("issuer_cik == '0000320193'")
    assert len(apple) > 0


# ---- bulk vs per-filing ------------------------------------------------------------------------------------
DATED = [e for e in realdata.index() if e["filing_date"] and e["accession"]]


@pytest.fixture(scope="module")
def stand_in(tmp_path_factory) -> edgar_server.FilingsWorld:
    world = realdata.edgar_world(tmp_path_factory.mktemp("realdata"))
    assert world.problems == []  # its headers agree with INDEX.csv
    return world


def _filings(world: edgar_server.FilingsWorld, entries) -> list[edgar_server.Filing]:
    filings = [world.filing(e["accession"]) for e in entries]
    assert None not in filings  # the stand-in serves every dated document
    return filings


def _per_filing_rows() -> pd.DataFrame:
    rows = []
    for entry in DATED:
        r, q = realdata.document_rows(entry["file"])
        assert q == []
        rows += r
    return normalize.frame(rows)


def _sorted(frame: pd.DataFrame, drop: list[str]) -> pd.DataFrame:
    return frame.sort_values("accession_number", kind="stable").drop(columns=drop).reset_index(drop=True)


@pytest.mark.parametrize("with_aff10b5one", [False, True])
def test_bulk_and_per_filing_rows_are_identical_for_the_same_filings(stand_in, tmp_path, with_aff10b5one):
    # The data set is written from the 144 dated shared documents by the EDGAR stand-in, which derives the
    # TSVs from the XML and its header the way the SEC does, sharing no code with smart_money.sources.sec;
    # the bulk path reads that archive back.
    archive = tmp_path / "fixture_form345.zip"
    archive.write_bytes(edgar_server.dataset_zip(_filings(stand_in, DATED), aff10b5one=with_aff10b5one))
    assert datasets.verify_archive(archive) == sorted(edgar_server.DATASET_COLUMNS)
    submission = datasets.read_table(archive, "SUBMISSION")
    assert len(submission) == len(DATED) == 144
    assert submission.loc[submission["ACCESSION_NUMBER"] == "0000320193-22-000061", "FILING_DATE"].item() == (
        "06-MAY-2022"
    )
    assert ("AFF10B5ONE" in submission.columns) == with_aff10b5one
    rows, quarantined = datasets.archive_rows(archive, realdata.universe())
    assert quarantined == []
    bulk = normalize.frame(rows)
    per_filing = _per_filing_rows()
    assert len(bulk) == len(per_filing) == 527
    # The data set has no acceptance time; aff10b5one only where SUBMISSION has the AFF10B5ONE column.
    differ = ["acceptance_time"] + ([] if with_aff10b5one else ["aff10b5one"])
    pd.testing.assert_frame_equal(_sorted(bulk, differ), _sorted(per_filing, differ))
    assert bulk["acceptance_time"].isna().all()
    if not with_aff10b5one:
        assert bulk["aff10b5one"].isna().all()
    assert per_filing["acceptance_time"].notna().sum() == len(
        per_filing[
            per_filing["accession_number"].isin({e["accession"] for e in DATED if e["acceptance_datetime"]})
        ]
    )


def test_several_owners_in_the_data_set_take_the_first_row_of_the_accession(stand_in):
    archive = edgar_server.dataset_zip(_filings(stand_in, [realdata.entry(realdata.SOFTBANK)]))
    tables = datasets.read_tables(archive)
    assert len(tables["REPORTINGOWNER"]) == 8
    rows, _ = datasets.dataset_rows(tables, realdata.universe())
    assert [r["insider_id"] for r in rows] == ["0001065521", "0001065521"]
    assert rows[0]["other_owner_ciks"].count(",") == 6
    assert {r["insider_role"] for r in rows} == {"ten_percent_owner"}


# ---- bad archives ------------------------------------------------------------------------------------------
def test_a_corrupt_archive_is_refused_with_one_clear_error(stand_in, tmp_path):
    good = edgar_server.dataset_zip(_filings(stand_in, DATED[:3]))
    truncated = tmp_path / "2024q3_form345.zip"
    truncated.write_bytes(good[: len(good) // 2])
    with pytest.raises(datasets.DatasetError, match="is not a ZIP archive .*download it again"):
        datasets.verify_archive(truncated)
    damaged = bytearray(good)
    start = good.index(b"SUBMISSION.tsv") + 40  # inside the first member's compressed data
    damaged[start : start + 20] = b"\x00" * 20
    (tmp_path / "damaged.zip").write_bytes(bytes(damaged))
    with pytest.raises(datasets.DatasetError, match="corrupt|not a ZIP"):
        datasets.verify_archive(tmp_path / "damaged.zip")
    with pytest.raises(datasets.DatasetError, match="does not exist"):
        datasets.verify_archive(tmp_path / "missing.zip")


def test_an_archive_without_the_row_tables_is_not_a_form345_data_set(tmp_path):
    path = realdata.dataset_zip(tmp_path / "partial.zip")  # SUBMISSION and DERIV_TRANS only
    with pytest.raises(datasets.DatasetError, match="has no REPORTINGOWNER.tsv, NONDERIV_TRANS.tsv"):
        datasets.verify_archive(path)
    with pytest.raises(datasets.DatasetError, match="has no FOOTNOTES.tsv"):
        datasets.read_table(path, "FOOTNOTES")


def test_a_table_without_its_key_columns_names_them(tmp_path):
    path = tmp_path / "wrong.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("SUBMISSION.tsv", "ACCESSION_NUMBER\tFILED\n0000320193-22-000061\t06-MAY-2022\n")
    with pytest.raises(
        datasets.DatasetError, match="SUBMISSION.tsv has no column FILING_DATE, DOCUMENT_TYPE"
    ):
        datasets.read_table(path, "SUBMISSION")


def test_transactions_of_an_accession_missing_from_submission_are_quarantined(stand_in):
    tables = datasets.read_tables(
        edgar_server.dataset_zip(_filings(stand_in, [realdata.entry(realdata.AAPL_SALE)]))
    )
    tables["SUBMISSION"] = tables["SUBMISSION"].iloc[0:0]
    rows, quarantined = datasets.dataset_rows(tables, realdata.universe())
    assert rows == [] and len(quarantined) == 7
    assert {q["reason"] for q in quarantined} == {"accession not in SUBMISSION (NONDERIV_TRANS)"}
