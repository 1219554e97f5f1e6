"""Maps and exports of a real Woerden plan: offline map.html, escaping, static map parts, QGIS styles, GeoJSON."""

from __future__ import annotations

import copy
import json
import re
import sqlite3
import xml.etree.ElementTree as ET

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
from shapely.geometry import LineString

from wijkindeling.model.metrics import area_table
from wijkindeling.report import maps
from wijkindeling.report.plans import write_plan_gpkg
from wijkindeling.report.qgis import write_geojson

from .plan_fixtures import woerden_solution


def shown(text: str, page: str) -> bool:
    """``text`` is in the page, literally or JSON-escaped (folium writes layer names as JSON strings)."""
    return text in page or json.dumps(text)[1:-1] in page


@pytest.fixture(scope="module")
def plan():
    return woerden_solution()


@pytest.fixture(scope="module")
def page_html(plan):
    problem, labels = plan
    return maps.interactive_map(problem, labels, "Woerden – test").get_root().render()


def test_map_html_needs_no_network(page_html):
    # Leaflet is inlined; nothing is loaded from a CDN (the OSM tile URL is only used when that layer is switched on).
    assert "Leaflet 1.9.4" in page_html
    urls = set(re.findall(r'src="(https?://[^"]+)"', page_html)) | set(re.findall(r'<link[^>]+href="(https?://[^"]+)"', page_html))
    assert urls == set(), urls
    for cdn in ("cdn.jsdelivr.net", "code.jquery.com", "cdnjs.cloudflare.com", "bootstrapcdn"):
        assert cdn not in page_html
    assert "url(images/" not in page_html  # Leaflet's CSS images are data URIs


def test_map_layers_and_legend_come_from_the_plan(plan, page_html):
    problem, labels = plan
    rows = area_table(problem, labels)
    legend = page_html[page_html.index('id="wk-legend"'):]
    for row in rows:
        assert f"<td>{row['name']}</td>" in legend
        assert f">{maps.nl_int(row['population'])}</td>" in legend
        assert maps.nl_pct(row["deviation"]) in legend
    for name in ("Gebieden", "Buurten", "CBS-wijken (grenzen)", "Kernen en groepen (grenzen)",
                 "Huisartsenpraktijken (FICTIEF)", "Patiëntaandelen per praktijk (geschat)"):
        assert shown(name, page_html), name
    assert "Bron: CBS / Kadaster (PDOK)" in page_html
    assert page_html.count("L.circleMarker(") == len(problem.practices)


def test_area_features_match_area_table(plan):
    problem, labels = plan
    fc = maps._area_features(problem, labels, maps.area_colours(problem.k))
    rows = area_table(problem, labels)
    assert len(fc["features"]) == problem.k
    for feat, row in zip(fc["features"], rows):
        assert feat["properties"]["inwoners"] == maps.nl_int(row["population"])
        lon, lat = np.asarray(feat["geometry"]["coordinates"][0] if feat["geometry"]["type"] == "Polygon"
                              else feat["geometry"]["coordinates"][0][0]).T
        assert 4.7 < lon.min() < lon.max() < 5.1 and 52.0 < lat.min() < lat.max() < 52.2  # Woerden in WGS84


def test_names_from_data_are_escaped(plan):
    problem, labels = plan
    evil = "<script>alert('x')</script>"
    hostile = copy.copy(problem)
    hostile.buurten = problem.buurten.copy()
    hostile.buurten.loc[hostile.buurten.index[0], "buurtnaam"] = evil
    hostile.buurten.loc[hostile.buurten.index[1], "wijknaam"] = evil
    hostile.names = [evil] + problem.names[1:]
    hostile.area_names = ['<img src=x onerror="alert(1)">'] + problem.area_names[1:]
    hostile.practices = problem.practices.copy()
    hostile.practices.loc[hostile.practices.index[0], "name"] = evil
    page = maps.interactive_map(hostile, labels, evil).get_root().render()
    assert evil not in page
    assert "<img src=x" not in page
    # nor JSON-escaped inside the page's scripts, where Leaflet would turn it back into live HTML (tooltips)
    assert "\\u003cscript" not in page.lower() and "\\u003cimg" not in page.lower()
    assert "&lt;script&gt;alert(" in page


def test_barrier_lines_are_drawn_when_present(plan):
    problem, labels = plan
    with_lines = copy.copy(problem)
    x0, y0, x1, y1 = problem.buurten.total_bounds
    with_lines.barrier_lines = gpd.GeoDataFrame({"name": ["Spoorlijn Utrecht–Gouda"]},
                                                geometry=[LineString([(x0, (y0 + y1) / 2), (x1, (y0 + y1) / 2)])], crs=problem.buurten.crs)
    page = maps.interactive_map(with_lines, labels).get_root().render()
    assert shown("Barrières (spoor, water, wegen)", page) and "wk-barrier" in page and shown("Spoorlijn Utrecht–Gouda", page)
    assert "wk-barrier" not in maps.interactive_map(problem, labels).get_root().render()


