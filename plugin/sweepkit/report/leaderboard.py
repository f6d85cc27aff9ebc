"""Every run of a sweep in one table, best first: state and why, parameters, best metric and its epoch.

Example:
    >>> rows = leaderboard(load_sweep(".", "abcd1234"))  # doctest: +SKIP
    >>> print(format_leaderboard(rows, metric_name="val_accuracy"))  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from sweepkit.report.sweep_data import RunData, SweepData
from sweepkit.run import FAILED, FINISHED, KILLED

# Reasons get long (hyperband's names its threshold and bracket); the text table cuts them.
_REASON_WIDTH = 60


@dataclass(frozen=True)
class LeaderboardRow:
    """One run in the leaderboard.

    Attributes:
        rank: 1 for the best run; None for a run with no value of the metric.
        run_id: The run id.
        number: The run's 1-based position in the order the sweep created it.
        state: A W&B state name.
        note: Why it ended this way (stop reason, failure, exit code); "" when finished normally.
        params: Parameter values by dotted name.
        best: Its best metric value, or None.
        best_epoch: The epoch of that value (None when only the summary had it).
        epochs: How many values of the metric it logged.
        live: True when its numbers come from a log still being written.
    """

    rank: int | None
    run_id: str
    number: int
    state: str
    note: str
    params: Mapping[str, Any]
    best: float | None
    best_epoch: float | None
    epochs: int
    live: bool

    def to_json(self) -> dict[str, Any]:
        """The row as plain JSON types."""
        return {
            "rank": self.rank,
            "run_id": self.run_id,
            "number": self.number,
            "state": self.state,
            "note": self.note,
            "params": dict(self.params),
            "best": self.best,
            "best_epoch": int(self.best_epoch) if self.best_epoch is not None and float(self.best_epoch).is_integer() else self.best_epoch,
            "epochs": self.epochs,
            "live": self.live,
        }


def run_note(run: RunData) -> str:
    """Why a run ended as it did, in a few words; "" for a run that finished normally."""
    if run.reason:
        return run.reason
    if run.state == FAILED and run.exit_code is not None:
        return f"exit code {run.exit_code}"
    if run.state == KILLED:
        return "stopped"
    if run.state != FINISHED and run.log_problem:
        return f"log unreadable: {run.log_problem}"
    return ""


def leaderboard(sweep: SweepData) -> list[LeaderboardRow]:
    """Every run, ranked by its best metric value; runs with no value follow in creation order."""
    ranked = [run for run in sweep.runs if run.best is not None]
    # Ties keep creation order: the earlier run reached the value first.
    ranked.sort(key=lambda run: (-run.best if sweep.maximize else run.best, run.number))  # type: ignore[operator]
    unranked = [run for run in sweep.runs if run.best is None]
    rows = []
    for rank, run in enumerate([*ranked, *unranked], start=1):
        rows.append(
            LeaderboardRow(
                rank=rank if run.best is not None else None,
                run_id=run.id,
                number=run.number,
                state=run.state,
                note=run_note(run),
                params=dict(run.flat_params),
                best=run.best,
                best_epoch=run.best_epoch,
                epochs=run.epochs,
                live=run.from_log,
            )
        )
    return rows


def _value(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _epoch(value: float | None) -> str:
    if value is None:
        return "-"
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def format_leaderboard(
    rows: Sequence[LeaderboardRow], *, metric_name: str | None, parameter_names: Sequence[str] | None = None
) -> str:
    """The leaderboard as an aligned text table (one line per run).

    Args:
        rows: From :func:`leaderboard`.
        metric_name: The sweep's metric, for the column title.
        parameter_names: The parameter columns, in order; every parameter any run has when None.
    """
    if parameter_names is None:
        parameter_names = list(dict.fromkeys(name for row in rows for name in row.params))
    metric = metric_name or "metric"
    header = ["rank", "run", "state", f"best {metric}", "at epoch", "trained", *parameter_names, "note"]
    table = [header]
    for row in rows:
        note = row.note if len(row.note) <= _REASON_WIDTH else row.note[: _REASON_WIDTH - 3] + "..."
        state = row.state + (" (live)" if row.live else "")
        table.append(
            [
                _value(row.rank),
                row.run_id,
                state,
                _value(row.best),
                _epoch(row.best_epoch),
                str(row.epochs),
                *(_value(row.params.get(name)) for name in parameter_names),
                note,
            ]
        )
    widths = [max(len(line[column]) for line in table) for column in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in table]
    cut = [row for row in rows if len(row.note) > _REASON_WIDTH]
    if cut:
        lines += ["", "notes in full:", *(f"  {row.run_id}: {row.note}" for row in cut)]
    return "\n".join(lines)
