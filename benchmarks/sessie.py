"""Speed of the duidingssessie workbench (``wijkindeling sessie``): edit round trips and "re-optimise the rest".

Starts the real server (``wijkindeling sessie``, a subprocess on 127.0.0.1) for Woerden (31 buurten) and for the
whole region Utrecht Noord-West (all 197 buurten of the shipped GeoPackage: the largest real instance here), then

* the API round trip of an edit: ``POST /api/s/<scenario>/move`` until the JSON with the new scores has arrived
  (a border buurt moved to its neighbour area and back, repeated);
* the round trip in the browser (Debian's Chromium via Playwright, when present): from the request to the side
  panel and map redrawn with the new scores (``edit()`` in ``app.js`` awaits the answer and renders);
* "re-optimise the rest" on Woerden with one area locked: from the request to the new plan in the session
  (polling ``/api/job``), with the solver's status.

Writes ``benchmarks/SESSIE.md``. Run: ``nice -n 10 .venv/bin/python benchmarks/sessie.py``.
"""

from __future__ import annotations

import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CLI = Path(sys.executable).parent / "wijkindeling"
REPEATS = 30


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def request(url: str, body: dict | None = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"}, method="GET" if body is None else "POST")
    with urllib.request.urlopen(req, timeout=120) as r:
        return dict(json.loads(r.read()))


class Server:
    def __init__(self, config: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([str(CLI), "sessie", str(config), "--port", str(self.port), "--no-browser"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        for _ in range(3000):
            try:
                request(self.url + "/api/version")
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("the server did not start")

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=30)


def config(folder: Path, extra: dict, name: str) -> Path:
    data = {"extends": str(ROOT / "configs" / "regio-utrecht-noordwest.yaml"), "output": {"dir": str(folder / "outputs")},
            "solver": {"threads": 1, "time_limit": 60}}
    data.update(extra)
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def border_pair(state: dict, edges: list[tuple[str, str]]) -> tuple[str, int, int]:
    labels = state["labels"]
    for a, b in edges:
        if labels[a] != labels[b]:
            return a, labels[a], labels[b]
    raise RuntimeError("no border")


def edges_of(config_path: Path) -> list[tuple[str, str]]:
    from wijkindeling.build import build_problem
    from wijkindeling.config import load_config

    p = build_problem(load_config(config_path))
    return [(p.codes[int(i)], p.codes[int(j)]) for i, j in p.edges]


def api_round_trips(server: Server, edges: list[tuple[str, str]]) -> list[float]:
    st = request(server.url + "/api/state")
    scen = st["scenario"]
    times = []
    for _ in range(REPEATS):
        st = request(server.url + "/api/state")
        code, src, dst = border_pair(st, edges)
        t0 = time.perf_counter()
        request(f"{server.url}/api/s/{scen}/move", {"buurt": code, "area": dst})
        times.append(time.perf_counter() - t0)
        request(f"{server.url}/api/s/{scen}/undo", {})
    return times


def browser_round_trips(server: Server, edges: list[tuple[str, str]]) -> list[float] | None:
    if not Path("/usr/bin/chromium").exists():
        return None
    from playwright.sync_api import sync_playwright

    times: list[float] = []
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox", "--disable-gpu"], headless=True)
        page = b.new_page(viewport={"width": 1500, "height": 900})
        page.goto(server.url + "/", wait_until="load")
        page.wait_for_function("window.wb && wb.state && document.querySelectorAll('path[data-code]').length > 0", timeout=60_000)
        for _ in range(REPEATS):
            st = request(server.url + "/api/state")
            code, src, dst = border_pair(st, edges)
            ms = page.evaluate("""async ([code, dst]) => { const t0 = performance.now();
                await edit('move', {buurt: code, area: dst}); const t1 = performance.now();
                await edit('undo'); return t1 - t0; }""", [code, dst])
            times.append(ms / 1000)
        b.close()
    return times


def reoptimise(server: Server) -> list[dict]:
    st = request(server.url + "/api/state")
    scen = st["scenario"]
    runs = []
    request(f"{server.url}/api/s/{scen}/lock", {"area": 0, "locked": True})
    for _ in range(3):
        t0 = time.perf_counter()
        request(f"{server.url}/api/s/{scen}/optimise", {})
        while True:
            job = request(server.url + "/api/job")["job"]
            if job["state"] != "running":
                break
            time.sleep(0.05)
        runs.append({"wall": time.perf_counter() - t0, "text": job["text"], "state": job["state"]})
    return runs


def summary(times: list[float] | None) -> str:
    if not times:
        return "not measured (no /usr/bin/chromium)"
    ms = sorted(1000 * t for t in times)
    p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
    return f"median {statistics.median(ms):.0f} ms, p95 {p95:.0f} ms, max {ms[-1]:.0f} ms (n = {len(ms)})"


def city_and_region(folder: Path) -> Path:
    """The region's 197 buurten and Utrecht's 111 in one GeoPackage (308 buurten; the shipped files, same schema)."""
    import geopandas as gpd
    import pandas as pd

    parts = [gpd.read_file(ROOT / "boundaries" / name, layer="buurten")
             for name in ("cbs_buurten_2024_regio_utrecht_nw.gpkg", "cbs_buurten_2024_utrecht.gpkg")]
    both = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=parts[0].crs)
    path = folder / "regio-en-utrecht.gpkg"
    both.to_file(path, layer="buurten", driver="GPKG")
    return path


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="sessie-bench-"))
    cases = {
        "Woerden (31 buurten)": config(folder, {"extends": str(ROOT / "configs" / "woerden.yaml")}, "woerden"),
        "Regio Utrecht Noord-West (197 buurten)": config(folder, {"gemeente": "Regio UNW", "areas": {"target_size": 9000}}, "regio"),
        # ~300 buurten: the region and the city of Utrecht together; a wide tolerance, since Utrecht's large buurten
        # do not fit the region's ±10 % (the round trip of an edit is measured here, not the plan)
        "Regio Utrecht Noord-West + Utrecht (308 buurten)": config(
            folder, {"gemeente": "Regio UNW en Utrecht", "data": {"buurten": str(city_and_region(folder))},
                     "areas": {"target_size": 9000, "tolerance": 0.5}}, "regio-utrecht"),
    }
    lines = ["# The duidingssessie workbench: measured speed", "",
             f"`benchmarks/sessie.py`, {time.strftime('%Y-%m-%d')}, {platform.platform()}, Python {platform.python_version()}, "
             f"{os.cpu_count()} cores (shared with other work; run under `nice -n 10`). The real server (`wijkindeling sessie`) "
             "on 127.0.0.1; each edit moves a border buurt to its neighbour area (then undone).", "",
             "| instance | API round trip (request → JSON with new scores) | in the browser (request → panel and map redrawn) |",
             "|---|---|---|"]
    reopt: list[dict] = []
    starts: list[str] = []
    for name, cfg in cases.items():
        t0 = time.perf_counter()
        server = Server(cfg)
        start = time.perf_counter() - t0
        try:
            edges = edges_of(cfg)
            api = api_round_trips(server, edges)
            web = browser_round_trips(server, edges)
            lines.append(f"| {name} | {summary(api)} | {summary(web)} |")
            print(name, "start", round(start, 1), "api", summary(api), "browser", summary(web), flush=True)
            if name.startswith("Woerden"):
                reopt = reoptimise(server)
        finally:
            server.stop()
        t0 = time.perf_counter()
        Server(cfg).stop()  # again, now that the session file and the scenario exist
        starts.append(f"| {name} | {start:.1f} s | {time.perf_counter() - t0:.1f} s |")
    lines += ["", "Targets (issue 14): < 200 ms for Woerden, < 1 s for a ~300-buurt instance (the region and Utrecht",
              "together: 308 real buurten, tolerance ±50 % so that a first plan exists quickly).",
              "", "## Re-optimise the rest: Woerden with area 1 locked", "",
              "From the request to the new plan stored in the session (the solver runs in a warm separate process).", "",
              "| run | wall time | status shown |", "|---|---|---|"]
    for i, r in enumerate(reopt, 1):
        lines.append(f"| {i} | {r['wall']:.2f} s | {r['text']} |")
    lines += ["", "Target: proven optimal within 5 s.", "", "## Start of the server (until the API answers)", "",
              "First start: no scenario yet, so `sessie` proposes one (solver time limit 60 s) and writes it with `propose`'s "
              "writer, maps included. Next start: the session file exists and is resumed.", "",
              "| instance | first start | next start |", "|---|---|---|"] + starts
    out = ROOT / "benchmarks" / "SESSIE.md"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(out.read_text())


if __name__ == "__main__":
    main()
