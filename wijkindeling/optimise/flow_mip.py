"""Exact flow MIP for small instances: assignment + single-commodity flow contiguity per area, via PuLP.

``solve`` falls back on it when the set-partitioning model (``exact.py``) does not apply or gives no answer
and ``n * n * K`` is small enough (``strategy.FLOW_MIP_SIZE``), warm-started from the heuristic's plan; it
gives a plan, a dual bound and a gap.

Variables (``b`` buurt/unit, ``k`` area):

* ``x[b,k]`` binary: b is in area k;  ``r[b,k]`` binary: b is the root of area k;
* ``f[u,v,k] >= 0``: flow on arc u→v inside area k (the root sends one unit to every member);
* ``d[k] >= |P_k - T|``, ``s[b,h] >= [b, h apart]``, ``y[g,k] >= [g touches k]``, ``z[e] >= [e cut]``.

The objective uses :func:`wijkindeling.model.metrics.objective_coefficients`, so the MIP value
equals :func:`wijkindeling.model.metrics.objective` of the plan it returns.

Symmetry: the root of an area is its lowest-numbered unit, and areas without a lock are
ordered by their roots. HiGHS is the default backend; CBC (COIN_CMD with the cbcbox binary)
is the alternative. The status is read from the solver itself, never from PuLP's
``LpStatus`` (which says "Optimal" for any time-limited incumbent).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pulp

from ..errors import SolverMissingError
from ..model.metrics import objective_coefficients
from ..model.problem import Problem
from . import highs
from .districts import MethodResult, canonical_labels
from .highs import HighsProgress

OPTIMAL_GAP = 1e-6


class _WarmHiGHS(pulp.HiGHS):
    """PuLP's HiGHS API with a MIP start (PuLP's class has none)."""

    def __init__(self, start: dict[str, float] | None = None, progress: HighsProgress | None = None,
                 **kwargs: Any) -> None:
        """``start``: variable name -> value of a known plan; ``kwargs`` go to :class:`pulp.HiGHS`."""
        super().__init__(**kwargs)
        self.start = start or {}
        self.progress = progress  # called with (primal bound, dual bound, seconds) while HiGHS runs

    def callSolver(self, lp: pulp.LpProblem) -> None:  # noqa: N802 (PuLP's name)
        """Run HiGHS on PuLP's model through :func:`.highs.run_mip` (checked answer), with the MIP start and progress callback."""
        if self.progress is not None:
            report = self.progress

            def _cb(event: Any) -> None:
                out = event.data_out
                report(float(out.mip_primal_bound), float(out.mip_dual_bound), float(out.running_time))

            lp.solverModel.cbMipInterrupt.subscribe(_cb)
        start = [float(self.start.get(v.name, 0.0)) for v in lp.variables()] if self.start else None
        highs.run_mip(lp.solverModel, start)


def _arcs(problem: Problem) -> list[tuple[int, int]]:
    """Both directions of every edge."""
    return [(int(i), int(j)) for i, j in problem.edges] + [(int(j), int(i)) for i, j in problem.edges]


