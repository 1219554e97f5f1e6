"""CLI of the optimiser: propose --alternatives N and sweep --areas, on the real Woerden config."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from wijkindeling.build import build_problem
from wijkindeling.cli import main
from wijkindeling.cli.plans import parse_range
from wijkindeling.config import load_config
from wijkindeling.model import metrics
from wijkindeling.report import outputs
from wijkindeling.report.plans import read_plan_csv
from wijkindeling.text import format_int as fmt_int

from .conftest import write_config


@pytest.fixture(scope="module")
def alternatives_run(tmp_path_factory):
    """One ``propose --alternatives 3`` on Woerden, recording the plan-<i>.csv files in the temporary folder at the
    moment it is moved into place; (config, scenario folder, CLI result, the recorded file lists)."""
    tmp = tmp_path_factory.mktemp("alt")
    config = write_config(tmp, {"solver": {"time_limit": 60, "threads": 1}})
    seen: list[list[str]] = []
    real_swap = outputs._swap

    def recording_swap(folder, target):
        seen.append(sorted(p.relative_to(folder).as_posix() for p in folder.rglob("plan-*.csv")))
        real_swap(folder, target)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(outputs, "_swap", recording_swap)
        result = CliRunner().invoke(main, ["propose", str(config), "--scenario", "alt", "--alternatives", "3"])
    assert result.exit_code == 0, result.output
    return config, next((tmp / "outputs").rglob("alt")), result, seen


@pytest.mark.slow
def test_propose_alternatives_writes_distinct_valid_plans(alternatives_run):
    config, folder, result, _ = alternatives_run
    assert "3 different plans" in result.output
    problem = build_problem(load_config(config))
    plans = [folder / "plan.csv", folder / "alternatives" / "plan-2.csv", folder / "alternatives" / "plan-3.csv"]
    labels = [read_plan_csv(p, problem)[0] for p in plans]
    assert len({tuple(plan.tolist()) for plan in labels}) == 3
    objs = [metrics.objective(problem, plan) for plan in labels]
    assert objs == sorted(objs)
    assert all(not metrics.violations(problem, plan) for plan in labels)
    assert f"{objs[1]:.3f}" in result.output and f"{objs[2]:.3f}" in result.output
    assert set(pd.read_csv(plans[1])["buurtcode"]) == set(problem.codes)


@pytest.mark.slow
def test_propose_alternatives_are_part_of_the_atomic_write(alternatives_run):
    """plan-<i>.csv are in the temporary folder when it is moved into place, not written afterwards."""
    _, folder, _, seen = alternatives_run
    assert seen == [["alternatives/plan-2.csv", "alternatives/plan-3.csv"]]
    assert sorted(p.name for p in (folder / "alternatives").iterdir()) == ["plan-2.csv", "plan-3.csv"]


@pytest.mark.slow
def test_sweep_tabulates_each_k(tmp_path):
    config = write_config(tmp_path, {"solver": {"time_limit": 60, "threads": 1}})
    result = CliRunner().invoke(main, ["sweep", str(config), "--areas", "5-6", "--tolerance", "0.10"])
    assert result.exit_code == 0, result.output
    problem = build_problem(load_config(config))
    for k in (5, 6):
        p = problem.with_k(k, 0.10)
        assert f"{fmt_int(p.lo)}–{fmt_int(p.hi)}" in result.output
    assert result.output.count("optimal") == 2


def test_sweep_range_errors():
    assert parse_range("4-8") == [4, 5, 6, 7, 8]
    assert parse_range("4,6,8") == [4, 6, 8]
    result = CliRunner().invoke(main, ["sweep", "configs/woerden.yaml", "--areas", "four"])
    assert result.exit_code == 2 and "like 4-8" in result.output


def test_sweep_areas_outside_1_to_n_is_a_one_sentence_error(woerden):
    """More areas than buurten, a reversed range or zero: exit 2, one line naming --areas and 1..n; no table."""
    for areas in ("40", "8-4", "0-3"):
        result = CliRunner().invoke(main, ["sweep", "configs/woerden.yaml", "--areas", areas])
        assert result.exit_code == 2, (areas, result.output)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"Error: --areas '{areas}'"), result.output
        assert f"from 1 to {woerden.n}" in lines[0]
