"""Column generation bound (optimise/cg.py) and the K=1 shortcut, on the real Woerden data."""

from __future__ import annotations

import time

import numpy as np
import pytest

from wijkindeling.model import metrics
from wijkindeling.optimise import colgen as cg
from wijkindeling.optimise import districts, solve
from wijkindeling.optimise import exact as col
from wijkindeling.optimise.heuristic import heuristic

from .recompute import independent_objective


@pytest.fixture(scope="module")
def woerden6(woerden):
    return woerden.with_k(6, 0.10)


@pytest.fixture(scope="module")
def heur(woerden6):
    """The heuristic's plans for Woerden K=6 (six restarts, well within the limit: the same plans every run)."""
    return heuristic(woerden6, time_limit=10, seed=1, restarts=6)


@pytest.mark.slow
def test_pricing_costs_match_district_costs(woerden6):
    """The pricing MIP's optimum equals cost(S) - pi(S) of the district it returns (same cost model)."""
    p = woerden6
    rng = np.random.default_rng(3)
    pi = rng.uniform(0, 4, p.n)
    pricer = cg.Pricer(p, threads=1)
    lb, found = pricer.price(pi, time_limit=20)
    assert found and lb is not None
    S = found[-1]
    _, c, _ = districts.district_costs(p, S[None, :])
    assert c[0] - S.astype(float) @ pi == pytest.approx(lb, abs=1e-5)
    assert p.lo <= p.population[S].sum() <= p.hi


@pytest.mark.slow
def test_cg_bound_is_valid_and_reaches_the_lp(woerden6, heur):
    """Bound <= every heuristic plan and <= the proven optimum; at convergence it equals the full LP."""
    p = woerden6
    plans = [labels for _, labels in heur.pool]
    res = cg.column_generation(p, plans, deadline=time.perf_counter() + 25, threads=1)
    assert res.bound is not None
    for obj, labels in heur.pool:
        assert res.bound <= obj + 1e-6
        assert obj == pytest.approx(districts.plan_cost(p, labels), abs=1e-9)  # the pool's value, by the district model
    cols = col.build_columns(p)
    lp = col.lp_bound(p, cols, col.plan_masks(p, heur.labels), time.perf_counter() + 30)
    exact = col.solve_exact(p, cols, lp, heur.objective, heur.labels, time.perf_counter() + 30)
    assert exact.status == "optimal"
    assert res.bound <= exact.objective + 1e-6
    if res.converged:  # the LP with the group cuts: at least the plain LP, at most the optimum
        assert lp.value - 1e-5 <= res.bound <= exact.objective + 1e-6
    labels, obj = cg.master_ip(p, res, time_limit=10)
    assert labels is not None and not metrics.violations(p, labels)
    assert obj == pytest.approx(metrics.objective(p, labels), abs=1e-6)


def test_group_cuts_hold_for_every_valid_plan(woerden6, heur):
    """A group with more inhabitants than the maximum touches at least ceil(P / hi) areas in any valid plan."""
    p = woerden6
    groups, need = cg.group_cuts(p)
    pops = [p.population[p.group_members[g]].sum() for g in groups]
    assert len(groups) and all(pop > p.hi for pop in pops)  # Woerden's town kern is far above one area
    assert need.tolist() == [float(np.ceil(pop / p.hi)) for pop in pops]
    touch = districts.group_matrix(p, groups)
    assert len(heur.pool) >= 2
    for _, labels in heur.pool:
        areas_touching = ((cg.plan_members(p, labels).astype(int) @ touch.T.astype(int)) > 0).sum(axis=0)
        assert (areas_touching >= need).all()


def test_recom_pool_districts_are_valid(woerden6, heur):
    """Every pool district is connected, within the bounds, and new ones appear beyond the start plans."""
    import networkx as nx

    from wijkindeling.optimise.pool import recom_pool

    p = woerden6
    pool = recom_pool(p, [labels for _, labels in heur.pool], deadline=time.perf_counter() + 2, seed=1)
    starts = {np.packbits(m).tobytes() for _, labels in heur.pool for m in cg.plan_members(p, labels)}
    assert len({np.packbits(m).tobytes() for m in pool} - starts) > 100
    pops = pool.astype(float) @ p.population
    assert ((pops >= p.lo - 1e-9) & (pops <= p.hi + 1e-9)).all()
    for m in pool[:: max(1, len(pool) // 200)]:
        assert nx.is_connected(p.graph.subgraph(np.flatnonzero(m).tolist()))


def test_k1_returns_at_once(woerden):
    """One area holds everything: no imbalance, no patient outside, no group split, no boundary cut, so the
    objective is 0 whatever the weights (recomputed from the data too, not only read from the solution)."""
    p = woerden.with_k(1, 0.10)
    t0 = time.perf_counter()
    sol = solve(p, time_limit=20, threads=1)
    assert time.perf_counter() - t0 < 2
    assert sol.status == "optimal" and sol.found and set(sol.labels.tolist()) == {0}
    assert sol.objective == pytest.approx(0.0, abs=1e-9)
    assert independent_objective(p, sol.labels) == pytest.approx(0.0, abs=1e-9)


@pytest.mark.slow
def test_k2_respects_time_limit(woerden):
    t0 = time.perf_counter()
    sol = solve(woerden.with_k(2, 0.10), time_limit=8, threads=1)
    assert time.perf_counter() - t0 < 8 + 2
    assert sol.found and not metrics.violations(woerden.with_k(2, 0.10), sol.labels)


@pytest.mark.slow
def test_a_pricing_call_that_finds_and_proves_nothing_is_not_repeated_as_is(woerden6, heur, monkeypatch):
    """When the exact pricing adds no district and proves no bound, the duals stay put; the next call must get
    more time (twice as much) instead of running the same search again."""
    limits = []

    class Enough(Exception):
        """Ends the run once five pricing calls were seen (so the test does not depend on the machine's speed)."""

    class Stuck:
        def __init__(self, problem, threads=1, seed=1, cuts=None):
            pass

        def price(self, pi, time_limit, gap=0.0, sigma=None):
            limits.append(time_limit)
            if len(limits) > 5:
                raise Enough
            return -1e6, []  # a hopeless bound and nothing found, as from a pricing MIP stopped by its time limit

    monkeypatch.setattr(cg, "Pricer", Stuck)
    with pytest.raises(Enough):
        cg.column_generation(woerden6, [heur.labels], deadline=time.perf_counter() + 300, threads=1, price_limit=0.001,
                             pool_share=0.0, by_root=False, smooth=0.0)  # the stub prices at the master's duals
    loop = limits[1:]  # the first call prices the start centre
    assert len(loop) >= 4
    assert loop[:4] == pytest.approx([0.001, 0.002, 0.004, 0.008])
