"""``wijkindeling data``: CBS buurten and key figures for any Dutch municipality, in the shipped schema.

Two official sources, each cached as it was received (``<cache>/<year>/``), so a second run works
offline and ``refresh`` fetches again:

* PDOK's OGC API Features service of *CBS Wijken en Buurten* (:mod:`.pdok`): the buurt polygons
  (RD New) with names, codes and inhabitants;
* CBS Open Data StatLine, *Kerncijfers wijken en buurten* (:mod:`.statline`, client ``cbsodata``):
  every key figure per buurt with CBS's own column keys, the wijk names and the table's metadata.

:func:`fetch_dataset` gathers everything in memory (nothing is written when a source fails);
:func:`write_dataset` then writes, through a temporary folder next to the target:
``cbs_buurten_<year>_<slug>.gpkg`` (layer ``buurten``, the columns of ``boundaries/``),
``cbs_<table>_<slug>.csv`` (key figures by buurtcode, values as CBS published them, ``.`` kept),
``provenance.json`` and ``regio-<slug>.yaml``, a regional config for ``wijkindeling init``.

The fetch code was written against the services' documented formats and is tested on fixture
responses; it was never run against the live services from the development machine.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import geopandas as gpd
import pandas as pd
import requests
import yaml

from .. import __version__
from ..errors import DataError
from ..interrupts import mkdir_mode
from ..text import slug
from . import pdok, statline
from .buurten import RD_NEW

LICENCE = "CBS / Kadaster (PDOK), CC-BY 4.0"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
BUURT_COLUMNS = ["buurtcode", "buurtnaam", "wijkcode", "wijknaam", "gemeentecode", "gemeentenaam",
                 "aantal_inwoners", "area_ha_generalised"]
PDOK_REQUIRED = ("buurtcode", "buurtnaam", "wijkcode", "gemeentecode", "gemeentenaam", "aantal_inwoners")
# Indicators declared in the regional config: (key stem, aggregate, partner stem). The partner is the
# denominator of a share or the weight of a mean; keys get CBS's year-specific suffix (k_65JaarOfOuder_12).
INDICATORS: tuple[tuple[str, str, str | None], ...] = (
    ("AantalInwoners", "count", None),
    ("k_0Tot15Jaar", "share", "AantalInwoners"),
    ("k_65JaarOfOuder", "share", "AantalInwoners"),
    ("HuishoudensTotaal", "count", None),
    ("Eenpersoonshuishoudens", "share", "HuishoudensTotaal"),
    ("GemiddeldeHuishoudensgrootte", "mean", "HuishoudensTotaal"),
    ("GemiddeldInkomenPerInwoner", "mean", "AantalInwoners"),
    ("AfstandTotHuisartsenpraktijk", "mean", "AantalInwoners"),
)
T = TypeVar("T")
Progress = Callable[[str], None]


def default_cache_dir() -> Path:
    """``$WIJKINDELING_CACHE/cbs``, else ``~/.cache/wijkindeling/cbs``."""
    root = os.environ.get("WIJKINDELING_CACHE")
    return (Path(root) if root else Path.home() / ".cache" / "wijkindeling") / "cbs"


@dataclass
class Dataset:
    """One municipality's fetched data, not yet written.

    Attributes
    ----------
    code, name : str
        Gemeentecode (``GM0632``) and name.
    year : int
        The year of the CBS data.
    table : str
        The StatLine table id.
    buurten : geopandas.GeoDataFrame
        The columns of :data:`BUURT_COLUMNS` and geometry, EPSG:28992, sorted by buurtcode.
    indicators : pandas.DataFrame
        ``buurtcode`` plus every CBS key-figure column, as text as CBS published it.
    properties : list of dict
        The table's ``DataProperties`` (column keys, titles, units).
    provenance : dict
        Sources, dates, licence and notes (written as ``provenance.json``).
    notes : list of str
        What the user should know (also in the provenance).
    """

    code: str
    name: str
    year: int
    table: str
    buurten: gpd.GeoDataFrame
    indicators: pd.DataFrame
    properties: list[dict[str, Any]]
    provenance: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    @property
    def slug(self) -> str:
        """The municipality's name as a folder and file name ('De Ronde Venen' -> 'de-ronde-venen')."""
        return slug(self.name)


