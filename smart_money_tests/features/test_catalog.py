"""The catalog is the single source of feature names, order and docs."""

import re
from pathlib import Path

from smart_money.features import catalog
from smart_money.features.congress import CONGRESS_FEATURES
from smart_money.features.etf import ETF_FEATURES
from smart_money.features.hedgefund import HEDGEFUND_FEATURES
from smart_money.features.insider import INSIDER_FEATURES
from smart_money.features.institutional import INSTITUTIONAL_FEATURES
from smart_money.features.market import MARKET_FEATURES
from smart_money.features.options_flow import OPTIONS_FLOW_FEATURES

REPO_ROOT = Path(__file__).resolve().parents[2]

BASE = (
    "insider_buy_ratio_30d",
    "insider_buy_volume_30d",
    "insider_sell_volume_30d",
    "insider_net_flow_30d",
    "insider_cluster_score",
    "insider_ownership_change_90d",
    "insider_avg_premium",
    "c_suite_activity_ratio",
    "inst_ownership_pct",
    "inst_ownership_change_1q",
    "inst_new_positions_count",
    "inst_closed_positions_count",
    "inst_avg_position_size_change",
    "inst_concentration_top10",
    "inst_momentum_score",
    "congress_buy_count_90d",
    "congress_sell_count_90d",
    "congress_net_sentiment",
    "congress_recent_activity_7d",
    "hedgefund_top20_exposure",
    "hedgefund_net_change_1q",
    "hedgefund_new_entry_count",
    "hedgefund_exit_count",
    "hedgefund_conviction_score",
    "etf_ownership_pct",
    "etf_flow_30d",
    "etf_concentration",
)
EXTRA = (
    "insider_opportunistic_buy_count_30d",
    "insider_routine_buy_count_30d",
    "insider_cluster_buy_count_30d",
    "volatility_30d",
    "volatility_90d",
    "beta_1y",
    "options_net_directional_premium_30d",
    "options_event_driven_count_30d",
    "options_retail_whale_share_30d",
    "options_abstention_share_30d",
)


def test_feature_order_and_base_set() -> None:
    assert catalog.BASE_FEATURES == BASE
    assert catalog.FEATURE_NAMES == BASE + EXTRA
    assert len(set(catalog.FEATURE_NAMES)) == len(catalog.FEATURE_NAMES)


def test_families_match_the_code() -> None:
    produced = {
        "insider": INSIDER_FEATURES,
        "institutional": INSTITUTIONAL_FEATURES,
        "hedgefund": HEDGEFUND_FEATURES,
        "congress": CONGRESS_FEATURES,
        "etf": ETF_FEATURES,
        "market": MARKET_FEATURES,
        "options_flow": OPTIONS_FLOW_FEATURES,
    }
    assert {family: set(names) for family, names in catalog.FAMILIES.items()} == {
        family: set(names) for family, names in produced.items()
    }
    for spec in catalog.FEATURES:
        assert spec.window and spec.units and spec.missing and spec.description


def test_docs_file_is_the_rendered_catalog() -> None:
    # Regenerate with: python -c "from smart_money.features.catalog import render_feature_docs as r;
    #   open('docs/features.md', 'w').write(r())"
    docs = (REPO_ROOT / "docs" / "features.md").read_text()
    assert docs == catalog.render_feature_docs()


def test_domain_code_does_not_import_dagster() -> None:
    for path in (REPO_ROOT / "smart_money" / "features").glob("*.py"):
        assert not re.search(r"^\s*(import|from)\s+dagster", path.read_text(), re.MULTILINE), path
