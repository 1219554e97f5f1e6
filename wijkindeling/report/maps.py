"""Maps of a plan: an interactive map (map.html, folium/Leaflet) and a static map (map.png, matplotlib).

The interactive map works without internet: Leaflet 1.9.4 (BSD-2-Clause, shipped in
``wijkindeling/data/``) is inlined into the page instead of loaded from a CDN, and folium's
other CDN extras (jQuery, Bootstrap, Font Awesome) are left out because nothing here uses them.
No tiles are needed; an OpenStreetMap tile layer is offered but off by default (online only).
Every text that comes from data (buurt, area, practice and group names) is HTML-escaped.

SVG elements carry classes the browser test counts: ``wk-area`` (one path per area),
``wk-buurt``, ``wk-practice`` (one per practice), ``wk-catchment``, ``wk-wijk``, ``wk-group``,
``wk-barrier`` and ``wk-added-edge`` (neighbours added by ``data.adjacency``).
"""

from __future__ import annotations

import base64
import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import folium
import geopandas as gpd
import numpy as np
from branca.element import Figure, MacroElement
from jinja2 import Template
from shapely.geometry import LineString

from ..model.metrics import area_table, score, violations
from ..model.problem import Problem
from ..model.profile import Indicator
from ..model.startfoto import Startfoto, indicator_label, startfoto, value_text
from ..text import PROFILE_NOTES, added_edge_reason, format_pct
from ..text import escape as _esc
from ..text import format_int as nl_int
from .layers import areas_layer, buurten_layer, buurten_of
from .style import SOURCE_LINE, area_colours, nl_pct

if TYPE_CHECKING:  # matplotlib itself is imported lazily (see static_figure)
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure as MplFigure
    from matplotlib.figure import SubFigure
    from matplotlib.patches import Rectangle
    from matplotlib.text import Text
    from matplotlib.transforms import Bbox

WGS84 = "EPSG:4326"


# ---------------------------------------------------------------- offline Leaflet


def _data_file(name: str) -> bytes:
    return resources.files("wijkindeling").joinpath("data").joinpath(name).read_bytes()


@lru_cache(maxsize=1)
def leaflet_assets() -> tuple[str, str]:
    """Leaflet's CSS and JS, from the copy shipped in ``wijkindeling/data`` (read once, then cached).

    Returns
    -------
    tuple of (str, str)
        The CSS, with its images inlined as data URIs, and the JavaScript.
    """
    css = _data_file("leaflet.css").decode("utf-8")
    for image in ("layers.png", "layers-2x.png", "marker-icon.png"):
        uri = "data:image/png;base64," + base64.b64encode(_data_file(f"leaflet-{image}")).decode("ascii")
        css = css.replace(f"url(images/{image})", f"url({uri})")
    return css, _data_file("leaflet.js").decode("utf-8")


def leaflet_head() -> str:
    """``<style>`` and ``<script>`` elements that make Leaflet available without network."""
    css, js = leaflet_assets()
    return f"<style>{css}</style>\n<script>{js}</script>"


def _page(fmap: folium.Map) -> Figure:
    """The HTML page (branca Figure) a folium map is drawn in; folium.Map makes one for itself."""
    root = fmap.get_root()
    assert isinstance(root, Figure)
    return root


def make_offline(fmap: folium.Map) -> folium.Map:
    """Replace folium's CDN links by the inlined Leaflet (nothing else from a CDN is needed).

    Parameters
    ----------
    fmap : folium.Map
        A new map; it is changed in place.

    Returns
    -------
    folium.Map
        The same map, whose page loads nothing from the network.
    """
    fmap.default_js = []
    fmap.default_css = []
    _page(fmap).header.add_child(folium.Element(leaflet_head()), name="leaflet_inline", index=0)
    return fmap


