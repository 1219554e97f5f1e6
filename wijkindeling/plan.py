"""A plan: every buurt's area, with read/write for CSV and GeoPackage.

In memory a plan is an integer array ``labels`` (area index per unit of a Problem) plus the
area names in ``problem.area_names``. On disk it is ``plan.csv`` (``buurtcode,area`` with area
names) and ``plan.gpkg`` (layers ``buurten`` and ``gebieden``).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .data import DataError, read_table
from .metrics import area_table, polsby_popper
from .problem import Problem


def plan_frame(problem: Problem, labels: np.ndarray) -> pd.DataFrame:
    """``buurtcode, area`` in buurtcode order."""
    return pd.DataFrame({"buurtcode": problem.codes, "area": [problem.area_names[int(a)] for a in labels]})


def write_plan_csv(problem: Problem, labels: np.ndarray, path: Path) -> None:
    plan_frame(problem, labels).to_csv(path, index=False, lineterminator="\n")


def read_plan_csv(path: Path, problem: Problem) -> tuple[np.ndarray, list[str]]:
    """Read ``buurtcode,area`` (area as a name or number); returns labels and the area names found.

    Area names keep the order in which they first appear in buurtcode order, so the same
    division always gets the same labels.
    """
    df = read_table(path)
    if df.empty:
        raise DataError(f"{path}: the plan file has no rows; it needs one row per buurt with columns buurtcode,area.")
    cols = {c.lower(): c for c in df.columns}
    if "buurtcode" not in cols or not ({"area", "gebied"} & set(cols)):
        raise DataError(f"{path}: needs columns buurtcode and area; rename the columns (found {', '.join(df.columns)}).")
    area_col = cols.get("area") or cols["gebied"]
    df = df.assign(buurtcode=df[cols["buurtcode"]].str.strip(), area=df[area_col].astype(str).str.strip())
    dup = df["buurtcode"][df["buurtcode"].duplicated()]
    if len(dup):
        raise DataError(f"{path}: buurtcode {dup.iloc[0]} appears twice; give every buurt exactly one area.")
    unknown = sorted(set(df["buurtcode"]) - set(problem.codes))
    if unknown:
        raise DataError(f"{path}: buurtcode {unknown[0]} is not a buurt of this municipality; remove it or fix the code.")
    missing = [c for c in problem.codes if c not in set(df["buurtcode"])]
    if missing:
        raise DataError(f"{path}: buurt {missing[0]} has no area; add a row for it (every buurt needs an area).")
    if (df["area"] == "").any():
        raise DataError(f"{path}: buurt {df.loc[df['area'] == '', 'buurtcode'].iloc[0]} has an empty area; fill in its area.")
    area_of = dict(zip(df["buurtcode"], df["area"]))
    names: list[str] = []
    for code in problem.codes:
        if area_of[code] not in names:
            names.append(area_of[code])
    labels = np.array([names.index(area_of[c]) for c in problem.codes], dtype=int)
    return labels, names


def problem_for_plan(problem: Problem, names: list[str]) -> Problem:
    """The problem re-sized to an imported plan's number of areas (same tolerance rule), with its names."""
    if len(names) == problem.k:
        sized = problem
    else:
        sized = problem.with_k(len(names), problem.meta.get("tolerance"))
    from dataclasses import replace

    return replace(sized, area_names=list(names), locks={u: names.index(problem.area_names[a]) for u, a in problem.locks.items() if problem.area_names[a] in names})


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


def write_plan_gpkg(problem: Problem, labels: np.ndarray, path: Path) -> None:
    """plan.gpkg with layers ``buurten`` and ``gebieden`` (and ``praktijken`` when there are practices)."""
    buurten_layer(problem, labels).to_file(path, layer="buurten", driver="GPKG")
    areas_layer(problem, labels).to_file(path, layer="gebieden", driver="GPKG")
    if problem.practices is not None:
        prac = problem.practices.copy()
        prac["area"] = [problem.area_names[int(labels[h])] for h in problem.practice_home]
        prac.to_file(path, layer="praktijken", driver="GPKG")
    write_provenance_table(problem, path)


PROVENANCE_KEYS = ("tool_version", "config_hash", "data_hash", "gemeentecode", "attribution")


def write_provenance_table(problem: Problem, path: Path) -> None:
    """Attribute table ``provenance`` (key, value) in the GeoPackage: tool version, config and data hash."""
    import pyogrio

    rows = [(k, str(problem.meta.get(k))) for k in PROVENANCE_KEYS]
    rows += [(f"data_file:{k}", v) for k, v in sorted((problem.meta.get("data_files") or {}).items())]
    pyogrio.write_dataframe(pd.DataFrame(rows, columns=["key", "value"]), path, layer="provenance", driver="GPKG")
