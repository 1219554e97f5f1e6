"""Column generation bound (optimise/cg.py) and the K=1 shortcut, on the real Woerden data."""

from __future__ import annotations

import time

import numpy as np
import pytest

from wijkindeling import metrics
from wijkindeling.optimise import cg, solve
from wijkindeling.optimise import columns as col
from wijkindeling.optimise.heuristic import heuristic


@pytest.fixture(scope="module")
def woerden6(woerden):
    return woerden.with_k(6, 0.10)


def test_pricing_costs_match_district_costs(woerden6):
    """The pricing MIP's optimum equals cost(S) - pi(S) of the district it returns (same cost model)."""
    p = woerden6
    rng = np.random.default_rng(3)
    pi = rng.uniform(0, 4, p.n)
    pricer = cg.Pricer(p, threads=1)
    lb, found = pricer.price(pi, time_limit=20)
    assert found and lb is not None
    S = found[-1]
    _, c, _ = col.district_costs(p, S[None, :])
    assert c[0] - S.astype(float) @ pi == pytest.approx(lb, abs=1e-5)
    assert p.lo <= p.population[S].sum() <= p.hi


def test_cg_bound_is_valid_and_reaches_the_lp(woerden6):
    """Bound <= every heuristic plan and <= the proven optimum; at convergence it equals the full LP."""
    p = woerden6
    heur = heuristic(p, time_limit=2, seed=1)
    plans = [labels for _, labels in heur.pool]
    res = cg.column_generation(p, plans, deadline=time.perf_counter() + 25, threads=1)
    assert res.bound is not None
    for obj, labels in heur.pool:
        assert res.bound <= obj + 1e-6
        assert obj == pytest.approx(metrics.objective(p, labels))
    cols = col.build_columns(p)
    lp = col.lp_bound(p, cols, col.plan_masks(p, heur.labels), time.perf_counter() + 30)
    exact = col.solve_exact(p, cols, lp, heur.objective, heur.labels, time.perf_counter() + 30)
    assert exact.status == "optimal"
    assert res.bound <= lp.value + 1e-6 <= exact.objective + 2e-6
    if res.converged:
        assert res.bound == pytest.approx(lp.value, abs=1e-5)
    labels, obj = cg.master_ip(p, res, time_limit=10)
    assert labels is not None and not metrics.violations(p, labels)
    assert obj == pytest.approx(metrics.objective(p, labels), abs=1e-6)


def test_k1_returns_at_once(woerden):
    t0 = time.perf_counter()
    sol = solve(woerden.with_k(1, 0.10), time_limit=20, threads=1)
    assert time.perf_counter() - t0 < 2
    assert sol.status == "optimal" and sol.found and set(sol.labels.tolist()) == {0}
    assert sol.objective == pytest.approx(metrics.objective(woerden.with_k(1, 0.10), sol.labels))


def test_k2_respects_time_limit(woerden):
    t0 = time.perf_counter()
    sol = solve(woerden.with_k(2, 0.10), time_limit=8, threads=1)
    assert time.perf_counter() - t0 < 8 + 2
    assert sol.found and not metrics.violations(woerden.with_k(2, 0.10), sol.labels)
