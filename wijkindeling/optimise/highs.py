"""Every HiGHS run of the optimiser goes through :func:`run`: HiGHS has one thread scheduler per process.

HiGHS (1.16) starts a global thread scheduler at the first run with that run's ``threads`` option. A later
run that asks for another number fails with an error and leaves no solution ("the scheduler has already
been initialized to use 2 threads"); read naively, that empty result looks like a zero objective. Our
models use one thread (set partitioning, master LP) or the user's ``solver.threads`` (MIPs), and both
happen in one process, so :func:`run` resets the scheduler whenever the number changes.

The other helpers make a quiet HiGHS instance with the optimiser's limits (:func:`new_highs`), read its
status honestly (:func:`read_highs`) and silence the copyright banner (:func:`swallow_banner`).

HiGHS's answer is checked, not trusted: :func:`read_highs` recomputes the objective of the returned solution from
the model's costs and calls nothing ``optimal`` whose reported objective differs. HiGHS 1.16 was seen to return
"optimal" with a wrong objective (and an equally wrong dual bound) when a MIP start was set and presolve was on
(Woerden, 5 areas: 72.77 reported for a plan worth 106.66, whose true optimum is 103.71); :func:`run_mip` then
solves the model again without the start and without presolve.

``highspy`` is imported inside the functions, in this module and in every method module: without it the
package (and so the CLI) still imports, and the first HiGHS call raises the ``ModuleNotFoundError`` that
the CLI turns into one sentence naming the package to install (``tests/test_faults.py``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import highspy

HighsProgress = Callable[[float, float, float], None]
"""A MIP progress callback: ``(primal bound, dual bound, seconds)`` as HiGHS reports them while it runs."""

_scheduler_threads: int | None = None
_banner_done = False


def swallow_banner() -> None:
    """Create the process's first HiGHS instance with stdout closed: HiGHS prints its copyright banner then,
    which a user of the CLI has no use for (later instances print nothing). Harmless to call again."""
    global _banner_done
    if _banner_done:
        return
    import highspy  # lazy: see the module docstring

    _banner_done = True
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError):  # no file descriptor 1 to silence: let HiGHS print
        highspy.Highs()
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(null)
        os.close(saved)


def threads_of(h: highspy.Highs) -> int:
    """The ``threads`` option of a HiGHS instance (highspy returns the value or ``(status, value)``)."""
    value = h.getOptionValue("threads")
    return int(value[1] if isinstance(value, tuple) else value)


def run(h: highspy.Highs) -> highspy.HighsStatus:
    """``h.run()``, after resetting HiGHS's global scheduler if ``h`` asks for another number of threads.

    Returns what ``h.run()`` returns; read the outcome with :func:`read_highs`.
    """
    import highspy  # lazy: see the module docstring

    global _scheduler_threads
    threads = threads_of(h)
    if _scheduler_threads is not None and threads != _scheduler_threads:
        highspy.Highs.resetGlobalScheduler(True)
    _scheduler_threads = threads
    return h.run()


def new_highs(time_limit: float, threads: int, seed: int, gap: float,
              progress: HighsProgress | None = None) -> highspy.Highs:
    """A quiet HiGHS instance with the optimiser's limits, before a model is passed to it.

    Parameters
    ----------
    time_limit : float
        Seconds (at least 0.01).
    threads : int
        HiGHS's ``threads`` option (:func:`run` keeps the global scheduler in step).
    seed : int
        HiGHS's ``random_seed``.
    gap : float
        Relative MIP gap at which HiGHS stops (at least 1e-6).
    progress : callable, optional
        Called with (incumbent, bound, seconds) at HiGHS's MIP interrupt callbacks.

    Returns
    -------
    highspy.Highs
        The instance, output switched off.
    """
    import highspy  # lazy: see the module docstring

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(max(time_limit, 0.01)))
    h.setOptionValue("threads", int(threads))
    h.setOptionValue("random_seed", int(seed))
    h.setOptionValue("mip_rel_gap", float(max(gap, 1e-6)))
    if progress is not None:
        def _cb(event: highspy.HighsCallbackEvent) -> None:
            out = event.data_out
            progress(float(out.mip_primal_bound), float(out.mip_dual_bound), float(out.running_time))
        h.cbMipInterrupt.subscribe(_cb)
    return h


OBJECTIVE_TOLERANCE = 1e-6  # relative difference between HiGHS's objective and ours that counts as a wrong answer


def solution_objective(h: highspy.Highs) -> float:
    """The objective of ``h``'s current solution, recomputed from the model's costs and offset (not HiGHS's report)."""
    lp = h.getLp()
    return float(np.dot(np.asarray(lp.col_cost_), np.asarray(h.getSolution().col_value)) + lp.offset_)


def wrong_objective(h: highspy.Highs) -> bool:
    """Whether ``h`` holds a solution whose objective, recomputed from the model, differs from the one HiGHS reports."""
    info = h.getInfo()
    if info.primal_solution_status != 2:  # no feasible solution: nothing to check
        return False
    ours = solution_objective(h)
    return abs(ours - float(info.objective_function_value)) > OBJECTIVE_TOLERANCE * max(1.0, abs(ours))


def read_highs(h: highspy.Highs) -> tuple[str, float | None, float | None]:
    """The outcome of a HiGHS run, from HiGHS's own model status, checked against the model.

    Returns
    -------
    status : str
        ``optimal``, ``infeasible`` (also for "unbounded or infeasible"), ``feasible`` (stopped early with a
        solution) or ``no_solution``. A solution whose objective, recomputed from the model, differs from the one
        HiGHS reports is ``feasible`` with the recomputed objective and no bound, never ``optimal``.
    objective : float or None
        The solution's objective value (None without a feasible solution, and when infeasible).
    bound : float or None
        HiGHS's MIP dual bound, None when it is not finite (or not to be trusted, see ``status``).
    """
    import highspy  # lazy: see the module docstring

    ms = h.getModelStatus()
    info = h.getInfo()
    has_sol = info.primal_solution_status == 2
    obj = float(info.objective_function_value) if has_sol else None
    bound = float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else None
    if ms in (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kUnboundedOrInfeasible):
        return "infeasible", None, bound
    if has_sol and wrong_objective(h):
        return "feasible", solution_objective(h), None
    if ms == highspy.HighsModelStatus.kOptimal:
        return "optimal", obj, bound
    return ("feasible" if has_sol else "no_solution"), obj, bound


def run_mip(h: highspy.Highs, start: list[float] | None = None) -> tuple[str, float | None, float | None]:
    """Solve the MIP passed to ``h`` (from the values ``start`` of a known solution, if given) and read the outcome.

    When HiGHS's answer fails the check of :func:`read_highs` (a wrong objective), the model is solved once more
    without the start and without presolve (the combination that gave the wrong answers) within the same time
    limit; what that run gives is returned, checked the same way. Returns :func:`read_highs`'s triple.
    """
    import highspy  # lazy: see the module docstring

    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = list(start)
        sol.value_valid = True
        h.setSolution(sol)
    run(h)
    if wrong_objective(h):
        h.clearSolver()
        h.setOptionValue("presolve", "off")
        run(h)
        h.setOptionValue("presolve", "choose")
    return read_highs(h)
