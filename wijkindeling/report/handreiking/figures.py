"""Figures for the handreiking: the proposal map, the CBS-wijken map, the region overview map and the startfoto charts.

Maps are written as PNG files (for the run folder) and embedded in documents as base64 data URIs.
The proposal map reuses :func:`wijkindeling.report.maps.static_map`; the CBS-wijken and region
maps are drawn here with the same colours.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np

from ...model.problem import Problem
from ...model.profile import Indicator
from ...model.startfoto import Startfoto, indicator_label
from ...text import PROFILE_NOTES, UNKNOWN, format_indicator
from ...text import format_int as nl_int
from ..layers import areas_layer, buurten_of
from ..maps import separate_labels, static_map
from ..style import area_colour

if TYPE_CHECKING:  # matplotlib itself is imported lazily (see _new_figure)
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.text import Text


def data_uri(path: Path) -> str:
    """``data:image/png;base64,...`` for an image file."""
    return "data:image/png;base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii")


def _new_figure() -> tuple[Figure, Axes]:
    """A square matplotlib figure for a document map (Agg backend, no screen needed)."""
    # lazily: matplotlib takes seconds to import and only the PNG maps need it
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(8.5, 8.5), dpi=120)


def _finish(fig: Figure, ax: Axes, path: Path, title: str, source: str, labels: list[Text] | None = None) -> Path:
    """Source line, title, no axes, overlapping ``labels`` moved apart; save as PNG and free the figure."""
    import matplotlib.pyplot as plt  # lazily: slow to import; _new_figure has set the Agg backend

    ax.text(0.01, 0.01, source, transform=ax.transAxes, fontsize=7, color="#333")
    ax.set_title(title, fontsize=11)
    ax.set_axis_off()
    fig.tight_layout()
    separate_labels(ax, labels or [])
    fig.savefig(path)
    plt.close(fig)
    return path


def proposal_map(problem: Problem, labels: np.ndarray, path: Path, title: str) -> Path:
    """Write the proposal's map (:func:`wijkindeling.report.maps.static_map`) to ``path`` and return ``path``."""
    static_map(problem, labels, path, title)
    return path


def wijken_map(problem: Problem, path: Path, title: str, source: str) -> Path:
    """Write a map of the municipality's CBS wijken with their inhabitants (the picture when no plan was found).

    Parameters
    ----------
    problem : Problem
        The municipality's problem.
    path : pathlib.Path
        The PNG file to write.
    title : str
        Title above the map.
    source : str
        Source line in the lower left.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    b = buurten_of(problem)
    fig, ax = _new_figure()
    texts = []
    for k, (name, rows) in enumerate(b.groupby("wijknaam", sort=True)):
        shape = rows.geometry.union_all()
        gpd.GeoSeries([shape]).plot(ax=ax, color=area_colour(k), alpha=0.7, edgecolor="#111", linewidth=1.4)
        pt = shape.representative_point()
        texts.append(ax.text(pt.x, pt.y, f"{name}\n{nl_int(rows['population'].sum())}", ha="center", va="center",
                             fontsize=7, bbox={"boxstyle": "round,pad=0.2", "fc": "white", "alpha": 0.8, "lw": 0}))
    b.boundary.plot(ax=ax, color="#555", linewidth=0.3)
    return _finish(fig, ax, path, title, source, texts)


def region_map(parts: list[tuple[Problem, np.ndarray | None, str]], path: Path, title: str, source: str) -> Path:
    """Write a map of all municipalities of a region: their areas coloured, municipal borders bold, names as labels.

    Parameters
    ----------
    parts : list of tuple of (Problem, numpy.ndarray or None, str)
        Per municipality its problem, its plan (None when no plan was found: drawn hatched grey) and
        its name; the label gives the name and the number of areas.
    path : pathlib.Path
        The PNG file to write.
    title : str
        Title above the map.
    source : str
        Source line in the lower left.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    fig, ax = _new_figure()
    texts = []
    for problem, labels, name in parts:
        outline = buurten_of(problem).geometry.union_all()
        if labels is not None:
            for k, row in enumerate(areas_layer(problem, labels).itertuples()):
                gpd.GeoSeries([row.geometry]).plot(ax=ax, color=area_colour(k), alpha=0.7, edgecolor="#333", linewidth=0.6)
        else:
            gpd.GeoSeries([outline]).plot(ax=ax, color="#dddddd", edgecolor="#333", linewidth=0.6, hatch="//")
        gpd.GeoSeries([outline]).boundary.plot(ax=ax, color="black", linewidth=1.8)
        pt = outline.representative_point()
        n_areas = problem.k if labels is not None else "–"
        texts.append(ax.text(pt.x, pt.y, f"{name}\n{n_areas}", ha="center", va="center", fontsize=9, fontweight="bold",
                             bbox={"boxstyle": "round,pad=0.25", "fc": "white", "alpha": 0.85, "lw": 0}))
    return _finish(fig, ax, path, title, source, texts)


