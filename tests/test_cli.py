"""End to end with click's CliRunner: propose writes the outputs, and they agree with a recomputation."""

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from wijkindeling.cli import main

from .conftest import BUURTEN_GPKG, write_config


@pytest.fixture(scope="module")
def proposed(tmp_path_factory):
    """One `propose` run on Woerden (short time limit; status is whatever the solver proves)."""
    tmp = tmp_path_factory.mktemp("propose")
    config = write_config(tmp, {"solver": {"time_limit": 20, "threads": 1}})
    result = CliRunner().invoke(main, ["propose", str(config), "--scenario", "test"])
    assert result.exit_code == 0, result.output
    return tmp / "outputs" / "woerden" / "test", result


def test_propose_writes_all_outputs(proposed):
    folder, result = proposed
    for name in ("plan.csv", "plan.gpkg", "metrics.json", "map.html", "map.png"):
        assert (folder / name).stat().st_size > 0, name
    assert "Harmelen" in result.output and "Gebied 1" not in result.output and "status:" in result.output  # areas named after kernen and wijken


def test_every_buurt_assigned_once_and_areas_valid(proposed):
    folder, _ = proposed
    plan = pd.read_csv(folder / "plan.csv", dtype=str)
    raw = gpd.read_file(BUURTEN_GPKG)
    raw = raw[raw.gemeentecode == "GM0632"].set_index("buurtcode")
    assert sorted(plan.buurtcode) == sorted(raw.index) and plan.buurtcode.is_unique
    record = json.loads((folder / "metrics.json").read_text())
    lo, hi = record["population_min"], record["population_max"]
    for area, part in plan.groupby("area"):
        geom = raw.loc[part.buurtcode].geometry.union_all()
        assert geom.geom_type == "Polygon", f"{area} is not one contiguous piece"
        assert lo <= raw.loc[part.buurtcode, "aantal_inwoners"].sum() <= hi


def test_metrics_json_equals_independent_recomputation(proposed):
    folder, _ = proposed
    record = json.loads((folder / "metrics.json").read_text())
    plan = pd.read_csv(folder / "plan.csv", dtype=str)
    raw = gpd.read_file(BUURTEN_GPKG)
    raw = raw[raw.gemeentecode == "GM0632"].merge(plan, on="buurtcode")
    assert record["gemeentecode"] == "GM0632"
    assert record["status"] in ("optimal", "gap", "heuristic")
    assert record["seconds"] > 0
    pops = raw.groupby("area")["aantal_inwoners"].sum()
    target = raw.aantal_inwoners.sum() / len(pops)
    assert {a["name"]: a["population"] for a in record["areas"]} == pops.to_dict()
    for a in record["areas"]:
        assert sorted(a["buurten"]) == sorted(raw.loc[raw["area"] == a["name"], "buurtcode"])
    s = record["scores"]
    assert s["max_population_deviation"] == pytest.approx((pops - target).abs().max() / target, abs=1e-6)
    # identity: wijken + kernen of woerden.yaml, extra pieces = areas touched - 1
    import yaml

    from .conftest import WOERDEN

    kernen = yaml.safe_load(WOERDEN.read_text())["identity"]["kernen"]
    area_of = dict(zip(raw.buurtcode, raw["area"]))
    splits = sum(n - 1 for n in raw.groupby("wijkcode")["area"].nunique())
    splits += sum(len({area_of[c] for c in members}) - 1 for members in kernen.values())
    assert s["identity_splits"] == splits
    # cut boundary: (sum of area perimeters - municipality perimeter) / 2
    perim = sum(raw[raw["area"] == a].geometry.union_all().length for a in pops.index)
    assert s["cut_boundary_km"] == pytest.approx((perim - raw.geometry.union_all().length) / 2000, rel=1e-5)
    # patients in own area from the gpkg's practice layer and an independent Huff recomputation
    prac = gpd.read_file(folder / "plan.gpkg", layer="praktijken")
    pts = raw.geometry.representative_point()
    d = np.maximum(np.array([[p.distance(q) for q in pts] for p in prac.geometry]), 250.0)
    util = prac.n_gps.to_numpy()[:, None] * d**-2.0
    pats = util / util.sum(axis=0) * raw.aantal_inwoners.to_numpy()[None, :]
    own = sum(pats[i, (raw["area"] == prac["area"][i]).to_numpy()].sum() for i in range(len(prac)))
    assert s["patients_in_own_area"] == pytest.approx(own / pats.sum(), abs=1e-6)


def test_evaluate_reads_the_plan_back(proposed, tmp_path):
    folder, _ = proposed
    config = write_config(tmp_path, {})
    result = CliRunner().invoke(main, ["evaluate", str(config), "--plan", str(folder / "plan.csv"), "--json"])
    assert result.exit_code == 0, result.output
    again = json.loads(result.output)
    record = json.loads((folder / "metrics.json").read_text())
    assert again["scores"] == record["scores"]
    assert again["areas"] == record["areas"]


def test_gpkg_layers(proposed):
    folder, _ = proposed
    buurten = gpd.read_file(folder / "plan.gpkg", layer="buurten")
    areas = gpd.read_file(folder / "plan.gpkg", layer="gebieden")
    record = json.loads((folder / "metrics.json").read_text())
    assert len(buurten) == 31 and "area" in buurten
    assert list(areas["area"]) == [a["name"] for a in record["areas"]]
    assert list(areas.population) == [a["population"] for a in record["areas"]]


def test_config_error_is_one_sentence_exit_2(tmp_path):
    config = write_config(tmp_path, {"areas": {"count": 0}})
    result = CliRunner().invoke(main, ["propose", str(config)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and "areas.count" in lines[0] and str(config.resolve()) in lines[0]
    assert not (tmp_path / "outputs").exists()


def test_validate_ok(tmp_path):
    result = CliRunner().invoke(main, ["validate", str(write_config(tmp_path, {}))])
    assert result.exit_code == 0 and "31 buurten" in result.output and "FICTIONAL" in result.output
