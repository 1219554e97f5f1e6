"""The duidingssessie's logic, without HTTP: start state, moves and their preview, locks, names, notes,
undo/redo, suggestions, re-optimising the rest and saving as a scenario.

Every score comes from :mod:`wijkindeling.model.metrics` (``score``, ``area_table``,
``violation_items``: the broken rules with their areas and buurten), the one source of truth also used by ``propose`` and
``evaluate``. Every change goes through :class:`~wijkindeling.workbench.store.Store`, committed before a
method returns. A request that cannot be carried out raises :class:`SessionError` with an HTTP status and
one Dutch sentence (from :func:`wijkindeling.text.workbench_text`).
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..model import metrics
from ..model.names import name_areas
from ..model.problem import Problem
from ..model.startfoto import indicator_label, startfoto, value_text
from ..optimise import solve
from ..report.notes import write_notes
from ..report.outputs import scenario_dir, write_run
from ..report.plans import problem_for_plan, read_plan_csv
from ..report.style import area_colours
from ..text import status_text, workbench_text
from .store import Store

NAME_LIMIT = 80  # characters of an area name
NOTE_LIMIT = 10_000  # characters of one note
BAD_NAME = re.compile(r"[<>\x00-\x1f\x7f]")  # markup and control characters have no place in an area name
SCENARIO_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,59}$")
SCORE_KEYS = ("objective", "max_population_deviation", "balance", "catchment", "identity_splits", "compactness",
              "cut_boundary_km", "patients_in_own_area")


class SessionError(Exception):
    """A request the session refuses: ``status`` (HTTP 4xx) and one Dutch sentence."""

    def __init__(self, http_status: int, key: str, **values: Any) -> None:
        self.status = http_status
        self.message = workbench_text(key, **values)
        super().__init__(self.message)


@dataclass
class PlanState:
    """The editable state of one scenario (one step of its history).

    Attributes
    ----------
    labels : numpy.ndarray
        Area index per buurt, in the order of the problem's codes.
    names : list of str
        Area names, indexed by area.
    locked_buurten : dict
        Buurt index -> area it is locked to (locks set in the session).
    locked_areas : list of int
        Areas locked as a whole (their current buurten stay).
    rule_locks : dict
        Buurt index -> area: the config's ``rules.locks``, as the plan's area of the same name.
    """

    labels: np.ndarray
    names: list[str]
    locked_buurten: dict[int, int] = field(default_factory=dict)
    locked_areas: list[int] = field(default_factory=list)
    rule_locks: dict[int, int] = field(default_factory=dict)

    def to_json(self, codes: list[str]) -> dict[str, Any]:
        """The state as JSON-able data, buurten by code (what the store keeps)."""
        return {"labels": {c: int(a) for c, a in zip(codes, self.labels)}, "names": list(self.names),
                "locked_buurten": {codes[u]: a for u, a in self.locked_buurten.items()},
                "locked_areas": sorted(self.locked_areas), "rule_locks": {codes[u]: a for u, a in self.rule_locks.items()}}

    @classmethod
    def from_json(cls, data: dict[str, Any], codes: list[str]) -> PlanState:
        """The state from :meth:`to_json`'s data."""
        index = {c: i for i, c in enumerate(codes)}
        labels = np.array([int(data["labels"][c]) for c in codes], dtype=int)
        return cls(labels, list(data["names"]), {index[c]: int(a) for c, a in data.get("locked_buurten", {}).items()},
                   [int(a) for a in data.get("locked_areas", [])], {index[c]: int(a) for c, a in data.get("rule_locks", {}).items()})

    def copy(self) -> PlanState:
        """An independent copy."""
        return PlanState(self.labels.copy(), list(self.names), dict(self.locked_buurten), list(self.locked_areas), dict(self.rule_locks))


