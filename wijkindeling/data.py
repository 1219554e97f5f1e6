"""Load building blocks (CBS buurten) and GP practices into standard GeoDataFrames.

Building blocks always come back with the columns ``buurtcode, buurtnaam, wijkcode,
wijknaam, population, geometry`` in EPSG:28992 (RD New), sorted by ``buurtcode``.
Practices come back with ``practice_id, name, n_gps, patients, pc4, fictional, geometry``.
"""

from __future__ import annotations

import csv
import hashlib
import io
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
    """Read a CSV as text columns, accepting Excel's Dutch dialect (``;``, decimal comma, BOM).

    Parsed with the csv module, strictly: an unclosed quote, a duplicate column name or a line
    with more values than the header is refused (one sentence), never silently shifted.
    Trailing empty cells (Excel pads lines) are dropped; short lines are padded with empty cells.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: file not found; check the path in the config.")
    raw = path.read_bytes()
    if raw[:4] == b"PK\x03\x04":
        raise DataError(f"{path}: is an Excel workbook, not a CSV file; in Excel use Save As > CSV UTF-8 (or CSV with semicolons).")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise DataError(f"{path}: is not UTF-8 text (byte {err.start}); save it as CSV UTF-8.") from None
    if "\x00" in text:
        raise DataError(f"{path}: contains binary data (NUL bytes); save it as CSV UTF-8.")
    head = text.split("\n", 1)[0]
    sep = ";" if head.count(";") > head.count(",") else ","
    try:
        rows = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True) if any(c.strip() for c in r)]
    except csv.Error as err:
        raise DataError(f"{path}: cannot be read as CSV ({err}); check the quotes on that line and save it as CSV UTF-8.") from None
    if not rows:
        raise DataError(f"{path}: the file is empty; it needs a header line with the column names and one line per row.")
    header = [c.strip() for c in rows[0]]
    while header and not header[-1]:
        header.pop()
    named = [c for c in header if c]
    twice = [c for c in named if named.count(c) > 1]
    if twice:
        raise DataError(f"{path}: column '{twice[0]}' appears twice in the header; give every column its own name.")
    if len(named) != len(header):
        raise DataError(f"{path}: column {header.index('') + 1} of the header has no name; name it or delete the column.")
    n = len(header)
    body = []
    for line, row in enumerate(rows[1:], start=2):
        if any(c.strip() for c in row[n:]):
            raise DataError(f"{path}: a row ({sep.join(row)[:50]!r}) has {len(row)} values but the header names {n} columns; remove the extra values or add their column names.")
        body.append(row[:n] + [""] * (n - len(row)))
    return pd.DataFrame(body, columns=header, dtype=str)


def to_number(values: pd.Series, path: Path, column: str) -> pd.Series:
    """Parse numbers written with a decimal point or a Dutch decimal comma; empty stays NaN.

    With both separators the last one is the decimal mark: '1.234,5' (Excel-NL) and '1,234.5'
    both read as 1234.5. A lone comma is a decimal comma ('2,1' is 2.1).
    """
    text = values.astype(str).str.strip().str.replace("\u00a0", "", regex=False).str.replace(" ", "", regex=False)
    text = text.where(~values.isna().to_numpy(), "")  # None/NaN from a GeoPackage are empty cells
    has_comma, has_dot = text.str.contains(",", regex=False), text.str.contains(".", regex=False)
    comma_last = text.str.rfind(",") > text.str.rfind(".")
    dutch = has_comma & (~has_dot | comma_last)
    english = has_comma & has_dot & ~comma_last
    text = text.where(~dutch, text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
    text = text.where(~english, text.str.replace(",", "", regex=False))
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
    frac = (pop - pop.round()).abs() > 1e-9
    if frac.any():
        code = out["buurtcode"][frac.values].iloc[0]
        raise DataError(f"{src}: column '{cols.population}' has {gdf[cols.population].iloc[int(frac.values.argmax())]!r} inhabitants for {code}, not a whole number; write whole numbers without thousands separators.")
    out["population"] = pop.round().astype("int64").values
    empty = out.geometry.isna() | out.geometry.is_empty
    if empty.any():
        raise DataError(f"{src}: building block {out['buurtcode'][empty.values].iloc[0]} has no geometry (empty or missing); draw its polygon or remove it from the file.")
    out = _to_rd(out, src)
    out = _repair(out, src)
    return out.sort_values("buurtcode").reset_index(drop=True)


# Where RD New coordinates of the Netherlands lie (metres), with a margin: a sanity check on the CRS.
RD_BOUNDS = (-10_000.0, 280_000.0, 310_000.0, 640_000.0)


def _to_rd(gdf: gpd.GeoDataFrame, src: Path) -> gpd.GeoDataFrame:
    """The frame in EPSG:28992: reprojected with a warning, refused without CRS or when the CRS is wrong."""
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
    """The municipality's building blocks in standard form (see module docstring)."""
    gdf = read_building_blocks(cfg)
    return standardise_buurten(gdf, cfg)


def load_pc4_points(path: Path | None, where: str = "config") -> pd.DataFrame:
    """PC4 representative points (only reliable address PC4s), indexed by pc4 string."""
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
        points = _practice_points(df, path, load_pc4_points(cfg.data.pc4_centroids, cfg.origin("data.pc4_centroids")))
        gdf = gpd.GeoDataFrame(df, geometry=points, crs=RD_NEW)
    else:
        try:
            raw = gpd.read_file(path)
        except Exception as err:  # pyogrio raises several error types for unreadable files
            raise DataError(f"{path}: cannot be read as a practice list ({str(err).splitlines()[0]}); give a CSV or a GeoPackage/GeoJSON with a column name.") from None
        gdf = _to_rd(raw, path)
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
