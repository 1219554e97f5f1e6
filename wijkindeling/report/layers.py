"""A plan as tables and layers: ``buurtcode, area`` rows, buurten with their area, areas dissolved with metrics.

These are the shapes every output shares (plan.csv, plan.gpkg, GeoJSON, maps, QGIS styles).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from ..model.metrics import area_table, polsby_popper
from ..model.problem import Problem


def plan_frame(problem: Problem, labels: np.ndarray) -> pd.DataFrame:
    """``buurtcode, area`` in buurtcode order."""
    return pd.DataFrame({"buurtcode": problem.codes, "area": [problem.area_names[int(a)] for a in labels]})


def buurten_layer(problem: Problem, labels: np.ndarray) -> gpd.GeoDataFrame:
    """The buurten with their area (layer ``buurten`` of plan.gpkg)."""
    gdf = problem.buurten[["buurtcode", "buurtnaam", "wijkcode", "wijknaam", "population", "geometry"]].copy()
    gdf.insert(0, "area", [problem.area_names[int(a)] for a in labels])
    return gdf


def areas_layer(problem: Problem, labels: np.ndarray) -> gpd.GeoDataFrame:
    """Areas dissolved from buurten, with per-area metrics (layer ``gebieden``)."""
    rows = area_table(problem, labels)
    geoms = []
    for k in range(problem.k):
        geoms.append(problem.buurten.geometry[labels == k].union_all())
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
        crs=problem.buurten.crs,
    )
    return gdf
