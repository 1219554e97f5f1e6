"""Load building blocks (CBS buurten) and GP practices into standard GeoDataFrames.

Building blocks always come back with the columns ``buurtcode, buurtnaam, wijkcode,
wijknaam, population, geometry`` in EPSG:28992 (RD New), sorted by ``buurtcode``.
Practices come back with ``practice_id, name, n_gps, patients, pc4, fictional, geometry``.
"""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely import make_valid
from shapely.geometry import Point

from .config import Config, ConfigError

RD_NEW = "EPSG:28992"
# Repairing a geometry may change its area by at most this share before we refuse it.
MAX_REPAIR_AREA_CHANGE = 0.01
# A practice may lie at most this far outside the municipality (generalised boundaries are coarse).
PRACTICE_MARGIN_M = 500.0


class DataError(ConfigError):
    """A user-facing problem in an input data file (one sentence: file, field, fix)."""


def file_hash(path: Path) -> str:
    """Short SHA-256 of a file's bytes (for provenance)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def read_table(path: Path) -> pd.DataFrame:
    """Read a CSV as text columns, accepting Excel's Dutch dialect (``;``, decimal comma, BOM)."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: file not found; check the path in the config.")
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        head = fh.readline()
    sep = ";" if head.count(";") > head.count(",") else ","
    try:
        df = pd.read_csv(path, sep=sep, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise DataError(f"{path}: cannot be read as CSV ({str(err).splitlines()[0]}); save it as CSV (UTF-8).") from None
    df.columns = [c.strip() for c in df.columns]
    return df


def to_number(values: pd.Series, path: Path, column: str) -> pd.Series:
    """Parse numbers written with a decimal point or a Dutch decimal comma; empty stays NaN."""
    text = values.astype(str).str.strip().str.replace("\u00a0", "", regex=False)
    dutch = text.str.contains(",", regex=False) & ~text.str.contains(".", regex=False)
    text = text.where(~dutch, text.str.replace(",", ".", regex=False))
    out = pd.to_numeric(text.replace("", None), errors="coerce")
    bad = values[out.isna() & (text != "")]
    if len(bad):
        raise DataError(f"{path}: column '{column}' has a non-numeric value {bad.iloc[0]!r}; write plain numbers there.")
    return out


def read_building_blocks(cfg: Config) -> gpd.GeoDataFrame:
    """Read the configured building-block file and select the municipality's buurten."""
    dc = cfg.data
    where = cfg.origin("data.buurten")
    if not Path(dc.buurten).exists():
        raise DataError(f"{where}: field 'data.buurten' points to {dc.buurten}, which does not exist; fix the path.")
    try:
        gdf = gpd.read_file(dc.buurten, layer=dc.layer) if dc.layer else gpd.read_file(dc.buurten)
    except Exception as err:  # pyogrio raises several error types for unreadable files
        raise DataError(f"{dc.buurten}: cannot be read as a GeoPackage, GeoJSON or shapefile ({str(err).splitlines()[0]}); export it again from QGIS.") from None
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
    """Rename columns to the standard names, check codes and population, fix CRS and geometry."""
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
    out["population"] = pop.round().astype("int64").values
    out = _to_rd(out, src)
    out = _repair(out, src)
    return out.sort_values("buurtcode").reset_index(drop=True)


def _to_rd(gdf: gpd.GeoDataFrame, src: Path) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        raise DataError(f"{src}: the file has no coordinate system; set it (EPSG:28992 for RD New) in QGIS and export again.")
    if gdf.crs.to_epsg() != 28992:
        warnings.warn(f"{src}: reprojected from {gdf.crs.to_string()} to EPSG:28992 (RD New).", stacklevel=2)
        gdf = gdf.to_crs(RD_NEW)
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
    """The municipality's building blocks in standard form (see module docstring)."""
    gdf = read_building_blocks(cfg)
    return standardise_buurten(gdf, cfg)


def load_pc4_points(path: Path | None) -> pd.DataFrame:
    """PC4 representative points (only reliable address PC4s), indexed by pc4 string."""
    if path is None or not Path(path).exists():
        return pd.DataFrame(columns=["x_rd", "y_rd"])
    df = read_table(path)
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
    """Read the configured practices file (CSV or GeoJSON/GeoPackage), or None without practices."""
    pc = cfg.practices
    if pc.source == "none":
        return None
    if pc.source == "osm":
        from . import osm  # imported lazily: only configs that ask for OSM use it

        return osm.load_practices_for_config(cfg, buurten)
    path = Path(pc.path)
    if not path.exists():
        raise DataError(f"{cfg.origin('practices.path')}: field 'practices.path' points to {path}, which does not exist; fix the path or set practices.source: none.")
    if path.suffix.lower() in (".csv", ".txt"):
        df = read_table(path)
        if "name" not in df.columns:
            raise DataError(f"{path}: no column 'name'; the practice list needs columns name and x,y or lat,lon or pc4.")
        points = _practice_points(df, path, load_pc4_points(cfg.data.pc4_centroids))
        gdf = gpd.GeoDataFrame(df, geometry=points, crs=RD_NEW)
    else:
        gdf = _to_rd(gpd.read_file(path), path)
        if "name" not in gdf.columns:
            raise DataError(f"{path}: no column 'name'; add the practice names.")
    return standardise_practices(gdf, path, buurten, pc.fictional)


def standardise_practices(gdf: gpd.GeoDataFrame, path: Path, buurten: gpd.GeoDataFrame, fictional: bool) -> gpd.GeoDataFrame:
    """Standard practice columns; drop nothing silently: practices outside the municipality are an error."""
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
