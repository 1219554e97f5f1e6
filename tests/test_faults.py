"""Faults: an interrupted or killed run never damages earlier outputs; honest time-limit status;
missing solver; --force.

The interrupt tests run the real ``wijkindeling`` command in a subprocess on Stichtse Vecht (97
buurten, 7 areas: the solver uses its whole time limit), wait until it enters HiGHS (a wrapper around
the pricing call of column generation writes a marker), and send SIGINT, SIGTERM or SIGKILL. The previous scenario folder must
be byte-identical afterwards. A Ctrl-C or SIGTERM leaves no temporary folder; SIGKILL cannot be
caught, so there the promise is that the *next* run removes what the killed one left.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from wijkindeling.cli import main
from wijkindeling.report.outputs import atomic_dir, clean_stale

from .conftest import CONFIGS, ROOT, write_config

STICHTSE_VECHT = CONFIGS / "stichtse-vecht.yaml"

BIN = Path(sys.executable).parent / "wijkindeling"


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if ".tmp-" in p.name or ".old-" in p.name)


@pytest.fixture(scope="module")
def previous(tmp_path_factory):
    """A config with a long solve, and a finished earlier run (K=1, instant) in its scenario folder."""
    tmp = tmp_path_factory.mktemp("faults")
    config = write_config(tmp, {"solver": {"time_limit": 120, "threads": 1}}, extends=STICHTSE_VECHT)
    result = CliRunner().invoke(main, ["propose", str(config), "--areas", "1", "--time-limit", "10"])
    assert result.exit_code == 0, result.output
    target = tmp / "outputs" / "stichtse-vecht" / "voorstel"
    (target / "notities.txt").write_text("aantekeningen van de adviseur\n")
    return config, target, snapshot(target)


def start(args: list[str], code: str | None = None) -> subprocess.Popen:
    """Start the CLI (or a Python snippet) in its own process; stderr is read to follow progress."""
    cmd = [sys.executable, "-c", code, *args] if code else [str(BIN), *args]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)


def wait_for(proc: subprocess.Popen, marker: str, timeout: float = 60.0) -> None:
    """Read stderr lines until ``marker`` appears (the process is then past loading the data)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if marker in line:
            return
        if not line and proc.poll() is not None:
            raise AssertionError(f"process ended (rc {proc.returncode}) before {marker!r}")
    raise AssertionError(f"{marker!r} did not appear within {timeout} s")


@contextmanager
def killed_on_failure(proc: subprocess.Popen) -> Iterator[None]:
    """Kill ``proc`` when the block fails: a propose left running would use the CPU of the tests after it and, with
    ``--force``, replace the previous outputs that the other tests of this module compare against."""
    try:
        yield
    except BaseException:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=30)
        raise


IN_SOLVER = """
import sys
from wijkindeling.optimise import colgen as cg
def marked(real):
    def price(self, *args, **kwargs):
        sys.stderr.write("IN SOLVER\\n"); sys.stderr.flush()
        return real(self, *args, **kwargs)
    return price
for name in ("price", "price_by_root"):  # one pricing MIP over all roots, or one per root
    if hasattr(cg.Pricer, name):
        setattr(cg.Pricer, name, marked(getattr(cg.Pricer, name)))
from wijkindeling.cli import main
main(sys.argv[1:])
"""


def interrupt_solve(config: Path, sig: int) -> tuple[int, str, float]:
    """Start a long propose over the previous scenario and signal it as it enters HiGHS (the pricing MIP of
    column generation, which runs for seconds on Stichtse Vecht); (rc, stderr, seconds to exit)."""
    proc = start(["propose", str(config), "--force"], code=IN_SOLVER)
    with killed_on_failure(proc):
        wait_for(proc, "IN SOLVER")
        time.sleep(0.2)  # the marker is written just before HiGHS runs: let it start
        assert proc.poll() is None, "the solve finished before it could be interrupted"
        t0 = time.monotonic()
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
    return proc.returncode, err, time.monotonic() - t0


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_during_solve_leaves_previous_outputs(previous, sig):
    config, target, before = previous
    rc, err, seconds = interrupt_solve(config, sig)
    assert rc == 130, err
    lines = [ln for ln in err.splitlines() if ln.strip() and not ln.startswith(("Optimising", "IN SOLVER"))]
    assert lines == ["Interrupted; previous outputs are untouched."], err
    assert "Traceback" not in err
    assert seconds < 10, f"took {seconds:.1f} s to stop; the solver was not interrupted"
    assert snapshot(target) == before
    assert leftovers(target.parent) == []


