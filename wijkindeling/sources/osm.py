"""OpenStreetMap inputs: GP practices, barrier lines and road networks, via osmnx.

Every OSM input has three sources, tried in this order:

1. a local file named in the config (an ``.osm`` XML extract, or a GeoPackage / GraphML
   written by an earlier run);
2. the cache file (``practices.cache``, ``barriers.cache``, ``distances.cache``; by default
   ``osm-cache/`` next to the config), written by an earlier online run;
3. the Overpass API (osmnx ``features_from_polygon`` / ``graph_from_polygon``), only when
   neither of the above exists. The result is written to the cache, so later runs are
   offline and reproducible.

Without network and without cache the user gets one sentence naming the cache path and how
to fill it. Data © OpenStreetMap contributors, ODbL 1.0.

Which adjacency edges a barrier line cuts is decided by :mod:`wijkindeling.model.barriers`.

Road distance: practice → nearest network node → shortest path (edge ``length``) → node
nearest the buurt's representative point → point; the two access legs are straight lines.
One-way restrictions are ignored (patients travel both ways), so distances are symmetric.
"""

from __future__ import annotations

import bz2
import datetime as _dt
import gzip
import hashlib
import json
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from ..config import Config
from ..errors import ConfigError, DataError
from .buurten import RD_NEW
from .lines import as_lines

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

WGS84 = "EPSG:4326"
OSM_ATTRIBUTION = "© OpenStreetMap contributors (ODbL 1.0)"
XML_SUFFIXES = (".osm", ".xml", ".bz2", ".gz")

# Practices: amenity=doctors and healthcare=general_practitioner are GP practices; a doctor
# whose healthcare:speciality names only other specialities (e.g. dermatology) is left out.
PRACTICE_TAGS = {"amenity": ["doctors", "pharmacy"], "healthcare": ["general_practitioner", "pharmacy"]}
GP_SPECIALITIES = {"general", "general_practitioner", "family_medicine", "huisarts"}
DUPLICATE_M = 50.0  # the same name within this distance is one practice mapped twice (node + building)

# Barrier classes by name; any other entry must be written as key=value (e.g. waterway=canal).
BARRIER_CLASSES: dict[str, tuple[str, tuple[str, ...]]] = {
    "motorway": ("highway", ("motorway",)),
    "trunk": ("highway", ("trunk",)),
    "railway": ("railway", ("rail",)),
    "river": ("waterway", ("river",)),
    "canal": ("waterway", ("canal",)),
}
DEFAULT_BARRIER_CLASSES = ["motorway", "railway", "river", "canal"]

# Which OSM ways are routable, after osmnx's own network_type filters (drive / walk).
_DRIVE_EXCLUDED = {"abandoned", "bridleway", "bus_guideway", "construction", "corridor", "cycleway", "elevator",
                   "escalator", "footway", "no", "path", "pedestrian", "planned", "platform", "proposed", "raceway",
                   "razed", "rest_area", "service", "services", "steps", "track"}
_DRIVE_SERVICE_EXCLUDED = {"alley", "driveway", "emergency_access", "parking", "parking_aisle", "private"}
_WALK_EXCLUDED = {"abandoned", "bus_guideway", "construction", "cycleway", "motorway", "motorway_link", "no",
                  "planned", "platform", "proposed", "raceway", "razed", "rest_area", "services"}


# --------------------------------------------------------------------------- helpers


def _ox() -> Any:
    """osmnx, imported lazily (it is slow to import and only OSM configs need it)."""
    import osmnx

    return osmnx


def _slug(cfg: Config) -> str:
    """The gemeentecode, else the gemeente name (lower case, dashes), else 'gebied': the cache file prefix."""
    return cfg.gemeentecode or (cfg.gemeente or "gebied").replace(" ", "-").lower()


