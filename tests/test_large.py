"""Large instances (issue 16): the region north-west of Utrecht and Utrecht together, 308 real CBS buurten.

At 62 areas of ±15 % no plan exists, which the partner-shortage check proves from the graph alone (checked here
again with networkx); at ±20 % (and at 60 areas, see benchmarks/RESULTS.md) a plan exists and the split into the
city (exact model) and the rest (heuristic) finds one, checked here by an independent recomputation.
"""

from __future__ import annotations

from dataclasses import replace

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wijkindeling.build import build_problem
from wijkindeling.config import load_config
from wijkindeling.model import metrics
from wijkindeling.optimise import solve
from wijkindeling.optimise.decompose import parts_by_code, subproblem
from wijkindeling.optimise.diagnosis import shortage_causes
from wijkindeling.optimise.local_proof import partner_shortage, shortage_proof

from .conftest import CONFIGS
from .test_city import check_plan, utrecht  # noqa: F401 (the fixture)
from .test_optimise import small_instances, sub_problem, valid_plans

pytestmark = pytest.mark.slow  # building the 308-buurt problem alone takes seconds; the split solve about a minute


@pytest.fixture(scope="module")
def region_and_city(tmp_path_factory):
    """The region's 197 buurten and Utrecht's 111 in one problem (as ``benchmarks/run.py`` builds it), K=62 ±15 %."""
    root = CONFIGS.parent / "boundaries"
    parts = [gpd.read_file(root / name, layer="buurten")
             for name in ("cbs_buurten_2024_regio_utrecht_nw.gpkg", "cbs_buurten_2024_utrecht.gpkg")]
    path = tmp_path_factory.mktemp("large") / "buurten.gpkg"
    gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=parts[0].crs).to_file(path, layer="buurten",
                                                                                     driver="GPKG")
    cfg = load_config(CONFIGS / "regio-utrecht-noordwest.yaml")
    cfg = cfg.model_copy(update={"gemeente": "regio-utrecht", "gemeentecode": None,
                                 "data": cfg.data.model_copy(update={"buurten": path})})
    return build_problem(cfg).with_k(62, 0.15)


def test_partner_shortage_proves_62_areas_at_15_percent_infeasible(region_and_city):
    p = region_and_city
    assert p.n == 308
    found = shortage_proof(p)
    assert found is not None and len(found.needy) > len(found.partners)
    pop, lo, hi, g = p.population, p.lo, p.hi, p.graph
    for a in found.needy:
        assert pop[a] < lo  # needs a neighbour in its area
        assert all(pop[a] + pop[b] > hi for b in found.needy if b != a)  # no two share an area
        for v in g.neighbors(a):
            if v in found.partners or pop[a] + pop[v] > hi:
                continue
            # any other neighbour carries a part that hangs on it and must join its area: too much with ``a``
            rest = g.subgraph([u for u in g if u != v])
            hanging = [c for c in nx.connected_components(rest) if a not in c and pop[list(c)].sum() < lo]
            assert hanging and pop[a] + pop[v] + sum(pop[list(c)].sum() for c in hanging) > hi
    names = {p.names[u] for u in found.needy}
    assert names == {"Vleuterweide-West", "Vleuterweide-Zuid"}
    phrase = shortage_causes(p)[0].text("en")
    assert "Haarzuilens en omgeving" in phrase and "need 2 such partners but there is only 1" in phrase
    sol = solve(p, time_limit=30, threads=1, explain=False)
    assert sol.status == "infeasible" and sol.details["method"] == "partner-shortage"
    assert sol.details["seconds_to_verdict"] < 10


def test_split_finds_a_valid_plan_at_20_percent(region_and_city):
    p = region_and_city.with_k(62, 0.20)
    assert shortage_proof(p) is None  # a plan exists, so no proof may claim otherwise
    sol = solve(p, time_limit=60, threads=1, seed=1, explain=False)
    assert sol.found and sol.details["method"] == "split"
    assert not metrics.violations(p, sol.labels)
    check_plan(p, sol.labels, 62, 0.20)  # contiguity, bounds and K recomputed independently


def test_parts_and_subproblem_keep_units_edges_and_bounds(region_and_city):
    p = region_and_city
    parts = parts_by_code(p)
    assert parts is not None and parts[0].dense and len(parts[0].units) == 111  # Utrecht, the densest
    assert sorted(np.concatenate([q.units for q in parts]).tolist()) == list(range(p.n))
    sub = subproblem(p, parts[0].units, 40)
    assert (sub.lo, sub.hi, sub.k) == (p.lo, p.hi, 40)
    inside = set(parts[0].units.tolist())
    expected = {(int(i), int(j)) for i, j in p.edges if i in inside and j in inside}
    assert {(int(parts[0].units[i]), int(parts[0].units[j])) for i, j in sub.edges} == expected
    assert partner_shortage(sub) is not None  # Utrecht alone cannot hold these bounds: the city needs the region


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                 HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_partner_shortage_means_brute_force_finds_no_plan(utrecht, data):  # noqa: F811 (the fixture)
    """On random connected sets of 4-9 real Utrecht buurten: whenever the check (with contraction) claims a
    shortage, brute force finds no plan; and it claims one on at least some of them (see the last test)."""
    drawn = data.draw(small_instances(utrecht))
    if drawn is None:
        return
    p, _ = drawn
    if shortage_proof(p) is not None:
        assert not any(True for _ in valid_plans(p))


def test_a_shortage_on_a_real_sub_instance_agrees_with_brute_force(utrecht):  # noqa: F811 (the fixture)
    """Vleuterweide-West and -Zuid with their neighbours at Utrecht's own bounds: the check finds a shortage and
    brute force finds no plan for any number of areas."""
    core = [utrecht.names.index(n) for n in ("Vleuterweide-West", "Vleuterweide-Zuid")]
    units = sorted(set(core) | {v for u in core for v in utrecht.graph[u]})
    for k in range(2, len(units) + 1):
        p = replace(sub_problem(utrecht, units, k, 0.15), lo=utrecht.lo, hi=utrecht.hi)
        assert shortage_proof(p) is not None
        assert not any(True for _ in valid_plans(p))