class MetricScale(MacroElement):
    """A metric-only scale bar (folium's own also shows miles)."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "L.control.scale({imperial: false, position: 'bottomleft'}).addTo({{ this._parent.get_name() }});"
        "{% endmacro %}"
    )


# ---------------------------------------------------------------- GeoJSON helpers


def feature_collection(gdf: gpd.GeoDataFrame, properties: list[dict[str, Any]]) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of ``gdf``'s geometries (WGS84) with the given properties.

    String properties are HTML-escaped, so they are safe both inside the page's ``<script>``
    and where Leaflet shows them as HTML (tooltips).

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The features; reprojected to WGS84 when it has a CRS, else taken as WGS84 already.
    properties : list of dict
        The properties of each feature, in the order of ``gdf``'s rows.

    Returns
    -------
    dict
        A FeatureCollection whose features have ids 0, 1, ... in row order.
    """
    geoms = gdf.to_crs(WGS84).geometry if gdf.crs is not None else gdf.geometry
    feats = []
    for i, (geom, props) in enumerate(zip(geoms, properties)):
        clean = {k: (_esc(v) if isinstance(v, str) else v) for k, v in props.items()}
        feats.append({"type": "Feature", "id": i, "properties": clean, "geometry": geom.__geo_interface__})
    return {"type": "FeatureCollection", "features": feats}


def _geojson_layer(data: dict, style: dict, name: str, fields: list[str], aliases: list[str],
                   highlight: dict | None = None) -> folium.GeoJson:
    """One folium GeoJson layer with a per-feature style (properties may override) and a tooltip."""
    def style_function(feature, base=style):
        out = dict(base)
        out.update(feature["properties"].get("_style", {}))
        return out

    return folium.GeoJson(
        data,
        name=name,
        style_function=style_function,
        highlight_function=(lambda _f, h=highlight: h) if highlight else None,
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases, sticky=True, localize=False),
        zoom_on_click=False,
    )


# ---------------------------------------------------------------- interactive map


def _area_features(problem: Problem, labels: np.ndarray, colours: list[str], foto: Startfoto | None = None) -> dict:
    """The areas as GeoJSON with their tooltip texts (figures of ``area_table`` and the startfoto) and colours."""
    foto = foto or startfoto(problem, labels, "nl")
    areas = areas_layer(problem, labels)
    rows = area_table(problem, labels)
    props = []
    for k, row in enumerate(rows):
        props.append({
            "gebied": row["name"],
            "inwoners": nl_int(row["population"]),
            "afwijking": nl_pct(row["deviation"]),
            "buurten": str(row["n_buurten"]),
            "praktijken": ", ".join(_practice_names(problem, row["practices"])) or "–",
            **{f"sf_{ind.key}": value_text(ind, foto.areas[k][ind.key]) for ind in _tooltip_indicators(foto)},
            "_style": {"fillColor": colours[k]},
        })
    return feature_collection(areas, props)


def _tooltip_indicators(foto: Startfoto) -> list[Indicator]:
    """The startfoto indicators shown in an area's tooltip: all but inhabitants (the tooltip has them already)."""
    return [ind for ind in foto.indicators if ind.key != "inwoners"]


def profile_panel_html(foto: Startfoto, name: str, k: int | None) -> str:
    """The startfoto of area ``k`` (None: only the municipality) as an HTML table for the map's profile panel.

    Every value from :func:`~wijkindeling.model.startfoto.value_text`; names and titles are escaped.
    """
    words = PROFILE_NOTES["nl"]
    head = f"<b>{_esc(words['title'])}: {_esc(name)}</b>" if k is not None else f"<b>{_esc(words['title'])}</b>"
    cells = "<th></th>" + ("<th>Gebied</th>" if k is not None else "") + f"<th>{_esc(words['municipality'])}</th>"
    rows = []
    for ind in foto.indicators:
        area = f"<td>{_esc(value_text(ind, foto.areas[k][ind.key]))}</td>" if k is not None else ""
        rows.append(f"<tr><td>{_esc(indicator_label(ind))}</td>{area}<td>{_esc(value_text(ind, foto.whole[ind.key]))}</td></tr>")
    note = _esc(words["unknown_rule"].format(min=format_pct(foto.min_coverage, 0, "nl")))
    return f"{head}<table><tr>{cells}</tr>{''.join(rows)}</table><div class=\"wk-note\">{note}.</div>"


def _practice_names(problem: Problem, ids: list[str]) -> list[str]:
    names = problem.catchments.names if problem.catchments is not None else {}
    return [str(names.get(i, i)) for i in ids]


def _buurt_features(problem: Problem, labels: np.ndarray) -> dict:
    layer = buurten_layer(problem, labels)
    props = [{
        "buurt": f"{r.buurtnaam} ({r.buurtcode})",
        "inwoners": nl_int(r.population),
        "oppervlakte": f"{r.geometry.area / 1e6:.2f} km²".replace(".", ","),
        "wijk": str(r.wijknaam or "–"),
        "gebied": str(r.area),
        "_gebied": int(k),
    } for r, k in zip(layer.itertuples(), labels)]
    return feature_collection(layer, props)


