"""OpenStreetMap inputs (issue 7) on small OSM XML files the tests write themselves.

TEST FIXTURE, NOT REAL OSM DATA: every way and node below is invented by this file and placed
over the real Woerden buurten (CBS 2024, EPSG:28992) by converting RD coordinates to WGS84
with pyproj, so that e.g. the fixture "motorway" runs along the real shared boundary of
Molenvliet-West and Molenvliet-Oost. The real osmnx parsing code reads these files.
"""

from __future__ import annotations

import json
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx
import pytest
import requests
from pyproj import Transformer
from shapely.geometry import LineString

from wijkindeling.build import build_barriers, build_problem
from wijkindeling.config import load_config
from wijkindeling.errors import DataError
from wijkindeling.model import metrics
from wijkindeling.model.barriers import shared_boundary, without_edges
from wijkindeling.model.catchments import straight_distances
from wijkindeling.model.graph import adjacency_graph
from wijkindeling.sources import osm
from wijkindeling.sources.buurten import load_buurten
from wijkindeling.sources.practices import load_practices

from .conftest import WOERDEN, write_config

TO_WGS84 = Transformer.from_crs("EPSG:28992", "EPSG:4326", always_xy=True)
MOTORWAY_PAIR = ("BU06320202", "BU06320203")  # Molenvliet-West | Molenvliet-Oost
RIVER_PAIR = ("BU06320401", "BU06320402")  # Rietveld | Barwoutswaarder
GP_BUURTEN = {"BU06320101": "Testpraktijk Binnenstad", "BU06320303": "Testpraktijk Snel en Polanen", "BU06320202": "Testpraktijk Molenvliet"}
GRID = (118000.0, 453600.0, 123200.0, 456800.0, 400.0)  # x0, y0, x1, y1, spacing of the fixture street grid


class OsmXml:
    """A tiny OSM XML writer: nodes and ways given in RD New, written in WGS84."""

    def __init__(self) -> None:
        self.root = ET.Element("osm", version="0.6", generator="wijkindeling test fixture (not real OSM data)")
        self.next_id = 1000
        self.at: dict[tuple[float, float], int] = {}

    def node(self, x: float, y: float, tags: dict | None = None, shared: bool = True) -> int:
        key = (round(x, 3), round(y, 3))
        if shared and not tags and key in self.at:
            return self.at[key]
        self.next_id += 1
        lon, lat = TO_WGS84.transform(x, y)
        el = ET.SubElement(self.root, "node", id=str(self.next_id), lat=f"{lat:.8f}", lon=f"{lon:.8f}", version="1")
        for k, v in (tags or {}).items():
            ET.SubElement(el, "tag", k=k, v=v)
        if shared and not tags:
            self.at[key] = self.next_id
        return self.next_id

    def way(self, coords, tags: dict, shared: bool = True) -> int:
        refs = [self.node(x, y, shared=shared) for x, y in coords]
        self.next_id += 1
        el = ET.SubElement(self.root, "way", id=str(self.next_id), version="1")
        for ref in refs:
            ET.SubElement(el, "nd", ref=str(ref))
        for k, v in tags.items():
            ET.SubElement(el, "tag", k=k, v=v)
        return self.next_id

    def write(self, path: Path) -> Path:
        ET.ElementTree(self.root).write(path, encoding="utf-8", xml_declaration=True)
        return path


def _offset_extended(line: LineString, offset: float, extend: float) -> list[tuple[float, float]]:
    """The line moved ``offset`` m sideways and extended ``extend`` m at both ends (a 'road along a boundary')."""
    moved = line.offset_curve(offset)
    xy = np.asarray(moved.coords)
    head = xy[0] + (xy[0] - xy[1]) / np.linalg.norm(xy[0] - xy[1]) * extend
    tail = xy[-1] + (xy[-1] - xy[-2]) / np.linalg.norm(xy[-1] - xy[-2]) * extend
    return [tuple(head), *map(tuple, xy), tuple(tail)]


