"""The feature catalog: one place that names, orders and documents every model feature.

``docs/features.md`` is generated from ``render_feature_docs()`` and a test pins the two
together, so the documentation cannot drift from the code.
"""

from dataclasses import dataclass

KINDS = ("ratio", "count", "value")


@dataclass(frozen=True)
class FeatureSpec:
    """Documentation record for one feature column.

    ``kind`` is the range the features table's schema enforces: ``ratio`` in [0, 1], ``count`` >= 0, ``value``
    any finite number (every kind may be NaN: missing).
    """

    name: str
    family: str
    window: str
    units: str
    missing: str
    description: str
    kind: str = "value"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"feature {self.name}: kind {self.kind!r} is not one of {KINDS}")


_SO_NAN = "NaN if shares_outstanding is missing or 0"

FEATURES: tuple[FeatureSpec, ...] = (
    # ---- insider (Form 4) -------------------------------------------------------------
    FeatureSpec(
        "insider_buy_ratio_30d",
        "insider",
        "30d",
        "fraction 0-1",
        "NaN if no P or S trade in the window",
        "#P / (#P + #S) over Form 4 rows filed in the last 30 days (open-market purchases vs sales).",
        kind="ratio",
    ),
    FeatureSpec(
        "insider_buy_volume_30d",
        "insider",
        "30d",
        "shares",
        "0 if no purchases",
        "Sum of shares of code-P rows filed in the last 30 days.",
    ),
    FeatureSpec(
        "insider_sell_volume_30d",
        "insider",
        "30d",
        "shares",
        "0 if no sales",
        "Sum of shares of code-S rows filed in the last 30 days.",
    ),
    FeatureSpec(
        "insider_net_flow_30d",
        "insider",
        "30d",
        "shares",
        "0 if no P or S trade",
        "insider_buy_volume_30d - insider_sell_volume_30d.",
    ),
    FeatureSpec(
        "insider_cluster_score",
        "insider",
        "30d (7-day span)",
        "count of insiders",
        "0 if no purchases",
        "Largest number of distinct insiders whose P trades (rows filed in the last 30 days) have "
        "transaction dates inside one 7-calendar-day span [d, d+6].",
        kind="count",
    ),
    FeatureSpec(
        "insider_ownership_change_90d",
        "insider",
        "90d",
        "fraction of shares outstanding",
        f"0 if no rows; {_SO_NAN}",
        "Sum over all transaction codes filed in the last 90 days of shares signed +1 for "
        "acquired ('A') and -1 for disposed ('D'), divided by shares_outstanding.",
    ),
    FeatureSpec(
        "insider_avg_premium",
        "insider",
        "30d",
        "fraction (0.05 = 5% above close)",
        "NaN if no usable purchase",
        "Mean over P rows filed in the last 30 days of price / close - 1, where close is the last "
        "close on or before the transaction date (capped at the filing date). Rows without a price "
        "> 0 or without any earlier close are ignored.",
    ),
    FeatureSpec(
        "c_suite_activity_ratio",
        "insider",
        "30d",
        "fraction 0-1",
        "NaN if no rows",
        "Share of Form 4 rows (all transaction codes) filed in the last 30 days whose insider is C-suite.",
        kind="ratio",
    ),
    # ---- institutional (13F, all filers) ------------------------------------------------
    FeatureSpec(
        "inst_ownership_pct",
        "institutional",
        "as-of (183d staleness)",
        "fraction of shares outstanding",
        f"NaN if the symbol has no row in holdings_asof(t) (no data is not 0); {_SO_NAN}",
        "Sum of holdings_asof(t) shares / shares_outstanding. holdings_asof(t): per (filer, symbol) the "
        "row with the latest report_date among 13F rows public at t with report_date > t - 183 days; "
        "a closed-position row counts as 0 shares. 13F rows public at t: share rows (put/call rows never "
        "count) with known_at <= t, each SEC filer-quarter in its version public at t (a 13F-HR/A "
        "RESTATEMENT replaces the quarter from its filing date, a NEW HOLDINGS amendment adds to it from "
        "its filing date; an SEC filer's position is that version's shares of the symbol). 13F rows "
        "filed in the last 91 days: those of them with known_at in the last 91 days whose filer-quarter "
        "was first filed in the last 91 days (a late amendment of an older quarter is not flow).",
    ),
    FeatureSpec(
        "inst_ownership_change_1q",
        "institutional",
        "91d",
        "fraction of shares outstanding",
        "NaN if either ownership value is NaN",
        "inst_ownership_pct(t) - inst_ownership_pct(t - 91 days), both from the holdings_asof rule and "
        "both divided by the shares_outstanding of the grid row at t.",
    ),
    FeatureSpec(
        "inst_new_positions_count",
        "institutional",
        "91d",
        "count of rows",
        "0 if none",
        "Number of 13F rows flagged is_new_position filed in the last 91 days (as inst_ownership_pct defines "
        "them).",
        kind="count",
    ),
    FeatureSpec(
        "inst_closed_positions_count",
        "institutional",
        "91d",
        "count of rows",
        "0 if none",
        "Number of 13F rows flagged is_closed_position filed in the last 91 days (as inst_ownership_pct "
        "defines them).",
        kind="count",
    ),
    FeatureSpec(
        "inst_avg_position_size_change",
        "institutional",
        "91d",
        "fraction (0.1 = +10%)",
        "NaN if no qualifying row",
        "Mean of change_in_shares / (shares - change_in_shares) over 13F rows filed in the last 91 days "
        "that are neither new nor closed and have a prior position (shares - change_in_shares) > 0.",
    ),
    FeatureSpec(
        "inst_concentration_top10",
        "institutional",
        "as-of (183d staleness)",
        "fraction 0-1",
        "NaN if no holdings_asof(t) rows or their total is 0",
        "Shares held by the 10 largest positions in holdings_asof(t) / all holdings_asof(t) shares.",
        kind="ratio",
    ),
    FeatureSpec(
        "inst_momentum_score",
        "institutional",
        "91d (30d decay)",
        "percent of shares outstanding",
        f"0 if no rows; {_SO_NAN}",
        "100 * sum over 13F rows filed in the last 91 days of change_in_shares * exp(-age_days / 30) / "
        "shares_outstanding, where age_days = t - known_at.",
    ),
    # ---- congress (STOCK Act) ------------------------------------------------------------
    FeatureSpec(
        "congress_buy_count_90d",
        "congress",
        "90d",
        "count of trades",
        "0 if none",
        "Number of congressional trades with side 'buy' disclosed in the last 90 days.",
        kind="count",
    ),
    FeatureSpec(
        "congress_sell_count_90d",
        "congress",
        "90d",
        "count of trades",
        "0 if none",
        "Number of congressional trades with side 'sell' disclosed in the last 90 days.",
        kind="count",
    ),
    FeatureSpec(
        "congress_net_sentiment",
        "congress",
        "90d",
        "count of trades",
        "0 if none",
        "congress_buy_count_90d - congress_sell_count_90d.",
    ),
    FeatureSpec(
        "congress_recent_activity_7d",
        "congress",
        "7d",
        "flag 0/1",
        "0 if none",
        "1.0 if any congressional trade in the symbol was disclosed in the last 7 days, else 0.0.",
        kind="ratio",
    ),
    # ---- hedge funds (13F, is_hedge_fund filers) ---------------------------------------------
    FeatureSpec(
        "hedgefund_top20_exposure",
        "hedgefund",
        "as-of (183d staleness)",
        "fraction of shares outstanding",
        f"0 if 13F data but no top-20 holder; NaN if no holdings_asof(t) rows; {_SO_NAN}",
        "Hedge funds are ranked at t by total market_value of their holdings_asof(t) across all symbols "
        "(ties by filer_id); sum of the top 20 funds' holdings_asof(t) shares / shares_outstanding.",
    ),
    FeatureSpec(
        "hedgefund_net_change_1q",
        "hedgefund",
        "91d",
        "fraction of shares outstanding",
        "NaN if the symbol lacks holdings_asof rows at t or at t - 91 days",
        "Hedge-fund ownership (hedge-fund holdings_asof shares / shares_outstanding; 0 when 13F data "
        "exists but no hedge fund holds) at t minus the same at t - 91 days.",
    ),
    FeatureSpec(
        "hedgefund_new_entry_count",
        "hedgefund",
        "91d",
        "count of rows",
        "0 if none",
        "Number of hedge-fund 13F rows flagged is_new_position filed in the last 91 days (as "
        "inst_ownership_pct defines them).",
        kind="count",
    ),
    FeatureSpec(
        "hedgefund_exit_count",
        "hedgefund",
        "91d",
        "count of rows",
        "0 if none",
        "Number of hedge-fund 13F rows flagged is_closed_position filed in the last 91 days (as "
        "inst_ownership_pct defines them).",
        kind="count",
    ),
    FeatureSpec(
        "hedgefund_conviction_score",
        "hedgefund",
        "91d",
        "basis points of shares outstanding",
        f"0 if no hedge-fund rows; NaN if those funds' total AUM is 0; {_SO_NAN}",
        "1e4 * sum over hedge-fund rows f filed in the last 91 days of (aum_f / sum_g aum_g) * "
        "change_in_shares_f / shares_outstanding; aum_f = fund's total market_value in holdings_asof(t) "
        "across all symbols, the denominator sums aum over the distinct funds with rows in the window.",
    ),
    # ---- ETF -------------------------------------------------------------------------------
    FeatureSpec(
        "etf_ownership_pct",
        "etf",
        "as-of (staleness: snapshots 45d, N-PORT 200d)",
        "fraction of shares outstanding",
        f"NaN if no etf_asof(t) row; {_SO_NAN}",
        "Sum of etf_asof(t) shares / shares_outstanding. etf_asof(t), per ETF: N-PORT rows (with an "
        "accession number) give the rows of one filing: among the ETF's filings with known_at <= t and "
        "report_date >= t - 200 days, the latest report_date, and of that report the latest known_at "
        "(NPORT-P/A before NPORT-P on the same day, then the higher accession number); a symbol missing "
        "from that filing is not held. Snapshot rows (no accession number): per (ETF, symbol) the row with "
        "the latest known_at <= t, ignoring rows with known_at < t - 45 days. An ETF with a snapshot row "
        "in that window at t is read from its snapshots only.",
    ),
    FeatureSpec(
        "etf_flow_30d",
        "etf",
        "30d",
        "fraction of shares outstanding",
        "NaN if either ownership value is NaN",
        "etf_ownership_pct(t) - etf_ownership_pct(t - 30 days) (net ETF buying), both divided by the "
        "shares_outstanding of the grid row at t.",
    ),
    FeatureSpec(
        "etf_concentration",
        "etf",
        "as-of (staleness: snapshots 45d, N-PORT 200d)",
        "fraction 0-1",
        "NaN if no etf_asof(t) rows or their total is 0",
        "Shares of the 5 largest ETF positions in etf_asof(t) / shares of all ETF positions in etf_asof(t).",
        kind="ratio",
    ),
    # ---- insider extras (Cohen, Malloy & Pomorski 2012; clustering) --------------------------
    FeatureSpec(
        "insider_opportunistic_buy_count_30d",
        "insider",
        "30d (3y history)",
        "count of trades",
        "0 if no purchases",
        "Number of P rows filed in the last 30 days whose insider is opportunistic: for a trade in month m "
        "of year Y, the insider (by insider_id, any symbol) has at least one P or S trade public at t in "
        "each of years Y-1, Y-2 and Y-3 but is not routine. Insiders without a trade in all three prior "
        "years are unclassified and counted in neither bucket.",
        kind="count",
    ),
    FeatureSpec(
        "insider_routine_buy_count_30d",
        "insider",
        "30d (3y history)",
        "count of trades",
        "0 if no purchases",
        "Number of P rows filed in the last 30 days whose insider is routine: at least one P or S trade "
        "public at t (any symbol) with transaction date in calendar month m of each of years Y-1, Y-2 "
        "and Y-3, where m/Y are the month and year of the purchase.",
        kind="count",
    ),
    FeatureSpec(
        "insider_cluster_buy_count_30d",
        "insider",
        "30d (+/-7 days)",
        "count of insiders",
        "0 if none",
        "Number of distinct insiders with a P row filed in the last 30 days whose transaction date is "
        "within 7 calendar days (|delta| <= 7) of a P transaction date of at least one other distinct "
        "insider of the same symbol, that other row also filed in the last 30 days (public at t).",
        kind="count",
    ),
    # ---- market context (prices; the volatility-only baseline uses exactly these) -----------
    FeatureSpec(
        "volatility_30d",
        "market",
        "30d",
        "annualized, log-return std",
        "NaN if fewer than 10 daily returns in the window",
        "Sample standard deviation of daily log returns of adj_close dated in the last 30 days, "
        "times sqrt(252). Carries no smart-money information: context for the model and the "
        "volatility-only baseline.",
    ),
    FeatureSpec(
        "volatility_90d",
        "market",
        "90d",
        "annualized, log-return std",
        "NaN if fewer than 30 daily returns in the window",
        "As volatility_30d over the last 90 days.",
    ),
    FeatureSpec(
        "beta_1y",
        "market",
        "365d",
        "ratio",
        "NaN if fewer than 60 daily returns in the window",
        "covar(r, r_m) / var(r_m) of daily log returns dated in the last 365 days, where r_m is the "
        "equal-weighted mean log return of every symbol priced that day.",
    ),
    # ---- options flow (smart_money_events; optional: NaN when the options_flow group is off) -------
    FeatureSpec(
        "options_net_directional_premium_30d",
        "options_flow",
        "30d",
        "dollars",
        "NaN when smart_money_events has no data (options flow off); 0 if no event in the window",
        "Premium of institutional_directional events called bullish minus those called bearish, over "
        "parent events of option prints that closed (known_at) in the last 30 days.",
    ),
    FeatureSpec(
        "options_event_driven_count_30d",
        "options_flow",
        "30d",
        "count",
        "NaN when smart_money_events has no data; 0 if no event in the window",
        "Number of events whose primary profile is event_driven, known in the last 30 days.",
        kind="count",
    ),
    FeatureSpec(
        "options_retail_whale_share_30d",
        "options_flow",
        "30d",
        "fraction 0-1",
        "NaN when smart_money_events has no data or no event is in the window",
        "Share of the symbol's option events known in the last 30 days whose primary profile is "
        "retail_whale.",
        kind="ratio",
    ),
    FeatureSpec(
        "options_abstention_share_30d",
        "options_flow",
        "30d",
        "fraction 0-1",
        "NaN when smart_money_events has no data or no event is in the window",
        "Share of the symbol's option events known in the last 30 days on which every profile "
        "abstained (background flow).",
        kind="ratio",
    ),
)

