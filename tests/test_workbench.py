"""The duidingssessie workbench's API on the real Woerden data (FastAPI's TestClient, no server, no browser).

Inhabitants are checked against the buurt populations read straight from the shipped CBS GeoPackage, the
objective against ``tests/recompute.py``; the saved scenario against ``wijkindeling evaluate``.
"""

from __future__ import annotations

import json
import shutil
import socket
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from wijkindeling.build import build_problem
from wijkindeling.cli import main
from wijkindeling.config import load_config
from wijkindeling.model.profile import Indicator, Value
from wijkindeling.model.startfoto import value_text
from wijkindeling.report.outputs import metrics_record, scenario_dir, write_run
from wijkindeling.workbench.app import create_app
from wijkindeling.workbench.session import Workbench
from wijkindeling.workbench.store import Store

from .conftest import BUURTEN_GPKG, write_config
from .plan_fixtures import woerden_solution
from .recompute import independent_objective

SCENARIO = "voorstel"
SETTINGS = {"backend": "highs", "time_limit": 60, "mip_gap": 0.0, "seed": 1, "threads": 1}


def buurt_populations() -> dict[str, int]:
    """Inhabitants per Woerden buurt, read from the shipped GeoPackage without the package's loaders."""
    df = gpd.read_file(BUURTEN_GPKG, layer="buurten", ignore_geometry=True)
    df = df[df["gemeentecode"] == "GM0632"]
    return {str(c): int(max(p, 0)) for c, p in zip(df["buurtcode"], df["aantal_inwoners"].fillna(0))}


def recomputed(labels: dict[str, int], k: int) -> list[int]:
    """Inhabitants per area from ``labels`` (buurtcode -> area) and :func:`buurt_populations`."""
    pops = buurt_populations()
    out = [0] * k
    for code, area in labels.items():
        out[area] += pops[code]
    return out


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Path:
    """An outputs folder with the optimiser's Woerden plan as scenario ``voorstel`` (written by propose's writer)."""
    root = tmp_path_factory.mktemp("seed")
    config = write_config(root, {})
    problem, labels = woerden_solution()
    cfg = load_config(config)
    write_run(problem, labels, scenario_dir(Path(cfg.output.dir), problem, SCENARIO), None, SCENARIO, with_map=False)
    return root / "outputs"


class Session:
    """A workbench on a copy of the seeded outputs, with its TestClient; :meth:`restart` reopens the same file."""

    def __init__(self, tmp_path: Path, seeded: Path, overrides: dict | None = None) -> None:
        shutil.copytree(seeded, tmp_path / "outputs")
        self.config = write_config(tmp_path, overrides or {})
        self.cfg = load_config(self.config)
        self.problem = build_problem(self.cfg)
        self.out = Path(self.cfg.output.dir)
        self.db = scenario_dir(self.out, self.problem, SCENARIO).parent / "sessie.sqlite"
        self.open()

    def open(self) -> None:
        self.bench = Workbench(self.problem, Store(self.db), self.out, SETTINGS)
        self.bench.start(SCENARIO)
        self.client = TestClient(create_app(self.bench))

    def restart(self) -> None:
        self.bench.close()
        self.open()

    def state(self) -> dict:
        r = self.client.get("/api/state")
        assert r.status_code == 200
        return r.json()

    def post(self, action: str, body: dict | None = None, scenario: str = SCENARIO):
        return self.client.post(f"/api/s/{scenario}/{action}", json=body)

    def wait_job(self) -> dict:
        """Wait for the re-optimisation to end (polling as the page does; no timing is asserted)."""
        for _ in range(600):
            job = self.client.get("/api/job").json()["job"]
            if job["state"] != "running":
                return job
            time.sleep(0.2)
        raise AssertionError("the re-optimisation did not end within 120 s")


@pytest.fixture
def session(tmp_path, seeded):
    s = Session(tmp_path, seeded)
    yield s
    s.bench.close()


def border_move(state: dict, problem) -> tuple[str, int, int]:
    """A buurt on an area border and a neighbouring area (the first in buurtcode order)."""
    labels = state["labels"]
    for i, j in problem.edges:
        a, b = problem.codes[int(i)], problem.codes[int(j)]
        if labels[a] != labels[b]:
            return a, labels[a], labels[b]
    raise AssertionError("no border in the plan")


