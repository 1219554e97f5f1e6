"""Run everything a handreiking reports for one municipality: the proposal and its variants.

The proposal is the optimiser's best plan for the config. Variants answer "what if": other good
plans for the same K, the best plan for K-1 and K+1 areas, and the best plan when one weight is
doubled. Every variant is scored with :mod:`wijkindeling.model.metrics`; nothing is re-computed here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from ... import optimise
from ...build import cached_problem
from ...config import Config
from ...execute import Outcome, Task
from ...model.metrics import Scores, objective, score
from ...model.problem import Problem
from ...optimise import Solution, SweepRow, solve
from ..compare import changed_buurten, entry_from_labels
from ..outputs import metrics_record


@dataclass
class Variant:
    """One variant of the proposal: another good plan for the same K, another K, or another weight.

    Attributes
    ----------
    kind : str
        ``"alternative"`` (same K), ``"k"`` (K-1 or K+1) or ``"weight"`` (one weight times ``factor``).
    k : int
        Its number of areas.
    solution : Solution
        The solver's result (``labels`` None when no plan was found).
    problem : Problem
        The problem it was solved on (with its K and weights).
    scores : Scores or None
        Its scores on ``problem``; None when no plan was found.
    term : str or None
        The weight term changed (kind ``"weight"``).
    factor : float or None
        The factor that weight was multiplied by (kind ``"weight"``).
    moved : list of str
        Buurtcodes in another area than in the proposal (same K only).
    kept_start : bool
        The weighted solve found no plan, so the proposal is reported unchanged as its plan.
    """

    kind: str  # "k" | "weight" | "alternative"
    k: int
    solution: Solution
    problem: Problem
    scores: Scores | None
    term: str | None = None  # weight term changed (kind == "weight")
    factor: float | None = None
    moved: list[str] = field(default_factory=list)  # buurtcodes in another area than in the proposal (same K)
    kept_start: bool = False  # no plan found; the proposal (the start plan) is reported unchanged


@dataclass
class MunicipalityResult:
    """The proposal for one municipality, its metrics record and its variants.

    Attributes
    ----------
    cfg : Config
        The municipality's config.
    problem : Problem
        The problem built from it.
    solution : Solution
        The proposal (``labels`` None when no plan was found).
    record : dict or None
        The content of metrics.json; None when no plan was found.
    variants : list of Variant
        The sensitivity variants (empty when they were skipped).
    time_limit : float
        Seconds the proposal's solve was given.
    variant_time_limit : float
        Seconds each variant's solve was given.
    seconds : float
        Wall time of the proposal and its variants.
    run_dir : pathlib.Path or None
        The run folder with plan.csv, metrics.json and map.png, once written.
    """

    cfg: Config
    problem: Problem
    solution: Solution
    record: dict | None  # content of metrics.json (None when no plan was found)
    variants: list[Variant]
    time_limit: float
    variant_time_limit: float
    seconds: float
    run_dir: Path | None = None  # folder with plan.csv, metrics.json, map.png

    @property
    def labels(self) -> np.ndarray | None:
        """The proposal's area index per buurt, or None when no plan was found."""
        return self.solution.labels


def _solver_kwargs(cfg: Config, time_limit: float, threads: int | None) -> dict:
    """The config's solver settings as keyword arguments of ``optimise.solve`` / ``sweep`` / ``alternatives``."""
    s = cfg.solver
    return dict(time_limit=time_limit, backend=s.backend, seed=s.seed, gap=s.mip_gap, threads=threads or s.threads)


def _solve(problem: Problem, cfg: Config, time_limit: float, threads: int | None) -> Solution:
    return solve(problem, **_solver_kwargs(cfg, time_limit, threads))


def moved_buurten(problem: Problem, base: np.ndarray, other: np.ndarray) -> list[str]:
    """Buurtcodes that change area between two plans of the same K (areas matched as in ``compare``).

    Parameters
    ----------
    problem : Problem
        The problem both plans divide.
    base, other : numpy.ndarray
        Area index per buurt of the two plans, in the order of ``problem.codes``.

    Returns
    -------
    list of str
        The buurtcodes whose area in ``other`` is not the area matched to their area in ``base``.
    """
    rows = changed_buurten(entry_from_labels(problem, base, "base"), entry_from_labels(problem, other, "other"))
    return [r["buurtcode"] for r in rows]


def weight_change_term(problem: Problem) -> str:
    """The weight term the sensitivity run changes: ``catchment`` when the problem has patient shares, else ``identity``."""
    return "catchment" if problem.patients is not None else "identity"


def _variant(kind: str, problem: Problem, sol: Solution, base: np.ndarray | None, **kw: Any) -> Variant:
    labels = sol.labels
    scores = score(problem, labels) if labels is not None else None
    moved = moved_buurten(problem, base, labels) if labels is not None and base is not None else []
    return Variant(kind, problem.k, sol, problem, scores, moved=moved, **kw)