@pytest.fixture(scope="module")
def buurten():
    return load_buurten(load_config(WOERDEN))


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Tests never touch the network: any HTTP request or online osmnx query fails loudly."""

    def refuse(*args, **kwargs):
        raise requests.ConnectionError("network disabled in tests")

    monkeypatch.setattr(requests.sessions.Session, "request", refuse)
    monkeypatch.setattr(osmnx, "features_from_polygon", refuse)
    monkeypatch.setattr(osmnx, "graph_from_polygon", refuse)


@pytest.fixture(scope="module")
def fixture_osm(buurten, tmp_path_factory) -> Path:
    """Write the fixture .osm: a motorway, a river, a railway, a street grid, doctors and a pharmacy."""
    geom = dict(zip(buurten["buurtcode"], buurten.geometry))
    xml = OsmXml()
    motorway = shared_boundary(geom[MOTORWAY_PAIR[0]], geom[MOTORWAY_PAIR[1]])
    xml.way(_offset_extended(motorway, 20.0, 300.0), {"highway": "motorway", "name": "Fixture-snelweg", "ref": "A99"}, shared=False)
    river = shared_boundary(geom[RIVER_PAIR[0]], geom[RIVER_PAIR[1]])
    xml.way(_offset_extended(river, -30.0, 200.0), {"waterway": "river", "name": "Fixture-rivier"}, shared=False)
    # a railway crossing the town north-south: it cuts boundaries but runs along none of them
    xml.way([(120700.0, 453400.0), (120700.0, 457000.0)], {"railway": "rail", "name": "Fixture-spoor"}, shared=False)
    x0, y0, x1, y1, step = GRID
    xs, ys = np.arange(x0, x1 + 1, step), np.arange(y0, y1 + 1, step)
    for y in ys:
        xml.way([(x, y) for x in xs], {"highway": "residential", "name": f"Fixture-straat {y:.0f}"})
    for x in xs:
        xml.way([(x, y) for y in ys], {"highway": "residential", "name": f"Fixture-laan {x:.0f}"})
    # a diagonal footpath: walkers may use it, cars may not
    xml.way([(x0 + i * step, y0 + i * step) for i in range(len(ys))], {"highway": "footway"})
    for code, name in GP_BUURTEN.items():
        p = geom[code].representative_point()
        if code == "BU06320202":  # mapped as a building outline, as OSM often does
            xml.way([(p.x - 10, p.y - 10), (p.x + 10, p.y - 10), (p.x + 10, p.y + 10), (p.x - 10, p.y + 10), (p.x - 10, p.y - 10)],
                    {"building": "yes", "amenity": "doctors", "name": name}, shared=False)
        elif code == "BU06320303":
            xml.node(p.x, p.y, {"healthcare": "general_practitioner", "name": name})
        else:
            xml.node(p.x, p.y, {"amenity": "doctors", "name": name, "healthcare": "doctor"})
            xml.node(p.x + 20, p.y, {"amenity": "doctors", "name": name})  # the same practice mapped twice
            xml.node(p.x + 60, p.y + 40, {"amenity": "pharmacy", "name": "Testapotheek Binnenstad"})
    q = geom["BU06320104"].representative_point()
    xml.node(q.x, q.y, {"amenity": "doctors", "healthcare:speciality": "dermatology", "name": "Testhuidarts"})
    town = buurten.geometry.union_all()
    west = min(town.exterior.coords if town.geom_type == "Polygon" else [c for g in town.geoms for c in g.exterior.coords])
    xml.node(west[0] - 800, west[1], {"amenity": "doctors", "name": "Testpraktijk buiten de gemeente"})
    xml.node(west[0] - 5000, west[1], {"amenity": "doctors", "name": "Testpraktijk ver weg"})
    return xml.write(tmp_path_factory.mktemp("osm") / "woerden-fixture.osm")


def apply_barriers(cfg, buurten, graph):
    """(edges removed, edges penalised) by the config's barriers; ``graph`` is left as it is."""
    result, _ = build_barriers(cfg, buurten, graph)
    return result.removed, result.penalised


def _cfg(tmp_path: Path, **overrides):
    return load_config(write_config(tmp_path, overrides))


# --------------------------------------------------------------------------- practices


def test_practices_parsed_from_osm_xml_with_names_ids_and_tags(tmp_path, fixture_osm, buurten):
    cfg = _cfg(tmp_path, practices={"source": "osm", "path": str(fixture_osm), "fictional": False})
    with pytest.warns(UserWarning, match="1 OSM practices lie outside"):
        practices = load_practices(cfg, buurten)
    assert sorted(practices["name"]) == sorted(GP_BUURTEN.values())  # no dermatologist, no duplicate, none outside
    assert practices["osm_id"].str.match(r"^(node|way)/\d+$").all()
    assert set(practices["osm_id"].str.split("/").str[0]) == {"node", "way"}  # the building outline is a way
    tags = {name: json.loads(t) for name, t in zip(practices["name"], practices["osm_tags"])}
    assert tags["Testpraktijk Snel en Polanen"]["healthcare"] == "general_practitioner"
    assert not practices["fictional"].any()
    home = gpd.sjoin(practices, buurten, predicate="within").set_index("name")["buurtcode"].to_dict()
    assert home == {name: code for code, name in GP_BUURTEN.items()}
    features, _ = osm.practice_features(cfg, buurten)
    assert list(features.loc[features["kind"] == "apotheek", "name"]) == ["Testapotheek Binnenstad"]