def test_static_map_has_labels_legend_scale_north_and_source(plan, tmp_path):
    problem, labels = plan
    fig = maps.static_figure(problem, labels, "Woerden")
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    for row in area_table(problem, labels):
        assert f"{row['name']}\n{maps.nl_int(row['population'])} inw." in texts
    assert "N" in texts and any(t.endswith(" km") for t in texts)
    assert any(t.startswith("Bron: CBS / Kadaster (PDOK)") and "FICTIEF" in t and "geschat" in t for t in texts)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert len(legend) == problem.k + 1 and legend[-1] == "Huisartsenpraktijk (FICTIEF)"
    maps.static_map(problem, labels, tmp_path / "map.png", "Woerden")
    assert (tmp_path / "map.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_static_map_labels_of_small_areas_do_not_overlap():
    """Stichtse Vecht (shipped config, 7 areas): several areas are small in dense Maarssen, so their labels at the
    areas' own points would overlap; those are moved apart with a leader line, the others stay, and no two labels
    overlap."""
    from wijkindeling.build import build_problem
    from wijkindeling.config import load_config
    from wijkindeling.optimise.heuristic import heuristic

    from .conftest import CONFIGS

    problem = build_problem(load_config(CONFIGS / "stichtse-vecht.yaml"))
    labels = heuristic(problem, time_limit=60, seed=1, restarts=4).labels
    fig = maps.static_figure(problem, labels, "Stichtse Vecht")
    ax = fig.axes[0]
    texts = [t for t in ax.texts if t.get_text().endswith(" inw.")]
    assert len(texts) == problem.k
    fig.canvas.draw()  # a label's box is placed when it is drawn
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_bbox_patch().get_window_extent(renderer) for t in texts]
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    anchors = {row.area: row.geometry.representative_point() for row in maps.areas_layer(problem, labels).itertuples()}
    moved = [t for t in texts if t.get_position() != pytest.approx((anchors[t.get_text().split("\n")[0]].x,
                                                                    anchors[t.get_text().split("\n")[0]].y))]
    assert moved and len(moved) < len(texts)  # labels did have to move here, but only the ones that overlapped
    assert len([p for p in ax.patches if type(p).__name__ == "FancyArrowPatch"]) >= 1  # leader lines to the areas


@pytest.mark.parametrize("span,expected", [(12_000, 2000), (9_000, 1000), (30_000, 5000), (800, 100)])
def test_scale_bar_length_is_round(span, expected):
    assert maps.nice_length(span) == expected


def test_plan_gpkg_has_default_qgis_styles(plan, tmp_path):
    problem, labels = plan
    path = tmp_path / "plan.gpkg"
    write_plan_gpkg(problem, labels, path)
    layers = {str(name) for name, _ in pyogrio.list_layers(path)}
    assert {"buurten", "gebieden", "praktijken", "layer_styles"} <= layers
    with sqlite3.connect(path) as con:
        styles = con.execute("SELECT f_table_name, f_geometry_column, useAsDefault, styleQML FROM layer_styles").fetchall()
        geom_cols = dict(con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns").fetchall())
    assert {s[0] for s in styles} == {"buurten", "gebieden", "praktijken"}
    for table, geom_col, default, qml in styles:
        assert geom_col == geom_cols[table] and default == 1
        ET.fromstring(qml.split("\n", 1)[1])  # well-formed XML after the DOCTYPE line
    qml = next(s[3] for s in styles if s[0] == "gebieden")
    root = ET.fromstring(qml.split("\n", 1)[1])
    renderer = root.find("renderer-v2")
    assert renderer.get("type") == "categorizedSymbol" and renderer.get("attr") == "area"
    cats = renderer.findall("categories/category")
    assert [c.get("value") for c in cats] == problem.area_names
    colours = [s.find("layer/Option/Option[@name='color']").get("value") for s in renderer.findall("symbols/symbol")]
    expected = [",".join(str(int(c[i:i + 2], 16)) for i in (1, 3, 5)) for c in maps.area_colours(problem.k)]
    assert [",".join(c.split(",")[:3]) for c in colours] == expected
    gebieden = gpd.read_file(path, layer="gebieden")
    assert set(gebieden["area"]) == {c.get("value") for c in cats}


def test_geojson_export_is_wgs84(plan, tmp_path):
    problem, labels = plan
    paths = write_geojson(problem, labels, tmp_path)
    assert [p.name for p in paths] == ["gebieden.geojson", "buurten.geojson"]
    areas = gpd.read_file(paths[0])
    assert areas.crs.to_epsg() == 4326
    minx, miny, maxx, maxy = areas.total_bounds
    assert 4.7 < minx < maxx < 5.1 and 52.0 < miny < maxy < 52.2
    assert list(areas["population"]) == [r["population"] for r in area_table(problem, labels)]
    buurten = gpd.read_file(paths[1])
    assert len(buurten) == problem.n and buurten["population"].sum() == problem.total
