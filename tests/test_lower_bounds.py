"""Lower bounds of column generation (optimise/colgen.py) checked against brute force on the real Woerden data.

Woerden K=6 (31 buurten) is small enough to list every connected district within the bounds
(``exact.build_columns``), so the least reduced cost and the optimum are known exactly; the pricing per root
(``Pricer.price_by_root``) and the bound built from it must never exceed them.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from wijkindeling.model import metrics
from wijkindeling.optimise import colgen as cg
from wijkindeling.optimise import districts, solve
from wijkindeling.optimise import exact as col


@pytest.fixture(scope="module")
def woerden6(woerden):
    return woerden.with_k(6, 0.10)


@pytest.fixture(scope="module")
def every_district(woerden6):
    """(C, n) bool and (C,) cost: every connected district within the bounds that breaks no rule."""
    cols = col.build_columns(woerden6)
    member = cols.members(woerden6.n)
    _, cost, _ = districts.district_costs(woerden6, member)
    return member, cost


def _brute_min(problem, member, cost, pi, sigma) -> float:
    """The least ``cost(S) - pi(S) - sigma(cut groups S touches)`` over the listed districts."""
    groups, _ = cg.group_cuts(problem)
    touch = districts.group_matrix(problem, groups)
    sigma = np.zeros(len(groups)) if sigma is None else sigma
    return float(cg.reduced_costs(member, cost, pi, 0.0, sigma, touch).min())


def test_a_district_lies_in_the_reach_of_its_lowest_unit(woerden6, every_district):
    member, _ = every_district
    reach = np.array(cg.root_reach(woerden6))
    lowest = member.argmax(axis=1)
    assert not (member & ~reach[lowest]).any()
    assert reach.sum() < 0.5 * woerden6.n ** 2  # the restriction removes units (else the check above says little)


@pytest.mark.slow
def test_pricing_per_root_finds_the_least_reduced_cost(woerden6, every_district):
    """At random duals the per-root pricing's bound equals the brute-force minimum (and never exceeds it), and
    the districts it reports have the reduced cost it claims to have found."""
    p = woerden6
    member, cost = every_district
    pricer = cg.Pricer(p, threads=1)
    groups, _ = cg.group_cuts(p)
    rng = np.random.default_rng(5)
    for _ in range(3):
        pi = rng.uniform(0, 30, p.n) * p.population / p.population.mean() / 6
        sigma = rng.uniform(0, 2, len(groups))
        brute = _brute_min(p, member, cost, pi, sigma)
        bound, found = pricer.price_by_root(pi, time.perf_counter() + 60, sigma=sigma)
        assert bound is not None
        assert brute - 1e-4 <= bound <= brute + 1e-9
        assert found
        best_found = _brute_min(p, np.array(found), districts.district_costs(p, np.array(found))[1], pi, sigma)
        assert best_found == pytest.approx(brute, abs=1e-4)
        whole, _ = pricer.price(pi, time_limit=60, sigma=sigma)  # the MIP over all roots agrees
        assert whole == pytest.approx(bound, abs=1e-4)


@pytest.mark.slow
def test_a_cutoff_never_lifts_the_pricing_bound(woerden6, every_district):
    """Roots are pruned at the cutoff; with a cutoff below the minimum the bound is (about) the cutoff, so still
    below the minimum; with one above it the minimum itself."""
    p = woerden6
    member, cost = every_district
    pricer = cg.Pricer(p, threads=1)
    pi = np.random.default_rng(8).uniform(0, 6, p.n)
    brute = _brute_min(p, member, cost, pi, None)
    low, _ = pricer.price_by_root(pi, time.perf_counter() + 60, cutoff=brute - 1.0)
    high, _ = pricer.price_by_root(pi, time.perf_counter() + 60, cutoff=brute + 1.0)
    assert low is not None and high is not None
    assert low <= brute - 1.0 + 1e-9
    assert brute - 1e-4 <= high <= brute + 1e-9


@pytest.mark.slow  # 4 s (saves and draws scenarios, or lists every valid plan): not in the fast tier
def test_the_capacity_bound_holds_for_every_valid_plan(woerden6):
    """The rounded-capacity bound against the proven optimum of Woerden K=4..6 (±10 %; K=7 and 8 have no plan):
    above 0 (Woerden's town kern needs several areas) and never above the optimum's identity term."""
    for k in (4, 5, 6):
        p = woerden6.with_k(k, 0.10)
        exact = solve(p, time_limit=60, threads=1, seed=1)
        assert exact.status == "optimal" and exact.labels is not None
        floor = cg.capacity_bound(p)
        identity = p.weights.identity * metrics.identity_term(p, exact.labels)
        assert 0 < floor <= identity <= exact.objective


@pytest.mark.slow
def test_the_bound_with_pricing_per_root_stays_below_the_proven_optimum(woerden6):
    """Column generation with the per-root pricing on Woerden K=6 (20 s): its bound is at most the optimum that
    the exact method proves and at least the capacity bound it is combined with."""
    p = woerden6
    exact = solve(p, time_limit=60, threads=1, seed=1)
    assert exact.status == "optimal" and exact.objective is not None
    res = cg.column_generation(p, [exact.labels], deadline=time.perf_counter() + 20, threads=1)
    assert res.bound is not None
    assert cg.capacity_bound(p) <= res.bound <= exact.objective + 1e-6


def test_smoothed_pricing_still_gets_more_time_when_it_stalls(woerden6, monkeypatch):
    """With smoothing, a call at the smoothed point that gives the master nothing is followed by one at the
    master's duals with the same time; when that one also finds and proves nothing, the time doubles (the rule of
    ``stall_factor``), and a smoothed call in between does not reset it."""
    limits: list[float] = []

    class Enough(Exception):
        pass

    class Stuck:
        def __init__(self, problem, threads=1, seed=1, cuts=None):
            pass

        def price_by_root(self, pi, deadline, sigma=None, cutoff=np.inf):
            limits.append(deadline - time.perf_counter())
            if len(limits) > 5:
                raise Enough
            return -1e6, []

    plan = solve(woerden6, time_limit=30, threads=1, seed=1).labels
    monkeypatch.setattr(cg, "Pricer", Stuck)
    with pytest.raises(Enough):
        cg.column_generation(woerden6, [plan], deadline=time.perf_counter() + 300, threads=1, price_limit=1.0,
                             pool_share=0.0, smooth=0.5)
    loop = limits[1:]  # the first call prices the start centre
    assert loop == pytest.approx([1.0, 1.0, 2.0, 2.0, 4.0][:len(loop)], abs=0.05) and len(loop) >= 4
