"""Many solves at once (issue 17): region, sweep grids and blueprint variants as tasks on Dask.

Every cluster these tests start listens on 127.0.0.1 only and is closed by the test (or by the command it runs).
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from rich.console import Console

from wijkindeling import build
from wijkindeling.build import build_problem, cached_problem
from wijkindeling.cli import main
from wijkindeling.config import load_config
from wijkindeling.errors import ConfigError
from wijkindeling.execute import Task, TaskDisplay, raise_failures, run_in_process, run_tasks
from wijkindeling.optimise import solve
from wijkindeling.report.handreiking.analysis import municipality_tasks, solve_part

from .conftest import CONFIGS, WOERDEN, write_config
from .test_region import region_folder

ROOT = Path(__file__).resolve().parent.parent
PROVEN = ("montfoort", "oudewater", "lopik")  # solved to proven optimality within seconds


def without_seconds(value):
    """A JSON value with every wall-time field ("seconds") removed (the only field that is not reproducible)."""
    if isinstance(value, dict):
        return {k: without_seconds(v) for k, v in value.items() if k != "seconds"}
    if isinstance(value, list):
        return [without_seconds(v) for v in value]
    return value


def run_outputs(out: Path, names) -> dict[str, bytes]:
    """metrics.json and plan.csv of each municipality's proposal, as bytes, by relative path."""
    files = {}
    for name in names:
        for file in ("metrics.json", "plan.csv"):
            path = out / name / "handreiking" / "voorstel" / file
            files[str(path.relative_to(out))] = path.read_bytes()
    return files


# --------------------------------------------------------------------------- the execution layer


class Recording(TaskDisplay):
    """A progress display that remembers which tasks were reported running."""

    def __init__(self) -> None:
        super().__init__("test", Console(file=io.StringIO()))
        self.seen: list[str] = []

    def started(self, key: str) -> None:
        self.seen.append(key)
        super().started(key)


# workers=2 starts a local cluster of two worker processes (each imports the package: seconds of CPU), so that case is
# in the slow tier; the fast tier keeps the same assertions in this process.
@pytest.mark.parametrize("workers", [1, pytest.param(2, marks=pytest.mark.slow)])
def test_outcomes_come_in_task_order_and_a_failing_task_does_not_stop_the_others(workers):
    """In this process and on a local cluster of two worker processes (started and closed by run_tasks)."""
    tasks = [Task("slow", time.sleep, (1.0,)), Task("bad", int, ("x",)), Task("pow", pow, (3, 2))]
    display = Recording()
    outcomes = run_tasks(tasks, workers=workers, display=display)
    assert "slow" in display.seen  # the worker said it started (a Dask event) before it finished
    assert display.counts() == {"done": 2, "running": 0, "queued": 0, "failed": 1}
    log = display.console.file.getvalue()
    assert log.startswith("test: 3 tasks on ") and "  bad: FAILED: ValueError: invalid literal" in log
    assert [o.key for o in outcomes] == ["slow", "bad", "pow"]
    assert [o.ok for o in outcomes] == [True, False, True] and outcomes[2].value == 9
    assert isinstance(outcomes[1].error, ValueError)
    with pytest.raises(ValueError):  # not a user error: a bug keeps its own exception
        raise_failures(outcomes, "nothing was written")


def test_user_errors_of_tasks_become_one_sentence():
    outcomes = run_in_process([Task("a.yaml: proposal", pow, (2, 2)),
                               Task("b.yaml: proposal", load_config, ("/nonexistent/b.yaml",))])
    with pytest.raises(ConfigError) as err:
        raise_failures(outcomes, "the regional handreiking was not written")
    text = str(err.value)
    assert text.startswith("1 of 2 tasks failed (first: b.yaml: proposal: ") and "b.yaml" in text and "\n" not in text


