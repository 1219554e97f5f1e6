"""The optimiser's plan for Woerden, solved once per test session (short time limit, one thread)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from wijkindeling.build import build_problem
from wijkindeling.config import load_config
from wijkindeling.model.problem import Problem

from .conftest import WOERDEN


@lru_cache(maxsize=1)
def woerden_solution() -> tuple[Problem, np.ndarray]:
    """(problem, labels) of the optimiser's Woerden plan; fails loudly when no plan is found."""
    from wijkindeling.optimise import solve

    problem = build_problem(load_config(WOERDEN))
    sol = solve(problem, time_limit=10, threads=1, seed=1)
    assert sol.found, f"the optimiser found no plan for Woerden: {sol.message or sol.status}"
    return problem, np.asarray(sol.labels, dtype=int)
