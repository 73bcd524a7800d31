"""Parent events from child option prints, vectorized.

1. Each print gets its aggressor side from its price against the NBBO at the print (spread position >= 0.75:
   buy, <= 0.25: sell, else mid) and its special flags from the condition codes.
2. **Structure linkage**: prints of one underlying whose timestamps chain within ``LINK_MS`` and that span
   two or more contracts, with the same size on each contract or a complex-order condition, are the legs of
   one ``multi_leg_event``.
3. Every other print joins a ``single_leg_event`` by contract: a new event starts when the gap since the
   previous print of that contract exceeds ``BURST_GAP_MS``. The aggressor side is the event's direction
   proxy (its buy/sell mix is a feature); venues printed within the burst are its venue-burst context.

Event ids are a fixed-key hash of the event's kind, smallest member print id and member count: the same
prints give the same id, so a batch replay and a chunked streaming run (``stream``) agree exactly. An event
closes ``BURST_GAP_MS`` after its last print; a print arriving later starts a new event and never changes a
closed one.
"""

from collections.abc import Iterable, Iterator

import numpy as np
import pandas as pd
from pandas.util import hash_array

from smart_money.options_flow.contracts import PRINT_COLUMNS, SPECIAL_CONDITIONS

BURST_GAP_MS = 2_000
LINK_MS = 25
BUY_AT, SELL_AT = 0.75, 0.25
CLOSE_AFTER_MS = max(BURST_GAP_MS, LINK_MS)


def annotate(prints: pd.DataFrame) -> pd.DataFrame:
    """Per-print side (+1 buy, -1 sell, 0 mid), spread position, special flag and contract key."""
    missing = [c for c in PRINT_COLUMNS if c not in prints.columns]
    if missing:
        raise ValueError(f"option prints lack columns {missing}; expected {list(PRINT_COLUMNS)}")
    out = prints.copy()
    spread = (out["ask"] - out["bid"]).to_numpy(float)
    position = np.where(spread > 0, (out["price"].to_numpy(float) - out["bid"].to_numpy(float)) / spread, 0.5)
    out["spread_position"] = np.clip(position, -0.5, 1.5)
    out["side"] = np.select([position >= BUY_AT, position <= SELL_AT], [1, -1], 0).astype(np.int8)
    conditions = out["conditions"].fillna("").astype(str).str.upper()
    pattern = "|".join(SPECIAL_CONDITIONS)
    out["special"] = conditions.str.contains(pattern, regex=True).to_numpy()
    out["complex_order"] = conditions.str.contains("COMPLEX", regex=False).to_numpy()
    expiry = pd.to_datetime(out["expiry"]).dt.strftime("%Y-%m-%d")
    out["contract"] = (
        out["symbol"].astype(str)
        + " "
        + expiry
        + " "
        + out["strike"].map("{:g}".format).astype(str)
        + out["option_type"]
    )
    return out


def _runs(sorted_keys: list[np.ndarray], ts: np.ndarray, gap_ms: int) -> np.ndarray:
    """Group number per row of a frame sorted by ``sorted_keys`` then ``ts``: a new group at a key change or
    a time gap above ``gap_ms``."""
    start = np.zeros(len(ts), dtype=bool)
    if len(ts):
        start[0] = True
    for key in sorted_keys:
        start[1:] |= key[1:] != key[:-1]
    start[1:] |= np.diff(ts) > gap_ms
    return np.cumsum(start) - 1


def reconstruct(prints: pd.DataFrame) -> pd.DataFrame:
    """Annotated prints with ``event_id`` and ``event_kind`` (single_leg_event / multi_leg_event)."""
    return _reconstruct(prints).drop(columns=["_cluster_last_ts"])


