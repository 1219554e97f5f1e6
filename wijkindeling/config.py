"""Read a municipality's YAML configuration into a validated :class:`Config`.

A config may say ``extends: other.yaml``; the other file is read first and this
file's values override it key by key (dictionaries are merged, everything else is
replaced). Paths are resolved relative to the file that names them, so regional
defaults can point at ``../boundaries`` while a municipality config points at its
own practice list.

Every problem is raised as a :class:`ConfigError` whose message is one sentence
naming the file, the field and the fix.
"""

from __future__ import annotations

import difflib
import hashlib
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import ConfigError

__all__ = ["Config", "ConfigError", "load_config"]


# Dotted keys whose values are file or folder paths, resolved against the YAML file that sets them.
PATH_FIELDS = (
    "data.buurten",
    "data.pc4_centroids",
    "practices.path",
    "practices.patients",
    "practices.cache",
    "barriers.lines",
    "barriers.osm_file",
    "barriers.cache",
    "distances.osm_file",
    "distances.cache",
    "output.dir",
)


class _Strict(BaseModel):
    """Base of every config section: unknown keys are refused, assignments are validated."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Columns(_Strict):
    """Column names in the building-block file."""

    code: str = "buurtcode"
    name: str = "buurtnaam"
    population: str = "aantal_inwoners"
    wijk_code: str | None = "wijkcode"
    wijk_name: str | None = "wijknaam"
    gemeente_code: str | None = "gemeentecode"
    gemeente_name: str | None = "gemeentenaam"


class IndicatorColumn(_Strict):
    """How one column of an indicator table is summed up per area (``data.indicators[].columns.<key>``).

    ``count`` sums the buurten's values; ``share`` sums the column (a numerator) and the
    ``denominator`` column separately and divides (never an average of percentages); ``mean``
    averages the values weighted by the ``weight`` column (e.g. income per household weighted by
    households; a CBS percentage weighted by its base is the same as a share).
    """

    aggregate: Literal["count", "share", "mean"]
    title: str | None = None
    unit: str = ""
    denominator: str | None = None
    weight: str | None = None

    @model_validator(mode="after")
    def _needs_partner(self) -> IndicatorColumn:
        if self.aggregate == "share" and not self.denominator:
            raise ValueError("a share needs 'denominator: <column>' (the column it is a share of)")
        if self.aggregate == "mean" and not self.weight:
            raise ValueError("a mean needs 'weight: <column>' (e.g. the households or inhabitants it is an average over)")
        return self


class IndicatorTable(_Strict):
    """A table of indicators per buurt (CSV or GeoPackage) keyed by buurtcode (``data.indicators[]``)."""

    path: Path
    key: str = "buurtcode"
    layer: str | None = None
    columns: dict[str, IndicatorColumn] = Field(default_factory=dict)
    source: str = ""


class AdjacencyConfig(_Strict):
    """Which buurten count as neighbours besides those sharing a boundary (``data.adjacency``; README).

    ``max_gap_m``: polygons within this many metres are neighbours (0 = only a shared boundary).
    ``pass_through``: buurtcodes of buurten that do not separate their neighbours (roads, water,
    business parks); two neighbours of one become neighbours of each other when their polygons are
    at most ``pass_through_m`` apart and the shortest line between them runs through it.
    250 m spans a road with its verges, a canal or a railway, not a whole polder.
    ``osm_roads``: an OSM road segment from one buurt straight into another (passing no third buurt
    except pass-through ones) makes them neighbours; the network comes from the ``distances`` section
    (``osm_file``, cache or online; the walk network when ``distances.method`` is straight).
    """

    max_gap_m: float = Field(default=0.0, ge=0.0, allow_inf_nan=False)
    pass_through: list[str] = Field(default_factory=list)
    pass_through_m: float = Field(default=250.0, gt=0.0, allow_inf_nan=False)
    osm_roads: bool = False


class DataConfig(_Strict):
    """Where the building blocks (CBS buurten), the PC4 points and the indicator tables come from."""

    buurten: Path
    layer: str | None = None
    columns: Columns = Field(default_factory=Columns)
    pc4_centroids: Path | None = None
    islands: Literal["connect_nearest", "error"] = "connect_nearest"
    attribution: str = "Bron: CBS / Kadaster (PDOK), CC-BY 4.0"
    indicators: list[IndicatorTable] = Field(default_factory=list)
    min_coverage: float = Field(default=0.8, ge=0.0, le=1.0)
    adjacency: AdjacencyConfig = Field(default_factory=AdjacencyConfig)


class AreasConfig(_Strict):
    """How many areas, and how many inhabitants each may have."""

    count: int | None = Field(default=None, ge=1)
    target_size: int | None = Field(default=None, ge=1)
    tolerance: float = Field(default=0.10, ge=0.0, le=1.0)
    min_population: int | None = Field(default=None, ge=0)
    max_population: int | None = Field(default=None, ge=0)
    names: list[str] | None = None

    @model_validator(mode="after")
    def _check(self) -> AreasConfig:
        """min_population may not exceed max_population."""
        if self.min_population is not None and self.max_population is not None:
            if self.min_population > self.max_population:
                raise ValueError(
                    f"min_population ({self.min_population}) is larger than max_population "
                    f"({self.max_population}); make min_population at most max_population"
                )
        return self

    @field_validator("names")
    @classmethod
    def _unique_names(cls, v: list[str] | None) -> list[str] | None:
        """Area names must be unique and not blank."""
        if v is not None:
            twice = sorted({n for n in v if v.count(n) > 1})
            if twice:
                raise ValueError(f"'{twice[0]}' appears twice; give every area its own name")
            if any(not str(n).strip() for n in v):
                raise ValueError("an area name is empty; give every area a name")
        return v


class Weights(_Strict):
    """Weights of the objective terms; every term is in percentage points (see metrics.py)."""

    balance: float = Field(default=1.0, ge=0.0)
    catchment: float = Field(default=1.0, ge=0.0)
    identity: float = Field(default=2.0, ge=0.0)
    compactness: float = Field(default=0.2, ge=0.0)


class IdentityConfig(_Strict):
    """Identity groups whose splitting over areas is penalised."""

    wijken: bool = True
    kernen: dict[str, list[str]] = Field(default_factory=dict)
    groups: dict[str, list[str]] = Field(default_factory=dict)


class RulesConfig(_Strict):
    """Hard rules: locks, keep-together and keep-apart."""

    locks: dict[str, str] = Field(default_factory=dict)
    keep_together: list[list[str]] = Field(default_factory=list)
    keep_apart: list[list[str]] = Field(default_factory=list)

    @field_validator("keep_apart")
    @classmethod
    def _pairs(cls, v: list[list[str]]) -> list[list[str]]:
        """Every keep_apart entry is a pair."""
        for pair in v:
            if len(pair) != 2:
                raise ValueError(f"every keep_apart entry must be a pair of two buurtcodes, got {pair}")
        return v


class PracticesConfig(_Strict):
    """GP practices (huisartsenpraktijken) and their patients per buurt."""

    source: Literal["none", "file", "osm"] = "none"
    path: Path | None = None
    fictional: bool = False
    patients: Path | None = None
    cache: Path | None = None
    buffer_m: float = Field(default=1000.0, ge=0.0)
    distance_decay: float = Field(default=2.0, gt=0.0)
    min_distance_m: float = Field(default=250.0, gt=0.0)
    max_distance_m: float = Field(default=15000.0, gt=0.0)

    @model_validator(mode="after")
    def _check(self) -> PracticesConfig:
        """Source 'file' needs a path."""
        if self.source == "file" and self.path is None:
            raise ValueError("source is 'file' but no path is given; add practices.path: <csv or geojson>")
        return self


class BarriersConfig(_Strict):
    """Barriers that cut adjacency (issue 7): buurt pairs, a line file, or OSM classes."""

    pairs: list[list[str]] = Field(default_factory=list)
    lines: Path | None = None
    osm: list[str] = Field(default_factory=list)
    osm_file: Path | None = None
    cache: Path | None = None
    mode: Literal["remove", "penalise"] = "remove"
    share: float = Field(default=0.5, gt=0.0, le=1.0)
    penalty: float = Field(default=5.0, ge=1.0)
    tolerance_m: float = Field(default=100.0, gt=0.0)  # how far a boundary may lie from the barrier line


class DistancesConfig(_Strict):
    """Distance used by the catchment estimate: straight line or OSM road network (issue 7)."""

    method: Literal["straight", "drive", "walk"] = "straight"
    osm_file: Path | None = None
    cache: Path | None = None
    buffer_m: float = Field(default=2000.0, ge=0.0)  # road network fetched this far around the municipality


class SolverConfig(_Strict):
    """Solver choice and limits."""

    backend: Literal["highs", "cbc"] = "highs"
    time_limit: float = Field(default=60.0, gt=0.0)
    seed: int = 1
    mip_gap: float = Field(default=0.0, ge=0.0, le=1.0)
    threads: int = Field(default=2, ge=1)


class OutputConfig(_Strict):
    """Where results go and in which language documents are written."""

    dir: Path = Path("outputs")
    lang: Literal["nl", "en"] = "nl"


class Config(_Strict):
    """A validated configuration of one municipality (or a region file)."""

    extends: str | None = None
    region: str | None = None
    gemeente: str | None = None
    gemeentecode: str | None = None
    scenario: str = "voorstel"
    data: DataConfig
    areas: AreasConfig = Field(default_factory=AreasConfig)
    weights: Weights = Field(default_factory=Weights)
    identity: IdentityConfig = Field(default_factory=IdentityConfig)
    rules: RulesConfig = Field(default_factory=RulesConfig)
    practices: PracticesConfig = Field(default_factory=PracticesConfig)
    barriers: BarriersConfig = Field(default_factory=BarriersConfig)
    distances: DistancesConfig = Field(default_factory=DistancesConfig)
    solver: SolverConfig = Field(default_factory=SolverConfig)
    output: OutputConfig = Field(default_factory=OutputConfig)

    # Not part of the YAML: where it came from, for messages and provenance.
    source_file: Path | None = Field(default=None, exclude=True)
    origins: dict[str, str] = Field(default_factory=dict, exclude=True)
    raw_hash: str = Field(default="", exclude=True)

    @field_validator("gemeentecode")
    @classmethod
    def _code(cls, v: str | None) -> str | None:
        """A gemeentecode is GM plus four digits."""
        if v is not None and not (v.startswith("GM") and v[2:].isdigit() and len(v) == 6):
            raise ValueError(f"'{v}' is not a CBS gemeentecode; use the form GM0632")
        return v

    def origin(self, dotted: str) -> str:
        """The YAML file that set ``dotted`` (or the nearest parent key), for error messages.

        Falls back to the config's own file, or ``"config"`` for a config not read from a file.
        """
        parts = dotted.split(".")
        for i in range(len(parts), 0, -1):
            key = ".".join(parts[:i])
            if key in self.origins:
                return self.origins[key]
        return str(self.source_file) if self.source_file else "config"


def _read_yaml(path: Path) -> dict[str, Any]:
    """Parse one YAML file into a dict, with line and column on syntax errors."""
    if not path.exists():
        raise ConfigError(f"{path}: file not found; check the path or create it with `wijkindeling init`.")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a UTF-8 text file; save the config as UTF-8.") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or "invalid YAML"
        raise ConfigError(f"{path}: YAML syntax error{where} ({problem}); fix the indentation or quoting there.") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level is a {type(data).__name__}, not a mapping of keys; write it as 'key: value' lines like 'gemeente: Woerden'.")
    return data


def _resolve_paths(data: dict[str, Any], base: Path) -> None:
    """Make every known path field absolute, relative to ``base`` (in place)."""
    for dotted in PATH_FIELDS:
        node: Any = data
        parts = dotted.split(".")
        for part in parts[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict) and isinstance(node.get(parts[-1]), str):
            value = node[parts[-1]]
            node[parts[-1]] = str((base / value).resolve()) if not Path(value).is_absolute() else value
    tables = (data.get("data") or {}).get("indicators") if isinstance(data.get("data"), dict) else None
    for table in tables if isinstance(tables, list) else []:  # data.indicators[].path
        if isinstance(table, dict) and isinstance(table.get("path"), str) and not Path(table["path"]).is_absolute():
            table["path"] = str((base / table["path"]).resolve())


def _merge(base: dict[str, Any], over: dict[str, Any], origins: dict[str, str], source: str, prefix: str = "") -> dict[str, Any]:
    """Deep-merge ``over`` into a copy of ``base``, recording which file set each key."""
    out = dict(base)
    for key, value in over.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            origins.setdefault(dotted, source)
            out[key] = _merge(out[key], value, origins, source, dotted + ".")
        else:
            out[key] = value
            origins[dotted] = source
            for k in [k for k in origins if k.startswith(dotted + ".")]:
                origins[k] = source
    return out


def _load_chain(path: Path, seen: tuple[Path, ...], origins: dict[str, str], texts: list[str],
                files: list[str] | None = None) -> dict[str, Any]:
    """Load ``path`` and everything it extends, merged, base first; collect raw texts for hashing."""
    path = path.resolve()
    if path in seen:
        chain = " -> ".join(p.name for p in (*seen, path))
        raise ConfigError(f"{seen[-1]}: field 'extends' makes a cycle ({chain}); remove one of the 'extends' lines.")
    data = _read_yaml(path)
    texts.append(path.read_text(encoding="utf-8-sig"))
    if files is not None:
        files.insert(0, str(path))  # base files end up first
    _resolve_paths(data, path.parent)
    parent = data.get("extends")
    merged: dict[str, Any] = {}
    if parent is not None:
        if not isinstance(parent, str):
            raise ConfigError(f"{path}: field 'extends' is not a file name; write one file name like 'extends: regio-utrecht-noordwest.yaml'.")
        parent_path = path.parent / parent
        if not parent_path.exists():
            raise ConfigError(f"{path}: field 'extends' names {parent}, which does not exist next to it; fix the file name.")
        merged = _load_chain(parent_path, (*seen, path), origins, texts, files)
    return _merge(merged, data, origins, str(path))


def _suggest(bad: str, model: type[BaseModel]) -> str:
    """The fix for unknown key ``bad`` in ``model``: the closest valid key, else the list of valid keys."""
    options = list(model.model_fields)
    close = difflib.get_close_matches(bad, options, n=1, cutoff=0.5)
    return f"did you mean '{close[0]}'?" if close else f"valid keys are: {', '.join(o for o in options if o not in ('source_file', 'origins', 'raw_hash'))}"


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel]:
    """The pydantic model that owns the field at ``loc`` (for key suggestions)."""
    model: type[BaseModel] = Config
    for part in loc:
        field = model.model_fields.get(str(part))
        if field is None:
            break
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            model = ann
        else:
            break
    return model


def _error_file(dotted: str, origins: dict[str, str], files: list[str], fallback: str) -> str:
    """The YAML file to blame for an error at ``dotted``.

    A value error on a whole section (e.g. min > max in ``areas``) is blamed on the last file in
    the extends chain that set anything in that section, usually the municipality's own config.
    """
    inside = [origins[k] for k in origins if k.startswith(dotted + ".")]
    if inside and files:
        return max(inside, key=lambda f: files.index(f) if f in files else -1)
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        if ".".join(parts[:i]) in origins:
            return origins[".".join(parts[:i])]
    return fallback


def _fix_text(msg: str) -> str:
    """pydantic's 'Input should be X' as the fix part of a sentence: 'it should be X'."""
    if "valid dictionary" in msg:
        return "it should be a section of 'key: value' lines indented below it"
    for prefix, fix in (("Input should be ", "it should be "), ("String should ", "it should "), ("List should ", "the list should "),
                        ("Dictionary should ", "it should ")):
        if msg.startswith(prefix):
            return fix + msg[len(prefix):]
    return msg