def _now() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def _write_json(path: Path, data: Any) -> None:
    """Write ``data`` as JSON atomically (temporary file in the same folder, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _unwrap(err: requests.HTTPError) -> requests.HTTPError:
    """The HTTPError that carries the request and response (cbsodata re-raises one without them)."""
    cause = err.__cause__
    return cause if isinstance(cause, requests.HTTPError) and err.response is None else err


def _reason(err: requests.RequestException) -> str:
    """A short reason for a failed request: the HTTP status or the kind of network error."""
    response = getattr(err, "response", None)
    if response is not None:
        return f"HTTP {response.status_code}"
    return "no connection" if isinstance(err, requests.ConnectionError) else type(err).__name__


def cached(path: Path, fetch: Callable[[], T], refresh: bool, service: str, progress: Progress | None = None) -> tuple[T, str, bool]:
    """The cached answer at ``path``, or ``fetch()``'s answer, cached there.

    Parameters
    ----------
    path : Path
        The cache file (JSON: ``{"fetched": ..., "data": ...}``).
    fetch : callable
        Fetches the data (raises ``requests.RequestException`` when the service cannot be reached).
    refresh : bool
        Fetch even when a cached copy exists.
    service : str
        The service's host, for messages.
    progress : callable, optional
        Called with a status text.

    Returns
    -------
    (data, fetched, from_cache)
        The data, when it was fetched (ISO time) and whether it came from the cache.

    Raises
    ------
    DataError
        When fetching fails: one sentence saying what is needed and where the cache lives.
    """
    if path.exists() and not refresh:
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
            return entry["data"], str(entry["fetched"]), True
        except (ValueError, KeyError, TypeError):
            pass  # a damaged cache file is fetched again
    if progress:
        progress(f"fetching from {service}")
    try:
        data = fetch()
    except DataError:
        raise
    except requests.HTTPError as err:
        err = _unwrap(err)
        url = str(err.request.url) if err.request is not None and err.request.url else service
        raise DataError(f"{url}: {service} answered {_reason(err)}; check the municipality and --year, "
                        "or try again later if the service is down.") from None
    except (ValueError, KeyError) as err:  # not JSON, or JSON without the documented keys
        raise DataError(f"{service}: the answer is not in the documented format ({type(err).__name__}: {err}); "
                        "try again later or report it to the wijkindeling maintainers.") from None
    except requests.RequestException as err:
        if refresh and path.exists():
            raise DataError(f"cannot reach {service} ({_reason(err)}) to refresh the cached copy in {path.parent}; "
                            "run the command again without --refresh to use that copy, or when you are online.") from None
        raise DataError(f"cannot reach {service} ({_reason(err)}) and there is no cached copy in {path.parent}; "
                        "run the command once with an internet connection (later runs work offline from that cache) "
                        "or point --cache at a folder that has one.") from None
    fetched = _now()
    _write_json(path, {"fetched": fetched, "data": data})
    return data, fetched, False


def parse_code(query: str) -> str | None:
    """``GM0632`` for 'GM0632', 'gm632', '0632' or '632'; None when ``query`` is not a code."""
    q = query.strip().upper()
    m = re.fullmatch(r"(?:GM)?(\d{1,4})", q)
    return f"GM{m.group(1).zfill(4)}" if m else None


def match_name(query: str, munis: dict[str, str], table: str) -> str:
    """The gemeentecode of the municipality named ``query`` (case, accents and punctuation ignored).

    Raises
    ------
    DataError
        When no municipality of ``table`` has that name; suggests the closest one.
    """
    wanted = slug(query)
    for code, name in sorted(munis.items()):
        if slug(name) == wanted:
            return code
    close = difflib.get_close_matches(query.strip(), sorted(set(munis.values())), n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'?" if close else "check the spelling or give its CBS code, such as GM0632."
    raise DataError(f"municipality '{query}' is not in CBS table {table}; {hint}")


def _regions(table: str, year: int, cache: Path, refresh: bool, progress: Progress | None) -> list[dict[str, Any]]:
    """The regions of the StatLine table (cached per year)."""
    data, _, _ = cached(cache / str(year) / f"statline_{table}_regions.json", lambda: statline.download_regions(table),
                        refresh, "opendata.cbs.nl (CBS StatLine)", progress)
    return list(data)


def resolve(query: str, year: int, cache: Path, refresh: bool = False, progress: Progress | None = None) -> str:
    """The gemeentecode for a CBS code or a municipality name (names need the table's region list).

    Raises
    ------
    DataError
        For an unknown year, an unknown name, or a name while the region list can be neither
        fetched nor read from the cache.
    """
    table = _table(year)
    code = parse_code(query)
    if code:
        return code
    return match_name(query, statline.municipalities(_regions(table, year, cache, refresh, progress)), table)


def _table(year: int) -> str:
    """The StatLine table of ``year``; a DataError listing the supported years otherwise."""
    table = statline.table_id(year)
    if table is None:
        years = ", ".join(str(y) for y in sorted(statline.TABLES))
        raise DataError(f"--year {year}: no CBS Kerncijfers wijken en buurten table is known for that year; use one of {years}.")
    return table


def buurten_frame(feats: list[dict[str, Any]], titles: dict[str, str], population: dict[str, float],
                  notes: list[str]) -> gpd.GeoDataFrame:
    """PDOK's buurt features in the shipped schema (water parts dropped, one row per buurt).

    Parameters
    ----------
    feats : list of dict
        GeoJSON features with PDOK's property names, coordinates in RD New.
    titles : dict
        Region code -> CBS title (wijk names come from here).
    population : dict
        Buurtcode -> StatLine ``AantalInwoners``, used where PDOK gives no number.
    notes : list of str
        Receives what was filled in or dropped.

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`BUURT_COLUMNS` and geometry, EPSG:28992, sorted by buurtcode.
    """
    gdf = _in_rd(gpd.GeoDataFrame.from_features(feats, crs=RD_NEW), notes)
    missing = [p for p in PDOK_REQUIRED if p not in gdf.columns]
    if missing:
        raise DataError(f"PDOK buurten: the answer has no property '{missing[0]}'; the service's format changed, report it to the wijkindeling maintainers.")
    if "water" in gdf.columns:
        water = gdf["water"].astype(str).str.upper().eq("JA")
        if water.any():
            notes.append(f"{int(water.sum())} water part(s) of buurten (PDOK water = JA) left out.")
        gdf = gdf[~water]
    gdf = gdf.dissolve(by="buurtcode", aggfunc="first", as_index=False) if gdf["buurtcode"].duplicated().any() else gdf
    pop = pd.to_numeric(gdf["aantal_inwoners"], errors="coerce")
    pop = pop.where(pop >= 0)  # CBS's negative sentinels mean "not available"
    from_statline = pop.isna() & gdf["buurtcode"].map(population).notna()
    pop = pop.fillna(gdf["buurtcode"].map(population))
    if from_statline.any():
        notes.append(f"{int(from_statline.sum())} buurt(en) without inhabitants in PDOK took StatLine's AantalInwoners.")
    if pop.isna().any():
        notes.append(f"{int(pop.isna().sum())} buurt(en) without any published number of inhabitants counted as 0 "
                     f"({', '.join(gdf.loc[pop.isna(), 'buurtcode'].astype(str))}).")
    own_wijknaam = gdf["wijknaam"] if "wijknaam" in gdf.columns else gdf["wijkcode"]  # StatLine's title comes first
    out = gpd.GeoDataFrame({
        "buurtcode": gdf["buurtcode"].astype(str),
        "buurtnaam": [str(n) if isinstance(n, str) and n else titles.get(c, c) for c, n in zip(gdf["buurtcode"], gdf["buurtnaam"])],
        "wijkcode": gdf["wijkcode"].astype(str),
        "wijknaam": [titles.get(str(w)) or str(n) for w, n in zip(gdf["wijkcode"], own_wijknaam)],
        "gemeentecode": gdf["gemeentecode"].astype(str),
        "gemeentenaam": gdf["gemeentenaam"].astype(str),
        "aantal_inwoners": pop.fillna(0).round().astype("int64").to_numpy(),
        "area_ha_generalised": (gdf.geometry.area / 10_000).round(1).to_numpy(),
    }, geometry=gdf.geometry.to_numpy(), crs=RD_NEW)
    return out.sort_values("buurtcode").reset_index(drop=True)


def _in_rd(gdf: gpd.GeoDataFrame, notes: list[str]) -> gpd.GeoDataFrame:
    """``gdf`` in RD New: coordinates asked for in EPSG:28992, but GeoJSON's default (lon/lat) is recognised and reprojected.

    RD New coordinates of the Netherlands lie between 0 and 300,000 m east and 300,000 and 650,000 m
    north; degrees of the Netherlands are below 10 east and between 50 and 54 north.
    """
    if gdf.empty:
        return gdf
    minx, miny, maxx, maxy = gdf.total_bounds
    if -10 <= minx and maxx <= 20 and 45 <= miny and maxy <= 60:
        notes.append("PDOK sent longitude/latitude instead of RD New; the polygons were reprojected to EPSG:28992.")
        return gdf.set_crs("OGC:CRS84", allow_override=True).to_crs(RD_NEW)
    return gdf


def indicators_frame(rows: list[dict[str, Any]], keys: list[str], codes: list[str]) -> pd.DataFrame:
    """StatLine's buurt rows as a table keyed by ``buurtcode``: every key-figure column, text as CBS published it.

    Padding spaces are stripped; ``.`` (unknown or secret) stays ``.``; a JSON null (CBS: "cannot
    occur") becomes an empty cell. Only the buurten in ``codes`` are kept, in that order.
    """
    present = [k for k in keys if any(k in r for r in rows)]
    by_code = {str(r.get("WijkenEnBuurten", "")).strip(): r for r in rows}
    records = [{"buurtcode": c, **{k: "" if by_code[c].get(k) is None else str(by_code[c][k]).strip() for k in present}}
               for c in codes if c in by_code]
    return pd.DataFrame(records, columns=["buurtcode", *present])


def _statline_population(rows: list[dict[str, Any]], properties: list[dict[str, Any]]) -> dict[str, float]:
    """Buurtcode -> StatLine's number of inhabitants (only where published)."""
    prop = statline.find_key(properties, "AantalInwoners")
    if prop is None:
        return {}
    values = {str(r.get("WijkenEnBuurten", "")).strip(): pd.to_numeric(str(r.get(prop["Key"]) or "").strip(), errors="coerce")
              for r in rows}
    return {c: float(v) for c, v in values.items() if pd.notna(v) and v >= 0}


def fetch_dataset(query: str, year: int = 2024, cache: Path | None = None, refresh: bool = False,
                  progress: Progress | None = None) -> Dataset:
    """Everything ``wijkindeling data`` writes, for the municipality ``query`` (name or CBS code).

    Parameters
    ----------
    query : str
        'Woerden', 'GM0632' or '0632'.
    year : int
        The year of the CBS data.
    cache : Path, optional
        The cache folder (default :func:`default_cache_dir`).
    refresh : bool
        Fetch again even when cached.
    progress : callable, optional
        Called with status texts.

    Returns
    -------
    Dataset
        Buurten, key figures and provenance; nothing is written.

    Raises
    ------
    DataError
        For an unknown year or municipality, or a source that can be neither reached nor read
        from the cache (one sentence naming the cache folder).
    """
    cache = Path(cache) if cache else default_cache_dir()
    table = _table(year)
    code = resolve(query, year, cache, refresh, progress)
    folder = cache / str(year)
    pages, pdok_fetched, pdok_cached = cached(
        folder / f"pdok_buurten_{code}.json", lambda: pdok.fetch_buurten_pages(year, code, progress=progress),
        refresh, "api.pdok.nl (PDOK)", progress)
    feats = pdok.features(pages)
    if not feats:
        raise DataError(f"municipality {code} has no buurten in CBS Wijken en Buurten {year} (PDOK); check the code, "
                        f"for example with `wijkindeling data <name> --year {year}`.")
    parts, cbs_fetched, cbs_cached = cached(
        folder / f"statline_{table}_{code}.json", lambda: statline.download_table(table, code),
        refresh, "opendata.cbs.nl (CBS StatLine)", progress)
    properties = list(parts.get("DataProperties") or [])
    rows, untyped = statline.data_rows(parts)
    titles = statline.region_titles(list(parts.get("WijkenEnBuurten") or []))
    notes: list[str] = [] if untyped else ["StatLine sent typed values: a value CBS marks '.' (unknown or secret) is an empty cell in the CSV."]
    buurten = buurten_frame(feats, titles, _statline_population(rows, properties), notes)
    name = str(buurten["gemeentenaam"].iloc[0])
    indicators = indicators_frame(rows, statline.topic_keys(properties), list(buurten["buurtcode"]))
    if len(indicators) < len(buurten):
        notes.append(f"{len(buurten) - len(indicators)} buurt(en) have no row in StatLine {table}; their key figures are missing.")
    provenance = _provenance(code, name, year, table, pages, parts, (pdok_fetched, pdok_cached), (cbs_fetched, cbs_cached), notes)
    return Dataset(code, name, year, table, buurten, indicators, properties, provenance, notes)


def _provenance(code: str, name: str, year: int, table: str, pages: list[dict[str, Any]], parts: dict[str, Any],
                pdok_when: tuple[str, bool], cbs_when: tuple[str, bool], notes: list[str]) -> dict[str, Any]:
    """The record of where every number came from (``provenance.json``)."""
    infos = list(parts.get("TableInfos") or [])
    first = requests.Request("GET", pdok.items_url(year), params=pdok.items_params(code)).prepare().url
    return {
        "gemeente": name, "gemeentecode": code, "year": year,
        "licence": LICENCE, "licence_url": LICENCE_URL, "attribution": "Bron: CBS / Kadaster (PDOK)",
        "tool": f"wijkindeling {__version__}", "written": _now(),
        "sources": [
            {"what": "buurt polygons (RD New), names, codes, inhabitants",
             "dataset": f"CBS Wijken en Buurten {year}", "dataset_id": f"cbs/wijken-en-buurten-{year}", "version": "OGC API Features ogc/v1",
             "service": pdok.BASE_URL.format(year=year), "url": first, "pages": len(pages),
             "features": sum(len(p["features"]) for p in pages), "response_timestamp": pages[0].get("timeStamp", ""),
             "fetched": pdok_when[0], "from_cache": pdok_when[1]},
            {"what": "key figures per buurt (CBS column keys), wijk names, table metadata",
             "dataset": str(infos[0].get("Title", "")) if infos else f"Kerncijfers wijken en buurten {year}",
             "dataset_id": table, "version": statline.modified(infos), "service": statline.FEED_URL.format(table=table),
             "filter": statline.buurten_filter(code), "rows": len(statline.data_rows(parts)[0]),
             "client": "cbsodata (official CBS Open Data client)", "fetched": cbs_when[0], "from_cache": cbs_when[1]},
        ],
        "notes": ["area_ha_generalised is the area of the fetched polygon (PDOK's detailed geometry, not generalised), in hectares.",
                  *notes],
    }


def indicator_declarations(ds: Dataset) -> dict[str, dict[str, Any]]:
    """The ``data.indicators[].columns`` for the regional config: CBS keys with CBS's Dutch titles.

    Only columns this year's table has, with at least one published value for the municipality's
    buurten (and a partner column that exists), are declared.
    """
    def usable(prop: dict[str, Any] | None) -> bool:
        if prop is None or prop["Key"] not in ds.indicators.columns:
            return False
        values = pd.to_numeric(ds.indicators[prop["Key"]].astype(str).str.strip(), errors="coerce")
        return bool((values > -99990).any())

    out: dict[str, dict[str, Any]] = {}
    for stem, aggregate, partner_stem in INDICATORS:
        prop = statline.find_key(ds.properties, stem)
        partner = statline.find_key(ds.properties, partner_stem) if partner_stem else None
        if not usable(prop) or (partner_stem and not usable(partner)):
            continue
        assert prop is not None
        entry: dict[str, Any] = {"aggregate": aggregate, "title": str(prop.get("Title", "")).strip(),
                                 "unit": "%" if aggregate == "share" else str(prop.get("Unit") or "").strip()}
        if partner is not None:
            entry["denominator" if aggregate == "share" else "weight"] = partner["Key"]
        out[str(prop["Key"])] = entry
    return out


def file_names(ds: Dataset) -> dict[str, str]:
    """The names of the files written for ``ds``."""
    return {"buurten": f"cbs_buurten_{ds.year}_{ds.slug}.gpkg", "indicators": f"cbs_{ds.table}_{ds.slug}.csv",
            "provenance": "provenance.json", "region_config": f"regio-{ds.slug}.yaml"}


def region_config_text(ds: Dataset) -> str:
    """A regional config for one municipality: the fetched buurten and key figures, and the shipped defaults.

    ``wijkindeling init <code> --region regio-<slug>.yaml`` scaffolds ``<slug>.yaml`` next to it.
    """
    names = file_names(ds)
    config = {
        "region": ds.name,
        "data": {
            "buurten": names["buurten"], "layer": "buurten",
            "columns": {"code": "buurtcode", "name": "buurtnaam", "population": "aantal_inwoners", "wijk_code": "wijkcode",
                        "wijk_name": "wijknaam", "gemeente_code": "gemeentecode", "gemeente_name": "gemeentenaam"},
            "islands": "connect_nearest",
            "attribution": f"Bron: {LICENCE}",
            "indicators": [{"path": names["indicators"], "key": "buurtcode",
                            "source": f"CBS StatLine {ds.table} ({ds.provenance['sources'][1]['dataset']}), CC-BY 4.0",
                            "columns": indicator_declarations(ds)}],
        },
        "areas": {"target_size": 9000, "tolerance": 0.10},
        "weights": {"balance": 1.0, "catchment": 1.0, "identity": 2.0, "compactness": 0.2},
        "identity": {"wijken": True},
        "practices": {"source": "none"},
        "solver": {"backend": "highs", "time_limit": 60, "seed": 1, "mip_gap": 0.0},
    }
    header = (f"# {ds.name} ({ds.code}): regional defaults written by `wijkindeling data` on {dt.date.today().isoformat()}\n"
              f"# from CBS Wijken en Buurten {ds.year} (PDOK) and CBS StatLine {ds.table}; see provenance.json.\n"
              f"# Next: wijkindeling init {ds.code} --region <this file>   (writes {ds.slug}.yaml next to it)\n"
              "# Indicators: CBS's column keys and Dutch titles; a share is summed numerator / summed denominator,\n"
              "# a mean is weighted by the named column. Add or remove columns of the CSV as you like.\n")
    return header + yaml.safe_dump(config, sort_keys=False, allow_unicode=True)


def _write_csv(path: Path, frame: pd.DataFrame) -> None:
    """The key-figure table as UTF-8 CSV (comma separated, every cell as text)."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(frame.columns)
        writer.writerows(frame.astype(str).itertuples(index=False, name=None))


def write_dataset(ds: Dataset, out: Path, force: bool = False) -> dict[str, Path]:
    """Write the dataset's files into ``out`` through a temporary folder next to it.

    The files are written into ``.<out>.tmp-*`` first; then the folder is renamed to ``out`` (new)
    or each file replaces its old version (``out`` exists; other files there are left alone). An
    existing ``regio-<slug>.yaml`` (perhaps edited) is kept unless ``force``.

    Returns
    -------
    dict
        File role -> path written (or kept).
    """
    out = Path(out)
    names = file_names(ds)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        ds.buurten.to_file(tmp / names["buurten"], layer="buurten", driver="GPKG")
        _write_csv(tmp / names["indicators"], ds.indicators)
        (tmp / names["provenance"]).write_text(json.dumps({**ds.provenance, "files": names}, ensure_ascii=False, indent=2) + "\n",
                                               encoding="utf-8")
        (tmp / names["region_config"]).write_text(region_config_text(ds), encoding="utf-8")
        if not out.exists():
            tmp.chmod(mkdir_mode())  # mkdtemp makes it private; the folder gets what mkdir would give
            tmp.rename(out)
        else:
            for role, name in names.items():
                if role == "region_config" and (out / name).exists() and not force:
                    continue
                os.replace(tmp / name, out / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {role: out / name for role, name in names.items()}
