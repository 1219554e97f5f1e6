"""Write the outputs of one run to ``outputs/<gemeente>/<scenario>/``, all or nothing.

Everything is written to a temporary folder next to the target and moved into place when
complete, so an interrupted run never leaves a half-written scenario and never damages the
previous one. ``metrics.json`` is the record of the run: scores from :mod:`metrics`,
per-area figures, solver status and provenance.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import unicodedata
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import numpy as np

from .config import ConfigError
from .metrics import Scores, area_table, score
from .plan import write_plan_csv, write_plan_gpkg
from .problem import Problem


def slug(text: str) -> str:
    """File-system friendly lower-case name: 'De Ronde Venen' -> 'de-ronde-venen'."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "plan"


def scenario_dir(base: Path, problem: Problem, scenario: str) -> Path:
    gemeente = problem.meta.get("gemeente") or problem.meta.get("gemeentecode") or "gemeente"
    return Path(base) / slug(str(gemeente)) / slug(scenario)


@contextmanager
def atomic_dir(target: Path, force: bool) -> Iterator[Path]:
    """Yield a temporary folder; on success it replaces ``target`` (needs ``force`` if it exists)."""
    target = Path(target)
    if target.exists() and not force:
        raise ConfigError(f"{target}: this scenario folder exists already; use --force to overwrite it or --scenario to choose another name.")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        yield tmp
        old = None
        if target.exists():
            old = target.parent / f".{target.name}.old-{tmp.name[-8:]}"
            target.rename(old)
        tmp.rename(target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _round(value, digits: int = 6):
    if isinstance(value, float):
        return round(value, digits)
    if isinstance(value, dict):
        return {k: _round(v, digits) for k, v in value.items()}
    if isinstance(value, list):
        return [_round(v, digits) for v in value]
    return value


def metrics_record(problem: Problem, labels: np.ndarray, solution=None, scenario: str = "", extra: dict | None = None) -> dict:
    """The content of metrics.json for a plan (with the solver's status when there is one)."""
    scores: Scores = score(problem, labels)
    areas = [
        {
            "name": row["name"],
            "population": row["population"],
            "deviation": row["deviation"],
            "buurten": row["buurten"],
            "practices": row["practices"],
            "patients_in_own_area": row["patients_in_own_area"],
            "split_groups": row["split_groups"],
        }
        for row in area_table(problem, labels)
    ]
    s = scores.as_dict()
    record = {
        "gemeente": problem.meta.get("gemeente"),
        "gemeentecode": problem.meta.get("gemeentecode"),
        "scenario": scenario,
        "status": solution.status if solution is not None else "given",
        "status_text": solution.status_text() if solution is not None else "given plan",
        "gap": solution.gap if solution is not None else None,
        "bound": solution.bound if solution is not None else None,
        "objective": scores.objective,
        "seconds": solution.seconds if solution is not None else None,
        "solver": solution.backend if solution is not None else None,
        "k": problem.k,
        "population_total": problem.total,
        "population_target": problem.target,
        "population_min": problem.lo,
        "population_max": problem.hi,
        "areas": areas,
        "scores": {
            "max_population_deviation": s["max_population_deviation"],
            "patients_in_own_area": s["patients_in_own_area"],
            "identity_splits": s["identity_splits"],
            "split_groups": s["split_groups"],
            "cut_boundary_km": s["cut_boundary_km"],
            "cut_edges": s["cut_edges"],
            "terms": scores.terms(),
            "valid": s["valid"],
            "violations": s["violations"],
        },
        "weights": problem.weights.model_dump(),
        "catchments": {
            "available": problem.patients is not None,
            "estimated": problem.meta.get("catchment_estimated"),
            "method": problem.meta.get("catchment_method"),
            "practices_fictional": problem.meta.get("practices_fictional"),
        },
        "provenance": {
            "tool_version": problem.meta.get("tool_version"),
            "config_hash": problem.meta.get("config_hash"),
            "data_hash": problem.meta.get("data_hash"),
            "attribution": problem.meta.get("attribution"),
            "barrier_edges_removed": problem.meta.get("barrier_edges_removed"),
            "synthetic_edges": problem.meta.get("synthetic_edges"),
        },
    }
    if solution is not None and solution.message:
        record["message"] = solution.message
    if extra:
        record.update(extra)
    return _round(record)


def write_metrics_json(record: dict, path: Path) -> None:
    Path(path).write_text(json.dumps(record, indent=2, ensure_ascii=False, sort_keys=False) + "\n", encoding="utf-8")


def write_run(problem: Problem, labels: np.ndarray, out_dir: Path, solution=None, scenario: str = "voorstel",
              force: bool = False, extra: dict | None = None, with_map: bool = True) -> Path:
    """Write plan.csv, plan.gpkg, metrics.json and map.html into ``out_dir`` atomically."""
    with atomic_dir(out_dir, force) as tmp:
        write_plan_csv(problem, labels, tmp / "plan.csv")
        write_plan_gpkg(problem, labels, tmp / "plan.gpkg")
        record = metrics_record(problem, labels, solution, scenario, extra)
        write_metrics_json(record, tmp / "metrics.json")
        if with_map:
            from .maps import write_maps

            write_maps(problem, labels, tmp, title=f"{problem.meta.get('gemeente') or ''} – {scenario}")
    return Path(out_dir)
