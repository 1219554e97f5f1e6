"""The solve strategy: heuristic, exact set partitioning, column generation, flow MIP; honest status.

The entry points :func:`solve`, :func:`alternatives`, :func:`sweep` and :func:`diagnose`, and the
:class:`Solution` they return. See the package docstring (:mod:`wijkindeling.optimise`) for the strategy.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from ..model import metrics
from ..model.problem import Problem
from ..text import status_text
from . import colgen
from . import exact as col
from .contract import ContractionConflict, expand, reduce
from .decompose import PartSolver, after_heuristic, splittable
from .diagnosis import Diagnosis, quick_causes
from .diagnosis import diagnose as _diagnose
from .districts import canonical_labels
from .exact import MAX_BITS
from .flow_mip import solve_mip
from .heuristic import HeuristicResult, heuristic, improve
from .highs import HighsProgress, swallow_banner
from .local_proof import shortage_proof

Progress = Callable[[dict], None]
"""A progress callback: called with ``{"phase", "incumbent", "bound", "gap", "seconds"}`` while a solve runs."""

FLOW_MIP_SIZE = 120_000  # n * n * k above which the flow MIP is not built (too large to help)


@dataclass
class Solution:
    """The result of one optimisation.

    ``labels`` is the plan (area index per unit, None when none was found) and ``objective`` its
    ``metrics.objective``; ``bound`` is a proven lower bound on every plan's objective and ``gap`` the
    relative distance between the two. ``status`` is ``optimal`` only when the optimum was proven.
    """

    labels: np.ndarray | None
    status: str  # "optimal" | "gap" | "heuristic" | "infeasible" | "no_solution"
    objective: float | None
    bound: float | None
    gap: float | None
    seconds: float
    backend: str  # the backend asked for, or "heuristic" when only the heuristic ran
    message: str = ""  # diagnosis or remark for the user
    details: dict = field(default_factory=dict)  # method, timings, counts; a Diagnosis under "diagnosis" (no plan)

    @property
    def found(self) -> bool:
        """Whether a plan was found."""
        return self.labels is not None

    def status_text(self, lang: str = "en") -> str:
        """Short human status, e.g. 'optimal', 'gap 3.2 %', 'heuristic (no bound)' (``lang="nl"``: Dutch)."""
        return status_text(self.status, self.gap, lang)


class SweepRow(NamedTuple):
    """One row of :func:`sweep`: the number of areas and the best plan for it."""

    k: int
    solution: Solution


def _gap(objective: float, bound: float | None) -> float | None:
    if bound is None:
        return None
    return max(0.0, (objective - bound) / max(abs(objective), 1e-9))


def _finish(problem: Problem, labels: np.ndarray | None, proven: bool, bound: float | None, t0: float,
            backend: str, details: dict, infeasible: bool = False, explain: bool = True) -> Solution:
    """A Solution whose objective is metrics.objective of the plan and whose status is honest."""
    seconds = time.perf_counter() - t0
    if labels is None:
        status = "infeasible" if infeasible else "no_solution"
        message = ""
        details = {**details, "seconds_to_verdict": seconds}  # before the diagnosis below
        if explain:
            diag = diagnose(problem, proven=infeasible)
            message = diag.message
            details = {**details, "diagnosis": diag}
        return Solution(None, status, None, bound, None, time.perf_counter() - t0, backend, message, details)
    labels = canonical_labels(problem, np.asarray(labels, dtype=int))
    obj = metrics.objective(problem, labels)
    if bound is not None and bound <= 0.0:
        bound = None  # every term is >= 0, so a bound <= 0 says nothing: no bound rather than "gap > 100 %"
    if bound is not None:
        bound = min(bound, obj)  # the bound can never exceed a known plan's value (rounding)
    gap = _gap(obj, bound)
    if proven:
        status, gap = "optimal", 0.0
    elif bound is not None:
        status = "gap"
    else:
        status = "heuristic"
    return Solution(labels, status, obj, bound, gap, seconds, backend, "", details)


def _notify(progress: Progress | None, t0: float, phase: str, incumbent: float | None, bound: float | None) -> None:
    """Report to ``progress`` (if any): the phase, incumbent, bound, their gap and the seconds since ``t0``."""
    if progress is None:
        return
    gap = _gap(incumbent, bound) if incumbent is not None else None
    progress({"phase": phase, "incumbent": incumbent, "bound": bound, "gap": gap,
              "seconds": time.perf_counter() - t0})


MAX_SETS = 10_000_000  # partial connected sets the column enumeration may generate


def heuristic_budget(problem: Problem, time_limit: float, exact_follows: bool) -> float:
    """Seconds for the heuristic phase: all of ``time_limit`` without an exact phase, else a little:
    0.5 s plus 1 s per 40 units, at most 30 % of ``time_limit`` and at least 0.3 s."""
    if not exact_follows:
        return time_limit
    return max(0.3, min(0.3 * time_limit, 0.5 + problem.n / 40))


def _exact_applies(problem: Problem, backend: str) -> bool:
    """Whether an exact method fits: the enumeration (HiGHS, at most MAX_BITS units) or the flow MIP."""
    return (backend == "highs" and problem.n <= MAX_BITS) or problem.n * problem.n * problem.k <= FLOW_MIP_SIZE


def solve(problem: Problem, time_limit: float = 60.0, backend: str = "highs", seed: int = 1,
          gap: float = 0.0, threads: int = 2, progress: Progress | None = None,
          exact: bool = True, explain: bool = True, enumeration_only: bool = False) -> Solution:
    """Best plan for ``problem`` within ``time_limit`` seconds, with its proof status.

    Parameters
    ----------
    problem : Problem
        The units, bounds, weights and rules.
    time_limit : float
        Seconds for the whole solve (the diagnosis of a problem without a plan comes on top).
    backend : str
        ``highs`` or ``cbc`` (the latter only for the flow MIP).
    seed : int
        Seed of the heuristic and the solvers.
    gap : float
        Relative gap at which the solvers may stop; above 0 only a K = 1 plan is called ``optimal``.
    threads : int
        Threads for the MIPs.
    progress : Progress, optional
        Called with the phase, incumbent, bound, gap and seconds while the solve runs.
    exact : bool
        False runs only the heuristic (status ``heuristic``).
    explain : bool
        False skips the diagnosis when no plan is found (``message`` stays empty).
    enumeration_only : bool
        True: above 62 units the exact phase runs only when every connected district fits the enumeration
        (:func:`wide_columns`); otherwise only the heuristic runs (the diagnosis's verifying solves).

    Returns
    -------
    Solution
        The plan with ``metrics.objective`` as its objective and an honest status: ``optimal`` when proven,
        ``gap`` with a lower bound, ``heuristic`` without one, ``infeasible`` when no plan exists, or
        ``no_solution`` when none was found in time.

    Raises
    ------
    SolverMissingError
        When the flow MIP runs with an unknown ``backend``, or with a solver that is missing or fails.
    """
    swallow_banner()
    t0 = time.perf_counter()
    deadline = t0 + time_limit
    if problem.k == 1:  # one area holding everything: the only plan, valid or not
        whole = np.zeros(problem.n, dtype=int)
        if metrics.violations(problem, whole):
            return _finish(problem, None, False, None, t0, backend, {"method": "k=1"}, infeasible=True,
                           explain=explain)
        return _finish(problem, whole, True, metrics.objective(problem, whole), t0, backend, {"method": "k=1"},
                       explain=explain)
    if quick_causes(problem):
        return _finish(problem, None, False, None, t0, backend, {"method": "checks"}, infeasible=True, explain=explain)
    if problem.n > MAX_BITS and shortage_proof(problem) is not None:
        # too many districts to list, but buurten short of partners prove it (local_proof.py)
        return _finish(problem, None, False, None, t0, backend, {"method": "partner-shortage"}, infeasible=True,
                       explain=explain)
    core = contracted_core(problem)
    if core is not None:  # solve the smaller equivalent problem; report (and diagnose) on the original
        small, of = core
        sol = solve(small, time_limit=deadline - time.perf_counter(), backend=backend, seed=seed, gap=gap,
                    threads=threads, progress=progress, exact=exact, explain=False, enumeration_only=enumeration_only)
        return on_original(problem, sol, of, t0, explain)
    asked, wide, budget = exact, None, time_limit
    if exact and backend == "highs" and MAX_BITS < problem.n <= WIDE_UNITS_PER_AREA * problem.k:
        wide = wide_columns(problem, time_limit, VERIFY_SHARE if enumeration_only else WIDE_SHARE)
        budget = deadline - time.perf_counter()
    if enumeration_only and problem.n > MAX_BITS and wide is None:
        exact = False  # no column generation or flow MIP for a verifying solve: the heuristic alone, as before
    exact = exact and (wide is not None or _exact_applies(problem, backend))
    if wide is not None:  # the districts are listed: the exact model and its packing need the time more
        budget = WIDE_HEURISTIC_SHARE * budget
    split = asked and wide is None and problem.n > MAX_BITS and splittable(problem)  # several municipalities
    heur = heuristic(problem, time_limit=heuristic_budget(problem, budget, exact or split), seed=seed,
                     progress=(lambda d: _notify(progress, t0, "heuristic", d["incumbent"], None)) if progress else None)
    details = {"method": "heuristic", "heuristic_objective": heur.objective, "heuristic_seconds": heur.seconds,
               "restarts": heur.restarts}
    best, best_obj = heur.labels, heur.objective
    if split and time.perf_counter() < deadline - 1:  # no plan yet: the dense city apart, the rest apart (decompose.py)
        until = deadline if not exact else time.perf_counter() + 0.5 * (deadline - time.perf_counter())
        heur, how = after_heuristic(problem, heur, _part_solver(seed, threads), until, seed, more=not exact)
        best, best_obj = heur.labels, heur.objective
        details.update(method=how, heuristic_objective=heur.objective)
        _notify(progress, t0, how, best_obj, None)
    if not exact or time.perf_counter() >= deadline:
        bound = capacity_bound(problem) if asked and not enumeration_only and best is not None else None
        if bound is not None:
            details["capacity_bound"] = bound
        return _finish(problem, best, False, bound, t0, "heuristic", details, explain=explain)
    if backend == "highs" and problem.n > MAX_BITS and best is not None and wide is None:
        return _solve_cg(problem, heur, details, t0, deadline, threads, seed, progress, gap, explain)
    if backend == "highs" and problem.n <= MAX_BITS:
        try:  # the enumeration may use at most half of the time left
            cols = col.build_columns(problem, max_sets=MAX_SETS,
                                     deadline=time.perf_counter() + 0.5 * (deadline - time.perf_counter()))
        except col.TooManyColumns:
            cols = None
        if cols is not None:
            done = _solve_columns(problem, cols, heur, details, t0, deadline, threads, seed, progress, gap, explain)
            if done is not None:
                return done
    if wide is not None:
        done = _solve_columns(problem, wide, heur, details, t0, deadline, threads, seed, progress, gap, explain)
        if done is not None:
            return done
    if problem.n * problem.n * problem.k <= FLOW_MIP_SIZE and time.perf_counter() < deadline - 1:
        res = solve_mip(problem, time_limit=deadline - time.perf_counter(), backend=backend, gap=gap, threads=threads,
                        seed=seed, start=best, progress=_highs_progress(progress, t0, "mip"))
        details.update(method="flow-mip")
        if res.status == "infeasible":
            return _finish(problem, None, False, None, t0, backend, details, infeasible=True, explain=explain)
        labels = best
        if res.labels is not None and not metrics.violations(problem, res.labels) and (
                best_obj is None or metrics.objective(problem, res.labels) <= best_obj + 1e-9):
            labels = res.labels
        proven = res.status == "optimal" and gap <= 0 and labels is not None and (
            res.objective is not None and metrics.objective(problem, labels) <= res.objective + 1e-6)
        return _finish(problem, labels, proven, res.bound, t0, backend, details, explain=explain)
    if best is None and time.perf_counter() < deadline:
        more = heuristic(problem, time_limit=deadline - time.perf_counter(), seed=seed + 1)
        best = more.labels
    return _finish(problem, best, False, None, t0, "heuristic", details, explain=explain)


def _part_solver(seed: int, threads: int) -> PartSolver:
    """How :func:`decompose.after_heuristic` solves one part: :func:`solve` with the exact model only where the
    part's districts can be listed (as the diagnosis's verifying solves), no diagnosis; the plan or None."""
    return lambda sub, limit: solve(sub, time_limit=limit, seed=seed, threads=threads, explain=False,
                                    enumeration_only=True).labels


WIDE_UNITS_PER_AREA = 6.0  # the enumeration above 62 units is tried only with at most this many units per area
WIDE_SETS = 1_000_000  # connected sets the enumeration above 62 units may generate before it gives up
WIDE_SHARE = 0.2  # share of the time limit that enumeration may take (at most WIDE_SECONDS)
WIDE_SECONDS = 20.0
WIDE_HEURISTIC_SHARE = 0.3  # with listed districts the heuristic gets at most 0.3 x 0.3 = 9 % of the time
VERIFY_SHARE = 0.6  # the diagnosis's verifying solves: a proof either way is worth most of their time


def wide_columns(problem: Problem, time_limit: float, share: float = WIDE_SHARE) -> col.Columns | None:
    """Every connected district within the bounds of a problem above 62 units (``exact.build_wide_columns``), or
    None when there are more than :data:`WIDE_SETS` or listing them takes more than ``share`` of ``time_limit``
    (at most :data:`WIDE_SECONDS`).

    Dense cities have few: Utrecht's 111 buurten give 8,723 districts at 42 areas (±15 %) and 94,066 at 31, listed
    in 0.5-4 s; rural municipalities (Stichtse Vecht, the region) have millions and go to column generation. The
    number of districts grows exponentially with the units per area, so :func:`solve` tries this only up to
    :data:`WIDE_UNITS_PER_AREA` units per area (Utrecht 2.6-3.6; Stichtse Vecht 12-14 and the region 10, where a
    failed try cost 2-4 s of the heuristic's and column generation's time)."""
    budget = min(WIDE_SECONDS, share * time_limit)
    try:
        return col.build_columns(problem, max_sets=WIDE_SETS, deadline=time.perf_counter() + budget)
    except col.TooManyColumns:
        return None


def _solve_columns(problem: Problem, cols: col.Columns, heur: HeuristicResult, details: dict, t0: float,
                   deadline: float, threads: int, seed: int, progress: Progress | None, gap: float,
                   explain: bool) -> Solution | None:
    """The set-partitioning model over every enumerated district (``exact.py``): proven optimal, proven
    infeasible, or the best plan with the LP bound; None when the LP did not finish before ``deadline``."""
    best, best_obj = heur.labels, heur.objective
    details.update(method="columns", columns=len(cols.masks), columns_seconds=cols.seconds)
    start = col.plan_masks(problem, best) if best is not None else None
    lp = col.lp_bound(problem, cols, start, deadline)
    details["lp_bound"], details["cg_iterations"] = lp.value, lp.iterations
    if lp.infeasible:
        return _finish(problem, None, False, None, t0, "highs", details, infeasible=True, explain=explain)
    if lp.value is None:
        return None
    if best is None:  # the tree bisection found nothing (tight bounds, large buurten): pack the districts instead
        best, best_obj = _packed_plan(problem, cols, lp, deadline, seed)
        details["packed_plan"] = best_obj
    _notify(progress, t0, "exact", best_obj, lp.value)
    # a packed plan is a fallback, not the integer model's cutoff: far from the optimum, it would let every
    # column in (HiGHS stalls on those); the model starts from the few best columns instead
    res = col.solve_exact(problem, cols, lp, heur.objective, heur.labels, deadline, threads=threads, seed=seed, gap=gap,
                          progress=_highs_progress(progress, t0, "exact"))
    if res.status == "infeasible":
        return _finish(problem, None, False, None, t0, "highs", details, infeasible=True, explain=explain)
    labels = best
    if res.labels is not None and (best_obj is None or metrics.objective(problem, res.labels) <= best_obj):
        labels = res.labels
    proven = res.status == "optimal" and gap <= 0
    return _finish(problem, labels, proven, res.bound if res.bound is not None else lp.value, t0,
                   "highs", details, explain=explain)


def capacity_bound(problem: Problem) -> float | None:
    """:func:`colgen.capacity_bound` (the rounded-capacity bound on the identity term), or None when it is 0: the
    bound of instances too large for any model (the 197-buurt region)."""
    value = colgen.capacity_bound(problem)
    return value if value > 0 else None


PACK_SHARE = 0.5  # share of the time left for the exact-cover search when the heuristic found no plan


def _packed_plan(problem: Problem, cols: col.Columns, lp: col.LPBound, deadline: float,
                 seed: int) -> tuple[np.ndarray | None, float | None]:
    """A first plan from the enumerated districts by exact-cover search (``exact.cover_search``, districts with the
    lowest LP reduced cost first), improved by the heuristic's local search; (None, None) when none was found
    within :data:`PACK_SHARE` of the time left."""
    left = deadline - time.perf_counter()
    labels = col.cover_search(problem, cols, time.perf_counter() + PACK_SHARE * left, order=lp.rc, seed=seed)
    if labels is None:
        return None, None
    labels = improve(problem, labels, time.perf_counter() + 0.5 * PACK_SHARE * left, seed)
    return labels, metrics.objective(problem, labels)


def contracted_core(problem: Problem) -> tuple[Problem, np.ndarray] | None:
    """(problem with the blocks every valid plan keeps whole contracted into single units, block of every unit),
    or None when there are none or they clash with a rule (``contract.reduce``). Both problems have the same valid plans and objective
    values, and the smaller one solves faster (or fits the exact enumeration at all).

    Connected keep-together groups are always contracted. Parts hanging on one buurt only when the result fits
    the exact enumeration (at most 62 units: fewer connected districts, e.g. Woerden K=4 proven in 1.3 s instead
    of 6.0 s). Above that, column generation's bound at 120 s came out better on some Stichtse Vecht runs and
    worse on others, among them the shipped config (``benchmarks/RESULTS.md``), so the model stays as it was."""
    try:
        core = reduce(problem)
        if core is not None and core[0].n > MAX_BITS:
            core = reduce(problem, hanging=False)
        return core
    except ContractionConflict:  # the rules clash by themselves: the original problem's checks explain it
        return None


def on_original(problem: Problem, sol: Solution, of_unit: np.ndarray, t0: float, explain: bool = True) -> Solution:
    """A Solution of a contracted problem (:func:`contracted_core`) restated for the original problem.

    ``of_unit`` is the block of every original unit; the plan is expanded, its objective recomputed on
    ``problem`` and ``details["contracted_units"]`` set. The time counts from ``t0``; ``explain`` as in :func:`solve`.
    """
    details = {**sol.details, "contracted_units": int(of_unit.max()) + 1}
    labels = None if sol.labels is None else expand(sol.labels, of_unit)
    return _finish(problem, labels, sol.status == "optimal", sol.bound, t0, sol.backend, details,
                   infeasible=sol.status == "infeasible", explain=explain)


CG_IP_SHARE = 0.05  # share of the time left after the heuristic kept for the restricted master IP


def _solve_cg(problem: Problem, heur: HeuristicResult, details: dict, t0: float, deadline: float, threads: int,
              seed: int, progress: Progress | None, gap: float, explain: bool) -> Solution:
    """Column generation bound (``colgen.py``) for instances too large to enumerate, then the
    restricted master as an integer program over the generated districts for a better plan."""
    best, best_obj = heur.labels, heur.objective
    assert best is not None and best_obj is not None  # solve comes here only with a heuristic plan
    plans = [labels for _, labels in heur.pool] or [best]
    left = deadline - time.perf_counter()
    report = (lambda rmp, bnd: _notify(progress, t0, "bound", best_obj, bnd)) if progress else None
    res = colgen.column_generation(problem, plans, deadline=deadline - max(1.0, CG_IP_SHARE * left), threads=threads,
                               seed=seed, progress=report, target_gap=gap, incumbent=best_obj)
    details.update(method="column-generation", cg_bound=res.bound, cg_converged=res.converged,
                   cg_iterations=res.iterations, columns=len(res.member), cg_seconds=res.seconds)
    if time.perf_counter() < deadline - 0.5 and len(res.member):
        labels, _ = colgen.master_ip(problem, res, time_limit=deadline - time.perf_counter() - 0.3, threads=threads,
                                 seed=seed)
        if labels is not None and not metrics.violations(problem, labels) and (
                metrics.objective(problem, labels) < best_obj - 1e-9):
            best = labels
    return _finish(problem, best, False, res.bound, t0, backend="highs", details=details, explain=explain)


def _highs_progress(progress: Progress | None, t0: float, phase: str) -> HighsProgress | None:
    """Adapter from HiGHS's (primal, dual, seconds) callback to :data:`Progress`."""
    if progress is None:
        return None

    def report(primal: float, dual: float, _seconds: float) -> None:
        inc = primal if np.isfinite(primal) and abs(primal) < 1e20 else None
        bnd = dual if np.isfinite(dual) and abs(dual) < 1e20 else None
        _notify(progress, t0, phase, inc, bnd)

    return report