def test_start_state_is_the_saved_plan_with_recomputed_scores(session):
    _, labels = woerden_solution()
    st = session.state()
    assert st["labels"] == {c: int(a) for c, a in zip(session.problem.codes, labels)}
    assert [a["population"] for a in st["areas"]] == recomputed(st["labels"], st["k"])
    assert st["scores"]["objective"] == pytest.approx(independent_objective(session.problem, labels))
    assert st["violations"] == [] and st["can_undo"] is False


def test_move_changes_both_areas_as_recomputed_and_undo_redo(session):
    before = session.state()
    code, src, dst = border_move(before, session.problem)
    r = session.post("move", {"buurt": code, "area": dst})
    assert r.status_code == 200
    after = r.json()
    assert after["labels"][code] == dst
    pops = recomputed(after["labels"], after["k"])
    assert [a["population"] for a in after["areas"]] == pops
    moved = buurt_populations()[code]
    assert pops[src] == before["areas"][src]["population"] - moved
    assert pops[dst] == before["areas"][dst]["population"] + moved
    labels = np.array([after["labels"][c] for c in session.problem.codes])
    assert after["scores"]["objective"] == pytest.approx(independent_objective(session.problem, labels))
    assert after["can_undo"]
    undone = session.post("undo").json()
    assert undone["labels"] == before["labels"] and undone["areas"] == before["areas"] and undone["can_redo"]
    redone = session.post("redo").json()
    assert redone["labels"] == after["labels"]
    assert session.post("redo").status_code == 409


def test_the_side_panel_startfoto_follows_a_move_and_matches_metrics_json(session):
    before = session.state()
    code, src, dst = border_move(before, session.problem)
    after = session.post("move", {"buurt": code, "area": dst}).json()
    foto = after["startfoto"]
    i = foto["indicators"].index("Inwoners")
    pops = recomputed(after["labels"], after["k"])
    assert foto["areas"][src][i] == f"{pops[src]:,}".replace(",", ".") and foto["areas"][dst][i] == f"{pops[dst]:,}".replace(",", ".")
    assert any("(FICTIEF)" in label for label in foto["indicators"])  # the example's practice list
    labels = np.array([after["labels"][c] for c in session.problem.codes])
    record = metrics_record(session.problem.with_k(after["k"]), labels)
    j = foto["indicators"].index("Inwoners per km²")
    assert foto["gemeente"][j] == value_text(Indicator("inwoners_per_km2", "share", unit="/km²"),
                                             Value(record["profile"]["gemeente"]["inwoners_per_km2"]["value"], 1.0, None))


def test_preview_predicts_the_move(session):
    st = session.state()
    code, src, dst = border_move(st, session.problem)
    pre = session.post("preview", {"buurt": code, "area": dst}).json()
    assert session.state()["labels"] == st["labels"]  # a preview changes nothing
    after = session.post("move", {"buurt": code, "area": dst}).json()
    assert [(a["index"], a["after"]) for a in pre["areas"]] == [(src, after["areas"][src]["population"]),
                                                                (dst, after["areas"][dst]["population"])]
    assert pre["scores"]["objective"]["after"] == pytest.approx(after["scores"]["objective"])
    assert pre["scores"]["objective"]["change"] == pytest.approx(after["scores"]["objective"] - st["scores"]["objective"])
    assert pre["valid"] == (after["violations"] == [])
    assert set(pre["new_violations"]) == set(after["violations"]) - set(st["violations"])


@pytest.mark.slow  # starts the solver process
def test_lock_area_and_reoptimise_keeps_the_locked_buurten(session):
    st = session.state()
    code, src, dst = border_move(st, session.problem)
    session.post("move", {"buurt": code, "area": dst})  # make the plan worse, so re-optimising has work
    locked_area = next(a for a in range(st["k"]) if a not in (src, dst))  # an area the move did not touch
    r = session.post("lock", {"area": locked_area, "locked": True})
    assert r.status_code == 200 and r.json()["locked_areas"] == [locked_area]
    members = sorted(c for c, a in r.json()["labels"].items() if a == locked_area)
    assert session.post("move", {"buurt": members[0], "area": src}).status_code == 409  # locked area: refused
    assert session.post("move", {"buurt": code, "area": locked_area}).status_code == 409
    assert session.post("optimise").status_code == 200
    job = session.wait_job()
    assert job["state"] == "done", job
    assert "optimaal" in job["text"]
    after = session.state()
    assert sorted(c for c, a in after["labels"].items() if a == locked_area) == members
    assert after["violations"] == []
    labels = np.array([after["labels"][c] for c in session.problem.codes])
    assert after["scores"]["objective"] == pytest.approx(independent_objective(session.problem, labels))
    undone = session.post("undo").json()  # re-optimising is one step of the history
    assert sorted(c for c, a in undone["labels"].items() if a == locked_area) == members and undone["labels"][code] == dst