FEATURE_NAMES: tuple[str, ...] = tuple(spec.name for spec in FEATURES)
# The 27 base features (insider, 13F, Congress, hedge funds, ETF); the entries after them extend the set
# (insider extras, market context, options flow).
BASE_FEATURES: tuple[str, ...] = FEATURE_NAMES[:27]

FAMILIES: dict[str, tuple[str, ...]] = {
    family: tuple(spec.name for spec in FEATURES if spec.family == family)
    for family in dict.fromkeys(spec.family for spec in FEATURES)
}

_INTRO = """\
# Feature catalog

<!-- Generated by smart_money.features.catalog.render_feature_docs(); do not edit by hand. -->

Every feature is computed per `(symbol, sample_date)` from raw rows that were **public** at the
sample date `t`: a row is usable only if its `known_at <= t`. `known_at` is the date the record
became public:

| table | known_at |
| --- | --- |
| insider_trades | Form 4 filing date (not the transaction date) |
| institutional_holdings | 13F filing date (not the quarter-end report date) |
| congress_trades | STOCK Act disclosure date (not the transaction date) |
| etf_holdings | N-PORT: the report's public date (not its report date); snapshots: holdings as-of date |
| prices | trading date |
| smart_money_events | when the parent event of option prints closed (its last print + 2 s) |

Insider rows are the non-derivative (Form 4 Table I) transactions, each filing in the version public
at `t`: an amendment (4/A) replaces the rows of the filing it amends from the amendment's own filing
date on, and its rows count from that date. So a row is usable at `t` when `known_at <= t` and no
amendment of its filing was filed by `t`. Synthetic and FMP rows are never replaced: they carry no
accession number, or (FMP) not the period and original filing date the match needs. The Rule 10b5-1
plan flag (`aff10b5one`) is not a feature: only SEC filings from April 2023 on report it and neither
the synthetic market nor FMP does, so no data here can show that it helps.

"In the last N days" means `t - N days < known_at <= t`. Cross-sectional parts (e.g. which hedge
funds are the top 20 by AUM) are also recomputed at each `t` from public rows only. Ratios over
`shares_outstanding` use the grid row's value at `t`.

Missing values stay NaN: "no data" is not the same as zero, and imputation belongs to the model.
All feature columns are float64 (counts included).
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_feature_docs() -> str:
    """Render the catalog as Markdown (the exact content of docs/features.md)."""
    lines = [
        _INTRO,
        "| name | family | window | units | missing value rule | definition |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for spec in FEATURES:
        cells = (f"`{spec.name}`", spec.family, spec.window, spec.units, spec.missing, spec.description)
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"
