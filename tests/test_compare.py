"""Comparing divisions: the optimiser's Woerden plan against the CBS wijken as areas (real data)."""

from __future__ import annotations

import csv
import json

import geopandas as gpd
import numpy as np
import pytest
from click.testing import CliRunner

from wijkindeling.cli import main
from wijkindeling.errors import DataError
from wijkindeling.model.metrics import area_table, score
from wijkindeling.report.compare import SCORE_ROWS, compare, entry_from_labels, load_plan, match_areas
from wijkindeling.report.plans import problem_for_plan, read_plan, wijken_plan, write_plan_csv, write_plan_gpkg

from .conftest import BUURTEN_GPKG, write_config
from .plan_fixtures import woerden_solution

WIJKEN_GPKG = BUURTEN_GPKG.with_name("cbs_wijken_2024_regio_utrecht_nw.gpkg")


@pytest.fixture(scope="module")
def plan():
    return woerden_solution()


@pytest.fixture(scope="module")
def plan_csv(plan, tmp_path_factory):
    problem, labels = plan
    path = tmp_path_factory.mktemp("optimiser") / "optimiser" / "plan.csv"
    path.parent.mkdir()
    write_plan_csv(problem, labels, path)
    return path


@pytest.fixture(scope="module")
def cli_compare(plan_csv, tmp_path_factory):
    """``wijkindeling compare`` of the optimiser's plan.csv and cbs-wijken, run through the CLI."""
    tmp = tmp_path_factory.mktemp("cli")
    config = write_config(tmp, {})
    result = CliRunner().invoke(main, ["compare", str(config), str(plan_csv), "cbs-wijken"])
    assert result.exit_code == 0, result.output
    folder = tmp / "outputs" / "woerden" / "compare-optimiser-cbs-wijken"
    return folder, result.output


def expected_value(problem, labels, key):
    """What metrics.py says for one table row (the test's own reading of metrics, not compare.py's)."""
    s = score(problem, labels)
    pops = [r["population"] for r in area_table(problem, labels)]
    return {"k": problem.k, "n_violations": len(s.violations), "min_population": min(pops),
            "max_population": max(pops)}.get(key, getattr(s, key, None))


def test_wijken_plan_is_the_eight_cbs_wijken(woerden):
    labels, names = wijken_plan(woerden)
    assert len(names) == 8 and names[0] == "Wijk 01 Woerden-Midden"
    codes = woerden.buurten.set_index("buurtcode").loc[woerden.codes, "wijkcode"].to_numpy()
    for k in range(8):
        assert len(set(codes[labels == k])) == 1  # each area is exactly one wijk


def test_polygon_import_of_cbs_wijken_matches_wijkcodes(woerden, tmp_path):
    wijken = gpd.read_file(WIJKEN_GPKG)
    wijken = wijken[wijken["gemeentecode"] == "GM0632"]
    path = tmp_path / "wijken.geojson"
    wijken.to_crs("EPSG:4326").to_file(path, driver="GeoJSON")  # other CRS on purpose: import re-projects
    labels, names = read_plan(path, woerden)
    expected, expected_names = wijken_plan(woerden)
    assert names == expected_names and np.array_equal(labels, expected)


def test_polygon_import_of_our_own_areas_gives_back_the_plan(plan, tmp_path):
    problem, labels = plan
    write_plan_gpkg(problem, labels, tmp_path / "plan.gpkg")
    by_code, names1 = read_plan(tmp_path / "plan.gpkg", problem)  # layer buurten: exact
    by_overlap, names2 = read_plan(tmp_path / "plan.gpkg", problem, layer="gebieden")  # polygons: largest overlap
    assert np.array_equal(by_code, labels) and np.array_equal(by_overlap, labels)
    assert names1 == names2 == problem.area_names


def test_a_buurt_outside_every_polygon_is_a_clear_error(woerden, tmp_path):
    wijken = gpd.read_file(WIJKEN_GPKG)
    wijken = wijken[(wijken["gemeentecode"] == "GM0632") & (wijken["wijkcode"] != "WK063208")]  # drop Zegveld
    wijken.to_file(tmp_path / "zonder-zegveld.gpkg", driver="GPKG")
    with pytest.raises(DataError, match=r"zonder-zegveld.gpkg: buurt BU063208\d\d .* lies outside every area polygon"):
        read_plan(tmp_path / "zonder-zegveld.gpkg", woerden)


def test_table_numbers_equal_metrics_on_each_plan(plan, woerden):
    problem, labels = plan
    comp = compare([entry_from_labels(problem, labels, "optimiser"), load_plan(woerden, "cbs-wijken")])
    wlabels, wnames = wijken_plan(woerden)
    sized = {"optimiser": (problem, labels), "cbs-wijken": (problem_for_plan(woerden, wnames), wlabels)}
    assert [r["key"] for r in comp.rows] == [r.key for r in SCORE_ROWS]
    for row in comp.rows:
        for name, value in zip(comp.names, row["values"]):
            assert value == expected_value(*sized[name], row["key"]), (row["key"], name)