def test_the_problem_is_built_once_per_process_and_again_when_a_data_file_changes(tmp_path, monkeypatch):
    calls = []
    real = build.build_problem
    monkeypatch.setattr(build, "build_problem", lambda cfg: calls.append(cfg) or real(cfg))
    monkeypatch.setattr(build, "_PROBLEMS", type(build._PROBLEMS)())
    lines = tmp_path / "praktijken.csv"
    lines.write_bytes((CONFIGS / "voorbeelden" / "woerden-praktijken-FICTIEF.csv").read_bytes())
    cfg = load_config(write_config(tmp_path, {"practices": {"path": str(lines)}}))
    for part in ("proposal", "weight"):
        solve_part(cfg, part, 20.0, 1)
    assert len(calls) == 1  # two tasks of one municipality: its data read once
    assert cached_problem(load_config(write_config(tmp_path, {"practices": {"path": str(lines)}}))) is cached_problem(cfg)
    os.utime(lines, ns=(time.time_ns(), time.time_ns() + 10**9))  # the data file changed: read it again
    cached_problem(cfg)
    assert len(calls) == 2


@pytest.mark.slow
def test_a_scheduler_that_does_not_answer_is_one_sentence(tmp_path):
    res = CliRunner().invoke(main, ["sweep", str(WOERDEN), "--areas", "4", "--scheduler", "tcp://127.0.0.1:9"])
    assert res.exit_code == 2, res.output
    last = res.output.strip().splitlines()[-1]
    assert last.startswith("Error: --scheduler tcp://127.0.0.1:9: no Dask scheduler answers") and "dask scheduler" in last


@pytest.mark.parametrize("args, needle", [
    (["--tolerance", "0.1,x"], "--tolerance '0.1,x'"),
    (["--tolerance", "1.5"], "outside 0 to 1"),
    (["--weights", "catchmnt=2"], "unknown term 'catchmnt'"),
    (["--weights", "catchment=much"], "not a number"),
])
def test_bad_grid_options_are_one_sentence(args, needle):
    res = CliRunner().invoke(main, ["sweep", str(WOERDEN), "--areas", "4-5", *args])
    assert res.exit_code == 2 and needle in res.output and len(res.output.strip().splitlines()) == 1, res.output


# --------------------------------------------------------------------------- the commands on a real cluster


@pytest.mark.slow
def test_region_on_a_local_cluster_equals_workers_1(tmp_path):
    """A LocalCluster of two worker processes on 127.0.0.1 runs `region --scheduler`; the proposals' metrics.json and
    plan.csv are byte-identical to those of `--workers 1`, the variants equal but for their wall times, and the
    workers read each municipality's data at most once."""
    from distributed import Client, LocalCluster

    region = region_folder(tmp_path / "configs", PROVEN)
    common = ["region", str(region), "--format", "html", "--time-limit", "30", "--variant-time-limit", "10"]
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        res = CliRunner().invoke(main, [*common, "--out", str(tmp_path / "cluster"), "--scheduler", cluster.scheduler_address])
        assert res.exit_code == 0, res.output
        with Client(cluster) as client:
            cached = client.run(lambda: sorted(json.loads(key[0])["gemeente"] for key in __import__("wijkindeling.build").build._PROBLEMS))
    assert len(cached) == 2 and all(len(names) == len(set(names)) for names in cached.values())
    assert set().union(*cached.values()) == {"Montfoort", "Oudewater", "Lopik"}  # the tasks ran on the cluster's workers
    single = CliRunner().invoke(main, [*common, "--out", str(tmp_path / "single"), "--workers", "1"])
    assert single.exit_code == 0, single.output
    assert run_outputs(tmp_path / "cluster", PROVEN) == run_outputs(tmp_path / "single", PROVEN)
    for name in PROVEN:
        variants = [json.loads((tmp_path / out / name / "handreiking" / f"varianten-{name}.json").read_text(encoding="utf-8"))
                    for out in ("cluster", "single")]
        assert without_seconds(variants[0]) == without_seconds(variants[1])
    assert (tmp_path / "cluster" / "testregio" / "handreiking" / "handreiking.html").exists()