@pytest.mark.slow  # starts the solver process
def test_impossible_locks_give_the_dutch_diagnosis(session):
    st = session.state()
    code, src, dst = border_move(st, session.problem)
    big = max(range(st["k"]), key=lambda a: st["areas"][a]["population"])
    for c, a in st["labels"].items():  # pile buurten into the largest area until it is above the maximum
        if a != big and session.post("move", {"buurt": c, "area": big}).status_code == 200 \
                and session.state()["areas"][big]["population"] > st["hi"]:
            break
    session.post("lock", {"area": big, "locked": True})
    before = session.state()["labels"]
    session.post("optimise")
    job = session.wait_job()
    assert job["state"] == "no_plan" and "Geen plan gevonden" in job["text"] and "maximum" in job["text"]
    assert session.state()["labels"] == before


@pytest.mark.slow  # starts the solver process
def test_cancel_keeps_the_plan(session):
    st = session.state()
    session.post("optimise")
    r = session.client.post("/api/job/cancel")
    if r.status_code == 409:  # the solve finished before the cancel arrived
        pytest.skip("the solve ended before it could be cancelled")
    assert r.json()["state"] == "cancelled"
    assert session.state()["labels"] == st["labels"]


def test_rename_note_and_locks_survive_a_restart(session):
    code, _, _ = border_move(session.state(), session.problem)
    session.post("rename", {"area": 0, "name": "Woerden & Harmelen \"Noord\""})
    session.post("note", {"kind": "area", "target": 0, "text": "De praktijk in X bedient beide kanten van het kanaal."})
    session.post("note", {"kind": "buurt", "target": code, "text": "Hoort bij het dorp."})
    session.post("lock", {"buurt": code, "locked": True})
    session.post("move", {"buurt": border_move(session.state(), session.problem)[0], "area": 1})
    before = session.state()
    session.restart()
    after = session.state()
    for key in ("labels", "names", "notes", "locked_buurten", "locked_single", "areas", "scores", "can_undo"):
        assert after[key] == before[key], key
    assert after["names"][0] == "Woerden & Harmelen \"Noord\""
    assert after["notes"]["buurt"][code] == "Hoort bij het dorp."


def test_save_writes_what_evaluate_computes(session, tmp_path):
    st = session.state()
    code, _, dst = border_move(st, session.problem)
    session.post("move", {"buurt": code, "area": dst})
    session.post("rename", {"area": 2, "name": "Kamerik en Zegveld"})
    session.post("note", {"kind": "area", "target": 2, "text": "Eén gebied voor de dorpen."})
    session.post("note", {"kind": "buurt", "target": code, "text": "Verplaatst op verzoek van de wijkverpleging."})
    r = session.post("save", {"name": "na-sessie"})
    assert r.status_code == 200, r.json()
    folder = Path(r.json()["folder"])
    assert folder == scenario_dir(session.out, session.problem, "na-sessie")
    for name in ("plan.csv", "plan.gpkg", "metrics.json", "run.json", "map.html", "notes.json", "gebieden.geojson"):
        assert (folder / name).exists(), name
    result = CliRunner().invoke(main, ["evaluate", str(session.config), "--plan", str(folder / "plan.csv"), "--json"])
    assert result.exit_code == 0, result.output
    evaluated = json.loads(result.output)
    saved = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    assert saved == evaluated and saved["scenario"] == "na-sessie"  # evaluate names a scenario's plan.csv by its folder
    populations = {a["name"]: a["population"] for a in saved["areas"]}
    now = session.state()
    assert populations == {a["name"]: p for a, p in zip(now["areas"], recomputed(now["labels"], now["k"]))}
    notes = json.loads((folder / "notes.json").read_text(encoding="utf-8"))
    assert {"area": "Kamerik en Zegveld", "note": "Eén gebied voor de dorpen."} in notes["areas"]
    assert notes["buurten"][0]["buurtcode"] == code and notes["buurten"][0]["area"] == now["names"][dst]
    layer = gpd.read_file(folder / "plan.gpkg", layer="notities")
    assert sorted(layer["kind"]) == ["buurt", "gebied"]
    assert "notities" in [name for name, _ in pyogrio.list_layers(folder / "plan.gpkg")]
    assert now["scenario"] == "na-sessie" and now["notes"]["buurt"][code]  # the session goes on in the saved scenario
    assert session.post("save", {"name": "na-sessie"}, scenario="na-sessie").status_code == 409  # no silent overwrite
    assert session.post("save", {"name": "na-sessie", "force": True}, scenario="na-sessie").status_code == 200