def test_practices_online_fetch_writes_cache_that_later_runs_read_offline(tmp_path, fixture_osm, buurten, monkeypatch):
    calls = []

    def fake_online(polygon, tags):  # stands in for the Overpass API: the same parser on the fixture
        calls.append(tags)
        return osmnx.features_from_xml(fixture_osm, polygon=polygon, tags=tags)

    cache = tmp_path / "cache" / "praktijken.gpkg"
    cfg = _cfg(tmp_path, practices={"source": "osm", "path": None, "cache": str(cache)})
    monkeypatch.setattr(osmnx, "features_from_polygon", fake_online)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        first = load_practices(cfg, buurten)
    assert len(calls) == 1 and cache.exists()
    assert set(gpd.list_layers(cache)["name"]) == {"practices", "pharmacies"}

    def offline(*args, **kwargs):
        raise AssertionError("the cache must be used")

    monkeypatch.setattr(osmnx, "features_from_polygon", offline)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        again = load_practices(cfg, buurten)
        pointed = load_practices(_cfg(tmp_path, practices={"source": "osm", "path": str(cache)}), buurten)
    features, _ = osm.practice_features(_cfg(tmp_path, practices={"source": "osm", "path": str(cache)}), buurten)
    assert list(features.loc[features["kind"] == "apotheek", "name"]) == ["Testapotheek Binnenstad"]
    for other in (again, pointed):
        assert list(other["practice_id"]) == list(first["practice_id"])
        assert list(other["osm_tags"]) == list(first["osm_tags"])
        assert np.allclose(other.geometry.x, first.geometry.x)


def test_no_network_and_no_cache_is_one_sentence_naming_the_cache(tmp_path, buurten):
    cfg = _cfg(tmp_path, practices={"source": "osm", "path": None})
    with pytest.raises(DataError) as err:
        load_practices(cfg, buurten)
    msg = str(err.value)
    cache = osm.default_cache(cfg, "praktijken.gpkg")
    assert msg.startswith(f"{cfg.source_file}: no OpenStreetMap GP practices at {cache}") and "(no connection)" in msg
    assert "internet" in msg and "practices.path" in msg
    assert "\n" not in msg and msg.endswith(".") and not cache.exists()


# --------------------------------------------------------------------------- barriers


def test_motorway_along_a_real_boundary_removes_exactly_that_adjacency(tmp_path, fixture_osm, buurten):
    cfg = _cfg(tmp_path, barriers={"osm": ["motorway"], "osm_file": str(fixture_osm)})
    graph = adjacency_graph(buurten)
    before = set(map(frozenset, graph.edges))
    removed, penalised = apply_barriers(cfg, buurten, graph)
    assert removed == [MOTORWAY_PAIR]
    after = without_edges(graph, removed)
    assert set(map(frozenset, graph.edges)) == before  # the graph passed in is not changed
    assert before - set(map(frozenset, after.edges)) == {frozenset(MOTORWAY_PAIR)} and not penalised


def test_barrier_classes_select_lines_and_a_crossing_line_cuts_nothing(tmp_path, fixture_osm, buurten):
    both = _cfg(tmp_path, barriers={"osm": ["motorway", "waterway=river"], "osm_file": str(fixture_osm)})
    assert sorted(apply_barriers(both, buurten, adjacency_graph(buurten))[0]) == sorted([MOTORWAY_PAIR, RIVER_PAIR])
    rail = _cfg(tmp_path, barriers={"osm": ["railway"], "osm_file": str(fixture_osm)})
    lines = osm.osm_barrier_lines(rail, buurten)
    assert list(lines["kind"]) == ["railway"] and lines.length.iloc[0] > 3000
    assert apply_barriers(rail, buurten, adjacency_graph(buurten))[0] == []