@pytest.mark.slow
def test_a_failing_municipality_is_reported_while_the_others_finish(tmp_path):
    """Lopik's config names a buurtcode that is not in the data: its tasks fail with that one sentence, Montfoort
    still gets its handreiking, the regional one is not written, exit 2."""
    region = region_folder(tmp_path / "configs", ["lopik", "montfoort"])
    lopik = tmp_path / "configs" / "lopik.yaml"
    data = yaml.safe_load(lopik.read_text(encoding="utf-8"))
    data["identity"]["kernen"]["Lopik"].append("BU99999999")
    lopik.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    res = CliRunner().invoke(main, ["region", str(region), "--format", "html", "--no-variants", "--workers", "2",
                                    "--out", str(tmp_path / "out")])
    assert res.exit_code == 2, res.output
    assert "  lopik.yaml: proposal: FAILED: " in res.stderr and "BU99999999" in res.stderr
    last = res.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: 1 of 2 tasks failed (first: lopik.yaml: proposal: ") and "BU99999999" in last
    assert "regional handreiking was not written" in last and "Traceback" not in res.output
    assert (tmp_path / "out" / "montfoort" / "handreiking" / "handreiking.html").exists()
    assert not (tmp_path / "out" / "lopik").exists() and not (tmp_path / "out" / "testregio").exists()


@pytest.mark.slow
def test_sweep_grid_rows_equal_independent_solves(tmp_path, woerden_cfg):
    """Every row of a Woerden grid (K × tolerance × weights, two workers) equals a solve of that problem on its own."""
    out = tmp_path / "grid.csv"
    res = CliRunner().invoke(main, ["sweep", str(WOERDEN), "--areas", "4-5", "--tolerance", "0.10,0.15",
                                    "--weights", "catchment=2", "--time-limit", "30", "--workers", "2", "--csv", str(out)])
    assert res.exit_code == 0, res.output
    rows = [line.split(",") for line in out.read_text(encoding="utf-8").splitlines()]
    header, rows = rows[0], [dict(zip(rows[0], r)) for r in rows[1:]]
    assert header[:3] == ["weights", "tolerance", "K"]
    assert [(r["weights"], r["tolerance"], r["K"]) for r in rows] == [
        (w, t, k) for w in ("config", "catchment=2") for t in ("0.1", "0.15") for k in ("4", "5")]
    problem = build_problem(woerden_cfg)
    for r in rows:
        other = problem.with_k(int(r["K"]), float(r["tolerance"]))
        if r["weights"] == "catchment=2":
            other = replace(other, weights=other.weights.model_copy(update={"catchment": 2.0}))
        sol = solve(other, time_limit=30, seed=woerden_cfg.solver.seed, threads=1)
        assert sol.status == "optimal" and r["status"] == "optimal"
        assert float(r["objective"]) == pytest.approx(sol.objective, abs=1e-6)
        assert (int(r["min"]), int(r["max"])) == (round(other.lo), round(other.hi))


@pytest.mark.slow
def test_blueprint_variants_as_tasks_equal_the_in_process_run(tmp_path):
    """`blueprint --workers 2` (proposal and three variant tasks on two processes) writes the same files as `--workers 1`."""
    for workers in ("1", "2"):
        res = CliRunner().invoke(main, ["blueprint", str(CONFIGS / "montfoort.yaml"), "--format", "html", "--time-limit", "30",
                                        "--variant-time-limit", "10", "--workers", workers, "--out", str(tmp_path / workers)])
        assert res.exit_code == 0, res.output
    folder = Path("montfoort") / "handreiking"
    for file in ("voorstel/metrics.json", "voorstel/plan.csv"):
        assert (tmp_path / "1" / folder / file).read_bytes() == (tmp_path / "2" / folder / file).read_bytes()
    variants = [json.loads((tmp_path / w / folder / "varianten-montfoort.json").read_text(encoding="utf-8")) for w in ("1", "2")]
    assert without_seconds(variants[0]) == without_seconds(variants[1]) and len(variants[0]["variants"]) >= 3


def test_municipality_tasks_are_the_proposal_and_three_variant_solves():
    cfg = load_config(CONFIGS / "montfoort.yaml")
    tasks = municipality_tasks(cfg, "montfoort.yaml", 30, 10)
    assert [t.key for t in tasks] == ["montfoort.yaml: proposal", "montfoort.yaml: alternatives", "montfoort.yaml: K-1, K+1",
                                      "montfoort.yaml: weight x2"]
    assert [t.args[2] for t in tasks] == [30.0, 10.0, 10.0, 10.0]
    assert len(municipality_tasks(cfg, "montfoort.yaml", with_variants=False)) == 1


@pytest.mark.slow
def test_ctrl_c_cancels_every_task_closes_the_cluster_and_writes_nothing(tmp_path):
    """SIGINT to the whole process group (as Ctrl-C in a terminal) while two workers solve: one line, exit 130,
    no output folder and no worker process left."""
    region = region_folder(tmp_path / "configs", ["montfoort", "oudewater", "lopik", "de-ronde-venen"])
    proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "wijkindeling"), "region", str(region), "--format", "html",
                             "--workers", "2", "--out", str(tmp_path / "out")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert proc.stderr is not None
        first = ""
        while "tasks on 2 local worker processes" not in first and proc.poll() is None:  # the cluster is up
            first = proc.stderr.readline()
        assert "tasks on 2 local worker processes" in first, first
        time.sleep(3)  # the workers are solving
        children = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
        assert children, "the local cluster has worker processes"
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "Interrupted; previous outputs are untouched." and "Traceback" not in err
    assert not (tmp_path / "out").exists()
    deadline = time.monotonic() + 15
    while (alive := [pid for pid in children if running(pid)]) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive, f"worker processes left: {alive}"


