"""Barrier lines the adviser draws or exports: a GeoPackage, GeoJSON or shapefile of lines (``barriers.lines``).

Lines come back as ``kind, name, osm_id, source, geometry`` in EPSG:28992, the same columns as the
OpenStreetMap barrier lines of :mod:`wijkindeling.sources.osm`.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from ..config import Config
from ..errors import DataError
from .buurten import RD_NEW

LINE_COLUMNS = ["kind", "name", "osm_id", "source", "geometry"]


def as_lines(geom: BaseGeometry | None) -> BaseGeometry | None:
    """Line geometry of a feature: lines stay, polygons give their boundary, points give nothing.

    Parameters
    ----------
    geom : shapely geometry or None
        Any geometry; a GeometryCollection gives the union of its parts' lines.

    Returns
    -------
    shapely geometry or None
        A (Multi)LineString, or None for a missing or empty geometry or one without lines or polygons.
    """
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type in ("LineString", "MultiLineString"):
        return geom
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom.boundary
    if geom.geom_type == "GeometryCollection":
        parts = [as_lines(g) for g in geom.geoms]
        parts = [p for p in parts if p is not None]
        return shapely.union_all(parts) if parts else None
    return None


def file_barrier_lines(cfg: Config) -> gpd.GeoDataFrame | None:
    """The user's barrier line file (``barriers.lines``: GeoPackage, GeoJSON or shapefile) in RD New.

    Parameters
    ----------
    cfg : Config
        Gives ``barriers.lines``.

    Returns
    -------
    geopandas.GeoDataFrame or None
        Columns ``kind`` (the file's ``kind`` column, else "lijn"), ``name`` (its ``name`` column,
        else ""), ``osm_id`` (""), ``source`` (the file name) and ``geometry`` (lines; polygons
        give their boundary, points are dropped); None when ``barriers.lines`` is not set.

    Raises
    ------
    DataError
        When the file does not exist, cannot be read, has no coordinate system or no lines.
    """
    path = cfg.barriers.lines
    if path is None:
        return None
    path = Path(path)
    if not path.exists():
        raise DataError(f"{cfg.origin('barriers.lines')}: field 'barriers.lines' points to {path}, which does not exist; fix the path.")
    try:
        gdf = gpd.read_file(path)
    except Exception as err:  # pyogrio errors vary
        raise DataError(f"{path}: cannot be read as a GeoPackage, GeoJSON or shapefile ({str(err).splitlines()[0]}); export it again from QGIS.") from None
    if gdf.crs is None:
        raise DataError(f"{path}: the file has no coordinate system; set it (EPSG:28992 for RD New) in QGIS and export again.")
    gdf = gdf.to_crs(RD_NEW)
    lines = [as_lines(g) for g in gdf.geometry]
    if not any(line is not None for line in lines):
        raise DataError(f"{path}: contains no lines or polygons; draw the barriers as lines.")
    names = gdf["name"].astype(str) if "name" in gdf.columns else pd.Series([""] * len(gdf))
    kinds = gdf["kind"].astype(str) if "kind" in gdf.columns else pd.Series(["lijn"] * len(gdf))
    out = gpd.GeoDataFrame({"kind": kinds.values, "name": names.values, "osm_id": "", "source": path.name}, geometry=lines, crs=RD_NEW)
    return out[out.geometry.notna()].reset_index(drop=True)