@pytest.mark.slow
def test_cli_compare_csv_equals_metrics_and_names_winners(plan, woerden, cli_compare):
    problem, labels = plan
    folder, output = cli_compare
    assert {p.name for p in folder.iterdir()} == {"compare.csv", "changed_buurten.csv", "compare.html", "compare.png"}
    with open(folder / "compare.csv", encoding="utf-8") as fh:
        rows = {r["score"]: r for r in csv.DictReader(fh)}
    wlabels, wnames = wijken_plan(woerden)
    plans = {"optimiser": (problem, labels), "cbs-wijken": (problem_for_plan(woerden, wnames), wlabels)}
    for key, row in rows.items():
        for name, (p, lab) in plans.items():
            want = expected_value(p, lab, key)
            if want is None:
                assert row[name] == ""
            else:
                assert float(row[name]) == pytest.approx(float(want), rel=1e-12), (key, name)
        better = next(r.better for r in SCORE_ROWS if r.key == key)
        if better:
            values = {n: float(row[n]) for n in plans}
            best = (min if better == "low" else max)(values.values())
            winners = [n for n, v in values.items() if v == best]
            assert row["winner"] == (", ".join(winners) if len(winners) == 1 else "gelijk"), key
    # The CBS wijken break the size rule (tiny buitengebied wijken, Woerden-Midden twice the target):
    # the table shows them invalid with their violations instead of crashing.
    assert rows["valid"]["optimiser"] == "1" and rows["valid"]["cbs-wijken"] == "0"
    assert rows["k"]["cbs-wijken"] == "8" and int(rows["n_violations"]["cbs-wijken"]) >= 4
    assert rows["objective"]["winner"] == "optimiser"
    assert "cbs-wijken breaks hard rules" in output and "Wijk 04 Buitengebied Woerden-West has 375 inhabitants" in output
    page = (folder / "compare.html").read_text(encoding="utf-8")
    # compare.html is Dutch: the same violations from metrics, rendered in Dutch
    assert "Overtredingen van harde regels" in page and "Wijk 04 Buitengebied Woerden-West heeft 375 inwoners, onder het minimum" in page
    assert "inhabitants" not in page
    assert (folder / "compare.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_changed_buurten_are_exactly_those_outside_matched_areas(plan, woerden, cli_compare):
    problem, labels = plan
    folder, _ = cli_compare
    with open(folder / "changed_buurten.csv", encoding="utf-8") as fh:
        moved = {r["buurtcode"]: r for r in csv.DictReader(fh)}
    base = entry_from_labels(problem, labels, "optimiser")
    other = load_plan(woerden, "cbs-wijken")
    match = match_areas(base, other)
    assert sorted(set(match.values())) == list(range(problem.k))  # 8 wijken cover all 6 optimiser areas
    for u, code in enumerate(problem.codes):
        same = match.get(int(other.labels[u])) == int(labels[u])
        assert (code in moved) == (not same), code
        if code in moved:
            assert moved[code]["from_area"] == problem.area_names[labels[u]]
            assert moved[code]["to_area"] == other.problem.area_names[other.labels[u]]
            assert int(moved[code]["population"]) == problem.population[u]
    assert 0 < len(moved) < problem.n


def test_a_plan_compared_with_itself_changes_nothing(plan):
    problem, labels = plan
    comp = compare([entry_from_labels(problem, labels, "a"), entry_from_labels(problem, labels, "a")])
    assert comp.names == ["a", "a-2"] and comp.changes == []
    assert all(r["winner"] in ("", "gelijk") for r in comp.rows if r["values"][0] is not None)
    assert comp.entries[0].colours == comp.entries[1].colours


def test_matched_areas_keep_their_colour(plan, woerden):
    problem, labels = plan
    comp = compare([entry_from_labels(problem, labels, "optimiser"), load_plan(woerden, "cbs-wijken")])
    base, other = comp.entries
    for o, b in match_areas(base, other).items():
        assert other.colours[o] == base.colours[b]
    assert len(set(other.colours)) == other.problem.k  # unmatched wijken get colours of their own


def test_cli_compare_needs_two_plans_and_existing_files(tmp_path, plan_csv):
    config = write_config(tmp_path, {})
    one = CliRunner().invoke(main, ["compare", str(config), str(plan_csv)])
    assert one.exit_code == 2 and "give at least two PLANS" in one.output
    missing = CliRunner().invoke(main, ["compare", str(config), str(plan_csv), str(tmp_path / "nope.csv")])
    assert missing.exit_code == 2 and "nope.csv: file not found" in missing.output


@pytest.mark.slow
def test_cli_import_writes_a_scenario_and_evaluate_reads_polygons(tmp_path):
    config = write_config(tmp_path, {})
    wijken = gpd.read_file(WIJKEN_GPKG)
    wijken[wijken["gemeentecode"] == "GM0632"].to_file(tmp_path / "wijken.gpkg", driver="GPKG")
    result = CliRunner().invoke(main, ["import", str(config), str(tmp_path / "wijken.gpkg"), "--scenario", "cbs-wijken"])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "outputs" / "woerden" / "cbs-wijken"
    assert {"plan.csv", "plan.gpkg", "metrics.json", "map.html", "map.png", "gebieden.geojson", "buurten.geojson"} <= {p.name for p in folder.iterdir()}
    record = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    assert record["k"] == 8 and record["scores"]["valid"] is False and record["imported_from"].endswith("wijken.gpkg")
    ev = CliRunner().invoke(main, ["evaluate", str(config), "--plan", "cbs-wijken", "--json"])
    assert ev.exit_code == 0, ev.output
    assert json.loads(ev.output)["objective"] == pytest.approx(record["objective"])


@pytest.mark.parametrize("path", [WIJKEN_GPKG, BUURTEN_GPKG], ids=["wijk-polygons", "buurten-table"])
def test_regional_files_import_as_the_municipalitys_wijken(woerden, path, recwarn):
    # The shipped regional GeoPackages hold six municipalities: polygons elsewhere and rows of other
    # municipalities are ignored without a warning; the result is Woerden's eight CBS wijken.
    labels, names = read_plan(path, woerden)
    expected, expected_names = wijken_plan(woerden)
    assert names == expected_names and np.array_equal(labels, expected)
    assert not [w for w in recwarn if "wijkindeling" in str(w.filename)]


def test_hand_drawn_polygons_assign_each_buurt_by_largest_overlap(woerden, tmp_path):
    from shapely.geometry import box

    x0, y0, x1, y1 = woerden.buurten.total_bounds
    xm = float(np.median(woerden.buurten.geometry.centroid.x))
    drawn = gpd.GeoDataFrame({"naam": ["West", "Oost"]}, geometry=[box(x0 - 10, y0 - 10, xm, y1 + 10), box(xm, y0 - 10, x1 + 10, y1 + 10)],
                             crs=woerden.buurten.crs)
    drawn.to_file(tmp_path / "getekend.gpkg", driver="GPKG")
    labels, names = read_plan(tmp_path / "getekend.gpkg", woerden)
    geoms = woerden.buurten.set_index("buurtcode").loc[woerden.codes].geometry
    west = np.array([g.intersection(drawn.geometry[0]).area > g.intersection(drawn.geometry[1]).area for g in geoms])
    assert sorted(names) == ["Oost", "West"]
    assert np.array_equal(np.array(names)[labels] == "West", west)
    straddling = [g for g in geoms if 0 < g.intersection(drawn.geometry[0]).area < g.area - 1]
    assert straddling  # the line really cuts through buurten, so the overlap rule was exercised


def test_violations_one_source_english_and_dutch(woerden):
    """metrics.violation_items is the single source: the English sentences (CLI, metrics.json) and the Dutch
    ones (documents) name the same areas, buurten and numbers, rule by rule."""
    from dataclasses import replace

    from wijkindeling.model.metrics import violation_items, violations

    wlabels, wnames = wijken_plan(woerden)
    p = problem_for_plan(woerden, wnames)
    a, b = int(np.flatnonzero(wlabels == 0)[0]), int(np.flatnonzero(wlabels == 1)[0])
    same = [int(u) for u in np.flatnonzero(wlabels == 0)[:2]]
    p = replace(p, locks={a: 1}, keep_together=[[a, b]], keep_apart=[tuple(same)])
    items = violation_items(p, wlabels)
    assert score(p, wlabels).violations == violations(p, wlabels) == [v.text() for v in items]
    kinds = {v.kind for v in items}
    assert {"below", "above", "lock", "split_group", "together"} <= kinds
    en, nl = violations(p, wlabels), violations(p, wlabels, lang="nl")
    assert len(en) == len(nl) == len(items)
    pops = dict(zip(p.area_names, np.bincount(wlabels, weights=p.population, minlength=p.k).astype(int)))
    for v, e, d in zip(items, en, nl):
        assert v.subject in e and v.subject in d
        if v.kind == "below":
            assert v.value == pops[v.subject]
            assert e == f"{v.subject} has {pops[v.subject]} inhabitants, below the minimum {p.lo:.0f}"
            nl_pop = f"{pops[v.subject]:,}".replace(",", ".")
            assert d.startswith(f"{v.subject} heeft {nl_pop} inwoners, onder het minimum van ")
        if v.kind == "lock":
            assert (v.subject, v.other) == (p.names[a], p.area_names[1])
            assert e == f"{p.names[a]} is locked to {p.area_names[1]}" and "vastgezet op" in d
        if v.kind == "together":
            assert e.endswith("must be apart") and d.endswith("moeten in verschillende gebieden liggen")
    assert not any(word in " ".join(nl) for word in ("inhabitants", "locked", "must be", "is split"))