N_ALTERNATIVES = 2  # the most alternatives for the same K a handreiking reports
FACTOR = 2.0  # what the sensitivity run multiplies one weight by


def heavier_problem(problem: Problem, factor: float = FACTOR) -> Problem:
    """``problem`` with the weight of :func:`weight_change_term` multiplied by ``factor`` (same buurten, K and bounds)."""
    term = weight_change_term(problem)
    return replace(problem, weights=problem.weights.model_copy(update={term: getattr(problem.weights, term) * factor}))


def neighbour_ks(problem: Problem) -> list[int]:
    """K-1 and K+1, those within ``1..problem.n``."""
    return [k for k in (problem.k - 1, problem.k + 1) if 1 <= k <= problem.n]


def alternative_plans(cfg: Config, problem: Problem, n: int, time_limit: float, threads: int | None) -> list[Solution]:
    """``optimise.alternatives`` for ``n + 1`` plans (the best one is usually the proposal, dropped later)."""
    return optimise.alternatives(problem, n + 1, **_solver_kwargs(cfg, time_limit, threads))


def variants_of(problem: Problem, proposal: Solution, alts: list[Solution], rows: list[SweepRow], weighted: Solution,
                n_alternatives: int = N_ALTERNATIVES, factor: float = FACTOR) -> list[Variant]:
    """The variants of the proposal from the raw solves: alternatives, K-1 and K+1, the weight variant.

    Parameters
    ----------
    problem : Problem
        The municipality's problem.
    proposal : Solution
        The proposal the variants are compared with.
    alts : list of Solution
        The plans of :func:`alternative_plans` (ignored when the proposal has no plan).
    rows : list of SweepRow
        The best plans for the neighbouring K (:func:`neighbour_ks`).
    weighted : Solution
        The solve of :func:`heavier_problem`.
    n_alternatives : int
        The most alternatives to keep.
    factor : float
        The factor of the weight variant.

    Returns
    -------
    list of Variant
        The alternatives that move at least one buurt (up to ``n_alternatives``), then K-1 and K+1, then the
        weight variant. When the weighted solve finds no plan, the proposal stands in for it (``kept_start``).
    """
    base = proposal.labels if proposal.found else None
    variants = []
    if base is not None and n_alternatives > 0:
        variants = [v for v in (_variant("alternative", problem, s, base) for s in alts if s.found) if v.moved][:n_alternatives]
    variants += [_variant("k", problem.with_k(row.k), row.solution, None) for row in rows]
    heavier = heavier_problem(problem, factor)
    # only a weight changed, so the proposal is a valid plan here too: report it (``kept_start``; the documents
    # say so in their own language) when the solve finds none within the time limit
    kept = False
    if not weighted.found and base is not None:
        weighted = Solution(base.copy(), "heuristic", objective(heavier, base), None, None, weighted.seconds, weighted.backend)
        kept = True
    variants.append(_variant("weight", heavier, weighted, base, term=weight_change_term(problem), factor=factor, kept_start=kept))
    return variants


def sensitivity(cfg: Config, problem: Problem, proposal: Solution, time_limit: float,
                threads: int | None = None, factor: float = FACTOR, n_alternatives: int = N_ALTERNATIVES) -> list[Variant]:
    """Alternatives for the same K, the best plan for K-1 and K+1 areas, and with one weight times ``factor``.

    The same solves as the tasks of :func:`municipality_tasks`, one after another in this process.

    Parameters
    ----------
    cfg : Config
        Gives the solver settings.
    problem : Problem
        The municipality's problem.
    proposal : Solution
        The proposal the variants are compared with.
    time_limit : float
        Seconds per solve.
    threads : int, optional
        Solver threads; by default ``solver.threads``.
    factor : float
        What the weight of :func:`weight_change_term` is multiplied by.
    n_alternatives : int
        The most alternatives for the same K.

    Returns
    -------
    list of Variant
        As :func:`variants_of`.
    """
    alts = (solve_problem_part(cfg, problem, "alternatives", time_limit, threads, n_alternatives, factor)
            if proposal.found and n_alternatives > 0 else [])
    rows = solve_problem_part(cfg, problem, "k", time_limit, threads, n_alternatives, factor)
    weighted = solve_problem_part(cfg, problem, "weight", time_limit, threads, n_alternatives, factor)
    return variants_of(problem, proposal, alts, rows, weighted, n_alternatives, factor)


PARTS = ("proposal", "alternatives", "k", "weight")  # the solves of one municipality's handreiking, in task order
PART_NAMES = {"proposal": "proposal", "alternatives": "alternatives", "k": "K-1, K+1", "weight": "weight x2"}