def _wijk_features(problem: Problem) -> dict | None:
    b = buurten_of(problem)
    if "wijkcode" not in b or not b["wijkcode"].astype(str).str.len().gt(0).all():
        return None
    wijken = b.dissolve(by="wijkcode", aggfunc={"wijknaam": "first", "population": "sum"}).reset_index()
    props = [{"wijk": f"{r.wijknaam} ({r.wijkcode})", "inwoners": nl_int(r.population)} for r in wijken.itertuples()]
    return feature_collection(wijken, props)


def _group_features(problem: Problem) -> dict | None:
    groups = [g for g in problem.groups if g.kind != "wijk"]
    if not groups:
        return None
    b = buurten_of(problem).set_index("buurtcode")
    geoms = [b.geometry.loc[list(g.members)].union_all() for g in groups]
    gdf = gpd.GeoDataFrame(geometry=geoms, crs=buurten_of(problem).crs)
    kinds = {"kern": "Kern", "groep": "Groep"}
    props = [{"groep": f"{kinds.get(g.kind, g.kind)}: {g.name}",
              "inwoners": nl_int(b.loc[list(g.members), "population"].sum())} for g in groups]
    return feature_collection(gdf, props)


def _practice_size(problem: Problem, p: int) -> tuple[float, bool]:
    """List size of practice ``p`` and whether it is an estimate (sum of its estimated patients)."""
    practices = _practices_of(problem)
    given = practices["patients"].iloc[p] if "patients" in practices else np.nan
    if given is not None and np.isfinite(given):
        return float(given), False
    return float(problem.patients[p].sum()) if problem.patients is not None else float("nan"), True


def _practices_of(problem: Problem) -> gpd.GeoDataFrame:
    """The practices of a problem that has them (callers check ``problem.practices`` first)."""
    assert problem.practices is not None
    return problem.practices


def _add_practices(fmap: folium.Map, problem: Problem, labels: np.ndarray, colours: list[str]) -> None:
    prac = _practices_of(problem).to_crs(WGS84)
    fictional = bool(problem.provenance.practices_fictional)
    suffix = " (FICTIEF)" if fictional else ""
    group = folium.FeatureGroup(name="Huisartsenpraktijken" + suffix, show=True)
    for p, row in enumerate(prac.itertuples()):
        size, estimated = _practice_size(problem, p)
        size_txt = "" if not np.isfinite(size) else f"<br>{nl_int(size)} patiënten" + (" (geschat)" if estimated else "")
        area = ""
        if problem.practice_home is not None:
            area = f"<br>{_esc(problem.area_names[int(labels[problem.practice_home[p]])])}"
        tip = f"<b>{_esc(row.name)}</b>{_esc(suffix)}{size_txt}{area}"
        folium.CircleMarker(
            [row.geometry.y, row.geometry.x], radius=7, color="#000000", weight=1.5, fill=True,
            fill_color="#ffffff", fill_opacity=1.0, tooltip=folium.Tooltip(tip), class_name="wk-practice",
        ).add_to(group)
    group.add_to(fmap)


def _add_catchments(fmap: folium.Map, problem: Problem, labels: np.ndarray, colours: list[str]) -> None:
    """Lines from each practice to the buurten its patients live in (width ~ patients); off by default."""
    if problem.patients is None or problem.practice_home is None:
        return
    estimated = bool(problem.provenance.catchment_estimated)
    title = "Patiëntaandelen per praktijk" + (" (geschat)" if estimated else "")
    group = folium.FeatureGroup(name=title, show=False)
    prac = _practices_of(problem).to_crs(WGS84)
    points = buurten_of(problem).geometry.representative_point().to_crs(WGS84)
    top = problem.patients.max()
    for p, row in enumerate(prac.itertuples()):
        total = problem.patients[p].sum()
        colour = colours[int(labels[problem.practice_home[p]])]
        for b in np.flatnonzero(problem.patients[p] >= max(0.02 * total, 1.0)):
            n = problem.patients[p, b]
            tip = (f"{_esc(row.name)} → {_esc(problem.names[b])}: {nl_int(n)} patiënten"
                   f"{' (geschat)' if estimated else ''} ({nl_pct(n / total, signed=False)} van de praktijk)")
            folium.PolyLine(
                [[row.geometry.y, row.geometry.x], [points.iloc[b].y, points.iloc[b].x]],
                color=colour, weight=1 + 7 * n / top, opacity=0.8, tooltip=tip, class_name="wk-catchment",
            ).add_to(group)
    group.add_to(fmap)


