"""Indicators per buurt summed up per area (the startfoto), checked against an independent computation.

The buurten and inhabitants are the real shipped CBS data of Woerden. The indicator values are
INVENTED for these tests (file names say FICTIEF); they are never shipped as data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner

from wijkindeling.build import build_problem
from wijkindeling.cli import main
from wijkindeling.config import ConfigError, load_config
from wijkindeling.errors import DataError
from wijkindeling.model.profile import Indicator, area_profiles
from wijkindeling.model.startfoto import startfoto
from wijkindeling.report.maps import interactive_map
from wijkindeling.report.outputs import metrics_record
from wijkindeling.report.plans import wijken_plan, write_plan_csv, write_plan_gpkg
from wijkindeling.sources.indicators import load_indicators

from .conftest import write_config


def fictional_table(woerden, tmp_path, suppress: dict[str, str] | None = None):
    """A CSV in Excel's Dutch dialect with invented indicators for every Woerden buurt (FICTIEF)."""
    rng = np.random.default_rng(7)
    pop = woerden.population
    older = np.floor(pop * rng.uniform(0.1, 0.3, len(pop)))
    households = np.floor(pop / rng.uniform(1.8, 2.6, len(pop)))
    income = rng.uniform(25.0, 45.0, len(pop)).round(1)  # thousand euro per household
    rows = {"buurtcode": woerden.codes, "inwoners": pop.astype(int).astype(str), "ouderen_65plus": older.astype(int).astype(str),
            "huishoudens": households.astype(int).astype(str), "inkomen_per_huishouden": [f"{v:.1f}".replace(".", ",") for v in income]}
    frame = pd.DataFrame(rows)
    for code, cell in (suppress or {}).items():
        frame.loc[frame["buurtcode"] == code, "ouderen_65plus"] = cell
    path = tmp_path / "indicatoren-FICTIEF.csv"
    frame.to_csv(path, sep=";", index=False)
    return path


def config_with(tmp_path, path, **columns):
    """A Woerden config whose data.indicators declares ``columns`` of the table at ``path``."""
    spec = columns or {"ouderen_65plus": {"aggregate": "count"}}
    return load_config(write_config(tmp_path, {"data": {"indicators": [{"path": str(path), "columns": spec}]}}))


INDICATORS = [Indicator("ouderen_65plus", "count"),
              Indicator("ouderen_65plus", "share", denominator="inwoners"),
              Indicator("inkomen_per_huishouden", "mean", weight="huishoudens")]


def _load(woerden, tmp_path, suppress=None):
    path = fictional_table(woerden, tmp_path, suppress)
    cfg = config_with(tmp_path, path, ouderen_65plus={"aggregate": "share", "denominator": "inwoners"},
                      inkomen_per_huishouden={"aggregate": "mean", "weight": "huishoudens"})
    return load_indicators(cfg, woerden.codes), pd.read_csv(path, sep=";", dtype=str)


def test_counts_shares_and_means_per_area_match_an_independent_computation(woerden, tmp_path):
    values, raw = _load(woerden, tmp_path)
    labels, _ = wijken_plan(woerden)
    areas, whole = area_profiles(INDICATORS[1:], values, woerden.population.astype(float), labels, int(labels.max()) + 1)
    counts, _ = area_profiles(INDICATORS[:1], values, woerden.population.astype(float), labels, int(labels.max()) + 1)
    table = raw.assign(area=labels, older=raw["ouderen_65plus"].astype(float), inh=raw["inwoners"].astype(float),
                       hh=raw["huishoudens"].astype(float), inc=raw["inkomen_per_huishouden"].str.replace(",", ".").astype(float))
    by_area = table.groupby("area")
    for a, group in by_area:
        assert counts[a]["ouderen_65plus"].value == pytest.approx(group["older"].sum())
        assert areas[a]["ouderen_65plus"].value == pytest.approx(group["older"].sum() / group["inh"].sum())
        assert areas[a]["inkomen_per_huishouden"].value == pytest.approx((group["inc"] * group["hh"]).sum() / group["hh"].sum())
        assert areas[a]["ouderen_65plus"].coverage == 1.0
    assert whole["ouderen_65plus"].value == pytest.approx(table["older"].sum() / table["inh"].sum())
    # a share is not the average of the buurten's percentages: somewhere the two differ
    naive = by_area.apply(lambda g: (g["older"] / g["inh"].where(g["inh"] > 0)).mean())
    assert any(abs(areas[a]["ouderen_65plus"].value - naive[a]) > 1e-3 for a in naive.index)


