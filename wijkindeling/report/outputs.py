"""Write the outputs of one run to ``outputs/<gemeente>/<scenario>/``, all or nothing.

Everything is written to a temporary folder next to the target and moved into place when
complete, so an interrupted run never leaves a half-written scenario and never damages the
previous one. ``metrics.json`` is the record of the run: scores from :mod:`metrics`,
per-area figures, solver status and provenance.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import re
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import __version__
from ..errors import ConfigError
from ..interrupts import ACTIVE_TEMP, mkdir_mode
from ..model.metrics import Scores, area_table, score
from ..model.names import name_areas
from ..model.problem import Problem
from ..model.startfoto import startfoto
from ..text import slug
from .maps import write_maps
from .plans import write_plan_csv, write_plan_gpkg
from .qgis import write_geojson

if TYPE_CHECKING:  # for annotations only; the optimiser is not needed to write a plan
    from ..optimise import Solution


def scenario_dir(base: Path, problem: Problem, scenario: str) -> Path:
    """The folder of a scenario: ``<base>/<gemeente>/<scenario>``, both names slugged.

    Parameters
    ----------
    base : pathlib.Path
        The output base folder (``output.dir`` or ``--out``).
    problem : Problem
        Its provenance names the municipality (gemeente, else gemeentecode, else ``gemeente``).
    scenario : str
        The scenario name.

    Returns
    -------
    pathlib.Path
        The folder; nothing is created.
    """
    gemeente = problem.provenance.gemeente or problem.provenance.gemeentecode or "gemeente"
    return Path(base) / slug(str(gemeente)) / slug(scenario)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owner_pid(folder: Path) -> int | None:
    """The process id in a ``.<name>.tmp-<pid>-...`` or ``.<name>.old-<pid>-...`` folder name."""
    match = re.search(r"\.(?:tmp|old)-(\d+)-", folder.name)
    return int(match.group(1)) if match else None


def clean_stale(parent: Path) -> list[str]:
    """Tidy what killed runs left in ``parent``: remove their temporary folders, and put back a
    previous scenario folder that a run killed in the middle of its swap had moved aside.

    Folders of runs that are still alive, and those this process is writing, are left alone.

    Parameters
    ----------
    parent : pathlib.Path
        The folder that holds scenario folders (a missing folder is nothing to tidy).

    Returns
    -------
    list of str
        What was done, one sentence per folder (for messages).
    """
    parent = Path(parent)
    done: list[str] = []
    if not parent.is_dir():
        return done
    for folder in sorted(parent.glob(".*.tmp-*")) + sorted(parent.glob(".*.old-*")):
        pid = _owner_pid(folder)
        if not folder.is_dir() or (pid is not None and pid != os.getpid() and _pid_alive(pid)) or folder in ACTIVE_TEMP:
            continue
        if ".old-" in folder.name:
            target = parent / folder.name[1:].split(".old-")[0]
            if not target.exists():
                folder.rename(target)
                done.append(f"restored {target.name} from an interrupted run")
                continue
        shutil.rmtree(folder, ignore_errors=True)
        done.append(f"removed {folder.name} left by an interrupted run")
    return done


def check_target(target: Path, force: bool) -> None:
    """Tidy leftovers of killed runs, then refuse an existing scenario folder unless ``force``.

    Parameters
    ----------
    target : pathlib.Path
        The scenario folder about to be written.
    force : bool
        Whether an existing ``target`` may be replaced.

    Raises
    ------
    ConfigError
        When ``target`` exists and ``force`` is not set, or its parent cannot be created or written.
    """
    clean_stale(Path(target).parent)
    if Path(target).exists() and not force:
        raise ConfigError(f"{target}: this scenario folder exists already; use --force to overwrite it or --scenario to choose another name.")
    _check_writable(Path(target).parent)


def _check_writable(folder: Path) -> None:
    """Refuse early (before a long solve) when ``folder`` cannot be created or written."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(f"{existing}: is a file, so the output folder {folder} cannot be made there; set output.dir (or --out) to a folder.")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"{existing}: no permission to write the outputs there; set output.dir (or --out) to a folder you can write to.")


@contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM back for a few statements (only possible in the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous: dict[int, Callable[[int, FrameType | None], Any] | int | None] = {sig: signal.signal(sig, lambda num, frame: caught.append(num)) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for sig in caught[:1]:
            handler = previous[sig]
            if callable(handler):
                handler(sig, None)
            elif sig == signal.SIGINT:
                raise KeyboardInterrupt


def _swap(tmp: Path, target: Path) -> None:
    """Move ``tmp`` into place as ``target``; the previous ``target`` is removed only afterwards."""
    old = None
    with _signals_deferred():
        if target.exists():
            old = target.parent / f".{target.name}.old-{os.getpid()}-{tmp.name[-8:]}"
            target.rename(old)
        try:
            tmp.rename(target)
        except OSError:
            if old is not None:
                old.rename(target)
            raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@contextmanager
def atomic_dir(target: Path, force: bool) -> Iterator[Path]:
    """Yield a temporary folder; on success it replaces ``target`` (needs ``force`` if it exists).

    The temporary folder ``.<name>.tmp-<pid>-<random>`` lies next to the target. An exception or
    Ctrl-C removes it and leaves the previous folder as it was; after a kill (SIGKILL, power loss)
    the next run removes it (:func:`clean_stale`).

    Parameters
    ----------
    target : pathlib.Path
        The folder to write; checked first with :func:`check_target`.
    force : bool
        Whether an existing ``target`` may be replaced.

    Yields
    ------
    pathlib.Path
        The empty temporary folder to write into, with the permissions a plain ``mkdir`` gives.
    """
    target = Path(target)
    check_target(target, force)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-{os.getpid()}-", dir=target.parent))
    tmp.chmod(mkdir_mode())  # mkdtemp makes it private (0700); the scenario folder gets what mkdir would give
    ACTIVE_TEMP.add(tmp)
    try:
        yield tmp
        _swap(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
        ACTIVE_TEMP.discard(tmp)


def _round(value: Any, digits: int = 6) -> Any:
    if isinstance(value, float):
        return round(value, digits)
    if isinstance(value, dict):
        return {k: _round(v, digits) for k, v in value.items()}
    if isinstance(value, list):
        return [_round(v, digits) for v in value]
    return value


SECONDS_MEANING = "solver time limit in seconds; the measured wall time is in run.json (not reproducible)"


def stopped_by(solution: Solution | None, mip_gap: float = 0.0) -> str | None:
    """Why the solver stopped. Only 'proof' and 'mip_gap' are reproducible: a clock decides 'time_limit'.

    Parameters
    ----------
    solution : Solution or None
        The solver's result; None for a plan that was given, not solved.
    mip_gap : float
        The relative gap the solver was configured to stop at (``solver.mip_gap``).

    Returns
    -------
    str or None
        'proof' (optimal or infeasible), 'mip_gap' (status ``gap`` within ``mip_gap``), else
        'time_limit'; None without a solution.
    """
    if solution is None:
        return None
    if solution.status in ("optimal", "infeasible"):
        return "proof"
    if solution.status == "gap" and mip_gap > 0 and solution.gap is not None and solution.gap <= mip_gap + 1e-9:
        return "mip_gap"
    return "time_limit"


def metrics_record(problem: Problem, labels: np.ndarray, solution: Solution | None = None, scenario: str = "",
                   extra: dict | None = None, solver_settings: dict | None = None) -> dict:
    """The content of metrics.json for a plan (with the solver's status when there is one).

    Everything in it is a function of the inputs, so identical inputs give a byte-identical file
    whenever the solver stopped by proof (see :func:`stopped_by`). The wall time of a run is not:
    it goes to run.json, and ``seconds`` here is the solver's time limit (``seconds_meaning`` says so).

    Parameters
    ----------
    problem : Problem
        The problem the plan divides.
    labels : numpy.ndarray
        Area index per buurt, in the order of ``problem.codes``.
    solution : Solution, optional
        The solver's result; None for a given (imported or evaluated) plan, whose status is 'given'.
    scenario : str
        The scenario name.
    extra : dict, optional
        Keys added at the end (``time_limit``, ``imported_from``, ...); they replace keys of the same name.
    solver_settings : dict, optional
        The solver settings of the run (backend, time_limit, mip_gap, seed, threads).

    Returns
    -------
    dict
        The record: status, per-area figures, scores from :mod:`wijkindeling.model.metrics`, weights,
        catchment and provenance facts; floats rounded to 6 digits.
    """
    settings = dict(solver_settings or {})
    if solution is not None and "time_limit" not in settings:
        settings["time_limit"] = (extra or {}).get("time_limit", getattr(solution, "details", {}).get("time_limit"))
    why = stopped_by(solution, float(settings.get("mip_gap") or 0.0))
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
    foto = startfoto(problem, labels)
    profile = foto.record()
    for area, values in zip(areas, profile.pop("areas")):
        area["profile"] = values
    s = scores.as_dict()
    record = {
        "gemeente": problem.provenance.gemeente,
        "gemeentecode": problem.provenance.gemeentecode,
        "scenario": scenario,
        "status": solution.status if solution is not None else "given",
        "status_text": solution.status_text() if solution is not None else "given plan",
        "gap": solution.gap if solution is not None else None,
        "bound": solution.bound if solution is not None else None,
        "objective": scores.objective,
        "seconds": settings.get("time_limit") if solution is not None else None,
        "seconds_meaning": SECONDS_MEANING if solution is not None else None,
        "stopped_by": why,
        "reproducible": why in ("proof", "mip_gap") if solution is not None else True,
        "solver": solution.backend if solution is not None else None,
        "solver_settings": settings or None,
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
            "estimated": problem.provenance.catchment_estimated,
            "method": problem.provenance.catchment_method,
            "practices_fictional": problem.provenance.practices_fictional,
        },
        "profile": profile,
        "provenance": {
            "tool_version": problem.provenance.tool_version,
            "config_hash": problem.provenance.config_hash,
            "data_hash": problem.provenance.data_hash,
            "data_files": problem.provenance.data_files,
            "attribution": problem.provenance.attribution,
            "barrier_edges_removed": problem.provenance.barrier_edges_removed,
            "synthetic_edges": problem.provenance.synthetic_edges,
            "adjacency_edges_added": problem.provenance.adjacency_edges_added,
        },
    }
    if solution is not None and solution.message:
        record["message"] = solution.message
    if extra:
        record.update(extra)
    return _round(record)


def write_metrics_json(record: dict, path: Path) -> None:
    """Write a record as UTF-8 JSON, indented by 2, keys in their order, with a final newline (metrics.json, run.json)."""
    Path(path).write_text(json.dumps(record, indent=2, ensure_ascii=False, sort_keys=False) + "\n", encoding="utf-8")


def run_record(solution: Solution | None, solver_settings: dict | None = None, problem: Problem | None = None) -> dict:
    """The content of run.json: what differs between identical runs (timing, machine).

    Parameters
    ----------
    solution : Solution or None
        The solver's result (its time and status); None for a given plan.
    solver_settings : dict, optional
        The solver settings of the run.
    problem : Problem, optional
        Gives the config and data hashes, to tie run.json to its metrics.json.

    Returns
    -------
    dict
        Finishing time (UTC), solve time, status, settings, tool, Python and platform versions.
    """
    return {
        "note": "timing and machine of this run; unlike metrics.json not reproducible",
        "finished_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "solve_seconds": round(solution.seconds, 3) if solution is not None else None,
        "status": solution.status if solution is not None else "given",
        "solver_settings": solver_settings,
        "tool_version": __version__,
        "config_hash": problem.provenance.config_hash if problem is not None else None,
        "data_hash": problem.provenance.data_hash if problem is not None else None,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }


ALTERNATIVES_DIR = "alternatives"  # plans 2..N of ``propose --alternatives N``


def write_run(problem: Problem, labels: np.ndarray, out_dir: Path, solution: Solution | None = None,
              scenario: str = "voorstel", force: bool = False, extra: dict | None = None, with_map: bool = True,
              solver_settings: dict | None = None, alternatives: list[np.ndarray] | None = None) -> Path:
    """Write a scenario folder atomically (:func:`atomic_dir`): plan.csv, plan.gpkg, gebieden.geojson,
    buurten.geojson, metrics.json, run.json and the maps (map.html, map.png).

    Areas the config does not name are named for the plan (:func:`wijkindeling.model.names.name_areas`).

    Parameters
    ----------
    problem : Problem
        The problem the plan divides.
    labels : numpy.ndarray
        Area index per buurt, in the order of ``problem.codes``.
    out_dir : pathlib.Path
        The scenario folder (see :func:`scenario_dir`).
    solution : Solution, optional
        The solver's result; None for a given plan.
    scenario : str
        The scenario name, in metrics.json and the map title.
    force : bool
        Whether an existing ``out_dir`` may be replaced.
    extra : dict, optional
        Extra keys for metrics.json (see :func:`metrics_record`).
    with_map : bool
        Whether to draw map.html and map.png.
    solver_settings : dict, optional
        The solver settings, for metrics.json and run.json.
    alternatives : list of numpy.ndarray, optional
        Plans 2..N (best first), written to ``alternatives/plan-<i>.csv``.

    Returns
    -------
    pathlib.Path
        ``out_dir``.
    """
    with atomic_dir(out_dir, force) as tmp:
        for i, other in enumerate(alternatives or [], start=2):  # each plan with the names of its own areas
            (tmp / ALTERNATIVES_DIR).mkdir(exist_ok=True)
            write_plan_csv(name_areas(problem, other), other, tmp / ALTERNATIVES_DIR / f"plan-{i}.csv")
        problem = name_areas(problem, labels)
        write_plan_csv(problem, labels, tmp / "plan.csv")
        write_plan_gpkg(problem, labels, tmp / "plan.gpkg")
        write_geojson(problem, labels, tmp)  # gebieden.geojson, buurten.geojson in WGS84 for web maps
        record = metrics_record(problem, labels, solution, scenario, extra, solver_settings)
        write_metrics_json(record, tmp / "metrics.json")
        write_metrics_json(run_record(solution, solver_settings, problem), tmp / "run.json")
        if with_map:
            write_maps(problem, labels, tmp, title=f"{problem.provenance.gemeente or ''} – {scenario}")
    return Path(out_dir)
