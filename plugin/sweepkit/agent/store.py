"""The sweep store: one SQLite file per offline sweep, shared by every agent serving it.

The file lives in ``<WANDB_DIR>/wandb/sweep-<id>/sweep.sqlite`` beside W&B's
own param files. It holds the sweep config and seed, the agents that served the
sweep, and one row per run (params, state, reason, exit code, last output
lines, timestamps, pid, agent).

Every transition is committed before the agent acts on it: a run row exists
(``pending``, owned by an agent) before its process starts, a stop is recorded
before the signal is sent. Writers take the lock up front (``BEGIN IMMEDIATE``)
so two agents never hand out the same run id or grid point, and an agent killed
at any moment leaves rows another agent can resolve (:meth:`SweepStore.claim_orphans`).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import sqlite3
import string
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

from sweepkit.run import PENDING, RUNNING, TERMINAL_STATES, Run, Suggestion

DB_NAME = "sweep.sqlite"
# W&B ids are 8 characters of lowercase letters and digits; offline ids look the same
# so that `wandb sync` and the W&B app treat them like any other.
ID_ALPHABET = string.ascii_lowercase + string.digits
ID_LENGTH = 8
# How long a writer waits for another agent's transaction before giving up.
LOCK_TIMEOUT_S = 60.0
# An agent on another host is presumed dead when its heartbeat is this old.
DEFAULT_STALE_AFTER_S = 60.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sweep (
    id TEXT PRIMARY KEY,
    config TEXT NOT NULL,
    seed INTEGER NOT NULL,
    no_repeat INTEGER NOT NULL DEFAULT 0,
    project TEXT,
    entity TEXT,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS agents (
    id TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    pid_start TEXT,
    started REAL NOT NULL,
    heartbeat REAL NOT NULL,
    stopped REAL
);
CREATE TABLE IF NOT EXISTS runs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    params TEXT NOT NULL,
    state TEXT NOT NULL,
    suggestion TEXT,
    reason TEXT,
    exit_code INTEGER,
    output_tail TEXT,
    history TEXT,
    summary TEXT,
    agent_id TEXT,
    pid INTEGER,
    pid_start TEXT,
    device TEXT,
    run_dir TEXT,
    requeued INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    started REAL,
    stop_requested REAL,
    ended REAL
);
"""


class StoreError(Exception):
    """The sweep store cannot be used as asked."""


class SweepNotFoundError(StoreError):
    """No offline sweep with this id exists under the W&B directory."""


@dataclass(frozen=True)
class SweepInfo:
    """What a sweep was created with.

    Attributes:
        id: The sweep id.
        config: The validated sweep config.
        seed: The seed every agent passes to the engine.
        no_repeat: Random search of a discrete space never repeats a combination
            and ends when every one has run.
        project: W&B project for the runs, if given.
        entity: W&B entity for the runs, if given.
        created: Creation time (seconds since the epoch).
    """

    id: str
    config: Mapping[str, Any]
    seed: int
    no_repeat: bool
    project: str | None
    entity: str | None
    created: float


@dataclass(frozen=True)
class RunRecord:
    """One run row of the store.

    Attributes:
        id: The W&B run id.
        params: Parameter values, nested like :attr:`sweepkit.run.Run.params`.
        state: A W&B state name.
        suggestion: Why the engine suggested these params.
        reason: Why the run ended the way it did (stopped by hyperband, crashed, ...).
        exit_code: The process exit code (negative: killed by that signal).
        output_tail: The last lines the program printed.
        history: Rows the run logged, kept once the run has ended.
        summary: The run's summary, kept once the run has ended.
        agent_id: The agent that owns (or owned) the run.
        pid: The process id, once started.
        pid_start: The process start time as the OS reports it, to tell a reused pid apart.
        device: The GPU the run was given, if any.
        run_dir: The W&B offline run directory, once known.
        requeued: True when the run crashed with its agent and its slot was offered again.
        created, started, stop_requested, ended: Timestamps (seconds since the epoch).
    """

    id: str
    params: Mapping[str, Any]
    state: str
    suggestion: str | None = None
    reason: str | None = None
    exit_code: int | None = None
    output_tail: str | None = None
    history: tuple[Mapping[str, Any], ...] = ()
    summary: Mapping[str, Any] = field(default_factory=dict)
    agent_id: str | None = None
    pid: int | None = None
    pid_start: str | None = None
    device: str | None = None
    run_dir: str | None = None
    requeued: bool = False
    created: float = 0.0
    started: float | None = None
    stop_requested: float | None = None
    ended: float | None = None

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_STATES

    def to_run(
        self,
        history: Sequence[Mapping[str, Any]] | None = None,
        summary: Mapping[str, Any] | None = None,
    ) -> Run:
        """The engine's view of this run, with live data when the caller has fresher data."""
        return Run(
            name=self.id,
            params=self.params,
            state=self.state,
            history=tuple(self.history if history is None else history),
            summary=dict(self.summary if summary is None else summary),
        )


