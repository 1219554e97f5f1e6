"""Benchmark: our optimiser vs GerryChain ReCom and spopt (AZP, MaxP) on the shipped CBS 2024 buurten.

Every plan is scored with ``wijkindeling.metrics`` (the same scores as the tool). Each (instance, tool)
runs in its own process so peak memory is per run. Not a test; needs ``pip install -e .[bench]``.

    .venv/bin/python benchmarks/run.py                 # everything, prints the table
    .venv/bin/python benchmarks/run.py --only woerden-4 --tools ours
    .venv/bin/python benchmarks/run.py --one woerden-4 ours   # one run, JSON on stdout (used internally)

Instances: Woerden K=4..8 (±10 %), Stichtse Vecht K=5..8 (±10 %), De Ronde Venen K=3..6 (±10 %), the six
municipalities together (197 buurten) K=20 (±15 %, no practices), Utrecht (configs/utrecht.yaml, 111 buurten)
K=31/37/42 (±15 %), and Stichtse Vecht K=6 (±10 %) with Verbindingswegen as a pass-through buurt
(data.adjacency.pass_through), and the region and Utrecht together (308 buurten) K=62 (±15 %). Woerden uses configs/woerden.yaml
(FICTIONAL example practices, estimated catchments); the others are built from the regional defaults.
GerryChain gets the same wall time as our run of the instance (best valid plan of the chain, with the
wijk surcharge); spopt has no population bounds, so its plans are scored but usually invalid.
"""

from __future__ import annotations

import argparse
import json
import resource
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TIME = {"woerden": 60.0, "derondevenen": 60.0, "stichtsevecht": 120.0, "regio": 60.0, "utrecht": 120.0,
        "stichtsevecht-pt": 120.0, "regio-utrecht": 60.0}
PASS_THROUGH = ["BU19041201"]  # Verbindingswegen, the road network of Maarssenbroek (configs/stichtse-vecht.yaml)


def instances() -> dict[str, tuple[str, str | None, int, float]]:
    """name -> (source, gemeentecode, K, tolerance)."""
    out = {}
    for k in range(4, 9):
        out[f"woerden-{k}"] = ("woerden", "GM0632", k, 0.10)
    for k in range(5, 9):
        out[f"stichtsevecht-{k}"] = ("stichtsevecht", "GM1904", k, 0.10)
    for k in range(3, 7):
        out[f"derondevenen-{k}"] = ("derondevenen", "GM0736", k, 0.10)
    out["regio-20"] = ("regio", None, 20, 0.15)
    for k in (31, 37, 42):
        out[f"utrecht-{k}"] = ("utrecht", "GM0344", k, 0.15)
    for k in (5, 6):  # Verbindingswegen as pass-through (data.adjacency): K=5 and 6 have no plan without it
        out[f"stichtsevecht-{k}-pt"] = ("stichtsevecht-pt", "GM1904", k, 0.10)
    out["regio-utrecht-62"] = ("regio-utrecht", None, 62, 0.15)
    out["regio-utrecht-62-20"] = ("regio-utrecht", None, 62, 0.20)  # feasible variants (issue 16: a first plan
    out["regio-utrecht-60"] = ("regio-utrecht", None, 60, 0.15)  # within 60 s on 300+ buurten where plans exist)
    return out


def city_and_region() -> Path:
    """The region's 197 buurten and Utrecht's 111 in one GeoPackage (308 buurten; as benchmarks/sessie.py builds it)."""
    import tempfile

    import geopandas as gpd
    import pandas as pd

    path = Path(tempfile.gettempdir()) / "wijkindeling-bench-regio-en-utrecht.gpkg"
    if not path.exists():
        parts = [gpd.read_file(ROOT / "boundaries" / name, layer="buurten")
                 for name in ("cbs_buurten_2024_regio_utrecht_nw.gpkg", "cbs_buurten_2024_utrecht.gpkg")]
        both = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=parts[0].crs)
        both.to_file(path, layer="buurten", driver="GPKG")
    return path


def build(name: str):
    from wijkindeling.build import build_problem
    from wijkindeling.config import load_config

    source, code, k, tol = instances()[name]
    if source == "woerden":
        cfg = load_config(ROOT / "configs" / "woerden.yaml")
    elif source == "utrecht":
        cfg = load_config(ROOT / "configs" / "utrecht.yaml")
    else:
        cfg = load_config(ROOT / "configs" / "regio-utrecht-noordwest.yaml")
        cfg = cfg.model_copy(update={"gemeentecode": code, "gemeente": source})
    if source == "regio-utrecht":
        cfg = cfg.model_copy(update={"data": cfg.data.model_copy(update={"buurten": city_and_region()})})
    if source == "stichtsevecht-pt":
        adjacency = cfg.data.adjacency.model_copy(update={"pass_through": PASS_THROUGH})
        cfg = cfg.model_copy(update={"data": cfg.data.model_copy(update={"adjacency": adjacency})})
    cfg = cfg.model_copy(update={"areas": cfg.areas.model_copy(update={"count": k, "tolerance": tol})})
    return build_problem(cfg).with_k(k, tol)


