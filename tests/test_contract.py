"""Contracting units into blocks (optimise/contract.py) keeps every plan's cost; keep-together groups are
solved on the contracted problem with the same optimum. Real CBS data (Stichtse Vecht, Woerden)."""

from __future__ import annotations

from dataclasses import replace

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wijkindeling.optimise as opt
from wijkindeling import metrics
from wijkindeling.config import load_config
from wijkindeling.optimise import alternatives, solve
from wijkindeling.optimise import columns as col
from wijkindeling.optimise.contract import ContractionConflict, connected_groups, contract
from wijkindeling.optimise.heuristic import heuristic
from wijkindeling.problem import build_problem

from .conftest import CONFIGS
from .test_optimise import brute_force, connected_units, sub_problem


@pytest.fixture(scope="module")
def stichtse_vecht():
    """Stichtse Vecht (97 buurten) from the regional defaults, 7 areas at ±10 %."""
    cfg = load_config(CONFIGS / "regio-utrecht-noordwest.yaml")
    cfg = cfg.model_copy(update={"gemeentecode": "GM1904", "gemeente": "stichtsevecht"})
    return build_problem(cfg).with_k(7, 0.10)


def test_contracted_plans_cost_the_same_on_stichtse_vecht(stichtse_vecht):
    """Every CBS wijk that fits one area and is connected becomes one block; plans of the contracted problem,
    expanded, are valid plans of the original with the same objective, term by term."""
    p = stichtse_vecht
    pop = p.population
    parts = [m.tolist() for m in p.group_members
             if pop[m].sum() <= p.hi and nx.is_connected(p.graph.subgraph(m.tolist()))]
    small, of = contract(p, parts)
    assert small.n == p.n - sum(len(m) - 1 for m in parts) < p.n
    assert small.population.sum() == pop.sum()
    assert small.boundary_total == pytest.approx(p.boundary_total)
    heur = heuristic(small, time_limit=5, seed=2)
    assert len(heur.pool) >= 2
    for _, labels in heur.pool:
        big = labels[of]
        assert not metrics.violations(p, big)
        a, b = metrics.score(small, labels), metrics.score(p, big)
        for term in metrics.TERMS:
            assert getattr(a, term) == pytest.approx(getattr(b, term), abs=1e-9)
        member = np.stack([labels == k for k in range(small.k)])
        _, cost, const = col.district_costs(small, member)
        assert cost.sum() + const == pytest.approx(metrics.objective(p, big), abs=1e-9)


def test_contraction_refuses_a_block_with_two_locks(woerden):
    a, b = woerden.index("BU06320801"), woerden.index("BU06320802")
    locked = replace(woerden, locks={a: 0, b: 1})
    with pytest.raises(ContractionConflict):
        contract(locked, [[a, b]])


def test_keep_together_is_solved_contracted_with_the_same_optimum(woerden, monkeypatch):
    """Woerden K=6 with two real keep-together groups: the contracted solve is optimal, keeps the groups whole
    and has the optimum of the uncontracted model (rules as rows), computed with contraction switched off."""
    p = woerden.with_k(6, 0.10)
    groups = [[p.index("BU06320601"), p.index("BU06320602")],
              [p.index("BU06320101"), p.index("BU06320102"), p.index("BU06320103")]]
    assert len(connected_groups(replace(p, keep_together=groups))) == 2
    ruled = replace(p, keep_together=groups)
    sol = solve(ruled, time_limit=60, threads=1)
    assert sol.status == "optimal" and sol.details["contracted_units"] == p.n - 3
    assert not metrics.violations(ruled, sol.labels)
    assert sol.objective == pytest.approx(metrics.objective(ruled, sol.labels), abs=1e-9)
    monkeypatch.setattr(opt, "keep_together_core", lambda problem: None)
    plain = solve(ruled, time_limit=60, threads=1)
    assert plain.status == "optimal" and "contracted_units" not in plain.details
    assert sol.objective == pytest.approx(plain.objective, abs=1e-7)


def test_alternatives_of_a_contracted_problem_are_plans_of_the_original(woerden):
    p = woerden.with_k(6, 0.10)
    ruled = replace(p, keep_together=[[p.index("BU06320601"), p.index("BU06320602")]])
    plans = alternatives(ruled, 3, time_limit=60, threads=1)
    assert len(plans) == 3 and len({tuple(s.labels.tolist()) for s in plans}) == 3
    for s in plans:
        assert len(s.labels) == p.n and not metrics.violations(ruled, s.labels)
        assert s.objective == pytest.approx(metrics.objective(ruled, s.labels), abs=1e-9)


@settings(max_examples=10, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_property_keep_together_matches_brute_force(woerden, data):
    """Random connected sub-graphs of the real buurten with a keep-together pair (two neighbours): the solve
    (contracted) finds the brute-force optimum over plans that keep the pair together."""
    units = data.draw(connected_units(woerden, 4, 9))
    sub = sub_problem(woerden, units, min(data.draw(st.integers(2, 3)), len(units)),
                      data.draw(st.sampled_from([0.3, 0.5, 0.8])))
    if len(sub.edges) == 0:
        return
    i, j = sub.edges[data.draw(st.integers(0, len(sub.edges) - 1))]
    ruled = replace(sub, keep_together=[[int(i), int(j)]])
    sol = solve(ruled, time_limit=60, threads=1)
    truth = brute_force(ruled)
    if truth is None:
        assert sol.status == "infeasible"
        return
    assert sol.status == "optimal" and sol.details["contracted_units"] == sub.n - 1
    assert sol.labels[i] == sol.labels[j] and not metrics.violations(ruled, sol.labels)
    assert sol.objective == pytest.approx(truth, abs=1e-7)