BAD = [
    ("unknown buurt", "move", {"buurt": "BU99999999", "area": 1}, 422, "BU99999999"),
    ("unknown area", "move", {"buurt": None, "area": 17}, 422, "Gebiedsnummer 17"),
    ("negative area", "move", {"buurt": None, "area": -1}, 422, "Gebiedsnummer -1"),
    ("garbage JSON", "move", b"{buurt: BU, area", 422, "geen geldige JSON"),
    ("JSON list", "move", b"[1, 2]", 422, "geen geldige JSON"),
    ("missing field", "move", {"area": 1}, 422, "buurt"),
    ("extra field", "move", {"buurt": None, "area": 1, "x": 1}, 422, "x"),
    ("2 MB note", "note", {"kind": "area", "target": 0, "text": "x" * 2_000_000}, 413, "groter dan"),
    ("long note", "note", {"kind": "area", "target": 0, "text": "é" * 10_001}, 413, "hoogstens 10"),
    ("hostile name", "rename", {"area": 0, "name": "<script>alert('x')</script>"}, 422, "gebiedsnaam"),
    ("empty name", "rename", {"area": 0, "name": "   "}, 422, "leeg"),
    ("bad save name", "save", {"name": "../../etc"}, 422, "scenarionaam"),
    ("unknown lock target", "lock", {"buurt": "BUxx", "locked": True}, 422, "BUxx"),
    ("note kind", "note", {"kind": "wijk", "target": 0, "text": "x"}, 422, "kind"),
]


@pytest.mark.parametrize("what, action, body, status, words", BAD, ids=[b[0] for b in BAD])
def test_bad_requests_answer_one_sentence_and_change_nothing(session, what, action, body, status, words):
    before = session.state()
    if isinstance(body, dict) and "buurt" in body and body["buurt"] is None:
        body = dict(body, buurt=session.problem.codes[0])
    if isinstance(body, bytes):
        r = session.client.post(f"/api/s/{SCENARIO}/{action}", content=body, headers={"content-type": "application/json"})
    else:
        r = session.post(action, body)
    assert r.status_code == status
    message = r.json()["error"]
    assert words in message
    assert message.endswith(".") and "\n" not in message and "Traceback" not in message
    after = session.state()
    assert {k: v for k, v in after.items() if k != "version"} == {k: v for k, v in before.items() if k != "version"}


def test_edit_to_a_scenario_that_does_not_exist(session):
    r = session.post("move", {"buurt": session.problem.codes[0], "area": 1}, scenario="bestaat-niet")
    assert r.status_code == 404 and "bestaat niet" in r.json()["error"]
    assert session.client.post("/api/open", json={"name": "bestaat-niet"}).status_code == 404
    assert session.client.get("/nergens").status_code == 404 and "error" in session.client.get("/nergens").json()


def test_suggestions_improve_the_objective_and_keep_the_plan_valid(session):
    st = session.state()
    code, _, dst = border_move(st, session.problem)
    session.post("move", {"buurt": code, "area": dst})
    worse = session.state()
    moves = session.client.get(f"/api/s/{SCENARIO}/suggest").json()["moves"]
    assert moves, "undoing a move of the optimal plan must be among the suggestions"
    assert [m["objective_change"] for m in moves] == sorted(m["objective_change"] for m in moves)
    for m in moves:
        after = session.post("preview", {"buurt": m["buurt"], "area": m["to"]}).json()
        assert after["scores"]["objective"]["change"] == pytest.approx(m["objective_change"]) and m["objective_change"] < 0
        assert after["new_violations"] == []
    best = moves[0]
    assert session.post("move", {"buurt": best["buurt"], "area": best["to"]}).status_code == 200
    assert session.state()["scores"]["objective"] == pytest.approx(worse["scores"]["objective"] + best["objective_change"])


