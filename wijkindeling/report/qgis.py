"""QGIS styles for plan.gpkg, and GeoJSON exports in WGS84 for web use.

QGIS loads a layer's default style from the GeoPackage table ``layer_styles`` (the table QGIS
itself writes with "Save as default"): one row per layer with the style as QML. We write a
categorised style for ``gebieden`` (the map's colour-blind-safe colours, labels with name and
inhabitants), outlines for ``buurten`` and white dots with names for ``praktijken``, so the
file opens in QGIS looking like map.png.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np
import pandas as pd
import pyogrio

from ..model.metrics import area_table
from ..model.problem import Problem
from ..model.startfoto import startfoto
from ..text import format_int as nl_int
from .layers import areas_layer, buurten_layer
from .style import area_colours, nl_pct

QGIS_VERSION = "3.22.0-Białowieża"
STYLE_NAME = "wijkindeling"


def _rgba(hex_colour: str, alpha: int = 255) -> str:
    h = hex_colour.lstrip("#")
    return f"{int(h[0:2], 16)},{int(h[2:4], 16)},{int(h[4:6], 16)},{alpha}"


def _options(props: dict[str, str]) -> str:
    """Symbol-layer properties in both QML dialects (``<Option>`` map for QGIS ≥ 3.26, ``<prop>`` before)."""
    opts = "".join(f'<Option name={quoteattr(k)} type="QString" value={quoteattr(v)}/>' for k, v in props.items())
    legacy = "".join(f"<prop k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in props.items())
    return f'<Option type="Map">{opts}</Option>{legacy}'


def _fill_symbol(name: str, colour: str, outline: str = "#111111", width: float = 0.6, style: str = "solid", alpha: float = 1.0) -> str:
    props = {"color": _rgba(colour, 200), "style": style, "outline_color": _rgba(outline), "outline_style": "solid",
             "outline_width": f"{width}", "outline_width_unit": "MM", "joinstyle": "bevel", "offset": "0,0"}
    return (f'<symbol type="fill" name={quoteattr(name)} alpha="{alpha}" clip_to_extent="1" force_rhr="0">'
            f'<layer class="SimpleFill" enabled="1" locked="0" pass="0">{_options(props)}</layer></symbol>')


def _marker_symbol(name: str) -> str:
    props = {"name": "circle", "color": "255,255,255,255", "outline_color": "0,0,0,255", "outline_width": "0.4",
             "outline_width_unit": "MM", "size": "3", "size_unit": "MM", "outline_style": "solid", "angle": "0"}
    return (f'<symbol type="marker" name={quoteattr(name)} alpha="1" clip_to_extent="1" force_rhr="0">'
            f'<layer class="SimpleMarker" enabled="1" locked="0" pass="0">{_options(props)}</layer></symbol>')


def _labeling(expression: str, size: float = 9, placement: int = 1, priority: int = 5, max_scale: int = 0) -> str:
    """Simple labelling on an expression with a white buffer (placement 1: over the point/centroid).

    ``max_scale`` > 0 shows the labels only when zoomed in beyond 1:max_scale (detail labels).
    """
    scale = (f'scaleVisibility="1" minimumScale="{max_scale}" maximumScale="1" scaleMin="1" scaleMax="{max_scale}"'
             if max_scale else 'scaleVisibility="0"')
    return (
        '<labeling type="simple"><settings calloutType="simple">'
        f'<text-style fieldName={quoteattr(expression)} isExpression="1" fontSize="{size}" fontSizeUnit="Point" '
        'fontFamily="Sans Serif" fontWeight="75" namedStyle="Bold" textColor="17,17,17,255" textOpacity="1" '
        'multilineAlign="1" fontLetterSpacing="0" fontWordSpacing="0" fontItalic="0" fontUnderline="0" fontStrikeout="0">'
        '<text-buffer bufferDraw="1" bufferSize="0.8" bufferSizeUnits="MM" bufferColor="255,255,255,255" '
        'bufferOpacity="0.85" bufferJoinStyle="128" bufferNoFill="1"/></text-style>'
        '<text-format wrapChar="" multilineAlign="1" autoWrapLength="0" plussign="0" formatNumbers="0"/>'
        f'<placement placement="{placement}" dist="1" distUnits="MM" priority="{priority}" fitInPolygonOnly="0" '
        'centroidInside="1" centroidWhole="0" overrunDistance="0" repeatDistance="0"/>'
        f'<rendering drawLabels="1" obstacle="1" {scale} displayAll="0" upsidedownLabels="0" '
        'labelPerPart="0" mergeLines="0" limitNumLabels="0" maxNumLabels="2000" minFeatureSize="0"/>'
        '</settings></labeling>'
    )


def _qml(renderer: str, labeling: str = "") -> str:
    return (f"<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
            f'<qgis version="{QGIS_VERSION}" styleCategories="Symbology|Labeling">'
            f"{renderer}{labeling}<blendMode>0</blendMode><featureBlendMode>0</featureBlendMode>"
            f"<layerOpacity>1</layerOpacity></qgis>\n")


def areas_qml(names: list[str], colours: list[str], legend: list[str]) -> str:
    """The QML style of layer ``gebieden``: a categorised fill on field ``area``, labels 'name / N inw.'.

    Parameters
    ----------
    names : list of str
        The area names, the values of field ``area`` (one category each, in this order).
    colours : list of str
        Hex fill colour per area, in the order of ``names``.
    legend : list of str
        Legend text per area, in the order of ``names``.

    Returns
    -------
    str
        A QGIS style document (QML).
    """
    cats = "".join(f'<category render="true" value={quoteattr(n)} label={quoteattr(lbl)} symbol="{i}" type="string"/>'
                   for i, (n, lbl) in enumerate(zip(names, legend)))
    symbols = "".join(_fill_symbol(str(i), c) for i, c in enumerate(colours))
    renderer = (f'<renderer-v2 type="categorizedSymbol" attr="area" forceraster="0" symbollevels="0" enableorderby="0">'
                f"<categories>{cats}</categories><symbols>{symbols}</symbols></renderer-v2>")
    expression = "\"area\" || '\\n' || replace(format_number(\"population\", 0), ',', '.') || ' inw.'"
    return _qml(renderer, _labeling(expression, 10, priority=10))


def buurten_qml() -> str:
    """The QML style of layer ``buurten``: grey outlines without fill, labelled with the buurt name at larger scales."""
    renderer = ('<renderer-v2 type="singleSymbol" forceraster="0" symbollevels="0" enableorderby="0"><symbols>'
                + _fill_symbol("0", "#ffffff", outline="#555555", width=0.26, style="no")
                + "</symbols></renderer-v2>")
    return _qml(renderer, _labeling('"buurtnaam"', 7, priority=2, max_scale=25000))


def practices_qml() -> str:
    """The QML style of layer ``praktijken``: white dots, labelled with the practice name at larger scales."""
    renderer = ('<renderer-v2 type="singleSymbol" forceraster="0" symbollevels="0" enableorderby="0"><symbols>'
                + _marker_symbol("0") + "</symbols></renderer-v2>")
    return _qml(renderer, _labeling('"name"', 7, placement=6, priority=3, max_scale=25000))


def geometry_column(path: Path, layer: str) -> str:
    """The name of ``layer``'s geometry column in the GeoPackage at ``path`` (``geom`` when it has none listed)."""
    with sqlite3.connect(path) as con:
        row = con.execute("SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?", (layer,)).fetchone()
    return row[0] if row else "geom"


