"""A plan as tables and layers: ``buurtcode, area`` rows, buurten with their area, areas dissolved with metrics.

These are the shapes every output shares (plan.csv, plan.gpkg, GeoJSON, maps, QGIS styles).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from ..model.metrics import area_table, polsby_popper
from ..model.problem import Problem


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


def areas_layer(problem: Problem, labels: np.ndarray) -> gpd.GeoDataFrame:
    """The areas as polygons dissolved from their buurten, with per-area metrics: layer ``gebieden``.

    Parameters
    ----------
    problem : Problem
        The problem the plan divides.
    labels : numpy.ndarray
        Area index per buurt, in the order of ``problem.codes``.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per area in area order, with ``area``, ``population``, ``deviation_pct``,
        ``n_buurten``, ``practices``, ``patients_in_own_area_pct``, ``split_groups`` and
        ``polsby_popper`` (figures from :func:`wijkindeling.model.metrics.area_table`), in the
        CRS of ``problem.buurten``.
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
    return gdf
