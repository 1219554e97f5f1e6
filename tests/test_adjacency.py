"""Adjacency that matches how people move (``data.adjacency``, issue 16): gaps and pass-through buurten.

Checked on the real shipped CBS data against independent recomputations with shapely: the added
graph contains the original one, gap pairs are exactly the pairs within the distance, plans are
contiguous in the graph they were solved on, and every added pair is visible (provenance,
metrics.json, map).
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import geopandas as gpd
import networkx as nx
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString
from shapely.ops import nearest_points

from wijkindeling.build import build_problem
from wijkindeling.cli import main
from wijkindeling.config import load_config
from wijkindeling.errors import ConfigError
from wijkindeling.model.graph import adjacency_graph, gap_edges, pass_through_edges, road_edges
from wijkindeling.optimise import solve

from .conftest import BUURTEN_GPKG, CONFIGS, write_config

STICHTSE_VECHT = CONFIGS / "stichtse-vecht.yaml"
UTRECHT = CONFIGS / "utrecht.yaml"
UTRECHT_GPKG = CONFIGS.parent / "boundaries" / "cbs_buurten_2024_utrecht.gpkg"
VERBINDINGSWEGEN, FAZANTENKAMP, DUIVENKAMP = "BU19041201", "BU19041203", "BU19041208"
MUNICIPALITIES = ("GM0335", "GM0589", "GM0331", "GM0632", "GM1904")  # Montfoort .. Stichtse Vecht

SETTINGS = settings(max_examples=12, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def region_buurten() -> dict[str, gpd.GeoDataFrame]:
    """Each municipality's buurten in standard columns (read directly, not through the package's loader)."""
    raw = gpd.read_file(BUURTEN_GPKG, layer="buurten").rename(columns={"aantal_inwoners": "population"})
    return {code: raw[raw.gemeentecode == code].sort_values("buurtcode").reset_index(drop=True) for code in MUNICIPALITIES}


def shared_m(a, b) -> float:
    return a.boundary.intersection(b.boundary).length


def brute_gap_pairs(buurten: gpd.GeoDataFrame, max_gap_m: float) -> set[tuple[str, str]]:
    """All pairs within max_gap_m that share less than 1 m of boundary, by comparing every pair."""
    geom = dict(zip(buurten.buurtcode, buurten.geometry))
    return {(a, b) for a, b in itertools.combinations(sorted(geom), 2)
            if geom[a].distance(geom[b]) <= max_gap_m and shared_m(geom[a], geom[b]) < 1.0}


# ---------------------------------------------------------------- the graph functions (property tests)


@SETTINGS
@given(muni=st.sampled_from(MUNICIPALITIES), gap=st.floats(0.0, 400.0), data=st.data())
def test_added_graph_contains_the_original_and_adds_exactly_the_pairs_within_the_rules(region_buurten, muni, gap, data):
    buurten = region_buurten[muni]
    graph = adjacency_graph(buurten)
    codes = sorted(buurten.buurtcode)
    through = data.draw(st.lists(st.sampled_from(codes), max_size=3, unique=True))
    distance = data.draw(st.floats(1.0, 500.0))
    original = {frozenset(e) for e in graph.edges}
    gaps = gap_edges(buurten, graph, gap)
    crossing = pass_through_edges(buurten, graph, through, distance)
    assert {frozenset(e) for e in graph.edges} == original  # the functions do not change the graph
    # Gap pairs are exactly the pairs a brute-force comparison finds (0 m adds nothing).
    assert {tuple(e["buurten"]) for e in gaps} == (brute_gap_pairs(buurten, gap) if gap > 0 else set())
    geom = dict(zip(buurten.buurtcode, buurten.geometry))
    for e in crossing:
        a, b = e["buurten"]
        via = e["via"]
        assert frozenset((a, b)) not in original and via in through
        assert graph.has_edge(a, via) and graph.has_edge(b, via)  # both are neighbours of the pass-through buurt
        assert geom[a].distance(geom[b]) <= distance + 1e-6
        assert abs(e["distance_m"] - geom[a].distance(geom[b])) <= 0.05
    extended = graph.copy()
    for e in gaps + crossing:
        extended.add_edge(*e["buurten"])
    assert original <= {frozenset(e) for e in extended.edges}
    assert nx.number_connected_components(extended) <= nx.number_connected_components(graph)


@SETTINGS
@given(gap=st.floats(0.0, 300.0), through=st.lists(st.sampled_from(["BU06320103", "BU06320201", "BU06320304", "BU06320503"]),
                                                    max_size=2, unique=True))
def test_build_problem_keeps_every_original_edge_and_records_every_added_one(tmp_path_factory, gap, through):
    """Woerden through the whole build: original edges kept, added ones = the problem's extra edges = provenance."""
    tmp = tmp_path_factory.mktemp("adj")
    plain = build_problem(load_config(CONFIGS / "woerden.yaml"))
    cfg = load_config(write_config(tmp, {"data": {"adjacency": {"max_gap_m": gap, "pass_through": through}}}))
    problem = build_problem(cfg)
    before = {frozenset((plain.codes[i], plain.codes[j])) for i, j in plain.edges}
    after = {frozenset((problem.codes[i], problem.codes[j])) for i, j in problem.edges}
    recorded = {frozenset(e["buurten"]) for e in problem.provenance.adjacency_edges_added}
    assert before <= after
    assert after - before == recorded
    assert len(recorded) == len(problem.provenance.adjacency_edges_added)  # each pair once
    assert all(e["reason"] in ("gap", "pass_through") for e in problem.provenance.adjacency_edges_added)


