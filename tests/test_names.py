"""Area names derived from the data (kernen, CBS wijken) instead of "Gebied 1..K", on the real Woerden data."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from wijkindeling.model.names import name_areas, plan_area_names, wijk_label
from wijkindeling.report.outputs import write_run
from wijkindeling.report.plans import wijken_plan

from .conftest import write_config


def _kern_units(woerden, name):
    return woerden.kernen[name]


def test_an_area_holding_kernen_is_named_after_them_largest_first(woerden):
    labels, _ = wijken_plan(woerden)
    k = int(labels.max()) + 1
    kamerik, zegveld = _kern_units(woerden, "Kamerik"), _kern_units(woerden, "Zegveld")
    merged = labels.copy()
    merged[merged == merged[zegveld[0]]] = merged[kamerik[0]]  # Zegveld's wijk joins Kamerik's
    merged = np.unique(merged, return_inverse=True)[1]
    names = plan_area_names(woerden.with_k(k - 1), merged)
    pop = woerden.population
    big, small = sorted([("Kamerik", pop[kamerik].sum()), ("Zegveld", pop[zegveld].sum())], key=lambda t: -t[1])
    assert names[merged[kamerik[0]]] == f"{big[0]} en {small[0]}"
    assert names[merged[_kern_units(woerden, "Harmelen")[0]]] == "Harmelen"
    assert len(set(names)) == len(names)


def test_a_split_town_is_named_after_its_wijken(woerden):
    labels, _ = wijken_plan(woerden)
    names = plan_area_names(woerden.with_k(int(labels.max()) + 1), labels)
    wijknamen = woerden.buurten["wijknaam"].tolist()
    for a, name in enumerate(names):
        units = np.flatnonzero(labels == a)
        if not any(np.isin(members, units).all() for members in woerden.kernen.values()):
            # no kern wholly here: the CBS wijk with most inhabitants, without "Wijk 01"
            assert name == wijk_label(wijknamen[units[0]]) and not name.startswith("Wijk ")
    assert wijk_label("Wijk 01 Woerden-Midden") == "Woerden-Midden"


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 5), min_size=31, max_size=31))
def test_names_are_always_distinct_and_one_per_area(woerden, raw):
    labels = np.unique(np.array(raw), return_inverse=True)[1]
    problem = woerden.with_k(int(labels.max()) + 1)
    names = plan_area_names(problem, labels)
    assert len(names) == problem.k == len(set(names)) and all(n.strip() for n in names)


def test_config_names_win_and_every_output_uses_the_derived_names(woerden, tmp_path):
    from wijkindeling.build import build_problem
    from wijkindeling.config import load_config

    named = build_problem(load_config(write_config(tmp_path, {"areas": {"names": [f"Wijkverband {c}" for c in "ABCDEF"]}})))
    labels, _ = wijken_plan(woerden)
    assert name_areas(named.with_k(6), labels[:31] % 6).area_names[0] == "Wijkverband A"
    k = int(labels.max()) + 1
    problem = woerden.with_k(k)
    write_run(problem, labels, tmp_path / "run", with_map=True)
    expected = plan_area_names(problem, labels)
    record = json.loads((tmp_path / "run" / "metrics.json").read_text(encoding="utf-8"))
    assert [a["name"] for a in record["areas"]] == expected
    plan = (tmp_path / "run" / "plan.csv").read_text(encoding="utf-8")
    assert all(name in plan for name in expected) and "Gebied 1" not in plan
    assert expected[0] in (tmp_path / "run" / "map.html").read_text(encoding="utf-8")
