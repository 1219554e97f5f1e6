"""The data behind the handreiking: plain dicts the templates turn into text.

Every per-area figure comes from the run's ``metrics.json`` record (so the document and the
record agree exactly); variant scores come from :func:`wijkindeling.model.metrics.score`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from ... import __version__
from ...config import Config
from ...model.metrics import TERMS
from ...model.startfoto import Startfoto, indicator_label, startfoto, value_text
from ...optimise import Solution
from ...text import PROFILE_BUILTIN
from ..layers import buurten_of
from .analysis import MunicipalityResult, Variant


def _kernen(cfg: Config) -> list[dict]:
    return [{"name": name, "n_buurten": len(codes)} for name, codes in cfg.identity.kernen.items()]


def _practice_names(result: MunicipalityResult) -> dict[str, str]:
    prac = result.problem.practices
    if prac is None:
        return {}
    return dict(zip(prac["practice_id"].astype(str), prac["name"].astype(str)))


def key_figures(result: MunicipalityResult) -> dict:
    """The chapter's first table: inhabitants, buurten, wijken, K, size bounds, practices, groups, edges, rules.

    Parameters
    ----------
    result : MunicipalityResult
        The optimised municipality.

    Returns
    -------
    dict
        Figures by name (``population``, ``n_buurten``, ``n_wijken``, ``k``, ``target``, ``lo``, ``hi``, ...).
    """
    p, cfg = result.problem, result.cfg
    return {
        "population": p.total,
        "n_buurten": p.n,
        "n_wijken": int(buurten_of(p)["wijkcode"].nunique()),
        "k": p.k,
        "target": p.target,
        "lo": p.lo,
        "hi": p.hi,
        "tolerance": cfg.areas.tolerance,
        "absolute_bounds": cfg.areas.min_population is not None or cfg.areas.max_population is not None,
        "n_practices": 0 if p.practices is None else len(p.practices),
        "kernen": _kernen(cfg),
        "n_groups": len(p.groups),
        "n_edges": len(p.edges),
        "n_synthetic_edges": len(p.provenance.synthetic_edges or []),
        "n_barrier_edges": len(p.provenance.barrier_edges_removed or []),
        "locks": len(cfg.rules.locks),
        "keep_together": len(cfg.rules.keep_together),
        "keep_apart": len(cfg.rules.keep_apart),
    }


def area_rows(result: MunicipalityResult) -> list[dict]:
    """One row per area, straight from metrics.json, with buurt and practice names added.

    Parameters
    ----------
    result : MunicipalityResult
        The optimised municipality; its ``record`` is the metrics.json content.

    Returns
    -------
    list of dict
        ``name``, ``population``, ``deviation``, ``n_buurten``, ``buurt_names``, ``n_practices``,
        ``practices`` (names), ``own_share`` and ``split_groups`` per area; empty without a plan.
    """
    if result.record is None:
        return []
    names = dict(zip(result.problem.codes, result.problem.names))
    practice = _practice_names(result)
    rows = []
    for area in result.record["areas"]:
        rows.append({
            "name": area["name"],
            "population": area["population"],
            "deviation": area["deviation"],
            "n_buurten": len(area["buurten"]),
            "buurt_names": [names[c] for c in area["buurten"]],
            "n_practices": len(area["practices"]),
            "practices": [practice.get(pid, pid) for pid in area["practices"]],
            "own_share": area["patients_in_own_area"],
            "split_groups": area["split_groups"],
        })
    return rows


def startfoto_section(result: MunicipalityResult, chart_uri: str | None, lang: str = "nl",
                      foto: Startfoto | None = None) -> dict | None:
    """The chapter's "Startfoto per gebied": every indicator per area next to the municipality's value.

    Values from :func:`wijkindeling.model.startfoto.startfoto` (the same as metrics.json's ``profile``), written
    by :func:`wijkindeling.text.format_indicator`.

    Parameters
    ----------
    result : MunicipalityResult
        The optimised municipality; None is returned without a plan.
    chart_uri : str or None
        The small charts (:func:`wijkindeling.report.handreiking.figures.startfoto_chart`) as a data URI.
    lang : str
        Language of titles and numbers.
    foto : Startfoto, optional
        The plan's startfoto when the caller has it already (the one its chart was drawn from); else computed.

    Returns
    -------
    dict or None
        ``areas`` (names), ``rows`` (per indicator: ``title``, ``fictional``, ``source``, ``cells`` (text per area),
        ``gemeente``), ``min_coverage``, ``chart``, ``declared`` (whether the config declares indicators).
    """
    sol = result.solution
    if sol.labels is None:
        return None
    foto = foto or startfoto(result.problem, sol.labels, lang)
    rows = []
    for ind in foto.indicators:
        rows.append({"title": indicator_label(ind), "fictional": ind.fictional, "source": ind.source,
                     "cells": [value_text(ind, a[ind.key], lang) for a in foto.areas],
                     "gemeente": value_text(ind, foto.whole[ind.key], lang)})
    return {"areas": list(result.problem.area_names), "rows": rows, "min_coverage": foto.min_coverage, "chart": chart_uri,
            "declared": any(ind.key not in PROFILE_BUILTIN for ind in foto.indicators)}


def notes_section(result: MunicipalityResult, notes: dict | None, source: str) -> dict | None:
    """The chapter's "Duiding per gebied": what the duidingssessie said, quoted per area of the plan.

    Area notes are matched by area name; a buurt's note is quoted under the area that holds the buurt in this
    plan (the session's plan may differ from the handreiking's).

    Parameters
    ----------
    result : MunicipalityResult
        The optimised municipality (areas named); None is returned without a plan.
    notes : dict or None
        notes.json of the session's scenario (:func:`wijkindeling.report.notes.read_notes`); None when there is none.
    source : str
        Where the notes were looked for, as the document names it.

    Returns
    -------
    dict or None
        ``found`` (whether notes.json exists), ``source``, ``scenario`` and ``areas``: per area its ``name``,
        ``notes`` (area notes) and ``buurten`` (``name``, ``note``) — empty lists when nobody said anything.
    """
    sol, p = result.solution, result.problem
    if sol.labels is None:
        return None
    by_area = {item["area"]: item["note"] for item in (notes or {}).get("areas", []) if item.get("note")}
    index = {c: i for i, c in enumerate(p.codes)}
    areas: list[dict[str, Any]] = [{"name": name, "notes": [by_area[name]] if name in by_area else [], "buurten": []}
                                   for name in p.area_names]
    for item in (notes or {}).get("buurten", []):
        if item.get("note") and item.get("buurtcode") in index:
            area = areas[int(sol.labels[index[item["buurtcode"]]])]
            area["buurten"].append({"name": p.names[index[item["buurtcode"]]], "note": item["note"]})
    return {"found": notes is not None, "source": source, "scenario": (notes or {}).get("scenario"), "areas": areas}


def solution_message(sol: Solution, lang: str) -> str:
    """The solver's remark in the document's language: its diagnosis rendered in ``lang`` when it has one, else its message."""
    diagnosis = sol.details.get("diagnosis")
    return diagnosis.text(lang) if diagnosis is not None else sol.message


def status_dict(sol: Solution, time_limit: float, lang: str = "nl") -> dict:
    """Solver status words for the templates: code, gap, bound, objective, seconds, time limit, message in ``lang``."""
    return {"code": sol.status, "gap": sol.gap, "bound": sol.bound, "objective": sol.objective,
            "seconds": sol.seconds, "time_limit": time_limit, "backend": sol.backend,
            "message": solution_message(sol, lang)}


def variant_dict(v: Variant, time_limit: float, names: dict[str, str], lang: str = "nl") -> dict:
    """A variant for the templates' comparison table.

    Parameters
    ----------
    v : Variant
        The variant.
    time_limit : float
        Seconds its solve was given.
    names : dict of str to str
        Buurtcode -> buurt name, for the moved buurten.
    lang : str
        Language of the solver remark.

    Returns
    -------
    dict
        Kind, K, status (:func:`status_dict`), scores (None without a plan), size bounds, weight
        change and the moved buurten's names; the same keys as :func:`proposal_summary`.
    """
    s = v.scores
    return {
        "kind": v.kind,
        "k": v.k,
        "found": v.solution.found,
        "status": status_dict(v.solution, time_limit, lang),
        "objective": None if s is None else s.objective,
        "max_dev": None if s is None else s.max_population_deviation,
        "identity_splits": None if s is None else s.identity_splits,
        "cut_km": None if s is None else s.cut_boundary_km,
        "own_share": None if s is None else s.patients_in_own_area,
        "valid": None if s is None else s.valid,
        "pop_min": None if s is None else min(s.populations),
        "pop_max": None if s is None else max(s.populations),
        "lo": v.problem.lo,
        "hi": v.problem.hi,
        "term": v.term,
        "factor": v.factor,
        "weight": None if v.term is None else getattr(v.problem.weights, v.term),
        "kept_start": v.kept_start,
        "n_moved": len(v.moved),
        "moved_names": [names[c] for c in v.moved],
    }


def proposal_summary(result: MunicipalityResult, lang: str = "nl") -> dict | None:
    """The proposal's scores in the same shape as a variant (:func:`variant_dict`), for the comparison table.

    Parameters
    ----------
    result : MunicipalityResult
        The optimised municipality; scores come from its metrics.json ``record``.
    lang : str
        Language of the solver remark.

    Returns
    -------
    dict or None
        None when no plan was found.
    """
    rec = result.record
    if rec is None:
        return None
    pops = [a["population"] for a in rec["areas"]]
    sc = rec["scores"]
    return {
        "kind": "proposal", "k": rec["k"], "found": True, "status": status_dict(result.solution, result.time_limit, lang),
        "objective": rec["objective"], "max_dev": sc["max_population_deviation"], "identity_splits": sc["identity_splits"],
        "cut_km": sc["cut_boundary_km"], "own_share": sc["patients_in_own_area"], "valid": sc["valid"],
        "pop_min": min(pops), "pop_max": max(pops), "lo": rec["population_min"], "hi": rec["population_max"],
        "term": None, "factor": None, "weight": None, "kept_start": False, "n_moved": 0, "moved_names": [],
    }


def chapter(result: MunicipalityResult, map_uri: str, map_kind: str, config_name: str, lang: str = "nl",
            startfoto_uri: str | None = None, notes: dict | None = None, foto: Startfoto | None = None) -> dict:
    """Everything one municipality chapter shows, with solver remarks in the document's language ``lang``.

    Parameters
    ----------
    result : MunicipalityResult
        The optimised municipality (its ``record`` read back from the written metrics.json).
    map_uri : str
        The chapter's map as a data URI.
    map_kind : str
        ``"plan"`` (the proposal's map) or ``"wijken"`` (the CBS wijken, when no plan was found).
    config_name : str
        The config file as the document names it.
    lang : str
        Language of the solver remarks.
    startfoto_uri : str, optional
        The startfoto charts as a data URI.
    notes : dict, optional
        ``{"record": notes.json or None, "source": where it was looked for}`` (see :func:`notes_section`).
    foto : Startfoto, optional
        The plan's startfoto, when already computed (see :func:`startfoto_section`).

    Returns
    -------
    dict
        Name and code, key figures, status, areas, the startfoto, scores, weights, the proposal and its
        variants, catchment facts and the metrics.json path.
    """
    p, cfg = result.problem, result.cfg
    names = dict(zip(p.codes, p.names))
    return {
        "name": p.provenance.gemeente or cfg.gemeentecode,
        "code": p.provenance.gemeentecode,
        "config_file": config_name,
        "key": key_figures(result),
        "found": result.solution.found,
        "status": status_dict(result.solution, result.time_limit, lang),
        "variant_time_limit": result.variant_time_limit,
        "map": map_uri,
        "map_kind": map_kind,
        "areas": area_rows(result),
        "startfoto": startfoto_section(result, startfoto_uri, lang, foto),
        "duiding": notes_section(result, (notes or {}).get("record"), (notes or {}).get("source", "")),
        "scores": None if result.record is None else result.record["scores"],
        "weights": [{"term": t, "weight": getattr(p.weights, t)} for t in TERMS],
        "proposal": proposal_summary(result, lang),
        "variants": [variant_dict(v, result.variant_time_limit, names, lang) for v in result.variants],
        "practices_fictional": bool(p.provenance.practices_fictional),
        "catchment_available": p.patients is not None,
        "catchment_estimated": bool(p.provenance.catchment_estimated),
        "catchment_method": p.provenance.catchment_method,
        "distance_decay": cfg.practices.distance_decay,
        "seconds": result.seconds,
        "metrics_path": str(result.run_dir / "metrics.json") if result.run_dir else None,
    }


def document(chapters: list[dict], region_cfg: Config | None, scope: str, title_name: str,
             overview: dict | None = None, commands: dict | None = None, seconds: float | None = None) -> dict:
    """The template context of a whole handreiking (one municipality or a region).

    Parameters
    ----------
    chapters : list of dict
        One :func:`chapter` per municipality.
    region_cfg : Config or None
        The config whose region name, size rule, weights and attribution the document states; None
        takes the weights of the first chapter and the default attribution.
    scope : str
        ``"gemeente"`` or ``"regio"``.
    title_name : str
        The name in the title (municipality or region).
    overview : dict, optional
        The regional overview (map and one row per municipality); None for one municipality.
    commands : dict, optional
        ``region_file`` and ``region_name`` for the commands the document shows.
    seconds : float, optional
        Wall time of the run so far, shown in the colophon.

    Returns
    -------
    dict
        The context for ``handreiking.<lang>.html.j2``, with today's date and the tool version.
    """
    base = region_cfg
    weights = [{"term": t, "weight": getattr(base.weights, t) if base else chapters[0]["weights"][i]["weight"]}
               for i, t in enumerate(TERMS)]
    return {
        "scope": scope,
        "title_name": title_name,
        "region_name": (base.region if base else None) or "",
        "target_size": base.areas.target_size if base else None,
        "tolerance": base.areas.tolerance if base else None,
        "weights": weights,
        "chapters": chapters,
        "overview": overview,
        "commands": {"region_file": "", "region_name": "", **(commands or {})},
        "any_fictional": any(c["practices_fictional"] for c in chapters),
        "any_estimated": any(c["catchment_estimated"] for c in chapters),
        "attribution": (base.data.attribution if base else "Bron: CBS / Kadaster (PDOK), CC-BY 4.0"),
        "date": dt.date.today().isoformat(),
        "tool_version": __version__,
        "seconds": seconds,
    }


def relative_name(path: Path | None) -> str:
    """``path`` relative to the working folder when it lies inside it, else its file name; ``""`` for None."""
    if path is None:
        return ""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return path.name
