"""Run everything a handreiking reports for one municipality: the proposal and its variants.

The proposal is the optimiser's best plan for the config. Variants answer "what if": other good
plans for the same K, the best plan for K-1 and K+1 areas, and the best plan when one weight is
doubled. Every variant is scored with :mod:`wijkindeling.model.metrics`; nothing is re-computed here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from ... import optimise
from ...build import build_problem
from ...config import Config
from ...model.metrics import Scores, objective, score
from ...model.problem import Problem
from ...optimise import Solution, solve
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


def per_k(cfg: Config, problem: Problem, ks: list[int], time_limit: float, threads: int | None) -> list[Variant]:
    """The best plan for each K in ``ks`` (``optimise.sweep``, with the config's size rule).

    Parameters
    ----------
    cfg : Config
        Gives the solver settings.
    problem : Problem
        The municipality's problem.
    ks : list of int
        Numbers of areas; those outside ``1..problem.n`` are skipped.
    time_limit : float
        Seconds per solve.
    threads : int or None
        Solver threads; None for ``solver.threads``.

    Returns
    -------
    list of Variant
        One of kind ``"k"`` per K solved, without ``moved`` (another K has no matching areas).
    """
    rows = optimise.sweep(problem, ks, **_solver_kwargs(cfg, time_limit, threads))
    return [_variant("k", problem.with_k(row.k), row.solution, None) for row in rows]


def alternatives(cfg: Config, problem: Problem, proposal: Solution, n: int, time_limit: float,
                 threads: int | None) -> list[Variant]:
    """Other good plans for the same K (``optimise.alternatives``), each moving at least one buurt.

    Parameters
    ----------
    cfg : Config
        Gives the solver settings.
    problem : Problem
        The municipality's problem.
    proposal : Solution
        The proposal the alternatives differ from.
    n : int
        The most alternatives to return.
    time_limit : float
        Seconds for the whole search.
    threads : int or None
        Solver threads; None for ``solver.threads``.

    Returns
    -------
    list of Variant
        Up to ``n`` of kind ``"alternative"``, best first; none when the proposal has no plan.
    """
    if not proposal.found or n <= 0:
        return []
    # optimise.alternatives returns the best plan first; ask for one more and drop plans equal to the proposal
    sols = optimise.alternatives(problem, n + 1, **_solver_kwargs(cfg, time_limit, threads))
    variants = [_variant("alternative", problem, s, proposal.labels) for s in sols if s.found]
    return [v for v in variants if v.moved][:n]


def sensitivity(cfg: Config, problem: Problem, proposal: Solution, time_limit: float,
                threads: int | None = None, factor: float = 2.0, n_alternatives: int = 2) -> list[Variant]:
    """Alternatives for the same K, the best plan for K-1 and K+1 areas, and with one weight times ``factor``.

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
        The alternatives, then K-1 and K+1 (those within ``1..problem.n``), then the weight variant.
        When the weighted solve finds no plan, the proposal stands in for it (``kept_start``).
    """
    variants = alternatives(cfg, problem, proposal, n_alternatives, time_limit, threads)
    variants += per_k(cfg, problem, [k for k in (problem.k - 1, problem.k + 1) if 1 <= k <= problem.n], time_limit, threads)
    term = weight_change_term(problem)
    weights = problem.weights.model_copy(update={term: getattr(problem.weights, term) * factor})
    heavier = replace(problem, weights=weights)
    base = proposal.labels if proposal.found else None
    sol = _solve(heavier, cfg, time_limit, threads)
    # only a weight changed, so the proposal is a valid plan here too: report it (``kept_start``; the documents
    # say so in their own language) when the solve finds none within the time limit
    kept = False
    if not sol.found and base is not None:
        sol = Solution(base.copy(), "heuristic", objective(heavier, base), None, None, sol.seconds, sol.backend)
        kept = True
    variants.append(_variant("weight", heavier, sol, base, term=term, factor=factor, kept_start=kept))
    return variants


def run_municipality(cfg: Config, time_limit: float | None = None, variant_time_limit: float | None = None,
                     with_variants: bool = True, threads: int | None = None) -> MunicipalityResult:
    """Optimise ``cfg`` and its sensitivity variants; return everything the handreiking needs.

    Parameters
    ----------
    cfg : Config
        The municipality's config.
    time_limit : float, optional
        Seconds for the proposal; by default ``solver.time_limit``.
    variant_time_limit : float, optional
        Seconds per variant; by default the smaller of the proposal's time limit and 20.
    with_variants : bool
        Whether to compute the variants (:func:`sensitivity`).
    threads : int, optional
        Solver threads; by default ``solver.threads``.

    Returns
    -------
    MunicipalityResult
        The problem, the proposal with its metrics record (not yet written), and the variants.
    """
    t0 = time.perf_counter()
    problem = build_problem(cfg)
    tl = float(time_limit if time_limit is not None else cfg.solver.time_limit)
    vtl = float(variant_time_limit if variant_time_limit is not None else min(tl, 20.0))
    sol = _solve(problem, cfg, tl, threads)
    record = metrics_record(problem, sol.labels, sol, cfg.scenario, {"time_limit": tl}) if sol.labels is not None else None
    variants = sensitivity(cfg, problem, sol, vtl, threads) if with_variants else []
    return MunicipalityResult(cfg, problem, sol, record, variants, tl, vtl, time.perf_counter() - t0)
