"""The catalogue of bad inputs (issue 6): each is answered with one sentence and exit code 2.

Every case runs through the real CLI on files derived from the shipped Woerden data and checks:
exit code 2, exactly one ``Error:`` line naming the file and the field (and a fix after ';'),
no traceback, and nothing written to the outputs folder. Inputs that the tool repairs or
converts (another CRS, a small geometry defect, Excel's Dutch CSV dialect) must be accepted with
a warning and give the same result as the clean input.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from shapely.geometry import Polygon

from wijkindeling.cli import main
from wijkindeling.config import load_config
from wijkindeling.sources.buurten import load_buurten
from wijkindeling.sources.practices import load_practices

from .conftest import BUURTEN_GPKG, CONFIGS, write_config

PRACTICES = CONFIGS / "voorbeelden" / "woerden-praktijken-FICTIEF.csv"


# --------------------------------------------------------------------------- helpers

def run(args: list[str]):
    return CliRunner().invoke(main, [str(a) for a in args])


def refused(tmp_path: Path, args: list, *needles: str) -> str:
    """Run the CLI and assert the clean-error contract; returns the one error line."""
    result = run(args)
    assert result.exit_code == 2, f"exit {result.exit_code}: {result.output}"
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.strip() and not line.startswith("Warning:")]
    assert len(errors) == 1, result.stderr
    line = errors[0]
    assert line.startswith("Error: ") and ";" in line, line  # "<file>: <problem>; <fix>"
    for needle in needles:
        assert needle in line, f"{needle!r} not in {line!r}"
    out = tmp_path / "outputs"
    assert not out.exists() or not any(out.rglob("*")), "something was written to outputs/"
    return line


def both(tmp_path: Path, config: Path, *needles: str) -> str:
    """The same clean error from validate and from propose (which must write nothing)."""
    refused(tmp_path, ["validate", config], *needles)
    return refused(tmp_path, ["propose", config, "--time-limit", "1"], *needles)


@pytest.fixture(scope="module")
def woerden_raw() -> gpd.GeoDataFrame:
    raw = gpd.read_file(BUURTEN_GPKG, layer="buurten")
    return raw[raw.gemeentecode == "GM0632"].reset_index(drop=True)


def gpkg(tmp_path: Path, gdf: gpd.GeoDataFrame, name: str = "buurten.gpkg") -> Path:
    path = tmp_path / name
    gdf.to_file(path, layer="buurten", driver="GPKG")
    return path


def data_config(tmp_path: Path, buurten: Path, **extra) -> Path:
    data = {"buurten": str(buurten), **extra}
    return write_config(tmp_path, {"data": data})


# --------------------------------------------------------------------------- YAML and config values

def test_malformed_yaml_gives_line_and_column(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("gemeente: Woerden\nareas:\n  count: 6\n    tolerance: 0.1\n", encoding="utf-8")
    both(tmp_path, path, str(path), "line 4, column")


def test_unclosed_quote_gives_line(tmp_path):
    path = tmp_path / "quote.yaml"
    path.write_text('gemeente: "Woerden\nareas: {count: 6}\n', encoding="utf-8")
    refused(tmp_path, ["validate", path], str(path), "line ")


@pytest.mark.parametrize("text, kind", [("- a\n- b\n", "list"), ("just text\n", "str"), ("42\n", "int")])
def test_top_level_must_be_a_mapping(tmp_path, text, kind):
    path = tmp_path / "scalar.yaml"
    path.write_text(text, encoding="utf-8")
    refused(tmp_path, ["validate", path], str(path), "mapping", kind)


def test_not_utf8(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("gemeente: Gr\xe9\xe9n\n".encode("latin-1"))
    refused(tmp_path, ["validate", path], str(path), "UTF-8")


def test_unknown_top_level_key_suggests(tmp_path):
    config = write_config(tmp_path, {"gemeentcode": "GM0632"})
    both(tmp_path, config, str(config.resolve()), "gemeentcode", "did you mean 'gemeentecode'")


def test_unknown_nested_key_suggests(tmp_path):
    config = write_config(tmp_path, {"solver": {"time_limt": 5}})
    both(tmp_path, config, "solver.time_limt", "did you mean 'time_limit'")


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"areas": {"count": "zes"}}, "areas.count"),
        ({"weights": {"balance": -1}}, "weights.balance"),
        ({"weights": {"identity": "veel"}}, "weights.identity"),
        ({"areas": {"count": 0}}, "areas.count"),
        ({"areas": {"count": -3}}, "areas.count"),
        ({"areas": {"tolerance": 1.5}}, "areas.tolerance"),
        ({"areas": {"tolerance": -0.1}}, "areas.tolerance"),
        ({"areas": {"min_population": -5}}, "areas.min_population"),
        ({"areas": {"names": ["A", "A", "B", "C", "D", "E"]}}, "areas.names"),
        ({"solver": {"time_limit": 0}}, "solver.time_limit"),
        ({"solver": {"threads": 0}}, "solver.threads"),
        ({"solver": {"backend": "gurobi"}}, "solver.backend"),
        ({"practices": {"source": "file", "path": None}}, "practices"),
        ({"practices": {"distance_decay": 0}}, "practices.distance_decay"),
        ({"gemeentecode": "0632"}, "gemeentecode"),
        ({"areas": 6}, "areas"),
        ({"rules": {"keep_apart": [["BU06320101"]]}}, "rules.keep_apart"),
        ({"output": {"lang": "fr"}}, "output.lang"),
        ({"data": {"islands": "ignore"}}, "data.islands"),
    ],
)
def test_wrong_types_and_ranges(tmp_path, overrides, field):
    config = write_config(tmp_path, overrides)
    both(tmp_path, config, str(config.resolve()), field)


def test_min_population_above_max(tmp_path):
    config = write_config(tmp_path, {"areas": {"min_population": 9000, "max_population": 8000}})
    both(tmp_path, config, "min_population", "max_population")


def test_max_population_below_the_minimum_from_the_tolerance(tmp_path):
    config = write_config(tmp_path, {"areas": {"max_population": 5000}})
    both(tmp_path, config, "areas.max_population", "7,612–5,000", "min_population")


def test_more_areas_than_buurten(tmp_path):
    config = write_config(tmp_path, {"areas": {"count": 40}})
    both(tmp_path, config, "areas.count", "31 buurten")


def test_more_areas_than_buurten_from_the_command_line(tmp_path):
    refused(tmp_path, ["propose", write_config(tmp_path, {}), "--areas", "40"], "areas.count", "31 buurten")


def test_area_count_below_one_on_the_command_line(tmp_path):
    result = run(["propose", write_config(tmp_path, {}), "--areas", "0"])
    assert result.exit_code == 2 and "Traceback" not in result.output and "--areas" in result.output


def test_names_do_not_match_count(tmp_path):
    config = write_config(tmp_path, {"areas": {"names": ["Noord", "Zuid"]}})
    both(tmp_path, config, "areas.names", "6 areas")


def test_region_without_area_rule(tmp_path):
    """A config that sets neither count nor target_size (no extends) says what to add."""
    path = tmp_path / "bare.yaml"
    path.write_text(yaml.safe_dump({"gemeentecode": "GM0632", "data": {"buurten": str(BUURTEN_GPKG), "layer": "buurten"},
                                    "output": {"dir": str(tmp_path / "outputs")}}))
    refused(tmp_path, ["validate", path], str(path.resolve()), "areas", "count")


def test_data_section_missing(tmp_path):
    path = tmp_path / "nodata.yaml"
    path.write_text("gemeentecode: GM0632\nareas: {count: 3}\n")
    refused(tmp_path, ["validate", path], str(path), "data")


# --------------------------------------------------------------------------- files and extends

def test_config_file_missing(tmp_path):
    refused(tmp_path, ["validate", tmp_path / "nowhere.yaml"], "nowhere.yaml", "not found")


def test_config_is_a_folder(tmp_path):
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    result = run(["validate", folder])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_buurten_file_missing(tmp_path):
    config = data_config(tmp_path, tmp_path / "geen.gpkg")
    both(tmp_path, config, str(config.resolve()), "data.buurten", "geen.gpkg")


def test_buurten_file_not_geodata(tmp_path):
    junk = tmp_path / "buurten.gpkg"
    junk.write_text("this is not a geopackage\n")
    both(tmp_path, data_config(tmp_path, junk), "buurten.gpkg", "QGIS")


def test_practices_file_missing(tmp_path):
    config = write_config(tmp_path, {"practices": {"source": "file", "path": "geen-praktijken.csv"}})
    both(tmp_path, config, "practices.path", "geen-praktijken.csv")


def test_patients_file_missing(tmp_path):
    config = write_config(tmp_path, {"practices": {"patients": "geen-patienten.csv"}})
    both(tmp_path, config, "geen-patienten.csv")


def test_pc4_file_missing(tmp_path):
    config = data_config(tmp_path, BUURTEN_GPKG, pc4_centroids="geen-pc4.csv")
    both(tmp_path, config, "data.pc4_centroids", "geen-pc4.csv")


def test_extends_cycle(tmp_path):
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text("extends: b.yaml\ngemeente: A\n")
    b.write_text("extends: a.yaml\ngemeente: B\n")
    both(tmp_path, a, "extends", "cycle", "a.yaml -> b.yaml -> a.yaml")


def test_extends_itself(tmp_path):
    a = tmp_path / "self.yaml"
    a.write_text("extends: self.yaml\n")
    refused(tmp_path, ["validate", a], "extends", "cycle")


def test_extends_missing_file(tmp_path):
    a = tmp_path / "a.yaml"
    a.write_text("extends: regio-weg.yaml\n")
    refused(tmp_path, ["validate", a], str(a.resolve()), "extends", "regio-weg.yaml")


def test_extends_not_a_name(tmp_path):
    a = tmp_path / "a.yaml"
    a.write_text("extends: [one.yaml, two.yaml]\n")
    refused(tmp_path, ["validate", a], "extends")


def test_paths_resolve_relative_to_the_config_that_names_them(tmp_path):
    """A practice path in a config in another folder is looked up next to that config, not in the cwd."""
    sub = tmp_path / "gemeente"
    sub.mkdir()
    (sub / "praktijken.csv").write_bytes(PRACTICES.read_bytes())
    config = write_config(sub, {"practices": {"path": "praktijken.csv"}})
    cfg = load_config(config)
    assert cfg.practices.path == (sub / "praktijken.csv").resolve()
    assert run(["validate", config]).exit_code == 0


# --------------------------------------------------------------------------- building blocks

def test_no_crs_is_refused(tmp_path, woerden_raw):
    shp = tmp_path / "buurten.shp"
    woerden_raw.to_file(shp)
    shp.with_suffix(".prj").unlink()
    columns = {"code": "buurtcode", "name": "buurtnaam", "population": "aantal_inw", "gemeente_code": "gemeenteco", "gemeente_name": "gemeentena"}
    config = data_config(tmp_path, shp, layer=None, columns=columns)
    assert load_config(config).data.layer is None
    both(tmp_path, config, "buurten.shp", "coordinate system", "EPSG:28992")


def test_other_crs_is_reprojected_with_a_warning(tmp_path, woerden_raw, woerden):
    path = tmp_path / "buurten_wgs84.geojson"
    woerden_raw.to_crs("EPSG:4326").to_file(path, driver="GeoJSON")
    config = data_config(tmp_path, path, layer=None)
    result = run(["validate", config])
    assert result.exit_code == 0, result.output
    assert "Warning:" in result.stderr and "reprojected" in result.stderr and "EPSG:28992" in result.stderr
    assert "31 buurten" in result.stdout and "53.725 inhabitants" in result.stdout
    buurten = load_buurten(load_config(config))
    assert buurten.crs.to_epsg() == 28992
    assert buurten.geometry.area.sum() == pytest.approx(woerden.buurten.geometry.area.sum(), rel=1e-4)


def test_rd_coordinates_labelled_as_wgs84_are_refused(tmp_path, woerden_raw):
    """RD metres in a file that claims lon/lat (a classic GIS export mistake)."""
    wrong = woerden_raw.set_crs("EPSG:4326", allow_override=True)
    path = gpkg(tmp_path, wrong)
    both(tmp_path, data_config(tmp_path, path), "buurten.gpkg", "coordinate")


def _bowtie(poly: Polygon, spike: float) -> Polygon:
    """``poly``'s exterior with one self-crossing spike whose loop has about ``spike`` m² area."""
    coords = list(poly.exterior.coords)[:-1]
    x, y = coords[0]
    side = spike ** 0.5
    # out-and-back loop that crosses itself: invalid, repairable
    return Polygon([(x, y), (x + side, y + side), (x + side, y), (x, y + side), *coords[1:]])


