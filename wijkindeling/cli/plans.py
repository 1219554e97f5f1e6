"""The plan commands: ``validate``, ``propose``, ``sweep`` and ``evaluate``."""

from __future__ import annotations

import csv
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from ..build import build_problem, cached_problem
from ..config import Config, Weights
from ..errors import ConfigError
from ..execute import Outcome, Task, raise_failures
from ..model.metrics import TERMS, score
from ..model.names import name_areas
from ..model.problem import Problem
from ..optimise import Solution, alternatives, solve
from ..optimise.progress import RichProgress
from ..report.outputs import ALTERNATIVES_DIR, check_target, metrics_record, scenario_dir, stopped_by, write_run
from ..report.plans import CBS_WIJKEN, problem_for_plan, read_plan
from .common import console, execution_options, fmt_int, load, print_profile, print_summary, show_warnings, task_runner


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
@click.option("--profile", "show_profile", is_flag=True, help="Also print the startfoto (indicators per area).")
@show_warnings
def propose(config: str, areas: int | None, scenario: str | None, time_limit: float | None, seed: int | None, out: str | None,
            force: bool, n_alternatives: int, show_profile: bool) -> None:
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
    named = name_areas(problem, sol.labels)  # as write_run named them
    print_summary(named, sol.labels, sol.status_text(), sol.seconds)
    if show_profile:
        print_profile(named, sol.labels)
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


def parse_tolerances(text: str | None) -> list[float | None]:
    """The size tolerances of ``sweep --tolerance``: '0.10,0.15' -> [0.1, 0.15]; None -> [None] (the config's size rule).

    Parameters
    ----------
    text : str or None
        Comma-separated fractions from 0 to 1.

    Returns
    -------
    list of float or None
        The tolerances in the order given, without repeats.

    Raises
    ------
    ConfigError
        One sentence naming --tolerance, for anything but fractions from 0 to 1.
    """
    if text is None:
        return [None]
    out: list[float | None] = []
    for part in text.split(","):
        try:
            value = float(part)
        except ValueError:
            raise ConfigError(f"--tolerance '{text}': '{part.strip()}' is not a number; give fractions like 0.10,0.15.") from None
        if not 0.0 <= value <= 1.0:
            raise ConfigError(f"--tolerance '{text}': {value:g} is outside 0 to 1; give fractions like 0.10,0.15 (±10 % and ±15 %).")
        if value not in out:
            out.append(value)
    return out


def parse_weights(texts: tuple[str, ...]) -> list[dict[str, float]]:
    """The weight variants of ``sweep --weights``: the config's weights ({}) first, then one dict per option.

    Parameters
    ----------
    texts : tuple of str
        Each like ``catchment=2`` or ``identity=4,compactness=0.4``: the terms it sets (others keep the config's weight).

    Returns
    -------
    list of dict
        ``[{}, {"catchment": 2.0}, ...]``, without repeats.

    Raises
    ------
    ConfigError
        One sentence naming --weights, for an unknown term or a value that is not a number of at least 0.
    """
    terms = list(Weights.model_fields)
    out: list[dict[str, float]] = [{}]
    for text in texts:
        variant: dict[str, float] = {}
        for part in text.split(","):
            term, _, value = part.partition("=")
            if term.strip() not in terms:
                raise ConfigError(f"--weights '{text}': unknown term '{term.strip()}'; use {', '.join(terms)}, like catchment=2.")
            try:
                variant[term.strip()] = float(value)
            except ValueError:
                raise ConfigError(f"--weights '{text}': '{value}' is not a number; write it like catchment=2.") from None
            if variant[term.strip()] < 0:
                raise ConfigError(f"--weights '{text}': weights are at least 0; write it like catchment=2.")
        if variant not in out:
            out.append(variant)
    return out


def doubled_weights(problem: Problem) -> list[dict[str, float]]:
    """The default weight variants of ``sweep --grid``: each non-zero weight of the config doubled in turn."""
    current = problem.weights.model_dump()
    return [{term: 2 * current[term]} for term in TERMS if current.get(term)]


def weights_label(weights: dict[str, float]) -> str:
    """'config' for the config's weights, else 'catchment=2,identity=4'."""
    return ",".join(f"{k}={v:g}" for k, v in weights.items()) or "config"


def grid_problem(problem: Problem, k: int, tolerance: float | None, weights: dict[str, float]) -> Problem:
    """``problem`` with ``k`` areas (bounds from ``tolerance`` or the config's size rule) and ``weights`` replaced."""
    other = problem.with_k(k, tolerance)
    return replace(other, weights=other.weights.model_copy(update=weights)) if weights else other


