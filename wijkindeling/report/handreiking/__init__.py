"""The handreiking (blueprint): a document generated from the configs and the results.

``write_blueprint(config)`` optimises one municipality (proposal + sensitivity variants) and
writes ``outputs/<gemeente>/handreiking/``: ``handreiking.html`` (self-contained),
``handreiking.pdf`` and ``handreiking.docx``, next to the run it reports on (``voorstel/`` with
plan.csv, metrics.json, maps) and ``varianten.json``. ``write_region(regional_config)`` does this
for every municipality config that extends the regional file and adds one regional handreiking
in ``outputs/<regio>/handreiking/``.
"""

from __future__ import annotations

import html
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ...build import cached_problem
from ...config import Config, load_config
from ...errors import ConfigError
from ...execute import Outcome, Runner, Task, raise_failures, run_in_process
from ...model.names import name_areas
from ...model.startfoto import startfoto
from ...text import slug
from ..notes import NOTES_FILE, read_notes
from ..outputs import atomic_dir, scenario_dir, write_run
from . import document, figures
from .analysis import MunicipalityResult, municipality_result, municipality_tasks
from .render import LANGS, WRITERS, labels, render_html

FORMATS = ("html", "pdf", "docx")
FOLDER = "handreiking"


def parse_formats(text: str) -> list[str]:
    """The document formats of a ``--format`` value: 'html,pdf' -> ['html', 'pdf'].

    Parameters
    ----------
    text : str
        Comma-separated formats, any case, spaces allowed.

    Returns
    -------
    list of str
        The formats in the order given, lower case; each one of :data:`FORMATS`.

    Raises
    ------
    ConfigError
        For an unknown format or an empty list.
    """
    out = [f.strip().lower() for f in text.split(",") if f.strip()]
    bad = [f for f in out if f not in FORMATS]
    if bad or not out:
        raise ConfigError(f"--format: unknown format '{(bad or [text])[0]}'; use a comma-separated list of {', '.join(FORMATS)}.")
    return out


@dataclass
class Written:
    """What a blueprint or region run wrote, and how long it took.

    Attributes
    ----------
    folder : pathlib.Path
        The handreiking folder.
    files : dict of str to pathlib.Path
        Format -> document written.
    results : list of MunicipalityResult
        One per municipality, in config order.
    seconds : float
        Wall time of the whole run.
    """

    folder: Path
    files: dict[str, Path]
    results: list[MunicipalityResult]
    seconds: float


def plain(markup: object) -> str:
    """Text of a rendered template macro, unescaped and stripped (for figure titles)."""
    return html.unescape(str(markup)).strip()


def _variants_json(result: MunicipalityResult, chap: dict) -> dict:
    return {"proposal": chap["proposal"], "variants": chap["variants"],
            "time_limit": result.time_limit, "variant_time_limit": result.variant_time_limit}


def save_run(result: MunicipalityResult, folder: Path, lang: str, config_name: str) -> dict:
    """Write the proposal's run outputs into ``folder/<scenario>`` and return the chapter for the templates.

    With a plan: the run folder of :func:`wijkindeling.report.outputs.write_run`, whose metrics.json
    is read back into ``result.record`` (so the chapter's per-area figures are those of the file).
    Without one: only a map of the CBS wijken. Either way ``folder/varianten-<gemeente>.json``.

    Parameters
    ----------
    result : MunicipalityResult
        The optimised municipality; ``record`` and ``run_dir`` are set when it has a plan.
    folder : pathlib.Path
        The handreiking folder being written.
    lang : str
        Language of the map titles and solver remarks (``nl`` or ``en``).
    config_name : str
        The config file as the document names it.

    Returns
    -------
    dict
        The chapter (see :func:`wijkindeling.report.handreiking.document.chapter`).
    """
    p, sol = result.problem, result.solution
    run_dir = folder / result.cfg.scenario
    lab = labels(lang)
    name = p.provenance.gemeente or ""
    if sol.labels is not None:
        result.problem = p = name_areas(p, sol.labels)  # the names write_run gives the areas, for the whole chapter
        write_run(p, sol.labels, run_dir, sol, result.cfg.scenario, force=True, extra={"time_limit": result.time_limit})
        result.record = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
        result.run_dir = run_dir
        png, kind = run_dir / "map.png", "plan"
        figures.proposal_map(p, sol.labels, png, plain(lab.map_title(name, p.k)))
        foto = startfoto(p, sol.labels, lang)
        chart = figures.data_uri(figures.startfoto_chart(foto, p.area_names, run_dir / "startfoto.png", lang))
    else:
        run_dir.mkdir(parents=True, exist_ok=True)
        png, kind, chart, foto = run_dir / "wijken.png", "wijken", None, None
        figures.wijken_map(p, png, plain(lab.wijken_title(name)), p.provenance.attribution or "")
    session = scenario_dir(result.cfg.output.dir, p, result.cfg.scenario)  # where `sessie` saves this scenario
    notes = {"record": read_notes(session), "source": document.relative_name(session / NOTES_FILE)}
    chap = document.chapter(result, figures.data_uri(png), kind, config_name, lang, chart, notes, foto)
    (folder / f"varianten-{slug(name)}.json").write_text(json.dumps(_variants_json(result, chap), indent=2, ensure_ascii=False, default=float), encoding="utf-8")
    return chap