def test_small_geometry_defect_is_repaired_with_a_warning(tmp_path, woerden_raw):
    broken = woerden_raw.copy()
    i = int(broken.geometry.area.idxmax())
    poly = broken.geometry[i]
    poly = poly if poly.geom_type == "Polygon" else max(poly.geoms, key=lambda g: g.area)
    broken.loc[i, "geometry"] = _bowtie(poly, 4.0)
    assert not broken.geometry[i].is_valid
    config = data_config(tmp_path, gpkg(tmp_path, broken))
    result = run(["validate", config])
    assert result.exit_code == 0, result.output
    assert "Warning:" in result.stderr and "repaired" in result.stderr and broken.buurtcode[i] in result.stderr
    assert "31 buurten" in result.stdout


def test_geometry_defect_that_changes_area_is_refused(tmp_path, woerden_raw):
    broken = woerden_raw.copy()
    i = int(broken.geometry.area.idxmin())
    b = broken.geometry[i].bounds
    # a figure-eight over the whole bounding box: make_valid keeps two triangles, half the box
    broken.loc[i, "geometry"] = Polygon([(b[0], b[1]), (b[2], b[3]), (b[2], b[1]), (b[0], b[3])])
    config = data_config(tmp_path, gpkg(tmp_path, broken))
    both(tmp_path, config, broken.buurtcode[i], "invalid", "Fix Geometries")


