"""The OpenFIGI stand-in: the real answer shapes and limits, over loopback HTTP, in both worlds."""

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from smart_money.sources.openfigi import ANONYMOUS, NOT_FOUND, WITH_KEY, OpenFigiClient
from smart_money.sources.synthetic.identifiers import synthetic_cusip
from smart_money.sources.synthetic.market import MarketConfig
from smart_money.testing.openfigi_server import LocalOpenFigiServer, made_up_figi, read_table, synthetic_table

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "openfigi"
REAL = read_table(FIXTURES / "real_cusips.csv")
KEY = "stand-in-key-42"
MAPPING = "/v3/mapping"


def _jobs(*cusips: str) -> list[dict]:
    return [{"idType": "ID_CUSIP", "idValue": c} for c in cusips]


@pytest.fixture(scope="module")
def server():
    with LocalOpenFigiServer(REAL, api_keys={KEY}) as running:  # the published limits
        yield running


@pytest.fixture
def http(server):
    server.state.reset()
    server.state.faults = []
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


def test_real_table_comes_from_ark_records():
    assert len(REAL) == 15
    assert REAL["88160R101"] == ("TSLA", "TESLA INC", "Common Stock")
    assert REAL["81141R100"] == ("SE", "SEA LTD-ADR", "ADR")
    assert REAL["852234103"][0] == "SQ" and REAL["30303M102"][0] == "META"
    assert "037833100" not in REAL  # AAPL is in the 13F fixtures, but no shared record states its ticker


def test_answers_in_the_real_shape(http):
    response = http.post(
        MAPPING, json=_jobs("88160R101", "037833100") + [{"idType": "TICKER", "idValue": "X"}]
    )
    assert response.status_code == 200
    tesla, apple, ticker = response.json()
    (entry,) = tesla["data"]
    assert entry["ticker"] == "TSLA" and entry["exchCode"] == "US" and entry["marketSector"] == "Equity"
    assert entry["securityType"] == "Common Stock" and entry["name"] == "TESLA INC"
    assert entry["figi"] == entry["compositeFIGI"] == made_up_figi("88160R101")
    assert len(entry["figi"]) == 12 and entry["figi"].startswith("BBG")
    assert apple == {"warning": NOT_FOUND}
    assert set(ticker) == {"error"}
    assert response.headers["ratelimit-limit"] == "25" and response.headers["ratelimit-remaining"] == "24"
    sea = http.post(MAPPING, json=_jobs("81141r100")).json()[0]["data"][0]
    assert sea["securityType"] == "ADR" and sea["securityType2"] == "Depositary Receipt"


def test_jobs_per_request_limits(http):
    ten = [f"{i:08d}" for i in range(10)]
    assert http.post(MAPPING, json=_jobs(*ten)).status_code == 200
    too_many = http.post(MAPPING, json=_jobs(*ten, "00000010"))
    assert too_many.status_code == 413 and "Too many mapping jobs" in too_many.text
    hundred = [f"{i:08d}" for i in range(100)]
    keyed = {"X-OPENFIGI-APIKEY": KEY}
    assert http.post(MAPPING, json=_jobs(*hundred), headers=keyed).status_code == 200
    assert http.post(MAPPING, json=_jobs(*hundred, "x"), headers=keyed).status_code == 413
    stats = http.get("/_stats").json()
    assert stats["by_status"] == {"200": 2, "413": 2} and stats["max_jobs_per_request"] == 100
    assert stats["with_key"] == 2 and stats["without_key"] == 2
    assert ANONYMOUS.jobs_per_request == 10 and WITH_KEY.jobs_per_request == 100


