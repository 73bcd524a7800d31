"""A local HTTP server that serves the simulated market in FMP's stable-API shapes, quirks included.

It is how the FMP client is tested end to end over real HTTP (loopback), and how the FMP path can be
demonstrated offline. Everything it serves is synthetic (symbols ``SYN###``; profiles carry
``"isSynthetic": true``, which real FMP does not send).

    python -m smart_money.testing.fmp_server --port 8765 --api-key demo [--n-symbols 500] [--fail-every 0]

Behaviour: the ``apikey`` header or query parameter must match (else 401 with FMP's "Invalid API KEY"
body); ``/api/v3`` and ``/api/v4`` answer 403 "Legacy Endpoint"; pages (``page`` from 0, ``limit``) newest
first; an unknown symbol gives ``[]``. Injected faults: every ``fail_every``-th request answers 429 (with
``Retry-After: 0``) or 503 alternately, and every ``limit_reach_every``-th answers 200 with
``{"Error Message": "Limit Reach ..."}``; paths in ``restricted`` answer 402 "Restricted Endpoint" (a plan
that lacks them). ``GET /_stats`` returns the request count per endpoint and the
request times (for rate checks); ``POST /_reset`` clears them.
"""

import argparse
import json
import socket
import threading
import time
import zlib
from collections import Counter, defaultdict
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pandas as pd

from smart_money import timeline
from smart_money.sources.synthetic.market import MarketConfig, simulate_market
from smart_money.sources.synthetic.source import SyntheticMarketSource
from smart_money.testing.background import BackgroundServer, serve_until_interrupted

CODE_NAMES = {
    "P": "P-Purchase",
    "S": "S-Sale",
    "A": "A-Award",
    "M": "M-Exempt",
    "F": "F-InKind",
    "G": "G-Gift",
}
INVALID_KEY = {
    "Error Message": "Invalid API KEY. Feel free to create a Free API Key or visit "
    "https://site.financialmodelingprep.com/faqs?search=why-is-my-api-key-invalid for more information."
}
LIMIT_REACH = {
    "Error Message": "Limit Reach . Please upgrade your plan or visit our documentation for more details"
}


def _day(value) -> str:
    return pd.Timestamp(value).strftime("%Y-%m-%d")


def _owner(role: str, c_suite: bool) -> str:
    if role == "officer":
        return "officer: Chief Executive Officer" if c_suite else "officer: Vice President, Operations"
    if role == "director":
        return "director"
    if role == "ten_percent_owner":
        return "10 percent owner"
    return "other: Trustee"


def _band(low: float, high: float) -> str:
    if pd.isna(high):
        return f"Over ${low - 1:,.0f}"
    return f"${low:,.0f} - ${high:,.0f}"


