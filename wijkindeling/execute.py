"""Many independent solves at once: tasks on Dask worker processes (local or a cluster), results in task order.

A :class:`Task` is a stable key and a plain top-level function with its arguments (picklable, so it runs on any
worker that has ``wijkindeling`` installed). :func:`run_tasks` runs a list of tasks and returns one
:class:`Outcome` per task **in the order of the tasks**, never in the order they finished, so what a command
writes afterwards does not depend on how many workers there were:

- ``workers=1`` (and no scheduler): the tasks run one after another in this process (:func:`run_in_process`),
  calling the same functions with the same arguments as a worker would;
- ``workers=N``: a ``distributed.LocalCluster`` of N worker processes with one thread each, listening on
  127.0.0.1 only, closed when the tasks are done;
- ``scheduler="tcp://HOST:PORT"``: an existing Dask cluster (``dask scheduler`` + ``dask worker``).

A worker process runs one task at a time (:data:`_ONE_AT_A_TIME`), also when it was started with several
threads: HiGHS has one thread scheduler per process. A failing task does not stop the others; its exception
is its :class:`Outcome`'s ``error``. Ctrl-C (or SIGTERM) cancels every task, closes the local cluster and
re-raises, so the command writes nothing. One progress display (:class:`TaskDisplay`) shows every task.

This module imports only Dask, rich and the foundation modules.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from .errors import ConfigError, SolverMissingError
from .interrupts import handled

TOPIC = "wijkindeling-task"  # Dask event topic on which workers say that a task started
CONNECT_TIMEOUT = "10s"
_ONE_AT_A_TIME = threading.Lock()  # one task per worker process at a time (HiGHS: one thread scheduler per process)


@dataclass(frozen=True)
class Task:
    """One unit of work: ``func(*args)`` under a stable, unique ``key``.

    Attributes
    ----------
    key : str
        Shown in the progress display and in error messages, e.g. ``"lopik.yaml: proposal"``.
    func : callable
        A top-level function (picklable by reference).
    args : tuple
        Its positional arguments (picklable).
    cost : float
        Expected relative run time: on Dask, costlier tasks start first (the longest tasks do not end up last);
        it changes neither the results nor their order.
    """

    key: str
    func: Callable[..., Any]
    args: tuple[Any, ...] = ()
    cost: float = 0.0


@dataclass
class Outcome:
    """What one task gave: its value, or the exception it raised.

    Attributes
    ----------
    key : str
        The task's key.
    value : object
        The function's return value (None when it failed).
    error : BaseException or None
        The exception the function raised, None when it succeeded.
    seconds : float
        Wall time of the function on its worker (0 when it failed).
    """

    key: str
    value: Any = None
    error: BaseException | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether the task succeeded."""
        return self.error is None


Describe = Callable[[Outcome], str]
Runner = Callable[[Sequence[Task]], list[Outcome]]


def _say_started(key: str) -> None:
    """Tell the client that ``key`` started (a Dask event); does nothing outside a Dask worker."""
    try:
        from distributed import get_worker  # lazy: Dask takes half a second to import; a worker has it loaded already

        get_worker().log_event(TOPIC, {"key": key})
    except ValueError:  # not running on a worker
        pass


def call(key: str, func: Callable[..., Any], args: tuple[Any, ...]) -> tuple[Any, float]:
    """Run one task on a worker (or in-process): ``(func(*args), seconds)``, one task per process at a time.

    Parameters
    ----------
    key : str
        The task's key (for the progress display).
    func : callable
        The task's function.
    args : tuple
        Its arguments.

    Returns
    -------
    tuple of (object, float)
        The return value and the wall time of the call.
    """
    with _ONE_AT_A_TIME:
        _say_started(key)
        t0 = time.perf_counter()
        value = func(*args)
        return value, time.perf_counter() - t0