def session_locks(state: PlanState) -> dict[int, int]:
    """Every buurt the session holds in place: buurt locks, and the buurten of locked areas (buurt -> area)."""
    locks = dict(state.locked_buurten)
    for area in state.locked_areas:
        for u in np.flatnonzero(state.labels == area):
            locks[int(u)] = area
    return locks


def match_free_areas(old: np.ndarray, new: np.ndarray, fixed: set[int], k: int, population: np.ndarray) -> np.ndarray:
    """Renumber the areas of ``new`` outside ``fixed`` so each keeps the name of the old area it overlaps most.

    Parameters
    ----------
    old, new : numpy.ndarray
        Area index per buurt before and after re-optimising.
    fixed : set of int
        Areas whose index the solver kept (locked areas and areas of locked buurten).
    k : int
        Number of areas.
    population : numpy.ndarray
        Inhabitants per buurt (overlap is counted in inhabitants, plus a little per buurt).

    Returns
    -------
    numpy.ndarray
        ``new`` with its free areas permuted among the free indices.
    """
    free = [a for a in range(k) if a not in fixed]
    overlap = np.zeros((k, k))
    np.add.at(overlap, (new, old), population + 1e-3)
    pairs = sorted(((overlap[n, o], n, o) for n in free for o in free), reverse=True)
    mapping: dict[int, int] = {a: a for a in fixed}
    used: set[int] = set()
    for _, n, o in pairs:
        if n not in mapping and o not in used:
            mapping[n] = o
            used.add(o)
    return np.array([mapping[int(a)] for a in new], dtype=int)


# ---------------------------------------------------------------- the solver in its own process


class ProgressRelay:
    """The solver's progress callback in the solver process: passes at most four reports a second to ``events``."""

    def __init__(self, job_id: int, events: Any) -> None:
        self.job_id = job_id
        self.events = events
        self.last = 0.0

    def __call__(self, info: dict) -> None:
        """Forward the phase, incumbent, bound, gap and seconds of one report."""
        now = time.monotonic()
        if now - self.last > 0.25:
            self.last = now
            self.events.put((self.job_id, "progress", {k: info.get(k) for k in ("phase", "incumbent", "bound", "gap", "seconds")}))


def _worker_main(tasks: Any, events: Any) -> None:
    """The solver process: solve each task ``(job_id, problem, kwargs)`` and report progress and the result."""
    import highspy  # noqa: F401, PLC0415 - load the solver library before the first job (a warm process answers faster)

    parent = mp.parent_process()
    while True:
        try:
            job_id, problem, kwargs = tasks.get(timeout=1.0)
        except queue.Empty:
            if parent is not None and not parent.is_alive():
                return  # the server was killed (SIGKILL): end with it
            continue
        try:
            sol = solve(problem, progress=ProgressRelay(job_id, events), **kwargs)
            diagnosis = sol.details.get("diagnosis")
            message = diagnosis.text("nl") if diagnosis is not None and hasattr(diagnosis, "text") else sol.message
            events.put((job_id, "done", {"labels": None if sol.labels is None else sol.labels.tolist(), "status": sol.status,
                                         "gap": sol.gap, "seconds": sol.seconds, "message": message,
                                         "status_nl": sol.status_text("nl")}))
        except Exception as err:  # noqa: BLE001 - the server reports any failure of the solve as a status
            events.put((job_id, "failed", {"message": str(err)}))


class SolverProcess:
    """One spawned process that runs solves; cancelling kills it and starts a fresh one (ready for the next job)."""

    def __init__(self) -> None:
        self._ctx = mp.get_context("spawn")
        self._start()

    def _start(self) -> None:
        self.tasks = self._ctx.Queue()
        self.events = self._ctx.Queue()
        self.process = self._ctx.Process(target=_worker_main, args=(self.tasks, self.events), daemon=True)
        self.process.start()

    def submit(self, job_id: int, problem: Problem, kwargs: dict[str, Any]) -> None:
        """Hand a solve to the process."""
        self.tasks.put((job_id, problem, kwargs))

    def poll(self, timeout: float) -> tuple[int, str, dict] | None:
        """The next event ``(job_id, kind, data)`` or None after ``timeout`` seconds."""
        try:
            event: tuple[int, str, dict] = self.events.get(timeout=timeout)
            return event
        except queue.Empty:
            return None

    def restart(self) -> None:
        """Kill the running solve and start a fresh process."""
        self.stop()
        self._start()

    def stop(self) -> None:
        """Kill the process and close its queues."""
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        for q in (self.tasks, self.events):
            q.cancel_join_thread()
            q.close()