def test_a_suppressed_buurt_lowers_the_coverage_and_never_counts_as_zero(woerden, tmp_path):
    # Woerden-Midden's largest buurt suppressed with '.', and a small one with CBS's -99997 sentinel
    labels, _ = wijken_plan(woerden)
    pop = woerden.population.astype(float)
    midden = np.flatnonzero(labels == labels[woerden.index("BU06320101")])
    big = int(midden[np.argmax(pop[midden])])
    small = int(midden[np.argmin(pop[midden])])
    values, raw = _load(woerden, tmp_path, {woerden.codes[big]: ".", woerden.codes[small]: "-99997"})
    assert np.isnan(values.loc[woerden.codes[big], "ouderen_65plus"]) and np.isnan(values.loc[woerden.codes[small], "ouderen_65plus"])
    a = int(labels[big])
    members = labels == a
    known = members.copy()
    known[[big, small]] = False
    coverage = pop[known].sum() / pop[members].sum()
    low = area_profiles(INDICATORS[:1], values, pop, labels, int(labels.max()) + 1, min_coverage=0.0)[0][a]
    older = raw["ouderen_65plus"].where(~raw["ouderen_65plus"].isin([".", "-99997"])).astype(float)
    assert coverage < 1.0 and low["ouderen_65plus"].coverage == pytest.approx(coverage)
    assert low["ouderen_65plus"].value == pytest.approx(older[known].sum())
    share = area_profiles(INDICATORS[1:2], values, pop, labels, int(labels.max()) + 1, min_coverage=0.0)[0][a]
    assert share["ouderen_65plus"].value == pytest.approx(older[known].sum() / pop[known].sum())
    strict = area_profiles(INDICATORS[:1], values, pop, labels, int(labels.max()) + 1, min_coverage=coverage + 0.01)[0][a]
    assert strict["ouderen_65plus"].value is None and strict["ouderen_65plus"].raw == pytest.approx(older[known].sum())


def test_a_share_without_denominator_is_one_sentence(tmp_path, woerden):
    path = fictional_table(woerden, tmp_path)
    with pytest.raises(ConfigError) as err:
        config_with(tmp_path, path, ouderen_65plus={"aggregate": "share"})
    assert "denominator" in str(err.value) and "\n" not in str(err.value)


def test_bad_indicator_tables_are_one_sentence(tmp_path, woerden):
    path = fictional_table(woerden, tmp_path)
    cfg = config_with(tmp_path, path, ouderen_85plus={"aggregate": "count"})
    with pytest.raises(DataError, match="no column 'ouderen_85plus'"):
        load_indicators(cfg, woerden.codes)
    text = path.read_text(encoding="utf-8").replace("inkomen_per_huishouden", "inkomen").replace(";31,", ";drie,")
    bad = tmp_path / "bad-FICTIEF.csv"
    bad.write_text(text.replace(woerden.codes[1], woerden.codes[0]), encoding="utf-8")
    with pytest.raises(DataError, match=f"buurtcode {woerden.codes[0]} occurs twice"):
        load_indicators(config_with(tmp_path, bad, inwoners={"aggregate": "count"}), woerden.codes)


def test_a_buurt_missing_from_the_table_is_missing_not_zero(woerden, tmp_path):
    path = fictional_table(woerden, tmp_path)
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(line for line in lines if not line.startswith(woerden.codes[0])) + "\n", encoding="utf-8")
    values = load_indicators(config_with(tmp_path, path, inwoners={"aggregate": "count"}), woerden.codes)
    assert np.isnan(values.loc[woerden.codes[0], "inwoners"]) and values["inwoners"].notna().sum() == woerden.n - 1


# ---------------------------------------------------------------- the startfoto in every output


def _built_with_indicators(woerden, tmp_path, suppress=None):
    """Woerden built from a config that declares the FICTIEF table: 65+ as a share of inhabitants, income as a mean."""
    path = fictional_table(woerden, tmp_path, suppress)
    cfg = config_with(tmp_path, path, ouderen_65plus={"aggregate": "share", "denominator": "inwoners", "title": "65-plussers <b>"},
                      inkomen_per_huishouden={"aggregate": "mean", "weight": "huishoudens", "unit": "k€"})
    return build_problem(cfg), pd.read_csv(path, sep=";", dtype=str)