def _explain(err: ValidationError, origins: dict[str, str], fallback: str, files: list[str] | None = None) -> str:
    """Turn pydantic's first error into one sentence: file, field, fix."""
    first = err.errors()[0]
    loc = tuple(first["loc"])
    dotted = ".".join(str(p) for p in loc)
    file = _error_file(dotted, origins, files or [], fallback)
    kind = first["type"]
    if kind == "extra_forbidden":
        owner = _model_at(loc[:-1])
        return f"{file}: unknown key '{dotted}'; {_suggest(str(loc[-1]), owner)}"
    if kind == "missing":
        return f"{file}: required field '{dotted}' is missing; add it (see configs/regio-utrecht-noordwest.yaml for an example)."
    got = first.get("input")
    msg = first["msg"].split(", unable to")[0].rstrip(".")
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
        if ";" in msg:  # our own validators already say what to do
            return f"{file}: field '{dotted}' is invalid: {msg}."
        return f"{file}: field '{dotted}' is invalid: {msg}; change it in that file."
    got_txt = "a section" if isinstance(got, dict) else repr(got)
    if len(got_txt) > 60:
        got_txt = got_txt[:57] + "..."
    return f"{file}: field '{dotted}' is {got_txt}, which is not allowed; {_fix_text(msg)}."


