"""Session fixtures shared by several test packages."""

import shutil

import dagster as dg
import pytest

from smart_money_tests.markets import build_market
from smart_money_tests.track_records import build_track_record_market


@pytest.fixture(scope="session")
def built_default_market(tmp_path_factory):
    """The default simulated market with a promoted model (built once per session, ~45 s).

    ``pristine`` is a copy of its data folder taken right after the build, before any test changes it."""
    root = tmp_path_factory.mktemp("default_market")
    with dg.instance_for_test() as instance:
        market = build_market(root, "1.0", instance)
        shutil.copytree(market["data_dir"], root / "pristine_data", ignore=shutil.ignore_patterns("cache"))
        market["pristine_data_dir"] = root / "pristine_data"
        yield market


@pytest.fixture(scope="session")
def track_record_market(built_default_market, tmp_path_factory):
    """The default market with nine months of published predictions scored (``track_records.py``)."""
    with dg.instance_for_test() as instance:
        yield build_track_record_market(
            built_default_market, tmp_path_factory.mktemp("track_record"), instance
        )
