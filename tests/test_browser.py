"""map.html and compare.html in a real browser: Debian's headless Chromium driven by Playwright.

The page is opened from disk with every non-file request aborted (as on a machine without
internet): the map must still draw, with no JavaScript error, one SVG path per area and one
marker per practice. The screenshot is kept in outputs/woerden/browser-test/ for people to look at.
Chromium comes from Debian (``make test`` runs tests/setup_browser.sh); Playwright never
downloads a browser here. Without Chromium the test fails in CI (CI=true) and skips locally.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from wijkindeling.report import maps
from wijkindeling.report.compare import compare, entry_from_labels, load_plan, write_comparison

from .conftest import ROOT
from .plan_fixtures import woerden_solution

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = ROOT / "outputs" / "woerden" / "browser-test"


def _need_browser() -> None:
    problem = None
    if not CHROMIUM.exists():
        problem = f"{CHROMIUM} is missing (install Debian's chromium: bash tests/setup_browser.sh)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "the playwright package is missing (pip install -e '.[test]')"
    if problem:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"browser test cannot run in CI: {problem}")
        pytest.skip(problem)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """A persistent Chromium context with a fresh profile; yields (context, new_page)."""
    _need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=str(CHROMIUM), args=ARGS,
            headless=True, viewport={"width": 1400, "height": 900})
        try:
            yield context
        finally:
            context.close()


class OfflinePage:
    """A page that aborts every non-file request (recorded) and records JavaScript errors."""

    def __init__(self, context):
        self.page = context.new_page()
        self.errors: list[str] = []
        self.blocked: list[str] = []
        self.page.on("pageerror", lambda err: self.errors.append(f"pageerror: {err}"))
        self.page.on("console", lambda msg: self.errors.append(f"console: {msg.text}") if msg.type == "error" else None)
        self.page.route("**/*", self._route)

    def _route(self, route):
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def open(self, path: Path) -> None:
        self.page.goto(path.resolve().as_uri(), wait_until="load", timeout=60_000)
        self.page.wait_for_function("typeof L !== 'undefined' && document.querySelectorAll('path').length > 0", timeout=30_000)


@pytest.fixture(scope="module")
def plan():
    return woerden_solution()


@pytest.fixture(scope="module")
def map_page(browser, plan):
    problem, labels = plan
    SHOTS.mkdir(parents=True, exist_ok=True)
    maps.write_maps(problem, labels, SHOTS, "Woerden – browsertest")
    page = OfflinePage(browser)
    page.open(SHOTS / "map.html")
    page.page.screenshot(path=str(SHOTS / "map-screenshot.png"))
    yield page
    page.page.close()


def test_map_renders_offline_without_errors(map_page):
    assert map_page.errors == []
    assert map_page.blocked == []  # nothing even tried the network: no CDN, tiles off by default
    shot = SHOTS / "map-screenshot.png"
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


def test_map_has_one_polygon_per_area_and_one_marker_per_practice(map_page, plan):
    problem, _ = plan
    page = map_page.page
    assert page.locator("path.wk-area").count() == problem.k
    assert page.locator("path.wk-practice").count() == len(problem.practices)
    assert page.locator("path.wk-buurt").count() == problem.n
    assert page.locator(".wk-label").count() == problem.k
    legend = page.locator("#wk-legend").inner_text()
    for name in problem.area_names:
        assert name in legend


def test_buurt_tooltip_shows_name_inhabitants_and_area(map_page, plan):
    problem, labels = plan
    page = map_page.page
    u = int(problem.buurten.geometry.area.to_numpy().argmax())  # the largest buurt: easy to point at
    point = problem.buurten.geometry.iloc[u].representative_point()
    lon, lat = maps.gpd.GeoSeries([point], crs=problem.buurten.crs).to_crs(maps.WGS84).iloc[0].coords[0]
    xy = page.evaluate(
        """([lat, lon]) => { const name = Object.keys(window).find(k => k.startsWith('map_') && window[k] instanceof L.Map);
            const p = window[name].latLngToContainerPoint([lat, lon]);
            const r = window[name].getContainer().getBoundingClientRect(); return [p.x + r.left, p.y + r.top]; }""",
        [lat, lon])
    page.mouse.move(*xy)
    tip = page.locator(".leaflet-tooltip").first
    tip.wait_for(timeout=5_000)
    text = tip.inner_text()
    assert problem.names[u] in text and maps.nl_int(problem.population[u]) in text
    assert problem.area_names[int(labels[u])] in text and "km²" in text


def test_layer_control_toggles_wijken_and_catchments(map_page, plan):
    problem, _ = plan
    page = map_page.page
    assert page.locator("path.wk-wijk").count() == 0 and page.locator("path.wk-catchment").count() == 0
    page.get_by_text("CBS-wijken (grenzen)").click()
    n_wijken = problem.buurten["wijkcode"].nunique()
    assert page.locator("path.wk-wijk").count() == n_wijken == 8
    page.get_by_text("Patiëntaandelen per praktijk (geschat)").click()
    assert page.locator("path.wk-catchment").count() >= len(problem.practices)
    page.get_by_text("Huisartsenpraktijken (FICTIEF)").click()
    assert page.locator("path.wk-practice").count() == 0
    page.screenshot(path=str(SHOTS / "map-layers-screenshot.png"))
    assert map_page.errors == []


def test_compare_page_has_synced_maps(browser, plan, tmp_path):
    problem, labels = plan
    comp = compare([entry_from_labels(problem, labels, "optimiser"), load_plan(problem, "cbs-wijken")])
    write_comparison(comp, tmp_path, "Woerden: optimiser vs CBS-wijken", with_png=False)
    page = OfflinePage(browser)
    page.open(tmp_path / "compare.html")
    p = page.page
    assert p.locator(".leaflet-container").count() == 2
    assert p.locator("#map0 path.wk-area").count() == problem.k
    assert p.locator("#map1 path.wk-area").count() == 8
    assert p.locator("#map1 path.wk-changed").count() == len(comp.changes)
    assert p.locator("#scores tr").count() == len(comp.rows) + 1
    p.evaluate("window.wkMaps[0].setView([52.07, 4.93], 14, {animate: false})")
    centre, zoom = p.evaluate("[window.wkMaps[1].getCenter(), window.wkMaps[1].getZoom()]")
    assert zoom == 14 and centre["lat"] == pytest.approx(52.07) and centre["lng"] == pytest.approx(4.93)
    p.screenshot(path=str(tmp_path / "compare.png"), full_page=True)
    shutil.copy(tmp_path / "compare.png", SHOTS / "compare-screenshot.png")
    assert page.errors == [] and page.blocked == []
    p.close()
