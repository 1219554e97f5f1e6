"""The plan commands: ``validate``, ``propose``, ``sweep`` and ``evaluate``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from ..build import build_problem
from ..errors import ConfigError
from ..model.metrics import score
from ..model.problem import Problem
from ..optimise import Solution, alternatives, solve
from ..optimise import sweep as run_sweep
from ..optimise.progress import RichProgress
from ..report.outputs import ALTERNATIVES_DIR, check_target, metrics_record, scenario_dir, stopped_by, write_run
from ..report.plans import CBS_WIJKEN, problem_for_plan, read_plan
from .common import console, fmt_int, load, print_summary, show_warnings


@click.command()
@click.argument("config", type=click.Path(dir_okay=False))
@show_warnings
def validate(config: str) -> None:
    """Check CONFIG and its data files; print what would be optimised."""
    cfg = load(config)
    problem = build_problem(cfg)
    click.echo(
        f"{config}: OK — {problem.provenance.gemeente or 'region ' + str(cfg.region or '')} "
        f"({problem.provenance.gemeentecode or 'no gemeentecode: every buurt in the data file'}), {problem.n} buurten, "
        f"{fmt_int(problem.total)} inhabitants, {len(problem.edges)} neighbour pairs, {problem.k} areas of "
        f"{fmt_int(problem.lo)}–{fmt_int(problem.hi)}, {len(problem.groups)} identity groups, "
        f"{0 if problem.practices is None else len(problem.practices)} practices"
        + (" (FICTIONAL)" if problem.provenance.practices_fictional else "")
        + (", catchments estimated" if problem.provenance.catchment_estimated else "")
        + "."
    )


@click.command()
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("--areas", "-k", type=click.IntRange(min=1), help="Number of areas (overrides areas.count).")
@click.option("--scenario", default=None, help="Name of the output folder (default: config's scenario).")
@click.option("--time-limit", type=click.FloatRange(min=0.1), help="Solver time limit in seconds.")
@click.option("--seed", type=int, help="Random seed.")
@click.option("--out", "out", type=click.Path(file_okay=False), help="Output base folder (default: output.dir).")
@click.option("--force", is_flag=True, help="Overwrite an existing scenario folder.")
@click.option("--alternatives", "n_alternatives", type=click.IntRange(min=1), default=1, show_default=True,
              help="Give N different good plans (best first) with their scores; plans 2..N go to alternatives/.")
@show_warnings
def propose(config: str, areas: int | None, scenario: str | None, time_limit: float | None, seed: int | None, out: str | None,
            force: bool, n_alternatives: int) -> None:
    """Propose a division of the municipality in CONFIG and write its outputs."""
    cfg = load(config, areas, time_limit, seed)
    problem = build_problem(cfg)
    scenario = scenario or cfg.scenario
    target = scenario_dir(Path(out) if out else cfg.output.dir, problem, scenario)
    check_target(target, force)  # also tidies what killed runs left behind
    click.echo(f"Optimising {problem.n} buurten into {problem.k} areas (time limit {cfg.solver.time_limit:g} s; "
               "Ctrl-C stops without writing)...", err=True)
    solver_args: dict[str, Any] = dict(time_limit=cfg.solver.time_limit, backend=cfg.solver.backend,
                                       seed=cfg.solver.seed, gap=cfg.solver.mip_gap, threads=cfg.solver.threads)
    with RichProgress() as progress:
        if n_alternatives > 1:
            plans = alternatives(problem, n_alternatives, progress=progress, **solver_args)
        else:
            plans = [solve(problem, progress=progress, **solver_args)]
    sol = plans[0]
    if sol.labels is None:
        if sol.status == "no_solution" and not sol.message:
            click.echo(f"No plan: the solver found none within its time limit of {cfg.solver.time_limit:g} s; "
                       "raise solver.time_limit (or use --time-limit); nothing was written.", err=True)
        else:
            click.echo(f"No plan: {(sol.message or sol.status_text()).rstrip('. ')}; nothing was written.", err=True)
        sys.exit(1)
    settings = {"backend": cfg.solver.backend, "time_limit": cfg.solver.time_limit, "mip_gap": cfg.solver.mip_gap,
                "seed": cfg.solver.seed, "threads": cfg.solver.threads}
    write_run(problem, sol.labels, target, sol, scenario, force, solver_settings=settings,
              alternatives=[plan.labels for plan in plans[1:] if plan.labels is not None])  # every plan of alternatives() has labels
    print_summary(problem, sol.labels, sol.status_text(), sol.seconds)
    if n_alternatives > 1:
        print_alternatives(problem, plans, target)
    if stopped_by(sol, cfg.solver.mip_gap) == "time_limit":
        click.echo("Note: the solver stopped at its time limit, so another run may return a different plan; "
                   "raise solver.time_limit or set solver.mip_gap for a reproducible result.")
    click.echo(f"Written to {target}")


def _wide() -> Console:
    """The console, or a 160-column one when output is not a terminal (so tables are not truncated)."""
    return console if console.is_terminal else Console(width=160)


def print_alternatives(problem: Problem, plans: list[Solution], target: Path) -> None:
    """Print a table of the plans' scores, each against plan 1 (plans 2..N were written to ``target/alternatives/``).

    Parameters
    ----------
    problem : Problem
        The problem the plans divide.
    plans : list of Solution
        The plans of ``propose --alternatives``, best first; every one has labels.
    target : pathlib.Path
        The scenario folder they were written to.
    """
    table = Table(title=f"{len(plans)} different plans (best first)")
    for col in ("plan", "objective", "status", "max dev", "bal", "catch", "ident", "compact", "moved"):
        table.add_column(col, justify="left" if col in ("plan", "status") else "right", no_wrap=True)
    folder = target / ALTERNATIVES_DIR
    for i, plan in enumerate(plans, start=1):
        assert plan.labels is not None and plans[0].labels is not None
        s = score(problem, plan.labels)
        moved = int((plan.labels != plans[0].labels).sum())
        table.add_row(str(i), f"{s.objective:.3f}", plan.status_text(), f"{100 * s.max_population_deviation:.1f} %",
                      f"{s.balance:.2f}", f"{s.catchment:.2f}", str(s.identity), f"{s.compactness:.2f}", str(moved))
    _wide().print(table)
    console.print(f"Plan 1 is plan.csv; plans 2..{len(plans)} are in {folder}/plan-<i>.csv "
                  "(moved = buurten in another area than in plan 1; gap = distance to the best possible plan).")


def parse_range(text: str, n: int | None = None) -> list[int]:
    """The area counts of ``sweep --areas``: '4-8' or '4,6,8' or '5' -> sorted list of K without repeats.

    Parameters
    ----------
    text : str
        Comma-separated counts and ranges ``a-b`` (both ends included).
    n : int, optional
        The number of buurten, the largest valid K; None for no upper limit.

    Returns
    -------
    list of int
        The counts, sorted, each from 1 to ``n``.

    Raises
    ------
    ConfigError
        One sentence naming --areas and the valid range, for anything else.
    """
    valid = f"give area counts from 1 to {n} (the number of buurten), like 4-8" if n else "give area counts of at least 1, like 4-8"
    try:
        out: list[int] = []
        for part in text.split(","):
            if "-" in part.strip()[1:]:
                a, b = part.split("-", 1)
                if int(b) < int(a):
                    raise ConfigError(f"--areas '{text}': the range {part.strip()} is empty; {valid}.")
                out += list(range(int(a), int(b) + 1))
            else:
                out.append(int(part))
    except ValueError:
        raise ConfigError(f"--areas '{text}' is not a range of area counts; write it like 4-8 or 4,6,8.") from None
    if not out or min(out) < 1:
        raise ConfigError(f"--areas '{text}' includes {min(out, default=0)} areas; {valid}.")
    if n is not None and max(out) > n:
        raise ConfigError(f"--areas '{text}' asks for {max(out)} areas but there are only {n} buurten; {valid}.")
    return sorted(set(out))


@click.command()
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("--areas", "-k", "areas", required=True, help="Area counts to try, e.g. 4-8 or 4,6,8.")
@click.option("--tolerance", type=click.FloatRange(min=0.0, max=1.0),
              help="Size tolerance; replaces the config's size rule (default: areas.tolerance, or the absolute areas.min_population/max_population where the config gives them).")
@click.option("--time-limit", type=click.FloatRange(min=0.1), help="Solver time limit per K in seconds.")
@click.option("--seed", type=int, help="Random seed.")
@show_warnings
def sweep(config: str, areas: str, tolerance: float | None, time_limit: float | None, seed: int | None) -> None:
    """Tabulate the best plan for every number of areas in --areas (nothing is written)."""
    cfg = load(config, None, time_limit, seed)
    problem = build_problem(cfg)
    ks = parse_range(areas, problem.n)
    if tolerance is None and problem.sizes.absolute:
        rule = f"areas of {fmt_int(problem.lo)}–{fmt_int(problem.hi)} inhabitants"
    else:
        rule = f"±{100 * (problem.sizes.tolerance if tolerance is None else tolerance):g} %"
    table = Table(title=f"{problem.provenance.gemeente or ''}: best plan per number of areas ({rule})")
    for col in ("K", "size", "status", "objective", "max dev", "bal", "catch", "ident", "compact", "s"):
        table.add_column(col, justify="left" if col == "status" else "right", no_wrap=True)
    notes = []
    for k in ks:
        with RichProgress(label=f"K={k}") as progress:
            rows = run_sweep(problem, [k], tolerance=tolerance, time_limit=cfg.solver.time_limit, backend=cfg.solver.backend,
                             seed=cfg.solver.seed, gap=cfg.solver.mip_gap, threads=cfg.solver.threads, progress=progress)
        if not rows:
            notes.append(f"K={k}: more areas than the {problem.n} buurten")
            continue
        sol = rows[0].solution
        other = problem.with_k(k, tolerance)
        size = f"{fmt_int(other.lo)}–{fmt_int(other.hi)}"
        if sol.labels is not None:
            s = score(other, sol.labels)
            table.add_row(str(k), size, sol.status_text(), f"{s.objective:.3f}", f"{100 * s.max_population_deviation:.1f} %",
                          f"{s.balance:.2f}", f"{s.catchment:.2f}", str(s.identity), f"{s.compactness:.2f}", f"{sol.seconds:.1f}")
        else:
            table.add_row(str(k), size, sol.status_text(), "–", "–", "–", "–", "–", "–", f"{sol.seconds:.1f}")
            if sol.message:
                notes.append(f"K={k}: {sol.message}")
    _wide().print(table)
    for note in notes:
        console.print(note)


@click.command()
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("--plan", "plan_path", required=True, help="plan.csv (buurtcode,area), plan.gpkg, a polygon layer (.gpkg/.geojson/.shp) or cbs-wijken.")
@click.option("--layer", default=None, help="Layer to read from a GeoPackage plan.")
@click.option("--field", "field_name", default=None, help="Field with the area name in a polygon layer.")
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON.")
@show_warnings
def evaluate(config: str, plan_path: str, layer: str | None, field_name: str | None, as_json: bool) -> None:
    """Score an existing division (PLAN) with the same metrics as the optimiser."""
    cfg = load(config)
    problem = build_problem(cfg)
    if plan_path.lower() not in CBS_WIJKEN and not Path(plan_path).exists():
        raise ConfigError(f"{plan_path}: file not found; give the path of a plan.csv with columns buurtcode,area.")
    labels, names = read_plan(plan_path, problem, layer, field_name)
    problem = problem_for_plan(problem, names)
    if as_json:
        click.echo(json.dumps(metrics_record(problem, labels, None, Path(plan_path).stem), indent=2, ensure_ascii=False))
    else:
        print_summary(problem, labels, "given plan")
