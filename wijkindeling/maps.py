"""Maps of a plan: an interactive folium map (map.html) and a static PNG (map.png).

Both work offline: the folium map needs no tiles (an OpenStreetMap tile layer is offered but
off by default), and every text that comes from data is HTML-escaped.
"""

from __future__ import annotations

import html
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np

from .metrics import area_table
from .plan import areas_layer, buurten_layer
from .problem import Problem

# Colour-blind-safe palettes: Okabe-Ito, then Paul Tol's "muted" for more areas.
PALETTE = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#999999",
           "#CC6677", "#332288", "#DDCC77", "#117733", "#88CCEE", "#882255", "#44AA99", "#999933", "#AA4499"]
SOURCE_LINE = "Bron: CBS / Kadaster (PDOK), CC-BY 4.0"


def area_colour(k: int) -> str:
    return PALETTE[k % len(PALETTE)]


def _esc(value) -> str:
    return html.escape(str(value))


def _legend_html(problem: Problem, labels: np.ndarray, title: str) -> str:
    rows = []
    for k, row in enumerate(area_table(problem, labels)):
        rows.append(
            f'<div><span style="display:inline-block;width:12px;height:12px;background:{area_colour(k)};'
            f'border:1px solid #333;margin-right:6px"></span>{_esc(row["name"])}: {row["population"]:,} '
            f'inw. ({100 * row["deviation"]:+.1f} %)</div>'.replace(",", ".")
        )
    note = ""
    if problem.meta.get("catchment_estimated"):
        note += "<div><i>Patiëntaandelen geschat</i></div>"
    if problem.meta.get("practices_fictional"):
        note += "<div><b>Praktijken FICTIEF (voorbeeld)</b></div>"
    return (
        '<div id="legend" style="position:fixed;bottom:20px;left:20px;z-index:9999;background:white;'
        'padding:8px 10px;border:1px solid #777;font:12px sans-serif;max-height:60vh;overflow:auto">'
        f"<b>{_esc(title)}</b>{''.join(rows)}{note}<div style='color:#555'>{_esc(SOURCE_LINE)}</div></div>"
    )


def interactive_map(problem: Problem, labels: np.ndarray, title: str = "") -> folium.Map:
    """Folium map: areas, buurt outlines with tooltips, practices, legend and layer control."""
    buurten = buurten_layer(problem, labels).to_crs("EPSG:4326")
    areas = areas_layer(problem, labels).to_crs("EPSG:4326")
    minx, miny, maxx, maxy = buurten.total_bounds
    fmap = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], tiles=None, zoom_start=12, control_scale=True)
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    folium.TileLayer("OpenStreetMap", name="OpenStreetMap (online)", show=False).add_to(fmap)
    area_index = {name: k for k, name in enumerate(problem.area_names)}
    area_fg = folium.FeatureGroup(name="Gebieden", show=True)
    for row in areas.itertuples():
        colour = area_colour(area_index[row.area])
        tip = f"{_esc(row.area)}: {row.population:,} inwoners".replace(",", ".")
        folium.GeoJson(
            row.geometry.__geo_interface__,
            style_function=lambda _f, c=colour: {"fillColor": c, "color": "#222", "weight": 3, "fillOpacity": 0.55},
            tooltip=tip,
            name=_esc(row.area),
            class_name="wk-area",
        ).add_to(area_fg)
    area_fg.add_to(fmap)
    buurt_fg = folium.FeatureGroup(name="Buurten", show=True)
    for row in buurten.itertuples():
        tip = f"{_esc(row.buurtnaam)} ({_esc(row.buurtcode)})<br>{row.population:,} inwoners<br>{_esc(row.area)}".replace(",", ".")
        folium.GeoJson(
            row.geometry.__geo_interface__,
            style_function=lambda _f: {"fill": True, "fillOpacity": 0.0, "color": "#555", "weight": 1},
            tooltip=folium.Tooltip(tip),
            class_name="wk-buurt",
        ).add_to(buurt_fg)
    buurt_fg.add_to(fmap)
    if problem.practices is not None:
        prac = problem.practices.to_crs("EPSG:4326")
        fictional = " (FICTIEF)" if problem.meta.get("practices_fictional") else ""
        pfg = folium.FeatureGroup(name="Huisartsenpraktijken" + fictional, show=True)
        for row in prac.itertuples():
            size = "" if not np.isfinite(row.patients) else f"<br>{int(row.patients):,} patiënten".replace(",", ".")
            folium.CircleMarker(
                [row.geometry.y, row.geometry.x], radius=6, color="#000", weight=1, fill=True, fill_color="#ffffff",
                fill_opacity=1.0, tooltip=f"{_esc(row.name)}{size}{_esc(fictional)}", class_name="wk-practice",
            ).add_to(pfg)
        pfg.add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    fmap.get_root().html.add_child(folium.Element(_legend_html(problem, labels, title)))
    return fmap


