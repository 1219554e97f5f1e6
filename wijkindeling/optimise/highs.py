"""Every HiGHS run of the optimiser goes through :func:`run`: HiGHS has one thread scheduler per process.

HiGHS (1.16) starts a global thread scheduler at the first run with that run's ``threads`` option. A later
run that asks for another number fails with an error and leaves no solution ("the scheduler has already
been initialized to use 2 threads"); read naively, that empty result looks like a zero objective. Our
models use one thread (set partitioning, master LP) or the user's ``solver.threads`` (MIPs), and both
happen in one process, so :func:`run` resets the scheduler whenever the number changes.
"""

from __future__ import annotations

_scheduler_threads: int | None = None


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
