"""Command line: ``wijkindeling validate | propose | evaluate`` (and more, see ``--help``).

User errors (config, data, plan files) print one sentence and exit with code 2; no traceback.
"""

from __future__ import annotations

import functools
import sys
import warnings
from pathlib import Path

import click
import numpy as np
from rich.console import Console
from rich.table import Table

from .config import ConfigError, load_config
from .interrupts import EXIT_CODE as INTERRUPTED, MESSAGE as INTERRUPTED_MESSAGE, handled, interrupt_guard
from .metrics import area_table, format_int as fmt_int, score
from .problem import Problem, build_problem

console = Console()


def user_errors(func):
    """Turn ConfigError (and its DataError/GraphError kin) into one line on stderr and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                result = func(*args, **kwargs)
            for w in caught:
                if "wijkindeling" in str(w.filename) or str(w.message).startswith(("/", "reprojected")):
                    click.echo(f"Warning: {w.message}", err=True)
            return result
        except ConfigError as err:
            click.echo(f"Error: {err}", err=True)
            sys.exit(2)

    return wrapper


def _load(config: str, areas: int | None = None, time_limit: float | None = None, seed: int | None = None):
    cfg = load_config(config)
    if areas is not None:
        cfg.areas.count = areas
    if time_limit is not None:
        cfg.solver.time_limit = time_limit
    if seed is not None:
        cfg.solver.seed = seed
    return cfg


def print_summary(problem: Problem, labels: np.ndarray, status: str = "", seconds: float | None = None) -> None:
    """The per-area table and the scores on the terminal."""
    table = Table(title=f"{problem.meta.get('gemeente') or ''}: {problem.k} areas, {fmt_int(problem.lo)}–{fmt_int(problem.hi)} inhabitants each")
    for col in ("area", "inhabitants", "deviation", "buurten", "practices", "patients in own area"):
        table.add_column(col, justify="right" if col != "area" else "left")
    for row in area_table(problem, labels):
        own = "–" if row["patients_in_own_area"] is None else f"{100 * row['patients_in_own_area']:.1f} %"
        table.add_row(row["name"], fmt_int(row["population"]), f"{100 * row['deviation']:+.1f} %", str(row["n_buurten"]), str(len(row["practices"])), own)
    console.print(table)
    s = score(problem, labels)
    own = "n/a (no practices)" if s.patients_in_own_area is None else f"{100 * s.patients_in_own_area:.1f} %"
    if s.patients_in_own_area is not None and problem.meta.get("catchment_estimated"):
        own += " (estimated)"
    console.print(
        f"max deviation {100 * s.max_population_deviation:.1f} % · patients in own area {own} · "
        f"identity splits {s.identity_splits} · cut boundary {s.cut_boundary_km:.1f} km · objective {s.objective:.3f}"
    )
    if status:
        console.print(f"status: {status}" + (f" · {seconds:.1f} s" if seconds is not None else ""))
    if problem.meta.get("practices_fictional"):
        console.print("[bold]Note:[/bold] the practices are FICTIONAL examples; give your own list in practices.path.")
    if not s.valid:
        console.print("[red]This plan breaks hard rules:[/red] " + "; ".join(s.violations))


# Import names of optional or solver packages -> what to pip install, and an alternative.
PACKAGES = {
    "highspy": ("highspy", " or set solver.backend: cbc in the config"),
    "cbcbox": ("cbcbox", " or set solver.backend: highs in the config"),
    "docx": ("python-docx", " or leave docx out of --format"),
    "weasyprint": ("weasyprint", " or leave pdf out of --format"),
    "osmnx": ("osmnx", " or set practices.source and barriers without OSM"),
}


def missing_package_message(module: str) -> str:
    """One sentence for a package that is not installed: which one and how to get it."""
    top = module.split(".")[0]
    pip, alternative = PACKAGES.get(top, (top, ""))
    return (f"the Python package '{pip}' is not installed (module {module}); run `.venv/bin/pip install {pip}` "
            f"or `make install`{alternative}.")


class SafeGroup(click.Group):
    """Every command: user errors as one line + exit 2, Ctrl-C/SIGTERM as one line + exit 130."""

    def invoke(self, ctx: click.Context):
        with interrupt_guard():
            try:
                return super().invoke(ctx)
            except KeyboardInterrupt:
                handled()
                click.echo(INTERRUPTED_MESSAGE, err=True)
                sys.exit(INTERRUPTED)
            except ConfigError as err:
                click.echo(f"Error: {err}", err=True)
                sys.exit(2)
            except OSError as err:
                if err.filename is None:
                    raise
                click.echo(f"Error: {err.filename}: {err.strerror or err}; check that the file or folder exists, "
                           "is readable/writable and that the disk has space.", err=True)
                sys.exit(2)
            except ImportError as err:
                if not err.name or err.name.split(".")[0] == "wijkindeling":
                    raise
                click.echo(f"Error: {missing_package_message(err.name)}", err=True)
                sys.exit(2)
            except RuntimeError as err:
                from .optimise.mip import SolverMissingError

                if not isinstance(err, SolverMissingError):
                    raise
                click.echo(f"Error: {err}", err=True)
                sys.exit(2)


@click.group(cls=SafeGroup)
@click.version_option(package_name="wijkindeling")
def main() -> None:
    """Divide a municipality's CBS buurten into contiguous areas for hechte wijkverbanden."""


