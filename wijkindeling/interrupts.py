"""Ctrl-C and ``kill`` during a command: one line, exit code 130, previous outputs untouched.

Python raises ``KeyboardInterrupt`` only between bytecodes, so while the MIP solver runs in C++
the main thread does not notice a Ctrl-C until the solver returns (up to the whole time limit).
:func:`interrupt_guard` therefore lets the C-level signal handler wake a watchdog thread
(``signal.set_wakeup_fd``); when the main thread has not taken over within ``GRACE`` seconds,
the watchdog removes this run's temporary output folders and ends the process itself.
SIGTERM (plain ``kill``) is treated like Ctrl-C. SIGKILL cannot be caught: the next run removes
what it left (:func:`wijkindeling.report.outputs.clean_stale`).

Outputs are written to a temporary folder and only moved into place when complete
(:func:`wijkindeling.report.outputs.atomic_dir`), so an interrupted run never damages earlier results.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

MESSAGE = "Interrupted; previous outputs are untouched."
EXIT_CODE = 130
GRACE = 1.0  # seconds the main thread gets to handle the interrupt itself

_state = {"handling": False}

# Temporary output folders of runs in progress (registered by ``report.outputs.atomic_dir``); a forced exit
# removes them.
ACTIVE_TEMP: set[Path] = set()


def mkdir_mode() -> int:
    """The permissions a plain ``mkdir`` gives a new folder here: 0o777 less the process's umask.

    A temporary output folder (``tempfile.mkdtemp``, private 0700) gets these before it is moved into place.
    """
    mask = os.umask(0)
    os.umask(mask)
    return 0o777 & ~mask


def _term_to_interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGTERM handler: raise KeyboardInterrupt, so ``kill`` is handled like Ctrl-C."""
    raise KeyboardInterrupt


def _force_exit() -> None:
    """End the process now: remove this run's temporary folders, say so, exit 130."""
    for tmp in list(ACTIVE_TEMP):
        shutil.rmtree(tmp, ignore_errors=True)
    os.write(2, (MESSAGE + "\n").encode())
    os._exit(EXIT_CODE)


def _watch(reader: socket.socket) -> None:
    """Wait for SIGINT/SIGTERM bytes from the wakeup fd; force the exit if the main thread is stuck."""
    wanted = {int(signal.SIGINT), int(signal.SIGTERM)}
    while True:
        try:
            data = reader.recv(64)
        except OSError:
            return
        if not data:
            return
        if wanted & set(data):
            time.sleep(GRACE)
            if not _state["handling"]:
                _force_exit()
            return


def handled() -> None:
    """The main thread caught the interrupt and will exit itself: the watchdog stands down."""
    _state["handling"] = True


@contextmanager
def interrupt_guard() -> Iterator[None]:
    """Make Ctrl-C and SIGTERM end the command promptly, also inside the solver (main thread only).

    Inside the ``with`` block SIGTERM raises KeyboardInterrupt, SIGINT gets Python's default
    handler (also when it was ignored), and a watchdog thread ends the process (exit 130, after
    removing ``ACTIVE_TEMP``) when the main thread has not called :func:`handled` within ``GRACE``
    seconds of the signal. On exit the previous handlers and wakeup fd are restored. Outside the
    main thread it does nothing.

    Yields
    ------
    None
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _state["handling"] = False
    reader, writer = socket.socketpair()
    writer.setblocking(False)
    old_fd = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    old_term = signal.signal(signal.SIGTERM, _term_to_interrupt)
    # A command started as a background job of a non-interactive shell (`cmd &`) inherits SIGINT as
    # ignored; Ctrl-C (or `kill -INT`) must still end it cleanly, so install Python's handler.
    old_int = signal.signal(signal.SIGINT, signal.default_int_handler)
    watchdog = threading.Thread(target=_watch, args=(reader,), daemon=True, name="wijkindeling-interrupt")
    watchdog.start()
    try:
        yield
    finally:
        signal.set_wakeup_fd(old_fd)
        signal.signal(signal.SIGTERM, old_term)
        signal.signal(signal.SIGINT, old_int)
        writer.close()  # wakes the watchdog (end of stream) unless it is already handling a signal
        if not _state["handling"]:
            watchdog.join(timeout=GRACE + 1.0)
        reader.close()