def test_requests_per_window_answer_429_with_rate_limit_headers(http):
    for _ in range(25):
        assert http.post(MAPPING, json=_jobs("88160R101")).status_code == 200
    refused = http.post(MAPPING, json=_jobs("88160R101"))
    assert refused.status_code == 429
    assert refused.headers["ratelimit-limit"] == "25" and refused.headers["ratelimit-remaining"] == "0"
    assert (
        55 <= int(refused.headers["ratelimit-reset"]) <= 60
    )  # the first of the 25 frees its slot in <= 60 s
    # the key has its own, larger budget: 25 every 6 seconds
    keyed = http.post(MAPPING, json=_jobs("88160R101"), headers={"X-OPENFIGI-APIKEY": KEY})
    assert keyed.status_code == 200 and keyed.headers["ratelimit-remaining"] == "24"
    assert http.get("/_stats").json()["by_status"] == {"200": 26, "429": 1}


def test_bad_bodies_keys_and_paths(http):
    assert http.post(MAPPING, content=b"not json").status_code == 400
    assert http.post(MAPPING, json={"idType": "ID_CUSIP", "idValue": "88160R101"}).status_code == 400
    assert http.post(MAPPING, json=[{"idType": "ID_CUSIP"}]).status_code == 400
    refused = http.post(MAPPING, json=_jobs("88160R101"), headers={"X-OPENFIGI-APIKEY": "wrong"})
    assert refused.status_code == 401
    assert http.get(MAPPING).status_code == 405
    assert http.post("/v2/mapping", json=[]).status_code == 404
    assert http.post("/_reset").json() == {"ok": True} and http.get("/_stats").json()["requests"] == 0


def test_faults_come_first(http, server):
    server.state.faults = [503, 429]
    assert http.post(MAPPING, json=_jobs("88160R101")).status_code == 503
    assert http.post(MAPPING, json=_jobs("88160R101")).status_code == 429
    assert http.post(MAPPING, json=_jobs("88160R101")).status_code == 200


def test_any_key_is_accepted_without_a_key_list():
    with LocalOpenFigiServer(REAL) as open_server, httpx.Client(base_url=open_server.url) as client:
        answer = client.post(MAPPING, json=_jobs("88160R101"), headers={"X-OPENFIGI-APIKEY": "anything"})
        assert answer.status_code == 200 and open_server.state.stats()["with_key"] == 1


def test_synthetic_world_maps_every_simulated_symbol(tmp_path):
    config = MarketConfig(seed=3, n_symbols=40)
    table = synthetic_table(config)
    assert len(table) == 40 and table["S00001107"] == ("SYN001", "SYNTHETIC COMPANY 001", "Common Stock")
    assert all(synthetic_cusip(symbol) == cusip for cusip, (symbol, _, _) in table.items())
    with LocalOpenFigiServer(table, with_key=WITH_KEY) as running:
        client = OpenFigiClient("k", running.url, cache_dir=tmp_path)
        mapped = client.map_cusips([*table, "88160R101"])
        assert mapped == {**{c: s for c, (s, _, _) in table.items()}, "88160R101": None}
        assert running.state.stats()["requests"] == 1  # 41 jobs fit one keyed request


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the stand-in exited: {process.stdout.read()}")
        try:
            httpx.get(url + "/_stats", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("the stand-in did not start within 60 s")


@pytest.mark.parametrize("world", ["table", "synthetic"])
def test_command_line(world):
    port = _free_port()
    args = ["--table", str(FIXTURES / "real_cusips.csv")] if world == "table" else ["--n-symbols", "12"]
    command = [sys.executable, "-m", "smart_money.testing.openfigi_server", "--port", str(port), *args]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_for(url, process)
        cusip, ticker = ("88160R101", "TSLA") if world == "table" else (synthetic_cusip("SYN012"), "SYN012")
        answer = httpx.post(url + MAPPING, json=_jobs(cusip), timeout=5).json()
        assert answer[0]["data"][0]["ticker"] == ticker
        assert json.loads(httpx.get(url + "/_stats", timeout=5).text)["requests"] == 1
    finally:
        process.terminate()
        process.wait(timeout=10)