def test_access_token_is_required_for_other_hosts(session):
    client = TestClient(create_app(session.bench, token="geheim-123"))
    assert client.get("/api/state").status_code == 403
    assert "toegangscode" in client.get("/").json()["error"]
    r = client.get("/?token=geheim-123")
    assert r.status_code == 200 and "sessie_token" in r.headers.get("set-cookie", "")
    assert client.get("/api/state").status_code == 200  # the cookie carries the token from now on
    other = TestClient(create_app(session.bench, token="geheim-123"))
    assert other.get("/api/state", headers={"X-Sessie-Token": "geheim-123"}).status_code == 200
    assert other.get("/api/state?token=fout").status_code == 403


def test_pages_load_nothing_from_the_network(session):
    for path in ("/", "/presentatie"):
        html = session.client.get(path).text
        assert "http://" not in html and "https://" not in html
    js = session.client.get("/static/app.js").text
    assert "innerHTML" not in js  # data is written with textContent only
    assert session.client.get("/static/leaflet.js").text.startswith("/* @preserve")
    geo = session.client.get("/api/geometry").json()
    assert sorted(f["properties"]["code"] for f in geo["features"]) == sorted(session.problem.codes)


@pytest.mark.slow  # 4 s (saves and draws scenarios, or lists every valid plan): not in the fast tier
def test_compare_page_shows_both_scenarios(session):
    code, _, dst = border_move(session.state(), session.problem)
    session.post("move", {"buurt": code, "area": dst})
    session.post("save", {"name": "variant"})
    r = session.client.get("/vergelijk", params={"a": SCENARIO, "b": "variant"})
    assert r.status_code == 200 and "variant" in r.text and SCENARIO in r.text
    assert session.client.get("/vergelijk", params={"a": SCENARIO, "b": "nope"}).status_code == 404


@pytest.mark.slow  # 4 s (saves and draws scenarios, or lists every valid plan): not in the fast tier
def test_open_another_scenario_and_back(session):
    code, _, dst = border_move(session.state(), session.problem)
    session.post("move", {"buurt": code, "area": dst})
    session.post("save", {"name": "variant"})
    listed = session.client.get("/api/scenarios").json()
    assert listed["active"] == "variant" and {"variant", SCENARIO} <= set(listed["scenarios"])
    back = session.client.post("/api/open", json={"name": SCENARIO}).json()
    assert back["scenario"] == SCENARIO and back["labels"][code] == dst  # the session's own state of voorstel, with the move
    shutil.rmtree(scenario_dir(session.out, session.problem, "variant"))
    assert session.client.post("/api/open", json={"name": "variant"}).json()["scenario"] == "variant"  # still in the session


def test_cli_refuses_a_port_in_use(tmp_path):
    config = write_config(tmp_path, {})
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        result = CliRunner().invoke(main, ["sessie", str(config), "--port", str(port), "--no-browser"])
    assert result.exit_code == 2
    assert f"--port {port}" in result.output and "in use" in result.output and "Traceback" not in result.output


def test_broken_config_rules_are_named_and_drawn(tmp_path, seeded):
    _, labels = woerden_solution()
    problem = woerden_solution()[0]
    codes = problem.codes
    same = [c for c, a in zip(codes, labels) if a == labels[0]][:2]  # two buurten the plan puts together
    s = Session(tmp_path, seeded, {"rules": {"keep_apart": [same]}})
    try:
        st = s.state()
        assert sorted(st["draw"]["buurten"]) == sorted(same)
        names = [problem.names[codes.index(c)] for c in same]
        assert any(names[0] in v and names[1] in v and "verschillende gebieden" in v for v in st["violations"])
        assert st["scores"]["valid"] is False
        moves = s.client.get(f"/api/s/{SCENARIO}/suggest").json()["moves"]
        for m in moves:  # a suggestion may not add a broken rule to the one there is
            assert s.post("preview", {"buurt": m["buurt"], "area": m["to"]}).json()["new_violations"] == []
    finally:
        s.bench.close()
