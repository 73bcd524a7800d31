"""Benchmark the options-flow classifier: prints classified per second over a demo tape of >= 1M prints.

    .venv/bin/python benchmarks/options_flow.py [--prints 1000000] [--symbols 200] [--repeat 1]

Builds a seeded demo tape (realistic background, the six profiles and the traps), then times the whole path a
batch takes: parent-event reconstruction, typed features, the six profile rules and the events table
(``classify.classify``). Tape generation is timed separately and not counted. Prints the per-stage times,
prints per second and per minute (target: >= 1,000,000 a minute on this 2-core machine), peak RSS, and the
per-profile precision/recall and trap false-positive rates of that tape.
"""

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from smart_money.options_flow import evaluation, parent_events, profiles  # noqa: E402
from smart_money.options_flow.classify import events_table  # noqa: E402
from smart_money.options_flow.event_features import event_features  # noqa: E402
from smart_money.options_flow.tape import TapeConfig, simulate  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prints", type=int, default=1_000_000, help="at least this many prints")
    parser.add_argument("--symbols", type=int, default=200)
    parser.add_argument("--background-ratio", type=float, default=3.0)
    args = parser.parse_args()
    # one scenario of each of the 12 templates is 120 prints, plus the background share
    per_scenario_kind = max(10, int(args.prints / (120 * (1 + args.background_ratio))) + 1)
    config = TapeConfig(
        symbols=tuple(f"SYN{i:03d}" for i in range(1, args.symbols + 1)),
        start="2024-06-03",
        days=40,
        scenarios_per_kind=per_scenario_kind,
        mode="demo",
        background_ratio=args.background_ratio,
        seed=3,
    )
    began = time.perf_counter()
    prints, truth, calendar = simulate(config)
    generated = time.perf_counter() - began
    print(f"tape: {len(prints):,} prints ({per_scenario_kind} per template, demo) in {generated:.1f}s")
    if len(prints) < args.prints:
        print(f"error: only {len(prints):,} prints; raise --prints", file=sys.stderr)
        return 1

    stages = {}
    t = time.perf_counter()
    reconstructed = parent_events.reconstruct(prints)
    stages["reconstruct parent events"] = time.perf_counter() - t
    t = time.perf_counter()
    features = event_features(reconstructed, calendar)
    stages["typed features"] = time.perf_counter() - t
    t = time.perf_counter()
    profiles.score(features)
    stages["six profile rules"] = time.perf_counter() - t
    t = time.perf_counter()
    events = events_table(reconstructed, calendar)
    stages["events table (features + rules + shaping)"] = time.perf_counter() - t
    total = stages["reconstruct parent events"] + stages["events table (features + rules + shaping)"]
    for name, seconds in stages.items():
        print(f"  {name:45s} {seconds:7.2f} s")
    rate = len(prints) / total
    print(
        f"classified {len(prints):,} prints into {len(events):,} events in {total:.2f} s: "
        f"{rate:,.0f} prints/s = {rate * 60:,.0f} prints/minute (target >= 1,000,000/minute: "
        f"{'met' if rate * 60 >= 1_000_000 else 'MISSED'})"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:,.0f} MB")
    members = reconstructed[["event_id", "print_id"]]
    result = evaluation.evaluate(events, evaluation.event_truth(members, truth))
    print(evaluation.summary_table(result).to_string(index=False, float_format="%.4f"))
    print(f"abstention rate {result['abstention_rate']:.4f} (background events abstain)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