def default_cache(cfg: Config, name: str) -> Path:
    """``osm-cache/<gemeente>-<name>`` next to the config file (or in the output folder).

    ``<gemeente>`` is the gemeentecode, else the gemeente name in lower case with dashes, else
    ``gebied``; the output folder is used for a config that was not read from a file.
    """
    base = cfg.source_file.parent if cfg.source_file else Path(cfg.output.dir)
    return base / "osm-cache" / f"{_slug(cfg)}-{name}"


def is_xml(path: Path) -> bool:
    """Whether ``path`` is an OSM XML extract by its suffix (``.osm``, ``.xml``, ``.bz2``, ``.gz``)."""
    return Path(path).suffix.lower() in XML_SUFFIXES


def area_polygon(buurten: gpd.GeoDataFrame, buffer_m: float) -> BaseGeometry:
    """The municipality (union of its buurten) plus ``buffer_m``, in WGS84 (for osmnx).

    Parameters
    ----------
    buurten : geopandas.GeoDataFrame
        Buurten in a projected CRS in metres (RD New).
    buffer_m : float
        Metres added around the municipality.

    Returns
    -------
    shapely geometry
        A (multi)polygon in longitude/latitude.
    """
    poly = buurten.geometry.union_all().buffer(buffer_m)
    return gpd.GeoSeries([poly], crs=buurten.crs).to_crs(WGS84).iloc[0]


def _fetch(what: str, fetch: Callable[[], Any], cache: Path, where: str, field: str) -> Any:
    """Run an online osmnx query; any failure becomes one sentence naming the cache and the fix."""
    settings = _ox().settings
    before = settings.cache_folder
    settings.cache_folder = str(Path(cache).parent / "overpass")  # osmnx's raw HTTP cache, next to ours
    try:
        return fetch()
    except (ConfigError, KeyboardInterrupt):
        raise
    except Exception as err:  # requests / osmnx raise many kinds when offline
        reason = "no connection" if "Connection" in type(err).__name__ else type(err).__name__
        raise DataError(
            f"{where}: no OpenStreetMap {what} at {cache} and downloading them failed ({reason}); "
            f"run this command once with internet access to fill that cache, or set {field} to a local .osm file."
        ) from None
    finally:
        settings.cache_folder = before


def _tags_of(row: pd.Series, tag_columns: list[str]) -> dict[str, str]:
    """The OSM tags of a feature row: the non-empty text values of ``tag_columns``."""
    return {k: str(row[k]) for k in tag_columns if isinstance(row[k], str) and row[k] != ""}


def _osm_ids(features: gpd.GeoDataFrame) -> list[str]:
    """``node/123``-style ids from osmnx's (element, id) index."""
    if isinstance(features.index, pd.MultiIndex):
        return [f"{el}/{i}" for el, i in features.index]
    return [str(i) for i in features.index]


def _today() -> str:
    """Today's date as YYYY-MM-DD (the ``retrieved`` column of caches)."""
    return _dt.date.today().isoformat()


# --------------------------------------------------------------------------- practices


def _classify_practice(tags: dict[str, str]) -> str | None:
    """'huisarts', 'apotheek' or None (another kind of doctor)."""
    if tags.get("amenity") == "pharmacy" or tags.get("healthcare") == "pharmacy":
        return "apotheek"
    if tags.get("healthcare") == "general_practitioner":
        return "huisarts"
    if tags.get("amenity") == "doctors":
        spec = {s.strip() for s in tags.get("healthcare:speciality", "").split(";") if s.strip()}
        return "huisarts" if not spec or spec & GP_SPECIALITIES else None
    return None