class _Timeout(Exception):
    pass


def _alarm(seconds: float):
    def handler(signum, frame):
        raise _Timeout()

    signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.1))


def _cancel():
    signal.setitimer(signal.ITIMER_REAL, 0)


def run_ours(problem, limit: float) -> dict:
    from wijkindeling.optimise import solve

    first = []

    def progress(d):
        if d.get("incumbent") is not None and not first:
            first.append(d["seconds"])

    t0 = time.perf_counter()
    sol = solve(problem, time_limit=limit, threads=1, seed=1, progress=progress)
    seconds = time.perf_counter() - t0
    status = sol.status_text()
    if sol.status == "gap":
        status += f" (bound {sol.bound:.3f})"
    if not sol.found and "seconds_to_verdict" in sol.details:
        status += f" (verdict in {sol.details['seconds_to_verdict']:.1f} s, then diagnosis)"
    if not sol.found and sol.message:
        status += ": " + sol.message
    return {"labels": None if sol.labels is None else sol.labels.tolist(), "seconds": seconds, "status": status,
            "first_plan_s": first[0] if first else None, "method": sol.details.get("method")}


def _gc_graph(problem):
    import networkx as nx

    g = nx.Graph()
    wijk = problem.buurten["wijkcode"].tolist() if problem.buurten is not None else [""] * problem.n
    for u in range(problem.n):
        g.add_node(u, population=int(problem.population[u]), wijk=str(wijk[u]))
    g.add_edges_from((int(i), int(j)) for i, j in problem.edges)
    return g


def run_gerrychain(problem, limit: float, seed: int = 1) -> dict:
    """ReCom from a recursive-tree initial plan; best valid plan (our objective) within ``limit`` seconds."""
    from functools import partial

    from gerrychain import Graph, MarkovChain, Partition, accept, constraints
    from gerrychain.partition import recursive_tree_part
    from gerrychain.proposals import recom
    from gerrychain.updaters import Tally

    from wijkindeling.model import metrics

    t0 = time.perf_counter()
    graph = Graph.from_networkx(_gc_graph(problem))
    target = problem.total / problem.k
    eps = max(problem.hi / target - 1, 1 - problem.lo / target)
    best, steps, status = None, 0, ""
    _alarm(limit)
    try:
        assignment = recursive_tree_part(graph, list(range(problem.k)), target, "population", eps, rng=seed)
        part = Partition(graph, assignment, updaters={"population": Tally("population", alias="population")})
        proposal = partial(recom, pop_col="population", pop_target=target, epsilon=eps, node_repeats=2,
                           region_surcharge={"wijk": 0.2}, rng=seed)
        chain = MarkovChain(proposal, constraints=[constraints.within_percent_of_ideal_population(part, eps)],
                            acceptance_fn=accept.always_accept, initial_state=part, total_steps=10**9, rng=seed)
        for state in chain:
            steps += 1
            labels = np.array([state.assignment[u] for u in range(problem.n)])
            if not metrics.violations(problem, labels):
                obj = metrics.objective(problem, labels)
                if best is None or obj < best[0]:
                    best = (obj, labels)
        status = "chain ended"
    except _Timeout:
        status = f"{steps} steps"
    except Exception as err:  # noqa: BLE001 (report any failure of the anchor)
        status = f"failed: {str(err).splitlines()[0][:70]}"
    finally:
        _cancel()
    if best is None and not status.startswith("failed"):
        status = f"no valid plan ({status})"
    return {"labels": None if best is None else best[1].tolist(), "seconds": time.perf_counter() - t0, "status": status}


