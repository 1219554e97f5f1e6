"""A real duidingssessie in Debian's Chromium: ``wijkindeling sessie`` as a subprocess on 127.0.0.1, driven by Playwright.

Move a buurt by clicking (the inhabitants shown equal a recomputation from the CBS GeoPackage), undo, lock an
area and re-optimise (the status is shown, the locked buurten stay), rename and note, the presentation view
follows, reload, SIGKILL the server and start it again: the same state. Every request that leaves 127.0.0.1 is
aborted and recorded. The test stops the server itself. Screenshots go to outputs/woerden/browser-test/.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import geopandas as gpd
import pytest
from click.testing import CliRunner

from wijkindeling.cli import main
from wijkindeling.config import load_config
from wijkindeling.report.outputs import scenario_dir, write_run
from wijkindeling.text import format_int

from .conftest import write_config
from .plan_fixtures import woerden_solution
from .test_browser import ARGS, CHROMIUM, SHOTS, _need_browser
from .test_workbench import SCENARIO, buurt_populations, recomputed

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CLI = Path(sys.executable).parent / "wijkindeling"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``wijkindeling sessie CONFIG --port N --no-browser`` as a subprocess (own process group)."""

    def __init__(self, config: Path, port: int) -> None:
        self.config, self.port = config, port
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen([str(CLI), "sessie", str(self.config), "--port", str(self.port), "--no-browser"],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        for _ in range(300):
            try:
                with urllib.request.urlopen(self.url + "/api/version", timeout=1):
                    return
            except OSError:
                if self.proc.poll() is not None:
                    raise AssertionError(f"the server ended: {self.proc.stdout.read().decode() if self.proc.stdout else ''}") from None
                time.sleep(0.2)
        raise AssertionError("the server did not answer within 60 s")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Send ``sig`` to the server and its solver process, and wait for the server to end."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            self.proc.wait(timeout=30)
        if self.proc is not None and self.proc.stdout:
            self.proc.stdout.close()

    def state(self) -> dict:
        with urllib.request.urlopen(self.url + "/api/state", timeout=10) as r:
            return dict(json.loads(r.read()))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    _need_browser()
    root = tmp_path_factory.mktemp("sessie")
    config = write_config(root, {})
    problem, labels = woerden_solution()
    write_run(problem, labels, scenario_dir(Path(load_config(config).output.dir), problem, SCENARIO), None, SCENARIO, with_map=False)
    srv = Server(config, free_port())
    srv.start()
    try:
        yield srv
    finally:
        srv.kill(signal.SIGTERM)


@pytest.fixture(scope="module")
def browser():
    _need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


class LocalPage:
    """A page that may only talk to 127.0.0.1; records JavaScript errors and blocked requests."""

    def __init__(self, browser, url: str) -> None:
        self.page = browser.new_page(viewport={"width": 1500, "height": 900})
        self.errors: list[str] = []
        self.blocked: list[str] = []
        self.page.on("pageerror", lambda err: self.errors.append(str(err)))
        self.page.route("**/*", self._route)
        self.page.on("dialog", lambda d: d.accept(self.answer) if d.type == "prompt" else d.accept())
        self.answer = ""
        self.open(url)

    def _route(self, route) -> None:
        if route.request.url.startswith(("http://127.0.0.1", "data:")):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def open(self, url: str) -> None:
        self.page.goto(url, wait_until="load", timeout=60_000)
        self.page.wait_for_function("window.wb && wb.state && document.querySelectorAll('path[data-code]').length > 0", timeout=30_000)

    def shown_populations(self) -> list[int]:
        texts = self.page.locator("#areas tr[data-area] .pop").all_inner_texts()
        return [int(t.replace(".", "")) for t in texts]

    def click_buurt(self, code: str) -> None:
        """Click inside buurt ``code`` (at a point inside its polygon)."""
        problem, _ = woerden_solution()
        geom = problem.buurten.set_index("buurtcode").geometry[code].representative_point()
        lon, lat = gpd.GeoSeries([geom], crs=problem.buurten.crs).to_crs("EPSG:4326").iloc[0].coords[0]
        x, y = self.page.evaluate("""([lat, lon]) => { const p = map.latLngToContainerPoint([lat, lon]);
            const r = map.getContainer().getBoundingClientRect(); return [p.x + r.left, p.y + r.top]; }""", [lat, lon])
        self.page.mouse.click(x, y)

    def wait_version_change(self, version: int) -> None:
        self.page.wait_for_function(f"wb.state && wb.state.version > {version}", timeout=30_000)


def pick_move(state: dict) -> tuple[str, int, int]:
    """The largest buurt on an area border (easy to click) and a neighbouring area."""
    problem, _ = woerden_solution()
    labels = state["labels"]
    area = problem.buurten.set_index("buurtcode").geometry.area
    best = None
    for i, j in problem.edges:
        for a, b in ((problem.codes[int(i)], problem.codes[int(j)]), (problem.codes[int(j)], problem.codes[int(i)])):
            if labels[a] != labels[b] and (best is None or area[a] > area[best[0]]):
                best = (a, labels[a], labels[b])
    assert best is not None
    return best


def test_a_whole_session_in_the_browser(server, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    editor = LocalPage(browser, server.url + "/")
    page = editor.page
    start = server.state()
    assert editor.shown_populations() == recomputed(start["labels"], start["k"])

    # move a buurt by clicking: menu, preview on hover, click
    code, src, dst = pick_move(start)
    editor.click_buurt(code)
    item = page.locator(f"#menu .item[data-area='{dst}']")
    item.hover()
    page.locator("#preview:not([hidden])").wait_for(timeout=10_000)
    moved = buurt_populations()[code]
    assert format_int(start["areas"][dst]["population"] + moved) in page.locator("#preview-body").inner_text()
    item.click()
    page.wait_for_function(f"wb.state.labels['{code}'] === {dst}", timeout=10_000)
    after = server.state()
    shown = editor.shown_populations()
    assert shown == recomputed(after["labels"], after["k"])
    assert shown[src] == start["areas"][src]["population"] - moved and shown[dst] == start["areas"][dst]["population"] + moved
    page.screenshot(path=str(SHOTS / "sessie-after-move.png"))

    # undo restores
    page.click("#undo")
    page.wait_for_function(f"wb.state.labels['{code}'] === {src}", timeout=10_000)
    assert editor.shown_populations() == [a["population"] for a in start["areas"]]

    # keyboard: click the buurt, press the area's number
    editor.click_buurt(code)
    page.locator("#menu:not([hidden])").wait_for(timeout=5_000)
    page.keyboard.press(str(dst + 1))
    page.wait_for_function(f"wb.state.labels['{code}'] === {dst}", timeout=10_000)

    # paint: pick an area, click a buurt, it moves there at once; undo returns it
    page.click(f"#areas tr[data-area='{src}'] button.paint")
    editor.click_buurt(code)
    page.wait_for_function(f"wb.state.labels['{code}'] === {src}", timeout=10_000)
    assert editor.shown_populations() == [a["population"] for a in start["areas"]]
    page.keyboard.press("Escape")  # ends painting
    page.click("#undo")
    page.wait_for_function(f"wb.state.labels['{code}'] === {dst}", timeout=10_000)

    # lock an area the move did not touch, re-optimise the rest: the status is shown, the locked buurten stay
    locked = next(a for a in range(start["k"]) if a not in (src, dst))
    page.click(f"#areas tr[data-area='{locked}'] button.lock")
    page.wait_for_function(f"wb.state.locked_areas.includes({locked})", timeout=10_000)
    members = sorted(c for c, a in server.state()["labels"].items() if a == locked)
    page.click("#optimise")
    page.wait_for_function("document.getElementById('status').textContent.includes('Herberekend')", timeout=120_000)
    assert "optimaal" in page.locator("#status").inner_text()
    optimised = server.state()
    assert sorted(c for c, a in optimised["labels"].items() if a == locked) == members
    assert editor.shown_populations() == recomputed(optimised["labels"], optimised["k"])

    # rename an area (a name with characters that must be escaped) and add a note
    editor.answer = "Kamerik & <Zegveld>"  # refused: < and > are not allowed in names
    page.click("#areas tr[data-area='0'] button.rename")
    page.wait_for_function("document.getElementById('status').textContent.includes('gebiedsnaam')", timeout=10_000)
    editor.answer = "Kamerik & Zegveld \"Oost\""
    page.click("#areas tr[data-area='0'] button.rename")
    page.wait_for_function("wb.state.names[0].startsWith('Kamerik')", timeout=10_000)
    assert page.locator("#areas tr[data-area='0'] .area-name").inner_text() == "Kamerik & Zegveld \"Oost\""
    page.click("#areas tr[data-area='0'] button.note-area")
    note = "De praktijk <b>aan het kanaal</b> bedient beide kanten."
    page.fill("#note", note)
    page.click("#note-save")
    page.wait_for_function("Object.keys(wb.state.notes.area).length === 1", timeout=10_000)
    assert note in page.locator("#note-list").inner_text()  # shown as text, not as markup
    assert page.locator("#note-list b:has-text('aan het kanaal')").count() == 0
    page.screenshot(path=str(SHOTS / "sessie-screenshot.png"))

    # the presentation view shows the same assignment, and follows an edit
    present = LocalPage(browser, server.url + "/presentatie")
    pp = present.page
    assert pp.locator("#optimise").is_hidden() and pp.locator("#note").is_hidden()
    shown = pp.evaluate("Object.fromEntries([...document.querySelectorAll('path[data-code]')].map(p => [p.dataset.code, +p.dataset.area]))")
    assert shown == server.state()["labels"]
    version = pp.evaluate("wb.state.version")
    code2, _, dst2 = pick_move(server.state())
    editor.click_buurt(code2)
    page.locator("#menu:not([hidden])").wait_for(timeout=5_000)
    page.keyboard.press(str(dst2 + 1))
    present.wait_version_change(version)
    assert pp.evaluate("wb.state.labels")[code2] == dst2
    assert pp.evaluate("wb.state.labels") == server.state()["labels"]
    pp.screenshot(path=str(SHOTS / "sessie-presentatie.png"))

    # save as a scenario: its metrics.json is what evaluate computes for its plan.csv
    editor.answer = "na-sessie"
    page.click("#save")
    page.wait_for_function("document.getElementById('status').textContent.includes('Opgeslagen')", timeout=120_000)
    folder = scenario_dir(Path(load_config(server.config).output.dir), woerden_solution()[0], "na-sessie")
    result = CliRunner().invoke(main, ["evaluate", str(server.config), "--plan", str(folder / "plan.csv"), "--json"])
    assert result.exit_code == 0, result.output
    evaluated, saved = json.loads(result.output), json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    assert saved == evaluated and saved["scenario"] == "na-sessie"  # evaluate names a scenario's plan.csv by its folder
    notes = json.loads((folder / "notes.json").read_text(encoding="utf-8"))
    assert {"area": "Kamerik & Zegveld \"Oost\"", "note": note} in notes["areas"]

    # reload: same state
    before = server.state()
    editor.open(server.url + "/")
    assert editor.shown_populations() == [a["population"] for a in before["areas"]]
    assert page.locator("#areas tr[data-area='0'] .area-name").inner_text() == "Kamerik & Zegveld \"Oost\""

    # SIGKILL the server, start it again: same state
    server.kill(signal.SIGKILL)
    server.start()
    again = server.state()
    for key in ("labels", "names", "notes", "locked_areas", "areas", "scores", "can_undo", "can_redo"):
        assert again[key] == before[key], key
    editor.open(server.url + "/")
    assert editor.shown_populations() == [a["population"] for a in before["areas"]]
    assert editor.errors == [] and present.errors == []
    assert editor.blocked == [] and present.blocked == []
    present.page.close()
    page.close()