def sweep_point(cfg: Config, k: int, tolerance: float | None, weights: dict[str, float], threads: int) -> Solution:
    """One solve of a sweep: the task function of ``sweep`` (the problem is built once per worker process).

    Parameters
    ----------
    cfg : Config
        The config, command-line overrides applied (time limit, seed and solver from it).
    k : int
        Number of areas.
    tolerance : float or None
        Size tolerance; None for the config's size rule.
    weights : dict
        Weights that replace the config's (empty: the config's).
    threads : int
        Solver threads.

    Returns
    -------
    Solution
        The solver's result on :func:`grid_problem`.
    """
    problem = grid_problem(cached_problem(cfg), k, tolerance, weights)
    s = cfg.solver
    return solve(problem, time_limit=s.time_limit, backend=s.backend, seed=s.seed, gap=s.mip_gap, threads=threads)


def _point_key(weights: dict[str, float], tolerance: float | None, k: int, grid: bool) -> str:
    """The task key of one sweep solve: 'K=5', or in a grid 'catchment=2 · ±10 % · K=5'."""
    if not grid:
        return f"K={k}"
    tol = "config size rule" if tolerance is None else f"±{100 * tolerance:g} %"
    return f"{weights_label(weights)} · {tol} · K={k}"


def _describe_point(outcome: Outcome) -> str:
    return f"{outcome.value.status_text()} ({outcome.seconds:.1f} s)"


GRID_COLUMNS = ("weights", "tolerance", "K", "min", "max", "status", "objective", "max_dev_pct", "balance", "catchment",
                "identity", "compactness", "seconds")


def _whole(x: float) -> float | int:
    """A population bound as an int when it is whole (bounds are rounded inwards), for the table and CSV."""
    return int(x) if float(x).is_integer() else x


def grid_row(problem: Problem, weights: dict[str, float], tolerance: float | None, k: int, sol: Solution) -> dict[str, Any]:
    """One row of the sweep table (keys :data:`GRID_COLUMNS`); the scores are those of :mod:`wijkindeling.model.metrics`."""
    other = grid_problem(problem, k, tolerance, weights)
    tol = "config" if tolerance is None else f"{tolerance:g}"
    row: dict[str, Any] = {"weights": weights_label(weights), "tolerance": tol, "K": k, "min": _whole(other.lo), "max": _whole(other.hi),
                           "status": sol.status_text(), "seconds": round(sol.seconds, 1)}
    if sol.labels is not None:
        s = score(other, sol.labels)
        row.update({"objective": round(s.objective, 6), "max_dev_pct": round(100 * s.max_population_deviation, 3),
                    "balance": round(s.balance, 6), "catchment": round(s.catchment, 6), "identity": s.identity,
                    "compactness": round(s.compactness, 6)})
    return row


def _table(title: str, rows: list[dict[str, Any]], grid: bool) -> Table:
    table = Table(title=title)
    cols = (("weights", "tol") if grid else ()) + ("K", "size", "status", "objective", "max dev", "bal", "catch", "ident", "compact", "s")
    for col in cols:
        table.add_column(col, justify="left" if col in ("status", "weights") else "right", no_wrap=True)
    for r in rows:
        cells = [r["weights"], r["tolerance"]] if grid else []
        cells += [str(r["K"]), f"{fmt_int(r['min'])}–{fmt_int(r['max'])}", r["status"]]
        if "objective" in r:
            cells += [f"{r['objective']:.3f}", f"{r['max_dev_pct']:.1f} %", f"{r['balance']:.2f}", f"{r['catchment']:.2f}",
                      str(r["identity"]), f"{r['compactness']:.2f}"]
        else:
            cells += ["–"] * 6
        table.add_row(*cells, f"{r['seconds']:.1f}")
    return table


def _rule_text(problem: Problem, tolerances: list[float | None]) -> str:
    """The size rule(s) of a sweep for its title: absolute bounds, or the tolerances."""
    if tolerances == [None] and problem.sizes.absolute:
        return f"areas of {fmt_int(problem.lo)}–{fmt_int(problem.hi)} inhabitants"
    return ", ".join(f"±{100 * (problem.sizes.tolerance if t is None else t):g} %" for t in tolerances)


def write_grid_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    """The sweep table as CSV (comma-separated, point decimals, one row per solve; empty scores without a plan)."""
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=GRID_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