def test_penalise_mode_keeps_the_edge_and_marks_it(tmp_path, fixture_osm, buurten):
    cfg = _cfg(tmp_path, barriers={"osm": ["motorway", "river"], "osm_file": str(fixture_osm), "mode": "penalise", "penalty": 4})
    problem = build_problem(cfg)
    i, j = problem.index(MOTORWAY_PAIR[0]), problem.index(MOTORWAY_PAIR[1])
    assert problem.graph.has_edge(i, j)
    assert problem.graph[i][j]["cost"] == pytest.approx(4 * problem.graph[i][j]["length"])
    assert problem.provenance.barrier_edges_penalised == sorted([list(MOTORWAY_PAIR), list(RIVER_PAIR)])
    assert problem.provenance.barrier_edges_removed == []


def test_unknown_barrier_class_is_a_config_error(tmp_path, fixture_osm, buurten):
    cfg = _cfg(tmp_path, barriers={"osm": ["snelweg"], "osm_file": str(fixture_osm)})
    with pytest.raises(Exception, match="unknown class 'snelweg'.*waterway=canal"):
        osm.osm_barrier_lines(cfg, buurten)


def test_online_barriers_are_cached_and_missing_cache_offline_says_how_to_fill_it(tmp_path, fixture_osm, buurten, monkeypatch):
    cfg = _cfg(tmp_path, barriers={"osm": ["motorway", "river"]})
    with pytest.raises(DataError, match=r"no OpenStreetMap barrier lines at .*barrieres-[0-9a-f]{8}\.gpkg.*internet"):
        osm.osm_barrier_lines(cfg, buurten)
    monkeypatch.setattr(osmnx, "features_from_polygon", lambda polygon, tags: osmnx.features_from_xml(fixture_osm, polygon=polygon, tags=tags))
    online = osm.osm_barrier_lines(cfg, buurten)
    monkeypatch.setattr(osmnx, "features_from_polygon", lambda *a, **k: pytest.fail("the cache must be used"))
    cached = osm.osm_barrier_lines(cfg, buurten)
    assert sorted(cached["kind"]) == sorted(online["kind"]) == ["motorway", "river"]
    assert cached.length.sum() == pytest.approx(online.length.sum())
    other = _cfg(tmp_path, barriers={"osm": ["railway"], "cache": str(next((tmp_path / "osm-cache").glob("*.gpkg")))})
    with pytest.raises(DataError, match="made without class 'railway'"):
        osm.osm_barrier_lines(other, buurten)


# The shipped example configs/voorbeelden/woerden-barrieres.yaml: buurt pairs chosen by hand to
# cut the town between its northern quarters and the centre/south (not traced from a map).
EXAMPLE = WOERDEN.parent / "voorbeelden" / "woerden-barrieres.yaml"
WOERDEN_CUT = load_config(EXAMPLE).barriers.pairs


def test_line_file_along_pair_boundaries_removes_those_pairs(tmp_path, buurten):
    geom = dict(zip(buurten["buurtcode"], buurten.geometry))
    lines = gpd.GeoDataFrame({"name": ["cut"] * len(WOERDEN_CUT)},
                             geometry=[shared_boundary(geom[a], geom[b]) for a, b in WOERDEN_CUT], crs="EPSG:28992")
    path = tmp_path / "barrieres.geojson"
    lines.to_crs("EPSG:4326").to_file(path, driver="GeoJSON")
    cfg = _cfg(tmp_path, barriers={"lines": str(path)})
    graph = adjacency_graph(buurten)
    removed = set(apply_barriers(cfg, buurten, graph)[0])
    assert removed >= {tuple(p) for p in WOERDEN_CUT}
    # Besides the pairs, only corner contacts shorter than the tolerance at a line's end may go:
    # Staatsliedenkwartier | Cattenbroek share 5 m where the line along Waterrijk ends.
    extra = removed - {tuple(p) for p in WOERDEN_CUT}
    assert extra == {("BU06320104", "BU06320503")}
    assert adjacency_graph(buurten)["BU06320104"]["BU06320503"]["length"] < cfg.barriers.tolerance_m


