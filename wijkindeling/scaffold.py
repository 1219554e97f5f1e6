"""``wijkindeling init``: scaffold a municipality config from the regional template and the shipped data.

The municipality (CBS code or name) is looked up in the regional config's buurten file. The new
config extends the regional file, sets K = round(inhabitants / target_size), widens the tolerance
only when the largest buurt could not fit in one area, and lists kernen derived from the CBS buurt
names (see :func:`derive_kernen`), and flags likely pass-through buurten (roads, water, business
parks; see :func:`pass_through_candidates`) as comments for the adviser to confirm.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import jinja2
import pandas as pd

from .config import AdjacencyConfig, Config, load_config
from .errors import ConfigError
from .model.graph import adjacency_graph
from .sources.buurten import load_buurten
from .text import format_num as fmt_num
from .text import slug

TEMPLATES = Path(__file__).parent / "templates"  # gemeente.yaml.j2

# Buurt names with these words are rural, industrial or otherwise not part of a kern (village centre).
RURAL_WORDS = ("buitengebied", "polder", "kanaalzone", "bedrijventerrein", "industrieterrein", "sportpark",
               "begraafplaats", "verspreide huizen", "plassengebied", "groenbuffer", "corridor", "verbindingswegen",
               "landgoed", "lekdijk")
KERN_MIN_INHABITANTS = 250

# Likely pass-through buurten (data.adjacency.pass_through), flagged in the scaffold for the adviser to confirm:
# a name of a road, railway, canal or business park with fewer than PASS_THROUGH_MAX_INHABITANTS inhabitants, or
# fewer than KERN_MIN_INHABITANTS inhabitants and at least PASS_THROUGH_MIN_NEIGHBOURS neighbours. Whole words only:
# "Zebraspoor" (a residential buurt in Maarssenbroek) is not a railway.
PASS_THROUGH_NAME = re.compile(r"\b(verbindingsweg\w*|wegen|bedrijventerrein|bedrijvengebied|bedrijfsterrein|industrieterrein"
                               r"|industriegebied|kanaalzone|spoor|spoorweg\w*|spoorzone|haven\w*|water|rivier\w*)\b", re.IGNORECASE)
PASS_THROUGH_MAX_INHABITANTS = 1000
PASS_THROUGH_MIN_NEIGHBOURS = 10


@dataclass
class Scaffold:
    """A scaffolded config: where it goes, its text, and the choices made.

    Attributes
    ----------
    path : Path
        Where the config is to be written.
    text : str
        The YAML text.
    name, code : str
        The municipality's name and CBS code (``GM0589``).
    k : int
        The number of areas chosen.
    tolerance : float
        The size tolerance chosen (the regional one, or wider for a large buurt).
    kernen : dict
        Kern name -> buurtcodes (:func:`derive_kernen`).
    """

    path: Path
    text: str
    name: str
    code: str
    k: int
    tolerance: float
    kernen: dict[str, list[str]]


def read_buurten_table(region: Config) -> pd.DataFrame:
    """The attribute table of the regional buurten file (no geometry), with standard column names.

    Parameters
    ----------
    region : Config
        The regional config; gives ``data.buurten``, ``data.layer`` and ``data.columns``.

    Returns
    -------
    pandas.DataFrame
        Columns renamed to ``buurtcode, buurtnaam, population, wijkcode, wijknaam, gemeentecode,
        gemeentenaam`` (others kept as they are), sorted by ``buurtcode``.

    Raises
    ------
    ConfigError
        When ``data.columns`` does not name gemeente code and name columns the file has.
    """
    import pyogrio

    cols = region.data.columns
    df = pyogrio.read_dataframe(region.data.buurten, layer=region.data.layer, read_geometry=False)
    rename = {cols.code: "buurtcode", cols.name: "buurtnaam", cols.population: "population",
              cols.wijk_code: "wijkcode", cols.wijk_name: "wijknaam", cols.gemeente_code: "gemeentecode",
              cols.gemeente_name: "gemeentenaam"}
    missing = [src for src in (cols.gemeente_code, cols.gemeente_name) if src is None or src not in df.columns]
    if missing:
        raise ConfigError(f"{region.origin('data.columns')}: field 'data.columns' must name the gemeente code and name columns for `init`; add gemeente_code and gemeente_name.")
    return df.rename(columns={k: v for k, v in rename.items() if k}).sort_values("buurtcode")


def find_gemeente(df: pd.DataFrame, query: str, source: str) -> tuple[str, str]:
    """(code, name) for a CBS code ('GM0589', '0589') or a name ('oudewater'); a user error otherwise.

    Parameters
    ----------
    df : pandas.DataFrame
        Buurten with ``gemeentecode`` and ``gemeentenaam`` (:func:`read_buurten_table`).
    query : str
        A code (with or without ``GM``, digits padded to 4) or a name (case-insensitive, also
        matched by its :func:`~wijkindeling.text.slug`, so accents and punctuation do not matter).
    source : str
        The data file named in the error message.

    Returns
    -------
    (str, str)
        The gemeentecode and gemeentenaam as in ``df``.

    Raises
    ------
    ConfigError
        When no municipality matches; the message suggests the closest name or lists them all.
    """
    munis = df[["gemeentecode", "gemeentenaam"]].drop_duplicates()
    q = query.strip()
    code = q.upper() if q.upper().startswith("GM") else ("GM" + q.zfill(4) if q.isdigit() else None)
    hit = munis[munis["gemeentecode"] == code] if code else munis[munis["gemeentenaam"].str.lower() == q.lower()]
    if hit.empty and not code:
        hit = munis[munis["gemeentenaam"].map(slug) == slug(q)]
    if hit.empty:
        names = sorted(munis["gemeentenaam"])
        close = difflib.get_close_matches(q, names, n=1, cutoff=0.5)
        hint = f"did you mean '{close[0]}'?" if close else f"choose one of: {', '.join(names)}"
        raise ConfigError(f"{source}: municipality '{query}' is not in the shipped data; {hint}")
    row = hit.iloc[0]
    return str(row["gemeentecode"]), str(row["gemeentenaam"])


def _is_rural(name: str) -> bool:
    """Whether a buurt name contains one of ``RURAL_WORDS`` (case-insensitive)."""
    low = name.lower()
    return any(w in low for w in RURAL_WORDS)


def kern_name(wijknaam: str) -> str:
    """'Wijk 01 Maarssen' -> 'Maarssen'; other names unchanged."""
    return re.sub(r"^Wijk\s+\d+\s*", "", str(wijknaam)).strip() or str(wijknaam)


def derive_kernen(buurten: pd.DataFrame) -> dict[str, list[str]]:
    """Per CBS wijk, its built-up buurten (>= KERN_MIN_INHABITANTS and no rural word in the name).

    Kernen of one buurt (cannot be split) or equal to the whole wijk (already a group) are left out.

    Parameters
    ----------
    buurten : pandas.DataFrame
        One municipality's buurten with ``wijkcode``, ``wijknaam``, ``buurtnaam``, ``buurtcode``
        and ``population``.

    Returns
    -------
    dict
        Kern name (:func:`kern_name` of the wijk name) -> sorted buurtcodes, by wijkcode.
    """
    kernen: dict[str, list[str]] = {}
    for _wijk, rows in buurten.groupby("wijkcode", sort=True):
        built = rows[(rows["population"] >= KERN_MIN_INHABITANTS) & ~rows["buurtnaam"].map(_is_rural)]
        if len(built) >= 2 and len(built) < len(rows):
            kernen[kern_name(rows["wijknaam"].iloc[0])] = sorted(built["buurtcode"])
    return kernen


def pass_through_candidates(buurten: gpd.GeoDataFrame) -> list[str]:
    """Buurten that probably do not separate their neighbours, each as ``"<code>  # <name>: <why>"``.

    A buurt is flagged when its name says road, railway, canal or business park
    (``PASS_THROUGH_NAME``) and it has fewer than ``PASS_THROUGH_MAX_INHABITANTS`` inhabitants, or
    when it has fewer than ``KERN_MIN_INHABITANTS`` inhabitants and at least
    ``PASS_THROUGH_MIN_NEIGHBOURS`` neighbours (a strip of road or water that touches everything).

    Parameters
    ----------
    buurten : geopandas.GeoDataFrame
        One municipality's buurten in standard form (polygons in RD New).

    Returns
    -------
    list of str
        One line per flagged buurt, by buurtcode (empty when none is flagged).
    """
    graph = adjacency_graph(buurten)
    out = []
    for row in buurten.sort_values("buurtcode").itertuples():
        pop, degree = int(row.population), graph.degree(row.buurtcode)
        named = PASS_THROUGH_NAME.search(str(row.buurtnaam)) is not None and pop < PASS_THROUGH_MAX_INHABITANTS
        hub = pop < KERN_MIN_INHABITANTS and degree >= PASS_THROUGH_MIN_NEIGHBOURS
        if named or hub:
            why = "name of a road, railway, canal or business park" if named else "few inhabitants, many neighbours"
            out.append(f"{row.buurtcode}  # {row.buurtnaam}: {fmt_num(pop, 0, 'en')} inhabitants, {degree} neighbours; {why}")
    return out


def choose_k_and_tolerance(populations: pd.Series, target_size: int, tolerance: float) -> tuple[int, float, str]:
    """K from the target size, and a tolerance wide enough for the largest buurt (with the reason).

    Parameters
    ----------
    populations : pandas.Series
        Inhabitants per buurt.
    target_size : int
        Inhabitants wanted per area.
    tolerance : float
        The regional tolerance.

    Returns
    -------
    (int, float, str)
        ``k = round(total / target_size)``, at least 1 and at most the number of buurten; the
        tolerance, when k > 1 and the largest buurt exceeds ``(1 + tolerance) * total / k``
        widened to its relative excess rounded up to a multiple of 0.05, plus 0.05; rounded to 2
        decimals and at most 1.0; and a one-line note saying which.
    """
    total = int(populations.sum())
    k = max(1, min(len(populations), round(total / target_size)))
    per_area = total / k
    largest = int(populations.max())
    note = f"Tolerance: the regional {tolerance:.2f}."
    if k > 1 and largest > (1 + tolerance) * per_area:
        tolerance = math.ceil((largest / per_area - 1) * 20) / 20 + 0.05
        note = f"Tolerance widened to {tolerance:.2f}: the largest buurt has {largest} inhabitants."
    return k, round(min(tolerance, 1.0), 2), note


def scaffold(query: str, region_path: Path, out: Path | None = None) -> Scaffold:
    """The config text for municipality ``query``, extending ``region_path``.

    Parameters
    ----------
    query : str
        CBS code or name of the municipality (:func:`find_gemeente`).
    region_path : Path
        The regional config; its buurten file must hold the municipality.
    out : Path, optional
        Where the config is to go; default ``<slug of name>.yaml`` next to ``region_path``.

    Returns
    -------
    Scaffold
        The text (rendered from ``templates/gemeente.yaml.j2``) and the choices made; nothing is
        written (see :func:`write_scaffold`). The target size is the region's
        ``areas.target_size``, else 9000.

    Raises
    ------
    ConfigError
        When the regional config does not load, its ``data.columns`` lack the gemeente columns, or
        the municipality is not in its buurten file.
    """
    region = load_config(region_path)
    df = read_buurten_table(region)
    code, name = find_gemeente(df, query, str(region.data.buurten))
    buurten = df[df["gemeentecode"] == code]
    target = region.areas.target_size or 9000
    k, tol, note = choose_k_and_tolerance(buurten["population"], target, region.areas.tolerance)
    kernen = derive_kernen(buurten)
    path = Path(out) if out else Path(region_path).parent / f"{slug(name)}.yaml"
    extends = os.path.relpath(Path(region_path).resolve(), path.resolve().parent)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=False,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    total = int(buurten["population"].sum())
    text = env.get_template("gemeente.yaml.j2").render(
        name=name, code=code, region=region.region or Path(region_path).stem, date=dt.date.today().isoformat(),
        extends=extends, total_txt=fmt_num(total, 0, "en"), target_txt=fmt_num(target, 0, "en"),
        per_area_txt=fmt_num(total / k, 0, "en"), n_buurten=len(buurten), n_wijken=buurten["wijkcode"].nunique(), k=k,
        tolerance=tol, tolerance_note=note, kern_min=KERN_MIN_INHABITANTS, rural=", ".join(RURAL_WORDS[:6]) + ", ...",
        kernen=kernen, time_limit=int(region.solver.time_limit),
        buurten_comment=[f"{r.buurtcode}: {r.buurtnaam} ({int(r.population)}, {r.wijknaam})" for r in buurten.itertuples()],
        pass_through_m=fmt_num(AdjacencyConfig().pass_through_m, 0, "en", grouping=False),
        pass_through=pass_through_candidates(load_buurten(region.model_copy(update={"gemeentecode": code}))),
    )
    return Scaffold(path, text, name, code, k, tol, kernen)


def write_scaffold(sc: Scaffold, force: bool = False) -> Path:
    """Write ``sc.text`` to ``sc.path`` (creating folders) and check that it loads as a config.

    Parameters
    ----------
    sc : Scaffold
        From :func:`scaffold`.
    force : bool
        Overwrite an existing file.

    Returns
    -------
    Path
        ``sc.path``.

    Raises
    ------
    ConfigError
        When the file exists and ``force`` is False, or the written config does not load (the
        file is then left in place).
    """
    if sc.path.exists() and not force:
        raise ConfigError(f"{sc.path}: this config exists already; use --force to overwrite it or --out to choose another file.")
    sc.path.parent.mkdir(parents=True, exist_ok=True)
    sc.path.write_text(sc.text, encoding="utf-8")
    load_config(sc.path)  # the scaffold must be a valid config
    return sc.path