def default_workers() -> int:
    """The number of worker processes when ``--workers`` is not given: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class TaskDisplay:
    """One progress display for many tasks: counts of done / running / queued / failed and a line per task.

    On a terminal it is a live table on stderr; elsewhere (a log file) one line says how many tasks run where,
    and each failed task prints one line with its error.

    Parameters
    ----------
    title : str
        The first line, e.g. ``"Woerden: 20 solves"``.
    console : rich.console.Console, optional
        Where it goes (default: a new console on stderr).
    max_rows : int
        The most task lines shown live (the running and failed ones first).
    """

    def __init__(self, title: str, console: Console | None = None, max_rows: int = 24) -> None:
        self.title = title
        self.console = console or Console(stderr=True)
        self.max_rows = max_rows
        self.state: dict[str, str] = {}
        self.text: dict[str, str] = {}
        self.t0 = time.perf_counter()
        self.live: Live | None = None
        self.lock = threading.Lock()

    def start(self, keys: Sequence[str], where: str) -> None:
        """Show every task as queued; ``where`` says what runs them (e.g. ``"2 local worker processes"``)."""
        self.where = where
        self.state = {key: "queued" for key in keys}
        self.t0 = time.perf_counter()
        if self.console.is_terminal:
            self.live = Live(self._render(), console=self.console, refresh_per_second=4, transient=False)
            self.live.start()
        else:
            self.console.print(Text(f"{self.title}: {len(keys)} tasks on {where}"), soft_wrap=True)

    def started(self, key: str) -> None:
        """Mark a task as running."""
        with self.lock:
            if self.state.get(key) == "queued":
                self.state[key] = "running"

    def finished(self, key: str, ok: bool, text: str) -> None:
        """Mark a task as done (``ok``) or failed, with its status text or one-sentence error."""
        with self.lock:
            self.state[key] = "done" if ok else "failed"
            self.text[key] = text
        if self.live is None and not ok:
            self.console.print(Text(f"  {key}: FAILED: {text}"), soft_wrap=True)

    def refresh(self) -> None:
        """Redraw the live table (the elapsed time moves)."""
        if self.live is not None:
            self.live.update(self._render())

    def stop(self) -> None:
        """Show the final state and end the live table."""
        if self.live is not None:
            self.live.update(self._render())
            self.live.stop()
            self.live = None

    def counts(self) -> dict[str, int]:
        """Number of tasks per state (queued, running, done, failed)."""
        with self.lock:
            states = list(self.state.values())
        return {s: states.count(s) for s in ("done", "running", "queued", "failed")}

    def _render(self) -> Group:
        c = self.counts()
        head = Text(f"{self.title} on {self.where}: {c['done']} done · {c['running']} running · {c['queued']} queued"
                    + (f" · {c['failed']} failed" if c["failed"] else "") + f" · {time.perf_counter() - self.t0:.0f} s")
        order = {"running": 0, "failed": 1, "queued": 2, "done": 3}
        with self.lock:
            rows = sorted(self.state.items(), key=lambda kv: order[kv[1]])[: self.max_rows]
            table = Table(show_header=False, box=None, padding=(0, 1))
            for key, state in rows:
                table.add_row(key, state, self.text.get(key, ""))
        return Group(head, table)


def _describe_default(outcome: Outcome) -> str:
    return f"{outcome.seconds:.1f} s"


def error_text(err: BaseException) -> str:
    """The one sentence of a user error, or the exception's type and text for anything else."""
    if isinstance(err, (ConfigError, SolverMissingError)):
        return str(err)
    return f"{type(err).__name__}: {err}"


def _finish(display: TaskDisplay | None, outcome: Outcome, describe: Describe) -> None:
    if display is not None:
        display.finished(outcome.key, outcome.ok, describe(outcome) if outcome.ok else error_text(outcome.error or Exception()))