def build_model(problem: Problem) -> tuple[pulp.LpProblem, dict]:
    """The PuLP model of ``problem`` and its variables.

    Returns
    -------
    model : pulp.LpProblem
        The minimisation model (see the module docstring).
    variables : dict
        The variables by family: ``"x"``, ``"r"``, ``"f"``, ``"d"``, ``"s"``, ``"y"``, ``"z"``, each a dict
        keyed by index tuples as in the module docstring.
    """
    n, K = problem.n, problem.k
    units, areas = range(n), range(K)
    pop = problem.population.astype(float)
    coef = objective_coefficients(problem)
    w = problem.weights
    m = pulp.LpProblem("wijkindeling", pulp.LpMinimize)
    x = {(b, k): pulp.LpVariable(f"x_{b}_{k}", cat="Binary") for b in units for k in areas}
    r = {(b, k): pulp.LpVariable(f"r_{b}_{k}", cat="Binary") for b in units for k in areas}
    arcs = _arcs(problem)
    cap = n - K + 1
    f = {(u, v, k): pulp.LpVariable(f"f_{u}_{v}_{k}", lowBound=0) for (u, v) in arcs for k in areas}
    d = {k: pulp.LpVariable(f"d_{k}", lowBound=0) for k in areas}
    s = {pair: pulp.LpVariable(f"s_{pair[0]}_{pair[1]}", lowBound=0, upBound=1) for pair in coef.catchment_pairs}
    y = {(g, k): pulp.LpVariable(f"y_{g}_{k}", lowBound=0, upBound=1) for g in range(len(problem.groups)) for k in areas}
    z = {e: pulp.LpVariable(f"z_{e}", lowBound=0, upBound=1) for e in range(len(problem.edges)) if coef.edge_coef[e] > 0}

    m += (
        w.balance * coef.balance_scale * pulp.lpSum(d.values())
        + w.catchment * pulp.lpSum(c * s[p] for p, c in coef.catchment_pairs.items())
        + w.identity * pulp.lpSum(pulp.lpSum(y[g, k] for k in areas) - 1 for g in range(len(problem.groups)))
        + w.compactness * pulp.lpSum(coef.edge_coef[e] * z[e] for e in z)
    )
    for b in units:
        m += pulp.lpSum(x[b, k] for k in areas) == 1, f"assign_{b}"
    out_arcs: dict[int, list[int]] = {b: [] for b in units}
    in_arcs: dict[int, list[int]] = {b: [] for b in units}
    for u, v in arcs:
        out_arcs[u].append(v)
        in_arcs[v].append(u)
    for k in areas:
        size = pulp.lpSum(pop[b] * x[b, k] for b in units)
        m += size >= problem.lo, f"min_{k}"
        m += size <= problem.hi, f"max_{k}"
        m += d[k] >= size - problem.target, f"dev_up_{k}"
        m += d[k] >= problem.target - size, f"dev_dn_{k}"
        m += pulp.lpSum(r[b, k] for b in units) == 1, f"one_root_{k}"
        for b in units:
            m += r[b, k] <= x[b, k], f"root_in_{b}_{k}"
            earlier = pulp.lpSum(x[j, k] for j in range(b))
            m += r[b, k] >= x[b, k] - earlier, f"root_lowest_{b}_{k}"
            if b > 0:
                m += earlier <= b * (1 - r[b, k]), f"root_first_{b}_{k}"
            inflow = pulp.lpSum(f[u, b, k] for u in in_arcs[b])
            outflow = pulp.lpSum(f[b, v, k] for v in out_arcs[b])
            m += inflow - outflow >= x[b, k] - cap * r[b, k], f"flow_{b}_{k}"
        for u, v in arcs:
            m += f[u, v, k] <= (cap - 1) * x[u, k], f"cap_out_{u}_{v}_{k}"
            m += f[u, v, k] <= (cap - 1) * x[v, k], f"cap_in_{u}_{v}_{k}"
    for (b, h), var in s.items():
        for k in areas:
            m += var >= x[b, k] - x[h, k], f"sep_{b}_{h}_{k}"
    for g, members in enumerate(problem.group_members):
        for k in areas:
            for b in members:
                m += y[g, k] >= x[int(b), k], f"touch_{g}_{b}_{k}"
    for e, var in z.items():
        i, j = problem.edges[e]
        for k in areas:
            m += var >= x[int(i), k] - x[int(j), k], f"cut_{e}_{k}"
    _rules(problem, m, x)
    _symmetry(problem, m, x)
    return m, {"x": x, "r": r, "f": f, "d": d, "s": s, "y": y, "z": z}


def _rules(problem: Problem, m: pulp.LpProblem, x: dict) -> None:
    """Add the hard rules: locks, keep-together and keep-apart."""
    for b, k in problem.locks.items():
        m += x[b, k] == 1, f"lock_{b}"
    for gi, group in enumerate(problem.keep_together):
        for b in group[1:]:
            for k in range(problem.k):
                m += x[b, k] == x[group[0], k], f"together_{gi}_{b}_{k}"
    for a, b in problem.keep_apart:
        for k in range(problem.k):
            m += x[a, k] + x[b, k] <= 1, f"apart_{a}_{b}_{k}"


def _symmetry(problem: Problem, m: pulp.LpProblem, x: dict) -> None:
    """Order unlocked areas by their lowest-numbered unit."""
    free = [k for k in range(problem.k) if k not in set(problem.locks.values())]
    for prev, k in zip(free, free[1:]):
        for b in range(problem.n):
            m += x[b, k] <= pulp.lpSum(x[j, prev] for j in range(b)), f"order_{b}_{k}"


def start_values(problem: Problem, labels: np.ndarray, variables: dict) -> dict[str, float]:
    """Variable values of a known plan (for a MIP start): x and roots; the solver completes the rest."""
    labels = canonical_labels(problem, labels)
    start = {}
    for (b, k), var in variables["x"].items():
        start[var.name] = 1.0 if labels[b] == k else 0.0
    for k in range(problem.k):
        members = np.flatnonzero(labels == k)
        if len(members):
            start[variables["r"][int(members[0]), k].name] = 1.0
    return start