def running(pid: str) -> bool:
    """Whether process ``pid`` exists and is not a zombie (Linux /proc)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def test_every_parallel_command_has_the_execution_options():
    for command in ("region", "blueprint", "sweep"):
        names = {p.name for p in main.commands[command].params}
        assert {"workers", "scheduler", "threads"} <= names, command


def test_the_live_display_on_a_terminal_shows_counts_and_every_task():
    console = Console(file=io.StringIO(), force_terminal=True, width=120)
    display = TaskDisplay("Woerden sweep", console)
    outcomes = run_tasks([Task("K=4", pow, (2, 2)), Task("K=5", int, ("x",))], workers=1, display=display,
                         describe=lambda o: f"value {o.value}")
    assert [o.ok for o in outcomes] == [True, False]
    screen = console.file.getvalue()
    assert "Woerden sweep on this process: 1 done · 0 running · 0 queued · 1 failed" in screen
    assert "value 4" in screen and "ValueError: invalid literal" in screen


if sys.platform != "linux":  # pragma: no cover - pgrep and /proc
    pytestmark = pytest.mark.skip("needs Linux")


@pytest.mark.slow
def test_sweep_grid_without_weights_doubles_each_weight_in_turn(tmp_path):
    """``sweep --grid``: the config's weights, then each non-zero weight doubled; one row per variant × K."""
    out = tmp_path / "grid.csv"
    res = CliRunner().invoke(main, ["sweep", str(WOERDEN), "--areas", "6", "--grid", "--workers", "1",
                                    "--time-limit", "20", "--csv", str(out)])
    assert res.exit_code == 0, res.output
    weights = load_config(WOERDEN).weights.model_dump()
    expected = ["config"] + [f"{t}={2 * w:g}" for t, w in weights.items() if w]
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["weights"] for r in rows] == expected and {r["K"] for r in rows} == {"6"}