def test_empty_geometry_is_refused(tmp_path, woerden_raw):
    broken = woerden_raw.copy()
    broken.loc[3, "geometry"] = Polygon()
    both(tmp_path, data_config(tmp_path, gpkg(tmp_path, broken)), broken.buurtcode[3], "geometry")


def test_duplicate_buurtcode(tmp_path, woerden_raw):
    dup = woerden_raw.copy()
    dup.loc[5, "buurtcode"] = dup.loc[4, "buurtcode"]
    both(tmp_path, data_config(tmp_path, gpkg(tmp_path, dup)), "buurtcode", dup.loc[4, "buurtcode"], "more than once")


def test_missing_code_column(tmp_path):
    config = data_config(tmp_path, BUURTEN_GPKG, layer="buurten", columns={"code": "bu_code"})
    both(tmp_path, config, "data.columns.code", "bu_code")


@pytest.mark.parametrize("value, words", [(None, "empty"), (-12, "negative"), ("veel", "non-numeric"), ("", "empty")])
def test_bad_population(tmp_path, woerden_raw, value, words):
    bad = woerden_raw.copy()
    bad["aantal_inwoners"] = bad["aantal_inwoners"].astype(object)
    bad.loc[7, "aantal_inwoners"] = value
    both(tmp_path, data_config(tmp_path, gpkg(tmp_path, bad)), "aantal_inwoners", words)