@dataclass
class Job:
    """A "re-optimise the rest" run: its state for the page and what it needs to apply the result."""

    id: int
    scenario: str
    base: PlanState
    fixed: set[int]
    state: str = "running"  # running | done | cancelled | failed | no_plan
    text: str = ""
    progress: dict[str, Any] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)
    seconds: float = 0.0

    def view(self) -> dict[str, Any]:
        """The job as JSON for the page."""
        seconds = time.monotonic() - self.started if self.state == "running" else self.seconds
        return {"id": self.id, "scenario": self.scenario, "state": self.state, "text": self.text,
                "progress": self.progress, "seconds": round(seconds, 1)}


# ---------------------------------------------------------------- the session


def startfoto_view(problem: Problem, labels: np.ndarray) -> dict[str, Any]:
    """The startfoto of a plan as texts for the side panel: the same values and wording as metrics.json, maps and documents.

    Returns
    -------
    dict
        ``indicators`` (labels, FICTIEF where it applies), ``areas`` (per area a text per indicator) and ``gemeente``.
    """
    foto = startfoto(problem, labels, "nl")
    return {"indicators": [indicator_label(ind) for ind in foto.indicators],
            "areas": [[value_text(ind, area[ind.key]) for ind in foto.indicators] for area in foto.areas],
            "gemeente": [value_text(ind, foto.whole[ind.key]) for ind in foto.indicators]}