def render_all(context: dict, folder: Path, lang: str, formats: Sequence[str]) -> dict[str, Path]:
    """Render the handreiking once as HTML and write it as ``handreiking.<fmt>`` in every format.

    Parameters
    ----------
    context : dict
        The template context (:func:`wijkindeling.report.handreiking.document.document`).
    folder : pathlib.Path
        The folder to write into.
    lang : str
        Language of the template (``nl`` or ``en``).
    formats : sequence of str
        Formats from :data:`FORMATS`.

    Returns
    -------
    dict of str to pathlib.Path
        Format -> file written.
    """
    page = render_html(context, lang)
    return {fmt: WRITERS[fmt](page, folder / f"{FOLDER}.{fmt}") for fmt in formats}


def _check_target(folder: Path, force: bool) -> None:
    if folder.exists() and not force:
        raise ConfigError(f"{folder}: this handreiking folder exists already; use --force to overwrite it.")


def _regional_parent(cfg: Config) -> Config | None:
    """The regional config a municipality config extends (for the region-wide criteria), if any."""
    if cfg.source_file is None:
        return None
    raw = (cfg.source_file.read_text(encoding="utf-8-sig"))
    parent = (yaml.safe_load(raw) or {}).get("extends")
    return load_config(cfg.source_file.parent / parent) if isinstance(parent, str) else None


def write_blueprint(cfg: Config, lang: str | None = None, formats: Sequence[str] = FORMATS, force: bool = False,
                    time_limit: float | None = None, variant_time_limit: float | None = None,
                    with_variants: bool = True, threads: int | None = None, out: Path | None = None,
                    runner: Runner = run_in_process) -> Written:
    """Optimise one municipality and write its handreiking to ``<out>/<gemeente>/handreiking/`` atomically.

    The proposal and each variant are separate tasks (:func:`.analysis.municipality_tasks`) given to
    ``runner``; the document is written in this process once all of them are done.

    Parameters
    ----------
    cfg : Config
        The municipality's config.
    lang : str, optional
        Language of the document; by default ``output.lang``.
    formats : sequence of str
        Formats to write, from :data:`FORMATS`.
    force : bool
        Whether an existing handreiking folder may be replaced.
    time_limit : float, optional
        Seconds for the proposal; by default ``solver.time_limit``.
    variant_time_limit : float, optional
        Seconds per sensitivity variant; by default the smaller of the time limit and 20.
    with_variants : bool
        Whether to compute the sensitivity variants.
    threads : int, optional
        Solver threads; by default ``solver.threads``.
    out : pathlib.Path, optional
        Output base folder; by default ``output.dir``.
    runner : callable
        Runs a list of tasks and returns their outcomes in task order (:mod:`wijkindeling.execute`); by default
        one after another in this process.

    Returns
    -------
    Written
        The folder, the documents and the one municipality's result.

    Raises
    ------
    ConfigError
        When the folder exists and ``force`` is not set.
    """
    t0 = time.perf_counter()
    lang = lang or cfg.output.lang
    name = cfg.gemeente or cfg.gemeentecode or "gemeente"
    target = Path(out or cfg.output.dir) / slug(name) / FOLDER
    _check_target(target, force)
    cached_problem(cfg)  # a config that does not fit its data is one error here, not one per task
    tasks = municipality_tasks(cfg, (cfg.source_file or Path(name)).name, time_limit, variant_time_limit, with_variants, threads)
    outcomes = runner(tasks)
    for outcome in outcomes:
        if outcome.error is not None:
            raise outcome.error
    result = municipality_result(cfg, [o.value for o in outcomes], time_limit, variant_time_limit,
                                 sum(o.seconds for o in outcomes))
    with atomic_dir(target, force) as tmp:
        chap = save_run(result, tmp, lang, document.relative_name(cfg.source_file))
        region = _regional_parent(cfg)
        ctx = document.document([chap], region or cfg, "gemeente", str(chap["name"]),
                                commands=_commands(cfg, region), seconds=time.perf_counter() - t0)
        files = render_all(ctx, tmp, lang, formats)
    files = {k: target / v.name for k, v in files.items()}
    return Written(target, files, [result], time.perf_counter() - t0)