def test_population_column_missing(tmp_path, woerden_raw):
    config = data_config(tmp_path, gpkg(tmp_path, woerden_raw.drop(columns="aantal_inwoners")))
    both(tmp_path, config, "data.columns.population", "aantal_inwoners")


def test_population_with_decimal_comma_text_is_read(tmp_path, woerden_raw, woerden):
    text = woerden_raw.copy()
    text["aantal_inwoners"] = text["aantal_inwoners"].astype(str).str.cat([",0"] * len(text))
    buurten = load_buurten(load_config(data_config(tmp_path, gpkg(tmp_path, text))))
    assert list(buurten.population) == list(woerden.population)


def test_gemeentecode_not_in_data(tmp_path):
    config = write_config(tmp_path, {"gemeentecode": "GM0999"})
    both(tmp_path, config, "gemeentecode", "GM0999", "has no buurten")


def test_only_one_buurt(tmp_path, woerden_raw):
    """A municipality of one buurt and K=1 is trivial but valid; K=2 is refused."""
    one = woerden_raw.iloc[[0]]
    config = write_config(tmp_path, {"data": {"buurten": str(gpkg(tmp_path, one))}, "areas": {"count": 2}, "identity": {"kernen": {}},
                                     "practices": {"source": "none"}})
    both(tmp_path, config, "areas.count", "1 buurten")


def test_islands_error_mode(tmp_path, woerden_raw):
    """Remove a buurt so that another one becomes an island; with islands: error that is reported."""
    geoms = woerden_raw.set_index("buurtcode").geometry
    touching = {c for c in geoms.index if c != "BU06320801" and geoms[c].touches(geoms["BU06320801"])}
    assert touching, "Zegveld should have neighbours"
    config = write_config(tmp_path, {"data": {"islands": "error"}, "barriers": {"pairs": [["BU06320801", c] for c in sorted(touching)]}})
    both(tmp_path, config, "data.islands", "connect_nearest")


# --------------------------------------------------------------------------- identity groups and rules

@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"rules": {"locks": {"BU99999999": "Gebied 1"}}}, "rules.locks"),
        ({"rules": {"keep_together": [["BU06320101", "BU00000000"]]}}, "rules.keep_together"),
        ({"rules": {"keep_apart": [["BU06320101", "BUXXX"]]}}, "rules.keep_apart"),
        ({"identity": {"groups": {"Oost": ["BU06320101", "BU12345678"]}}}, "identity.groups.Oost"),
        ({"identity": {"kernen": {"Nergens": ["BU05890101"]}}}, "identity.kernen.Nergens"),
    ],
)
def test_unknown_buurtcodes_in_rules(tmp_path, overrides, field):
    config = write_config(tmp_path, overrides)
    both(tmp_path, config, field, "not a buurt of Woerden")


