"""What every command shares: the console, loading a config with command-line overrides, the summary table,
warnings, and the one place where user errors become one sentence and an exit code."""

from __future__ import annotations

import functools
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

import click
import numpy as np
from rich.console import Console
from rich.table import Table

from ..config import Config, load_config
from ..errors import ConfigError, SolverMissingError
from ..execute import Describe, Runner, TaskDisplay, default_workers, run_tasks
from ..interrupts import EXIT_CODE as INTERRUPTED
from ..interrupts import MESSAGE as INTERRUPTED_MESSAGE
from ..interrupts import handled
from ..model.metrics import area_table, score
from ..model.problem import Problem
from ..model.startfoto import indicator_label, startfoto, value_text
from ..text import format_int as fmt_int

console = Console()

P = ParamSpec("P")
R = TypeVar("R")


def show_warnings(func: Callable[P, R]) -> Callable[P, R]:
    """Show the warnings a command raised (about the user's files) as ``Warning: ...`` lines after it succeeds.

    Shown (on stderr) are the warnings attributed to a file whose path contains ``wijkindeling``
    and those whose text starts with ``/`` (a path) or ``reprojected``; the others are dropped.

    Parameters
    ----------
    func : callable
        A command's function.

    Returns
    -------
    callable
        ``func`` wrapped; it records every warning while ``func`` runs.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = func(*args, **kwargs)
        for w in caught:
            if "wijkindeling" in str(w.filename) or str(w.message).startswith(("/", "reprojected")):
                click.echo(f"Warning: {w.message}", err=True)
        return result

    return wrapper


def execution_options(func: Callable[P, R]) -> Callable[P, R]:
    """Add ``--workers``, ``--scheduler`` and ``--threads``: where a command's many solves run (:mod:`wijkindeling.execute`).

    Parameters
    ----------
    func : callable
        A command's function; it receives ``workers``, ``scheduler`` and ``threads``.

    Returns
    -------
    callable
        ``func`` with the three options.
    """
    options = [
        click.option("--workers", type=click.IntRange(min=1), default=None,
                     help=f"Local worker processes that solve at the same time (default: the number of cores, here {default_workers()}); "
                          "1 solves one after another in this process. The results do not depend on it."),
        click.option("--scheduler", default=None, metavar="ADDRESS",
                     help="Run the solves on an existing Dask cluster, e.g. tcp://10.0.0.5:8786 (see README); --workers is then ignored."),
        click.option("--threads", type=click.IntRange(min=1), default=1, show_default=True,
                     help="Solver threads per solve (replaces solver.threads; results do not depend on --workers, but may on --threads)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def task_runner(workers: int | None, scheduler: str | None, title: str, describe: Describe) -> Runner:
    """The runner of a command's tasks: :func:`wijkindeling.execute.run_tasks` with one progress display on stderr.

    Parameters
    ----------
    workers : int or None
        ``--workers``.
    scheduler : str or None
        ``--scheduler``.
    title : str
        The display's first words, e.g. ``"Woerden sweep"``.
    describe : callable
        The status text of a finished task.

    Returns
    -------
    callable
        Takes the tasks, returns their outcomes in task order.
    """
    display = TaskDisplay(title, Console(stderr=True))
    return functools.partial(run_tasks, workers=workers, scheduler=scheduler, display=display, describe=describe)


def load(config: str, areas: int | None = None, time_limit: float | None = None, seed: int | None = None) -> Config:
    """The config at ``config`` with the command line's overrides; an override that is None leaves the config's value.

    Parameters
    ----------
    config : str
        Path of the config file.
    areas : int, optional
        Number of areas (``areas.count``).
    time_limit : float, optional
        Solver time limit in seconds (``solver.time_limit``).
    seed : int, optional
        Random seed (``solver.seed``).

    Returns
    -------
    Config
        The loaded config, overrides applied.
    """
    cfg = load_config(config)
    if areas is not None:
        cfg.areas.count = areas
    if time_limit is not None:
        cfg.solver.time_limit = time_limit
    if seed is not None:
        cfg.solver.seed = seed
    return cfg


def print_summary(problem: Problem, labels: np.ndarray, status: str = "", seconds: float | None = None) -> None:
    """Print the per-area table and the scores on the terminal.

    Parameters
    ----------
    problem : Problem
        The problem the plan divides.
    labels : numpy.ndarray
        Area index per buurt, in the order of ``problem.codes``.
    status : str
        The solver's status text; empty for no status line.
    seconds : float, optional
        The solve time, shown after the status.
    """
    table = Table(title=f"{problem.provenance.gemeente or ''}: {problem.k} areas, {fmt_int(problem.lo)}–{fmt_int(problem.hi)} inhabitants each")
    for col in ("area", "inhabitants", "deviation", "buurten", "practices", "patients in own area"):
        table.add_column(col, justify="right" if col != "area" else "left", overflow="fold" if col == "area" else "ellipsis")
    for row in area_table(problem, labels):
        own = "–" if row["patients_in_own_area"] is None else f"{100 * row['patients_in_own_area']:.1f} %"
        table.add_row(row["name"], fmt_int(row["population"]), f"{100 * row['deviation']:+.1f} %", str(row["n_buurten"]), str(len(row["practices"])), own)
    (console if console.is_terminal else Console(width=120)).print(table)  # a log or pipe gets whole area names
    s = score(problem, labels)
    own = "n/a (no practices)" if s.patients_in_own_area is None else f"{100 * s.patients_in_own_area:.1f} %"
    if s.patients_in_own_area is not None and problem.provenance.catchment_estimated:
        own += " (estimated)"
    console.print(
        f"max deviation {100 * s.max_population_deviation:.1f} % · patients in own area {own} · "
        f"identity splits {s.identity_splits} · cut boundary {s.cut_boundary_km:.1f} km · objective {s.objective:.3f}"
    )
    if status:
        console.print(f"status: {status}" + (f" · {seconds:.1f} s" if seconds is not None else ""))
    if problem.provenance.practices_fictional:
        console.print("[bold]Note:[/bold] the practices are FICTIONAL examples; give your own list in practices.path.")
    if not s.valid:
        console.print("[red]This plan breaks hard rules:[/red] " + "; ".join(s.violations))


def print_profile(problem: Problem, labels: np.ndarray, per_table: int = 6) -> None:
    """Print the startfoto: every indicator per area next to the municipality's value (``--profile``).

    Values come from :func:`wijkindeling.model.startfoto.startfoto` and are written by
    :func:`wijkindeling.text.format_indicator`, as in metrics.json, the map and the handreiking.

    Parameters
    ----------
    problem : Problem
        The problem the plan divides.
    labels : numpy.ndarray
        Area index per buurt.
    per_table : int
        Areas per table (more areas are printed in several tables).
    """
    foto = startfoto(problem, labels, "en")
    names = problem.area_names
    out = console if console.is_terminal else Console(width=160)  # a file or pipe gets whole tables
    per_table = max(2, min(per_table, (out.width - 36) // 13))
    for start in range(0, problem.k, per_table):
        part = list(range(start, min(start + per_table, problem.k)))
        table = Table(title="Area profiles (startfoto)" if start == 0 else None)
        table.add_column("indicator", justify="left", min_width=24, max_width=44)
        for k in part:
            table.add_column(names[k], justify="right")
        table.add_column("municipality", justify="right")
        for ind in foto.indicators:
            cells = [value_text(ind, foto.areas[k][ind.key], "en") for k in part]
            table.add_row(indicator_label(ind), *cells, value_text(ind, foto.whole[ind.key], "en"))
        out.print(table)
    out.print(f"unknown: a value known for less than {100 * foto.min_coverage:.0f} % of the inhabitants "
                  "(data.min_coverage); metrics.json gives every value's coverage.")


# Import names of optional or solver packages -> what to pip install, and an alternative.
PACKAGES = {
    "highspy": ("highspy", " or set solver.backend: cbc in the config"),
    "cbcbox": ("cbcbox", " or set solver.backend: highs in the config"),
    "docx": ("python-docx", " or leave docx out of --format"),
    "weasyprint": ("weasyprint", " or leave pdf out of --format"),
    "osmnx": ("osmnx", " or set practices.source and barriers without OSM"),
}


def missing_package_message(module: str) -> str:
    """One sentence for a package that is not installed: which one and how to get it.

    Parameters
    ----------
    module : str
        The module that failed to import (``ImportError.name``).

    Returns
    -------
    str
        The pip package to install (from :data:`PACKAGES`, else the top-level module name) and an alternative when there is one.
    """
    top = module.split(".")[0]
    pip, alternative = PACKAGES.get(top, (top, ""))
    return (f"the Python package '{pip}' is not installed (module {module}); run `.venv/bin/pip install {pip}` "
            f"or `make install`{alternative}.")


def exit_code(err: BaseException) -> int | None:
    """The one place user errors become one sentence on stderr: returns the exit code, or None for a bug.

    ConfigError (and its DataError/GraphError kin), a missing solver, a file the system refuses and a
    missing optional package each print ``Error: <one sentence>`` and give exit code 2; Ctrl-C or
    SIGTERM prints one line and gives 130.

    Parameters
    ----------
    err : BaseException
        What a command raised.

    Returns
    -------
    int or None
        The exit code, after printing the message; None when ``err`` is not a user error (a bug).
    """
    if isinstance(err, KeyboardInterrupt):
        handled()
        click.echo(INTERRUPTED_MESSAGE, err=True)
        return INTERRUPTED
    if isinstance(err, (ConfigError, SolverMissingError)):
        click.echo(f"Error: {err}", err=True)
        return 2
    if isinstance(err, OSError) and err.filename is not None:
        click.echo(f"Error: {err.filename}: {err.strerror or err}; check that the file or folder exists, "
                   "is readable/writable and that the disk has space.", err=True)
        return 2
    if isinstance(err, ImportError) and err.name and err.name.split(".")[0] != "wijkindeling":
        click.echo(f"Error: {missing_package_message(err.name)}", err=True)
        return 2
    return None


@contextmanager
def user_errors() -> Iterator[None]:
    """Run a command; a user error ends the process with its one sentence and exit code (:func:`exit_code`)."""
    try:
        yield
    except (KeyboardInterrupt, Exception) as err:
        code = exit_code(err)
        if code is None:
            raise
        sys.exit(code)
