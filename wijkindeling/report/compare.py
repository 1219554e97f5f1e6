"""Compare divisions side by side: every score, the winner per score, the buurten that move, maps.

Plans come from ``plan.csv``, a plan.gpkg, any polygon layer (assigned by largest overlap) or
``cbs-wijken``. Each plan is scored on the Problem re-sized to its own number of areas
(:func:`plan.problem_for_plan`), and every number in the table is taken from
:func:`metrics.score` or :func:`metrics.area_table`; nothing is recomputed here.

Output folder ``outputs/<gemeente>/compare-<names>/``: ``compare.csv`` (scores side by side),
``changed_buurten.csv``, ``compare.html`` (table, moved buurten and synced maps, offline) and
``compare.png`` (maps side by side for documents).

The wording (score labels in Dutch and English, units, ja/nee) comes from :mod:`wijkindeling.text`;
the page is the Jinja2 template ``templates/compare.nl.html.j2`` (autoescaped).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
from markupsafe import Markup

from ..model.metrics import Scores, area_table, score, violations
from ..model.problem import Problem
from ..text import escape as _e
from ..text import format_int, format_num, format_pct, score_label, score_unit, value_word
from .layers import areas_layer, buurten_layer
from .maps import feature_collection, leaflet_head, static_figure
from .outputs import scenario_dir
from .plans import CBS_WIJKEN, problem_for_plan, read_plan
from .style import PALETTE, SOURCE_LINE, area_colours, nl_pct

TEMPLATES = Path(__file__).parent / "templates"
TIE = "gelijk"  # the winner of a row on which every plan scores the same (compare.csv, compare.html)


@dataclass
class PlanEntry:
    """One division, scored on its own re-sized Problem.

    Attributes
    ----------
    name : str
        The plan's name in tables and maps (unique within a comparison).
    source : str
        Where the plan came from: the plan argument, or ``"memory"``.
    problem : Problem
        The Problem re-sized to the plan's number of areas.
    labels : numpy.ndarray
        Area index (0..k-1) per unit of ``problem``.
    scores : Scores
        :func:`metrics.score` of the plan.
    areas : list of dict
        :func:`metrics.area_table` of the plan (name, population, deviation, ...).
    colours : list of str
        Colour per area, set by :func:`assign_colours`.
    """

    name: str
    source: str
    problem: Problem
    labels: np.ndarray
    scores: Scores
    areas: list[dict[str, Any]]
    colours: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ScoreRow:
    """One row of the score table: which score, and which direction wins.

    Attributes
    ----------
    key : str
        The score: a :class:`metrics.Scores` field or ``k``, ``n_violations``, ``min_population``,
        ``max_population`` (see :func:`row_value`); also the key of :data:`text.SCORE_WORDS`.
    better : str or None
        ``"low"``, ``"high"`` or None (the row has no winner).
    """

    key: str
    better: str | None

    @property
    def label(self) -> str:
        """The Dutch label (compare.html, compare.csv)."""
        return score_label(self.key, "nl")

    @property
    def label_en(self) -> str:
        """The English label (the terminal)."""
        return score_label(self.key, "en")

    @property
    def unit(self) -> str:
        """The unit in Dutch (``punten``, ``fractie``, ``inwoners``, ``km`` or ``''``)."""
        return score_unit(self.key)


# Every row's value is read from Scores / area_table by ``row_value``; labels and units are in text.SCORE_WORDS.
SCORE_ROWS = [
    ScoreRow("k", None),
    ScoreRow("valid", "high"),
    ScoreRow("n_violations", "low"),
    ScoreRow("objective", "low"),
    ScoreRow("balance", "low"),
    ScoreRow("catchment", "low"),
    ScoreRow("identity", "low"),
    ScoreRow("compactness", "low"),
    ScoreRow("max_population_deviation", "low"),
    ScoreRow("min_population", None),
    ScoreRow("max_population", None),
    ScoreRow("patients_in_own_area", "high"),
    ScoreRow("identity_splits", "low"),
    ScoreRow("cut_boundary_km", "low"),
    ScoreRow("cut_edges", "low"),
]
PERCENT_ROWS = ("max_population_deviation", "patients_in_own_area")  # fractions, shown as percentages
POPULATION_ROWS = ("min_population", "max_population")  # inhabitants, shown with a thousands separator in Dutch


def row_value(entry: PlanEntry, key: str) -> Any:
    """The value of one table row for one plan, straight from metrics.score / metrics.area_table.

    Parameters
    ----------
    entry : PlanEntry
        The scored plan.
    key : str
        The :attr:`ScoreRow.key`.

    Returns
    -------
    int, float, bool or None
        The raw value (None where a score does not apply, e.g. no patients).
    """
    s = entry.scores
    if key == "k":
        return len(entry.areas)
    if key == "n_violations":
        return len(s.violations)
    if key == "min_population":
        return min(r["population"] for r in entry.areas)
    if key == "max_population":
        return max(r["population"] for r in entry.areas)
    return getattr(s, key)


def plan_name(spec: str) -> str:
    """A short name for a plan argument.

    Parameters
    ----------
    spec : str
        The plan argument: a path or ``cbs-wijken``.

    Returns
    -------
    str
        ``cbs-wijken``, the scenario folder for ``.../<scenario>/plan.csv``, else the file stem.
    """
    if spec.lower() in CBS_WIJKEN:
        return "cbs-wijken"
    path = Path(spec)
    return path.parent.name if path.stem == "plan" and path.parent.name else path.stem


def load_plan(problem: Problem, spec: str, name: str | None = None, layer: str | None = None,
              field_name: str | None = None) -> PlanEntry:
    """Read one plan and score it on the problem re-sized to its number of areas.

    Parameters
    ----------
    problem : Problem
        The municipality's Problem (any number of areas).
    spec : str
        A plan.csv, plan.gpkg, polygon layer or ``cbs-wijken`` (see :func:`plans.read_plan`).
    name : str or None
        The plan's name; default :func:`plan_name` of ``spec``.
    layer, field_name : str or None
        GeoPackage layer and area-name field, for polygon plans.

    Returns
    -------
    PlanEntry
    """
    labels, names = read_plan(spec, problem, layer, field_name)
    sized = problem_for_plan(problem, names)
    return PlanEntry(name or plan_name(spec), str(spec), sized, labels, score(sized, labels), area_table(sized, labels))


def entry_from_labels(problem: Problem, labels: np.ndarray, name: str, names: list[str] | None = None) -> PlanEntry:
    """A plan already in memory (e.g. the optimiser's), scored like an imported one.

    Parameters
    ----------
    problem : Problem
        The municipality's Problem.
    labels : numpy.ndarray
        Area index per unit of ``problem``.
    name : str
        The plan's name.
    names : list of str or None
        The area names; default ``problem.area_names``.

    Returns
    -------
    PlanEntry
    """
    sized = problem_for_plan(problem, names or list(problem.area_names))
    labels = np.asarray(labels, dtype=int)
    return PlanEntry(name, "memory", sized, labels, score(sized, labels), area_table(sized, labels))


def unique_names(entries: list[PlanEntry]) -> None:
    """Make the plan names unique in place: a repeated name gets ``-2``, ``-3``, ...

    Parameters
    ----------
    entries : list of PlanEntry
        The plans; their ``name`` is changed where needed.
    """
    seen: dict[str, int] = {}
    for e in entries:
        if e.name in seen:
            seen[e.name] += 1
            e.name = f"{e.name}-{seen[e.name]}"
        else:
            seen[e.name] = 1


# ---------------------------------------------------------------- matching and moved buurten


def match_areas(base: PlanEntry, other: PlanEntry) -> dict[int, int]:
    """Areas of ``other`` matched one-to-one to areas of ``base`` by shared inhabitants (greedy, largest first).

    Parameters
    ----------
    base, other : PlanEntry
        Two plans of the same municipality (the same units).

    Returns
    -------
    dict of int to int
        Area of ``other`` -> matched area of ``base``; unmatched areas of ``other`` are left out.
    """
    pop = base.problem.population
    overlap = np.zeros((other.problem.k, base.problem.k))
    np.add.at(overlap, (other.labels, base.labels), pop)
    np.add.at(overlap, (other.labels, base.labels), 1e-6)  # buurten without inhabitants still count a little
    pairs = sorted(((overlap[o, b], o, b) for o in range(other.problem.k) for b in range(base.problem.k)), reverse=True)
    match: dict[int, int] = {}
    used: set[int] = set()
    for value, o, b in pairs:
        if value > 0 and o not in match and b not in used:
            match[o] = b
            used.add(b)
    return match


def assign_colours(entries: list[PlanEntry]) -> None:
    """Set every plan's ``colours`` in place, matched areas alike.

    The first plan gets the palette in order, every other area the colour of its matched first-plan
    area (unmatched areas get colours the first plan does not use).

    Parameters
    ----------
    entries : list of PlanEntry
        The plans, the first one the base.
    """
    base = entries[0]
    base.colours = area_colours(base.problem.k)
    for e in entries[1:]:
        match = match_areas(base, e)
        spare = [c for c in PALETTE if c not in base.colours] + list(PALETTE)
        e.colours = [base.colours[match[o]] if o in match else spare.pop(0) for o in range(e.problem.k)]


def changed_buurten(base: PlanEntry, other: PlanEntry) -> list[dict[str, Any]]:
    """Buurten whose area in ``other`` is not the matched counterpart of their area in ``base``.

    Parameters
    ----------
    base, other : PlanEntry
        Two plans of the same municipality.

    Returns
    -------
    list of dict
        One row per moved buurt: ``plan`` (other's name), ``buurtcode``, ``buurtnaam``,
        ``population``, ``from_area`` (in ``base``) and ``to_area`` (in ``other``).
    """
    match = match_areas(base, other)
    rows = []
    for u in range(base.problem.n):
        o = int(other.labels[u])
        if match.get(o) != int(base.labels[u]):
            rows.append({
                "plan": other.name, "buurtcode": base.problem.codes[u], "buurtnaam": base.problem.names[u],
                "population": int(base.problem.population[u]),
                "from_area": base.problem.area_names[int(base.labels[u])], "to_area": other.problem.area_names[o],
            })
    return rows


# ---------------------------------------------------------------- the comparison


@dataclass
class Comparison:
    """Plans side by side, as :func:`compare` makes them.

    Attributes
    ----------
    entries : list of PlanEntry
        The plans (unique names, colours set); the first is the base for moved buurten.
    rows : list of dict
        One per :data:`SCORE_ROWS` entry: ``key``, ``label``, ``label_en``, ``unit``, ``better``
        (``""`` for no winner), ``values`` (one per plan) and ``winner``.
    changes : list of dict
        The moved buurten of every other plan against the first (:func:`changed_buurten`).
    """

    entries: list[PlanEntry]
    rows: list[dict[str, Any]]
    changes: list[dict[str, Any]]

    @property
    def names(self) -> list[str]:
        """The plan names, in order."""
        return [e.name for e in self.entries]


def winners(values: list[Any], better: str | None, names: list[str]) -> str:
    """The best plan(s) for one row.

    Parameters
    ----------
    values : list
        The row's value per plan (None and NaN do not compete).
    better : str or None
        ``"low"``, ``"high"`` or None.
    names : list of str
        The plan names, in the order of ``values``.

    Returns
    -------
    str
        The best plan's name, several joined by ``", "``, ``"gelijk"`` when all plans tie, or ``""``
        when the row has no direction or no values.
    """
    if better is None:
        return ""
    scored = [(float(v), n) for v, n in zip(values, names) if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if not scored:
        return ""
    best = (min if better == "low" else max)(v for v, _ in scored)
    tied = [n for v, n in scored if abs(v - best) <= 1e-9 * max(1.0, abs(best))]
    return TIE if len(tied) == len(names) and len(names) > 1 else ", ".join(tied)


def compare(entries: list[PlanEntry]) -> Comparison:
    """Scores side by side with the winner per score, and the buurten that move relative to the first plan.

    Parameters
    ----------
    entries : list of PlanEntry
        Two or more plans; names are made unique and colours assigned in place.

    Returns
    -------
    Comparison

    Raises
    ------
    ValueError
        With fewer than two plans.
    """
    if len(entries) < 2:
        raise ValueError("compare needs at least two plans")
    unique_names(entries)
    assign_colours(entries)
    names = [e.name for e in entries]
    rows = []
    for r in SCORE_ROWS:
        values = [row_value(e, r.key) for e in entries]
        rows.append({"key": r.key, "label": r.label, "label_en": r.label_en, "unit": r.unit, "better": r.better or "",
                     "values": values, "winner": winners(values, r.better, names)})
    changes = [c for e in entries[1:] for c in changed_buurten(entries[0], e)]
    return Comparison(entries, rows, changes)


def format_value(key: str, value: Any, lang: str = "nl") -> str:
    """A table cell in Dutch (compare.html) or English (the terminal); the raw value is in compare.csv.

    Parameters
    ----------
    key : str
        The row's :attr:`ScoreRow.key`: fractions of :data:`PERCENT_ROWS` become percentages.
    value : int, float, bool or None
        The raw value from :func:`row_value`.
    lang : str
        ``"nl"`` (``ja``, ``129,65``, ``19.640``, ``57,5 %``) or ``"en"`` (``yes``, ``129.65``,
        ``19,640``, ``57.5 %``).

    Returns
    -------
    str
    """
    lang = "nl" if lang == "nl" else "en"
    if value is None or isinstance(value, (bool, np.bool_)):
        return value_word(None if value is None else bool(value), lang)
    if key in PERCENT_ROWS:
        return format_pct(value, 1, lang, grouping=False)
    if lang == "nl" and key in POPULATION_ROWS:
        return format_int(value, lang)  # Dutch groups thousands only for inhabitants
    if isinstance(value, (int, np.integer)):
        whole = int(value)
        return format_int(whole, lang) if lang == "en" else format_num(whole, 0, lang, grouping=False)
    return format_num(value, 2, lang, grouping=False)


def write_table_csv(comp: Comparison, path: Path) -> None:
    """Write compare.csv: score, label, unit, better, one column per plan (raw values from metrics), winner.

    Parameters
    ----------
    comp : Comparison
        The comparison.
    path : Path
        The file to write (UTF-8; booleans as 0/1, None as an empty cell).
    """
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["score", "label", "unit", "better", *comp.names, "winner"])
        for r in comp.rows:
            w.writerow([r["key"], r["label"], r["unit"], r["better"],
                        *["" if v is None else (int(v) if isinstance(v, (bool, np.bool_)) else v) for v in r["values"]],
                        r["winner"]])


def write_changes_csv(comp: Comparison, path: Path) -> None:
    """Write changed_buurten.csv: one row per moved buurt (the columns of :func:`changed_buurten`).

    Parameters
    ----------
    comp : Comparison
        The comparison.
    path : Path
        The file to write (UTF-8).
    """
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, ["plan", "buurtcode", "buurtnaam", "population", "from_area", "to_area"], lineterminator="\n")
        w.writeheader()
        w.writerows(comp.changes)


# ---------------------------------------------------------------- HTML and PNG


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    """The Jinja2 environment of compare.html: escapes everything, Dutch number filters, compact JSON."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["whole"] = lambda v: format_int(v, "nl")
    env.filters["spct"] = lambda v, d=1: format_pct(v, d, "nl", signed=True)
    env.policies["json.dumps_kwargs"] = {"ensure_ascii": False, "separators": (",", ":")}
    return env


def _map_data(entry: PlanEntry, base: PlanEntry) -> dict[str, Any]:
    """One plan's areas and buurten as GeoJSON for the page's script (string properties HTML-escaped)."""
    areas = areas_layer(entry.problem, entry.labels)
    pts = areas.geometry.representative_point().to_crs("EPSG:4326")
    area_props = [{"name": r["name"], "pop": format_int(r["population"]), "dev": nl_pct(r["deviation"]),
                   "colour": entry.colours[k], "lat": pts.iloc[k].y, "lon": pts.iloc[k].x}
                  for k, r in enumerate(entry.areas)]
    moved = {c["buurtcode"] for c in changed_buurten(base, entry)} if entry is not base else set()
    b = buurten_layer(entry.problem, entry.labels)
    base_area = [base.problem.area_names[int(a)] for a in base.labels]
    buurt_props = [{"name": r.buurtnaam, "pop": format_int(r.population), "area": r.area, "base": base_area[i],
                    "changed": r.buurtcode in moved} for i, r in enumerate(b.itertuples())]
    return {"name": _e(entry.name), "areas": feature_collection(areas, area_props),
            "buurten": feature_collection(b, buurt_props)}


def _is_winner(winner: str, name: str) -> bool:
    """Whether ``name`` wins a row whose :func:`winners` text is ``winner``."""
    return bool(winner) and (winner == TIE or name in winner.split(", "))


def render_html(comp: Comparison, title: str) -> str:
    """compare.html: score table with winners, moved buurten, area tables and synced maps (offline).

    Parameters
    ----------
    comp : Comparison
        The comparison.
    title : str
        The page title and heading (escaped like every name).

    Returns
    -------
    str
        A self-contained HTML page (Leaflet inlined) from ``templates/compare.nl.html.j2``.
    """
    provenance = comp.entries[0].problem.provenance
    rows = [{"key": r["key"], "label": r["label"], "winner": r["winner"],
             "cells": [{"text": format_value(r["key"], v), "win": _is_winner(r["winner"], name)}
                       for name, v in zip(comp.names, r["values"])]}
            for r in comp.rows]
    context = {
        "title": title,
        "leaflet_head": Markup(leaflet_head()),
        "names": comp.names,
        "rows": rows,
        "violations": [{"name": e.name, "rules": violations(e.problem, e.labels, lang="nl")}
                       for e in comp.entries if e.scores.violations],
        "changes": comp.changes,
        "plans": [{"name": e.name, "areas": [{"name": r["name"], "population": r["population"], "deviation": r["deviation"],
                                               "colour": e.colours[k]} for k, r in enumerate(e.areas)]}
                  for e in comp.entries],
        "catchment_estimated": provenance.catchment_estimated,
        "practices_fictional": provenance.practices_fictional,
        "source_line": SOURCE_LINE,
        "map_data": [_map_data(e, comp.entries[0]) for e in comp.entries],
    }
    return _env().get_template("compare.nl.html.j2").render(**context)


def write_png(comp: Comparison, path: Path, title: str) -> None:
    """Write compare.png: the maps side by side (same colours for matched areas), legends below, for documents.

    Parameters
    ----------
    comp : Comparison
        The comparison.
    path : Path
        The PNG to write.
    title : str
        The figure's title.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(comp.entries)
    buurten = comp.entries[0].problem.buurten
    if buurten is None:
        raise ValueError("compare.png needs the buurt geometries (Problem.buurten)")
    minx, miny, maxx, maxy = buurten.total_bounds
    aspect = (maxy - miny) / max(maxx - minx, 1.0)
    fig, axes = plt.subplots(1, n, figsize=(6.2 * n, 6.2 * aspect + 0.8), dpi=120, squeeze=False)
    for ax, e in zip(axes[0], comp.entries):
        static_figure(e.problem, e.labels, e.name, e.colours, ax=ax, legend_below=True)
    fig.suptitle(title, fontsize=13, fontweight="bold")
    fig.tight_layout()
    fig.savefig(path, bbox_inches="tight", pad_inches=0.15)
    plt.close(fig)


def write_comparison(comp: Comparison, folder: Path, title: str, with_png: bool = True) -> None:
    """Write compare.csv, changed_buurten.csv, compare.html (and compare.png) in ``folder``.

    Parameters
    ----------
    comp : Comparison
        The comparison.
    folder : Path
        An existing folder.
    title : str
        Title of the page and the figure.
    with_png : bool
        Also draw compare.png (the slowest part).
    """
    folder = Path(folder)
    write_table_csv(comp, folder / "compare.csv")
    write_changes_csv(comp, folder / "changed_buurten.csv")
    (folder / "compare.html").write_text(render_html(comp, title), encoding="utf-8")
    if with_png:
        write_png(comp, folder / "compare.png", title)


def compare_dir(base: Path, problem: Problem, names: list[str]) -> Path:
    """The output folder of a comparison.

    Parameters
    ----------
    base : Path
        The output base folder (``output.dir`` or ``--out``).
    problem : Problem
        The municipality's Problem (gives the gemeente folder).
    names : list of str
        The plan names.

    Returns
    -------
    Path
        ``<base>/<gemeente>/compare-<name1>-<name2>...``
    """
    return scenario_dir(base, problem, "compare-" + "-".join(names))