def alternatives(problem: Problem, n: int, time_limit: float = 60.0, backend: str = "highs", seed: int = 1,
                 threads: int = 2, gap: float = 0.0, progress: Progress | None = None,
                 explain: bool = True) -> list[Solution]:
    """Up to ``n`` different good plans, best first; every two differ in at least one district.

    Small instances: the k-th plan is the proven best plan that differs from plans 1..k-1 (no-good
    cuts in the set-partitioning model); its status is ``gap`` relative to the global lower bound.
    Larger instances: distinct local optima of the heuristic (status ``heuristic``, or ``gap`` with
    the bound of the first solve).

    The first plan is :func:`solve`'s with half of ``time_limit``; the other arguments are as for
    :func:`solve`. Returns a list of :class:`Solution`, holding only the first (maybe without a plan)
    when that one found none or ``n <= 1``; ``details["rank"]`` numbers the later ones.
    """
    t0 = time.perf_counter()
    core = contracted_core(problem)
    if core is None:
        return _alternatives(problem, n, t0, time_limit, backend, seed, threads, gap, progress, explain)
    small, of = core
    return [on_original(problem, sol, of, t0, explain)
            for sol in _alternatives(small, n, t0, time_limit, backend, seed, threads, gap, progress, explain=False)]


def _alternatives(problem: Problem, n: int, t0: float, time_limit: float, backend: str, seed: int, threads: int,
                  gap: float, progress: Progress | None, explain: bool) -> list[Solution]:
    """:func:`alternatives` of a problem with nothing (more) to contract."""
    deadline = t0 + time_limit
    first = solve(problem, time_limit=time_limit / 2, backend=backend, seed=seed, gap=gap, threads=threads,
                  progress=progress, explain=explain)
    if not first.found or n <= 1:
        return [first][:max(n, 1)]
    assert first.labels is not None  # found
    out = [first]
    if first.details.get("method") == "columns":
        cols = col.build_columns(problem, max_sets=MAX_SETS)
        lp = col.lp_bound(problem, cols, col.plan_masks(problem, first.labels), deadline)
        forbid = [col.plan_masks(problem, first.labels)]
        while len(out) < n and lp.value is not None and time.perf_counter() < deadline:
            res = col.solve_exact(problem, cols, lp, None, None, deadline, threads=threads, seed=seed, forbid=forbid)
            if res.labels is None:
                break
            sol = _finish(problem, res.labels, False, first.bound, t0, backend,
                          {"method": "columns", "rank": len(out) + 1, "rank_proven": res.status == "optimal"})
            out.append(sol)
            forbid.append(col.plan_masks(problem, res.labels))
        return out
    pool = heuristic(problem, time_limit=max(1.0, deadline - time.perf_counter()), seed=seed).pool
    seen = {canonical_labels(problem, first.labels).tobytes()}
    for _obj, labels in pool:
        key = canonical_labels(problem, labels).tobytes()
        if key in seen:
            continue
        seen.add(key)
        out.append(_finish(problem, labels, False, first.bound, t0, "heuristic",
                           {"method": "heuristic", "rank": len(out) + 1, "rank_proven": False}))
        if len(out) >= n:
            break
    return out


