"""A read-only snapshot of an offline sweep: its config and every run with what it logged.

Reports must work while agents are still running the sweep, so nothing here
writes: the store is opened read-only (SQLite ``mode=ro``; the store runs in
WAL mode, so readers never block the agents), and runs that have not ended
yet are read from their transaction logs up to the last whole record. A run's
history is in the store once it has ended; before that only its log has it.

Example:
    >>> sweep = load_sweep(".", "abcd1234")  # doctest: +SKIP
    >>> [(run.id, run.best) for run in sweep.runs]  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from sweepkit.agent.store import DB_NAME, SweepNotFoundError, sweep_dir
from sweepkit.distributions import LogUniform, Parameter, flatten, parameters_of
from sweepkit.run import Run
from sweepkit.search.base import MAXIMIZE, is_finite_number, metric_goal

# The key train.py (and most Keras programs) log the epoch under; a run's own
# epoch numbers are shown when it logs them.
EPOCH_KEY = "epoch"


@dataclass(frozen=True)
class MetricPoint:
    """One logged value of the sweep's metric.

    Attributes:
        epoch: The row's ``epoch`` when the run logged one, else the 1-based
            count of metric values so far (what hyperband brackets count).
        value: The metric value.
    """

    epoch: float
    value: float


@dataclass(frozen=True)
class RunData:
    """One run of a sweep as a report sees it.

    Attributes:
        id: The W&B run id.
        number: 1-based position in the order the sweep created its runs.
        params: Parameter values, nested as the sweep config nests them.
        flat_params: The same values keyed by dotted name (``optimizer.beta1``).
        state: A W&B state name.
        reason: Why the run ended as it did (a hyperband stop, an exit code), if recorded.
        exit_code: The process exit code, when known.
        history: The rows the run logged.
        summary: The run's summary.
        run_dir: Its W&B run directory, once known.
        points: Its values of the sweep's metric, in order.
        best: Its best metric value (its summary value when it logged no history), or None.
        best_epoch: The epoch of :attr:`best`, or None.
        from_log: True when history and summary were read from the run's
            transaction log (a run that has not ended), not from the store.
        log_problem: Why the run's log could not be read, if it could not.
    """

    id: str
    number: int
    params: Mapping[str, Any]
    flat_params: Mapping[str, Any]
    state: str
    reason: str | None = None
    exit_code: int | None = None
    history: tuple[Mapping[str, Any], ...] = ()
    summary: Mapping[str, Any] = field(default_factory=dict)
    run_dir: str | None = None
    points: tuple[MetricPoint, ...] = ()
    best: float | None = None
    best_epoch: float | None = None
    from_log: bool = False
    log_problem: str | None = None

    @property
    def epochs(self) -> int:
        """How many values of the metric the run logged (the count hyperband brackets use)."""
        return len(self.points)


@dataclass(frozen=True)
class SweepData:
    """An offline sweep at one moment.

    Attributes:
        id: The sweep id.
        config: The sweep config.
        wandb_dir: The ``WANDB_DIR`` the sweep lives under.
        directory: ``<wandb_dir>/wandb/sweep-<id>``.
        project: The W&B project recorded for its runs, if any.
        entity: The W&B entity recorded for its runs, if any.
        runs: Every run, in creation order.
    """

    id: str
    config: Mapping[str, Any]
    wandb_dir: Path
    directory: Path
    project: str | None
    entity: str | None
    runs: tuple[RunData, ...]

    @property
    def metric_name(self) -> str | None:
        return (self.config.get("metric") or {}).get("name")

    @property
    def maximize(self) -> bool:
        return metric_goal(self.config) == MAXIMIZE

    @property
    def parameters(self) -> list[Parameter]:
        """The swept parameters, nested ones flattened, in YAML order."""
        return parameters_of(self.config)

    def is_log_scaled(self, name: str) -> bool:
        """Whether the parameter ``name`` (dotted) is drawn on a log scale (log_uniform*, q_log_uniform*, inv_log_uniform*)."""
        return any(p.name == name and isinstance(p.distribution, LogUniform) for p in self.parameters)


def metric_points(history: Sequence[Mapping[str, Any]], metric_name: str) -> tuple[MetricPoint, ...]:
    """The finite values of ``metric_name`` in a run's history, with their epochs."""
    points = []
    for row in history:
        value = row.get(metric_name)
        if not is_finite_number(value):
            continue
        epoch = row.get(EPOCH_KEY)
        position = float(epoch) if is_finite_number(epoch) else float(len(points) + 1)
        points.append(MetricPoint(epoch=position, value=float(value)))
    return tuple(points)


def best_point(
    points: Sequence[MetricPoint], summary: Mapping[str, Any], metric_name: str, *, maximize: bool
) -> tuple[float | None, float | None]:
    """The best value and its epoch; the summary value (no epoch) for a run with no history of it."""
    if points:
        best = (max if maximize else min)(points, key=lambda point: point.value)
        return best.value, best.epoch
    value = summary.get(metric_name)
    if is_finite_number(value):
        return float(value), None
    return None, None