@pytest.mark.slow
@settings(max_examples=6, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(muni=st.sampled_from(["montfoort", "oudewater", "lopik"]), gap=st.sampled_from([0.0, 50.0, 400.0]),
       through=st.booleans(), k=st.integers(2, 3))
def test_plans_are_contiguous_in_the_graph_they_were_solved_on(tmp_path_factory, muni, gap, through, k):
    """Solve small real municipalities on an extended graph; every area is connected in that graph (recomputed
    from the original polygons plus the recorded added pairs, not from the problem's own edges)."""
    tmp = tmp_path_factory.mktemp("solve")
    base = CONFIGS / f"{muni}.yaml"
    first = build_problem(load_config(base))
    hub = max(first.codes, key=lambda c: first.graph.degree(first.codes.index(c))) if through else None
    adjacency = {"max_gap_m": gap, "pass_through": [hub] if hub else []}
    cfg = load_config(write_config(tmp, {"data": {"adjacency": adjacency}, "areas": {"count": k, "tolerance": 0.5}}, extends=base))
    problem = build_problem(cfg)
    solution = solve(problem, time_limit=5, threads=1, explain=False)
    assert solution.labels is not None
    solved_on = adjacency_graph(problem.buurten)
    solved_on.add_edges_from(e["buurten"] for e in problem.provenance.adjacency_edges_added)
    solved_on.add_edges_from(problem.provenance.synthetic_edges)
    for area in range(k):
        members = [c for c, label in zip(problem.codes, solution.labels) if label == area]
        assert members and nx.is_connected(solved_on.subgraph(members))


def test_default_adds_nothing(woerden):
    assert woerden.provenance.adjacency_edges_added == []


def test_a_pair_a_barrier_removed_is_not_added_back(tmp_path, woerden):
    a, b = (woerden.codes[i] for i in woerden.edges[0])
    cfg = load_config(write_config(tmp_path, {"data": {"adjacency": {"max_gap_m": 50}}, "barriers": {"pairs": [[a, b]]}}))
    problem = build_problem(cfg)
    pos = {c: i for i, c in enumerate(problem.codes)}
    assert not problem.graph.has_edge(pos[a], pos[b])
    assert [a, b] not in [e["buurten"] for e in problem.provenance.adjacency_edges_added]


def test_unknown_pass_through_code_is_one_sentence_naming_the_field(tmp_path):
    path = write_config(tmp_path, {"data": {"adjacency": {"pass_through": ["BU99999999"]}}})
    with pytest.raises(ConfigError) as err:
        build_problem(load_config(path))
    msg = str(err.value)
    assert "data.adjacency.pass_through" in msg and "BU99999999" in msg and str(path) in msg
    assert msg.endswith(".") and msg.count(". ") == 0 and "\n" not in msg
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2 and "data.adjacency.pass_through" in result.output


# ---------------------------------------------------------------- Stichtse Vecht and Verbindingswegen


def test_fazantenkamp_and_duivenkamp_face_each_other_across_verbindingswegen(region_buurten):
    """On the real data: both touch Verbindingswegen, not each other; the shortest line between them runs through it."""
    geom = dict(zip(region_buurten["GM1904"].buurtcode, region_buurten["GM1904"].geometry))
    road, fazant, duif = geom[VERBINDINGSWEGEN], geom[FAZANTENKAMP], geom[DUIVENKAMP]
    assert shared_m(fazant, road) > 100 and shared_m(duif, road) > 100
    assert fazant.distance(duif) > 10  # not neighbours: a gap of road between them
    line = LineString(nearest_points(fazant, duif))
    assert line.intersection(road).length >= 0.9 * line.length
    # Without pass-through they are not neighbours; with it they are, via Verbindingswegen.
    graph = adjacency_graph(region_buurten["GM1904"])
    assert not graph.has_edge(FAZANTENKAMP, DUIVENKAMP)
    added = pass_through_edges(region_buurten["GM1904"], graph, [VERBINDINGSWEGEN], 250.0)
    pair = [e for e in added if e["buurten"] == [FAZANTENKAMP, DUIVENKAMP]]
    assert len(pair) == 1 and pair[0]["via"] == VERBINDINGSWEGEN and pair[0]["distance_m"] == pytest.approx(fazant.distance(duif), abs=0.05)


@pytest.fixture(scope="module")
def sv_pass_through_run(tmp_path_factory) -> Path:
    """``propose -k 6`` on Stichtse Vecht with Verbindingswegen as pass-through; the scenario folder."""
    tmp = tmp_path_factory.mktemp("sv")
    path = write_config(tmp, {"data": {"adjacency": {"pass_through": [VERBINDINGSWEGEN]}},
                              "areas": {"count": 6, "tolerance": 0.10}}, extends=STICHTSE_VECHT)
    result = CliRunner().invoke(main, ["propose", str(path), "--time-limit", "8", "--scenario", "pt"])
    assert result.exit_code == 0, result.output
    return tmp / "outputs" / "stichtse-vecht" / "pt"


@pytest.mark.slow
def test_stichtse_vecht_k6_with_pass_through_has_a_plan_contiguous_in_its_own_graph(sv_pass_through_run, region_buurten):
    """A valid plan at K=6 ±10 % (none exists without the pass-through); checked against an independent graph."""
    metrics = json.loads((sv_pass_through_run / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["scores"]["valid"] is True
    added = metrics["provenance"]["adjacency_edges_added"]
    assert [FAZANTENKAMP, DUIVENKAMP] in [e["buurten"] for e in added]
    assert all(e["reason"] == "pass_through" and e["via"] == VERBINDINGSWEGEN for e in added)
    buurten = region_buurten["GM1904"]
    plain = adjacency_graph(buurten)
    solved_on = plain.copy()
    solved_on.add_edges_from(e["buurten"] for e in added)
    plan = gpd.pd.read_csv(sv_pass_through_run / "plan.csv", dtype=str)
    assert sorted(plan.buurtcode) == sorted(buurten.buurtcode)
    pop = dict(zip(buurten.buurtcode, buurten.population))
    lo, hi = metrics["population_min"], metrics["population_max"]
    uses_added = False
    for _area, rows in plan.groupby(plan.columns[1]):
        members = list(rows.buurtcode)
        assert lo <= sum(pop[c] for c in members) <= hi
        assert nx.is_connected(solved_on.subgraph(members))
        uses_added |= not nx.is_connected(plain.subgraph(members))
    assert uses_added  # K=6 ±10 % is impossible on the plain graph, so some area needs an added pair


@pytest.mark.slow
def test_added_pairs_are_drawn_on_the_map(sv_pass_through_run):
    html = (sv_pass_through_run / "map.html").read_text(encoding="utf-8")
    assert "Toegevoegde buren" in html and "wk-added-edge" in html
    assert "Fazantenkamp \\u2013 Duivenkamp" in html and "Verbindingswegen heen" in html


def test_stichtse_vecht_shipped_config_keeps_the_plain_graph():
    """The pass-through is offered in the shipped config as a comment only: its results stay as they were."""
    assert load_config(STICHTSE_VECHT).data.adjacency.pass_through == []
    assert f"pass_through: [{VERBINDINGSWEGEN}]" in STICHTSE_VECHT.read_text(encoding="utf-8")


# ---------------------------------------------------------------- OSM roads


def write_road_osm(path: Path, buurten: gpd.GeoDataFrame, start: str, end: str) -> LineString:
    """An OSM XML file with one road (a test fixture, not real OSM data): a straight residential road between
    the representative points of two buurten. Returns the road in RD New."""
    geom = dict(zip(buurten.buurtcode, buurten.geometry))
    a, b = geom[start].representative_point(), geom[end].representative_point()
    wgs = gpd.GeoSeries([a, b], crs=28992).to_crs(4326)
    nodes = "".join(f'<node id="{i + 1}" lat="{p.y:.8f}" lon="{p.x:.8f}" version="1"/>' for i, p in enumerate(wgs))
    path.write_text(f'<?xml version="1.0"?><osm version="0.6" generator="wijkindeling test fixture (not real OSM data)">{nodes}'
                    '<way id="10" version="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="residential"/></way></osm>',
                    encoding="utf-8")
    return LineString([a, b])


def test_a_road_joins_two_buurten_only_when_it_passes_no_third_one(region_buurten):
    buurten = region_buurten["GM1904"]
    graph = adjacency_graph(buurten)
    geom = dict(zip(buurten.buurtcode, buurten.geometry))
    road = LineString([geom[FAZANTENKAMP].representative_point(), geom[DUIVENKAMP].representative_point()])
    assert road.intersection(geom[VERBINDINGSWEGEN]).length > 100  # the straight road crosses Verbindingswegen
    assert road_edges(buurten, graph, [road]) == []  # Verbindingswegen is the connection, not the road
    (edge,) = road_edges(buurten, graph, [road], [VERBINDINGSWEGEN])
    assert edge["buurten"] == [FAZANTENKAMP, DUIVENKAMP] and edge["reason"] == "road"
    # A road between two buurten that are neighbours already, or within one buurt, adds nothing.
    inside = LineString([geom[FAZANTENKAMP].representative_point(), geom[VERBINDINGSWEGEN].representative_point()])
    assert road_edges(buurten, graph, [inside], [VERBINDINGSWEGEN]) == []


def test_osm_roads_from_a_local_file_add_a_visible_edge(tmp_path, region_buurten):
    osm_file = tmp_path / "road.osm"
    write_road_osm(osm_file, region_buurten["GM1904"], FAZANTENKAMP, DUIVENKAMP)
    adjacency = {"osm_roads": True, "pass_through": [VERBINDINGSWEGEN], "pass_through_m": 1.0}  # 1 m: the pass-through rule adds nothing here
    path = write_config(tmp_path, {"data": {"adjacency": adjacency}, "distances": {"osm_file": str(osm_file)}}, extends=STICHTSE_VECHT)
    problem = build_problem(load_config(path))
    assert problem.provenance.adjacency_edges_added == [
        {"buurten": [FAZANTENKAMP, DUIVENKAMP], "reason": "road", "distance_m": pytest.approx(31.6, abs=0.1), "via": None}]
    pos = {c: i for i, c in enumerate(problem.codes)}
    assert problem.graph.has_edge(pos[FAZANTENKAMP], pos[DUIVENKAMP])
    without = write_config(tmp_path, {"data": {"adjacency": {**adjacency, "pass_through": []}}, "distances": {"osm_file": str(osm_file)}},
                           name="zonder.yaml", extends=STICHTSE_VECHT)
    assert build_problem(load_config(without)).provenance.adjacency_edges_added == []


# ---------------------------------------------------------------- init flags pass-through buurten


def test_init_flags_verbindingswegen_and_the_lines_work_when_uncommented(tmp_path):
    out = tmp_path / "sv.yaml"
    result = CliRunner().invoke(main, ["init", "GM1904", "--out", str(out), "--region", str(CONFIGS / "regio-utrecht-noordwest.yaml")])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    flagged = [line for line in text.splitlines() if line.startswith("#       - BU")]
    codes = [line.split()[2] for line in flagged]
    assert VERBINDINGSWEGEN in codes and "Verbindingswegen: 320 inhabitants" in text
    assert "BU19041210" not in codes  # Zebraspoor is a residential buurt, not a railway
    assert load_config(out).data.adjacency.pass_through == []  # only a suggestion
    # Uncommented by the adviser (only Verbindingswegen): a valid config with more neighbours.
    lines = []
    for line in text.splitlines():
        if line in ("# data:", "#   adjacency:") or line.startswith("#     pass_through") or line.startswith(f"#       - {VERBINDINGSWEGEN}"):
            line = line[2:]
        lines.append(line)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cfg = load_config(out)
    assert cfg.data.adjacency.pass_through == [VERBINDINGSWEGEN]
    problem = build_problem(cfg)
    assert [FAZANTENKAMP, DUIVENKAMP] in [e["buurten"] for e in problem.provenance.adjacency_edges_added]


# ---------------------------------------------------------------- Utrecht


def test_utrecht_validates_on_the_shipped_city_data():
    result = CliRunner().invoke(main, ["validate", str(UTRECHT)])
    assert result.exit_code == 0, result.output
    raw = gpd.read_file(UTRECHT_GPKG, layer="buurten")
    problem = build_problem(load_config(UTRECHT))
    assert problem.n == len(raw) == 111
    assert problem.total == int(raw.aantal_inwoners.sum()) == 374200
    assert problem.k == 42 and problem.provenance.gemeentecode == "GM0344"
    assert len(problem.groups) == raw.wijkcode.nunique() == 10  # the CBS wijken are the identity groups
    assert problem.provenance.adjacency_edges_added == []
    assert yaml.safe_load(UTRECHT.read_text(encoding="utf-8"))["practices"]["source"] == "none"  # no practice list invented