def test_lock_to_unknown_area_name(tmp_path):
    config = write_config(tmp_path, {"areas": {"names": ["Noord", "Oost", "Zuid", "West", "Midden", "Kernen"]},
                                     "rules": {"locks": {"BU06320101": "Centrum"}}})
    both(tmp_path, config, "rules.locks.BU06320101", "'Centrum'", "Noord")


def test_lock_without_area_names(tmp_path):
    config = write_config(tmp_path, {"rules": {"locks": {"BU06320101": "Centrum"}}})
    both(tmp_path, config, "rules.locks", "areas.names")


def test_barrier_pair_with_unknown_code(tmp_path):
    config = write_config(tmp_path, {"barriers": {"pairs": [["BU06320101", "BU99999999"]]}})
    both(tmp_path, config, "barriers.pairs", "BU99999999")


# --------------------------------------------------------------------------- practices and patients

def practices_config(tmp_path: Path, frame: pd.DataFrame, name: str = "praktijken.csv", **extra) -> Path:
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return write_config(tmp_path, {"practices": {"source": "file", "path": str(path), **extra}})


def fictional_practices() -> pd.DataFrame:
    return pd.read_csv(PRACTICES, dtype=str, keep_default_na=False)


def test_practice_outside_the_municipality(tmp_path):
    frame = fictional_practices()
    frame.loc[2, "pc4"] = "3581"  # Utrecht centre, not in the PC4 file's Woerden range
    frame["x"], frame["y"] = "", ""
    frame.loc[2, ["x", "y"]] = ["136000", "455900"]  # Utrecht Dom, RD
    both(tmp_path, practices_config(tmp_path, frame), "praktijken.csv", frame.loc[2, "name"], "outside the municipality")


def test_practice_without_location(tmp_path):
    frame = fictional_practices()
    frame.loc[4, "pc4"] = ""
    both(tmp_path, practices_config(tmp_path, frame), "praktijken.csv", frame.loc[4, "name"], "no location")


def test_practice_with_unknown_pc4(tmp_path):
    frame = fictional_practices()
    frame.loc[4, "pc4"] = "9999"
    both(tmp_path, practices_config(tmp_path, frame), frame.loc[4, "name"], "no location")


def test_practice_list_without_name_column(tmp_path):
    frame = fictional_practices().rename(columns={"name": "naam"})
    both(tmp_path, practices_config(tmp_path, frame), "praktijken.csv", "'name'")


def test_practice_list_empty(tmp_path):
    path = tmp_path / "praktijken.csv"
    path.write_text("practice_id,name,pc4\n")
    config = write_config(tmp_path, {"practices": {"source": "file", "path": str(path)}})
    both(tmp_path, config, "praktijken.csv", "empty")


def test_practice_ids_duplicated(tmp_path):
    frame = fictional_practices()
    frame.loc[1, "practice_id"] = frame.loc[0, "practice_id"]
    both(tmp_path, practices_config(tmp_path, frame), "practice_id", "twice")


def test_practice_gps_not_numeric(tmp_path):
    frame = fictional_practices()
    frame.loc[3, "n_gps"] = "twee"
    both(tmp_path, practices_config(tmp_path, frame), "n_gps", "twee")


def patients_config(tmp_path: Path, frame: pd.DataFrame) -> Path:
    path = tmp_path / "patienten.csv"
    frame.to_csv(path, index=False)
    return write_config(tmp_path, {"practices": {"patients": str(path)}})


def test_patient_file_with_codes_that_match_nothing(tmp_path):
    frame = pd.DataFrame({"practice": ["F01", "F02"], "buurtcode": ["BU03440101", "BU03440102"], "patients": ["100", "200"]})
    both(tmp_path, patients_config(tmp_path, frame), "patienten.csv", "match")


def test_patient_file_with_unknown_practice(tmp_path):
    frame = pd.DataFrame({"practice": ["F01", "Dokter Onbekend"], "buurtcode": ["BU06320101", "BU06320102"], "patients": ["100", "200"]})
    both(tmp_path, patients_config(tmp_path, frame), "Dokter Onbekend", "practice list")


def test_patient_file_with_wrong_columns(tmp_path):
    frame = pd.DataFrame({"praktijk": ["F01"], "buurt": ["BU06320101"], "aantal": ["100"]})
    both(tmp_path, patients_config(tmp_path, frame), "patienten.csv", "columns")