def _solver(backend: str, time_limit: float, gap: float, threads: int, seed: int, start: dict | None,
            progress: HighsProgress | None = None) -> Any:
    """PuLP's solver object for ``backend`` (``highs`` with MIP start and progress, or ``cbc``).

    Raises :class:`SolverMissingError` for an unknown backend or when cbcbox is not installed.
    """
    if backend == "highs":
        return _WarmHiGHS(start=start, progress=progress, msg=False, timeLimit=time_limit, gapRel=max(gap, OPTIMAL_GAP), threads=threads, random_seed=seed)
    if backend == "cbc":
        try:
            import cbcbox  # optional package, only for this backend
        except ImportError:
            raise SolverMissingError("CBC is not installed; run `pip install cbcbox` or set solver.backend: highs.") from None
        return pulp.COIN_CMD(path=cbcbox.cbc_bin_path(), msg=False, timeLimit=time_limit, gapRel=max(gap, OPTIMAL_GAP), threads=threads, options=[f"randomSeed {seed}"])
    raise SolverMissingError(f"unknown solver backend '{backend}'; use highs or cbc.")


def solve_mip(problem: Problem, time_limit: float = 60.0, backend: str = "highs", gap: float = 0.0,
              threads: int = 2, seed: int = 1, start: np.ndarray | None = None,
              progress: HighsProgress | None = None) -> MethodResult:
    """Solve the exact model; honest status from the solver (see module docstring).

    Parameters
    ----------
    problem : Problem
        The problem; the model has about ``n * n * K`` variables.
    time_limit : float
        Seconds, building the model included (the solver gets at least 0.5).
    backend : str
        ``highs`` or ``cbc``.
    gap : float
        Relative MIP gap (at least 1e-6).
    threads, seed : int
        Passed to the solver.
    start : numpy.ndarray, optional
        Labels of a known plan, passed as MIP start.
    progress : callable, optional
        HiGHS's (incumbent, bound, seconds) callback; HiGHS only.

    Returns
    -------
    MethodResult
        Status from the solver itself (``feasible`` becomes ``optimal`` within a gap of 1e-6), the plan for
        ``optimal`` and ``feasible``, PuLP's objective value, the dual bound (CBC: none unless optimal) and the gap.

    Raises
    ------
    SolverMissingError
        For an unknown backend, a missing cbcbox, or a solver that fails to run.
    """
    t0 = time.perf_counter()
    model, var = build_model(problem)
    warm = start_values(problem, start, var) if start is not None else None
    left = max(0.5, time_limit - (time.perf_counter() - t0))  # building the model counts against the limit
    solver = _solver(backend, left, gap, threads, seed, warm, progress)
    try:
        model.solve(solver)
    except pulp.PulpSolverError as err:
        raise SolverMissingError(f"the {backend} solver failed to run ({err}); install it or set solver.backend to the other one.") from None
    seconds = time.perf_counter() - t0
    status, bound = _read_status(model, backend)
    labels = None
    if status in ("optimal", "feasible"):
        labels = np.array([max(range(problem.k), key=lambda k: var["x"][b, k].varValue or 0.0) for b in range(problem.n)])
    obj = pulp.value(model.objective) if labels is not None else None
    gap_val = None
    if obj is not None and bound is not None:
        bound += obj - _solver_objective(model, backend, obj)  # same constant offset as PuLP's value
        gap_val = max(0.0, (obj - bound) / max(abs(obj), 1e-9))
        if status == "feasible" and gap_val <= OPTIMAL_GAP:
            status = "optimal"
    if status == "optimal":
        gap_val = 0.0 if gap_val is None else gap_val
    return MethodResult(labels, status, obj, bound, seconds, gap=gap_val, backend=backend)


def _solver_objective(model: pulp.LpProblem, backend: str, fallback: float) -> float:
    """The objective as the solver reports it (HiGHS leaves out PuLP's constant term)."""
    if backend == "highs" and getattr(model, "solverModel", None) is not None:
        return float(model.solverModel.getInfo().objective_function_value)
    return fallback


def _read_status(model: pulp.LpProblem, backend: str) -> tuple[str, float | None]:
    """(status, dual bound) from the solver's own report."""
    if backend == "highs" and getattr(model, "solverModel", None) is not None:
        status, _objective, bound = highs.read_highs(model.solverModel)
        return status, bound
    # CBC: PuLP's sol_status separates proven optimal from integer-feasible; no bound is exposed.
    if model.sol_status == pulp.LpSolutionOptimal:
        return "optimal", pulp.value(model.objective)
    if model.sol_status == pulp.LpSolutionIntegerFeasible:
        return "feasible", None
    if model.status == pulp.LpStatusInfeasible:
        return "infeasible", None
    return "no_solution", None
