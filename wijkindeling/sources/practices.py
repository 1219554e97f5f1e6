"""Load GP practices (CSV with x,y / lat,lon / PC4, GeoJSON/GeoPackage, or OpenStreetMap) in a standard form.

Practices come back with the columns ``practice_id, name, n_gps, patients, pc4, fictional, geometry``
in EPSG:28992, sorted by ``practice_id``.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from ..config import Config
from ..errors import DataError
from . import osm
from .buurten import RD_NEW, to_rd
from .tables import read_table, to_number

# A practice may lie at most this far outside the municipality (generalised boundaries are coarse).
PRACTICE_MARGIN_M = 500.0


def load_pc4_points(path: Path | None, where: str = "config") -> pd.DataFrame:
    """PC4 representative points (only reliable address PC4s), indexed by pc4 string.

    Parameters
    ----------
    path : Path or None
        CSV with columns ``pc4``, ``x_rd``, ``y_rd`` (RD metres) and optionally ``coord_quality``;
        rows whose ``coord_quality`` is not ``address_pc4`` are left out.
    where : str
        The config file named when ``path`` does not exist.

    Returns
    -------
    pandas.DataFrame
        Columns ``x_rd``, ``y_rd`` (float) indexed by pc4; empty when ``path`` is None.

    Raises
    ------
    DataError
        When the file is missing, lacks a column or has a non-numeric coordinate.
    """
    if path is None:
        return pd.DataFrame(columns=["x_rd", "y_rd"])
    if not Path(path).exists():
        raise DataError(f"{where}: field 'data.pc4_centroids' points to {path}, which does not exist; fix the path or remove the field.")
    df = read_table(path)
    missing = [c for c in ("pc4", "x_rd", "y_rd") if c not in df.columns]
    if missing:
        raise DataError(f"{path}: no column '{missing[0]}'; the PC4 file needs columns pc4, x_rd and y_rd (RD metres).")
    df = df[df.get("coord_quality", "address_pc4") == "address_pc4"]
    df = df.assign(x_rd=to_number(df["x_rd"], path, "x_rd"), y_rd=to_number(df["y_rd"], path, "y_rd"))
    return df.set_index(df["pc4"].str.strip())[["x_rd", "y_rd"]]


def _practice_points(df: pd.DataFrame, path: Path, pc4: pd.DataFrame) -> list[Point]:
    """Locate each practice by x/y (RD), lat/lon (WGS84) or its PC4 postcode."""
    cols = set(df.columns)
    points: list[Point] = []
    for i, row in df.iterrows():
        name = row.get("name", f"row {i + 2}")
        if {"x", "y"} <= cols and str(row["x"]).strip() and str(row["y"]).strip():
            x, y = to_number(pd.Series([row["x"], row["y"]]), path, "x/y")
            points.append(Point(x, y))
        elif {"lat", "lon"} <= cols and str(row["lat"]).strip() and str(row["lon"]).strip():
            lat, lon = to_number(pd.Series([row["lat"], row["lon"]]), path, "lat/lon")
            pt = gpd.GeoSeries([Point(lon, lat)], crs="EPSG:4326").to_crs(RD_NEW).iloc[0]
            points.append(pt)
        elif "pc4" in cols and str(row["pc4"]).strip()[:4] in pc4.index:
            x, y = pc4.loc[str(row["pc4"]).strip()[:4]]
            points.append(Point(float(x), float(y)))
        else:
            raise DataError(f"{path}: practice '{name}' has no location; give columns x,y (RD), lat,lon, or a pc4 postcode that is in the PC4 file.")
    return points


def load_practices(cfg: Config, buurten: gpd.GeoDataFrame) -> gpd.GeoDataFrame | None:
    """Read the configured practices file (CSV or GeoJSON/GeoPackage), or None without practices.

    Parameters
    ----------
    cfg : Config
        ``practices.source`` decides: ``none`` (None), ``osm`` (:func:`load_osm_practices`) or
        ``file`` (``practices.path``: a CSV with a ``name`` column and x,y (RD), lat,lon or pc4 per
        practice, or a GeoPackage/GeoJSON with a ``name`` column).
    buurten : geopandas.GeoDataFrame
        The municipality's buurten in standard form.

    Returns
    -------
    geopandas.GeoDataFrame or None
        Practices in standard form (see the module docstring).

    Raises
    ------
    DataError
        When the file is missing or unreadable, lacks names or locations, or a practice lies
        outside the municipality.
    """
    pc = cfg.practices
    if pc.source == "none":
        return None
    if pc.source == "osm":
        return load_osm_practices(cfg, buurten)
    if pc.path is None:  # PracticesConfig refuses source 'file' without a path
        raise ValueError("practices.source is 'file' but practices.path is not set")
    path = Path(pc.path)
    if not path.exists():
        raise DataError(f"{cfg.origin('practices.path')}: field 'practices.path' points to {path}, which does not exist; fix the path or set practices.source: none.")
    if path.suffix.lower() in (".csv", ".txt"):
        df = read_table(path)
        if "name" not in df.columns:
            raise DataError(f"{path}: no column 'name'; the practice list needs columns name and x,y or lat,lon or pc4.")
        points = _practice_points(df, path, load_pc4_points(cfg.data.pc4_centroids, cfg.origin("data.pc4_centroids")))
        gdf = gpd.GeoDataFrame(df, geometry=points, crs=RD_NEW)
    else:
        try:
            raw = gpd.read_file(path)
        except Exception as err:  # pyogrio raises several error types for unreadable files
            raise DataError(f"{path}: cannot be read as a practice list ({str(err).splitlines()[0]}); give a CSV or a GeoPackage/GeoJSON with a column name.") from None
        gdf = to_rd(raw, path)
        if "name" not in gdf.columns:
            raise DataError(f"{path}: no column 'name'; add the practice names.")
    return standardise_practices(gdf, path, buurten, pc.fictional)


def standardise_practices(gdf: gpd.GeoDataFrame, path: Path, buurten: gpd.GeoDataFrame, fictional: bool) -> gpd.GeoDataFrame:
    """Standard practice columns; drop nothing silently: practices outside the municipality are an error.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Practices in RD New with a ``name`` column and optionally ``practice_id`` (default
        ``P01``, ``P02``, ... in row order), ``n_gps``, ``patients``, ``pc4`` and ``FICTIEF``.
    path : Path
        The file they came from, for messages.
    buurten : geopandas.GeoDataFrame
        The municipality's buurten in standard form.
    fictional : bool
        Whether the list is a fictional example (also when ``gdf`` has a ``FICTIEF`` column).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``practice_id, name, n_gps, patients, pc4, fictional, geometry`` (RD New), sorted by
        ``practice_id``; ``n_gps`` and ``patients`` are NaN where not given.

    Raises
    ------
    DataError
        When the list is empty, an id occurs twice, ``n_gps`` or ``patients`` is not a number, or a practice lies
        more than ``PRACTICE_MARGIN_M`` outside the municipality.
    """
    if gdf.empty:
        raise DataError(f"{path}: the practice list is empty; add practices or set practices.source: none.")
    ids = gdf["practice_id"].astype(str) if "practice_id" in gdf.columns else pd.Series([f"P{i + 1:02d}" for i in range(len(gdf))], index=gdf.index)
    out = gpd.GeoDataFrame(
        {
            "practice_id": ids.values,
            "name": gdf["name"].astype(str).values,
            "n_gps": to_number(gdf["n_gps"], path, "n_gps").values if "n_gps" in gdf.columns else float("nan"),
            "patients": to_number(gdf["patients"], path, "patients").values if "patients" in gdf.columns else float("nan"),
            "pc4": gdf["pc4"].astype(str).values if "pc4" in gdf.columns else "",
            "fictional": bool(fictional) or "FICTIEF" in gdf.columns,
        },
        geometry=gdf.geometry.values,
        crs=RD_NEW,
    )
    if out["practice_id"].duplicated().any():
        raise DataError(f"{path}: practice_id {out['practice_id'][out['practice_id'].duplicated()].iloc[0]} occurs twice; give every practice its own id.")
    municipality = buurten.geometry.union_all().buffer(PRACTICE_MARGIN_M)
    outside = ~out.geometry.within(municipality)
    if outside.any():
        raise DataError(f"{path}: practice '{out.loc[outside, 'name'].iloc[0]}' lies outside the municipality (more than {PRACTICE_MARGIN_M:.0f} m); fix its location or remove it.")
    return out.sort_values("practice_id").reset_index(drop=True)


def load_osm_practices(cfg: Config, buurten: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """GP practices from OSM in the standard practice form, plus columns ``osm_id`` and ``osm_tags``.

    Practices within the fetch buffer but more than PRACTICE_MARGIN_M outside the municipality
    are left out of the plan (with a warning); they stay in the cache. Ids are ``osm-<element>-<id>``.

    Raises
    ------
    DataError
        When no GP practice is left, or the OSM source cannot be read or fetched.
    """
    gps, source = osm.practices_for_config(cfg, buurten)
    inside = gps.geometry.within(buurten.geometry.union_all().buffer(PRACTICE_MARGIN_M))
    if (~inside).any():
        warnings.warn(f"{source}: {int((~inside).sum())} OSM practices lie outside {cfg.gemeente or 'the municipality'} and are left out of the plan.", stacklevel=2)
    gps = gps[inside.values]
    if gps.empty:
        raise DataError(f"{source}: OpenStreetMap has no GP practice (amenity=doctors or healthcare=general_practitioner) in {cfg.gemeente or cfg.gemeentecode}; set practices.source: file with your own list.")
    ids = ["osm-" + i.replace("/", "-") for i in gps["osm_id"]]
    frame = gpd.GeoDataFrame({"practice_id": ids, "name": gps["name"].values}, geometry=gps.geometry.values, crs=RD_NEW)
    out = standardise_practices(frame, source, buurten, fictional=False)
    extra = dict(zip(ids, zip(gps["osm_id"], gps["osm_tags"])))
    out["osm_id"] = [extra[p][0] for p in out["practice_id"]]
    out["osm_tags"] = [extra[p][1] for p in out["practice_id"]]
    return out