@pytest.mark.parametrize("value, words", [("-40", "negative"), ("veel", "non-numeric")])
def test_patient_counts_bad(tmp_path, value, words):
    frame = pd.DataFrame({"practice": ["F01", "F02"], "buurtcode": ["BU06320101", "BU06320102"], "patients": ["100", value]})
    both(tmp_path, patients_config(tmp_path, frame), "patients", words)


# --------------------------------------------------------------------------- Excel's Dutch CSV dialect

def test_dutch_excel_csv_is_read_like_the_plain_one(tmp_path, woerden_cfg, woerden):
    """Semicolons, decimal commas and a BOM (what Excel-NL saves) give the same practices."""
    frame = fictional_practices()
    text = frame.to_csv(index=False, sep=";").replace("2.1", "2,1")
    path = tmp_path / "praktijken-excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    cfg = load_config(write_config(tmp_path, {"practices": {"path": str(path)}}))
    excel = load_practices(cfg, woerden.buurten)
    plain = load_practices(woerden_cfg, woerden.buurten)
    assert list(excel.columns) == list(plain.columns)
    assert list(excel.practice_id) == list(plain.practice_id)
    assert excel.n_gps.tolist() == plain.n_gps.tolist() and excel.n_gps.iloc[0] == 2.1
    assert excel.geometry.geom_equals(plain.geometry).all()


def test_dutch_excel_patient_counts(tmp_path, woerden):
    """Real patient counts in Excel-NL form (BOM, ';', decimal comma) are read as numbers."""
    path = tmp_path / "patienten.csv"
    rows = "\ufeffpractice;buurtcode;patients\r\nF01;BU06320101;1.234,5\r\nF02;BU06320102;250,5\r\n"
    path.write_text(rows, encoding="utf-8")
    config = write_config(tmp_path, {"practices": {"patients": str(path)}})
    from wijkindeling.build import build_problem

    problem = build_problem(load_config(config))
    assert problem.catchments.estimated is False
    assert problem.catchments.patients.loc["F01", "BU06320101"] == pytest.approx(1234.5)
    assert problem.catchments.patients.loc["F02", "BU06320102"] == pytest.approx(250.5)
    assert problem.catchments.total == pytest.approx(1485.0)


def test_xlsx_given_as_csv_is_refused(tmp_path):
    path = tmp_path / "praktijken.csv"
    path.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)
    config = write_config(tmp_path, {"practices": {"path": str(path)}})
    both(tmp_path, config, "praktijken.csv", "Excel workbook", "CSV UTF-8")


# --------------------------------------------------------------------------- plan files (evaluate and friends)

def plan_case(tmp_path: Path, text: str | None) -> list:
    config = write_config(tmp_path, {})
    plan = tmp_path / "plan.csv"
    if text is not None:
        plan.write_text(text, encoding="utf-8")
    return ["evaluate", config, "--plan", plan]


def test_plan_file_missing(tmp_path):
    refused(tmp_path, plan_case(tmp_path, None), "plan.csv", "not found")


def test_plan_file_empty(tmp_path):
    refused(tmp_path, plan_case(tmp_path, ""), "plan.csv", "empty")


def test_plan_file_header_only(tmp_path):
    refused(tmp_path, plan_case(tmp_path, "buurtcode,area\n"), "plan.csv", "no rows")


def test_plan_file_unknown_code(tmp_path, woerden):
    rows = "".join(f"{c},A\n" for c in woerden.codes) + "BU99999999,A\n"
    refused(tmp_path, plan_case(tmp_path, "buurtcode,area\n" + rows), "plan.csv", "BU99999999")


def test_plan_file_duplicate_code(tmp_path, woerden):
    rows = "".join(f"{c},A\n" for c in woerden.codes) + f"{woerden.codes[0]},B\n"
    refused(tmp_path, plan_case(tmp_path, "buurtcode,area\n" + rows), "plan.csv", woerden.codes[0], "twice")


def test_plan_file_missing_buurt(tmp_path, woerden):
    rows = "".join(f"{c},A\n" for c in woerden.codes[1:])
    refused(tmp_path, plan_case(tmp_path, "buurtcode,area\n" + rows), "plan.csv", woerden.codes[0])


def test_plan_file_wrong_columns(tmp_path, woerden):
    rows = "".join(f"{c},A\n" for c in woerden.codes)
    refused(tmp_path, plan_case(tmp_path, "code,wijk\n" + rows), "plan.csv", "buurtcode")


