"""Fuzzing (hypothesis): configs, YAML text, building-block files and CSVs from many hands.

The contract: the loader and every command either succeed or fail with the clean error (a
ConfigError / DataError: one line on stderr, exit code 2). Anything else - a traceback, another
exception type, exit code 1 - is a bug. Examples are small (Montfoort's 12 buurten, or a handful of
generated polygons) so a few hundred of them run in about a minute.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Polygon, box

from wijkindeling.cli import main
from wijkindeling.config import Config, ConfigError, load_config
from wijkindeling.errors import DataError
from wijkindeling.sources.tables import to_number

from .conftest import BUURTEN_GPKG

# CI runs a fixed, derandomised set of examples. For a longer random campaign set e.g.
# WIJKINDELING_FUZZ_SCALE=10 (ten times as many examples, new ones every run).
SCALE = float(os.environ.get("WIJKINDELING_FUZZ_SCALE", "1"))


def fuzz(examples: int) -> settings:
    """Fuzz settings: no per-example deadline; derandomised (stable CI) unless a scale is set."""
    return settings(max_examples=max(1, int(examples * SCALE)), deadline=None, derandomize=SCALE == 1, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("fuzz")
    raw = gpd.read_file(BUURTEN_GPKG, layer="buurten")
    raw[raw.gemeentecode == "GM0335"].to_file(folder / "montfoort.gpkg", layer="buurten", driver="GPKG")
    return folder


def base_config(work: Path) -> dict:
    """A valid stand-alone config for Montfoort (no extends, no practices)."""
    return {
        "gemeente": "Montfoort",
        "gemeentecode": "GM0335",
        "data": {"buurten": str(work / "montfoort.gpkg"), "layer": "buurten"},
        "areas": {"count": 2, "tolerance": 0.25},
        "identity": {"wijken": True, "kernen": {"Montfoort": ["BU03350000", "BU03350001"]}},
        "output": {"dir": str(work / "outputs")},
        "solver": {"threads": 1, "time_limit": 5},
    }


def clean_cli(args: list[str]) -> tuple[int, str]:
    """Run the CLI; only success (0) or the clean error (2, one 'Error:' line) are allowed."""
    result = CliRunner().invoke(main, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code in (0, 2), result.output
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        errors = [ln for ln in result.stderr.splitlines() if ln.strip() and not ln.startswith("Warning:")]
        assert len(errors) == 1 and errors[0].startswith("Error: "), result.stderr
    return result.exit_code, result.output


# --------------------------------------------------------------------------- values and mutations

def _dotted_fields(model=Config, prefix: str = "") -> list[str]:
    """Every settable dotted key of the config model (a.b.c), for targeted mutations."""
    from pydantic import BaseModel

    out = []
    for name, field in model.model_fields.items():
        if name in ("source_file", "origins", "raw_hash", "extends"):
            continue
        ann = field.annotation
        out.append(prefix + name)
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out += _dotted_fields(ann, prefix + name + ".")
    return out


FIELDS = _dotted_fields()
CODES = ["BU03350000", "BU03350001", "BU03350100", "BU03350209", "BU06320101", "BU9", ""]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**9, 10**9), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12), st.sampled_from(CODES), st.sampled_from(["highs", "cbc", "file", "osm", "none", "error", "nl", "x.yaml"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.one_of(st.text(max_size=8), st.sampled_from(CODES)), inner, max_size=3)),
    max_leaves=8,
)
mutation = st.one_of(
    st.tuples(st.just("set"), st.sampled_from(FIELDS), values),
    st.tuples(st.just("delete"), st.sampled_from(FIELDS), st.none()),
    st.tuples(st.just("set"), st.text(min_size=1, max_size=10).map(lambda t: f"areas.{t}"), values),
    st.tuples(st.just("set"), st.sampled_from(["rules.locks", "rules.keep_together", "rules.keep_apart", "barriers.pairs",
                                                "identity.groups", "areas.names"]),
              st.one_of(st.dictionaries(st.sampled_from(CODES), st.sampled_from(["Gebied 1", "Gebied 2", "X"]), max_size=3),
                        st.lists(st.lists(st.sampled_from(CODES), max_size=3), max_size=3),
                        st.lists(st.text(max_size=6), max_size=3))),
)


def apply(config: dict, mutations) -> dict:
    for op, dotted, value in mutations:
        node = config
        parts = dotted.split(".")
        for part in parts[:-1]:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        if op == "set":
            node[parts[-1]] = value
        else:
            node.pop(parts[-1], None)
    return config


def write_yaml(path: Path, data) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- configs

@pytest.mark.slow
@fuzz(250)
@given(mutations=st.lists(mutation, min_size=1, max_size=4))
def test_mutated_configs_load_or_fail_cleanly(work, mutations):
    path = write_yaml(work / "fuzz.yaml", apply(base_config(work), mutations))
    try:
        cfg = load_config(path)
    except ConfigError as err:
        msg = str(err)
        # One line (a newline from the data is shown escaped), and it names the file it is about, first.
        assert msg.splitlines() == [msg], msg
        assert msg.startswith(f"{path}: "), msg
        return
    assert isinstance(cfg, Config)


@pytest.mark.slow
@fuzz(120)
@given(mutations=st.lists(mutation, min_size=1, max_size=3))
def test_validate_on_mutated_configs(work, mutations):
    path = write_yaml(work / "fuzz-validate.yaml", apply(base_config(work), mutations))
    clean_cli(["validate", path])


@pytest.mark.slow
@fuzz(300)
@given(text=st.one_of(
    st.text(max_size=200),
    st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
    st.lists(st.sampled_from(["gemeente: X", "areas:", "  count: 3", "\t", "- a", "{", "}", "[", "]", ": ", "&a x", "*a",
                              "!!python/object:os.system ls", "? [a, b]", "%YAML 1.1", "---", "...", "'", '"', "#", "extends: fuzz-text.yaml",
                              "data: {buurten: x.gpkg}", "\ufeff", "\x00"]), max_size=12).map("\n".join),
))
def test_random_yaml_text_never_crashes_the_loader(work, text):
    path = work / "fuzz-text.yaml"
    path.write_bytes(text.encode("utf-8", errors="surrogatepass") if "\ud800" not in text else b"\xff")
    try:
        load_config(path)
    except ConfigError as err:
        assert "\n" not in str(err).strip(), str(err)


def test_python_tags_are_not_executed(work, tmp_path):
    """yaml.safe_load only: a !!python tag is a clean error, not code execution."""
    marker = tmp_path / "pwned"
    path = work / "evil.yaml"
    path.write_text(f"gemeente: !!python/object/apply:os.system ['touch {marker}']\n")
    with pytest.raises(ConfigError, match="YAML"):
        load_config(path)
    assert not marker.exists()


# --------------------------------------------------------------------------- building-block files

def cell(i: int, kind: str) -> Polygon:
    x, y = 120_000 + 1000 * (i % 3), 450_000 + 1000 * (i // 3)
    if kind == "box":
        return box(x, y, x + 1000, y + 1000)
    if kind == "overlap":
        return box(x - 300, y - 300, x + 1300, y + 1300)
    if kind == "bowtie":
        return Polygon([(x, y), (x + 1000, y + 1000), (x + 1000, y), (x, y + 1000)])
    if kind == "sliver":
        return Polygon([(x, y), (x + 1000, y), (x + 1000, y + 1000), (x + 500, y + 1000.0001), (x + 500, y + 999.9999), (x, y + 1000)])
    if kind == "far":
        return box(x + 50_000, y, x + 51_000, y + 1000)
    return Polygon()


bad_populations = st.one_of(st.integers(-5, -1), st.none(), st.sampled_from(["", "abc", "1,5", "1.234", "2.000,0", "nan", " 12 "]),
                            st.floats(allow_nan=True, allow_infinity=True))
# mostly valid numbers, so that examples also reach the geometry, graph and problem stages
populations = st.tuples(st.integers(0, 9), st.integers(0, 20_000), bad_populations).map(lambda t: t[1] if t[0] < 8 else t[2])
blocks = st.lists(
    st.tuples(st.sampled_from(["own"] * 12 + ["BU00", "", "BU00 "]), populations,
              st.sampled_from(["box"] * 6 + ["overlap", "bowtie", "sliver", "far", "empty"])),
    min_size=1, max_size=7,
)


@pytest.mark.slow
@fuzz(100)
@given(rows=blocks, crs=st.sampled_from(["EPSG:28992", "EPSG:4326", None, "EPSG:3857"]), k=st.integers(1, 4),
       driver=st.sampled_from(["GPKG", "GeoJSON"]))
def test_generated_building_blocks_validate_or_fail_cleanly(work, rows, crs, k, driver):
    gdf = gpd.GeoDataFrame(
        {"buurtcode": [f"BU{i + 1:02d}" if r[0] == "own" else r[0] for i, r in enumerate(rows)], "buurtnaam": [f"Buurt {i}" for i in range(len(rows))],
         "aantal_inwoners": [r[1] for r in rows], "gemeentecode": "GM0001"},
        geometry=[cell(i, r[2]) for i, r in enumerate(rows)], crs="EPSG:28992",
    )
    if crs is None:
        gdf = gdf.set_crs(None, allow_override=True)
    elif crs != "EPSG:28992":
        gdf = gdf.to_crs(crs)
    path = work / ("fuzz.gpkg" if driver == "GPKG" else "fuzz.geojson")
    path.unlink(missing_ok=True)
    try:
        gdf.to_file(path, driver=driver, **({"layer": "buurten"} if driver == "GPKG" else {}))
    except Exception:  # noqa: BLE001 - a file GDAL itself cannot write is not an input anybody can give us
        return
    config = {"gemeentecode": "GM0001", "data": {"buurten": str(path), "layer": "buurten" if driver == "GPKG" else None},
              "areas": {"count": k, "tolerance": 0.5}, "output": {"dir": str(work / "outputs")}}
    clean_cli(["validate", write_yaml(work / "fuzz-blocks.yaml", config)])


# --------------------------------------------------------------------------- CSV files

cells = st.one_of(st.text(max_size=8), st.sampled_from(["F01", "3417", "3441", "52,08", "4.88", "120000", "455000", "", "ja", "1.234,5", '"', ";"]))


@pytest.mark.slow
@fuzz(150)
@given(header=st.lists(st.sampled_from(["practice_id", "name", "pc4", "x", "y", "lat", "lon", "n_gps", "patients", "FICTIEF", "naam"]),
                       min_size=1, max_size=6, unique=True),
       rows=st.lists(st.lists(cells, min_size=1, max_size=7), max_size=5),
       sep=st.sampled_from([",", ";"]), bom=st.booleans())
def test_practice_lists_load_or_fail_cleanly(work, woerden, header, rows, sep, bom):
    from wijkindeling.sources.practices import load_practices

    text = "\n".join(sep.join(r) for r in [header, *rows]) + "\n"
    path = work / "fuzz-praktijken.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8", errors="replace"))
    cfg = load_config(write_yaml(work / "fuzz-prac.yaml", {**base_config(work), "gemeentecode": "GM0632",
                                                          "data": {"buurten": str(BUURTEN_GPKG), "layer": "buurten",
                                                                   "pc4_centroids": str(BUURTEN_GPKG.parent / "pc4_centroids_4pp_3400_3699_and_1390_1399.csv")},
                                                          "identity": {"wijken": True},
                                                          "practices": {"source": "file", "path": str(path)}}))
    try:
        practices = load_practices(cfg, woerden.buurten)
    except DataError:
        return
    assert practices is not None and len(practices) >= 1 and practices.crs.to_epsg() == 28992


@pytest.mark.slow
@fuzz(200)
@given(values=st.lists(st.one_of(st.text(max_size=10), st.sampled_from(["1.234,5", "1,234.5", "2,1", "-0", "1e3", "inf", "nan", " "])), max_size=6))
def test_to_number_never_crashes(values):
    import pandas as pd

    try:
        out = to_number(pd.Series(values, dtype=object), Path("x.csv"), "col")
    except DataError as err:
        assert "x.csv" in str(err) and "col" in str(err)
        return
    assert len(out) == len(values)


@pytest.mark.slow
@fuzz(100)
@given(lines=st.lists(st.text(max_size=30), max_size=6))
def test_plan_files_evaluate_or_fail_cleanly(work, lines):
    config = write_yaml(work / "fuzz-plan.yaml", base_config(work))
    plan = work / "fuzz-plan.csv"
    plan.write_text("\n".join(lines), encoding="utf-8", errors="surrogatepass") if not any("\ud800" <= c <= "\udfff" for c in "".join(lines)) else plan.write_bytes(b"\xff\xfe")
    clean_cli(["evaluate", config, "--plan", plan])


@pytest.mark.slow
@fuzz(60)
@given(areas=st.lists(st.sampled_from(["A", "B", "C", "", " ", "1", "Gebied 1"]), min_size=12, max_size=12))
def test_any_assignment_of_montfoort_evaluates(work, areas):
    """Every complete plan (even with empty names or non-contiguous areas) is scored or refused cleanly."""
    raw = gpd.read_file(work / "montfoort.gpkg", layer="buurten")
    plan = work / "fuzz-plan-complete.csv"
    plan.write_text("buurtcode,area\n" + "".join(f"{c},{a}\n" for c, a in zip(sorted(raw.buurtcode), areas)), encoding="utf-8")
    config = write_yaml(work / "fuzz-plan2.yaml", base_config(work))
    code, output = clean_cli(["evaluate", config, "--plan", plan, "--json"])
    if code == 0 and all(a.strip() for a in areas):
        import json

        record = json.loads(output)
        assert sorted(a["name"] for a in record["areas"]) == sorted(set(a.strip() for a in areas))


def test_yaml_alias_bomb_is_refused_quickly(work):
    """'Billion laughs': nested aliases (9^8 strings if expanded) end in a clean error without expanding them."""
    import time

    lines = ['x0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"x{i}: &a{i} [{','.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 8)]
    lines += ["identity:", "  groups: {g: *a7}"]
    path = work / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    t0 = time.perf_counter()
    with pytest.raises(ConfigError):
        load_config(path)
    assert time.perf_counter() - t0 < 10
