"""Every HiGHS run of the optimiser goes through :func:`run`: HiGHS has one thread scheduler per process.

HiGHS (1.16) starts a global thread scheduler at the first run with that run's ``threads`` option. A later
run that asks for another number fails with an error and leaves no solution ("the scheduler has already
been initialized to use 2 threads"); read naively, that empty result looks like a zero objective. Our
models use one thread (set partitioning, master LP) or the user's ``solver.threads`` (MIPs), and both
happen in one process, so :func:`run` resets the scheduler whenever the number changes.
"""

from __future__ import annotations

import os
import sys

import numpy as np

_scheduler_threads: int | None = None
_banner_done = False


def swallow_banner() -> None:
    """Create the process's first HiGHS instance with stdout closed: HiGHS prints its copyright banner then,
    which a user of the CLI has no use for (later instances print nothing). Harmless to call again."""
    global _banner_done
    if _banner_done:
        return
    import highspy

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


def threads_of(h) -> int:
    """The ``threads`` option of a HiGHS instance (highspy returns the value or ``(status, value)``)."""
    value = h.getOptionValue("threads")
    return int(value[1] if isinstance(value, tuple) else value)


def run(h):
    """``h.run()``, after resetting HiGHS's global scheduler if ``h`` asks for another number of threads."""
    import highspy

    global _scheduler_threads
    threads = threads_of(h)
    if _scheduler_threads is not None and threads != _scheduler_threads:
        highspy.Highs.resetGlobalScheduler(True)
    _scheduler_threads = threads
    return h.run()


def new_highs(time_limit: float, threads: int, seed: int, gap: float, progress=None):
    """A quiet HiGHS instance with limits, and an optional progress callback (incumbent, bound, seconds)."""
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(max(time_limit, 0.01)))
    h.setOptionValue("threads", int(threads))
    h.setOptionValue("random_seed", int(seed))
    h.setOptionValue("mip_rel_gap", float(max(gap, 1e-6)))
    if progress is not None:
        def _cb(event):
            out = event.data_out
            progress(float(out.mip_primal_bound), float(out.mip_dual_bound), float(out.running_time))
        h.cbMipInterrupt.subscribe(_cb)
    return h


def read_highs(h) -> tuple[str, float | None, float | None]:
    """(status, objective, dual bound) from HiGHS's own model status."""
    import highspy

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
