"""Data, graph, catchments and metrics on the real Woerden buurten."""

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest

from wijkindeling.model import metrics
from wijkindeling.model.graph import adjacency_graph

from .conftest import BUURTEN_GPKG


def test_woerden_buurten_are_the_cbs_ones(woerden):
    raw = gpd.read_file(BUURTEN_GPKG)
    raw = raw[raw.gemeentecode == "GM0632"]
    assert woerden.n == 31 == len(raw)
    assert woerden.total == 53725 == raw.aantal_inwoners.sum()
    assert sorted(woerden.codes) == woerden.codes


def test_adjacency_uses_shared_boundaries_not_points(woerden):
    # The data README: 69 buurt pairs in Woerden share a boundary.
    assert len(woerden.edges) == 69
    assert (woerden.edge_length > 1.0).all()
    assert nx.is_connected(woerden.graph)
    assert woerden.provenance.synthetic_edges == []


def test_point_contact_is_not_adjacency():
    from shapely.geometry import box

    squares = gpd.GeoDataFrame(
        {"buurtcode": ["A", "B", "C"], "buurtnaam": ["a", "b", "c"], "population": [1, 1, 1]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 1, 3, 2)],  # C touches B in one corner only
        crs="EPSG:28992",
    )
    graph = adjacency_graph(squares)
    assert graph.has_edge("A", "B") and not graph.has_edge("B", "C")
    assert graph.edges["A", "B"]["length"] == pytest.approx(1.0)


def test_estimated_catchments_cover_everyone(woerden):
    assert woerden.provenance.catchment_estimated is True
    assert woerden.provenance.practices_fictional is True
    assert woerden.patients.shape == (12, 31)
    # Huff shares sum to the buurt's inhabitants
    np.testing.assert_allclose(woerden.patients.sum(axis=0), woerden.population, rtol=1e-9)
    # a practice draws most from nearby buurten: each practice's largest buurt is within 2 km of it
    buurten = woerden.buurten.set_index("buurtcode")
    for p, row in enumerate(woerden.practices.itertuples()):
        top = woerden.codes[int(np.argmax(woerden.patients[p] / np.maximum(woerden.population, 1)))]
        assert buurten.geometry[top].distance(row.geometry) < 2000


def test_identity_groups_include_wijken_and_kernen(woerden):
    kinds = pd.Series([g.kind for g in woerden.groups]).value_counts().to_dict()
    assert kinds["kern"] == 3  # Woerden, Harmelen, Kamerik (Zegveld has one buurt: never split)
    assert kinds["wijk"] == 8


def test_metrics_on_cbs_wijken_division(woerden):
    """Score the CBS-wijken division and check every number against a direct computation."""
    wijken = sorted(woerden.buurten["wijkcode"].unique())
    labels = np.array([wijken.index(w) for w in woerden.buurten["wijkcode"]])
    problem = woerden.with_k(len(wijken), 0.10)
    s = metrics.score(problem, labels)
    by_wijk = woerden.buurten.groupby("wijkcode")["population"].sum()
    assert s.populations == [int(by_wijk[w]) for w in wijken]
    # wijken are never split; kern Woerden spans wijken 01-03, so it is 3 pieces = 2 extra
    assert s.identity_splits == 2
    assert s.split_groups == ["Woerden"]
    assert not s.valid and any("below the minimum" in v for v in s.violations)


def test_cut_boundary_equals_perimeter_identity(woerden):
    """Sum of area perimeters minus the municipality's perimeter = twice the cut boundary."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, woerden.k, woerden.n)
    labels[: woerden.k] = np.arange(woerden.k)
    geoms = woerden.buurten.geometry
    perimeters = sum(geoms[labels == k].union_all().length for k in range(woerden.k))
    outer = geoms.union_all().length
    assert metrics.cut_boundary_km(woerden, labels) == pytest.approx((perimeters - outer) / 2 / 1000, rel=1e-6)


def test_islands_are_not_relinked_through_a_barrier():
    from shapely.geometry import box

    from wijkindeling.model.barriers import barrier_result, without_edges
    from wijkindeling.model.graph import connect_islands

    row = gpd.GeoDataFrame(
        {"buurtcode": ["A", "B", "C"], "buurtnaam": ["a", "b", "c"], "population": [1, 1, 1]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(0, 1.5, 2, 2)],  # C lies 0.5 above A and B, touching neither
        crs="EPSG:28992",
    )
    removed = barrier_result(adjacency_graph(row), "remove", [["A", "B"]], []).removed
    graph = without_edges(adjacency_graph(row), removed)
    added = connect_islands(graph, row, "connect_nearest", avoid=frozenset(frozenset(e) for e in removed))
    assert not graph.has_edge("A", "B")  # the barrier stays
    assert nx.is_connected(graph) and all(graph.edges[e]["synthetic"] for e in added)