def sweep_dir(wandb_dir: str | os.PathLike[str], sweep_id: str) -> Path:
    """The directory W&B uses for a sweep's param files: ``<WANDB_DIR>/wandb/sweep-<id>``."""
    return Path(wandb_dir) / "wandb" / f"sweep-{sweep_id}"


def new_id() -> str:
    """A fresh id in W&B's format (8 lowercase letters and digits)."""
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))


def _proc_stat(pid: int) -> list[str] | None:
    """Fields 3 onwards of ``/proc/<pid>/stat`` (Linux), or None when unavailable."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses; fields after it are plain.
    return stat.rsplit(")", 1)[1].split()


def process_start_time(pid: int) -> str | None:
    """The start time of a process as Linux reports it, or None when unknown.

    Stored beside each pid so a pid the OS reused for another process is not
    mistaken for the agent or run that once had it.
    """
    fields = _proc_stat(pid)
    return fields[19] if fields else None  # field 22, starttime, in clock ticks since boot


def pid_is_alive(pid: int | None, pid_start: str | None) -> bool:
    """Whether the process that had this pid (and start time, when known) still exists."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    fields = _proc_stat(pid)
    if fields is None:
        return True  # no /proc: the signal test is all there is
    # A zombie (state Z) has ended; nobody may be left to reap it (its parent was the dead agent).
    return fields[0] != "Z" and (pid_start is None or fields[19] == pid_start)