def _spopt_frame(problem):
    import geopandas as gpd
    from libpysal.weights import W

    gdf = gpd.GeoDataFrame({"population": problem.population.astype(float), "u": range(problem.n)},
                           geometry=problem.buurten.geometry.values, crs=problem.buurten.crs)
    neighbours = {u: sorted(problem.graph.neighbors(u)) for u in range(problem.n)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = W(neighbours, silence_warnings=True)
    return gdf, w


def run_spopt(problem, limit: float, kind: str, seed: int = 1) -> dict:
    from spopt.region import AZP, MaxPHeuristic

    t0 = time.perf_counter()
    gdf, w = _spopt_frame(problem)
    _alarm(limit)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if kind == "azp":
                model = AZP(gdf, w, ["population"], n_clusters=problem.k, random_state=seed)
            else:
                np.random.seed(seed)
                model = MaxPHeuristic(gdf, w, ["population"], "population", problem.lo, top_n=2)
            model.solve()
        raw = np.asarray(model.labels_)
        _, labels = np.unique(raw, return_inverse=True)
        status = f"{len(set(labels.tolist()))} regions"
    except _Timeout:
        return {"labels": None, "seconds": time.perf_counter() - t0, "status": f"timeout {limit:.0f} s"}
    except Exception as err:  # noqa: BLE001
        return {"labels": None, "seconds": time.perf_counter() - t0, "status": f"failed: {str(err)[:60]}"}
    finally:
        _cancel()
    return {"labels": labels.tolist(), "seconds": time.perf_counter() - t0, "status": status}


def one(name: str, tool: str, limit: float) -> dict:
    problem = build(name)
    if tool == "ours":
        res = run_ours(problem, limit)
    elif tool == "gerrychain":
        res = run_gerrychain(problem, limit)
    else:
        res = run_spopt(problem, limit, tool)
    res["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return res


def score_row(name: str, tool: str, res: dict) -> dict:
    from wijkindeling.model import metrics

    problem = build(name)
    row = {"instance": name, "n": problem.n, "tool": tool, "valid": "–", "max_dev": None, "balance": None,
           "catchment": None, "identity": None, "compactness": None, "objective": None, **res}
    if res.get("labels") is not None:
        labels = np.asarray(res["labels"], dtype=int)
        k_found = int(labels.max()) + 1
        scored = problem if k_found == problem.k else problem.with_k(k_found)
        s = metrics.score(scored, labels)
        row.update(valid="yes" if (s.valid and k_found == problem.k) else "no", max_dev=s.max_population_deviation,
                   balance=s.balance, catchment=s.catchment, identity=s.identity, compactness=s.compactness,
                   objective=s.objective)
        if k_found != problem.k:
            row["status"] += f" (K={k_found}, not {problem.k})"
    return row


def table(rows: list[dict]) -> str:
    head = "| instance | n | tool | valid | max dev | balance | catchment | identity | compact | objective | time s | first plan s | peak MB | status |"
    lines = [head, "|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]

    def f(x, d=2, pct=False):
        if x is None:
            return "–"
        return f"{100 * x:.1f} %" if pct else f"{x:.{d}f}"

    for r in rows:
        lines.append(f"| {r['instance']} | {r['n']} | {r['tool']} | {r['valid']} | {f(r['max_dev'], pct=True)} | "
                     f"{f(r['balance'])} | {f(r['catchment'])} | {r['identity'] if r['identity'] is not None else '–'} | "
                     f"{f(r['compactness'])} | {f(r['objective'], 3)} | {r['seconds']:.1f} | "
                     f"{f(r.get('first_plan_s'), 1)} | {r['peak_mb']:.0f} | {r['status']} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--one", nargs=2, metavar=("INSTANCE", "TOOL"))
    ap.add_argument("--limit", type=float)
    ap.add_argument("--only", nargs="*", help="instance names (default: all)")
    ap.add_argument("--tools", nargs="*", default=["ours", "gerrychain", "azp", "maxp"])
    ap.add_argument("--json", type=Path, help="also save the rows as JSON")
    args = ap.parse_args()
    if args.one:
        name, tool = args.one
        limit = args.limit or TIME[instances()[name][0]]
        print(json.dumps(one(name, tool, limit)))
        return
    rows = []
    for name in args.only or list(instances()):
        ours_seconds = None
        for tool in args.tools:
            limit = TIME[instances()[name][0]] if tool == "ours" else max(ours_seconds or TIME[instances()[name][0]], 2.0)
            proc = subprocess.run([sys.executable, __file__, "--one", name, tool, "--limit", str(limit)],
                                  capture_output=True, text=True, timeout=limit * 3 + 120)
            if proc.returncode != 0:
                res = {"labels": None, "seconds": float("nan"), "peak_mb": float("nan"),
                       "status": "crashed: " + (proc.stderr.strip().splitlines() or ["?"])[-1][:80]}
            else:
                res = json.loads(proc.stdout.strip().splitlines()[-1])
            if tool == "ours":
                ours_seconds = res["seconds"]
            row = score_row(name, tool, res)
            rows.append(row)
            print(table([row]).splitlines()[-1], flush=True)
    print()
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps([{k: v for k, v in r.items() if k != "labels"} for r in rows], indent=1))


if __name__ == "__main__":
    main()
