"""The terminal's progress line for solves longer than a second (phase, incumbent, bound, gap, time).

:class:`RichProgress` is a :data:`~wijkindeling.optimise.Progress` callback for ``solve``, ``alternatives``
and ``sweep``: the CLI creates it, the optimiser only calls it.
"""

from __future__ import annotations

import time

from rich.console import Console
from rich.live import Live
from rich.text import Text


class RichProgress:
    """Use as ``with RichProgress() as p: solve(problem, progress=p)``; silent for the first second.

    Parameters
    ----------
    console : rich.console.Console, optional
        Where the line goes (default: a new console on stderr). Nothing is shown unless it is a terminal.
    label : str
        The line's first word(s).
    delay : float
        Seconds after the start (or ``__enter__``) before the line appears.
    """

    def __init__(self, console: Console | None = None, label: str = "Optimising", delay: float = 1.0) -> None:
        self.console = console or Console(stderr=True)
        self.label = label
        self.delay = delay
        self.t0 = time.perf_counter()
        self.live: Live | None = None
        self.last: dict = {}  # the latest value of every key reported so far

    def __enter__(self) -> RichProgress:
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        """Show the last state and stop the line (if it was shown at all)."""
        if self.live is not None:
            self.live.update(self._text())
            self.live.stop()
            self.live = None

    def _text(self) -> Text:
        d = self.last
        inc = d.get("incumbent")
        bound = d.get("bound")
        gap = d.get("gap")
        parts = [f"{self.label} [{d.get('phase', '')}]",
                 f"best {inc:.3f}" if inc is not None else "best —",
                 f"bound {bound:.3f}" if bound is not None else "bound —",
                 f"gap {100 * gap:.1f} %" if gap is not None else "gap —",
                 f"{time.perf_counter() - self.t0:.1f} s"]
        return Text("  ".join(parts))

    def __call__(self, info: dict) -> None:
        """Take one report (keys ``phase``, ``incumbent``, ``bound``, ``gap``, ``seconds``) and redraw.

        A None value keeps the value reported before (except ``phase``). The line starts once ``delay``
        seconds have passed and the console is a terminal.
        """
        self.last = {**self.last, **{k: v for k, v in info.items() if v is not None or k == "phase"}}
        if self.live is None:
            if time.perf_counter() - self.t0 < self.delay or not self.console.is_terminal:
                return
            self.live = Live(self._text(), console=self.console, refresh_per_second=4, transient=False)
            self.live.start()
        self.live.update(self._text())
