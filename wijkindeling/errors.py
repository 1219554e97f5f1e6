"""Every error a user can cause, in one place (the CLI turns each into one sentence and exit code 2).

The message of each error is the whole story in one line: the file or field, what is wrong and
the fix. Lower layers raise them; only ``wijkindeling.cli`` catches them.
"""

from __future__ import annotations


class ConfigError(Exception):
    """A user-facing configuration problem; ``str(err)`` is the whole message, always one line.

    Control characters that come from the user's files (a name with a newline or a carriage
    return) are shown escaped, so the message stays one line on the terminal.
    """

    def __str__(self) -> str:
        """The message with control characters (below space, DEL, NEL, line/paragraph separators) escaped."""
        return "".join(c if c >= " " and c not in "\x7f\x85\u2028\u2029" else repr(c)[1:-1] for c in super().__str__())


class DataError(ConfigError):
    """A user-facing problem in an input data file (one sentence: file, field, fix)."""


class GraphError(ConfigError):
    """A user-facing problem with the adjacency of the building blocks."""


class SolverMissingError(RuntimeError):
    """The requested MIP solver is not installed or failed to start."""
