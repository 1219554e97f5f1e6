"""The ``blueprint``, ``region`` and ``init`` commands (registered on the main CLI group in cli.py).

Heavy modules (optimiser, WeasyPrint, python-docx) are imported inside the commands so
``wijkindeling --help`` stays fast.
"""

from __future__ import annotations

import functools
from pathlib import Path

import click


def user_errors(func):
    """The main CLI's error handling (one sentence, exit code 2), looked up at call time: cli.py imports this module."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from ..cli import user_errors as handle

        return handle(func)(*args, **kwargs)

    return wrapper

FORMAT_HELP = "Comma-separated formats to write: html,pdf,docx (default: all three)."


def _print_written(written) -> None:
    for fmt, path in written.files.items():
        click.echo(f"  {fmt:4s} {path}")


def document_options(region: bool):
    """The options ``blueprint`` and ``region`` share: language, formats, time limits, variants, output, force."""
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

    def apply(func):
        for option in reversed(options):
            func = option(func)
        return func

    return apply


@click.command("blueprint")
@click.argument("config", type=click.Path(dir_okay=False))
@document_options(region=False)
@user_errors
def blueprint_cmd(config: str, lang: str | None, formats: str, time_limit: float | None, variant_time_limit: float | None,
                  no_variants: bool, out: str | None, force: bool) -> None:
    """Write the handreiking (blueprint) of the municipality in CONFIG: HTML, PDF and DOCX."""
    from ..cli import _load, console
    from . import parse_formats, write_blueprint

    fmts = parse_formats(formats)
    cfg = _load(config)
    written = write_blueprint(cfg, lang, fmts, force, time_limit, variant_time_limit, not no_variants,
                              out=Path(out) if out else None)
    result = written.results[0]
    status = result.solution.status_text()
    console.print(f"{result.problem.meta.get('gemeente')}: {result.problem.k} area{'' if result.problem.k == 1 else 's'}, {status}; "
                  f"{len(result.variants)} variants; {written.seconds:.1f} s")
    if result.problem.meta.get("practices_fictional"):
        console.print("[bold]Note:[/bold] the practices are FICTIONAL examples; the document says so on every page where they appear.")
    click.echo(f"Written to {written.folder}")
    _print_written(written)


@click.command("region")
@click.argument("region_config", type=click.Path(dir_okay=False))
@document_options(region=True)
@user_errors
def region_cmd(region_config: str, lang: str | None, formats: str, time_limit: float | None, variant_time_limit: float | None,
               no_variants: bool, out: str | None, force: bool) -> None:
    """Run every municipality config that extends REGION_CONFIG; write each one's outputs and one regional handreiking."""
    from ..cli import console, fmt_int
    from . import parse_formats, region_members, write_region

    fmts = parse_formats(formats)
    _, members, _ = region_members(Path(region_config))  # a broken config is reported alone, before anything else
    click.echo(f"{len(members)} municipality configs extend {region_config}: {', '.join(m.name for m in members)}")

    def progress(result, seconds: float) -> None:
        p = result.problem
        console.print(f"  {p.meta.get('gemeente')}: {p.n} buurten, {fmt_int(p.total)} inhabitants, {p.k} area{'' if p.k == 1 else 's'}, "
                      f"{result.solution.status_text()} ({seconds:.1f} s)")

    written = write_region(Path(region_config), lang, fmts, force, time_limit, variant_time_limit, not no_variants,
                           out=Path(out) if out else None, progress=progress)
    click.echo(f"Regional handreiking written to {written.folder} in {written.seconds:.1f} s")
    _print_written(written)


@click.command("init")
@click.argument("gemeente")
@click.option("--region", "region_config", default="configs/regio-utrecht-noordwest.yaml", show_default=True,
              type=click.Path(dir_okay=False), help="Regional config to extend (its data file is searched).")
@click.option("--out", type=click.Path(dir_okay=False), help="Config file to write (default: configs/<gemeente>.yaml next to the regional file).")
@click.option("--force", is_flag=True, help="Overwrite an existing config.")
@user_errors
def init_cmd(gemeente: str, region_config: str, out: str | None, force: bool) -> None:
    """Scaffold configs/<gemeente>.yaml for GEMEENTE (CBS code like GM0589, or name) from the regional template."""
    from .scaffold import scaffold, write_scaffold

    sc = scaffold(gemeente, Path(region_config), Path(out) if out else None)
    path = write_scaffold(sc, force)
    click.echo(f"Written {path}: {sc.name} ({sc.code}), {sc.k} area(s), tolerance {sc.tolerance}, "
               f"{len(sc.kernen)} kernen ({', '.join(sc.kernen) or 'none'}).")
    click.echo("Next steps:")
    click.echo(f"  wijkindeling validate {path}")
    click.echo(f"  wijkindeling propose {path}")
    click.echo(f"  wijkindeling blueprint {path}")
    click.echo(f"  wijkindeling region {region_config}")
