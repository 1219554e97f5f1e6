"""Load building blocks (CBS buurten) into a standard GeoDataFrame.

Building blocks always come back with the columns ``buurtcode, buurtnaam, wijkcode,
wijknaam, population, geometry`` in EPSG:28992 (RD New), sorted by ``buurtcode``.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
from shapely import make_valid

from ..config import Config
from ..errors import DataError
from .tables import to_number

RD_NEW = "EPSG:28992"
# Repairing a geometry may change its area by at most this share before we refuse it.
MAX_REPAIR_AREA_CHANGE = 0.01


def read_building_blocks(cfg: Config) -> gpd.GeoDataFrame:
    """Read the configured building-block file and select the municipality's buurten.

    Parameters
    ----------
    cfg : Config
        Gives ``data.buurten``, ``data.layer``, ``data.columns`` and ``gemeentecode``.

    Returns
    -------
    geopandas.GeoDataFrame
        The file's rows with their own column names; only those of ``gemeentecode`` when the
        config sets it and the file has the gemeente code column, else all rows.

    Raises
    ------
    DataError
        When the file does not exist or cannot be read, lacks a configured column, or has no
        buurten of ``gemeentecode``.
    """
    dc = cfg.data
    where = cfg.origin("data.buurten")
    if not Path(dc.buurten).exists():
        raise DataError(f"{where}: field 'data.buurten' points to {dc.buurten}, which does not exist; fix the path.")
    try:
        gdf = gpd.read_file(dc.buurten, layer=dc.layer) if dc.layer else gpd.read_file(dc.buurten)
    except Exception as err:  # pyogrio raises several error types for unreadable files
        reason = str(err).splitlines()[0].split(";")[0].rstrip(".")
        raise DataError(f"{dc.buurten}: cannot be read as a GeoPackage, GeoJSON or shapefile ({reason}); export it again from QGIS.") from None
    cols = dc.columns
    for field in ("code", "name", "population"):
        col = getattr(cols, field)
        if col not in gdf.columns:
            raise DataError(f"{where}: field 'data.columns.{field}' names column '{col}', which {dc.buurten} does not have (it has {', '.join(map(str, gdf.columns[:12]))}); fix the column name.")
    if cfg.gemeentecode and cols.gemeente_code and cols.gemeente_code in gdf.columns:
        gdf = gdf[gdf[cols.gemeente_code] == cfg.gemeentecode]
        if gdf.empty:
            raise DataError(f"{cfg.origin('gemeentecode')}: field 'gemeentecode' is {cfg.gemeentecode}, which has no buurten in {Path(dc.buurten).name}; use a code from that file (e.g. GM0632).")
    return gdf


def standardise_buurten(gdf: gpd.GeoDataFrame, cfg: Config) -> gpd.GeoDataFrame:
    """Rename columns to the standard names, check codes and population, fix CRS and geometry.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Buurten as read by :func:`read_building_blocks`.
    cfg : Config
        Gives the column names (``data.columns``) and the file name for messages.

    Returns
    -------
    geopandas.GeoDataFrame
        Standard form (see the module docstring): ``wijkcode``/``wijknaam`` are "" when the file
        lacks them, ``population`` is int64; reprojected to RD New (with a warning), invalid
        polygons repaired (with a warning), sorted by ``buurtcode``.

    Raises
    ------
    DataError
        For a duplicate buurtcode, a missing, negative or fractional population, a missing
        geometry, a wrong or missing CRS, or a polygon whose repair changes its area by more than
        ``MAX_REPAIR_AREA_CHANGE``.
    """
    cols, src = cfg.data.columns, cfg.data.buurten
    out = gpd.GeoDataFrame(
        {
            "buurtcode": gdf[cols.code].astype(str).str.strip(),
            "buurtnaam": gdf[cols.name].astype(str),
            "wijkcode": gdf[cols.wijk_code].astype(str) if cols.wijk_code and cols.wijk_code in gdf else "",
            "wijknaam": gdf[cols.wijk_name].astype(str) if cols.wijk_name and cols.wijk_name in gdf else "",
        },
        geometry=gdf.geometry.values,
        crs=gdf.crs,
    )
    dup = out["buurtcode"][out["buurtcode"].duplicated()]
    if len(dup):
        raise DataError(f"{src}: column '{cols.code}' has buurtcode {dup.iloc[0]} more than once; every building block needs its own code.")
    pop = to_number(gdf[cols.population], src, cols.population)
    if pop.isna().any():
        missing = out["buurtcode"][pop.isna().values].iloc[0]
        raise DataError(f"{src}: column '{cols.population}' is empty for {missing}; fill in its inhabitants (0 if nobody lives there).")
    if (pop < 0).any():
        neg = out["buurtcode"][(pop < 0).values].iloc[0]
        raise DataError(f"{src}: column '{cols.population}' is negative for {neg}; inhabitants must be 0 or more.")
    frac = (pop - pop.round()).abs() > 1e-9
    if frac.any():
        code = out["buurtcode"][frac.values].iloc[0]
        raise DataError(f"{src}: column '{cols.population}' has {gdf[cols.population].iloc[int(frac.values.argmax())]!r} inhabitants for {code}, not a whole number; write whole numbers without thousands separators.")
    out["population"] = pop.round().astype("int64").values
    empty = out.geometry.isna() | out.geometry.is_empty
    if empty.any():
        raise DataError(f"{src}: building block {out['buurtcode'][empty.values].iloc[0]} has no geometry (empty or missing); draw its polygon or remove it from the file.")
    out = to_rd(out, src)
    out = _repair(out, src)
    return out.sort_values("buurtcode").reset_index(drop=True)


# Where RD New coordinates of the Netherlands lie (metres), with a margin: a sanity check on the CRS.
RD_BOUNDS = (-10_000.0, 280_000.0, 310_000.0, 640_000.0)


def to_rd(gdf: gpd.GeoDataFrame, src: Path) -> gpd.GeoDataFrame:
    """The frame in EPSG:28992: reprojected with a warning, refused without CRS or when the CRS is wrong.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Any frame with a CRS.
    src : Path
        Its file, for messages.

    Returns
    -------
    geopandas.GeoDataFrame
        ``gdf`` itself when it is in EPSG:28992 already, else a reprojected copy.

    Raises
    ------
    DataError
        Without CRS, when a geographic CRS has coordinates outside longitude/latitude range, when
        reprojection fails, or when the result does not lie within ``RD_BOUNDS``.
    """
    if gdf.crs is None:
        raise DataError(f"{src}: the file has no coordinate system; set it (EPSG:28992 for RD New) in QGIS and export again.")
    crs = gdf.crs
    if crs.to_epsg() != 28992:
        if crs.is_geographic:
            x0, y0, x1, y1 = gdf.total_bounds
            if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
                raise DataError(f"{src}: the file says its coordinates are longitude/latitude ({crs.to_string()}) but they are not; set the coordinate system it was really made in (EPSG:28992 for RD New) and export again.")
        warnings.warn(f"{src}: reprojected from {crs.to_string()} to EPSG:28992 (RD New).", stacklevel=2)
        try:
            gdf = gdf.to_crs(RD_NEW)
        except Exception as err:  # pyproj raises several error types
            raise DataError(f"{src}: cannot convert its coordinates from {crs.to_string()} to EPSG:28992 ({err}); export the file in EPSG:28992.") from None
    x0, y0, x1, y1 = gdf.total_bounds
    if len(gdf) and not (RD_BOUNDS[0] <= x0 and x1 <= RD_BOUNDS[2] and RD_BOUNDS[1] <= y0 and y1 <= RD_BOUNDS[3]):
        raise DataError(f"{src}: the coordinates do not lie in the Netherlands in EPSG:28992 (bounds {x0:.0f}, {y0:.0f}, {x1:.0f}, {y1:.0f}); check the file's coordinate system and export again.")
    return gdf


def _repair(gdf: gpd.GeoDataFrame, src: Path) -> gpd.GeoDataFrame:
    """Repair invalid polygons with make_valid; refuse when repair changes area noticeably."""
    invalid = ~gdf.geometry.is_valid
    if not invalid.any():
        return gdf
    gdf = gdf.copy()
    for idx in gdf.index[invalid]:
        before = gdf.at[idx, "geometry"]
        fixed = make_valid(before)
        if fixed.geom_type == "GeometryCollection":
            polys = [g for g in fixed.geoms if g.geom_type in ("Polygon", "MultiPolygon")]
            fixed = polys[0] if len(polys) == 1 else gpd.GeoSeries(polys).union_all()
        change = abs(fixed.area - abs(before.area)) / max(fixed.area, 1.0)
        code = gdf.at[idx, "buurtcode"]
        if change > MAX_REPAIR_AREA_CHANGE:
            raise DataError(f"{src}: the geometry of {code} is invalid and repairing it changes its area by {change:.0%}; fix the polygon in QGIS (Vector > Geometry Tools > Fix Geometries).")
        warnings.warn(f"{src}: repaired invalid geometry of {code} (area change {change:.2%}).", stacklevel=2)
        gdf.at[idx, "geometry"] = fixed
    return gdf


def load_buurten(cfg: Config) -> gpd.GeoDataFrame:
    """The municipality's building blocks in standard form (see module docstring).

    :func:`read_building_blocks` then :func:`standardise_buurten`; every problem is a one-sentence
    :class:`~wijkindeling.errors.DataError`.
    """
    gdf = read_building_blocks(cfg)
    return standardise_buurten(gdf, cfg)


