"""Contracting units into blocks (optimise/contract.py) keeps every plan's cost; keep-together groups are
solved on the contracted problem with the same optimum. Real CBS data (Stichtse Vecht, Woerden)."""

from __future__ import annotations

from dataclasses import replace

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import wijkindeling.optimise.strategy as opt
from wijkindeling.build import build_problem
from wijkindeling.config import load_config
from wijkindeling.model import metrics
from wijkindeling.optimise import alternatives, districts, solve
from wijkindeling.optimise.contract import ContractionConflict, connected_groups, contract, hanging_parts, reduce
from wijkindeling.optimise.heuristic import heuristic

from .conftest import CONFIGS
from .recompute import independent_objective
from .test_optimise import brute_force, connected_units, sub_problem, valid_plans


@pytest.fixture(scope="module")
def stichtse_vecht():
    """Stichtse Vecht (97 buurten) from the regional defaults, 7 areas at ±10 %."""
    cfg = load_config(CONFIGS / "regio-utrecht-noordwest.yaml")
    cfg = cfg.model_copy(update={"gemeentecode": "GM1904", "gemeente": "stichtsevecht"})
    return build_problem(cfg).with_k(7, 0.10)


@pytest.mark.slow
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
        _, cost, const = districts.district_costs(small, member)
        assert cost.sum() + const == pytest.approx(metrics.objective(p, big), abs=1e-9)


def test_contraction_refuses_a_block_with_two_locks(woerden):
    a, b = woerden.index("BU06320801"), woerden.index("BU06320802")
    locked = replace(woerden, locks={a: 0, b: 1})
    with pytest.raises(ContractionConflict):
        contract(locked, [[a, b]])


@pytest.mark.slow
def test_keep_together_is_solved_contracted_with_the_same_optimum(woerden, monkeypatch):
    """Woerden K=6 with two real keep-together groups: the contracted solve is optimal, keeps the groups whole
    and has the optimum of the uncontracted model (rules as rows), computed with contraction switched off."""
    p = woerden.with_k(6, 0.10)
    groups = [[p.index("BU06320601"), p.index("BU06320602")],
              [p.index("BU06320101"), p.index("BU06320102"), p.index("BU06320103")]]
    assert len(connected_groups(replace(p, keep_together=groups))) == 2
    ruled = replace(p, keep_together=groups)
    sol = solve(ruled, time_limit=60, threads=1)
    assert sol.status == "optimal" and sol.details["contracted_units"] == reduce(ruled)[0].n < reduce(p)[0].n
    assert not metrics.violations(ruled, sol.labels)
    monkeypatch.setattr(opt, "contracted_core", lambda problem: None)
    plain = solve(ruled, time_limit=60, threads=1)
    assert plain.status == "optimal" and "contracted_units" not in plain.details
    assert sol.objective == pytest.approx(plain.objective, abs=1e-7)
    assert independent_objective(ruled, sol.labels) == pytest.approx(plain.objective, abs=1e-7)


@pytest.mark.slow
def test_alternatives_of_a_contracted_problem_are_plans_of_the_original(woerden):
    p = woerden.with_k(6, 0.10)
    ruled = replace(p, keep_together=[[p.index("BU06320601"), p.index("BU06320602")]])
    plans = alternatives(ruled, 3, time_limit=60, threads=1)
    assert len(plans) == 3 and len({tuple(s.labels.tolist()) for s in plans}) == 3
    for s in plans:
        assert len(s.labels) == p.n and not metrics.violations(ruled, s.labels)
        assert independent_objective(ruled, s.labels) == pytest.approx(s.objective, abs=1e-9)
    assert [s.objective for s in plans] == sorted(s.objective for s in plans)


@pytest.mark.slow
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
    assert sol.status == "optimal" and sol.details["contracted_units"] == reduce(ruled)[0].n <= sub.n - 1
    assert sol.labels[i] == sol.labels[j] and not metrics.violations(ruled, sol.labels)
    assert sol.objective == pytest.approx(truth, abs=1e-7)