@pytest.mark.slow
def test_woerden_plan_with_barrier_pairs_never_joins_across_them(tmp_path):
    from wijkindeling.optimise import solve

    problem = build_problem(load_config(write_config(tmp_path, {}, extends=EXAMPLE)))
    cut = [(problem.index(a), problem.index(b)) for a, b in WOERDEN_CUT]
    assert not any(problem.graph.has_edge(i, j) for i, j in cut)
    assert nx.is_connected(problem.graph) and problem.provenance.synthetic_edges == []
    assert problem.barrier_lines is not None and len(problem.barrier_lines) == len(WOERDEN_CUT)
    sol = solve(problem, time_limit=120, threads=1)  # a cap, not a speed target
    assert sol.found, sol.message
    # every area is contiguous in the graph without the barrier edges (metrics checks problem.graph)
    assert metrics.violations(problem, sol.labels) == []
    for a in range(problem.k):
        members = [u for u in range(problem.n) if sol.labels[u] == a]
        assert nx.is_connected(problem.graph.subgraph(members))
    # Without the barrier the best plan joins Binnenstad and Vogelkwartier only across the cut,
    # so the barrier changes the plan; fewer edges can never give a better optimum.
    free = build_problem(load_config(write_config(tmp_path, {}, name="free.yaml")))
    free_sol = solve(free, time_limit=120, threads=1)
    assert free_sol.found and metrics.violations(free, free_sol.labels) == []
    assert any("not contiguous" in v for v in metrics.violations(problem, free_sol.labels))
    if sol.status == free_sol.status == "optimal":
        assert sol.objective >= free_sol.objective - 1e-6


# --------------------------------------------------------------------------- road distances


def test_drive_network_from_xml_keeps_only_drivable_roads(fixture_osm, tmp_path, buurten):
    cfg = _cfg(tmp_path, distances={"method": "drive", "osm_file": str(fixture_osm)})
    graph = osm.load_network(cfg, buurten)
    kinds = {d.get("highway") for _, _, d in graph.edges(data=True)}
    assert kinds == {"residential"}  # no motorway (unconnected), footway, railway or river
    assert graph.graph["crs"] == "EPSG:28992" or "28992" in str(graph.graph["crs"])
    walk = osm.load_network(_cfg(tmp_path, distances={"method": "walk", "osm_file": str(fixture_osm)}), buurten)
    assert {d.get("highway") for _, _, d in walk.edges(data=True)} == {"residential", "footway"}


