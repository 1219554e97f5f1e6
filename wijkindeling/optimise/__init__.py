"""Optimise a Problem into a plan with an honest status.

``solve(problem, ...)`` is the one entry point the CLI and the other stages use. It returns a
:class:`Solution`: the plan (area index per unit), the solver status (``optimal``,
``gap`` with the bound, ``heuristic`` without one, or ``infeasible`` with a diagnosis), and
the wall time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..problem import Problem
from .mip import MipResult, SolverMissingError, solve_mip  # noqa: F401 (re-exported)


@dataclass
class Solution:
    """The result of one optimisation."""

    labels: np.ndarray | None
    status: str  # "optimal" | "gap" | "heuristic" | "infeasible" | "no_solution"
    objective: float | None
    bound: float | None
    gap: float | None
    seconds: float
    backend: str
    message: str = ""  # diagnosis or remark for the user
    details: dict = field(default_factory=dict)

    @property
    def found(self) -> bool:
        return self.labels is not None

    def status_text(self, lang: str = "en") -> str:
        """Short human status, e.g. 'optimal', 'gap 3.2 %', 'heuristic (no bound)'."""
        if self.status == "optimal":
            return "optimaal" if lang == "nl" else "optimal"
        if self.status == "gap":
            return f"gap {100 * (self.gap or 0):.1f} %"
        if self.status == "heuristic":
            return "heuristisch (geen grens)" if lang == "nl" else "heuristic (no bound)"
        if self.status == "infeasible":
            return "onmogelijk" if lang == "nl" else "infeasible"
        return "geen plan gevonden" if lang == "nl" else "no plan found"


def from_mip(res: MipResult) -> Solution:
    """Translate a MIP result into a Solution with the public status words."""
    status = {"optimal": "optimal", "infeasible": "infeasible", "no_solution": "no_solution"}.get(res.status)
    if status is None:
        status = "gap" if res.bound is not None else "heuristic"
    return Solution(res.labels, status, res.objective, res.bound, res.gap, res.seconds, res.backend)


def solve(problem: Problem, time_limit: float = 60.0, backend: str = "highs", seed: int = 1,
          gap: float = 0.0, threads: int = 2) -> Solution:
    """Best plan for ``problem`` within ``time_limit`` seconds, with its proof status."""
    t0 = time.perf_counter()
    res = solve_mip(problem, time_limit=time_limit, backend=backend, gap=gap, threads=threads, seed=seed)
    sol = from_mip(res)
    if sol.labels is not None:
        from .mip import canonical_labels

        sol.labels = canonical_labels(problem, sol.labels)
    sol.seconds = time.perf_counter() - t0
    return sol
