"""A plan: every buurt's area, with read/write for CSV and GeoPackage.

In memory a plan is an integer array ``labels`` (area index per unit of a Problem) plus the
area names in ``problem.area_names``. On disk it is ``plan.csv`` (``buurtcode,area`` with area
names) and ``plan.gpkg`` (layers ``buurten`` and ``gebieden``).
"""

from __future__ import annotations

import tempfile
import warnings
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from ..errors import DataError
from ..model.problem import Problem
from ..model.startfoto import startfoto
from ..sources.tables import read_table
from .layers import areas_layer, buurten_layer, buurten_of, plan_frame, profile_table
from .qgis import write_plan_styles


def write_plan_csv(problem: Problem, labels: np.ndarray, path: Path) -> None:
    """Write plan.csv: ``buurtcode,area`` (area name), one row per buurt in buurtcode order, LF line ends.

    Parameters
    ----------
    problem : Problem
        The problem the plan divides; gives the buurtcodes and the area names.
    labels : numpy.ndarray
        Area index per buurt, in the order of ``problem.codes``.
    path : pathlib.Path
        The file to write.
    """
    plan_frame(problem, labels).to_csv(path, index=False, lineterminator="\n")


def read_plan_csv(path: Path, problem: Problem) -> tuple[np.ndarray, list[str]]:
    """Read a plan table ``buurtcode,area`` (area as a name or number; ``gebied`` also names the column).

    Area names keep the order in which they first appear in buurtcode order, so the same
    division always gets the same labels.

    Parameters
    ----------
    path : pathlib.Path
        A CSV (``,`` or ``;`` separated, see :func:`wijkindeling.sources.tables.read_table`) with one row per buurt.
    problem : Problem
        The municipality's problem; every one of its buurten needs exactly one row.

    Returns
    -------
    labels : numpy.ndarray
        Area index per buurt, in the order of ``problem.codes``.
    names : list of str
        The area names, indexed by label.

    Raises
    ------
    DataError
        For an empty file, missing columns, a duplicate, unknown or missing buurtcode, or an empty area.
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
    """The problem re-sized to an imported plan's number of areas (same size rule), with its names.

    Parameters
    ----------
    problem : Problem
        The problem built from the config.
    names : list of str
        The plan's area names, indexed by label (as :func:`read_plan` returns them).

    Returns
    -------
    Problem
        A copy (re-sized by :meth:`Problem.with_k` when the number of areas differs) with those
        area names, and the problem's locks re-indexed to the plan's area of the same name (locks
        to an area the plan lacks are dropped).
    """
    if len(names) == problem.k:
        sized = problem
    else:
        sized = problem.with_k(len(names))
    return replace(sized, area_names=list(names), fixed_names=True, locks={u: names.index(problem.area_names[a]) for u, a in problem.locks.items() if problem.area_names[a] in names})


def write_plan_gpkg(problem: Problem, labels: np.ndarray, path: Path) -> None:
    """Write plan.gpkg: layers ``buurten``, ``gebieden`` (with the startfoto per area) and ``praktijken`` (when
    there are practices), the tables ``startfoto`` (indicator definitions and the municipality's values) and
    ``provenance``, and default QGIS styles.

    Parameters
    ----------
    problem : Problem
        The problem the plan divides.
    labels : numpy.ndarray
        Area index per buurt, in the order of ``problem.codes``.
    path : pathlib.Path
        The GeoPackage to write (a new file).
    """
    foto = startfoto(problem, labels)
    buurten_layer(problem, labels).to_file(path, layer="buurten", driver="GPKG")
    areas_layer(problem, labels, foto).to_file(path, layer="gebieden", driver="GPKG")
    if problem.practices is not None:
        assert problem.practice_home is not None  # the problem gives every practice a home buurt
        prac = problem.practices.copy()
        prac["area"] = [problem.area_names[int(labels[h])] for h in problem.practice_home]
        prac.to_file(path, layer="praktijken", driver="GPKG")
    pyogrio.write_dataframe(profile_table(foto), path, layer="startfoto", driver="GPKG")
    write_provenance_table(problem, path)
    write_plan_styles(problem, labels, path)


PROVENANCE_KEYS = ("tool_version", "config_hash", "data_hash", "gemeentecode", "attribution")


def write_provenance_table(problem: Problem, path: Path) -> None:
    """Add the attribute table ``provenance`` (key, value) to a GeoPackage.

    Parameters
    ----------
    problem : Problem
        Its provenance gives the rows: tool version, config and data hash, gemeentecode,
        attribution, and one ``data_file:<name>`` row per input file.
    path : pathlib.Path
        An existing GeoPackage.
    """
    rows = [(k, str(getattr(problem.provenance, k))) for k in PROVENANCE_KEYS]
    rows += [(f"data_file:{k}", v) for k, v in sorted(problem.provenance.data_files.items())]
    pyogrio.write_dataframe(pd.DataFrame(rows, columns=["key", "value"]), path, layer="provenance", driver="GPKG")


# ---------------------------------------------------------------- importing a division

PLAN_SUFFIXES = {".csv", ".txt", ".gpkg", ".geojson", ".json", ".shp"}
CBS_WIJKEN = ("cbs-wijken", "wijken")
NAME_FIELDS = ("area", "gebied", "gebiedsnaam", "naam", "name", "wijknaam", "statnaam", "wijkcode", "statcode")


def wijken_plan(problem: Problem) -> tuple[np.ndarray, list[str]]:
    """The CBS wijken themselves as a division: one area per wijk.

    Parameters
    ----------
    problem : Problem
        The municipality's problem.

    Returns
    -------
    labels : numpy.ndarray
        Area index per buurt, in the order of ``problem.codes``.
    names : list of str
        One name per area, in order of first appearance: the wijknaam, or the wijkcode when the
        wijk has no name.
    """
    b = buurten_of(problem).set_index("buurtcode").loc[problem.codes]
    keys = [f"{n}" if str(n).strip() else str(c) for c, n in zip(b["wijkcode"], b["wijknaam"])]
    names: list[str] = []
    for key in keys:
        if key not in names:
            names.append(key)
    return np.array([names.index(k) for k in keys], dtype=int), names


def read_plan(path: Path | str, problem: Problem, layer: str | None = None, field: str | None = None) -> tuple[np.ndarray, list[str]]:
    """A division from ``plan.csv``, a plan.gpkg of ours, or any polygon layer (GeoPackage, GeoJSON, shapefile).

    Parameters
    ----------
    path : pathlib.Path or str
        The plan file; ``cbs-wijken`` (or ``wijken``) gives the municipality's CBS wijken as areas.
    problem : Problem
        The municipality's problem.
    layer : str, optional
        Layer of a GeoPackage to read (see :func:`read_plan_layer`).
    field : str, optional
        Field with the area name in a polygon layer (see :func:`read_plan_layer`).

    Returns
    -------
    labels : numpy.ndarray
        Area index per buurt, in the order of ``problem.codes``.
    names : list of str
        The area names, indexed by label.

    Raises
    ------
    DataError
        When the file is missing, of an unknown format or not a valid plan.
    """
    if str(path).lower() in CBS_WIJKEN:
        return wijken_plan(problem)
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: file not found; give a plan.csv (buurtcode,area), a GeoPackage/GeoJSON of area polygons, or cbs-wijken.")
    suffix = path.suffix.lower()
    if suffix not in PLAN_SUFFIXES:
        raise DataError(f"{path}: unknown plan format '{suffix}'; use .csv (buurtcode,area), .gpkg, .geojson or .shp.")
    if suffix in (".csv", ".txt"):
        return read_plan_csv(path, problem)
    return read_plan_layer(path, problem, layer, field)


def _pick_layer(path: Path, layer: str | None) -> str | None:
    layers = [str(name) for name, _geom in pyogrio.list_layers(path)]
    if layer is not None:
        if layer not in layers:
            raise DataError(f"{path}: has no layer '{layer}'; use --layer with one of {', '.join(layers)}.")
        return layer
    if "buurten" in layers and "gebieden" in layers:
        return "buurten"  # a plan.gpkg written by wijkindeling: exact assignment, no overlay needed
    spatial = [name for name, geom in pyogrio.list_layers(path) if geom and "POLYGON" in str(geom).upper()]
    return str(spatial[0]) if spatial else (layers[0] if layers else None)


def _name_field(gdf: gpd.GeoDataFrame, path: Path, field: str | None) -> str | None:
    if field is not None:
        if field not in gdf.columns:
            raise DataError(f"{path}: has no field '{field}'; use --field with one of {', '.join(c for c in gdf.columns if c != 'geometry')}.")
        return field
    cols = {c.lower(): c for c in gdf.columns if c != "geometry"}
    return next((cols[f] for f in NAME_FIELDS if f in cols), None)


def read_plan_layer(path: Path, problem: Problem, layer: str | None = None, field: str | None = None) -> tuple[np.ndarray, list[str]]:
    """A division from a vector layer: by buurtcode when it has one, else by largest overlap with its polygons.

    Polygons with the same name (``field``, or the first of area/gebied/naam/name/wijknaam/... found)
    form one area; without a name field the polygons are named Gebied 1..n in file order. Each buurt
    goes to the area that covers the largest part of it; a buurt that no polygon touches is an error.
    Buurten less than half inside their area, and areas that get no buurt, give a warning.

    Parameters
    ----------
    path : pathlib.Path
        A GeoPackage, GeoJSON or shapefile.
    problem : Problem
        The municipality's problem.
    layer : str, optional
        The layer to read; by default ``buurten`` of a plan.gpkg, else the first polygon layer.
    field : str, optional
        The field with the area name; by default the first of :data:`NAME_FIELDS` the layer has.

    Returns
    -------
    labels : numpy.ndarray
        Area index per buurt, in the order of ``problem.codes``.
    names : list of str
        The area names, indexed by label.

    Raises
    ------
    DataError
        When the layer cannot be read, is empty or has no CRS, a name is empty, or a buurt lies
        outside every polygon.
    """
    chosen = _pick_layer(path, layer)
    try:
        gdf = gpd.read_file(path, layer=chosen)
    except Exception as err:  # noqa: BLE001 (GDAL raises many kinds)
        raise DataError(f"{path}: cannot be read as a vector layer ({err}); export it as GeoPackage or GeoJSON.") from None
    if gdf.empty:
        raise DataError(f"{path}: layer '{chosen}' has no features; it needs one polygon (or buurt row) per area.")
    name_col = _name_field(gdf, path, field)
    cols = {c.lower(): c for c in gdf.columns}
    if "buurtcode" in cols and name_col is not None and name_col != cols["buurtcode"]:
        frame = pd.DataFrame({"buurtcode": gdf[cols["buurtcode"]].astype(str), "area": gdf[name_col].astype(str)})
        frame = frame[frame["buurtcode"].isin(problem.codes)]  # a regional file may hold other municipalities too
        return _plan_from_frame(frame, problem, path)
    if gdf.crs is None:
        raise DataError(f"{path}: layer '{chosen}' has no coordinate system; save it with one (e.g. EPSG:28992).")
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty].to_crs(buurten_of(problem).crs)
    gdf["geometry"] = gdf.geometry.make_valid()
    names = [str(v).strip() for v in gdf[name_col]] if name_col else [f"Gebied {i + 1}" for i in range(len(gdf))]
    if any(n in ("", "nan", "None") for n in names):
        raise DataError(f"{path}: a polygon has an empty '{name_col}'; give every area polygon a name.")
    areas = gpd.GeoDataFrame({"area": names}, geometry=list(gdf.geometry), crs=gdf.crs).dissolve(by="area", sort=False).reset_index()
    return _assign_by_overlap(problem, areas, path)


def _plan_from_frame(frame: pd.DataFrame, problem: Problem, path: Path) -> tuple[np.ndarray, list[str]]:
    """Labels from a ``buurtcode, area`` table, with the same checks as read_plan_csv."""
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "plan.csv"
        frame.to_csv(csv, index=False)
        try:
            return read_plan_csv(csv, problem)
        except DataError as err:
            raise DataError(str(err).replace(str(csv), str(path))) from None


def overlap_matrix(problem: Problem, areas: gpd.GeoDataFrame) -> np.ndarray:
    """The area (m²) of each buurt covered by each area polygon.

    Parameters
    ----------
    problem : Problem
        The municipality's problem.
    areas : geopandas.GeoDataFrame
        Area polygons with a 0-based index, in the CRS of ``problem.buurten``.

    Returns
    -------
    numpy.ndarray
        Shape ``(problem.n, len(areas))``: rows in the order of ``problem.codes``, columns in the
        order of ``areas``.
    """
    buurten = buurten_of(problem).set_index("buurtcode").loc[problem.codes].reset_index()
    out = np.zeros((problem.n, len(areas)))
    hits = gpd.sjoin(buurten[["geometry"]], areas[["geometry"]], predicate="intersects", how="inner")
    for b, a in zip(hits.index, hits["index_right"]):
        out[b, a] = buurten.geometry.iloc[b].intersection(areas.geometry.iloc[a]).area
    return out


def _assign_by_overlap(problem: Problem, areas: gpd.GeoDataFrame, path: Path) -> tuple[np.ndarray, list[str]]:
    overlap = overlap_matrix(problem, areas)
    best = overlap.argmax(axis=1)
    size = buurten_of(problem).set_index("buurtcode").loc[problem.codes].geometry.area.to_numpy()
    share = overlap[np.arange(problem.n), best] / np.maximum(size, 1e-9)
    for outside in np.flatnonzero(overlap.max(axis=1) <= 0):
        raise DataError(f"{path}: buurt {problem.codes[outside]} ({problem.names[outside]}) lies outside every area polygon; "
                        "extend a polygon over it or add a polygon for it.")
    weak = [f"{problem.names[b]} ({100 * share[b]:.0f} %)" for b in np.flatnonzero(share < 0.5)]
    if weak:
        warnings.warn(f"{path}: these buurten are less than half inside their area, assigned by largest overlap: {', '.join(weak)}", stacklevel=2)
    area_names = [str(n) for n in areas["area"]]
    names: list[str] = []
    for b in range(problem.n):
        if area_names[best[b]] not in names:
            names.append(area_names[best[b]])
    empty = [n for a, n in enumerate(area_names) if n not in names and overlap[:, a].sum() > 0]
    if empty:
        warnings.warn(f"{path}: area(s) {', '.join(empty)} get no buurt (no buurt lies mostly in them) and are left out", stacklevel=2)
    return np.array([names.index(area_names[a]) for a in best], dtype=int), names