def _add_barriers(fmap: folium.Map, problem: Problem) -> None:
    """Barrier lines (rail, water, motorways) when the OSM stage provides ``problem.barrier_lines``."""
    lines = problem.barrier_lines
    if lines is None or len(lines) == 0:
        return
    label_col = next((c for c in ("name", "kind", "type") if c in lines.columns), None)
    props = [{"barriere": str(getattr(r, label_col) or "barrière") if label_col else "barrière"} for r in lines.itertuples()]
    data = feature_collection(lines, props)
    layer = _geojson_layer(data, {"color": "#C00000", "weight": 3, "dashArray": "6 4", "className": "wk-barrier"},
                           "Barrières", ["barriere"], ["Barrière"])
    group = folium.FeatureGroup(name="Barrières (spoor, water, wegen)", show=True)
    layer.add_to(group)
    group.add_to(fmap)


def _add_added_edges(fmap: folium.Map, problem: Problem) -> None:
    """Neighbours added by ``data.adjacency`` as dashed lines between the two buurten (layer "Toegevoegde buren")."""
    added = problem.provenance.adjacency_edges_added
    if not added or problem.buurten is None:
        return
    point = dict(zip(problem.buurten["buurtcode"], problem.buurten.geometry.representative_point()))
    name = dict(zip(problem.codes, problem.names))
    lines = gpd.GeoDataFrame(geometry=[LineString([point[a], point[b]]) for a, b in (e["buurten"] for e in added)],
                             crs=problem.buurten.crs)
    props = [{"buren": f"{name[e['buurten'][0]]} – {name[e['buurten'][1]]}",
              "waarom": added_edge_reason(e["reason"], e["distance_m"], name.get(e["via"] or ""), "nl")} for e in added]
    layer = _geojson_layer(feature_collection(lines, props), {"color": "#E65100", "weight": 2, "dashArray": "4 4",
                           "className": "wk-added-edge"}, "Toegevoegde buren", ["buren", "waarom"], ["Buren", "Waarom"])
    group = folium.FeatureGroup(name="Toegevoegde buren (data.adjacency)", show=True)
    layer.add_to(group)
    group.add_to(fmap)


def _legend_html(problem: Problem, labels: np.ndarray, title: str, colours: list[str]) -> str:
    rows = []
    for k, row in enumerate(area_table(problem, labels)):
        rows.append(
            f'<tr><td><span class="wk-swatch" style="background:{colours[k]}"></span></td>'
            f'<td>{_esc(row["name"])}</td><td style="text-align:right">{nl_int(row["population"])}</td>'
            f'<td style="text-align:right">{nl_pct(row["deviation"])}</td></tr>'
        )
    s = score(problem, labels)
    notes = [f"Doel {nl_int(problem.target)} inwoners per gebied, toegestaan {nl_int(problem.lo)}–{nl_int(problem.hi)}"]
    if s.patients_in_own_area is not None:
        notes.append(f"Patiënten in eigen gebied: {nl_pct(s.patients_in_own_area, signed=False)}"
                     + (" (geschat)" if problem.provenance.catchment_estimated else ""))
    if problem.provenance.practices_fictional:
        notes.append("<b>Praktijken FICTIEF (voorbeeld)</b>")
    if not s.valid:
        notes.append('<span style="color:#B00020"><b>Breekt harde regels:</b> ' + _esc("; ".join(violations(problem, labels, lang="nl"))) + "</span>")
    return (
        '<style>#wk-legend{position:fixed;bottom:24px;right:12px;z-index:9999;background:#fff;padding:8px 10px;'
        'border:1px solid #777;border-radius:4px;font:12px/1.35 sans-serif;max-height:55vh;max-width:330px;overflow:auto}'
        '#wk-legend table{border-collapse:collapse}#wk-legend td{padding:1px 4px}'
        '.wk-swatch{display:inline-block;width:14px;height:14px;border:1px solid #333;vertical-align:middle}'
        '#wk-title{position:fixed;top:10px;left:50%;transform:translateX(-50%);z-index:9999;background:#fff;'
        'padding:4px 12px;border:1px solid #777;border-radius:4px;font:bold 15px sans-serif}'
        '.wk-label{font:bold 12px sans-serif;color:#111;text-align:center;white-space:nowrap;'
        'text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 3px #fff}</style>'
        f'<div id="wk-title">{_esc(title)}</div>'
        f'<div id="wk-legend"><table><tr><th></th><th style="text-align:left">Gebied</th><th>Inwoners</th>'
        f'<th>Afwijking</th></tr>{"".join(rows)}</table>'
        + "".join(f"<div>{n}</div>" for n in notes)
        + f'<div style="color:#555;margin-top:4px">{_esc(SOURCE_LINE)}</div></div>'
    )


