"""One rule for the size of an area (``model.problem.population_bounds``), whatever derives the problem."""

from __future__ import annotations

import math

import numpy as np
import pytest
from click.testing import CliRunner

from wijkindeling import optimise
from wijkindeling.build import build_problem
from wijkindeling.cli import main
from wijkindeling.config import load_config
from wijkindeling.report.plans import problem_for_plan

from .conftest import write_config

ABSOLUTE = {"areas": {"count": 6, "min_population": 8500, "max_population": 9500}}


def test_absolute_bounds_survive_a_change_of_k(tmp_path):
    """Sweep, diagnosis suggestions and imported plans re-derive the problem with ``with_k``: the config's
    absolute bounds stay (they used to fall back to ±10 % of the target)."""
    problem = build_problem(load_config(write_config(tmp_path, ABSOLUTE)))
    assert (problem.lo, problem.hi) == (8500.0, 9500.0)
    for k in (5, 6, 7):
        assert (problem.with_k(k).lo, problem.with_k(k).hi) == (8500.0, 9500.0)
    imported = problem_for_plan(problem, [f"gebied {i}" for i in range(6)])
    assert (imported.lo, imported.hi) == (8500.0, 9500.0)


def test_sweep_solves_within_the_absolute_bounds(tmp_path):
    problem = build_problem(load_config(write_config(tmp_path, ABSOLUTE)))
    [row] = optimise.sweep(problem, [6], time_limit=30, threads=1)
    assert row.solution.found
    pops = np.bincount(row.solution.labels, weights=problem.population, minlength=6)
    assert pops.min() >= 8500 and pops.max() <= 9500


@pytest.mark.slow
def test_sweep_cli_names_the_absolute_bounds(tmp_path):
    config = write_config(tmp_path, ABSOLUTE)
    result = CliRunner().invoke(main, ["sweep", str(config), "--areas", "6-6", "--time-limit", "20"])
    assert result.exit_code == 0, result.output
    assert "8.500–9.500" in result.output and "±" not in result.output


def test_a_tolerance_gives_the_rounded_bounds_of_a_config_with_that_k(tmp_path, woerden):
    """``with_k(k, tolerance)`` rounds like the config does (ceil of the minimum, floor of the maximum)."""
    for k in (4, 5, 7):
        derived = woerden.with_k(k, 0.15)
        built = build_problem(load_config(write_config(tmp_path, {"areas": {"count": k, "tolerance": 0.15}})))
        assert (derived.lo, derived.hi) == (built.lo, built.hi)
        assert derived.lo == math.ceil(0.85 * woerden.total / k) and derived.hi == math.floor(1.15 * woerden.total / k)