def _commands(cfg: Config, region: Config | None) -> dict[str, str]:
    src = (region or cfg).source_file
    return {"region_file": document.relative_name(src) if src else "configs/regio.yaml",
            "region_name": (region or cfg).region or ""}


def member_configs(region_file: Path) -> list[Path]:
    """Every YAML next to ``region_file`` whose ``extends`` names it, sorted by file name.

    Parameters
    ----------
    region_file : pathlib.Path
        The regional config.

    Returns
    -------
    list of pathlib.Path
        The member configs (``*.yaml``/``*.yml`` in the same folder).

    Raises
    ------
    ConfigError
        When a YAML file in that folder cannot be parsed.
    """
    region_file = Path(region_file).resolve()
    members = []
    for path in sorted(region_file.parent.glob("*.y*ml")):
        if path.resolve() == region_file:
            continue
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8-sig")) or {}
        except yaml.YAMLError:
            raise ConfigError(f"{path}: YAML syntax error; fix it or move it out of {region_file.parent}.") from None
        parent = data.get("extends") if isinstance(data, dict) else None
        if isinstance(parent, str) and (path.parent / parent).resolve() == region_file:
            members.append(path)
    return members


def region_members(region_path: Path) -> tuple[Config, list[Path], list[Config]]:
    """The regional config, its member config files and their loaded configs (checked before any output).

    Parameters
    ----------
    region_path : pathlib.Path
        The regional config.

    Returns
    -------
    tuple of (Config, list of pathlib.Path, list of Config)
        The regional config, the member files (:func:`member_configs`) and their configs, in the same order.

    Raises
    ------
    ConfigError
        For a broken regional or member config, or when no config extends the regional one.
    """
    region = load_config(region_path)
    members = member_configs(Path(region_path))
    if not members:
        raise ConfigError(f"{region_path}: no municipality config in {Path(region_path).parent} says 'extends: {Path(region_path).name}'; create one with `wijkindeling init`.")
    return region, members, [load_config(m) for m in members]


