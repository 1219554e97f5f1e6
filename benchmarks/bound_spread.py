"""How much the Stichtse Vecht lower bound at a fixed time varies with the seed and with machine load.

Column generation stops at its time limit, so its bound depends on HiGHS's search path. This script runs
``solve`` on the benchmark's Stichtse Vecht instances for several seeds, one process per run, ``--parallel``
runs at a time. It prints one JSON line per run and a summary. Not a test.

    .venv/bin/python benchmarks/bound_spread.py                          # K=7,8, seeds 1-3, one at a time
    .venv/bin/python benchmarks/bound_spread.py --parallel 2 --stall-factor 1   # the old rule, two at a time
    .venv/bin/python benchmarks/bound_spread.py --parallel 2 --compare-hanging  # with and without hanging parts,
                                                                                # each pair side by side
    .venv/bin/python benchmarks/bound_spread.py --parallel 2 --compare-root     # pricing per root against one
                                                                                # MIP over all roots, side by side
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent


def one(name: str, seed: int, limit: float, stall_factor: float, hanging: bool | None = None,
        by_root: bool = True) -> dict:
    """One solve in this process: objective, bound and gap. ``hanging=True`` contracts the hanging parts whatever
    the size, ``False`` none, ``None`` as ``solve`` does (only within the exact enumeration's 62 units).
    ``by_root=False``: the exact pricing as one MIP over all roots (the code before per-root pricing)."""
    from functools import partial

    sys.path.insert(0, str(HERE))
    from run import build

    from wijkindeling import optimise
    from wijkindeling.optimise import colgen as cg
    from wijkindeling.optimise import contract, solve

    cg.column_generation = partial(cg.column_generation, stall_factor=stall_factor, by_root=by_root)
    if hanging is True:
        optimise.contracted_core = contract.reduce
    elif hanging is False:
        contract.hanging_parts = lambda problem: []
    sol = solve(build(name), time_limit=limit, threads=1, seed=seed)
    return {"instance": name, "seed": seed, "stall_factor": stall_factor, "hanging": hanging, "by_root": by_root,
            "method": sol.details.get("method"), "cg_bound": sol.details.get("cg_bound"),
            "cg_iterations": sol.details.get("cg_iterations"),
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
                    help="run every instance and seed with and without contracting hanging parts (at any size), "
                         "side by side")
    ap.add_argument("--compare-root", action="store_true",
                    help="run every instance and seed with pricing per root and with one pricing MIP, side by side")
    ap.add_argument("--hanging", choices=("solve", "on", "off"), default="solve", help=argparse.SUPPRESS)
    ap.add_argument("--whole-pricing", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--one", nargs=2, metavar=("INSTANCE", "SEED"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        hanging = {"solve": None, "on": True, "off": False}[args.hanging]
        print(json.dumps(one(args.one[0], int(args.one[1]), args.time_limit, args.stall_factor, hanging,
                             by_root=not args.whole_pricing)))
        return
    variants = [True, False] if args.compare_hanging else [None]
    roots = [True, False] if args.compare_root else [True]
    jobs = [(name, int(seed), hanging, by_root) for seed in args.seeds.split(",") for name in args.instances.split(",")
            for hanging in variants for by_root in roots]

    def run(job):
        cmd = [sys.executable, __file__, "--one", job[0], str(job[1]), "--time-limit", str(args.time_limit),
               "--stall-factor", str(args.stall_factor), "--hanging", {None: "solve", True: "on", False: "off"}[job[2]]]
        if not job[3]:
            cmd.append("--whole-pricing")
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        return json.loads(out.strip().splitlines()[-1])

    with ThreadPoolExecutor(max_workers=max(1, args.parallel)) as pool:
        rows = list(pool.map(run, jobs))
    for row in rows:
        print(json.dumps(row))
    for name in args.instances.split(","):
        for hanging in variants:
            for by_root in roots:
                bounds = [r["bound"] for r in rows if r["bound"] is not None and r["instance"] == name
                          and r["hanging"] == hanging and r["by_root"] == by_root]
                if not bounds:
                    continue
                how = {None: "as solve does", True: "contracted", False: "kept"}[hanging]
                pricing = "per root" if by_root else "one MIP"
                print(f"{name}, hanging parts {how}, pricing {pricing}: bound mean "
                      f"{sum(bounds) / len(bounds):.3f}, min {min(bounds):.3f}, max {max(bounds):.3f} "
                      f"over {len(bounds)} runs")


if __name__ == "__main__":
    main()