def test_plan_in_dutch_excel_dialect_is_read(tmp_path, woerden):
    rows = "".join(f"{c};{'Noord' if i < 15 else 'Zuid'}\r\n" for i, c in enumerate(woerden.codes))
    plan = tmp_path / "plan.csv"
    plan.write_bytes(("\ufeffbuurtcode;gebied\r\n" + rows).encode("utf-8"))
    result = run(["evaluate", write_config(tmp_path, {}), "--plan", plan, "--json"])
    assert result.exit_code == 0, result.output
    import json

    record = json.loads(result.stdout)
    assert [a["name"] for a in record["areas"]] == ["Noord", "Zuid"]
    assert sum(a["population"] for a in record["areas"]) == woerden.total


# --------------------------------------------------------------------------- output folder

def test_existing_scenario_needs_force(tmp_path):
    config = write_config(tmp_path, {})
    target = tmp_path / "outputs" / "woerden" / "voorstel"
    target.mkdir(parents=True)
    (target / "plan.csv").write_text("keep me\n")
    result = run(["propose", config, "--time-limit", "1"])
    assert result.exit_code == 2 and "--force" in result.stderr and "Traceback" not in result.output
    assert (target / "plan.csv").read_text() == "keep me\n"


def test_output_folder_not_writable(tmp_path):
    blocker = tmp_path / "outputs"
    blocker.write_text("a file where the output folder should be\n")
    config = write_config(tmp_path, {})
    result = run(["propose", config, "--time-limit", "5"])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "outputs" in result.stderr and "output.dir" in result.stderr
    assert "Optimising" not in result.stderr  # refused before the solve, not after it
    assert blocker.read_text().startswith("a file")


# --------------------------------------------------------------------------- every command answers bad input cleanly

BROKEN_YAML = "gemeente: [Woerden\nareas: {count: 6}\n"


def broken_config(tmp_path: Path) -> Path:
    path = tmp_path / "kapot.yaml"
    path.write_text(BROKEN_YAML, encoding="utf-8")
    return path


# One bad-input invocation per command; a new command must be added here (test below).
COMMAND_CASES = {
    "validate": lambda t: ["validate", broken_config(t)],
    "propose": lambda t: ["propose", broken_config(t), "--out", t / "outputs"],
    "evaluate": lambda t: ["evaluate", broken_config(t), "--plan", t / "plan.csv"],
    "blueprint": lambda t: ["blueprint", broken_config(t), "--format", "html", "--no-variants", "--out", t / "outputs"],
    "region": lambda t: ["region", broken_config(t), "--format", "html", "--no-variants", "--out", t / "outputs"],
    "init": lambda t: ["init", "GM9999", "--out", t / "outputs" / "nieuw.yaml", "--region", CONFIGS / "regio-utrecht-noordwest.yaml"],
    "compare": lambda t: ["compare", broken_config(t), t / "a.csv", t / "b.csv", "--no-png", "--out", t / "outputs"],
    "import": lambda t: ["import", broken_config(t), t / "a.csv", "--scenario", "x", "--out", t / "outputs"],
    "sweep": lambda t: ["sweep", broken_config(t), "--areas", "2-3", "--time-limit", "1"],
    "data": lambda t: ["data", "Woerden", "--year", "1999", "--cache", t / "cache", "--out", t / "outputs" / "woerden"],
    "sessie": lambda t: ["sessie", broken_config(t), "--no-browser"],
}


def test_every_command_has_a_bad_input_case():
    missing = sorted(set(main.commands) - set(COMMAND_CASES))
    assert not missing, f"add a bad-input case for: {', '.join(missing)}"


@pytest.mark.parametrize("command", sorted(COMMAND_CASES))
def test_every_command_answers_bad_input_in_one_sentence(tmp_path, command):
    assert command in main.commands, f"{command} is not a command of the CLI"
    needle = {"init": "GM9999", "data": "--year 1999"}.get(command, "line 2")
    refused(tmp_path, COMMAND_CASES[command](tmp_path), needle)


def complete_plan(tmp_path: Path, codes: list[str]) -> Path:
    plan = tmp_path / "goed.csv"
    plan.write_text("buurtcode,area\n" + "".join(f"{c},{'A' if i < 15 else 'B'}\n" for i, c in enumerate(codes)), encoding="utf-8")
    return plan


