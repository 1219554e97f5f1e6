"""Figures for the handreiking: the proposal map, the CBS-wijken map and the region overview map.

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