def solve_part(cfg: Config, part: str, time_limit: float, threads: int | None) -> Any:
    """One solve of a municipality's handreiking: the task function of :func:`municipality_tasks`.

    The problem is built once per process (:func:`wijkindeling.build.cached_problem`), so a worker that runs
    several parts of one municipality reads its data once.

    Parameters
    ----------
    cfg : Config
        The municipality's config (seed and solver settings from it).
    part : str
        One of :data:`PARTS`.
    time_limit : float
        Seconds for the solve.
    threads : int or None
        Solver threads; None for ``solver.threads``.

    Returns
    -------
    Solution or list
        ``proposal`` and ``weight``: a Solution; ``alternatives``: a list of Solution; ``k``: a list of SweepRow.
    """
    return solve_problem_part(cfg, cached_problem(cfg), part, time_limit, threads)


def solve_problem_part(cfg: Config, problem: Problem, part: str, time_limit: float, threads: int | None,
                       n_alternatives: int = N_ALTERNATIVES, factor: float = FACTOR) -> Any:
    """One of the solves in :data:`PARTS` on ``problem`` (shared by :func:`solve_part` and :func:`sensitivity`).

    Returns what :func:`solve_part` returns; ``n_alternatives`` and ``factor`` as in :func:`sensitivity`.
    """
    if part == "proposal":
        return _solve(problem, cfg, time_limit, threads)
    if part == "alternatives":
        return alternative_plans(cfg, problem, n_alternatives, time_limit, threads)
    if part == "k":
        return optimise.sweep(problem, neighbour_ks(problem), **_solver_kwargs(cfg, time_limit, threads))
    if part == "weight":
        return _solve(heavier_problem(problem, factor), cfg, time_limit, threads)
    raise ValueError(f"unknown part {part!r}")


def time_limits(cfg: Config, time_limit: float | None, variant_time_limit: float | None) -> tuple[float, float]:
    """Seconds for the proposal (default ``solver.time_limit``) and per variant (default min(proposal, 20))."""
    tl = float(time_limit if time_limit is not None else cfg.solver.time_limit)
    return tl, float(variant_time_limit if variant_time_limit is not None else min(tl, 20.0))


def municipality_tasks(cfg: Config, name: str, time_limit: float | None = None, variant_time_limit: float | None = None,
                       with_variants: bool = True, threads: int | None = None, size: int = 0) -> list[Task]:
    """The independent solves of one municipality's handreiking as tasks: the proposal, then its variants.

    Parameters
    ----------
    cfg : Config
        The municipality's config.
    name : str
        The first part of every task key (the config file's name).
    time_limit, variant_time_limit : float, optional
        As in :func:`wijkindeling.report.handreiking.write_blueprint`.
    with_variants : bool
        Whether to add the variants' tasks.
    threads : int, optional
        Solver threads per task; by default ``solver.threads``.
    size : int
        The number of buurten, for the tasks' expected cost (time limit × solves × buurten: the big ones start first).

    Returns
    -------
    list of Task
        One per part of :data:`PARTS` (only the proposal without variants); give their values, in this order,
        to :func:`municipality_result`.
    """
    tl, vtl = time_limits(cfg, time_limit, variant_time_limit)
    parts = PARTS if with_variants else PARTS[:1]
    limits = {part: tl if part == "proposal" else vtl for part in parts}
    solves = {"proposal": 1, "alternatives": N_ALTERNATIVES + 1, "k": 2, "weight": 1}
    return [Task(f"{name}: {PART_NAMES[part]}", solve_part, (cfg, part, limits[part], threads), size * limits[part] * solves[part])
            for part in parts]


def municipality_result(cfg: Config, values: list[Any], time_limit: float | None = None,
                        variant_time_limit: float | None = None, seconds: float = 0.0) -> MunicipalityResult:
    """The result of one municipality from the values of its :func:`municipality_tasks`, in task order.

    Parameters
    ----------
    cfg : Config
        The municipality's config.
    values : list
        The tasks' values: the proposal, and when there are variants the alternatives, the neighbouring K and
        the weight variant.
    time_limit, variant_time_limit : float, optional
        As given to :func:`municipality_tasks`.
    seconds : float
        Time the solves took.

    Returns
    -------
    MunicipalityResult
        The problem, the proposal with its metrics record (not yet written), and the variants.
    """
    problem = cached_problem(cfg)
    tl, vtl = time_limits(cfg, time_limit, variant_time_limit)
    sol = values[0]
    record = metrics_record(problem, sol.labels, sol, cfg.scenario, {"time_limit": tl}) if sol.labels is not None else None
    variants = variants_of(problem, sol, *values[1:]) if len(values) == len(PARTS) else []
    return MunicipalityResult(cfg, problem, sol, record, variants, tl, vtl, seconds)


def describe(outcome: Outcome) -> str:
    """The status of a finished task of :func:`municipality_tasks` for the progress display."""
    value = outcome.value
    if isinstance(value, Solution):
        text = value.status_text()
    else:
        sols = [v.solution if isinstance(v, SweepRow) else v for v in value]
        text = ", ".join(s.status_text() for s in sols) or "nothing to solve"
    return f"{text} ({outcome.seconds:.1f} s)"