def _add_area_labels(fmap: folium.Map, problem: Problem, labels: np.ndarray) -> None:
    areas = areas_layer(problem, labels)
    points = areas.geometry.representative_point().to_crs(WGS84)
    group = folium.FeatureGroup(name="Namen van de gebieden", show=True)
    for row, pt in zip(areas.itertuples(), points):
        text = f"{_esc(row.area)}<br>{nl_int(row.population)} inw."
        folium.Marker([pt.y, pt.x], icon=folium.DivIcon(html=f'<div class="wk-label">{text}</div>',
                                                        icon_size=(140, 32), icon_anchor=(70, 16),
                                                        class_name="wk-label-icon"),
                      interactive=False, keyboard=False).add_to(group)
    group.add_to(fmap)


def _add_outlines(fmap: folium.Map, features: dict | None, layer: str, name: str, colour: str, dash: str,
                  css: str, fields: list[str], aliases: list[str]) -> None:
    """A hidden-by-default layer of dashed outlines (CBS wijken, kernen and groups) with tooltips."""
    if features is None:
        return
    group = folium.FeatureGroup(name=layer, show=False)
    _geojson_layer(features, {"color": colour, "weight": 3.5, "dashArray": dash, "fill": False, "className": css},
                   name, fields, aliases).add_to(group)
    group.add_to(fmap)


def interactive_map(problem: Problem, labels: np.ndarray, title: str = "", colours: list[str] | None = None) -> folium.Map:
    """The interactive map of a plan (map.html), usable offline.

    Layers: areas, CBS wijken and kernen/groups (hidden by default), buurten with tooltips, barriers,
    area names, practices and their patients' buurten (when there are practices); plus a title,
    a legend with every area's inhabitants and deviation, and a layer control.

    Parameters
    ----------
    problem : Problem
        The problem the plan divides.
    labels : numpy.ndarray
        Area index per buurt, in the order of ``problem.codes``.
    title : str
        Title shown at the top of the map.
    colours : list of str, optional
        Hex colour per area; by default :func:`wijkindeling.report.style.area_colours`.

    Returns
    -------
    folium.Map
        The map; ``.save(path)`` writes the page.
    """
    labels = np.asarray(labels, dtype=int)
    colours = colours or area_colours(problem.k)
    minx, miny, maxx, maxy = buurten_of(problem).to_crs(WGS84).total_bounds
    fmap = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], tiles=None, zoom_start=12, control_scale=False,
                      zoom_snap=0.25)
    make_offline(fmap)
    MetricScale().add_to(fmap)
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    folium.TileLayer("OpenStreetMap", name="OpenStreetMap-achtergrond (online)", show=False).add_to(fmap)

    areas = folium.FeatureGroup(name="Gebieden", show=True)
    foto = startfoto(problem, labels, "nl")
    extra = _tooltip_indicators(foto)
    area_layer = _geojson_layer(_area_features(problem, labels, colours, foto),
                                {"color": "#222222", "weight": 3, "fillOpacity": 0.55, "className": "wk-area"}, "Gebieden",
                                ["gebied", "inwoners", "afwijking", "buurten", "praktijken", *(f"sf_{i.key}" for i in extra)],
                                ["Gebied", "Inwoners", "Afwijking van doel", "Buurten", "Praktijken",
                                 *(_esc(indicator_label(i)) for i in extra)])
    area_layer.add_to(areas)
    areas.add_to(fmap)

    _add_outlines(fmap, _wijk_features(problem), "CBS-wijken (grenzen)", "CBS-wijken", "#5A1A8C", "8 5", "wk-wijk",
                  ["wijk", "inwoners"], ["CBS-wijk", "Inwoners"])
    _add_outlines(fmap, _group_features(problem), "Kernen en groepen (grenzen)", "Kernen", "#1B5E20", "2 6", "wk-group",
                  ["groep", "inwoners"], ["Identiteit", "Inwoners"])

    buurten = folium.FeatureGroup(name="Buurten", show=True)
    buurt_layer = _geojson_layer(_buurt_features(problem, labels),
                                 {"color": "#555555", "weight": 1, "fill": True, "fillOpacity": 0.0, "className": "wk-buurt"},
                                 "Buurten", ["buurt", "inwoners", "oppervlakte", "wijk", "gebied"],
                                 ["Buurt", "Inwoners", "Oppervlakte", "CBS-wijk", "Gebied"],
                                 highlight={"weight": 3, "color": "#000000", "fillOpacity": 0.1})
    buurt_layer.add_to(buurten)
    buurten.add_to(fmap)
    panels = [profile_panel_html(foto, name, k) for k, name in enumerate(problem.area_names)]
    ProfilePanel(area_layer, buurt_layer, panels).add_to(fmap)
    _add_barriers(fmap, problem)
    _add_added_edges(fmap, problem)
    _add_area_labels(fmap, problem, labels)
    if problem.practices is not None and len(problem.practices):
        _add_catchments(fmap, problem, labels, colours)
        _add_practices(fmap, problem, labels, colours)
    folium.LayerControl(collapsed=False).add_to(fmap)
    _page(fmap).html.add_child(folium.Element(_legend_html(problem, labels, title, colours)))
    _page(fmap).html.add_child(folium.Element(_profile_panel_box(foto)))
    return fmap