def static_map(problem: Problem, labels: np.ndarray, path: Path, title: str = "") -> None:
    """PNG map for documents: areas, labels with inhabitants, legend, scale bar, north arrow, source."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    areas = areas_layer(problem, labels)
    fig, ax = plt.subplots(figsize=(8.5, 8.5), dpi=120)
    problem.buurten.boundary.plot(ax=ax, color="#666", linewidth=0.4, zorder=2)
    for k, row in enumerate(areas.itertuples()):
        gpd.GeoSeries([row.geometry]).plot(ax=ax, color=area_colour(k), alpha=0.75, edgecolor="#111", linewidth=1.6, zorder=1)
        pt = row.geometry.representative_point()
        ax.annotate(f"{row.area}\n{row.population:,}".replace(",", "."), (pt.x, pt.y), ha="center", va="center",
                    fontsize=8, zorder=4, bbox={"boxstyle": "round,pad=0.2", "fc": "white", "alpha": 0.8, "lw": 0})
    if problem.practices is not None:
        problem.practices.plot(ax=ax, color="white", edgecolor="black", markersize=25, zorder=5)
    handles = [Patch(facecolor=area_colour(k), edgecolor="#111", label=f"{r.area}: {r.population:,} inw.".replace(",", "."))
               for k, r in enumerate(areas.itertuples())]
    ax.legend(handles=handles, loc="upper left", fontsize=7, framealpha=0.9)
    _scale_bar(ax)
    _north_arrow(ax)
    source = SOURCE_LINE
    if problem.meta.get("practices_fictional"):
        source += " · praktijken FICTIEF (voorbeeld)"
    if problem.meta.get("catchment_estimated"):
        source += " · patiëntaandelen geschat"
    ax.text(0.01, 0.01, source, transform=ax.transAxes, fontsize=7, color="#333")
    ax.set_title(title, fontsize=11)
    ax.set_axis_off()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _scale_bar(ax) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = 10 ** int(np.log10((x1 - x0) / 4))
    if (x1 - x0) / length > 8:
        length *= 2
    bx, by = x1 - (x1 - x0) * 0.05 - length, y0 + (y1 - y0) * 0.04
    ax.plot([bx, bx + length], [by, by], color="black", linewidth=3)
    ax.text(bx + length / 2, by + (y1 - y0) * 0.01, f"{length / 1000:g} km", ha="center", fontsize=8)


def _north_arrow(ax) -> None:
    ax.annotate("N", xy=(0.95, 0.95), xytext=(0.95, 0.87), xycoords="axes fraction", ha="center", fontsize=10,
                arrowprops={"arrowstyle": "-|>", "color": "black"})


def write_maps(problem: Problem, labels: np.ndarray, folder: Path, title: str = "") -> None:
    """map.html and map.png in ``folder``."""
    interactive_map(problem, labels, title).save(str(Path(folder) / "map.html"))
    static_map(problem, labels, Path(folder) / "map.png", title)