def load_config(path: str | Path) -> Config:
    """Read, merge (``extends``) and validate a config file.

    Parameters
    ----------
    path : str or Path
        A YAML config; a relative ``extends`` and relative paths inside it are resolved against
        the file that names them.

    Returns
    -------
    Config
        The validated config, with ``source_file`` (absolute path), ``origins`` (dotted key ->
        the file that set it) and ``raw_hash`` (short SHA-256 of the texts of the whole extends
        chain) filled in.

    Raises
    ------
    ConfigError
        With a one-sentence message on any problem: a missing or unreadable file, a YAML syntax
        error, an ``extends`` cycle, an unknown key or an invalid value.
    """
    path = Path(path)
    origins: dict[str, str] = {}
    texts: list[str] = []
    files: list[str] = []
    raw = _load_chain(path, (), origins, texts, files)
    raw.pop("extends", None)
    try:
        cfg = Config.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(_explain(err, origins, str(path), files)) from None
    cfg.source_file = path.resolve()
    cfg.origins = origins
    cfg.raw_hash = hashlib.sha256("\n---\n".join(texts).encode()).hexdigest()[:16]
    return cfg


def config_hash(cfg: Config) -> str:
    """A short hash of the merged configuration (for provenance in outputs): ``cfg.raw_hash``.

    It is the first 16 hex digits of the SHA-256 of the raw texts of every file in the
    ``extends`` chain, so it changes with any edit, including comments.
    """
    return cfg.raw_hash