class ProfilePanel(MacroElement):
    """Click an area or one of its buurten: the area's startfoto fills the profile panel.

    The panels are HTML built by :func:`profile_panel_html` (names and titles escaped there), one per area,
    embedded as a JSON list; ``</`` is written as ``<\\/`` so no panel can close the page's script.
    """

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "var wk_panels = {{ this.panels }};"
        "function wk_show(k) { var box = document.getElementById('wk-profile-body');"
        "  if (box && wk_panels[k] !== undefined) { box.innerHTML = wk_panels[k]; } }"
        "{{ this.areas.get_name() }}.on('click', function (e) { wk_show(e.layer.feature.id); });"
        "{{ this.buurten.get_name() }}.on('click', function (e) { wk_show(e.layer.feature.properties._gebied); });"
        "{% endmacro %}"
    )

    def __init__(self, areas: folium.GeoJson, buurten: folium.GeoJson, panels: list[str]) -> None:
        super().__init__()
        self._name = "ProfilePanel"
        self.areas, self.buurten = areas, buurten
        self.panels = json.dumps(panels, ensure_ascii=False).replace("</", "<\\/")


def _profile_panel_box(foto: Startfoto) -> str:
    """The profile panel (top left, below the zoom buttons): the municipality's startfoto until an area is clicked."""
    return (
        '<style>#wk-profile{position:fixed;top:80px;left:12px;z-index:9999;background:#fff;padding:6px 9px;'
        'border:1px solid #777;border-radius:4px;font:12px/1.35 sans-serif;max-width:360px;max-height:60vh;overflow:auto}'
        '#wk-profile table{border-collapse:collapse}#wk-profile td,#wk-profile th{padding:1px 4px;text-align:right;white-space:nowrap}'
        '#wk-profile td:first-child{text-align:left;white-space:normal}.wk-note{color:#555;margin-top:3px}</style>'
        '<div id="wk-profile"><div id="wk-profile-body">'
        + profile_panel_html(foto, "", None)
        + '<div class="wk-note">Klik op een gebied voor zijn startfoto.</div></div></div>'
    )


# ---------------------------------------------------------------- static map


def _label_boxes(ax: Any, texts: list[Text]) -> list[Bbox]:
    """Display boxes of the labels (their background box when they have one), as last drawn.

    ``ax`` is typed Any: ``get_renderer`` is a method of the Agg canvas we draw on, not of FigureCanvasBase.
    """
    renderer = ax.figure.canvas.get_renderer()
    boxes = []
    for t in texts:
        patch = t.get_bbox_patch()
        boxes.append(patch.get_window_extent(renderer) if patch else t.get_window_extent(renderer))
    return boxes


