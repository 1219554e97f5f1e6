"""A plan as tables and layers: ``buurtcode, area`` rows, buurten with their area, areas dissolved with metrics.

These are the shapes every output shares (plan.csv, plan.gpkg, GeoJSON, maps, QGIS styles).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from ..model.metrics import area_table, polsby_popper
from ..model.problem import Problem
from ..model.profile import Indicator
from ..model.startfoto import Startfoto
from ..text import PROFILE_BUILTIN


def buurten_of(problem: Problem) -> gpd.GeoDataFrame:
    """The buurt polygons of a problem; every map, layer and plan file needs them.

    Parameters
    ----------
    problem : Problem
        A problem built from a config (:func:`wijkindeling.build.build_problem`), which always
        carries its buurten.

    Returns
    -------
    geopandas.GeoDataFrame
        ``problem.buurten``: one row per buurt with ``buurtcode``, ``buurtnaam``, ``wijkcode``,
        ``wijknaam``, ``population`` and ``geometry`` (RD New).
    """
    assert problem.buurten is not None, "the problem has no buurt geometries"
    return problem.buurten


def plan_frame(problem: Problem, labels: np.ndarray) -> pd.DataFrame:
    """The plan as a table: columns ``buurtcode, area`` (area name), one row per buurt in buurtcode order.

    Parameters
    ----------
    problem : Problem
        The problem the plan divides; gives the buurtcodes and the area names.
    labels : numpy.ndarray
        Area index (0-based) per buurt, in the order of ``problem.codes``.

    Returns
    -------
    pandas.DataFrame
        The rows of plan.csv.
    """
    return pd.DataFrame({"buurtcode": problem.codes, "area": [problem.area_names[int(a)] for a in labels]})


def buurten_layer(problem: Problem, labels: np.ndarray) -> gpd.GeoDataFrame:
    """The buurten with their area: layer ``buurten`` of plan.gpkg.

    Parameters
    ----------
    problem : Problem
        The problem the plan divides.
    labels : numpy.ndarray
        Area index per buurt, in the order of ``problem.codes``.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``area`` (area name), ``buurtcode``, ``buurtnaam``, ``wijkcode``, ``wijknaam``,
        ``population`` and ``geometry``, in the CRS of ``problem.buurten``.
    """
    gdf = buurten_of(problem)[["buurtcode", "buurtnaam", "wijkcode", "wijknaam", "population", "geometry"]].copy()
    gdf.insert(0, "area", [problem.area_names[int(a)] for a in labels])
    return gdf


def areas_layer(problem: Problem, labels: np.ndarray, foto: Startfoto | None = None) -> gpd.GeoDataFrame:
    """The areas as polygons dissolved from their buurten, with per-area metrics: layer ``gebieden``.

    Parameters
    ----------
    problem : Problem
        The problem the plan divides.
    labels : numpy.ndarray
        Area index per buurt, in the order of ``problem.codes``.
    foto : Startfoto, optional
        The plan's startfoto (:func:`wijkindeling.model.startfoto.startfoto`).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per area in area order, with ``area``, ``population``, ``deviation_pct``,
        ``n_buurten``, ``practices``, ``patients_in_own_area_pct``, ``split_groups`` and
        ``polsby_popper`` (figures from :func:`wijkindeling.model.metrics.area_table`), then the
        startfoto's columns (:func:`profile_columns`) when ``foto`` is given (the plan files; maps only
        need the shapes), in the CRS of ``problem.buurten``.
    """
    buurten = buurten_of(problem)
    rows = area_table(problem, labels)
    geoms = []
    for k in range(problem.k):
        geoms.append(buurten.geometry[labels == k].union_all())
    gdf = gpd.GeoDataFrame(
        {
            "area": [r["name"] for r in rows],
            "population": [r["population"] for r in rows],
            "deviation_pct": [round(100 * r["deviation"], 2) for r in rows],
            "n_buurten": [r["n_buurten"] for r in rows],
            "practices": [", ".join(r["practices"]) for r in rows],
            "patients_in_own_area_pct": [None if r["patients_in_own_area"] is None else round(100 * r["patients_in_own_area"], 2) for r in rows],
            "split_groups": ["; ".join(r["split_groups"]) for r in rows],
            "polsby_popper": [round(polsby_popper(g), 4) for g in geoms],
        },
        geometry=geoms,
        crs=buurten.crs,
    )
    for column, values in (profile_columns(foto) if foto is not None else {}).items():
        gdf.insert(len(gdf.columns) - 1, column, values)
    return gdf


def profile_column(ind: Indicator) -> str:
    """The attribute name of an indicator in the ``gebieden`` layer: its key, ``_pct`` for a percentage, ``_FICTIEF``
    when it rests on a fictional practice list."""
    return ind.key + ("_pct" if ind.percent else "") + ("_FICTIEF" if ind.fictional else "")


def _scaled(value: float | None, factor: float) -> float | None:
    """``value * factor`` rounded to 4 decimals; None stays None (unknown)."""
    return None if value is None else round(factor * value, 4)


def profile_columns(foto: Startfoto) -> dict[str, list[float | None]]:
    """The startfoto as attribute columns of the ``gebieden`` layer (``inwoners`` is left out: it is ``population``).

    Returns
    -------
    dict
        Column name (:func:`profile_column`) -> value per area (None when unknown; a percentage
        in percent), plus ``<key>_dekking_pct`` (coverage in percent) for every declared indicator.
    """
    out: dict[str, list[float | None]] = {}
    for ind in foto.indicators:
        if ind.key == "inwoners":
            continue
        factor = 100.0 if ind.percent else 1.0
        out[profile_column(ind)] = [_scaled(a[ind.key].value, factor) for a in foto.areas]
        if ind.key not in PROFILE_BUILTIN:
            out[f"{ind.key}_dekking_pct"] = [round(100 * a[ind.key].coverage, 2) for a in foto.areas]
    return out


def profile_table(foto: Startfoto) -> pd.DataFrame:
    """The startfoto's definitions and the municipality's values: table ``startfoto`` of plan.gpkg.

    Returns
    -------
    pandas.DataFrame
        One row per indicator: ``kolom`` (its column in ``gebieden``), ``sleutel``, ``titel``, ``eenheid``,
        ``optelling`` (count/share/mean), ``noemer`` (denominator or weight), ``bron``, ``fictief``,
        ``gemeente`` (the municipality's value) and ``gemeente_dekking_pct``.
    """
    rows = []
    for ind in foto.indicators:
        whole = foto.whole[ind.key]
        factor = 100.0 if ind.percent else 1.0
        rows.append({"kolom": "population" if ind.key == "inwoners" else profile_column(ind), "sleutel": ind.key,
                     "titel": ind.title, "eenheid": "%" if ind.percent else ind.unit, "optelling": ind.aggregate,
                     "noemer": (ind.denominator or ind.weight or "").lstrip("_"), "bron": ind.source,
                     "fictief": "FICTIEF" if ind.fictional else "",
                     "gemeente": _scaled(whole.value, factor),
                     "gemeente_dekking_pct": round(100 * whole.coverage, 2)})
    return pd.DataFrame(rows)
