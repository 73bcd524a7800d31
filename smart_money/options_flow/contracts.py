"""The options-flow contracts: the shape of an option print, the six profiles, the condition codes, the
corporate-event notice, and the names and meanings of the typed event features.

The real path (importer, parent events, features, profiles, the FMP normalizer), the simulator (``tape.py``)
and the table declarations (``smart_money.tables``) all read them from here. This module imports nothing
from the package, so any module may import it without a cycle. README: Options flow.
"""

PROFILES = (
    "institutional_directional",
    "retail_whale",
    "event_driven",
    "vol_seller",
    "arbitrage",
    "hedge_reactive",
)
# What a simulated scenario can be besides a profile: a false-positive trap, or neutral background flow.
TRAPS = ("auction", "complex", "stale_quote", "wide_spread", "retail_frenzy", "structure_trade")
BACKGROUND = "background"
TRUTH_KINDS = ("profile", "trap", "background")

# Condition codes of special prints (auction, cross, complex order, late, out of sequence): never directional.
SPECIAL_CONDITIONS = ("AUCTION", "CROSS", "COMPLEX", "LATE", "OOS")
OPTION_TYPES = ("C", "P")

# The columns of one option print, as a vendor's feed maps to them (raw_option_prints adds known_at, source).
PRINT_COLUMNS = (
    "print_id",
    "symbol",
    "ts",
    "expiry",
    "strike",
    "option_type",
    "price",
    "size",
    "venue",
    "conditions",
    "bid",
    "ask",
    "quote_age_ms",
    "underlying_bid",
    "underlying_ask",
    "underlying_last",
    "implied_volatility",
)
DAY_MS = 86_400_000  # print times (``ts``) are epoch milliseconds

# A scheduled corporate event is public this many days before it (companies confirm dates about three weeks
# ahead); used when a calendar does not say when a date was announced.
CALENDAR_NOTICE_DAYS = 21

EVENT_KINDS = ("single_leg_event", "multi_leg_event")
CONFIDENCE_BANDS = ("high", "medium", "low")
ABSTAINED_BAND = "none"  # the primary confidence band of an event on which every profile abstained
DIRECTIONS = ("bullish", "bearish", "neutral", "short_volatility")

# The typed features of a parent event, in table order, with their meaning.
EVENT_FEATURES: dict[str, str] = {
    # execution quality and aggression
    "n_prints": "number of child prints in the event",
    "n_legs": "number of distinct contracts (legs)",
    "total_size": "contracts traded, summed over the prints",
    "premium": "dollars paid: sum of price × size × 100",
    "avg_size": "mean contracts per print",
    "buy_share": "share of the size printed at or near the ask (spread position >= 0.75)",
    "sell_share": "share of the size printed at or near the bid (spread position <= 0.25)",
    "spread_position": "size-weighted (price - bid) / (ask - bid) at the prints, clipped to [-0.5, 1.5]",
    "quote_age_ms": "mean age of the NBBO quote at the prints, milliseconds",
    "venue_count": "number of distinct venues",
    "inter_fill_ms": "mean milliseconds between consecutive prints (NaN for a single print)",
    "strike_concentration": "largest share of the size at one strike",
    "special_share": "share of prints carrying a special condition code",
    # contract and context
    "dte": "size-weighted days to expiry from the trade day",
    "moneyness": "size-weighted moneyness, > 0 out of the money (calls: strike / spot - 1; puts: 1 - "
    "strike / spot)",
    "atm_proximity": "smallest |strike / spot - 1| over the prints",
    "call_share": "share of the size in calls",
    "iv_shock": "implied volatility at the last print minus at the first",
    "spread_rel": "mean (ask - bid) / mid at the prints",
    "spread_abs": "mean ask - bid at the prints, dollars",
    "spread_widening": "relative spread at the last print / at the first",
    "underlying_move": "underlying mid at the last print / at the first - 1",
    # structure
    "leg_size_symmetry": "smallest leg's size / largest leg's size (1 for one leg)",
    "both_sides": "the event has aggressive buys and aggressive sells",
    "calls_and_puts": "the event trades calls and puts",
    "n_strikes": "number of distinct strikes",
    "n_expiries": "number of distinct expiries",
    "net_delta": "size-weighted Black-Scholes delta signed by the aggressor side, per contract",
    "directional_bias": "size-weighted aggressor-signed call/put sign: +1 bought calls or sold puts, -1 "
    "bought puts or sold calls",
    # event calendar
    "days_to_event": "days from the event's day to the symbol's next scheduled corporate event public at the "
    "event's start (NaN if none)",
    "expiry_after_event_days": "days from that corporate event to the event's first expiry (NaN if none)",
    "pre_event_concentration": "share of the premium in expiries at most 14 days after that corporate event",
}
FEATURE_COLUMNS = tuple(EVENT_FEATURES)
BOOL_FEATURES = ("both_sides", "calls_and_puts")
