"""The workbench's embedded store: one SQLite file per municipality (``outputs/<gemeente>/sessie.sqlite``).

What it holds, per scenario of the session:

* ``steps``: the edit history, one row per step with the whole editable state as JSON (the area of
  every buurt, the area names, the locks); ``scenarios.position`` is the current step, so undo and
  redo only move that pointer and a new edit drops the steps after it;
* ``notes``: free text per area or per buurt (the *duiding*), outside the history (undo never loses a note).

``meta`` holds the active scenario and a version number that grows with every change (the
presentation view polls it). Every write is committed before the method returns, in WAL mode, so a
killed server (SIGKILL) loses nothing that was answered.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS scenarios (name TEXT PRIMARY KEY, position INTEGER NOT NULL, origin TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS steps (scenario TEXT NOT NULL, seq INTEGER NOT NULL, label TEXT NOT NULL, state TEXT NOT NULL,
                                  PRIMARY KEY (scenario, seq));
CREATE TABLE IF NOT EXISTS notes (scenario TEXT NOT NULL, kind TEXT NOT NULL, target TEXT NOT NULL, text TEXT NOT NULL,
                                  PRIMARY KEY (scenario, kind, target));
"""


class Store:
    """The session database; every method is one committed transaction (safe to call from several threads).

    Parameters
    ----------
    path : pathlib.Path
        The SQLite file; created with its folder when missing.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        """Close the connection (everything is committed already)."""
        with self._lock:
            self._db.close()

    def _write(self, statements: list[tuple[str, tuple[Any, ...]]]) -> None:
        """Run ``statements`` in one transaction and bump the version number; committed on return."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for sql, args in statements:
                    self._db.execute(sql, args)
                self._db.execute("INSERT INTO meta(key, value) VALUES('version', '1') "
                                 "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1")
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def _one(self, sql: str, args: tuple[Any, ...] = ()) -> Any:
        with self._lock:
            row = self._db.execute(sql, args).fetchone()
        return None if row is None else row[0]

    # ------------------------------------------------------------ meta

    def version(self) -> int:
        """The number of changes ever committed (0 for a new file)."""
        value = self._one("SELECT value FROM meta WHERE key = 'version'")
        return int(value or 0)

    def active(self) -> str | None:
        """The scenario the session shows, or None before the first one is opened."""
        return self._one("SELECT value FROM meta WHERE key = 'active'")

    def set_active(self, name: str) -> None:
        """Make ``name`` the scenario the session shows."""
        self._write([("INSERT INTO meta(key, value) VALUES('active', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                      (name,))])

    # ------------------------------------------------------------ scenarios and history

    def scenarios(self) -> list[str]:
        """The scenarios the session has, by name."""
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT name FROM scenarios ORDER BY name")]

    def has(self, name: str) -> bool:
        """Whether the session has scenario ``name``."""
        return self._one("SELECT 1 FROM scenarios WHERE name = ?", (name,)) is not None

    def create(self, name: str, state: dict[str, Any], origin: str, label: str = "start") -> None:
        """Add scenario ``name`` with ``state`` as its first step (replacing a scenario of that name) and make it active."""
        self._write([
            ("DELETE FROM steps WHERE scenario = ?", (name,)),
            ("DELETE FROM notes WHERE scenario = ?", (name,)),
            ("INSERT OR REPLACE INTO scenarios(name, position, origin) VALUES(?, 1, ?)", (name, origin)),
            ("INSERT INTO steps(scenario, seq, label, state) VALUES(?, 1, ?, ?)", (name, label, json.dumps(state))),
            ("INSERT INTO meta(key, value) VALUES('active', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", (name,)),
        ])

    def copy(self, source: str, name: str) -> None:
        """Copy scenario ``source`` (its current state and its notes, not its history) to ``name``, replacing ``name``."""
        state = self.state(source)
        with self._lock:
            notes = self._db.execute("SELECT kind, target, text FROM notes WHERE scenario = ?", (source,)).fetchall()
        self._write([
            ("DELETE FROM steps WHERE scenario = ?", (name,)),
            ("DELETE FROM notes WHERE scenario = ?", (name,)),
            ("INSERT OR REPLACE INTO scenarios(name, position, origin) VALUES(?, 1, ?)", (name, f"copy of {source}")),
            ("INSERT INTO steps(scenario, seq, label, state) VALUES(?, 1, 'start', ?)", (name, json.dumps(state))),
        ] + [("INSERT INTO notes(scenario, kind, target, text) VALUES(?, ?, ?, ?)", (name, *row)) for row in notes])

    def position(self, name: str) -> int:
        """The current step of scenario ``name`` (a KeyError when the session lacks it)."""
        pos = self._one("SELECT position FROM scenarios WHERE name = ?", (name,))
        if pos is None:
            raise KeyError(name)
        return int(pos)

    def state(self, name: str) -> dict[str, Any]:
        """The state at the current step of scenario ``name`` (a KeyError when the session lacks it)."""
        text = self._one("SELECT state FROM steps WHERE scenario = ? AND seq = ?", (name, self.position(name)))
        if text is None:
            raise KeyError(name)
        return dict(json.loads(text))

    def push(self, name: str, state: dict[str, Any], label: str) -> None:
        """Record ``state`` as the new current step of ``name``; the steps that redo would have restored are dropped."""
        pos = self.position(name)
        self._write([
            ("DELETE FROM steps WHERE scenario = ? AND seq > ?", (name, pos)),
            ("INSERT INTO steps(scenario, seq, label, state) VALUES(?, ?, ?, ?)", (name, pos + 1, label, json.dumps(state))),
            ("UPDATE scenarios SET position = ? WHERE name = ?", (pos + 1, name)),
        ])

    def can_undo(self, name: str) -> bool:
        """Whether scenario ``name`` has a step before the current one."""
        return self.position(name) > 1

    def can_redo(self, name: str) -> bool:
        """Whether scenario ``name`` has a step after the current one (an undone edit)."""
        return self._one("SELECT 1 FROM steps WHERE scenario = ? AND seq > ?", (name, self.position(name))) is not None

    def step_label(self, name: str, seq: int) -> str | None:
        """What step ``seq`` of ``name`` did (e.g. ``move``), or None."""
        return self._one("SELECT label FROM steps WHERE scenario = ? AND seq = ?", (name, seq))

    def move_pointer(self, name: str, delta: int) -> bool:
        """Undo (``delta=-1``) or redo (``+1``) one step of ``name``; False when there is none."""
        pos = self.position(name)
        target = pos + delta
        if target < 1 or self.step_label(name, target) is None:
            return False
        self._write([("UPDATE scenarios SET position = ? WHERE name = ?", (target, name))])
        return True

    # ------------------------------------------------------------ notes

    def notes(self, name: str) -> dict[str, dict[str, str]]:
        """The notes of scenario ``name``: ``{"area": {index: text}, "buurt": {buurtcode: text}}``."""
        out: dict[str, dict[str, str]] = {"area": {}, "buurt": {}}
        with self._lock:
            for kind, target, text in self._db.execute("SELECT kind, target, text FROM notes WHERE scenario = ? ORDER BY kind, target",
                                                       (name,)):
                out.setdefault(kind, {})[target] = text
        return out

    def set_note(self, name: str, kind: str, target: str, text: str) -> None:
        """Store (or, for empty ``text``, remove) the note of an area (``kind="area"``, target its index) or a buurt."""
        if text:
            sql = ("INSERT INTO notes(scenario, kind, target, text) VALUES(?, ?, ?, ?) "
                   "ON CONFLICT(scenario, kind, target) DO UPDATE SET text = excluded.text")
            self._write([(sql, (name, kind, target, text))])
        else:
            self._write([("DELETE FROM notes WHERE scenario = ? AND kind = ? AND target = ?", (name, kind, target))])