def write_region(region_path: Path, lang: str | None = None, formats: Sequence[str] = FORMATS, force: bool = False,
                 time_limit: float | None = None, variant_time_limit: float | None = None, with_variants: bool = True,
                 threads: int | None = None, out: Path | None = None,
                 progress: Callable[[MunicipalityResult, float], Any] | None = None,
                 runner: Runner = run_in_process) -> Written:
    """Every municipality of the region: its own outputs and handreiking, plus one regional handreiking.

    All solves (every municipality's proposal and variants, :func:`.analysis.municipality_tasks`) are given to
    ``runner`` at once; the documents are written in this process afterwards, in config order. When a task
    fails, the municipalities whose tasks all succeeded still get their own handreiking, the regional one is
    not written, and a ConfigError (or a bug's own exception) is raised.

    Each municipality's handreiking goes to ``<out>/<gemeente>/handreiking/`` as by
    :func:`write_blueprint`; the regional one, with an overview map and
    a chapter per municipality, to ``<out>/<regio>/handreiking/``.

    Parameters
    ----------
    region_path : pathlib.Path
        The regional config; its members are the configs that extend it (:func:`region_members`).
    lang : str, optional
        Language of the documents; by default the regional ``output.lang``.
    formats : sequence of str
        Formats to write, from :data:`FORMATS`.
    force : bool
        Whether existing handreiking folders may be replaced (all are checked before the first solve).
    time_limit : float, optional
        Seconds per proposal; by default each config's ``solver.time_limit``.
    variant_time_limit : float, optional
        Seconds per sensitivity variant; by default the smaller of the time limit and 20.
    with_variants : bool
        Whether to compute the sensitivity variants.
    threads : int, optional
        Solver threads; by default each config's ``solver.threads``.
    out : pathlib.Path, optional
        Output base folder; by default the regional ``output.dir``.
    progress : callable, optional
        Called as ``progress(result, seconds)`` after each municipality's documents are written.
    runner : callable
        Runs a list of tasks and returns their outcomes in task order (:mod:`wijkindeling.execute`); by default
        one after another in this process.

    Returns
    -------
    Written
        The regional folder, its documents and every municipality's result.

    Raises
    ------
    ConfigError
        For a broken config (before any solve), an existing folder without ``force``, or when a task failed.
    """
    t0 = time.perf_counter()
    region, members, cfgs = region_members(region_path)
    lang = lang or region.output.lang
    base = Path(out or region.output.dir)
    region_name = region.region or Path(region_path).stem
    target = base / slug(region_name) / FOLDER
    for cfg, path in zip(cfgs, members):
        _check_target(base / slug(cfg.gemeente or cfg.gemeentecode or path.stem) / FOLDER, force)
    _check_target(target, force)
    cmds = _commands(region, region)
    tasks: list[list[Task]] = [municipality_tasks(cfg, path.name, time_limit, variant_time_limit, with_variants, threads,
                                                  _size(cfg)) for cfg, path in zip(cfgs, members)]
    flat = runner([t for ts in tasks for t in ts])
    results, chapters = [], []
    for cfg, path, outcomes in zip(cfgs, members, _split(flat, [len(ts) for ts in tasks])):
        if not all(o.ok for o in outcomes):
            continue
        t1 = time.perf_counter()
        result = municipality_result(cfg, [o.value for o in outcomes], time_limit, variant_time_limit,
                                     sum(o.seconds for o in outcomes))
        own = base / slug(cfg.gemeente or cfg.gemeentecode or path.stem) / FOLDER
        with atomic_dir(own, True) as tmp:
            chap = save_run(result, tmp, lang, document.relative_name(path))
            render_all(document.document([chap], region, "gemeente", str(chap["name"]), commands=cmds,
                                         seconds=result.seconds + time.perf_counter() - t1), tmp, lang, formats)
        result.run_dir = own / cfg.scenario if result.solution.found else None
        chap["metrics_path"] = str(result.run_dir / "metrics.json") if result.run_dir else None
        results.append(result)
        chapters.append(chap)
        if progress:
            progress(result, result.seconds)
    raise_failures(flat, "the municipalities without a failed task have their handreiking, the regional handreiking "
                         "was not written")
    with atomic_dir(target, force) as tmp:
        overview = _overview(results, chapters, tmp, lang, region)
        ctx = document.document(chapters, region, "regio", region_name, overview, cmds, time.perf_counter() - t0)
        files = render_all(ctx, tmp, lang, formats)
    files = {k: target / v.name for k, v in files.items()}
    return Written(target, files, results, time.perf_counter() - t0)


def _size(cfg: Config) -> int:
    """The number of buurten of a municipality (for its tasks' expected cost); 0 when its data do not fit (its tasks say why)."""
    try:
        return cached_problem(cfg).n
    except ConfigError:
        return 0


def _split(outcomes: list[Outcome], sizes: list[int]) -> list[list[Outcome]]:
    """``outcomes`` cut into consecutive pieces of ``sizes``."""
    out, start = [], 0
    for size in sizes:
        out.append(outcomes[start:start + size])
        start += size
    return out


def _overview(results: list[MunicipalityResult], chapters: list[dict], folder: Path, lang: str, region: Config) -> dict:
    """Region map and one row per municipality."""
    lab = labels(lang)
    png = folder / "regio.png"
    parts = [(r.problem, r.solution.labels, c["name"]) for r, c in zip(results, chapters)]
    figures.region_map(parts, png, plain(lab.region_title(region.region or "")), plain(lab.source_line(region.data.attribution)))
    rows = [{"name": c["name"], "code": c["code"], "key": c["key"], "status": c["status"], "found": c["found"],
             "scores": c["scores"], "fictional": c["practices_fictional"]} for c in chapters]
    return {"map": figures.data_uri(png), "rows": rows,
            "population": sum(c["key"]["population"] for c in chapters),
            "n_buurten": sum(c["key"]["n_buurten"] for c in chapters),
            "k": sum(c["key"]["k"] for c in chapters if c["found"])}


__all__ = ["FORMATS", "LANGS", "Written", "member_configs", "parse_formats", "write_blueprint", "write_region"]