@click.command()
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("--areas", "-k", "areas", required=True, help="Area counts to try, e.g. 4-8 or 4,6,8.")
@click.option("--tolerance", default=None,
              help="Size tolerance(s), comma-separated, e.g. 0.10 or 0.10,0.15 (a grid); each replaces the config's size rule "
                   "(default: areas.tolerance, or the absolute areas.min_population/max_population where the config gives them).")
@click.option("--weights", "weight_sets", multiple=True, metavar="TERM=VALUE[,...]",
              help="A weight variant besides the config's weights, e.g. catchment=2 or identity=4,compactness=0.4 "
                   "(terms: balance, catchment, identity, compactness); repeat the option for more variants.")
@click.option("--grid", "as_grid", is_flag=True,
              help="Tabulate as a grid (weights × tolerance × K); without --weights the weight variants are the config's "
                   "weights and each of its non-zero weights doubled in turn.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), help="Also write the table to this CSV file.")
@click.option("--time-limit", type=click.FloatRange(min=0.1), help="Solver time limit per solve in seconds.")
@click.option("--seed", type=int, help="Random seed.")
@execution_options
@show_warnings
def sweep(config: str, areas: str, tolerance: str | None, weight_sets: tuple[str, ...], as_grid: bool, csv_path: str | None,
          time_limit: float | None, seed: int | None, workers: int | None, scheduler: str | None, threads: int) -> None:
    """Tabulate the best plan for every number of areas in --areas (nothing is written unless --csv).

    With several --tolerance values or --weights variants it is a grid: every weight variant × tolerance × K is one
    solve. The solves run at the same time (--workers, --scheduler); the table is in that order whatever finishes first.
    """
    cfg = load(config, None, time_limit, seed)
    problem = cached_problem(cfg)
    ks = parse_range(areas, problem.n)
    tolerances = parse_tolerances(tolerance)
    variants = parse_weights(weight_sets)
    if as_grid and not weight_sets:
        variants += doubled_weights(problem)
    points = [(w, tol, k) for w in variants for tol in tolerances for k in ks]
    grid = as_grid or len(tolerances) > 1 or len(variants) > 1
    tasks = [Task(_point_key(w, tol, k, grid), sweep_point, (cfg, k, tol, w, threads)) for w, tol, k in points]
    name = problem.provenance.gemeente or ""
    outcomes = task_runner(workers, scheduler, f"{name} sweep ({len(tasks)} solves)", _describe_point)(tasks)
    rows = [grid_row(problem, w, tol, k, o.value) for (w, tol, k), o in zip(points, outcomes) if o.ok]
    _wide().print(_table(f"{name}: best plan per {'weights, tolerance and ' if grid else ''}number of areas "
                         f"({_rule_text(problem, tolerances)})", rows, grid))
    for o in outcomes:
        if o.ok and o.value.labels is None and o.value.message:
            console.print(f"{o.key}: {o.value.message}")
    if csv_path:
        write_grid_csv(Path(csv_path), rows)
        click.echo(f"Written to {csv_path}")
    raise_failures(outcomes, "the table leaves them out")


def plan_scenario(path: Path) -> str:
    """The scenario a plan file belongs to: its folder for a scenario's ``plan.csv``/``plan.gpkg``, else the file's stem."""
    return path.resolve().parent.name if path.stem == "plan" and path.suffix in (".csv", ".gpkg") else path.stem


@click.command()
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("--plan", "plan_path", required=True, help="plan.csv (buurtcode,area), plan.gpkg, a polygon layer (.gpkg/.geojson/.shp) or cbs-wijken.")
@click.option("--layer", default=None, help="Layer to read from a GeoPackage plan.")
@click.option("--field", "field_name", default=None, help="Field with the area name in a polygon layer.")
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON.")
@click.option("--profile", "show_profile", is_flag=True, help="Also print the startfoto (indicators per area).")
@show_warnings
def evaluate(config: str, plan_path: str, layer: str | None, field_name: str | None, as_json: bool, show_profile: bool) -> None:
    """Score an existing division (PLAN) with the same metrics as the optimiser."""
    cfg = load(config)
    problem = build_problem(cfg)
    if plan_path.lower() not in CBS_WIJKEN and not Path(plan_path).exists():
        raise ConfigError(f"{plan_path}: file not found; give the path of a plan.csv with columns buurtcode,area.")
    labels, names = read_plan(plan_path, problem, layer, field_name)
    problem = problem_for_plan(problem, names)
    if as_json:
        click.echo(json.dumps(metrics_record(problem, labels, None, plan_scenario(Path(plan_path))), indent=2, ensure_ascii=False))
    else:
        print_summary(problem, labels, "given plan")
        if show_profile:
            print_profile(problem, labels)