def startfoto_chart(foto: Startfoto, names: list[str], path: Path, lang: str = "nl") -> Path:
    """Write the startfoto as small charts, one per indicator: every area's value as a bar, the municipality's as a line.

    Parameters
    ----------
    foto : Startfoto
        The plan's startfoto (:func:`wijkindeling.model.startfoto.startfoto`).
    names : list of str
        Area names, in area order.
    path : pathlib.Path
        The PNG file to write.
    lang : str
        Language of the number formats and the words "unknown" / "municipality".

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = [ind for ind in foto.indicators if ind.key != "inwoners"] or foto.indicators
    cols = 2
    rows = (len(shown) + cols - 1) // cols
    height = max(1.6, 0.26 * len(names) + 0.9)
    fig, axes = plt.subplots(rows, cols, figsize=(8.5, height * rows), dpi=120, squeeze=False)
    for ax, ind in zip(axes.flat, shown):
        _indicator_axes(ax, foto, ind, names, lang)
    for ax in list(axes.flat)[len(shown):]:
        ax.set_axis_off()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def _indicator_axes(ax: Axes, foto: Startfoto, ind: Indicator, names: list[str], lang: str) -> None:
    """One indicator's small chart: horizontal bars per area (unknown: no bar, the word) and a dashed reference line.

    The reference is the municipality's value; for a count (surface, number of over-65s) it is the municipality's
    total divided by the number of areas, since an area is compared with an average area, not with the whole.
    """
    factor = 100.0 if ind.percent else 1.0
    values = [foto.areas[k][ind.key].value for k in range(len(names))]
    ypos = np.arange(len(names))[::-1]
    ax.barh(ypos, [factor * v if v is not None else 0.0 for v in values], color=[area_colour(k) for k in range(len(names))],
            edgecolor="#333", linewidth=0.4)
    whole = foto.whole[ind.key].value
    words = PROFILE_NOTES.get(lang, PROFILE_NOTES["en"])
    reference = None if whole is None else (whole / len(names) if ind.aggregate == "count" else whole)
    if reference is not None:
        ax.axvline(factor * reference, color="#111", linestyle="--", linewidth=1)
    for y, v in zip(ypos, values):
        text = format_indicator(v, ind.unit, ind.percent, lang) if v is not None else UNKNOWN.get(lang, UNKNOWN["en"])
        ax.text(factor * (v or 0.0), y, " " + text, va="center", ha="left", fontsize=6.5, color="#111")
    ax.set_yticks(ypos, [str(n) for n in names], fontsize=7)
    ax.tick_params(axis="x", labelsize=6.5)
    ax.margins(x=0.25)
    line = f"{words['municipality']}: {format_indicator(whole, ind.unit, ind.percent, lang)}"
    if ind.aggregate == "count" and reference is not None:
        line += f"; - - {words['per_area']} {format_indicator(reference, ind.unit, ind.percent, lang)}"
    else:
        line += " (- -)"
    ax.set_title(f"{indicator_label(ind)}\n{line}", fontsize=7.5)
    ax.spines[["top", "right"]].set_visible(False)
