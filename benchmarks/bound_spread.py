"""How much the Stichtse Vecht lower bound at a fixed time varies with the seed and with machine load.

Column generation stops at its time limit, so its bound depends on HiGHS's search path. This script runs
``solve`` on the benchmark's Stichtse Vecht instances for several seeds, one process per run, ``--parallel``
runs at a time. It prints one JSON line per run and a summary. Not a test.

    .venv/bin/python benchmarks/bound_spread.py                          # K=7,8, seeds 1-3, one at a time
    .venv/bin/python benchmarks/bound_spread.py --parallel 2 --stall-factor 1   # the old rule, two at a time
    .venv/bin/python benchmarks/bound_spread.py --parallel 2 --compare-hanging  # with and without hanging parts,
                                                                                # each pair side by side
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent


def one(name: str, seed: int, limit: float, stall_factor: float, hanging: bool = True) -> dict:
    """One solve in this process: objective, bound and gap; ``hanging=False`` contracts no hanging parts."""
    from functools import partial

    sys.path.insert(0, str(HERE))
    from run import build

    from wijkindeling.optimise import cg, contract, solve

    cg.column_generation = partial(cg.column_generation, stall_factor=stall_factor)
    if not hanging:
        contract.hanging_parts = lambda problem: []
    sol = solve(build(name), time_limit=limit, threads=1, seed=seed)
    return {"instance": name, "seed": seed, "stall_factor": stall_factor, "hanging": hanging,
            "units": sol.details.get("contracted_units", build(name).n), "objective": sol.objective,
            "bound": sol.bound, "gap": sol.gap}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instances", default="stichtsevecht-7,stichtsevecht-8")
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--time-limit", type=float, default=120.0)
    ap.add_argument("--stall-factor", type=float, default=2.0, help="1 = the old rule (repeat a fruitless pricing call)")
    ap.add_argument("--parallel", type=int, default=1, help="runs at a time (each single-threaded)")
    ap.add_argument("--compare-hanging", action="store_true",
                    help="run every instance and seed with and without contracting hanging parts, side by side")
    ap.add_argument("--no-hanging", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--one", nargs=2, metavar=("INSTANCE", "SEED"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one[0], int(args.one[1]), args.time_limit, args.stall_factor, not args.no_hanging)))
        return
    variants = [True, False] if args.compare_hanging else [not args.no_hanging]
    jobs = [(name, int(seed), hanging) for seed in args.seeds.split(",") for name in args.instances.split(",")
            for hanging in variants]

    def run(job):
        cmd = [sys.executable, __file__, "--one", job[0], str(job[1]), "--time-limit", str(args.time_limit),
               "--stall-factor", str(args.stall_factor)] + ([] if job[2] else ["--no-hanging"])
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        return json.loads(out.strip().splitlines()[-1])

    with ThreadPoolExecutor(max_workers=max(1, args.parallel)) as pool:
        rows = list(pool.map(run, jobs))
    for row in rows:
        print(json.dumps(row))
    for name in args.instances.split(","):
        for hanging in variants:
            bounds = [r["bound"] for r in rows if r["bound"] is not None and r["instance"] == name
                      and r["hanging"] == hanging]
            if bounds:
                print(f"{name}, hanging parts {'contracted' if hanging else 'kept'}: bound mean "
                      f"{sum(bounds) / len(bounds):.3f}, min {min(bounds):.3f}, max {max(bounds):.3f} "
                      f"over {len(bounds)} runs")


if __name__ == "__main__":
    main()