@pytest.mark.parametrize("command", ["evaluate", "compare", "import"])
def test_empty_plan_file(tmp_path, woerden, command):
    """An empty plan file (the issue names compare) is refused by every command that reads plans."""
    assert command in main.commands, f"{command} is not a command of the CLI"
    empty = tmp_path / "leeg.csv"
    empty.write_bytes(b"")
    config = write_config(tmp_path, {})
    args = {
        "evaluate": ["evaluate", config, "--plan", empty],
        "compare": ["compare", config, complete_plan(tmp_path, woerden.codes), empty, "--no-png", "--out", tmp_path / "outputs"],
        "import": ["import", config, empty, "--scenario", "leeg", "--out", tmp_path / "outputs"],
    }[command]
    refused(tmp_path, args, "leeg.csv", "empty")


def test_import_plan_with_unknown_buurtcode(tmp_path, woerden):
    assert "import" in main.commands, "import is not a command of the CLI"
    plan = complete_plan(tmp_path, woerden.codes)
    plan.write_text(plan.read_text() + "BU99999999,A\n")
    refused(tmp_path, ["import", write_config(tmp_path, {}), plan, "--scenario", "x", "--out", tmp_path / "outputs"], "BU99999999")


# --------------------------------------------------------------------------- security

HOSTILE = "<script>alert('buurt')</script>"
HOSTILE_PRACTICE = '<img src=x onerror="alert(1)">'


def hostile_config(tmp_path, woerden_raw):
    """A Woerden config whose first buurt and first practice carry markup in their names."""
    raw = woerden_raw.copy()
    raw.loc[0, "buurtnaam"] = HOSTILE
    frame = fictional_practices()
    frame.loc[0, "name"] = HOSTILE_PRACTICE
    prac = tmp_path / "praktijken.csv"
    frame.to_csv(prac, index=False)
    return write_config(tmp_path, {"data": {"buurten": str(gpkg(tmp_path, raw))}, "practices": {"path": str(prac)}})


@pytest.mark.slow
def test_text_from_data_is_escaped_in_the_map(tmp_path, woerden_raw):
    """Buurt and practice names are data from other hands: they must not become markup in map.html."""
    config = hostile_config(tmp_path, woerden_raw)
    result = run(["propose", config, "--time-limit", "30"])
    assert result.exit_code == 0, result.output
    html = (tmp_path / "outputs" / "woerden" / "voorstel" / "map.html").read_text(encoding="utf-8")
    assert "alert" in html, "the hostile names should be in the map (escaped)"
    assert HOSTILE not in html and "<script>alert" not in html
    assert HOSTILE_PRACTICE not in html and "<img src=x" not in html


@pytest.mark.slow
def test_no_network_without_osm(tmp_path, monkeypatch):
    """validate and propose on shipped data never open a network connection."""
    import socket

    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    config = write_config(tmp_path, {})
    assert run(["validate", config]).exit_code == 0
    result = run(["propose", config, "--time-limit", "30"])
    assert result.exit_code == 0, result.output
    assert attempts == []


@pytest.mark.slow
def test_text_from_data_is_escaped_in_the_handreiking(tmp_path, woerden_raw):
    """The written document (HTML) shows hostile buurt and practice names as text, not markup."""
    assert "blueprint" in main.commands, "blueprint is not a command of the CLI"
    config = hostile_config(tmp_path, woerden_raw)
    result = run(["blueprint", config, "--format", "html", "--no-variants", "--time-limit", "30"])
    assert result.exit_code == 0, result.output
    pages = list((tmp_path / "outputs").rglob("*.html"))
    assert any("alert" in page.read_text(encoding="utf-8") for page in pages), "the hostile names should appear (escaped)"
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert HOSTILE not in html and "<script>alert" not in html, page
        assert HOSTILE_PRACTICE not in html and "<img src=x" not in html, page


@pytest.mark.slow
def test_hostile_area_names_from_a_plan_file_are_escaped(tmp_path, woerden):
    """Area names come from other people's plan files: import and compare show them as text in every HTML page."""
    assert {"import", "compare"} <= set(main.commands), "import and compare must be commands of the CLI"
    plan = tmp_path / "vijandig.csv"
    pd.DataFrame({"buurtcode": woerden.codes, "area": [HOSTILE if i < 12 else HOSTILE_PRACTICE for i in range(woerden.n)]}).to_csv(plan, index=False)
    config = write_config(tmp_path, {})
    assert run(["import", config, plan, "--scenario", "vijandig"]).exit_code == 0
    result = run(["compare", config, complete_plan(tmp_path, woerden.codes), plan, "--no-png"])
    assert result.exit_code == 0, result.output
    pages = list((tmp_path / "outputs").rglob("*.html"))
    assert len(pages) >= 2 and any("alert" in p.read_text(encoding="utf-8") for p in pages)
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert HOSTILE not in html and "<script>alert" not in html and "<img src=x" not in html, page