def _reconstruct(prints: pd.DataFrame) -> pd.DataFrame:
    p = annotate(prints)
    if p.empty:
        return p.assign(
            event_id=pd.Series(dtype=str),
            event_kind=pd.Series(dtype=str),
            _cluster_last_ts=pd.Series(dtype="int64"),
        )
    # 2. structure linkage: chains of one underlying's prints within LINK_MS
    p = p.sort_values(["symbol", "ts", "print_id"], kind="stable", ignore_index=True)
    cluster = _runs([p["symbol"].to_numpy()], p["ts"].to_numpy(np.int64), LINK_MS)
    p["_cluster"] = cluster
    grouped = p.groupby("_cluster", sort=False)
    p["_cluster_last_ts"] = grouped["ts"].transform("max")
    contracts = grouped["contract"].transform("nunique").to_numpy()
    first_size = p.groupby(["_cluster", "contract"], sort=False)["size"].transform("first")
    size_kinds = first_size.groupby(p["_cluster"]).transform("nunique").to_numpy()
    complex_any = grouped["complex_order"].transform("any").to_numpy()
    multi = (contracts >= 2) & ((size_kinds == 1) | complex_any)
    p["event_kind"] = np.where(multi, "multi_leg_event", "single_leg_event")
    # 3. single-leg bursts by contract
    single = ~multi
    group = np.empty(len(p), dtype=np.int64)
    group[multi] = cluster[multi]
    s = p.loc[single, ["contract", "ts"]]
    order = np.lexsort((s["ts"].to_numpy(np.int64), s["contract"].to_numpy()))
    runs = _runs([s["contract"].to_numpy()[order]], s["ts"].to_numpy(np.int64)[order], BURST_GAP_MS)
    single_groups = np.empty(len(s), dtype=np.int64)
    single_groups[order] = runs + (cluster.max() + 1)
    group[single] = single_groups
    p["_group"] = group
    p = p.sort_values(["_group", "ts", "print_id"], kind="stable", ignore_index=True)
    p["event_id"] = _event_ids(p)
    return p.drop(columns=["_cluster", "_group"])


def _event_ids(p: pd.DataFrame) -> np.ndarray:
    """``E`` + 16 hex digits of a fixed-key hash of (kind, smallest member print id, member count): a print
    is in exactly one event, so the same prints always give the same id. Vectorized (no per-print loop)."""
    grouped = p.groupby("_group", sort=False)
    key = (
        grouped["event_kind"].transform("first")
        + ":"
        + grouped["print_id"].transform("min")
        + ":"
        + grouped["print_id"].transform("size").astype(str)
    )
    codes, uniques = pd.factorize(key)
    hashed = hash_array(np.asarray(uniques, dtype=object))
    labels = np.char.add("E", np.char.zfill(np.char.mod("%x", hashed.astype(np.uint64)), 16))
    return labels[codes]


def stream(chunks: Iterable[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """Reconstruct time-ordered chunks as they arrive, yielding the prints of every event that has closed
    (no print of its underlying within ``CLOSE_AFTER_MS`` after its last one, as of the newest print seen).
    Open events are carried into the next chunk; the last yield flushes them. Same events as ``reconstruct``
    on the whole tape."""
    pending = pd.DataFrame(columns=list(PRINT_COLUMNS))
    for chunk in chunks:
        if chunk.empty:
            continue
        pending = pd.concat([pending, chunk], ignore_index=True) if len(pending) else chunk.copy()
        events = _reconstruct(pending)
        newest = int(events["ts"].max())
        last = events.groupby("event_id")["ts"].transform("max")
        # closed: no later print can join its burst, nor chain into a structure with any of its prints
        settled = events["_cluster_last_ts"] < newest - LINK_MS
        closed = (last < newest - CLOSE_AFTER_MS) & settled.groupby(events["event_id"]).transform("all")
        closed = closed.to_numpy()
        if closed.any():
            yield events[closed].drop(columns=["_cluster_last_ts"]).reset_index(drop=True)
        pending = events.loc[~closed, list(PRINT_COLUMNS)].reset_index(drop=True)
    if len(pending):
        yield reconstruct(pending)