@pytest.mark.slow
def test_sigkill_during_solve_leaves_previous_outputs(previous):
    config, target, before = previous
    rc, _, _ = interrupt_solve(config, signal.SIGKILL)
    assert rc == -signal.SIGKILL
    assert snapshot(target) == before
    assert leftovers(target.parent) == []  # nothing is written before the solve has finished


SLOW_WRITE = """
import sys, time
import wijkindeling.report.maps as maps
def slow(folder, *args, **kwargs):
    sys.stderr.write("WRITING " + str(folder) + "\\n"); sys.stderr.flush()
    time.sleep(120)
maps.write_maps = slow
from wijkindeling.cli import main
main(sys.argv[1:])
"""


def kill_while_writing(config: Path, sig: int) -> tuple[subprocess.Popen, str]:
    """Propose (K=1, instant solve) with a map writer that hangs; signal it while the temp folder is half full."""
    proc = start(["propose", str(config), "--force", "--areas", "1", "--time-limit", "10"], code=SLOW_WRITE)
    with killed_on_failure(proc):
        wait_for(proc, "WRITING")
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
    return proc, err


@pytest.mark.slow
def test_ctrl_c_while_writing_removes_the_temporary_folder(previous):
    config, target, before = previous
    proc, err = kill_while_writing(config, signal.SIGINT)
    assert proc.returncode == 130 and "Interrupted; previous outputs are untouched." in err and "Traceback" not in err
    assert snapshot(target) == before
    assert leftovers(target.parent) == []