def run_in_process(tasks: Sequence[Task], display: TaskDisplay | None = None,
                   describe: Describe = _describe_default) -> list[Outcome]:
    """Run the tasks one after another in this process, with the same functions and arguments a worker gets.

    Parameters
    ----------
    tasks : sequence of Task
        The tasks (keys unique).
    display : TaskDisplay, optional
        The progress display.
    describe : callable
        The status text of a successful task's outcome.

    Returns
    -------
    list of Outcome
        One per task, in task order. Ctrl-C is not caught: it ends the command.
    """
    outcomes = []
    if display is not None:
        display.start([t.key for t in tasks], "this process")
    try:
        for task in tasks:
            if display is not None:
                display.started(task.key)
            try:
                value, seconds = call(task.key, task.func, task.args)
                outcome = Outcome(task.key, value, None, seconds)
            except Exception as err:  # a failing task does not stop the others
                outcome = Outcome(task.key, None, err)
            _finish(display, outcome, describe)
            outcomes.append(outcome)
    finally:
        if display is not None:
            display.stop()
    return outcomes


@contextmanager
def _sigint_ignored() -> Iterator[None]:
    """SIGINT ignored while worker processes start (they inherit it), so Ctrl-C reaches only this process."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


@contextmanager
def dask_client(workers: int | None = None, scheduler: str | None = None) -> Iterator[Any]:
    """A ``distributed.Client``: on ``scheduler``, or on a new LocalCluster of ``workers`` processes on 127.0.0.1.

    The local cluster has one thread per worker, no dashboard, and is closed on leaving (also after Ctrl-C).

    Parameters
    ----------
    workers : int, optional
        Worker processes of the local cluster; by default :func:`default_workers`.
    scheduler : str, optional
        Address of an existing scheduler, like ``tcp://10.0.0.5:8786``.

    Yields
    ------
    distributed.Client
        The connected client.

    Raises
    ------
    ConfigError
        When no scheduler answers at ``scheduler``.
    """
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "error")  # before the import: Dask's INFO lines (scheduler and
    # worker addresses, ports, plugins) on the terminal, for this process and the worker processes it starts
    from distributed import Client, LocalCluster  # lazy: Dask takes half a second to import; only parallel runs need it

    if scheduler:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as err:
            raise ConfigError(f"--scheduler {scheduler}: no Dask scheduler answers there ({type(err).__name__}); "
                              "start one with `dask scheduler` (and workers with `dask worker ADDRESS`), "
                              "or leave --scheduler out to use local worker processes.") from None
        try:
            yield client
        finally:
            client.close()
        return
    with _sigint_ignored():
        cluster = LocalCluster(n_workers=workers or default_workers(), threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None, silence_logs=logging.CRITICAL)
    try:
        client = Client(cluster)
        try:
            yield client
        finally:
            client.close()
    finally:
        cluster.close()


@dataclass
class _Run:
    """The futures of one :func:`run_tasks` call and their outcomes so far."""

    tasks: Sequence[Task]
    futures: list[Any]
    outcomes: dict[int, Outcome] = field(default_factory=dict)


def _collect(run: _Run, display: TaskDisplay | None, describe: Describe) -> None:
    """Wait for every future; record each outcome (value or error) as it finishes."""
    from distributed import wait  # lazy: Dask takes half a second to import; only parallel runs need it

    while len(run.outcomes) < len(run.futures):
        pending = [f for i, f in enumerate(run.futures) if i not in run.outcomes]
        try:
            wait(pending, timeout=0.25, return_when="FIRST_COMPLETED")
        except TimeoutError:
            pass
        for i, fut in enumerate(run.futures):
            if i in run.outcomes or not fut.done():
                continue
            key = run.tasks[i].key
            if fut.status == "finished":
                value, seconds = fut.result()
                run.outcomes[i] = Outcome(key, value, None, seconds)
            else:
                run.outcomes[i] = Outcome(key, None, fut.exception() or RuntimeError(f"task {key} was {fut.status}"))
            _finish(display, run.outcomes[i], describe)
        if display is not None:
            display.refresh()


def run_tasks(tasks: Sequence[Task], workers: int | None = None, scheduler: str | None = None,
              display: TaskDisplay | None = None, describe: Describe = _describe_default) -> list[Outcome]:
    """Run every task on Dask (or in this process for one local worker); outcomes in task order.

    Parameters
    ----------
    tasks : sequence of Task
        The tasks; their keys must be unique.
    workers : int, optional
        Local worker processes (default :func:`default_workers`); 1 runs the tasks in this process.
    scheduler : str, optional
        Address of an existing Dask scheduler (``tcp://HOST:PORT``); ``workers`` is then ignored.
    display : TaskDisplay, optional
        The progress display.
    describe : callable
        The status text of a successful task's outcome (for the display).

    Returns
    -------
    list of Outcome
        One per task, in the order of ``tasks``.

    Raises
    ------
    KeyboardInterrupt
        On Ctrl-C or SIGTERM, after cancelling every task and closing the local cluster.
    ConfigError
        When ``scheduler`` does not answer.
    """
    keys = [t.key for t in tasks]
    if len(set(keys)) != len(keys):
        raise ValueError("task keys must be unique")
    workers = workers or default_workers()
    if scheduler is None and (workers == 1 or len(tasks) <= 1):
        return run_in_process(tasks, display, describe)
    token = uuid.uuid4().hex[:8]  # a new Dask key per run: a long-lived cluster must not return an old result
    with dask_client(min(workers, len(tasks)), scheduler) as client:
        if display is not None:
            client.subscribe_topic(TOPIC, lambda event: display.started(event[1]["key"]))
            where = f"Dask scheduler {scheduler}" if scheduler else f"{min(workers, len(tasks))} local worker processes"
            display.start(keys, where)
        futures = [client.submit(call, t.key, t.func, t.args, key=f"{t.key} [{token}]", pure=False, priority=t.cost)
                   for t in tasks]
        run = _Run(tasks, futures)
        try:
            _collect(run, display, describe)
        except KeyboardInterrupt:
            handled()  # this thread ends the command itself (exit 130); the interrupt watchdog stands down
            client.cancel(futures, force=True)
            raise
        finally:
            if display is not None:
                display.stop()
    return [run.outcomes[i] for i in range(len(tasks))]


def failure_message(outcomes: Sequence[Outcome], what: str) -> str:
    """One sentence for the tasks that failed: how many, the first one's key and error, and what was not written.

    Parameters
    ----------
    outcomes : sequence of Outcome
        The outcomes of a run; at least one failed.
    what : str
        What the command did not write because of it, e.g. ``"the regional handreiking was not written"``.

    Returns
    -------
    str
        ``"2 of 12 tasks failed (lopik.yaml: proposal: <error>); <what>; fix ... and run the command again."``
    """
    failed = [o for o in outcomes if not o.ok]
    first = failed[0]
    err = error_text(first.error or Exception()).rstrip(". ")
    return (f"{len(failed)} of {len(outcomes)} tasks failed (first: {first.key}: {err}); {what}; "
            "fix the cause shown for each failed task and run the command again.")


def raise_failures(outcomes: Sequence[Outcome], what: str) -> None:
    """Raise when a task failed: a bug's own exception as it is, else one ConfigError (:func:`failure_message`).

    Parameters
    ----------
    outcomes : sequence of Outcome
        The outcomes of a run.
    what : str
        What was not written because of the failure (see :func:`failure_message`).

    Raises
    ------
    Exception
        The first failed task's exception when it is not a user error (a bug: the traceback matters).
    ConfigError
        When every failure is a user error (one sentence, exit code 2 in the CLI).
    """
    failed = [o.error for o in outcomes if o.error is not None]
    if not failed:
        return
    for err in failed:
        if not isinstance(err, (ConfigError, SolverMissingError, OSError)):
            raise err
    raise ConfigError(failure_message(outcomes, what))
