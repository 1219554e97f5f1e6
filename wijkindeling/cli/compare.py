"""The ``compare`` and ``import`` commands.

A PLAN argument is a ``plan.csv`` (buurtcode,area), a plan.gpkg written by wijkindeling, a
GeoPackage/GeoJSON/shapefile of area polygons (buurten go to the polygon covering most of
them), or ``cbs-wijken`` for the municipality's CBS wijken as areas.
"""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from ..build import build_problem
from ..errors import ConfigError
from ..report.compare import Comparison, compare, compare_dir, format_value, load_plan, write_comparison
from ..report.outputs import atomic_dir, scenario_dir, write_run
from ..report.plans import problem_for_plan, read_plan
from .common import console, fmt_int, load, print_summary, show_warnings

PLAN_HELP = "plan.csv, plan.gpkg, a polygon layer (.gpkg/.geojson/.shp) or cbs-wijken"


@click.command("compare")
@click.argument("config", type=click.Path(dir_okay=False))
@click.argument("plans", nargs=-1, required=True)
@click.option("--name", "names", multiple=True, help="Name of each plan in the table, in order (default: scenario folder or file name).")
@click.option("--layer", default=None, help="Layer to read from GeoPackage plans (default: 'buurten' of a plan.gpkg, else the first polygon layer).")
@click.option("--field", "field_name", default=None, help="Field with the area name in polygon layers (default: area/gebied/naam/name/wijknaam...).")
@click.option("--out", type=click.Path(file_okay=False), help="Output base folder (default: output.dir).")
@click.option("--force", is_flag=True, help="Overwrite an existing compare folder.")
@click.option("--no-png", is_flag=True, help="Skip compare.png (faster).")
@show_warnings
def compare_cmd(config: str, plans: tuple[str, ...], names: tuple[str, ...], layer: str | None, field_name: str | None,
                out: str | None, force: bool, no_png: bool) -> None:
    """Compare two or more divisions (PLANS) of the municipality in CONFIG: scores, winners, moved buurten, maps."""
    if len(plans) < 2:
        raise ConfigError(f"compare: got {len(plans)} plan; give at least two PLANS ({PLAN_HELP}).")
    if names and len(names) != len(plans):
        raise ConfigError(f"compare: --name was given {len(names)} times for {len(plans)} plans; give one --name per plan or none.")
    cfg = load(config)
    problem = build_problem(cfg)
    entries = [load_plan(problem, spec, names[i] if names else None, layer, field_name) for i, spec in enumerate(plans)]
    comp = compare(entries)
    target = compare_dir(Path(out) if out else cfg.output.dir, problem, comp.names)
    title = f"{problem.provenance.gemeente or ''}: " + " vs ".join(comp.names)
    with atomic_dir(target, force) as tmp:
        write_comparison(comp, tmp, title, with_png=not no_png)
    print_comparison(comp)
    click.echo(f"Written to {target}")


def print_comparison(comp: Comparison) -> None:
    """Print the score table (winner per row), the hard-rule violations and the moved buurten on the terminal."""
    table = Table(title="Scores side by side (every number from metrics.py)")
    table.add_column("score")
    for n in comp.names:
        table.add_column(n, justify="right")
    table.add_column("best")
    for r in comp.rows:
        table.add_row(r["label_en"], *[format_value(r["key"], v, "en") for v in r["values"]],
                      "tie" if r["winner"] == "gelijk" else r["winner"])
    console.print(table)
    for e in comp.entries:
        if e.scores.violations:
            console.print(f"[red]{e.name} breaks hard rules:[/red] " + "; ".join(e.scores.violations))
    moved = Table(title=f"Buurten that change area relative to {comp.names[0]} ({len(comp.changes)})")
    for col in ("plan", "buurt", "inhabitants", f"area in {comp.names[0]}", "area in plan"):
        moved.add_column(col)
    for c in comp.changes:
        moved.add_row(c["plan"], f"{c['buurtnaam']} ({c['buurtcode']})", fmt_int(c['population']), c["from_area"], c["to_area"])
    console.print(moved)


@click.command("import")
@click.argument("config", type=click.Path(dir_okay=False))
@click.argument("plan")
@click.option("--scenario", required=True, help="Name of the output folder, e.g. handgetekend or wijken-2023.")
@click.option("--layer", default=None, help="Layer to read from a GeoPackage.")
@click.option("--field", "field_name", default=None, help="Field with the area name in a polygon layer.")
@click.option("--out", type=click.Path(file_okay=False), help="Output base folder (default: output.dir).")
@click.option("--force", is_flag=True, help="Overwrite an existing scenario folder.")
@show_warnings
def import_cmd(config: str, plan: str, scenario: str, layer: str | None, field_name: str | None, out: str | None, force: bool) -> None:
    """Import a division (PLAN) as a scenario: plan.csv, plan.gpkg, metrics.json and maps, scored like a proposal."""
    cfg = load(config)
    problem = build_problem(cfg)
    labels, area_names = read_plan(plan, problem, layer, field_name)
    problem = problem_for_plan(problem, area_names)
    target = scenario_dir(Path(out) if out else cfg.output.dir, problem, scenario)
    write_run(problem, labels, target, None, scenario, force, extra={"imported_from": str(plan)})
    print_summary(problem, labels, "given plan")
    click.echo(f"Written to {target}")
