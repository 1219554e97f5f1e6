"""The ``data`` command: CBS buurten and key figures for any Dutch municipality (PDOK and CBS StatLine)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from ..sources.cbs import default_cache_dir, fetch_dataset, write_dataset
from ..text import format_int as fmt_int
from .common import show_warnings


@click.command("data")
@click.argument("gemeente")
@click.option("--year", type=int, default=2024, show_default=True, help="Year of the CBS wijk- en buurtindeling and key figures.")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Folder to write (default: data/<gemeente>/ under the current folder).")
@click.option("--cache", type=click.Path(file_okay=False), default=None,
              help=f"Cache of the raw answers (default: $WIJKINDELING_CACHE/cbs or ~/.cache/wijkindeling/cbs, here {default_cache_dir()}).")
@click.option("--refresh", is_flag=True, help="Fetch again even when the cache has a copy.")
@click.option("--force", is_flag=True, help="Also overwrite an existing regio-<gemeente>.yaml (it may have your edits).")
@show_warnings
def data_cmd(gemeente: str, year: int, out: str | None, cache: str | None, refresh: bool, force: bool) -> None:
    """Fetch GEMEENTE's buurten (name or CBS code, e.g. Woerden or GM0632) with CBS key figures, for `init`.

    Buurt polygons and inhabitants come from PDOK (CBS Wijken en Buurten), the key figures from CBS StatLine
    (Kerncijfers wijken en buurten) through cbsodata. Answers are cached; a second run works offline.
    """
    err = Console(stderr=True)
    with err.status(f"CBS data for {gemeente} ({year})") as status:
        ds = fetch_dataset(gemeente, year, Path(cache) if cache else None, refresh,
                           progress=lambda text: status.update(f"CBS data for {gemeente} ({year}): {text}"))
    folder = Path(out) if out else Path("data") / ds.slug
    written = write_dataset(ds, folder, force)
    sources = ds.provenance["sources"]
    origin = "from the cache" if all(s["from_cache"] for s in sources) else "fetched"
    click.echo(f"{ds.name} ({ds.code}): {len(ds.buurten)} buurten, {fmt_int(int(ds.buurten['aantal_inwoners'].sum()))} inhabitants, "
               f"{len(ds.indicators.columns) - 1} StatLine columns per buurt ({origin}; {sources[0]['dataset']} via PDOK, StatLine {ds.table}).")
    for note in ds.notes:
        click.echo(f"Note: {note}")
    click.echo(f"Written to {folder}: " + ", ".join(p.name for p in written.values()))
    region = written["region_config"]
    click.echo("Next steps:")
    click.echo(f"  wijkindeling init {ds.code} --region {region}")
    click.echo(f"  wijkindeling validate {region.parent / (ds.slug + '.yaml')}")
    click.echo(f"  wijkindeling propose {region.parent / (ds.slug + '.yaml')}")