def test_metrics_json_gives_a_profile_per_area_that_matches_an_independent_computation(woerden, tmp_path):
    big = woerden.codes[int(np.argmax(woerden.population))]
    problem, raw = _built_with_indicators(woerden, tmp_path, {big: "."})
    labels, _ = wijken_plan(problem)
    problem = problem.with_k(int(labels.max()) + 1)
    record = metrics_record(problem, labels)
    assert "data.indicators[0].path" in record["provenance"]["data_files"]
    keys = [d["key"] for d in record["profile"]["indicators"]]
    assert keys[:3] == ["inwoners", "oppervlakte_km2", "inwoners_per_km2"] and set(keys[-2:]) == {"ouderen_65plus", "inkomen_per_huishouden"}
    table = raw.assign(area=labels, pop=problem.population, km2=problem.buurten.geometry.area.to_numpy() / 1e6,
                       older=pd.to_numeric(raw["ouderen_65plus"], errors="coerce"), inh=raw["inwoners"].astype(float),
                       hh=raw["huishoudens"].astype(float), inc=raw["inkomen_per_huishouden"].str.replace(",", ".").astype(float))
    for a, group in table.groupby("area"):
        got = record["areas"][a]["profile"]
        assert got["inwoners"]["value"] == group["pop"].sum() == record["areas"][a]["population"]
        assert got["oppervlakte_km2"]["value"] == pytest.approx(group["km2"].sum(), rel=1e-5)
        assert got["inwoners_per_km2"]["value"] == pytest.approx(group["pop"].sum() / group["km2"].sum(), rel=1e-5)
        known = group[group["older"].notna()]
        coverage = known["pop"].sum() / group["pop"].sum()
        assert got["ouderen_65plus"]["coverage"] == pytest.approx(coverage, abs=1e-6)
        if coverage >= 0.8:
            assert got["ouderen_65plus"]["value"] == pytest.approx(known["older"].sum() / known["inh"].sum(), abs=1e-6)
        else:  # below the minimum coverage the value is unknown, never a sum over a fraction of the area
            assert got["ouderen_65plus"]["value"] is None
        assert got["inkomen_per_huishouden"]["value"] == pytest.approx((group["inc"] * group["hh"]).sum() / group["hh"].sum(), abs=1e-5)
    assert any(record["areas"][a]["profile"]["ouderen_65plus"]["coverage"] < 1 for a in range(problem.k))


def test_practice_indicators_match_a_recomputation_from_the_practice_points(woerden):
    labels, _ = wijken_plan(woerden)
    problem = woerden.with_k(int(labels.max()) + 1)
    foto = startfoto(problem, labels)
    practices, buurten = problem.practices, problem.buurten
    inside = [int(np.flatnonzero(buurten.geometry.distance(pt).to_numpy() < 1e-6)[0]) for pt in practices.geometry]
    points = buurten.geometry.representative_point()
    nearest = np.array([min(pt.distance(q) for q in practices.geometry) for pt in points])
    for a in range(problem.k):
        members = labels == a
        pop = problem.population[members].sum()
        mine = [i for i, u in enumerate(inside) if members[u]]
        assert foto.areas[a]["praktijken_per_10000"].value == pytest.approx(1e4 * len(mine) / pop)
        assert foto.areas[a]["huisartsen_per_10000"].value == pytest.approx(1e4 * practices["n_gps"].iloc[mine].sum() / pop)
        weighted = (nearest[members] * problem.population[members]).sum() / pop
        assert foto.areas[a]["afstand_huisarts_m"].value == pytest.approx(weighted)
    # the practice list of the example is FICTIEF, so every practice figure says so
    assert all(ind.fictional for ind in foto.indicators if "huisarts" in ind.key or "praktijk" in ind.key)
    assert not any(ind.fictional for ind in foto.indicators if ind.key in ("inwoners", "oppervlakte_km2"))


def test_the_startfoto_reaches_the_geopackage_the_map_and_the_terminal(woerden, tmp_path):
    problem, _ = _built_with_indicators(woerden, tmp_path)
    labels, _ = wijken_plan(problem)
    problem = problem.with_k(int(labels.max()) + 1)
    write_plan_gpkg(problem, labels, tmp_path / "plan.gpkg")
    areas = pyogrio.read_dataframe(tmp_path / "plan.gpkg", layer="gebieden")
    foto = startfoto(problem, labels)
    for a in range(problem.k):
        assert areas["ouderen_65plus_pct"].iloc[a] == pytest.approx(100 * foto.areas[a]["ouderen_65plus"].value, abs=1e-3)
        assert areas["afstand_huisarts_m_FICTIEF"].iloc[a] == pytest.approx(foto.areas[a]["afstand_huisarts_m"].value, abs=1e-3)
    table = pyogrio.read_dataframe(tmp_path / "plan.gpkg", layer="startfoto")
    assert set(table.loc[table["fictief"] == "FICTIEF", "sleutel"]) == {"huisartsen_per_10000", "praktijken_per_10000", "afstand_huisarts_m"}
    page = interactive_map(problem, labels, "Woerden").get_root().render()
    assert 'id="wk-profile"' in page and "wk_panels" in page
    assert "65-plussers &lt;b&gt;" in page and "65-plussers <b>" not in page  # a title from the config is escaped
    plan = tmp_path / "plan.csv"
    write_plan_csv(problem, labels, plan)
    cfg_path = tmp_path / "test.yaml"
    result = CliRunner().invoke(main, ["evaluate", str(cfg_path), "--plan", str(plan), "--profile"])
    assert result.exit_code == 0, result.output
    assert "Area profiles (startfoto)" in result.output and "GPs per 10,000 inhabitants (FICTIEF)" in result.output


def test_a_declared_column_with_a_built_in_name_is_one_sentence(woerden, tmp_path):
    path = fictional_table(woerden, tmp_path)
    with pytest.raises(ConfigError, match="computes itself") as err:
        build_problem(config_with(tmp_path, path, inwoners={"aggregate": "count"}))
    assert "\n" not in str(err.value)