def sweep(problem: Problem, ks: Iterable[int], tolerance: float | None = None, time_limit: float = 60.0,
          backend: str = "highs", seed: int = 1, gap: float = 0.0, threads: int = 2,
          progress: Progress | None = None) -> list[SweepRow]:
    """The best plan for every K in ``ks``.

    Bounds come from the problem's size rule (absolute bounds where the config gives them, else its
    tolerance), or from target ± ``tolerance`` when that is given. K outside ``1..n`` is skipped.
    Every K gets a :func:`solve` of ``time_limit`` seconds with the other arguments; returns one
    :class:`SweepRow` per K solved, in the order of ``ks``.
    """
    rows = []
    for k in ks:
        if k < 1 or k > problem.n:
            continue
        other = problem.with_k(int(k), tolerance)
        rows.append(SweepRow(int(k), solve(other, time_limit=time_limit, backend=backend, seed=seed, gap=gap,
                                           threads=threads, progress=progress)))
    return rows


VERIFY_WIDE_SECONDS = 10.0  # least time of a verifying solve above 62 units (listing districts, LP and IP)


def verify(problem: Problem, time_limit: float, seed: int) -> Solution:
    """A quick solve that verifies a relaxation for the diagnosis (one thread, no diagnosis of its own).

    Up to 62 units the full strategy; above, the exact model only when its districts can be listed
    (``enumeration_only``; then at least :data:`VERIFY_WIDE_SECONDS`, which a dense city's tight bounds need
    to find a plan or a proof), else the heuristic alone."""
    if problem.n > MAX_BITS:
        time_limit = max(time_limit, VERIFY_WIDE_SECONDS)
    return solve(problem, time_limit=time_limit, seed=seed, threads=1, explain=False, enumeration_only=True)


def diagnose(problem: Problem, proven: bool | None = None, time_limit: float = 20.0, seed: int = 1) -> Diagnosis:
    """Why ``problem`` has no plan and the nearest relaxations, each verified by a plan (see ``diagnosis.py``)."""
    return _diagnose(problem, verify, proven=proven, time_limit=time_limit, seed=seed)