class SweepStore:
    """Read and change one sweep's state in its SQLite file.

    Use :meth:`create` for a new sweep and :meth:`open` for an existing one.
    One instance holds one connection; use one instance per thread.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sweep_dir = path.parent
        self._db = sqlite3.connect(path, timeout=LOCK_TIMEOUT_S, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        # WAL lets readers (progress, other agents, reports) go on while one agent writes.
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA busy_timeout=%d" % int(LOCK_TIMEOUT_S * 1000))
        self._db.executescript(_SCHEMA)

    # -- creation -------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        wandb_dir: str | os.PathLike[str],
        config: Mapping[str, Any],
        *,
        seed: int | None = None,
        no_repeat: bool = False,
        project: str | None = None,
        entity: str | None = None,
        sweep_id: str | None = None,
    ) -> SweepStore:
        """Create a new offline sweep under ``<wandb_dir>/wandb/``.

        Args:
            wandb_dir: The W&B directory (``WANDB_DIR``; the working directory by default).
            config: The validated sweep config.
            seed: Seed for the engine; a random one is drawn and recorded when None,
                so a resumed sweep continues the same sequence.
            no_repeat: Random search of a discrete space: never repeat a combination
                (recorded, so every agent of the sweep honours it).
            project: W&B project the runs belong to.
            entity: W&B entity the runs belong to.
            sweep_id: Use this id instead of a fresh one.

        Raises:
            StoreError: A sweep with this id already exists.
        """
        sweep_id = sweep_id or new_id()
        directory = sweep_dir(wandb_dir, sweep_id)
        if (directory / DB_NAME).exists():
            raise StoreError(f"sweep {sweep_id} already exists in {directory}")
        directory.mkdir(parents=True, exist_ok=True)
        store = cls(directory / DB_NAME)
        if seed is None:
            seed = secrets.randbelow(2**31)
        with store._write() as db:
            db.execute(
                "INSERT INTO sweep (id, config, seed, no_repeat, project, entity, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (sweep_id, json.dumps(dict(config)), seed, int(no_repeat), project, entity, time.time()),
            )
        return store

    @classmethod
    def open(cls, wandb_dir: str | os.PathLike[str], sweep_id: str) -> SweepStore:
        """Open an existing offline sweep.

        Raises:
            SweepNotFoundError: There is no such sweep under ``wandb_dir``.
        """
        path = sweep_dir(wandb_dir, sweep_id) / DB_NAME
        if not path.exists():
            raise SweepNotFoundError(
                f"no offline sweep {sweep_id!r} in {Path(wandb_dir) / 'wandb'} "
                "(set WANDB_DIR or --dir to the directory the sweep was created in)"
            )
        return cls(path)

    def close(self) -> None:
        self._db.close()

    @property
    def info(self) -> SweepInfo:
        """The sweep's config, seed, project and entity."""
        row = self._db.execute("SELECT * FROM sweep").fetchone()
        if row is None:
            raise StoreError(f"{self.path} holds no sweep (was its creation interrupted?)")
        return SweepInfo(
            id=row["id"],
            config=json.loads(row["config"]),
            seed=row["seed"],
            no_repeat=bool(row["no_repeat"]),
            project=row["project"],
            entity=row["entity"],
            created=row["created"],
        )

    # -- agents ---------------------------------------------------------------------

    def register_agent(self, pid: int | None = None) -> str:
        """Record a new agent serving this sweep and return its id."""
        pid = os.getpid() if pid is None else pid
        now = time.time()
        with self._write() as db:
            agent_id = self._unused_id(db, "agents")
            db.execute(
                "INSERT INTO agents (id, host, pid, pid_start, started, heartbeat) VALUES (?, ?, ?, ?, ?, ?)",
                (agent_id, socket.gethostname(), pid, process_start_time(pid), now, now),
            )
        return agent_id

    def heartbeat(self, agent_id: str) -> None:
        """Tell other agents this one is alive."""
        with self._write() as db:
            db.execute("UPDATE agents SET heartbeat = ? WHERE id = ?", (time.time(), agent_id))

    def retire_agent(self, agent_id: str) -> None:
        """Record that an agent stopped cleanly."""
        with self._write() as db:
            db.execute("UPDATE agents SET stopped = ? WHERE id = ? AND stopped IS NULL", (time.time(), agent_id))

    def claim_orphans(self, agent_id: str, *, stale_after: float = DEFAULT_STALE_AFTER_S) -> list[RunRecord]:
        """Take over the unfinished runs of agents that died, for the caller to resolve.

        An agent is dead when, on this host, its pid is gone (or now belongs to
        another process), or, on another host, its heartbeat is older than
        ``stale_after`` seconds. Dead agents are marked stopped and their
        pending or running runs move to ``agent_id`` in one transaction, so two
        agents starting at once never both resolve the same run. The caller then
        ends each run with :meth:`end_run` (crashed and requeued unless its log
        shows how it ended).
        """
        host = socket.gethostname()
        now = time.time()
        with self._write() as db:
            for agent in db.execute("SELECT * FROM agents WHERE stopped IS NULL AND id != ?", (agent_id,)).fetchall():
                if agent["host"] == host:
                    alive = pid_is_alive(agent["pid"], agent["pid_start"])
                else:
                    alive = now - agent["heartbeat"] < stale_after
                if not alive:
                    db.execute("UPDATE agents SET stopped = ? WHERE id = ?", (now, agent["id"]))
            orphans = db.execute(
                "SELECT runs.* FROM runs LEFT JOIN agents ON runs.agent_id = agents.id "
                "WHERE runs.state IN (?, ?) AND runs.agent_id != ? "
                "AND (agents.id IS NULL OR agents.stopped IS NOT NULL) ORDER BY runs.seq",
                (PENDING, RUNNING, agent_id),
            ).fetchall()
            for run in orphans:
                db.execute("UPDATE runs SET agent_id = ? WHERE id = ?", (agent_id, run["id"]))
        return [_record(row) for row in orphans]

    # -- runs -----------------------------------------------------------------------

    def runs(self) -> list[RunRecord]:
        """Every run of the sweep, oldest first."""
        return [_record(row) for row in self._db.execute("SELECT * FROM runs ORDER BY seq")]

    def run(self, run_id: str) -> RunRecord:
        """One run by id."""
        row = self._db.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise StoreError(f"sweep has no run {run_id!r}")
        return _record(row)

    def claim_runs(
        self,
        agent_id: str,
        plan: Callable[[list[RunRecord]], Sequence[Suggestion]],
    ) -> list[RunRecord]:
        """Ask ``plan`` for new runs and record them as pending for ``agent_id``, atomically.

        ``plan`` sees every run of the sweep (all agents) and returns the
        engine's suggestions. It is called while this agent holds the write
        lock, so no other agent can be handed the same grid point in between.
        """
        now = time.time()
        with self._write() as db:
            existing = [_record(row) for row in db.execute("SELECT * FROM runs ORDER BY seq")]
            claimed = []
            for suggestion in plan(existing):
                run_id = self._unused_id(db, "runs")
                db.execute(
                    "INSERT INTO runs (id, params, state, suggestion, agent_id, created) VALUES (?, ?, ?, ?, ?, ?)",
                    (run_id, json.dumps(dict(suggestion.params)), PENDING, suggestion.reason, agent_id, now),
                )
                claimed.append(run_id)
        return [self.run(run_id) for run_id in claimed]

    def mark_running(self, run_id: str, pid: int, *, device: str | None = None) -> None:
        """Record that the run's process started (on ``device``, a GPU, when given)."""
        with self._write() as db:
            db.execute(
                "UPDATE runs SET state = ?, pid = ?, pid_start = ?, device = ?, started = ? WHERE id = ?",
                (RUNNING, pid, process_start_time(pid), device, time.time(), run_id),
            )

    def set_run_dir(self, run_id: str, run_dir: str) -> None:
        """Record where the run's W&B offline data is."""
        with self._write() as db:
            db.execute("UPDATE runs SET run_dir = ? WHERE id = ?", (run_dir, run_id))

    def request_stop(self, run_id: str, reason: str) -> None:
        """Record that the agent is stopping the run, and why, before it sends the signal."""
        with self._write() as db:
            db.execute(
                "UPDATE runs SET stop_requested = ?, reason = ? WHERE id = ? AND stop_requested IS NULL",
                (time.time(), reason, run_id),
            )

    def end_run(
        self,
        run_id: str,
        state: str,
        *,
        exit_code: int | None = None,
        reason: str | None = None,
        output_tail: str | None = None,
        history: Sequence[Mapping[str, Any]] | None = None,
        summary: Mapping[str, Any] | None = None,
        requeue: bool = False,
    ) -> None:
        """Record how a run ended.

        Args:
            run_id: The run.
            state: A terminal state (finished, failed, crashed, killed).
            exit_code: The process exit code, when known.
            reason: Why it ended this way; keeps an earlier reason (a stop's) when None.
            output_tail: The last lines the program printed.
            history: The rows it logged, kept so every agent and report can read them.
            summary: Its summary.
            requeue: Offer the run's slot again (the engine no longer sees this run).
        """
        if state not in TERMINAL_STATES:
            raise ValueError(f"state={state!r} is not one of {', '.join(TERMINAL_STATES)}")
        with self._write() as db:
            db.execute(
                "UPDATE runs SET state = ?, exit_code = ?, reason = COALESCE(?, reason), "
                "output_tail = COALESCE(?, output_tail), history = COALESCE(?, history), "
                "summary = COALESCE(?, summary), requeued = ?, ended = ? WHERE id = ?",
                (
                    state,
                    exit_code,
                    reason,
                    output_tail,
                    None if history is None else json.dumps(list(history)),
                    None if summary is None else json.dumps(dict(summary)),
                    int(requeue),
                    time.time(),
                    run_id,
                ),
            )

    # -- internals ------------------------------------------------------------------

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        # BEGIN IMMEDIATE takes the write lock before reading, so what a writer read
        # (e.g. the runs the engine planned from) cannot change before it commits.
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    @staticmethod
    def _unused_id(db: sqlite3.Connection, table: str) -> str:
        while True:
            candidate = new_id()
            if db.execute(f"SELECT 1 FROM {table} WHERE id = ?", (candidate,)).fetchone() is None:
                return candidate


def _record(row: sqlite3.Row) -> RunRecord:
    return RunRecord(
        id=row["id"],
        params=json.loads(row["params"]),
        state=row["state"],
        suggestion=row["suggestion"],
        reason=row["reason"],
        exit_code=row["exit_code"],
        output_tail=row["output_tail"],
        history=tuple(json.loads(row["history"])) if row["history"] else (),
        summary=json.loads(row["summary"]) if row["summary"] else {},
        agent_id=row["agent_id"],
        pid=row["pid"],
        pid_start=row["pid_start"],
        device=row["device"],
        run_dir=row["run_dir"],
        requeued=bool(row["requeued"]),
        created=row["created"],
        started=row["started"],
        stop_requested=row["stop_requested"],
        ended=row["ended"],
    )

