"""Every HiGHS run of the optimiser goes through :func:`run`: HiGHS has one thread scheduler per process.

HiGHS (1.16) starts a global thread scheduler at the first run with that run's ``threads`` option. A later
run that asks for another number fails with an error and leaves no solution ("the scheduler has already
been initialized to use 2 threads"); read naively, that empty result looks like a zero objective. Our
models use one thread (set partitioning, master LP) or the user's ``solver.threads`` (MIPs), and both
happen in one process, so :func:`run` resets the scheduler whenever the number changes.

The other helpers make a quiet HiGHS instance with the optimiser's limits (:func:`new_highs`), read its
status honestly (:func:`read_highs`) and silence the copyright banner (:func:`swallow_banner`).

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


def read_highs(h: highspy.Highs) -> tuple[str, float | None, float | None]:
    """The outcome of a HiGHS run, from HiGHS's own model status.

    Returns
    -------
    status : str
        ``optimal``, ``infeasible`` (also for "unbounded or infeasible"), ``feasible`` (stopped early with a
        solution) or ``no_solution``.
    objective : float or None
        The solution's objective value (None without a feasible solution, and when infeasible).
    bound : float or None
        HiGHS's MIP dual bound, None when it is not finite.
    """
    import highspy  # lazy: see the module docstring

    ms = h.getModelStatus()
    info = h.getInfo()
    has_sol = info.primal_solution_status == 2
    obj = float(info.objective_function_value) if has_sol else None
    bound = float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else None
    if ms == highspy.HighsModelStatus.kOptimal:
        return "optimal", obj, bound
    if ms in (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kUnboundedOrInfeasible):
        return "infeasible", None, bound
    return ("feasible" if has_sol else "no_solution"), obj, bound