@pytest.mark.slow
def test_sigkill_while_writing_is_cleaned_by_the_next_run(previous):
    config, target, before = previous
    proc, _ = kill_while_writing(config, signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL
    assert snapshot(target) == before  # the previous run is intact ...
    stale = leftovers(target.parent)
    assert len(stale) == 1 and stale[0].startswith(".voorstel.tmp-")  # ... and a killed process cannot tidy up
    assert (target.parent / stale[0] / "plan.csv").exists()  # it was half-way through writing
    # the next run (here a refused one: no --force) already removes the stale folder
    result = CliRunner().invoke(main, ["propose", str(config), "--time-limit", "1"])
    assert result.exit_code == 2 and "--force" in result.stderr
    assert leftovers(target.parent) == []
    assert snapshot(target) == before


def test_killed_swap_is_restored_by_the_next_run(tmp_path):
    """A run killed between moving the old folder aside and moving the new one in: next run puts the old one back."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout.strip()
    parent = tmp_path / "woerden"
    old = parent / f".voorstel.old-{dead}-abcd1234"
    half = parent / f".voorstel.tmp-{dead}-efgh5678"
    old.mkdir(parents=True)
    half.mkdir()
    (old / "plan.csv").write_text("buurtcode,area\n")
    (half / "plan.csv").write_text("half")
    done = clean_stale(parent)
    assert (parent / "voorstel" / "plan.csv").read_text() == "buurtcode,area\n"
    assert leftovers(parent) == [] and len(done) == 2


def test_folders_of_a_live_run_are_left_alone(tmp_path):
    """A temporary folder whose process is still running (another terminal) is not removed."""
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        live = tmp_path / f".voorstel.tmp-{sleeper.pid}-abcd1234"
        live.mkdir()
        assert clean_stale(tmp_path) == [] and live.exists()
    finally:
        sleeper.kill()
        sleeper.wait()
    assert clean_stale(tmp_path) and not live.exists()


def test_exception_while_writing_keeps_previous(tmp_path):
    target = tmp_path / "scenario"
    target.mkdir()
    (target / "plan.csv").write_text("old\n")
    with pytest.raises(ZeroDivisionError):
        with atomic_dir(target, force=True) as tmp:
            (tmp / "plan.csv").write_text("new\n")
            raise ZeroDivisionError("a bug in the middle of writing")
    assert (target / "plan.csv").read_text() == "old\n"
    assert leftovers(tmp_path) == []


def test_force_replaces_the_whole_folder(tmp_path):
    target = tmp_path / "scenario"
    target.mkdir()
    (target / "oud.txt").write_text("old\n")
    with atomic_dir(target, force=True) as tmp:
        (tmp / "plan.csv").write_text("new\n")
    assert sorted(p.name for p in target.iterdir()) == ["plan.csv"]
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("umask", [0o022, 0o002])
def test_scenario_folder_gets_the_permissions_of_a_normal_folder(tmp_path, umask):
    """A scenario folder is readable by colleagues on a shared drive: the same mode as a plain mkdir next to
    it (it used to stay 0700, the mode of the temporary folder it was written in)."""
    old = os.umask(umask)
    try:
        (tmp_path / "gewoon").mkdir()
        with atomic_dir(tmp_path / "voorstel", force=False) as tmp:
            (tmp / "plan.csv").write_text("buurtcode,area\n")
    finally:
        os.umask(old)
    mode = (tmp_path / "voorstel").stat().st_mode & 0o777
    assert mode == (tmp_path / "gewoon").stat().st_mode & 0o777 == 0o777 & ~umask


@pytest.mark.slow
def test_time_limit_gives_best_plan_with_honest_status(tmp_path):
    """Stichtse Vecht in 7 areas cannot be proved optimal in 6 s: the best plan comes with its honest status."""
    config = write_config(tmp_path, {"solver": {"time_limit": 6, "threads": 1}}, extends=STICHTSE_VECHT)
    result = CliRunner().invoke(main, ["propose", str(config)])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "outputs" / "stichtse-vecht" / "voorstel"
    record = json.loads((folder / "metrics.json").read_text())
    assert record["status"] in ("gap", "heuristic")
    assert record["stopped_by"] == "time_limit" and record["reproducible"] is False
    if record["status"] == "gap":
        assert 0 < record["gap"] < 1 and record["bound"] < record["objective"]
    else:
        assert record["gap"] is None and record["bound"] is None
    assert record["seconds"] == 6 and "time limit" in record["seconds_meaning"]
    assert "another run may return a different plan" in result.stdout
    run = json.loads((folder / "run.json").read_text())
    assert 2 < run["solve_seconds"] < 60  # column generation keeps a reserve for its master IP, so it may end before the limit


@pytest.mark.slow
def test_missing_cbc_names_the_fix(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "cbcbox", None)  # import cbcbox now fails as if not installed
    config = write_config(tmp_path, {"solver": {"backend": "cbc", "time_limit": 20}})
    result = CliRunner().invoke(main, ["propose", str(config)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: ") and "cbcbox" in last and "solver.backend" in last
    assert not (tmp_path / "outputs" / "woerden").exists()


NO_HIGHSPY = """
import sys
sys.modules["highspy"] = None  # as if highspy were not installed
from wijkindeling.cli import main
main(sys.argv[1:])
"""


@pytest.mark.slow
def test_missing_highs_names_the_fix(tmp_path):
    config = write_config(tmp_path, {"solver": {"time_limit": 20}})
    proc = start(["propose", str(config)], code=NO_HIGHSPY)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2, err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("Error: ") and "highs" in last.lower() and "solver.backend" in last and "install" in last
    assert not (tmp_path / "outputs" / "woerden").exists()


@pytest.mark.slow
def test_rules_that_clash_give_no_plan_and_write_nothing(tmp_path):
    """Two buurten that must be together and apart: one line saying why, exit 1, nothing written."""
    pair = ["BU06320101", "BU06320102"]
    config = write_config(tmp_path, {"rules": {"keep_together": [pair], "keep_apart": [pair]}})
    result = CliRunner().invoke(main, ["propose", str(config)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("No plan:") and "nothing was written" in last and ".;" not in last
    assert not (tmp_path / "outputs" / "woerden").exists()


def test_no_plan_within_the_time_limit_says_what_to_do(tmp_path, monkeypatch):
    """When the solver returns without any plan, the message names the time limit and how to raise it."""
    from wijkindeling.cli import plans as plans_cli
    from wijkindeling.optimise import Solution

    monkeypatch.setattr(plans_cli, "solve", lambda problem, **kw: Solution(None, "no_solution", None, None, None, kw["time_limit"], "highs"))
    config = write_config(tmp_path, {"solver": {"time_limit": 3}})
    result = CliRunner().invoke(main, ["propose", str(config)])
    assert result.exit_code == 1, result.output
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("No plan:") and "3 s" in last and "solver.time_limit" in last and "nothing was written" in last
    assert not (tmp_path / "outputs" / "woerden").exists()