def practice_layer(features: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Health features of osmnx as rows ``osm_id, kind, name, osm_tags, geometry`` (points, RD New).

    Parameters
    ----------
    features : geopandas.GeoDataFrame or None
        osmnx features (one column per tag), as from ``features_from_polygon`` or ``features_from_xml``.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per GP practice (``kind`` "huisarts") or pharmacy ("apotheek"); other doctors are
        left out. ``name`` falls back to the operator, then to a "zonder naam" label; ``osm_tags``
        is the tags as JSON; polygons become a representative point. Sorted by ``osm_id``; empty
        (with these columns) without features.
    """
    cols = ["osm_id", "kind", "name", "osm_tags", "geometry"]
    if features is None or features.empty:
        return gpd.GeoDataFrame(columns=cols, geometry="geometry", crs=RD_NEW)
    tag_columns = [c for c in features.columns if c != "geometry"]
    rows = []
    for osm_id, (_, row) in zip(_osm_ids(features), features.iterrows()):
        tags = _tags_of(row, tag_columns)
        kind = _classify_practice(tags)
        if kind is None:
            continue
        name = tags.get("name") or tags.get("operator") or f"{kind} zonder naam (OSM {osm_id})"
        rows.append({"osm_id": osm_id, "kind": kind, "name": name, "osm_tags": json.dumps(tags, ensure_ascii=False, sort_keys=True),
                     "geometry": row.geometry})
    gdf = gpd.GeoDataFrame(rows, columns=cols, geometry="geometry", crs=features.crs or WGS84).to_crs(RD_NEW)
    gdf["geometry"] = gdf.geometry.representative_point()
    return gdf.sort_values("osm_id").reset_index(drop=True)


def practice_features(cfg: Config, buurten: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, Path]:
    """All OSM GP practices and pharmacies in the municipality + buffer, and where they came from.

    Sources in order: ``practices.path`` (an OSM XML extract or a GeoPackage cache), the cache
    (``practices.cache`` or :func:`default_cache`), else Overpass (the result is written to the cache).

    Parameters
    ----------
    cfg : Config
        Gives ``practices.path``, ``practices.cache`` and ``practices.buffer_m``.
    buurten : geopandas.GeoDataFrame
        The municipality's buurten (RD New).

    Returns
    -------
    (geopandas.GeoDataFrame, Path)
        The layer of :func:`practice_layer` and the file it was read from or written to.

    Raises
    ------
    DataError
        When ``practices.path`` does not exist, a cache cannot be read, or the download fails.
    """
    pc = cfg.practices
    polygon = area_polygon(buurten, pc.buffer_m)
    if pc.path is not None:
        path = Path(pc.path)
        if not path.exists():
            raise DataError(f"{cfg.origin('practices.path')}: field 'practices.path' points to {path}, which does not exist; fix the path, or remove it to use the OSM cache.")
        if is_xml(path):
            features = _ox().features_from_xml(path, polygon=polygon, tags=PRACTICE_TAGS)
            return practice_layer(features), path
        return read_practice_cache(path), path
    cache = Path(pc.cache) if pc.cache else default_cache(cfg, "praktijken.gpkg")
    if cache.exists():
        return read_practice_cache(cache), cache
    ox = _ox()
    features = _fetch("GP practices", lambda: _features_or_empty(ox, polygon, PRACTICE_TAGS), cache,
                      cfg.origin("practices.source"), "practices.path")
    layer = practice_layer(features)
    write_practice_cache(layer, cache)
    return layer, cache


def _features_or_empty(ox: Any, polygon: BaseGeometry, tags: dict[str, Any]) -> gpd.GeoDataFrame | None:
    """features_from_polygon, with 'nothing found' as None instead of an exception."""
    try:
        return ox.features_from_polygon(polygon, tags=tags)
    except ox._errors.InsufficientResponseError:
        return None


def write_practice_cache(layer: gpd.GeoDataFrame, cache: Path) -> None:
    """Write layers ``practices`` (GPs) and ``pharmacies`` to a GeoPackage the config can point to."""
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_name(cache.stem + ".tmp.gpkg")
    tmp.unlink(missing_ok=True)
    layer = layer.assign(retrieved=_today(), source=OSM_ATTRIBUTION)
    for name, kind in (("practices", "huisarts"), ("pharmacies", "apotheek")):
        layer[layer["kind"] == kind].to_file(tmp, layer=name, driver="GPKG")
    tmp.replace(cache)


def read_practice_cache(path: Path) -> gpd.GeoDataFrame:
    """Practices and (when present) pharmacies from a GeoPackage written by :func:`write_practice_cache`."""
    layers = set(gpd.list_layers(path)["name"]) if Path(path).exists() else set()
    parts = [_read_practice_layer(path, "practices")]
    if "pharmacies" in layers:
        parts.append(_read_practice_layer(path, "pharmacies"))
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=RD_NEW)


def _read_practice_layer(path: Path, layer: str) -> gpd.GeoDataFrame:
    """One layer of a practice cache as ``osm_id, kind, name, osm_tags, geometry`` in RD New (a DataError if unusable)."""
    try:
        gdf = gpd.read_file(path, layer=layer)
    except Exception as err:  # pyogrio errors vary
        raise DataError(f"{path}: cannot read layer '{layer}' ({str(err).splitlines()[0]}); delete the file so it is fetched again, or point to a .osm file.") from None
    missing = {"osm_id", "name", "geometry"} - set(gdf.columns)
    if missing:
        raise DataError(f"{path}: layer '{layer}' lacks column {sorted(missing)[0]}; it was not written by wijkindeling, so delete it or point to a .osm file.")
    if "kind" not in gdf.columns:
        gdf["kind"] = "huisarts" if layer == "practices" else "apotheek"
    if "osm_tags" not in gdf.columns:
        gdf["osm_tags"] = "{}"
    gdf = gdf.to_crs(RD_NEW) if gdf.crs is not None else gdf.set_crs(RD_NEW)
    return gdf[["osm_id", "kind", "name", "osm_tags", "geometry"]]


def _dedupe(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Drop a practice mapped twice (same name within DUPLICATE_M metres), keeping the first id."""
    keep: list[int] = []
    for i, row in gdf.iterrows():
        twin = any(gdf.at[j, "name"].casefold() == row["name"].casefold() and gdf.at[j, "geometry"].distance(row.geometry) <= DUPLICATE_M for j in keep)
        if not twin:
            keep.append(i)
    return gdf.loc[keep]


def practices_for_config(cfg: Config, buurten: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, Path]:
    """GP practices from OSM (``barriers``-style sources: local file, cache, online), one per practice.

    Returns the raw layer of GP practices (columns ``kind, name, osm_id, osm_tags, geometry`` in RD New,
    duplicates mapped twice merged) and the path it came from; :mod:`wijkindeling.sources.practices` puts
    them in the standard practice form.
    """
    raw, source = practice_features(cfg, buurten)
    return _dedupe(raw[raw["kind"] == "huisarts"].reset_index(drop=True)), source


# --------------------------------------------------------------------------- barriers


def barrier_filters(classes: list[str], where: str = "config") -> dict[str, tuple[str, tuple[str, ...]]]:
    """Class name -> (OSM key, values); names from BARRIER_CLASSES or written as key=value.

    Parameters
    ----------
    classes : list of str
        Entries of ``barriers.osm``: a name of ``BARRIER_CLASSES`` (e.g. ``railway``) or
        ``key=value`` with values separated by ``|`` (e.g. ``waterway=canal|river``).
    where : str
        The config file named in the error message.

    Returns
    -------
    dict
        Every entry -> ``(key, values)``, in the order given.

    Raises
    ------
    ConfigError
        For an entry that is neither.
    """
    out = {}
    for cls in classes:
        if cls in BARRIER_CLASSES:
            out[cls] = BARRIER_CLASSES[cls]
        elif "=" in cls and all(part.strip() for part in cls.split("=", 1)):
            key, value = (p.strip() for p in cls.split("=", 1))
            out[cls] = (key, tuple(v.strip() for v in value.split("|")))
        else:
            raise ConfigError(f"{where}: field 'barriers.osm' has unknown class '{cls}'; use one of {', '.join(BARRIER_CLASSES)} or an OSM tag like waterway=canal.")
    return out


def _osm_tags_query(filters: dict[str, tuple[str, tuple[str, ...]]]) -> dict[str, list[str]]:
    """The osmnx ``tags`` argument for ``filters``: OSM key -> all values wanted, without repeats."""
    query: dict[str, list[str]] = {}
    for key, values in filters.values():
        query.setdefault(key, [])
        query[key] += [v for v in values if v not in query[key]]
    return query


def barrier_layer(features: gpd.GeoDataFrame | None, filters: dict[str, tuple[str, tuple[str, ...]]], source: str) -> gpd.GeoDataFrame:
    """OSM features as barrier lines ``kind, name, osm_id, source, geometry`` (RD New), one class per row.

    Parameters
    ----------
    features : geopandas.GeoDataFrame or None
        osmnx features (one column per tag).
    filters : dict
        Class name -> (OSM key, values), from :func:`barrier_filters`.
    source : str
        The ``source`` column's value, e.g. "OSM".

    Returns
    -------
    geopandas.GeoDataFrame
        A row per feature that matches a class (the first matching class in ``filters`` order is its
        ``kind``) and has line geometry (polygons give their boundary, points are left out).
    """
    cols = ["kind", "name", "osm_id", "source", "geometry"]
    rows = []
    if features is not None and not features.empty:
        for osm_id, (_, row) in zip(_osm_ids(features), features.iterrows()):
            line = as_lines(row.geometry)
            if line is None:
                continue
            for cls, (key, values) in filters.items():
                if key in row.index and row[key] in values:
                    name = row["name"] if "name" in row.index and isinstance(row["name"], str) else ""
                    rows.append({"kind": cls, "name": name, "osm_id": osm_id, "source": source, "geometry": line})
                    break
    crs = features.crs if features is not None and features.crs is not None else WGS84
    return gpd.GeoDataFrame(rows, columns=cols, geometry="geometry", crs=crs).to_crs(RD_NEW)


def _barrier_cache_path(cfg: Config, classes: list[str]) -> Path:
    """``barriers.cache``, else a default cache named by a hash of the sorted ``classes``."""
    if cfg.barriers.cache:
        return Path(cfg.barriers.cache)
    digest = hashlib.sha256(",".join(sorted(classes)).encode()).hexdigest()[:8]
    return default_cache(cfg, f"barrieres-{digest}.gpkg")


def osm_barrier_lines(cfg: Config, buurten: gpd.GeoDataFrame) -> gpd.GeoDataFrame | None:
    """Barrier lines of the configured OSM classes, from ``barriers.osm_file``, the cache, or online.

    Parameters
    ----------
    cfg : Config
        Gives ``barriers.osm`` (classes; ``DEFAULT_BARRIER_CLASSES`` when only ``osm_file`` is set),
        ``barriers.osm_file``, ``barriers.cache`` and ``barriers.tolerance_m``.
    buurten : geopandas.GeoDataFrame
        The municipality's buurten (RD New); lines are fetched up to ``max(tolerance_m, 500)``
        metres around them.

    Returns
    -------
    geopandas.GeoDataFrame or None
        Lines ``kind, name, osm_id, source, geometry`` in RD New; None when neither
        ``barriers.osm`` nor ``barriers.osm_file`` is set.

    Raises
    ------
    ConfigError
        For an unknown class.
    DataError
        When ``barriers.osm_file`` does not exist, a cache cannot be read or was made for other
        classes, or the download fails.
    """
    bc = cfg.barriers
    if not bc.osm and bc.osm_file is None:
        return None
    classes = list(bc.osm) or DEFAULT_BARRIER_CLASSES
    filters = barrier_filters(classes, cfg.origin("barriers.osm"))
    polygon = area_polygon(buurten, max(bc.tolerance_m, 500.0))
    if bc.osm_file is not None:
        path = Path(bc.osm_file)
        if not path.exists():
            raise DataError(f"{cfg.origin('barriers.osm_file')}: field 'barriers.osm_file' points to {path}, which does not exist; fix the path.")
        if not is_xml(path):
            return _read_barrier_cache(path, classes)
        features = _ox().features_from_xml(path, polygon=polygon, tags=_osm_tags_query(filters))
        return barrier_layer(features, filters, f"OSM {path.name}")
    cache = _barrier_cache_path(cfg, classes)
    if cache.exists():
        return _read_barrier_cache(cache, classes)
    ox = _ox()
    features = _fetch("barrier lines", lambda: _features_or_empty(ox, polygon, _osm_tags_query(filters)), cache,
                      cfg.origin("barriers.osm"), "barriers.osm_file")
    layer = barrier_layer(features, filters, "OSM")
    cache.parent.mkdir(parents=True, exist_ok=True)
    meta = gpd.GeoDataFrame({"classes": [",".join(sorted(classes))], "retrieved": [_today()], "source": [OSM_ATTRIBUTION]},
                            geometry=[None], crs=RD_NEW)
    tmp = cache.with_name(cache.stem + ".tmp.gpkg")
    tmp.unlink(missing_ok=True)
    layer.assign(retrieved=_today()).to_file(tmp, layer="barriers", driver="GPKG")
    meta.to_file(tmp, layer="meta", driver="GPKG")
    tmp.replace(cache)
    return layer


def _read_barrier_cache(path: Path, classes: list[str]) -> gpd.GeoDataFrame:
    """Barrier lines from a GeoPackage written by an earlier run; refuse one made for other classes."""
    try:
        layer = gpd.read_file(path, layer="barriers")
    except Exception as err:  # pyogrio errors vary
        raise DataError(f"{path}: cannot read layer 'barriers' ({str(err).splitlines()[0]}); delete the file so it is fetched again.") from None
    try:
        made_for = set(gpd.read_file(path, layer="meta")["classes"].iloc[0].split(","))
    except Exception:
        made_for = set(layer.get("kind", pd.Series(dtype=str)).unique())
    missing = sorted(set(classes) - made_for)
    if missing:
        raise DataError(f"{path}: this barrier cache was made without class '{missing[0]}'; delete it (or set barriers.cache to a new file) and run once online.")
    layer = layer.to_crs(RD_NEW) if layer.crs is not None else layer.set_crs(RD_NEW)
    return layer[layer["kind"].isin(classes)][["kind", "name", "osm_id", "source", "geometry"]].reset_index(drop=True)


# --------------------------------------------------------------------------- road network


def routable(tags: dict[str, str], network: str) -> bool:
    """Whether an OSM way with ``tags`` belongs to the drive / walk network (osmnx's filters)."""
    hw = tags.get("highway")
    if not hw or tags.get("area") == "yes" or tags.get("access") == "private":
        return False
    if network == "drive":
        return (hw not in _DRIVE_EXCLUDED and tags.get("motor_vehicle") != "no" and tags.get("motorcar") != "no"
                and tags.get("service") not in _DRIVE_SERVICE_EXCLUDED)
    return hw not in _WALK_EXCLUDED and tags.get("foot") != "no" and tags.get("service") != "private"


def _open_binary(path: Path) -> bz2.BZ2File | gzip.GzipFile | BinaryIO:
    """``path`` opened for reading bytes, decompressed when it ends in ``.bz2`` or ``.gz``."""
    suffix = Path(path).suffix.lower()
    if suffix == ".bz2":
        return bz2.open(path, "rb")
    if suffix == ".gz":
        return gzip.open(path, "rb")
    return open(path, "rb")


def network_from_xml(path: Path, network: str) -> nx.MultiDiGraph:
    """osmnx graph of the routable ways (drive or walk) in an OSM XML file (unprojected).

    Parameters
    ----------
    path : Path
        An ``.osm``/``.xml`` extract, optionally compressed (``.bz2``, ``.gz``).
    network : str
        ``"drive"`` or ``"walk"``, see :func:`routable`.

    Returns
    -------
    networkx.MultiDiGraph
        osmnx graph (WGS84) of the routable ways and their nodes, largest connected part only;
        bidirectional for ``walk``.

    Raises
    ------
    DataError
        When the file has no routable ways.
    """
    with _open_binary(path) as fh:
        tree = ET.parse(fh)
    root = tree.getroot()
    used: set[str | None] = set()  # node refs of routable ways (None: an <nd> without ref)
    for way in list(root.iter("way")):
        tags = {t.get("k", ""): t.get("v", "") for t in way.iter("tag")}
        if routable(tags, network):
            used |= {nd.get("ref") for nd in way.iter("nd")}
        else:
            root.remove(way)
    for el in list(root):
        if el.tag == "relation" or (el.tag == "node" and el.get("id") not in used):
            root.remove(el)
    if not used:
        raise DataError(f"{path}: contains no {network} roads (OSM ways with a highway tag); use an extract that includes the roads.")
    with tempfile.TemporaryDirectory() as tmp:
        filtered = Path(tmp) / "routable.osm"
        tree.write(filtered, encoding="utf-8", xml_declaration=True)
        return _ox().graph_from_xml(filtered, bidirectional=(network == "walk"), retain_all=False)


def load_network(cfg: Config, buurten: gpd.GeoDataFrame) -> nx.MultiDiGraph:
    """The OSM road network of ``distances.method`` around the municipality, projected to RD New.

    Sources in order: ``distances.osm_file`` (OSM XML, an osmnx GeoPackage or GraphML), the cache
    (``distances.cache`` or :func:`default_cache`, GraphML), else Overpass with ``distances.buffer_m``
    around the municipality (the result is written to the cache).

    Raises
    ------
    DataError
        When ``distances.osm_file`` does not exist, a file cannot be read or is for another
        network type, or the download fails.
    """
    dc = cfg.distances
    network = dc.method
    ox = _ox()
    if dc.osm_file is not None:
        path = Path(dc.osm_file)
        if not path.exists():
            raise DataError(f"{cfg.origin('distances.osm_file')}: field 'distances.osm_file' points to {path}, which does not exist; fix the path.")
        if is_xml(path):
            graph = network_from_xml(path, network)
        elif path.suffix.lower() == ".gpkg":
            graph = network_from_geopackage(path)
        else:
            graph = _read_graph_cache(path, network)
    else:
        cache = Path(dc.cache) if dc.cache else default_cache(cfg, f"wegen-{network}.graphml")
        if cache.exists():
            graph = _read_graph_cache(cache, network)
        else:
            polygon = area_polygon(buurten, dc.buffer_m)
            graph = _fetch(f"{network} road network", lambda: ox.graph_from_polygon(polygon, network_type=network), cache,
                           cfg.origin("distances.method"), "distances.osm_file")
            graph.graph["wijkindeling_network"] = network
            cache.parent.mkdir(parents=True, exist_ok=True)
            ox.save_graphml(graph, cache)
    return ox.project_graph(graph, to_crs=RD_NEW)


def network_from_geopackage(path: Path) -> nx.MultiDiGraph:
    """A road network saved with osmnx ``save_graph_geopackage`` (layers ``nodes`` and ``edges``)."""
    try:
        nodes = gpd.read_file(path, layer="nodes")
        edges = gpd.read_file(path, layer="edges")
        nodes = nodes.set_index("osmid")
        edges = edges.set_index(["u", "v", "key"])
        edges["length"] = edges["length"].astype(float)
        return _ox().convert.graph_from_gdfs(nodes, edges)
    except Exception as err:  # missing layers/columns or a file that is no GeoPackage
        raise DataError(f"{path}: is not a road network GeoPackage with layers nodes and edges as osmnx save_graph_geopackage writes ({str(err).splitlines()[0][:80]}); give a .osm or .graphml file instead.") from None


def _read_graph_cache(path: Path, network: str) -> nx.MultiDiGraph:
    """A GraphML road network; a DataError when unreadable or saved for another network type."""
    try:
        graph = _ox().load_graphml(path)
    except Exception as err:  # networkx / osmnx raise several kinds for bad files
        raise DataError(f"{path}: cannot be read as an osmnx GraphML road network ({str(err).splitlines()[0][:100]}); delete it so it is fetched again.") from None
    made_for = graph.graph.get("wijkindeling_network", network)
    if made_for != network:
        raise DataError(f"{path}: this road network is for '{made_for}', not '{network}'; set distances.cache to another file or distances.method: {made_for}.")
    return graph


def nearest_nodes(xy_nodes: np.ndarray, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the nearest node and its straight distance, for each point (all in metres).

    Parameters
    ----------
    xy_nodes : numpy.ndarray
        (nodes, 2) node coordinates.
    points : numpy.ndarray
        (points, 2) coordinates.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Per point the row of the nearest node in ``xy_nodes`` (int) and the distance to it.
    """
    idx = np.empty(len(points), dtype=int)
    dist = np.empty(len(points))
    for i, (x, y) in enumerate(points):
        d = np.hypot(xy_nodes[:, 0] - x, xy_nodes[:, 1] - y)
        idx[i] = int(np.argmin(d))
        dist[i] = d[idx[i]]
    return idx, dist


def _undirected_lengths(graph: nx.MultiDiGraph) -> nx.Graph:
    """Undirected simple graph with the shortest parallel edge's ``length``, largest component only."""
    simple = nx.Graph()
    simple.add_nodes_from(graph.nodes(data=True))
    for u, v, data in graph.edges(data=True):
        length = float(data.get("length", 0.0))
        if not simple.has_edge(u, v) or simple[u][v]["length"] > length:
            simple.add_edge(u, v, length=length)
    if simple.number_of_edges() == 0:
        return nx.Graph()
    biggest = max(nx.connected_components(simple), key=len)
    return simple.subgraph(biggest).copy()


def network_distances(cfg: Config, practices: gpd.GeoDataFrame, buurten: gpd.GeoDataFrame) -> np.ndarray:
    """Road distances in metres (practices x buurten) on the OSM network of ``distances.method``.

    Measured on the largest connected part of the network, ignoring one-way rules
    (:func:`road_distance_matrix`), to each buurt's representative point.

    Raises
    ------
    DataError
        When the network cannot be loaded or is empty.
    """
    graph = _undirected_lengths(load_network(cfg, buurten))
    if graph.number_of_nodes() == 0:
        raise DataError(f"{cfg.origin('distances')}: the OSM road network is empty; check distances.osm_file or delete the cache.")
    return road_distance_matrix(graph, practices.geometry, buurten.geometry.representative_point())


def road_distance_matrix(graph: nx.Graph, sources: gpd.GeoSeries, targets: gpd.GeoSeries) -> np.ndarray:
    """Access leg + shortest path + access leg, for every source x target point (projected graph).

    Parameters
    ----------
    graph : networkx.Graph
        Connected road graph with node coordinates ``x``, ``y`` and edge ``length`` (metres).
    sources, targets : geopandas.GeoSeries
        Points in the graph's CRS.

    Returns
    -------
    numpy.ndarray
        (sources, targets) metres: straight line to the nearest node, shortest path along
        ``length``, straight line from the target's nearest node.
    """
    nodes = list(graph.nodes)
    xy = np.array([[graph.nodes[n]["x"], graph.nodes[n]["y"]] for n in nodes], dtype=float)
    s_idx, s_leg = nearest_nodes(xy, np.array([[p.x, p.y] for p in sources]))
    t_idx, t_leg = nearest_nodes(xy, np.array([[p.x, p.y] for p in targets]))
    out = np.empty((len(sources), len(targets)))
    for i, (node, leg) in enumerate(zip(s_idx, s_leg)):
        lengths = nx.single_source_dijkstra_path_length(graph, nodes[node], weight="length")
        out[i] = [leg + lengths[nodes[t]] + tl for t, tl in zip(t_idx, t_leg)]
    return out