def test_road_distances_differ_from_straight_lines(fixture_osm, tmp_path, buurten):
    cfg = _cfg(tmp_path, practices={"source": "osm", "path": str(fixture_osm)}, distances={"method": "drive", "osm_file": str(fixture_osm)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        practices = load_practices(cfg, buurten)
    road = osm.network_distances(cfg, practices, buurten)
    straight = straight_distances(practices, buurten)
    assert road.shape == straight.shape == (3, 31)
    assert (road >= straight - 1.0).all()  # a road is never shorter than the straight line
    x0, y0, x1, y1, _ = GRID
    pts = buurten.geometry.representative_point()
    in_grid = ((pts.x > x0) & (pts.x < x1) & (pts.y > y0) & (pts.y < y1)).to_numpy()
    ratio = road[:, in_grid] / straight[:, in_grid]
    assert np.median(ratio) > 1.1 and ratio.max() > 1.3  # streets in a grid: detours up to ~sqrt(2)
    walk = osm.network_distances(_cfg(tmp_path, distances={"method": "walk", "osm_file": str(fixture_osm)}), practices, buurten)
    assert (walk <= road + 1e-6).all() and (walk < road - 100).any()  # the footpath is a shortcut for walkers only


def test_road_network_is_cached_as_graphml_and_offline_without_cache_fails_clearly(fixture_osm, tmp_path, buurten, monkeypatch):
    cache = tmp_path / "wegen.graphml"
    cfg = _cfg(tmp_path, distances={"method": "drive", "cache": str(cache)})
    practices = gpd.GeoDataFrame({"practice_id": ["P1"]}, geometry=[buurten.geometry.iloc[0].representative_point()], crs="EPSG:28992")
    with pytest.raises(DataError) as err:
        osm.network_distances(cfg, practices, buurten)
    assert str(cache) in str(err.value) and "distances.osm_file" in str(err.value) and "\n" not in str(err.value)
    monkeypatch.setattr(osmnx, "graph_from_polygon", lambda polygon, network_type: osm.network_from_xml(fixture_osm, network_type))
    online = osm.network_distances(cfg, practices, buurten)
    assert cache.exists()
    monkeypatch.setattr(osmnx, "graph_from_polygon", lambda *a, **k: pytest.fail("the cache must be used"))
    assert np.allclose(osm.network_distances(cfg, practices, buurten), online)
    walk = _cfg(tmp_path, distances={"method": "walk", "cache": str(cache)})
    with pytest.raises(DataError, match="is for 'drive', not 'walk'"):
        osm.network_distances(walk, practices, buurten)


def test_build_problem_with_osm_practices_barriers_and_road_distances(fixture_osm, tmp_path):
    cfg = _cfg(tmp_path, practices={"source": "osm", "path": str(fixture_osm), "fictional": False},
               barriers={"osm": ["motorway"], "osm_file": str(fixture_osm), "pairs": [["BU06320601", "BU06320602"]]},
               distances={"method": "drive", "osm_file": str(fixture_osm)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        problem = build_problem(cfg)
    assert problem.provenance.barrier_edges_removed == sorted([list(MOTORWAY_PAIR), ["BU06320601", "BU06320602"]])
    assert sorted(problem.barrier_lines["kind"]) == ["buurtpaar", "motorway"]
    assert sorted(problem.practices["name"]) == sorted(GP_BUURTEN.values())
    assert "OSM" in problem.provenance.catchment_method and problem.provenance.practices_fictional is False
    assert problem.patients.sum() == pytest.approx(problem.total)


def test_road_network_from_a_geopackage_gives_the_same_distances(fixture_osm, tmp_path, buurten):
    practices = gpd.GeoDataFrame({"practice_id": ["P1", "P2"]}, geometry=list(buurten.geometry.iloc[[0, 7]].representative_point()), crs="EPSG:28992")
    xml_cfg = _cfg(tmp_path, distances={"method": "drive", "osm_file": str(fixture_osm)})
    gpkg = tmp_path / "wegen.gpkg"
    osmnx.save_graph_geopackage(osm.network_from_xml(fixture_osm, "drive"), gpkg)
    gpkg_cfg = _cfg(tmp_path, distances={"method": "drive", "osm_file": str(gpkg)})
    assert np.allclose(osm.network_distances(gpkg_cfg, practices, buurten), osm.network_distances(xml_cfg, practices, buurten))


def test_the_map_draws_the_barrier_lines(fixture_osm, tmp_path):
    from wijkindeling.report.maps import interactive_map

    cfg = _cfg(tmp_path, barriers={"osm": ["motorway"], "osm_file": str(fixture_osm), "pairs": [["BU06320601", "BU06320602"]]})
    problem = build_problem(cfg)
    labels = np.array([int(c[6:8]) % problem.k for c in problem.codes])  # any labelling: only the barrier layer is checked
    html = interactive_map(problem, labels).get_root().render()
    assert "wk-barrier" in html and "Fixture-snelweg" in html and "BU06320601 | BU06320602" in html


def test_barriers_that_cut_the_municipality_in_two_warn(tmp_path, buurten):
    # Zegveld (dorp) touches only Buitengebied Zegveld: a line along their boundary isolates it.
    geom = dict(zip(buurten["buurtcode"], buurten.geometry))
    line = gpd.GeoDataFrame(geometry=[shared_boundary(geom["BU06320801"], geom["BU06320802"])], crs="EPSG:28992")
    path = tmp_path / "zegveld.gpkg"
    line.to_file(path)
    cfg = _cfg(tmp_path, barriers={"lines": str(path)})
    graph = adjacency_graph(buurten)
    with pytest.warns(UserWarning, match="cut Woerden into parts"):
        removed = apply_barriers(cfg, buurten, graph)[0]
    assert ("BU06320801", "BU06320802") in removed and nx.number_connected_components(without_edges(graph, removed)) == 2


def test_compressed_osm_extract_is_read_like_the_plain_one(fixture_osm, tmp_path, buurten):
    import gzip

    packed = tmp_path / "woerden-fixture.osm.gz"
    packed.write_bytes(gzip.compress(fixture_osm.read_bytes()))
    plain = osm.load_network(_cfg(tmp_path, distances={"method": "drive", "osm_file": str(fixture_osm)}), buurten)
    gz = osm.load_network(_cfg(tmp_path, distances={"method": "drive", "osm_file": str(packed)}), buurten)
    assert (gz.number_of_nodes(), gz.number_of_edges()) == (plain.number_of_nodes(), plain.number_of_edges()) != (0, 0)
    lines = osm.osm_barrier_lines(_cfg(tmp_path, barriers={"osm": ["river"], "osm_file": str(packed)}), buurten)
    assert list(lines["name"]) == ["Fixture-rivier"]