def build_run(
    *,
    run_id: str,
    number: int,
    params: Mapping[str, Any],
    state: str,
    config: Mapping[str, Any],
    history: Sequence[Mapping[str, Any]] = (),
    summary: Mapping[str, Any] | None = None,
    reason: str | None = None,
    exit_code: int | None = None,
    run_dir: str | None = None,
    from_log: bool = False,
    log_problem: str | None = None,
) -> RunData:
    """A :class:`RunData` with its metric values worked out from ``config``'s metric."""
    summary = dict(summary or {})
    metric_name = (config.get("metric") or {}).get("name")
    points = metric_points(history, metric_name) if metric_name else ()
    best, best_epoch = (
        best_point(points, summary, metric_name, maximize=metric_goal(config) == MAXIMIZE) if metric_name else (None, None)
    )
    leaves = [parameter.path for parameter in parameters_of(config)]
    flat = {".".join(path): value for path, value in flatten(params, leaves).items()}
    return RunData(
        id=run_id,
        number=number,
        params=params,
        flat_params=flat,
        state=state,
        reason=reason,
        exit_code=exit_code,
        history=tuple(history),
        summary=summary,
        run_dir=run_dir,
        points=points,
        best=best,
        best_epoch=best_epoch,
        from_log=from_log,
        log_problem=log_problem,
    )


def _connect_read_only(path: Path) -> sqlite3.Connection:
    # mode=ro: a report never takes a lock an agent waits on, and never
    # creates or migrates a store by accident.
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30.0)
    db.row_factory = sqlite3.Row
    return db


def _json(text: str | None, default: Any) -> Any:
    return json.loads(text) if text else default


def _live_log(wandb_dir: Path, run_id: str, run_dir: str | None) -> tuple[Any, str | None]:
    """The run's transaction log as read now, or None and why it could not be read."""
    from sweepkit.transaction_log import TransactionLogError, find_run_log, read_run

    path = Path(run_dir) / f"run-{run_id}.wandb" if run_dir else None
    if path is None or not path.exists():
        path = find_run_log(wandb_dir, run_id)
    if path is None:
        return None, None
    try:
        return read_run(path), None
    except FileNotFoundError:
        return None, None
    except TransactionLogError as error:
        return None, str(error)


def load_sweep(wandb_dir: str | os.PathLike[str], sweep_id: str) -> SweepData:
    """Reads an offline sweep without changing anything, also while agents run it.

    Args:
        wandb_dir: The ``WANDB_DIR`` the sweep was created in.
        sweep_id: The sweep id.

    Raises:
        SweepNotFoundError: There is no such sweep under ``wandb_dir``.
    """
    wandb_dir = Path(wandb_dir)
    directory = sweep_dir(wandb_dir, sweep_id)
    path = directory / DB_NAME
    if not path.exists():
        raise SweepNotFoundError(
            f"no offline sweep {sweep_id!r} in {wandb_dir / 'wandb'} "
            "(set WANDB_DIR or --dir to the directory the sweep was created in)"
        )
    db = _connect_read_only(path)
    try:
        sweep_row = db.execute("SELECT * FROM sweep").fetchone()
        run_rows = db.execute("SELECT * FROM runs ORDER BY seq").fetchall()
    finally:
        db.close()
    if sweep_row is None:
        raise SweepNotFoundError(f"{path} holds no sweep (was its creation interrupted?)")
    config = json.loads(sweep_row["config"])
    runs = []
    for number, row in enumerate(run_rows, start=1):
        history = _json(row["history"], [])
        summary = _json(row["summary"], {})
        from_log, problem = False, None
        if not history:
            # Running (or ended without its data reaching the store): the log has it.
            log, problem = _live_log(wandb_dir, row["id"], row["run_dir"])
            if log is not None and (log.history or log.summary):
                history, summary, from_log = log.history, {**log.summary, **summary}, True
        runs.append(
            build_run(
                run_id=row["id"],
                number=number,
                params=json.loads(row["params"]),
                state=row["state"],
                config=config,
                history=history,
                summary=summary,
                reason=row["reason"],
                exit_code=row["exit_code"],
                run_dir=row["run_dir"],
                from_log=from_log,
                log_problem=problem,
            )
        )
    return SweepData(
        id=sweep_row["id"],
        config=config,
        wandb_dir=wandb_dir,
        directory=directory,
        project=sweep_row["project"],
        entity=sweep_row["entity"],
        runs=tuple(runs),
    )


def engine_run(run: RunData) -> Run:
    """The engine's view of a report's run (for hyperband's thresholds)."""
    return Run(name=run.id, params=run.params, state=run.state, history=run.history, summary=run.summary)
