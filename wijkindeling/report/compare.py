"""Compare divisions side by side: every score, the winner per score, the buurten that move, maps.

Plans come from ``plan.csv``, a plan.gpkg, any polygon layer (assigned by largest overlap) or
``cbs-wijken``. Each plan is scored on the Problem re-sized to its own number of areas
(:func:`plan.problem_for_plan`), and every number in the table is taken from
:func:`metrics.score` or :func:`metrics.area_table`; nothing is recomputed here.

Output folder ``outputs/<gemeente>/compare-<names>/``: ``compare.csv`` (scores side by side),
``changed_buurten.csv``, ``compare.html`` (table, moved buurten and synced maps, offline) and
``compare.png`` (maps side by side for documents).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..model.metrics import Scores, area_table, score, violations
from ..model.problem import Problem
from ..text import escape as _e
from ..text import format_int as nl_int
from .layers import areas_layer, buurten_layer
from .maps import feature_collection, geojson_text, leaflet_head, static_figure
from .outputs import scenario_dir
from .plans import CBS_WIJKEN, problem_for_plan, read_plan
from .style import PALETTE, SOURCE_LINE, area_colours, nl_pct


@dataclass
class PlanEntry:
    """One division, scored on its own re-sized Problem."""

    name: str
    source: str
    problem: Problem
    labels: np.ndarray
    scores: Scores
    areas: list[dict]
    colours: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ScoreRow:
    key: str
    label: str
    better: str | None  # "low", "high" or None (no winner)
    unit: str = ""
    label_en: str = ""


# Every row's value is read from Scores / area_table by ``row_value``.
SCORE_ROWS = [
    ScoreRow("k", "Aantal gebieden", None, "", "areas"),
    ScoreRow("valid", "Voldoet aan alle harde regels", "high", "", "meets every hard rule"),
    ScoreRow("n_violations", "Aantal overtredingen", "low", "", "violations"),
    ScoreRow("objective", "Doelfunctie (gewogen, lager is beter)", "low", "punten", "objective (weighted, lower is better)"),
    ScoreRow("balance", "Term balans", "low", "punten", "balance term"),
    ScoreRow("catchment", "Term praktijkpopulaties", "low", "punten", "catchment term"),
    ScoreRow("identity", "Term identiteit (extra stukken)", "low", "punten", "identity term"),
    ScoreRow("compactness", "Term compactheid", "low", "punten", "compactness term"),
    ScoreRow("max_population_deviation", "Grootste afwijking van doelgrootte", "low", "fractie", "max deviation from target"),
    ScoreRow("min_population", "Kleinste gebied", None, "inwoners", "smallest area (inhabitants)"),
    ScoreRow("max_population", "Grootste gebied", None, "inwoners", "largest area (inhabitants)"),
    ScoreRow("patients_in_own_area", "Patiënten in eigen gebied", "high", "fractie", "patients in own area"),
    ScoreRow("identity_splits", "Gesplitste identiteitsgroepen (extra stukken)", "low", "", "identity splits"),
    ScoreRow("cut_boundary_km", "Grenslengte tussen gebieden", "low", "km", "cut boundary (km)"),
    ScoreRow("cut_edges", "Doorgesneden buurtgrenzen", "low", "", "cut buurt boundaries"),
]


def row_value(entry: PlanEntry, key: str):
    """The value of one table row for one plan, straight from metrics.score / metrics.area_table."""
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
    """A short name for a plan argument: the scenario folder for .../<scenario>/plan.csv, else the file stem."""
    if spec.lower() in CBS_WIJKEN:
        return "cbs-wijken"
    path = Path(spec)
    return path.parent.name if path.stem == "plan" and path.parent.name else path.stem


def load_plan(problem: Problem, spec: str, name: str | None = None, layer: str | None = None, field_name: str | None = None) -> PlanEntry:
    """Read one plan and score it on the problem re-sized to its number of areas."""
    labels, names = read_plan(spec, problem, layer, field_name)
    sized = problem_for_plan(problem, names)
    return PlanEntry(name or plan_name(spec), str(spec), sized, labels, score(sized, labels), area_table(sized, labels))


def entry_from_labels(problem: Problem, labels: np.ndarray, name: str, names: list[str] | None = None) -> PlanEntry:
    """A plan already in memory (e.g. the optimiser's), scored like an imported one."""
    sized = problem_for_plan(problem, names or list(problem.area_names))
    labels = np.asarray(labels, dtype=int)
    return PlanEntry(name, "memory", sized, labels, score(sized, labels), area_table(sized, labels))


def unique_names(entries: list[PlanEntry]) -> None:
    seen: dict[str, int] = {}
    for e in entries:
        if e.name in seen:
            seen[e.name] += 1
            e.name = f"{e.name}-{seen[e.name]}"
        else:
            seen[e.name] = 1


# ---------------------------------------------------------------- matching and moved buurten


def match_areas(base: PlanEntry, other: PlanEntry) -> dict[int, int]:
    """Areas of ``other`` matched one-to-one to areas of ``base`` by shared inhabitants (greedy, largest first)."""
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
    """The first plan gets the palette in order; every other area the colour of its matched first-plan area."""
    base = entries[0]
    base.colours = area_colours(base.problem.k)
    for e in entries[1:]:
        match = match_areas(base, e)
        spare = [c for c in PALETTE if c not in base.colours] + list(PALETTE)
        e.colours = [base.colours[match[o]] if o in match else spare.pop(0) for o in range(e.problem.k)]


def changed_buurten(base: PlanEntry, other: PlanEntry) -> list[dict]:
    """Buurten whose area in ``other`` is not the matched counterpart of their area in ``base``."""
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
    entries: list[PlanEntry]
    rows: list[dict]  # one per ScoreRow: key, label, unit, values (per plan), winner
    changes: list[dict]

    @property
    def names(self) -> list[str]:
        return [e.name for e in self.entries]


def winners(values: list, better: str | None, names: list[str]) -> str:
    """Name(s) of the best plan for one row ('' when the row has no direction or no values)."""
    if better is None:
        return ""
    scored = [(float(v), n) for v, n in zip(values, names) if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if not scored:
        return ""
    best = (min if better == "low" else max)(v for v, _ in scored)
    tied = [n for v, n in scored if abs(v - best) <= 1e-9 * max(1.0, abs(best))]
    return "gelijk" if len(tied) == len(names) and len(names) > 1 else ", ".join(tied)


def compare(entries: list[PlanEntry]) -> Comparison:
    """Scores side by side with the winner per score, and the buurten that move relative to the first plan."""
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


def format_value(key: str, value, lang: str = "nl") -> str:
    """A table cell in Dutch (or English) notation; the raw value is in compare.csv."""
    if lang == "en":
        if value is None:
            return "n/a"
        if isinstance(value, (bool, np.bool_)):
            return "yes" if value else "no"
        if key in ("max_population_deviation", "patients_in_own_area"):
            return f"{100 * value:.1f} %"
        if isinstance(value, (int, np.integer)):
            return f"{int(value):,}"
        return f"{value:.2f}"
    if value is None:
        return "n.v.t."
    if isinstance(value, (bool, np.bool_)):
        return "ja" if value else "nee"
    if key in ("max_population_deviation", "patients_in_own_area"):
        return f"{100 * value:.1f} %".replace(".", ",")
    if key in ("min_population", "max_population"):
        return nl_int(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return f"{value:.2f}".replace(".", ",")


def write_table_csv(comp: Comparison, path: Path) -> None:
    """compare.csv: score, label, unit, better, one column per plan (raw values from metrics), winner."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["score", "label", "unit", "better", *comp.names, "winner"])
        for r in comp.rows:
            w.writerow([r["key"], r["label"], r["unit"], r["better"],
                        *["" if v is None else (int(v) if isinstance(v, (bool, np.bool_)) else v) for v in r["values"]],
                        r["winner"]])


def write_changes_csv(comp: Comparison, path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, ["plan", "buurtcode", "buurtnaam", "population", "from_area", "to_area"], lineterminator="\n")
        w.writeheader()
        w.writerows(comp.changes)


# ---------------------------------------------------------------- HTML and PNG


def _plan_data(entry: PlanEntry, base: PlanEntry) -> dict:
    areas = areas_layer(entry.problem, entry.labels)
    pts = areas.geometry.representative_point().to_crs("EPSG:4326")
    area_props = [{"name": r["name"], "pop": nl_int(r["population"]), "dev": nl_pct(r["deviation"]),
                   "colour": entry.colours[k], "lat": pts.iloc[k].y, "lon": pts.iloc[k].x}
                  for k, r in enumerate(entry.areas)]
    moved = {c["buurtcode"] for c in changed_buurten(base, entry)} if entry is not base else set()
    b = buurten_layer(entry.problem, entry.labels)
    base_area = [base.problem.area_names[int(a)] for a in base.labels]
    buurt_props = [{"name": r.buurtnaam, "pop": nl_int(r.population), "area": r.area, "base": base_area[i],
                    "changed": r.buurtcode in moved} for i, r in enumerate(b.itertuples())]
    return {"name": _e(entry.name), "areas": feature_collection(areas, area_props),
            "buurten": feature_collection(b, buurt_props)}


def _notes(comp: Comparison) -> list[str]:
    p = comp.entries[0].problem
    notes = []
    if p.provenance.catchment_estimated:
        notes.append("Patiëntaandelen zijn geschat (zwaartekrachtmodel), niet gemeten.")
    if p.provenance.practices_fictional:
        notes.append("De praktijken zijn FICTIEF (voorbeeld).")
    notes.append("Elk plan is gescoord met zijn eigen aantal gebieden: doelgrootte en grenzen volgen daaruit.")
    notes.append(f"Verschoven buurten: ten opzichte van '{comp.entries[0].name}', gebieden gekoppeld op gedeelde inwoners.")
    return notes


def render_html(comp: Comparison, title: str) -> str:
    """compare.html: score table with winners, moved buurten, area tables and synced maps (offline)."""
    head = "".join(f"<th>{_e(n)}</th>" for n in comp.names)
    body = []
    for r in comp.rows:
        cells = []
        for name, v in zip(comp.names, r["values"]):
            win = r["winner"] and (r["winner"] == "gelijk" or name in r["winner"].split(", "))
            cells.append(f'<td class="num{" win" if win else ""}">{_e(format_value(r["key"], v))}</td>')
        body.append(f'<tr data-score="{r["key"]}"><td>{_e(r["label"])}</td>{"".join(cells)}<td>{_e(r["winner"])}</td></tr>')
    viol = "".join(f"<li><b>{_e(e.name)}</b>: {_e('; '.join(violations(e.problem, e.labels, lang='nl')))}</li>"
                   for e in comp.entries if e.scores.violations)
    changes = "".join(f"<tr><td>{_e(c['plan'])}</td><td>{_e(c['buurtnaam'])} ({_e(c['buurtcode'])})</td>"
                      f'<td class="num">{nl_int(c["population"])}</td><td>{_e(c["from_area"])}</td><td>{_e(c["to_area"])}</td></tr>'
                      for c in comp.changes)
    area_tables = []
    for i, e in enumerate(comp.entries):
        rows = "".join(f'<tr><td><span class="sw" style="background:{e.colours[k]}"></span>{_e(r["name"])}</td>'
                       f'<td class="num">{nl_int(r["population"])}</td><td class="num">{nl_pct(r["deviation"])}</td></tr>'
                       for k, r in enumerate(e.areas))
        area_tables.append(f'<div class="plan"><div id="map{i}" class="map"></div><h3>{_e(e.name)}</h3>'
                           f"<table><tr><th>Gebied</th><th>Inwoners</th><th>Afwijking</th></tr>{rows}</table></div>")
    data = "[" + ",".join(geojson_text(_plan_data(e, comp.entries[0])) for e in comp.entries) + "]"
    notes = "".join(f"<li>{_e(n)}</li>" for n in _notes(comp))
    return f"""<!DOCTYPE html>
<html lang="nl"><head><meta charset="utf-8"><title>{_e(title)}</title>
{leaflet_head()}
<style>
body{{font:14px/1.4 sans-serif;margin:16px;color:#111}} table{{border-collapse:collapse;margin:6px 0 14px}}
th,td{{border:1px solid #bbb;padding:3px 8px}} th{{background:#eee}} td.num{{text-align:right}}
td.win{{background:#d8f0d8;font-weight:bold}} .plans{{display:flex;gap:12px;flex-wrap:wrap}}
.plan{{flex:1 1 420px;min-width:360px}} .map{{height:480px;border:1px solid #777}}
.sw{{display:inline-block;width:12px;height:12px;border:1px solid #333;margin-right:5px;vertical-align:middle}}
.wk-label{{background:rgba(255,255,255,.85);border:0;box-shadow:none;font-weight:bold;font-size:11px;text-align:center}}
.src{{color:#555;font-size:12px}}
</style></head><body>
<h1>{_e(title)}</h1>
<table id="scores"><tr><th>Score</th>{head}<th>Beste</th></tr>{"".join(body)}</table>
{f'<h2>Overtredingen van harde regels</h2><ul>{viol}</ul>' if viol else ''}
<h2>Buurten die van gebied wisselen ({len(comp.changes)})</h2>
<table id="changes"><tr><th>Plan</th><th>Buurt</th><th>Inwoners</th><th>Gebied in {_e(comp.names[0])}</th><th>Gebied in plan</th></tr>{changes}</table>
<h2>Kaarten (gekoppeld: schuiven en zoomen gaan samen)</h2>
<div class="plans">{"".join(area_tables)}</div>
<ul>{notes}</ul><p class="src">{_e(SOURCE_LINE)}. Rood gestippeld: buurt wisselt van gebied.</p>
<script>
const PLANS = {data};
const maps = []; let syncing = false;
PLANS.forEach((p, i) => {{
  const m = L.map('map' + i, {{zoomSnap: 0.25}});
  const areas = L.geoJSON(p.areas, {{
    style: f => ({{fillColor: f.properties.colour, color: '#222', weight: 3, fillOpacity: 0.55, className: 'wk-area'}}),
    onEachFeature: (f, l) => l.bindTooltip('<b>' + f.properties.name + '</b><br>' + f.properties.pop + ' inw. (' + f.properties.dev + ')', {{sticky: true}})
  }}).addTo(m);
  L.geoJSON(p.buurten, {{
    style: f => f.properties.changed
      ? {{color: '#C00000', weight: 3, dashArray: '5 3', fillOpacity: 0, className: 'wk-changed'}}
      : {{color: '#555', weight: 1, fillOpacity: 0, className: 'wk-buurt'}},
    onEachFeature: (f, l) => l.bindTooltip('<b>' + f.properties.name + '</b><br>' + f.properties.pop + ' inw.<br>Gebied: ' +
      f.properties.area + (f.properties.changed ? '<br>was: ' + f.properties.base : ''), {{sticky: true}})
  }}).addTo(m);
  p.areas.features.forEach(f => L.tooltip({{permanent: true, direction: 'center', className: 'wk-label'}})
    .setLatLng([f.properties.lat, f.properties.lon]).setContent(f.properties.name + '<br>' + f.properties.pop).addTo(m));
  L.control.scale({{imperial: false}}).addTo(m);
  m.fitBounds(areas.getBounds());
  m.on('move', () => {{
    if (syncing) return;
    syncing = true;
    maps.forEach(o => {{ if (o !== m) o.setView(m.getCenter(), m.getZoom(), {{animate: false}}); }});
    syncing = false;
  }});
  maps.push(m);
}});
window.wkMaps = maps;
</script></body></html>
"""


def write_png(comp: Comparison, path: Path, title: str) -> None:
    """Maps side by side (same colours for matched areas), legends below, for documents."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(comp.entries)
    minx, miny, maxx, maxy = comp.entries[0].problem.buurten.total_bounds
    aspect = (maxy - miny) / max(maxx - minx, 1.0)
    fig, axes = plt.subplots(1, n, figsize=(6.2 * n, 6.2 * aspect + 0.8), dpi=120, squeeze=False)
    for ax, e in zip(axes[0], comp.entries):
        static_figure(e.problem, e.labels, e.name, e.colours, ax=ax, legend_below=True)
    fig.suptitle(title, fontsize=13, fontweight="bold")
    fig.tight_layout()
    fig.savefig(path, bbox_inches="tight", pad_inches=0.15)
    plt.close(fig)


def write_comparison(comp: Comparison, folder: Path, title: str, with_png: bool = True) -> None:
    """compare.csv, changed_buurten.csv, compare.html (and compare.png) in ``folder``."""
    folder = Path(folder)
    write_table_csv(comp, folder / "compare.csv")
    write_changes_csv(comp, folder / "changed_buurten.csv")
    (folder / "compare.html").write_text(render_html(comp, title), encoding="utf-8")
    if with_png:
        write_png(comp, folder / "compare.png", title)


def compare_dir(base: Path, problem: Problem, names: list[str]) -> Path:
    """``<base>/<gemeente>/compare-<name1>-<name2>...``"""
    return scenario_dir(base, problem, "compare-" + "-".join(names))