def separate_labels(ax: Axes, texts: list[Text]) -> None:
    """Move overlapping labels apart (small areas in a dense town), each with a leader line to its place.

    Labels that overlap no other stay where they are and are avoided. Deterministic (adjustText).

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The axes the labels are drawn in; its figure is drawn once to measure them.
    texts : list of matplotlib.text.Text
        The labels; the overlapping ones are moved in place.
    """
    from adjustText import adjust_text  # lazily: adjustText imports matplotlib, which only PNG maps need

    if len(texts) < 2:
        return
    ax.figure.canvas.draw()  # fixes the axes limits and the text extents
    boxes = _label_boxes(ax, texts)
    clash = sorted({k for i, a in enumerate(boxes) for j, b in enumerate(boxes[i + 1:], i + 1) if a.overlaps(b)
                    for k in (i, j)})
    if not clash:
        return
    moving = [texts[i] for i in clash]
    fixed = [boxes[i] for i in range(len(texts)) if i not in clash]
    adjust_text(moving, target_x=[t.get_position()[0] for t in moving], target_y=[t.get_position()[1] for t in moving],
                objects=fixed or None, ax=ax, expand=(1.15, 1.35),
                arrowprops={"arrowstyle": "-", "color": "#111111", "lw": 0.8})


def static_figure(problem: Problem, labels: np.ndarray, title: str = "", colours: list[str] | None = None,
                  ax: Axes | None = None, legend_below: bool = False) -> MplFigure | SubFigure:
    """The static map of a plan as a matplotlib figure: areas, labels with inhabitants, legend, scale bar,
    north arrow and source line (barriers and practices when the problem has them).

    Parameters
    ----------
    problem : Problem
        The problem the plan divides.
    labels : numpy.ndarray
        Area index per buurt, in the order of ``problem.codes``.
    title : str
        Title above the map; empty for none.
    colours : list of str, optional
        Hex colour per area; by default :func:`wijkindeling.report.style.area_colours`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into (one panel of a larger figure); by default a new figure of its own.
    legend_below : bool
        Put the legend under the map instead of to its right (for side-by-side panels).

    Returns
    -------
    matplotlib.figure.Figure or matplotlib.figure.SubFigure
        The figure drawn into: a new Figure, or ``ax``'s figure when given.
    """
    # lazily: matplotlib takes seconds to import and only the PNG maps need it
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    labels = np.asarray(labels, dtype=int)
    colours = colours or area_colours(problem.k)
    areas = areas_layer(problem, labels)
    rows = area_table(problem, labels)
    fig: MplFigure | SubFigure
    if ax is None:
        fig, ax = plt.subplots(figsize=(9, 8.2), dpi=130)
    else:
        fig = ax.figure
    for k, row in enumerate(areas.itertuples()):
        gpd.GeoSeries([row.geometry], crs=areas.crs).plot(ax=ax, color=colours[k], alpha=0.8, edgecolor="none", zorder=1)
    buurten_of(problem).boundary.plot(ax=ax, color="#555555", linewidth=0.35, zorder=2)
    areas.boundary.plot(ax=ax, color="#111111", linewidth=1.8, zorder=3)
    lines = problem.barrier_lines
    handles: list[Artist] = [Patch(facecolor=colours[k], edgecolor="#111111",
                     label=f"{r['name']}: {nl_int(r['population'])} inw. ({nl_pct(r['deviation'])})")
               for k, r in enumerate(rows)]
    if lines is not None and len(lines):
        lines.to_crs(areas.crs).plot(ax=ax, color="#C00000", linewidth=1.2, linestyle="--", zorder=4)
        handles.append(Line2D([], [], color="#C00000", linestyle="--", label="Barrière"))
    texts = []
    for row in areas.itertuples():
        pt = row.geometry.representative_point()
        texts.append(ax.text(pt.x, pt.y, f"{row.area}\n{nl_int(row.population)} inw.", ha="center", va="center",
                             fontsize=8, fontweight="bold", zorder=6,
                             bbox={"boxstyle": "round,pad=0.25", "fc": "white", "alpha": 0.85, "lw": 0}))
    if problem.practices is not None and len(problem.practices):
        problem.practices.to_crs(areas.crs).plot(ax=ax, color="white", edgecolor="black", markersize=28, linewidth=0.9, zorder=5)
        fict = " (FICTIEF)" if problem.provenance.practices_fictional else ""
        handles.append(Line2D([], [], marker="o", linestyle="", markerfacecolor="white", markeredgecolor="black",
                              label="Huisartsenpraktijk" + fict))
    ax.set_aspect("equal")
    ax.set_axis_off()
    separate_labels(ax, texts)
    where: dict[str, Any] = {"loc": "upper center", "bbox_to_anchor": (0.5, -0.07)} if legend_below else {"loc": "upper left", "bbox_to_anchor": (1.0, 1.0)}
    ax.legend(handles=handles, **where, fontsize=8, frameon=False,
              title=f"Doel {nl_int(problem.target)} inw. ({nl_int(problem.lo)}–{nl_int(problem.hi)})", title_fontsize=8)
    scale_bar(ax)
    north_arrow(ax)
    source = SOURCE_LINE
    if problem.provenance.practices_fictional:
        source += " · praktijken FICTIEF (voorbeeld)"
    if problem.provenance.catchment_estimated:
        source += " · patiëntaandelen geschat"
    ax.text(0.0, -0.03, source, transform=ax.transAxes, fontsize=7, color="#333333", va="top")
    if title:
        ax.set_title(title, fontsize=12, fontweight="bold")
    return fig


