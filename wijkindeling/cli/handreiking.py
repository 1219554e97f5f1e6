"""The handreiking commands: ``blueprint``, ``region`` and ``init``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from ..report.handreiking import Written, parse_formats, region_members, write_blueprint, write_region
from ..report.handreiking.analysis import MunicipalityResult, describe
from ..scaffold import scaffold, write_scaffold
from .common import console, execution_options, fmt_int, load, show_warnings, task_runner

FORMAT_HELP = "Comma-separated formats to write: html,pdf,docx (default: all three)."

F = TypeVar("F", bound=Callable[..., Any])


def _print_written(written: Written) -> None:
    for fmt, path in written.files.items():
        click.echo(f"  {fmt:4s} {path}")


def document_options(region: bool) -> Callable[[F], F]:
    """The options ``blueprint`` and ``region`` share: language, formats, time limits, variants, output, force.

    Parameters
    ----------
    region : bool
        Word the help texts for ``region`` (many documents) instead of ``blueprint`` (one).

    Returns
    -------
    callable
        A decorator that adds the options to a command function (``--help`` lists them in this order).
    """
    what = "documents" if region else "document"
    options = [
        click.option("--lang", type=click.Choice(["nl", "en"]), default=None,
                     help=f"Language of the {what} (default: output.lang, nl)."),
        click.option("--format", "formats", default="html,pdf,docx", show_default=True, help=FORMAT_HELP),
        click.option("--time-limit", type=click.FloatRange(min=0.1),
                     help="Time limit per proposal in seconds (default: each config's solver.time_limit)." if region
                     else "Time limit for the proposal in seconds (default: solver.time_limit)."),
        click.option("--variant-time-limit", type=click.FloatRange(min=0.1),
                     help="Time limit per sensitivity variant (default: min(time limit, 20 s))."),
        click.option("--no-variants", is_flag=True, help="Skip the sensitivity variants (K-1, K+1, one weight doubled)."),
        click.option("--out", type=click.Path(file_okay=False),
                     help="Output base folder (default: output.dir" + (" of the regional config)." if region else ").")),
        click.option("--force", is_flag=True,
                     help="Overwrite existing handreiking folders." if region else "Overwrite an existing handreiking folder."),
    ]

    def apply(func: F) -> F:
        for option in reversed(options):
            func = option(func)
        return func

    return apply


@click.command("blueprint")
@click.argument("config", type=click.Path(dir_okay=False))
@document_options(region=False)
@execution_options
@show_warnings
def blueprint_cmd(config: str, lang: str | None, formats: str, time_limit: float | None, variant_time_limit: float | None,
                  no_variants: bool, out: str | None, force: bool, workers: int | None, scheduler: str | None,
                  threads: int) -> None:
    """Write the handreiking (blueprint) of the municipality in CONFIG: HTML, PDF and DOCX.

    The proposal and its variants are solved at the same time (--workers, --scheduler).
    """
    fmts = parse_formats(formats)
    cfg = load(config)
    runner = task_runner(workers, scheduler, f"{Path(config).name}: proposal and variants", describe)
    written = write_blueprint(cfg, lang, fmts, force, time_limit, variant_time_limit, not no_variants, threads=threads,
                              out=Path(out) if out else None, runner=runner)
    result = written.results[0]
    status = result.solution.status_text()
    console.print(f"{result.problem.provenance.gemeente}: {result.problem.k} area{'' if result.problem.k == 1 else 's'}, {status}; "
                  f"{len(result.variants)} variants; {written.seconds:.1f} s")
    if result.problem.provenance.practices_fictional:
        console.print("[bold]Note:[/bold] the practices are FICTIONAL examples; the document says so on every page where they appear.")
    click.echo(f"Written to {written.folder}")
    _print_written(written)


@click.command("region")
@click.argument("region_config", type=click.Path(dir_okay=False))
@document_options(region=True)
@execution_options
@show_warnings
def region_cmd(region_config: str, lang: str | None, formats: str, time_limit: float | None, variant_time_limit: float | None,
               no_variants: bool, out: str | None, force: bool, workers: int | None, scheduler: str | None, threads: int) -> None:
    """Run every municipality config that extends REGION_CONFIG; write each one's outputs and one regional handreiking.

    Every proposal and variant is a task; they run at the same time (--workers, --scheduler) and the documents
    are written when all are done (a failed task: the others finish, the regional handreiking is not written, exit 2).
    """
    fmts = parse_formats(formats)
    _, members, _ = region_members(Path(region_config))  # a broken config is reported alone, before anything else
    click.echo(f"{len(members)} municipality configs extend {region_config}: {', '.join(m.name for m in members)}")

    def progress(result: MunicipalityResult, seconds: float) -> None:
        p = result.problem
        console.print(f"  {p.provenance.gemeente}: {p.n} buurten, {fmt_int(p.total)} inhabitants, {p.k} area{'' if p.k == 1 else 's'}, "
                      f"{result.solution.status_text()} ({seconds:.1f} s)")

    runner = task_runner(workers, scheduler, f"{Path(region_config).name}: {len(members)} municipalities", describe)
    written = write_region(Path(region_config), lang, fmts, force, time_limit, variant_time_limit, not no_variants,
                           threads=threads, out=Path(out) if out else None, progress=progress, runner=runner)
    click.echo(f"Regional handreiking written to {written.folder} in {written.seconds:.1f} s")
    _print_written(written)


@click.command("init")
@click.argument("gemeente")
@click.option("--region", "region_config", default="configs/regio-utrecht-noordwest.yaml", show_default=True,
              type=click.Path(dir_okay=False), help="Regional config to extend (its data file is searched).")
@click.option("--out", type=click.Path(dir_okay=False), help="Config file to write (default: configs/<gemeente>.yaml next to the regional file).")
@click.option("--force", is_flag=True, help="Overwrite an existing config.")
@show_warnings
def init_cmd(gemeente: str, region_config: str, out: str | None, force: bool) -> None:
    """Scaffold configs/<gemeente>.yaml for GEMEENTE (CBS code like GM0589, or name) from the regional template."""
    sc = scaffold(gemeente, Path(region_config), Path(out) if out else None)
    path = write_scaffold(sc, force)
    click.echo(f"Written {path}: {sc.name} ({sc.code}), {sc.k} area(s), tolerance {sc.tolerance}, "
               f"{len(sc.kernen)} kernen ({', '.join(sc.kernen) or 'none'}).")
    click.echo("Next steps:")
    click.echo(f"  wijkindeling validate {path}")
    click.echo(f"  wijkindeling propose {path}")
    click.echo(f"  wijkindeling blueprint {path}")
    click.echo(f"  wijkindeling region {region_config}")