class SyntheticFmpData:
    """The simulated market rendered into FMP payloads, built per symbol on first use."""

    def __init__(self, config: MarketConfig, as_of: date | None = None):
        self.world = simulate_market(config)
        self.source = SyntheticMarketSource(config)
        self.as_of = pd.Timestamp(as_of or config.end)
        self._by_symbol: dict[str, dict] = {}
        self._lock = threading.Lock()
        w = self.world
        self._groups = {
            name: dict(tuple(frame.groupby("symbol", sort=False)))
            for name, frame in (
                ("prices", w.prices),
                ("insider", w.insider_trades),
                ("holders", w.institutional_holdings),
                ("congress", w.congress_trades),
                ("etf", w.etf_holdings),
            )
        }
        self.universe = w.universe.set_index("symbol")

    def earnings(self, first: str, last: str) -> list[dict]:
        """``/stable/earnings-calendar`` for dates first..last: the simulated calendar's earnings, with
        estimates, and actuals only for dates up to the server's as-of date."""
        first_day, last_day = pd.Timestamp(first), pd.Timestamp(last)
        calendar = self.source.corporate_events(
            list(self.universe.index), first_day, last_day + pd.Timedelta(days=1)
        )
        calendar = calendar[calendar["kind"] == "earnings"]
        rows = []
        for r in calendar.itertuples(index=False):
            reported = r.event_date <= self.as_of
            estimate = round(1.0 + (zlib.crc32(r.symbol.encode()) % 100) / 100.0, 2)
            rows.append(
                {
                    "symbol": r.symbol,
                    "date": _day(r.event_date),
                    "epsActual": round(estimate * 1.05, 2) if reported else None,
                    "epsEstimated": estimate,
                    "revenueActual": 1.05e9 if reported else None,
                    "revenueEstimated": 1.0e9,
                    "lastUpdated": _day(min(r.event_date, self.as_of)),
                }
            )
        return rows

    def symbol(self, symbol: str) -> dict | None:
        symbol = symbol.upper()
        if symbol not in self.universe.index:
            return None
        with self._lock:
            if symbol not in self._by_symbol:
                self._by_symbol[symbol] = self._render(symbol)
            return self._by_symbol[symbol]

    def _part(self, name: str, symbol: str) -> pd.DataFrame:
        return self._groups[name].get(symbol, pd.DataFrame())

    def _render(self, symbol: str) -> dict:
        u = self.universe.loc[symbol]
        prices = self._part("prices", symbol).sort_values("date", ascending=False)
        last_close = float(prices["adj_close"].iloc[0]) if len(prices) else 0.0
        out: dict = {
            "profile": [
                {
                    "symbol": symbol,
                    "companyName": u["name"],
                    "sector": u["sector"],
                    "industry": "Synthetic",
                    "marketCap": last_close * float(u["shares_outstanding"]),
                    "price": last_close,
                    "isActivelyTrading": True,
                    "isSynthetic": True,
                }
            ],
            "shares_float": [
                {
                    "symbol": symbol,
                    "date": _day(self.as_of),
                    "floatShares": float(u["shares_outstanding"]) * 0.9,
                    "outstandingShares": float(u["shares_outstanding"]),
                }
            ],
        }
        out["prices"] = [
            {
                "symbol": symbol,
                "date": _day(r.date),
                "adjOpen": r.adj_close,
                "adjHigh": r.adj_close,
                "adjLow": r.adj_close,
                "adjClose": r.adj_close,
                "volume": r.volume,
            }
            for r in prices.itertuples()
        ]
        insider = self._part("insider", symbol)
        if len(insider):
            insider = insider.sort_values(["known_at", "transaction_date", "insider_id"], ascending=False)
        rows = []
        for i, r in enumerate(insider.itertuples()):
            row = {
                "symbol": symbol,
                "filingDate": _day(r.known_at) + (" 00:00:00" if i % 7 == 0 else ""),  # both spellings occur
                "transactionDate": _day(r.transaction_date),
                "reportingCik": r.insider_id,
                "companyCik": f"SYNCIK{symbol[3:]}",
                "transactionType": CODE_NAMES.get(r.transaction_code, f"{r.transaction_code}-Other"),
                "securitiesOwned": r.shares_owned_after,
                "reportingName": r.insider_name,
                "typeOfOwner": _owner(r.insider_role, bool(r.is_c_suite)),
                "directOrIndirect": "D",
                "formType": "4",
                "securitiesTransacted": r.shares,
                "price": r.price,
                "securityName": "Common Stock",
                "url": "https://example.invalid/synthetic-form4",
            }
            side_key = (
                "acquistionOrDisposition" if i % 20 == 0 else "acquisitionOrDisposition"
            )  # old spelling
            row[side_key] = r.acquired_disposed
            rows.append(row)
        out["insider"] = rows
        holders = defaultdict(list)
        part = self._part("holders", symbol)
        if len(part):
            part = part.sort_values(["report_date", "shares"], ascending=[True, False])
        for r in part.itertuples():
            holders[_day(r.report_date)].append(
                {
                    "date": _day(r.report_date),
                    "cik": r.filer_id,
                    "filingDate": _day(r.known_at),
                    "investorName": r.filer_name,
                    "symbol": symbol,
                    "securityName": "Common Stock",
                    "sharesNumber": r.shares,
                    "lastSharesNumber": r.shares - (r.change_in_shares or 0.0),
                    "changeInSharesNumber": r.change_in_shares,
                    "marketValue": r.market_value,
                    "weight": 0.0,
                    "ownership": 100 * r.shares / float(u["shares_outstanding"]),
                    "isNew": bool(r.is_new_position),
                    "isSoldOut": bool(r.is_closed_position),
                    "holdingPeriod": 1,
                }
            )
        out["holders"] = holders
        for chamber in ("senate", "house"):
            trades = self._part("congress", symbol)
            trades = trades[trades["chamber"] == chamber] if len(trades) else trades
            if len(trades):
                trades = trades.sort_values(["known_at", "transaction_date"], ascending=False)
            rows = []
            for i, r in enumerate(trades.itertuples()):
                first, _, last = r.member.partition(" ")
                row = {
                    "symbol": symbol,
                    "disclosureDate": _day(r.known_at),
                    "transactionDate": _day(r.transaction_date),
                    "firstName": first,
                    "lastName": last,
                    "office": r.member,
                    "district": "SY01",
                    "owner": "Self",
                    "assetDescription": u["name"],
                    "assetType": "Stock",
                    "type": "Purchase" if r.side == "buy" else ("Sale (Partial)" if i % 3 else "Sale"),
                    "amount": _band(r.amount_low, r.amount_high),
                    "comment": "",
                    "link": "https://example.invalid",
                    "senateID": None if i % 2 else f"SEN{i}",
                }
                if i % 4:
                    row["capitalGainsOver200USD"] = "False"  # absent on some rows
                rows.append(row)
            out[chamber] = rows
        etf = self._part("etf", symbol)
        if len(etf):
            etf = etf[etf["known_at"] <= self.as_of]
            etf = etf[etf["known_at"] == etf["known_at"].max()] if len(etf) else etf
        out["etf"] = [
            {
                "symbol": r.etf_symbol,
                "asset": symbol,
                "sharesNumber": r.shares,
                "weightPercentage": 100 * r.weight,
                "marketValue": r.market_value,
            }
            for r in etf.itertuples()
        ]
        return out