def static_map(problem: Problem, labels: np.ndarray, path: Path, title: str = "", colours: list[str] | None = None) -> None:
    """Write the static map of a plan (map.png, the figure of :func:`static_figure`) for documents.

    Parameters
    ----------
    problem : Problem
        The problem the plan divides.
    labels : numpy.ndarray
        Area index per buurt, in the order of ``problem.codes``.
    path : pathlib.Path
        The image file to write (format from its suffix, PNG here).
    title : str
        Title above the map; empty for none.
    colours : list of str, optional
        Hex colour per area; by default :func:`wijkindeling.report.style.area_colours`.
    """
    # lazily: matplotlib is slow to import and only the PNG maps need it (static_figure sets the Agg backend)
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure as MplFigure

    fig = static_figure(problem, labels, title, colours)
    assert isinstance(fig, MplFigure)  # no ``ax`` given, so static_figure made a figure of its own
    fig.savefig(path, bbox_inches="tight", pad_inches=0.15)
    plt.close(fig)


def nice_length(span: float) -> float:
    """A round scale-bar length (1, 2 or 5 x 10^n metres) of about a fifth of ``span``."""
    raw = span / 5
    power = 10 ** np.floor(np.log10(raw))
    for step in (5, 2, 1):
        if step * power <= raw:
            return float(step * power)
    return float(power)


def scale_bar(ax: Axes) -> float:
    """Draw a two-segment scale bar in the lower right of ``ax`` (axes in metres, RD New).

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        A map whose limits are set already.

    Returns
    -------
    float
        The bar's length in metres (see :func:`nice_length`).
    """
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = nice_length(x1 - x0)
    bx, by, h = x1 - (x1 - x0) * 0.04 - length, y0 + (y1 - y0) * 0.03, (y1 - y0) * 0.008
    for i, colour in enumerate(("black", "white")):
        ax.add_patch(matplotlib_rectangle((bx + i * length / 2, by), length / 2, h, colour))
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    ax.text(bx, by + 2 * h, "0", ha="center", fontsize=7)
    ax.text(bx + length, by + 2 * h, label, ha="center", fontsize=7)
    return length


def matplotlib_rectangle(xy: tuple[float, float], width: float, height: float, colour: str) -> Rectangle:
    """A rectangle of the scale bar: filled with ``colour``, black outline, lower-left corner at ``xy``."""
    from matplotlib.patches import Rectangle  # lazily: matplotlib is slow to import and only PNG maps need it

    return Rectangle(xy, width, height, facecolor=colour, edgecolor="black", linewidth=0.8, zorder=7)


def north_arrow(ax: Axes) -> None:
    """Draw a north arrow with an ``N`` in the upper right corner of ``ax`` (maps are drawn north up)."""
    ax.annotate("N", xy=(0.96, 0.97), xytext=(0.96, 0.88), xycoords="axes fraction", ha="center", va="center",
                fontsize=11, fontweight="bold", arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.5})


def write_maps(problem: Problem, labels: np.ndarray, folder: Path, title: str = "") -> None:
    """Write map.html (:func:`interactive_map`) and map.png (:func:`static_map`) into ``folder``.

    Parameters
    ----------
    problem : Problem
        The problem the plan divides.
    labels : numpy.ndarray
        Area index per buurt, in the order of ``problem.codes``.
    folder : pathlib.Path
        An existing folder.
    title : str
        Title of both maps.
    """
    interactive_map(problem, labels, title).save(str(Path(folder) / "map.html"))
    static_map(problem, labels, Path(folder) / "map.png", title)


def geojson_text(data: dict[str, Any]) -> str:
    """Compact JSON for embedding in a page (``<`` already escaped by :func:`feature_collection`)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