class Workbench:
    """A duidingssessie on one municipality: the scenarios in the store, edited one request at a time.

    Parameters
    ----------
    problem : Problem
        The municipality's problem from its config (:func:`wijkindeling.build.build_problem`).
    store : Store
        The session database.
    out_base : pathlib.Path
        The output base folder (config ``output.dir``); scenarios live in ``<out_base>/<gemeente>/<scenario>``.
    solver : dict
        Solver settings as ``propose`` uses them: backend, time_limit, mip_gap, seed, threads.
    """

    def __init__(self, problem: Problem, store: Store, out_base: Path, solver: dict[str, Any]) -> None:
        self.base = problem
        self.store = store
        self.out_base = Path(out_base)
        self.solver = dict(solver)
        self.codes = list(problem.codes)
        self.index = {c: i for i, c in enumerate(self.codes)}
        self._lock = threading.RLock()
        self._sized: dict[int, Problem] = {problem.k: problem}
        self.job: Job | None = None
        self._worker: SolverProcess | None = None
        self._job_ids = 0

    def warm(self) -> None:
        """Start the solver process now, so the first "re-optimise" does not wait for it to load."""
        with self._lock:
            if self._worker is None:
                self._worker = SolverProcess()

    # ------------------------------------------------------------ problems and states

    def sized(self, k: int) -> Problem:
        """The problem with ``k`` areas (same size rule), cached."""
        if k not in self._sized:
            self._sized[k] = self.base.with_k(k)
        return self._sized[k]

    def problem_of(self, state: PlanState) -> Problem:
        """The problem a state is scored on: its names, the config's locks and the session's locks as rules."""
        locks = dict(state.rule_locks)
        locks.update(session_locks(state))
        return replace(self.sized(len(state.names)), area_names=list(state.names), locks=locks)

    def scenario_folder(self, name: str) -> Path:
        """``<out_base>/<gemeente>/<name>``."""
        return scenario_dir(self.out_base, self.base, name)

    def _state(self, scenario: str) -> PlanState:
        try:
            return PlanState.from_json(self.store.state(scenario), self.codes)
        except KeyError:
            raise SessionError(404, "no_scenario", name=scenario) from None

    def _push(self, scenario: str, state: PlanState, label: str) -> None:
        self.store.push(scenario, state.to_json(self.codes), label)

    def _edit(self, scenario: str, label: str, change: Callable[[PlanState], None]) -> dict[str, Any]:
        """One step of the history: ``change`` edits the scenario's current state in place (raising a
        :class:`SessionError` leaves everything as it was), the result is stored under ``label``; returns the new view."""
        with self._lock:
            state = self._state(scenario)
            change(state)
            self._push(scenario, state, label)
            return self.view(scenario)

    def active(self) -> str:
        """The scenario the session shows."""
        name = self.store.active()
        if name is None or not self.store.has(name):
            raise SessionError(404, "no_scenario", name=name or "")
        return name

    # ------------------------------------------------------------ start and open

    def state_from_disk(self, name: str) -> PlanState | None:
        """The plan of saved scenario ``name`` (its ``plan.csv``), or None when it has none."""
        path = self.scenario_folder(name) / "plan.csv"
        if not path.exists():
            return None
        labels, names = read_plan_csv(path, self.base)
        sized = problem_for_plan(self.base, names)
        return PlanState(labels, list(names), rule_locks=dict(sized.locks))

    def fresh_state(self, name: str) -> PlanState:
        """A fresh proposal, as ``propose`` makes it, written as scenario ``name`` with ``propose``'s writer."""
        s = self.solver
        sol = solve(self.base, time_limit=s["time_limit"], backend=s["backend"], seed=s["seed"], gap=s["mip_gap"],
                    threads=s["threads"])
        if sol.labels is None:
            raise SessionError(409, "job_no_plan", status=sol.status_text("nl"), message=sol.message or "")
        named = name_areas(self.base, sol.labels)  # the names write_run gives the areas (config areas.names win)
        write_run(named, sol.labels, self.scenario_folder(name), sol, name, force=False, solver_settings=self.solver)
        return PlanState(np.asarray(sol.labels, dtype=int), list(named.area_names), rule_locks=dict(self.base.locks))

    def start(self, name: str) -> str:
        """Resume scenario ``name`` from the store, else load it from its folder, else propose it; make it active."""
        with self._lock:
            if self.store.has(name):
                self.store.set_active(name)
                return name
            state = self.state_from_disk(name) or self.fresh_state(name)
            self.store.create(name, state.to_json(self.codes), origin=str(self.scenario_folder(name)))
            return name

    def open(self, name: str) -> str:
        """Open scenario ``name``: from the session when it has it, else its saved ``plan.csv``."""
        with self._lock:
            if self.store.has(name):
                self.store.set_active(name)
                return name
            state = self.state_from_disk(name)
            if state is None:
                raise SessionError(404, "scenario_not_found", name=name, folder=self.scenario_folder(name).parent)
            self.store.create(name, state.to_json(self.codes), origin=str(self.scenario_folder(name)))
            return name

    def saved_scenarios(self) -> list[str]:
        """Names of the scenario folders with a plan.csv, and of the session's scenarios."""
        folder = self.scenario_folder("x").parent
        on_disk = {p.parent.name for p in folder.glob("*/plan.csv")} if folder.exists() else set()
        return sorted(on_disk | set(self.store.scenarios()))

    # ------------------------------------------------------------ validation

    def _unit(self, code: str) -> int:
        if code not in self.index:
            raise SessionError(422, "unknown_buurt", code=code[:40])
        return self.index[code]

    @staticmethod
    def _area(state: PlanState, area: int) -> int:
        if not 0 <= area < len(state.names):
            raise SessionError(422, "unknown_area", area=area, k=len(state.names), last=len(state.names) - 1)
        return area

    def _check_move(self, state: PlanState, code: str, area: int) -> tuple[int, int]:
        unit, area = self._unit(code), self._area(state, area)
        source = int(state.labels[unit])
        name = self.base.names[unit]
        if source == area:
            raise SessionError(409, "same_area", buurt=name, area=state.names[area])
        if unit in state.locked_buurten:
            raise SessionError(409, "locked_buurt", buurt=name)
        for a in (source, area):
            if a in state.locked_areas:
                raise SessionError(409, "locked_area", area=state.names[a])
        return unit, source

    # ------------------------------------------------------------ reading

    def scores(self, state: PlanState) -> dict[str, Any]:
        """Scores, per-area table and broken rules of a state, all from :mod:`wijkindeling.model.metrics`."""
        problem = self.problem_of(state)
        s = metrics.score(problem, state.labels)
        table = metrics.area_table(problem, state.labels)
        colours = area_colours(problem.k)
        practice_names = problem.catchments.names if problem.catchments is not None else {}
        locks = session_locks(state)
        items = metrics.violation_items(problem, state.labels)  # the rules' areas and buurten, to draw them
        out_of_bounds = {a for v in items if v.kind in ("empty", "below", "above") for a in v.areas}
        areas = [{"index": k, "name": row["name"], "colour": colours[k], "population": row["population"],
                  "deviation": row["deviation"], "n_buurten": row["n_buurten"],
                  "practices": [practice_names.get(p, p) for p in row["practices"]],
                  "patients_in_own_area": row["patients_in_own_area"], "split_groups": row["split_groups"],
                  "locked": k in state.locked_areas, "out_of_bounds": k in out_of_bounds}
                 for k, row in enumerate(table)]
        return {
            "k": problem.k, "lo": problem.lo, "hi": problem.hi, "target": problem.target, "total": problem.total,
            "areas": areas,
            "scores": {key: s.as_dict()[key] for key in SCORE_KEYS} | {"terms": s.terms(), "split_groups": s.split_groups,
                                                                       "valid": s.valid},
            "violations": [v.text("nl") for v in items],
            "draw": {"areas": sorted({a for v in items for a in v.areas}),
                     "buurten": sorted({self.codes[u] for v in items for u in v.units})},
            "locked_buurten": sorted(self.codes[u] for u in locks),
            "startfoto": startfoto_view(problem, state.labels),
        }

    def view(self, scenario: str | None = None) -> dict[str, Any]:
        """Everything the page shows for a scenario (default the active one), with the store's version."""
        with self._lock:
            name = scenario or self.active()
            state = self._state(name)
            out = self.scores(state)
            out.update({
                "scenario": name, "version": self.store.version(), "weights": self.base.weights.model_dump(),
                "labels": {c: int(a) for c, a in zip(self.codes, state.labels)},
                "names": state.names, "locked_areas": sorted(state.locked_areas),
                "locked_single": sorted(self.codes[u] for u in state.locked_buurten),
                "notes": self.store.notes(name), "can_undo": self.store.can_undo(name), "can_redo": self.store.can_redo(name),
                "job": self.job.view() if self.job is not None else None,
                "gemeente": self.base.provenance.gemeente or "",
                "practices_fictional": self.base.provenance.practices_fictional,
                "catchment_estimated": self.base.provenance.catchment_estimated,
            })
            return out

    # ------------------------------------------------------------ editing

    def move(self, scenario: str, code: str, area: int) -> dict[str, Any]:
        """Move buurt ``code`` to ``area`` (one step of the history); returns the new view."""
        def change(state: PlanState) -> None:
            unit, _ = self._check_move(state, code, area)
            state.labels[unit] = area

        return self._edit(scenario, "move", change)

    def preview(self, scenario: str, code: str, area: int) -> dict[str, Any]:
        """What moving ``code`` to ``area`` would do, without doing it.

        Returns
        -------
        dict
            ``areas``: inhabitants before/after of the source and target area (with deviation and whether they
            are within the bounds); ``scores``: every score before/after/change; ``new_violations``: the rules
            (Dutch) the move would break; ``valid``: whether the plan after the move breaks no rule.
        """
        with self._lock:
            state = self._state(scenario)
            unit, source = self._check_move(state, code, area)
            problem = self.problem_of(state)
            after = state.labels.copy()
            after[unit] = area
            return self._compare(problem, state.labels, after, (source, area)) | {"buurt": code, "from": source, "to": area}

    def _compare(self, problem: Problem, before: np.ndarray, after: np.ndarray, areas: tuple[int, int]) -> dict[str, Any]:
        s0, s1 = metrics.score(problem, before).as_dict(), metrics.score(problem, after).as_dict()
        pops0, pops1 = s0["populations"], s1["populations"]
        rows = [{"index": a, "name": problem.area_names[a], "before": pops0[a], "after": pops1[a],
                 "deviation_after": (pops1[a] - problem.target) / problem.target,
                 "within_bounds": problem.lo - 1e-9 <= pops1[a] <= problem.hi + 1e-9} for a in areas]
        changes = {}
        for key in SCORE_KEYS:
            b, a = s0[key], s1[key]
            changes[key] = {"before": b, "after": a, "change": None if a is None or b is None else a - b}
        old = set(v.text("nl") for v in metrics.violation_items(problem, before))
        new = [v.text("nl") for v in metrics.violation_items(problem, after)]
        return {"areas": rows, "scores": changes, "new_violations": [v for v in new if v not in old], "valid": not new}

    def undo(self, scenario: str) -> dict[str, Any]:
        """Go back one step; a 409 when there is none."""
        with self._lock:
            self._state(scenario)
            if not self.store.move_pointer(scenario, -1):
                raise SessionError(409, "nothing_to_undo")
            return self.view(scenario)

    def redo(self, scenario: str) -> dict[str, Any]:
        """Go forward one undone step; a 409 when there is none."""
        with self._lock:
            self._state(scenario)
            if not self.store.move_pointer(scenario, +1):
                raise SessionError(409, "nothing_to_redo")
            return self.view(scenario)

    def lock_buurt(self, scenario: str, code: str, locked: bool) -> dict[str, Any]:
        """Lock buurt ``code`` to its current area, or release it."""
        def change(state: PlanState) -> None:
            unit = self._unit(code)
            if locked:
                state.locked_buurten[unit] = int(state.labels[unit])
            else:
                state.locked_buurten.pop(unit, None)

        return self._edit(scenario, "lock", change)

    def lock_area(self, scenario: str, area: int, locked: bool) -> dict[str, Any]:
        """Lock a whole area (its current buurten stay), or release it."""
        def change(state: PlanState) -> None:
            index = self._area(state, area)
            areas = set(state.locked_areas)
            state.locked_areas = sorted(areas | {index} if locked else areas - {index})

        return self._edit(scenario, "lock", change)

    def rename(self, scenario: str, area: int, name: str) -> dict[str, Any]:
        """Give ``area`` a new name (trimmed; not empty, at most :data:`NAME_LIMIT` characters, not another area's)."""
        clean = " ".join(name.split())

        def change(state: PlanState) -> None:
            index = self._area(state, area)
            if not clean:
                raise SessionError(422, "empty_name")
            if BAD_NAME.search(clean):
                raise SessionError(422, "bad_name")
            if len(clean) > NAME_LIMIT:
                raise SessionError(422, "name_too_long", limit=NAME_LIMIT)
            if clean in [n for i, n in enumerate(state.names) if i != index]:
                raise SessionError(409, "duplicate_name", name=clean)
            state.names[index] = clean

        return self._edit(scenario, "rename", change)

    def set_note(self, scenario: str, kind: str, target: str | int, text: str) -> dict[str, Any]:
        """Store the note of an area (``kind="area"``, target its index) or a buurt (target its code); empty removes it."""
        with self._lock:
            state = self._state(scenario)
            if len(text) > NOTE_LIMIT:
                raise SessionError(413, "note_too_long", limit=NOTE_LIMIT)
            if kind == "area":
                key = str(self._area(state, int(target)))
            else:
                key = self.codes[self._unit(str(target))]
            self.store.set_note(scenario, kind, key, text.strip())
            return self.view(scenario)

    # ------------------------------------------------------------ suggestions

    def suggest(self, scenario: str, count: int = 5) -> list[dict[str, Any]]:
        """The single-buurt moves that lower the objective most and break no rule the plan keeps now.

        Candidates are the moves of a free buurt (not locked, not in a locked area) to a neighbouring
        free area; each is scored with :func:`metrics.objective` and checked with
        :func:`metrics.violation_items`.

        Returns
        -------
        list of dict
            Up to ``count`` moves, best first: buurt code and name, from/to area, objective change (negative).
        """
        with self._lock:
            state = self._state(scenario)
            problem = self.problem_of(state)
        labels = state.labels
        locks = session_locks(state)
        now = metrics.objective(problem, labels)
        pops = metrics.area_populations(problem, labels)
        candidates = []
        for u in range(problem.n):
            src = int(labels[u])
            if u in locks or src in state.locked_areas:
                continue
            for a in {int(labels[v]) for v in problem.graph.neighbors(u)} - {src} - set(state.locked_areas):
                p = problem.population[u]
                if pops[src] - p < problem.lo - 1e-9 or pops[a] + p > problem.hi + 1e-9:
                    continue
                after = labels.copy()
                after[u] = a
                delta = metrics.objective(problem, after) - now
                if delta < -1e-9:
                    candidates.append((delta, u, a, after))
        candidates.sort(key=lambda c: (c[0], c[1], c[2]))
        old = set(v.text() for v in metrics.violation_items(problem, labels))
        out: list[dict[str, Any]] = []
        for delta, u, a, after in candidates:
            if all(v.text() in old for v in metrics.violation_items(problem, after)):
                out.append({"buurt": self.codes[u], "buurtnaam": problem.names[u], "from": int(labels[u]), "to": a,
                            "from_name": state.names[int(labels[u])], "to_name": state.names[a], "objective_change": delta})
            if len(out) == count:
                break
        return out

    # ------------------------------------------------------------ re-optimising the rest

    def start_optimise(self, scenario: str) -> dict[str, Any]:
        """Start "re-optimise the rest" in the solver process: locked buurten and areas are hard rules."""
        with self._lock:
            state = self._state(scenario)
            if self.job is not None and self.job.state == "running":
                raise SessionError(409, "job_running")
            problem = self.problem_of(state)
            if len(problem.locks) >= problem.n:
                raise SessionError(409, "all_locked")
            self._job_ids += 1
            fixed = set(state.locked_areas) | set(session_locks(state).values()) | set(state.rule_locks.values())
            self.job = Job(self._job_ids, scenario, state.copy(), fixed, text=workbench_text("job_started"))
            if self._worker is None:
                self._worker = SolverProcess()
            s = self.solver
            solve_problem = replace(problem, buurten=None, practices=None, barrier_lines=None)
            self._worker.submit(self.job.id, solve_problem, {"time_limit": s["time_limit"], "backend": s["backend"],
                                                             "seed": s["seed"], "gap": s["mip_gap"], "threads": s["threads"]})
            threading.Thread(target=self._follow, args=(self.job,), daemon=True).start()
            return self.job.view()

    def _follow(self, job: Job) -> None:
        """Read the solver's events for ``job`` until it ends or is cancelled; apply a found plan as one step."""
        worker = self._worker
        while job.state == "running" and worker is not None:
            event = worker.poll(0.2)
            if event is None:
                if not worker.process.is_alive() and job.state == "running":
                    self._end(job, "failed", workbench_text("job_failed", message="het rekenproces stopte"))
                continue
            job_id, kind, data = event
            if job_id != job.id:
                continue
            if kind == "progress":
                job.progress = data
            elif kind == "failed":
                self._end(job, "failed", workbench_text("job_failed", message=data["message"]))
            else:
                self._finish(job, data)

    def _end(self, job: Job, state: str, text: str) -> None:
        with self._lock:
            job.state, job.text, job.seconds = state, text, time.monotonic() - job.started
            self.store.set_active(self.store.active() or job.scenario)  # bumps the version: pages refresh

    def _finish(self, job: Job, data: dict[str, Any]) -> None:
        with self._lock:
            if job.state != "running":
                return
            if data["labels"] is None:
                self._end(job, "no_plan", workbench_text("job_no_plan", status=data["status_nl"], message=data["message"] or "-"))
                return
            seconds = f"{data['seconds']:.1f}".replace(".", ",")
            try:
                current = self._state(job.scenario)
            except SessionError:
                self._end(job, "failed", workbench_text("no_scenario", name=job.scenario))
                return
            new = match_free_areas(job.base.labels, np.asarray(data["labels"], dtype=int), job.fixed, len(job.base.names),
                                   self.base.population)
            current.labels = new
            self._push(job.scenario, current, "optimise")
            job.state, job.seconds = "done", time.monotonic() - job.started
            job.text = workbench_text("job_done", status=status_text(data["status"], data["gap"], "nl"), seconds=seconds)

    def cancel(self) -> dict[str, Any]:
        """Cancel the running re-optimisation (the solver process is killed and restarted); the plan stays."""
        with self._lock:
            job = self.job
            if job is None or job.state != "running":
                raise SessionError(409, "no_job")
            job.state, job.text, job.seconds = "cancelled", workbench_text("job_cancelled"), time.monotonic() - job.started
            if self._worker is not None:
                self._worker.restart()
            self.store.set_active(self.store.active() or job.scenario)
            return job.view()

    def close(self) -> None:
        """Stop the solver process and close the store."""
        if self._worker is not None:
            self._worker.stop()
        self.store.close()

    # ------------------------------------------------------------ saving

    def save(self, scenario: str, name: str, force: bool = False) -> Path:
        """Write the scenario's plan as scenario folder ``name`` with ``propose``'s writer, plus its notes.

        The areas are numbered as ``evaluate`` reads the saved plan.csv back (first appearance in buurtcode
        order) and the problem is the one ``evaluate`` builds for it (:func:`problem_for_plan`), so the
        folder's metrics.json equals ``evaluate --json`` of its plan.csv (except the ``scenario`` field).
        The session's scenario is copied to ``name`` and becomes the active one.

        Returns
        -------
        pathlib.Path
            The scenario folder.
        """
        with self._lock:
            state = self._state(scenario)
            if not SCENARIO_NAME.match(name):
                raise SessionError(422, "bad_scenario_name")
            for a in range(len(state.names)):
                if not (state.labels == a).any():
                    raise SessionError(409, "empty_area_save", area=state.names[a])
            folder = self.scenario_folder(name)
            if folder.exists() and not force:
                raise SessionError(409, "scenario_exists", name=name, folder=folder.parent)
            order: list[int] = []
            for a in state.labels:
                if int(a) not in order:
                    order.append(int(a))
            renumber = {old: new for new, old in enumerate(order)}
            labels = np.array([renumber[int(a)] for a in state.labels], dtype=int)
            names = [state.names[old] for old in order]
            problem = problem_for_plan(self.base, names)
            write_run(problem, labels, folder, None, name, force=True)
            notes = self.store.notes(scenario)
            write_notes(problem, labels, folder, {names[renumber[int(a)]]: t for a, t in notes["area"].items()},
                        notes["buurt"], name)
            if name != scenario:
                self.store.copy(scenario, name)
            self.store.set_active(name)
            return folder