@main.command()
@click.argument("config", type=click.Path(dir_okay=False))
@user_errors
def validate(config: str) -> None:
    """Check CONFIG and its data files; print what would be optimised."""
    cfg = _load(config)
    problem = build_problem(cfg)
    click.echo(
        f"{config}: OK — {problem.meta.get('gemeente') or 'region ' + str(cfg.region or '')} "
        f"({problem.meta.get('gemeentecode') or 'no gemeentecode: every buurt in the data file'}), {problem.n} buurten, "
        f"{fmt_int(problem.total)} inhabitants, {len(problem.edges)} neighbour pairs, {problem.k} areas of "
        f"{fmt_int(problem.lo)}–{fmt_int(problem.hi)}, {len(problem.groups)} identity groups, "
        f"{0 if problem.practices is None else len(problem.practices)} practices"
        + (" (FICTIONAL)" if problem.meta.get("practices_fictional") else "")
        + (", catchments estimated" if problem.meta.get("catchment_estimated") else "")
        + "."
    )


@main.command()
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("--areas", "-k", type=click.IntRange(min=1), help="Number of areas (overrides areas.count).")
@click.option("--scenario", default=None, help="Name of the output folder (default: config's scenario).")
@click.option("--time-limit", type=click.FloatRange(min=0.1), help="Solver time limit in seconds.")
@click.option("--seed", type=int, help="Random seed.")
@click.option("--out", "out", type=click.Path(file_okay=False), help="Output base folder (default: output.dir).")
@click.option("--force", is_flag=True, help="Overwrite an existing scenario folder.")
@click.option("--alternatives", "n_alternatives", type=click.IntRange(min=1), default=1, show_default=True,
              help="Give N different good plans (best first) with their scores; plans 2..N go to alternatives/.")
@user_errors
def propose(config: str, areas: int | None, scenario: str | None, time_limit: float | None, seed: int | None, out: str | None,
            force: bool, n_alternatives: int) -> None:
    """Propose a division of the municipality in CONFIG and write its outputs."""
    from .optimise import alternatives, solve
    from .optimise.progress import RichProgress
    from .outputs import check_target, scenario_dir, stopped_by, write_run

    cfg = _load(config, areas, time_limit, seed)
    problem = build_problem(cfg)
    scenario = scenario or cfg.scenario
    target = scenario_dir(Path(out) if out else cfg.output.dir, problem, scenario)
    check_target(target, force)  # also tidies what killed runs left behind
    click.echo(f"Optimising {problem.n} buurten into {problem.k} areas (time limit {cfg.solver.time_limit:g} s; "
               "Ctrl-C stops without writing)...", err=True)
    solver_args = dict(time_limit=cfg.solver.time_limit, backend=cfg.solver.backend, seed=cfg.solver.seed,
                       gap=cfg.solver.mip_gap, threads=cfg.solver.threads)
    with RichProgress() as progress:
        if n_alternatives > 1:
            plans = alternatives(problem, n_alternatives, progress=progress, **solver_args)
        else:
            plans = [solve(problem, progress=progress, **solver_args)]
    sol = plans[0]
    if not sol.found:
        if sol.status == "no_solution" and not sol.message:
            click.echo(f"No plan: the solver found none within its time limit of {cfg.solver.time_limit:g} s; "
                       "raise solver.time_limit (or use --time-limit); nothing was written.", err=True)
        else:
            click.echo(f"No plan: {(sol.message or sol.status_text()).rstrip('. ')}; nothing was written.", err=True)
        sys.exit(1)
    settings = {"backend": cfg.solver.backend, "time_limit": cfg.solver.time_limit, "mip_gap": cfg.solver.mip_gap,
                "seed": cfg.solver.seed, "threads": cfg.solver.threads}
    write_run(problem, sol.labels, target, sol, scenario, force, solver_settings=settings,
              alternatives=[plan.labels for plan in plans[1:]])
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