def write_layer_styles(path: Path, styles: dict[str, str]) -> None:
    """Add the QGIS table ``layer_styles`` to a GeoPackage, so QGIS opens each layer with our style.

    Parameters
    ----------
    path : pathlib.Path
        An existing GeoPackage that holds the styled layers.
    styles : dict of str to str
        Layer name -> QML; each becomes that layer's default style.
    """
    now = dt.datetime.now(dt.timezone.utc)
    now = pd.Timestamp(now.replace(microsecond=(now.microsecond // 1000 or 1) * 1000))  # GPKG wants milliseconds
    rows = [{
        "f_table_catalog": "", "f_table_schema": "", "f_table_name": layer,
        "f_geometry_column": geometry_column(path, layer), "styleName": STYLE_NAME, "styleQML": qml,
        "styleSLD": "", "useAsDefault": True, "description": "Stijl van wijkindeling (kleuren als map.png)",
        "owner": "", "ui": "", "update_time": now,
    } for layer, qml in styles.items()]
    pyogrio.write_dataframe(pd.DataFrame(rows), path, layer="layer_styles", driver="GPKG",
                            layer_options={"FID": "id"})


def write_plan_styles(problem: Problem, labels: np.ndarray, path: Path, colours: list[str] | None = None) -> None:
    """Write default QGIS styles for the layers of plan.gpkg (``gebieden``, ``buurten``, ``praktijken``).

    Parameters
    ----------
    problem : Problem
        The problem the plan divides (area names, practices).
    labels : numpy.ndarray
        Area index per buurt, in the order of ``problem.codes``.
    path : pathlib.Path
        plan.gpkg with those layers already written.
    colours : list of str, optional
        Hex colour per area; by default the map's colours (:func:`wijkindeling.report.style.area_colours`).
    """
    colours = colours or area_colours(problem.k)
    rows = area_table(problem, labels)
    legend = [f"{r['name']} – {nl_int(r['population'])} inw. ({nl_pct(r['deviation'])})" for r in rows]
    styles = {"gebieden": areas_qml([r["name"] for r in rows], colours, legend), "buurten": buurten_qml()}
    if problem.practices is not None and len(problem.practices):
        styles["praktijken"] = practices_qml()
    write_layer_styles(Path(path), styles)


def write_geojson(problem: Problem, labels: np.ndarray, folder: Path) -> list[Path]:
    """Write ``gebieden.geojson`` and ``buurten.geojson`` in WGS84 (EPSG:4326, RFC 7946), for web maps.

    Parameters
    ----------
    problem : Problem
        The problem the plan divides.
    labels : numpy.ndarray
        Area index per buurt, in the order of ``problem.codes``.
    folder : pathlib.Path
        An existing folder to write the two files into.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    out = []
    for name, layer in (("gebieden", areas_layer(problem, labels, startfoto(problem, labels))),
                        ("buurten", buurten_layer(problem, labels))):
        path = Path(folder) / f"{name}.geojson"
        layer.to_crs("EPSG:4326").to_file(path, driver="GeoJSON", layer_options={"COORDINATE_PRECISION": 6, "RFC7946": "YES"})
        out.append(path)
    return out