class FmpServerState:
    def __init__(self, data: SyntheticFmpData, api_key: str, fail_every: int = 0, limit_reach_every: int = 0):
        self.restricted: set[str] = set()  # paths answered with 402 "Restricted Endpoint" (plan too small)
        self.data = data
        self.api_key = api_key
        self.fail_every = fail_every
        self.limit_reach_every = limit_reach_every
        self.counts: Counter = Counter()
        self.times: list[float] = []
        self.total = 0
        self.lock = threading.Lock()

    def reset(self) -> None:
        with self.lock:
            self.counts.clear()
            self.times.clear()
            self.total = 0


def _page(rows: list, query: dict, default_limit: int, max_limit: int) -> list:
    page = int(query.get("page", 0))
    limit = min(int(query.get("limit", default_limit)), max_limit)
    return rows[page * limit : (page + 1) * limit]


def make_handler(state: FmpServerState):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_):  # quiet; counts are in /_stats
            return

        def setup(self):
            super().setup()
            # headers and body go out as two writes: without this, Nagle + delayed ACK add ~40 ms a request
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def _send(self, status: int, body, headers: dict | None = None) -> None:
            data = (body if isinstance(body, str) else json.dumps(body)).encode()
            self.send_response(status)
            self.send_header(
                "Content-Type", "application/json" if not isinstance(body, str) else "text/plain"
            )
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):  # noqa: N802
            if urlparse(self.path).path == "/_reset":
                state.reset()
                return self._send(200, {"ok": True})
            return self._send(404, {"Error Message": "not found"})

        def do_GET(self):  # noqa: N802
            url = urlparse(self.path)
            path = url.path
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            if path == "/_stats":
                with state.lock:
                    return self._send(
                        200, {"counts": dict(state.counts), "times": list(state.times), "total": state.total}
                    )
            key = self.headers.get("apikey") or query.pop("apikey", None)
            with state.lock:
                state.total += 1
                n = state.total
                state.counts[path] += 1
                state.times.append(time.monotonic())
            if key != state.api_key:
                return self._send(401, INVALID_KEY)
            if path.startswith("/api/v3") or path.startswith("/api/v4"):
                return self._send(
                    403,
                    {
                        "Error Message": "Legacy Endpoint : Due to Legacy endpoints being no longer "
                        "supported..."
                    },
                )
            if path in state.restricted:
                return self._send(
                    402, "Restricted Endpoint: This endpoint is not available under your current subscription"
                )
            if state.fail_every and n % state.fail_every == 0:
                if (n // state.fail_every) % 2:
                    return self._send(429, {"Error Message": "Too Many Requests"}, {"Retry-After": "0"})
                return self._send(503, "Service Unavailable")
            if state.limit_reach_every and n % state.limit_reach_every == 0:
                return self._send(200, LIMIT_REACH)
            try:
                return self._send(200, self._route(path, query))
            except KeyError:
                return self._send(404, {"Error Message": f"unknown endpoint {path}"})
            except (ValueError, TypeError) as exc:
                return self._send(400, {"Error Message": f"bad query: {exc}"})

        def _route(self, path: str, q: dict):
            if path == "/stable/earnings-calendar":
                return state.data.earnings(q.get("from", "0000-01-01"), q.get("to", "9999-12-31"))
            kind = {
                "/stable/profile": "profile",
                "/stable/shares-float": "shares_float",
                "/stable/historical-price-eod/dividend-adjusted": "prices",
                "/stable/insider-trading/search": "insider",
                "/stable/institutional-ownership/extract-analytics/holder": "holders",
                "/stable/senate-trades": "senate",
                "/stable/house-trades": "house",
                "/stable/etf/asset-exposure": "etf",
            }[path]
            symbol = state.data.symbol(q.get("symbol", ""))
            if symbol is None:
                return []
            if kind == "prices":
                rows = [
                    r for r in symbol["prices"] if q.get("from", "0000") <= r["date"] <= q.get("to", "9999")
                ]
                return rows[:5000]
            if kind == "insider":
                return _page(symbol["insider"], q, 100, 1000)
            if kind == "holders":
                quarter_end = pd.Period(f"{int(q['year'])}Q{int(q['quarter'])}").end_time.strftime("%Y-%m-%d")
                return _page(symbol["holders"].get(quarter_end, []), q, 100, 1000)
            if kind in ("senate", "house"):
                return _page(symbol[kind], q, 100, 250)
            return symbol[kind]

    return Handler


class LocalFmpServer(BackgroundServer):
    """The server on a background thread (for tests and benchmarks): ``with LocalFmpServer(...) as s:``."""

    def __init__(
        self,
        config: MarketConfig | None = None,
        api_key: str = "test-key",
        port: int = 0,
        as_of: date | None = None,
        fail_every: int = 0,
        limit_reach_every: int = 0,
    ):
        self.state = FmpServerState(
            SyntheticFmpData(config or MarketConfig(), as_of), api_key, fail_every, limit_reach_every
        )
        self._serve(make_handler(self.state), port)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--api-key", default="demo", help="the key clients must send (default: demo)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--n-symbols", type=int, default=500)
    parser.add_argument("--signal-strength", type=float, default=1.0)
    parser.add_argument("--as-of", default=timeline.HISTORY_END.isoformat(), help="the server's 'today'")
    parser.add_argument("--fail-every", type=int, default=0, help="every Nth request: 429 or 503")
    parser.add_argument(
        "--limit-reach-every", type=int, default=0, help="every Nth request: 200 'Limit Reach'"
    )
    args = parser.parse_args(argv)
    config = MarketConfig(seed=args.seed, n_symbols=args.n_symbols, signal_strength=args.signal_strength)
    state = FmpServerState(
        SyntheticFmpData(config, date.fromisoformat(args.as_of)),
        args.api_key,
        args.fail_every,
        args.limit_reach_every,
    )
    httpd = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(state))
    return serve_until_interrupted(
        httpd, f"serving the SYNTHETIC market in FMP shapes on http://127.0.0.1:{args.port}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