@pytest.mark.slow
def test_hanging_parts_of_woerden_are_whole_in_the_optimum(woerden, monkeypatch):
    """Woerden K=6: parts too small for an area that hang on one buurt (the villages Harmelen, Kamerik and
    Zegveld are reached only through their buitengebied) are contracted (31 -> 25 units); the optimum, computed with contraction switched off, keeps every
    such part in its buurt's area, and the contracted solve reaches the same optimum."""
    p = woerden.with_k(6, 0.10)
    parts = hanging_parts(p)
    assert parts and all(p.population[part[1:]].sum() < p.lo for part in parts)
    assert ["Buitengebied Kamerik", "Kamerik (dorp)"] in [[p.names[u] for u in part] for part in parts]
    small, of = reduce(p)
    assert small.n == 25 and small.population.sum() == p.population.sum()
    sol = solve(p, time_limit=60, threads=1)
    assert sol.status == "optimal" and sol.details["contracted_units"] == small.n
    monkeypatch.setattr(opt, "contracted_core", lambda problem: None)
    plain = solve(p, time_limit=60, threads=1)
    assert plain.status == "optimal" and sol.objective == pytest.approx(plain.objective, abs=1e-7)
    for part in parts:
        assert len(set(plain.labels[part].tolist())) == 1


@pytest.mark.slow
@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_property_every_valid_plan_keeps_hanging_parts_whole(woerden, data):
    """Random connected sub-graphs of the real buurten: in every valid plan (brute force) each hanging part
    lies in one area, so contracting them loses no plan."""
    units = data.draw(connected_units(woerden, 4, 9))
    sub = sub_problem(woerden, units, min(data.draw(st.integers(2, 3)), len(units)),
                      data.draw(st.sampled_from([0.1, 0.3, 0.5])))
    parts = hanging_parts(sub)
    cut = set(nx.articulation_points(sub.graph))
    for part in parts:  # which rule made it: a small part with its buurt, or a part holding one area
        event("small part" if part[0] in cut and sub.population[part[1:]].sum() < sub.lo else "one-area part")
    for labels in valid_plans(sub):
        for part in parts:
            assert len(set(labels[part].tolist())) == 1


@pytest.mark.slow
def test_stichtse_vecht_parts_behind_verbindingswegen(stichtse_vecht):
    """Stichtse Vecht K=7: the small parts behind Verbindingswegen join its area, and the two parts of 9,050 and
    8,830 inhabitants behind it each hold exactly one area of their own (97 -> 76 units). Plans found on the
    uncontracted problem keep every block whole."""
    p = stichtse_vecht
    small, of = reduce(p)
    assert small.n == 76
    sizes = sorted(int(p.population[of == b].sum()) for b in range(small.n) if (of == b).sum() > 1)
    assert 9050 in sizes and 8830 in sizes
    heur = heuristic(p, time_limit=5, seed=1)
    assert len(heur.pool) >= 2
    for _, labels in heur.pool:
        assert not metrics.violations(p, labels)
        for b in range(small.n):
            assert len(set(labels[of == b].tolist())) == 1


@pytest.mark.slow
def test_hanging_parts_are_contracted_only_for_the_exact_enumeration(stichtse_vecht, woerden):
    """Woerden (25 units after contraction) goes to the exact enumeration contracted; Stichtse Vecht (76 units,
    above the enumeration's 62) keeps its 97 buurten for column generation (see contracted_core)."""
    small, _ = opt.contracted_core(woerden.with_k(6, 0.10))
    assert small.n == 25
    assert reduce(stichtse_vecht)[0].n == 76 and opt.contracted_core(stichtse_vecht) is None
    sol = solve(stichtse_vecht, time_limit=3, threads=1)
    assert "contracted_units" not in sol.details