def print_alternatives(problem: Problem, plans: list, target: Path) -> None:
    """Table of the alternative plans' scores (plans 2..N were written to ``target/alternatives/`` by write_run)."""
    from .outputs import ALTERNATIVES_DIR

    table = Table(title=f"{len(plans)} different plans (best first)")
    for col in ("plan", "objective", "status", "max dev", "bal", "catch", "ident", "compact", "moved"):
        table.add_column(col, justify="left" if col in ("plan", "status") else "right", no_wrap=True)
    folder = target / ALTERNATIVES_DIR
    for i, plan in enumerate(plans, start=1):
        s = score(problem, plan.labels)
        moved = int((plan.labels != plans[0].labels).sum())
        table.add_row(str(i), f"{s.objective:.3f}", plan.status_text(), f"{100 * s.max_population_deviation:.1f} %",
                      f"{s.balance:.2f}", f"{s.catchment:.2f}", str(s.identity), f"{s.compactness:.2f}", str(moved))
    _wide().print(table)
    console.print(f"Plan 1 is plan.csv; plans 2..{len(plans)} are in {folder}/plan-<i>.csv "
                  "(moved = buurten in another area than in plan 1; gap = distance to the best possible plan).")


def parse_range(text: str, n: int | None = None) -> list[int]:
    """'4-8' or '4,6,8' or '5' -> sorted list of K, each from 1 to ``n`` (the number of buurten, when given).

    Anything else is a one-sentence ConfigError naming --areas and the valid range.
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


@main.command()
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("--areas", "-k", "areas", required=True, help="Area counts to try, e.g. 4-8 or 4,6,8.")
@click.option("--tolerance", type=click.FloatRange(min=0.0, max=1.0), help="Size tolerance (default: areas.tolerance).")
@click.option("--time-limit", type=click.FloatRange(min=0.1), help="Solver time limit per K in seconds.")
@click.option("--seed", type=int, help="Random seed.")
@user_errors
def sweep(config: str, areas: str, tolerance: float | None, time_limit: float | None, seed: int | None) -> None:
    """Tabulate the best plan for every number of areas in --areas (nothing is written)."""
    from .optimise import sweep as run_sweep
    from .optimise.progress import RichProgress

    cfg = _load(config, None, time_limit, seed)
    problem = build_problem(cfg)
    ks = parse_range(areas, problem.n)
    tol = cfg.areas.tolerance if tolerance is None else tolerance
    table = Table(title=f"{problem.meta.get('gemeente') or ''}: best plan per number of areas (±{100 * tol:g} %)")
    for col in ("K", "size", "status", "objective", "max dev", "bal", "catch", "ident", "compact", "s"):
        table.add_column(col, justify="left" if col == "status" else "right", no_wrap=True)
    notes = []
    for k in ks:
        with RichProgress(label=f"K={k}") as progress:
            rows = run_sweep(problem, [k], tolerance=tol, time_limit=cfg.solver.time_limit, backend=cfg.solver.backend,
                             seed=cfg.solver.seed, gap=cfg.solver.mip_gap, threads=cfg.solver.threads, progress=progress)
        if not rows:
            notes.append(f"K={k}: more areas than the {problem.n} buurten")
            continue
        sol = rows[0].solution
        other = problem.with_k(k, tol)
        size = f"{fmt_int(other.lo)}–{fmt_int(other.hi)}"
        if sol.found:
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


@main.command()
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("--plan", "plan_path", required=True, help="plan.csv (buurtcode,area), plan.gpkg, a polygon layer (.gpkg/.geojson/.shp) or cbs-wijken.")
@click.option("--layer", default=None, help="Layer to read from a GeoPackage plan.")
@click.option("--field", "field_name", default=None, help="Field with the area name in a polygon layer.")
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON.")
@user_errors
def evaluate(config: str, plan_path: str, layer: str | None, field_name: str | None, as_json: bool) -> None:
    """Score an existing division (PLAN) with the same metrics as the optimiser."""
    import json

    from .outputs import metrics_record
    from .plan import CBS_WIJKEN, problem_for_plan, read_plan

    cfg = _load(config)
    problem = build_problem(cfg)
    if plan_path.lower() not in CBS_WIJKEN and not Path(plan_path).exists():
        raise ConfigError(f"{plan_path}: file not found; give the path of a plan.csv with columns buurtcode,area.")
    labels, names = read_plan(plan_path, problem, layer, field_name)
    problem = problem_for_plan(problem, names)
    if as_json:
        click.echo(json.dumps(metrics_record(problem, labels, None, Path(plan_path).stem), indent=2, ensure_ascii=False))
    else:
        print_summary(problem, labels, "given plan")


# Handreiking commands (issue 5): blueprint, region, init.
from .blueprint.commands import blueprint_cmd, init_cmd, region_cmd  # noqa: E402

main.add_command(blueprint_cmd)
main.add_command(region_cmd)
main.add_command(init_cmd)

# Comparing and importing divisions (issue 4): compare, import.
from .compare_commands import compare_cmd, import_cmd  # noqa: E402

main.add_command(compare_cmd)
main.add_command(import_cmd)

if __name__ == "__main__":
    main()
