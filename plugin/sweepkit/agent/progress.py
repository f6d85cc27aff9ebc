"""Show a sweep as it runs: a live table on a terminal, plain lines in CI logs.

Both take the same rows (run, params, epoch, metric, state) from the agent on
every tick; :class:`PlainLines` prints a line only when a run's state changes,
:class:`LiveTable` redraws a table in place with ANSI escapes.
:func:`final_report` is the summary printed once a sweep (or an agent) ends.
"""

from __future__ import annotations

import math
import os
import shlex
import time
from dataclasses import dataclass
from typing import Any, Mapping, Protocol, Sequence, TextIO

from sweepkit.run import FINISHED, KILLED, Run


@dataclass(frozen=True)
class RunRow:
    """One run as the progress display shows it.

    Attributes:
        run_id: The run id.
        params: Its parameter values.
        state: A W&B state name, or ``stopping`` while a stop is under way.
        epoch: How many values of the sweep's metric it logged.
        metric: The last value of the metric, if any.
        best: The best value of the metric so far (what the sweep ranks runs by), if any.
        note: Why it ended as it did (stop reason, exit code), if known.
    """

    run_id: str
    params: Mapping[str, Any]
    state: str
    epoch: int = 0
    metric: float | None = None
    best: float | None = None
    note: str = ""


class Progress(Protocol):
    """What the agent reports to; implementations decide how it looks."""

    def update(self, rows: Sequence[RunRow]) -> None:
        """The current rows of this agent's runs, oldest first."""

    def message(self, text: str) -> None:
        """A one-off line (a stop, a warning)."""

    def close(self) -> None:
        """The agent is done; leave the display in a clean state."""


def format_params(params: Mapping[str, Any], *, prefix: str = "") -> str:
    """``lr=0.001 batch_size=64`` with nested params as ``optimizer.name=adam``."""
    parts = []
    for name, value in params.items():
        if isinstance(value, Mapping):
            parts.append(format_params(value, prefix=f"{prefix}{name}."))
        else:
            parts.append(f"{prefix}{name}={_short(value)}")
    return " ".join(part for part in parts if part)


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _metric(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


class PlainLines:
    """One line per state change: readable in CI logs and files.

    The passing ``stopping`` state gets no line of its own: the agent's
    message says the run is being stopped and why, its end line follows
    without repeating a reason a message already gave.
    """

    def __init__(self, stream: TextIO, *, metric_name: str | None = None) -> None:
        self._stream = stream
        self._metric_name = metric_name
        self._seen: dict[str, str] = {}
        self._messages: list[str] = []

    def update(self, rows: Sequence[RunRow]) -> None:
        for row in rows:
            if self._seen.get(row.run_id) == row.state or row.state == "stopping":
                continue
            self._seen[row.run_id] = row.state
            line = f"run {row.run_id} {row.state:<9} {format_params(row.params)}"
            if row.state not in ("pending", "running"):
                if self._metric_name:
                    line += f" | epochs {row.epoch} {self._metric_name} best {_metric(row.best)} last {_metric(row.metric)}"
                if row.note and row.state != FINISHED and not any(row.note in text for text in self._messages):
                    line += f" | {row.note}"
            self._write(line)

    def message(self, text: str) -> None:
        self._messages.append(text)
        self._write(text)

    def close(self) -> None:
        self._stream.flush()

    def _write(self, line: str) -> None:
        self._stream.write(line + "\n")
        self._stream.flush()


class LiveTable:
    """A table redrawn in place on a terminal (ANSI cursor movement, no extra dependency).

    Shows the newest ``max_rows`` runs; messages scroll above the table.
    """

    def __init__(self, stream: TextIO, *, metric_name: str | None = None, max_rows: int = 20, min_redraw_s: float = 0.2) -> None:
        self._stream = stream
        self._metric_name = metric_name or "metric"
        self._max_rows = max_rows
        self._min_redraw_s = min_redraw_s
        self._drawn_lines = 0
        self._last_text: list[str] = []
        self._last_draw = 0.0

    def update(self, rows: Sequence[RunRow]) -> None:
        lines = self._render(rows)
        if lines == self._last_text or time.monotonic() - self._last_draw < self._min_redraw_s:
            return
        self._redraw(lines)

    def message(self, text: str) -> None:
        self._clear()
        self._stream.write(text + "\n")
        self._redraw(self._last_text)

    def close(self) -> None:
        self._stream.flush()

    def _render(self, rows: Sequence[RunRow]) -> list[str]:
        width = _terminal_width()
        shown = list(rows)[-self._max_rows :]
        best = f"best {self._metric_name}"[:16]
        header = f"{'run':<8}  {'state':<9}  {'epoch':>5}  {best:>16}  {'last':>8}  params"
        lines = [header[:width]]
        for row in shown:
            line = (
                f"{row.run_id:<8}  {row.state:<9}  {row.epoch:>5}  {_metric(row.best):>16}  {_metric(row.metric):>8}  "
                f"{format_params(row.params)}"
            )
            lines.append(line[:width])
        if len(rows) > len(shown):
            lines.append(f"... and {len(rows) - len(shown)} earlier runs")
        return lines

    def _clear(self) -> None:
        if self._drawn_lines:
            # Up to the table's first line, then erase to the end of the screen.
            self._stream.write(f"\x1b[{self._drawn_lines}F\x1b[J")
            self._drawn_lines = 0

    def _redraw(self, lines: list[str]) -> None:
        self._clear()
        for line in lines:
            self._stream.write(line + "\n")
        self._stream.flush()
        self._drawn_lines = len(lines)
        self._last_text = lines
        self._last_draw = time.monotonic()


def _terminal_width() -> int:
    try:
        columns = os.get_terminal_size().columns
    except OSError:
        columns = 0
    return columns or 120  # 0 on pseudo-terminals that never set a size


def progress_for(stream: TextIO, *, metric_name: str | None = None) -> Progress:
    """A live table when ``stream`` is a terminal, plain lines otherwise (CI logs, pipes)."""
    if stream.isatty() and os.environ.get("TERM") != "dumb":
        return LiveTable(stream, metric_name=metric_name)
    return PlainLines(stream, metric_name=metric_name)


@dataclass(frozen=True)
class RankedRun:
    """A run in the final ranking: its best metric value and where its data is."""

    run_id: str
    params: Mapping[str, Any]
    state: str
    best: float
    run_dir: str | None


def rank_runs(records: Sequence[Any], config: Mapping[str, Any]) -> list[RankedRun]:
    """Runs that logged the sweep's metric, best first (by the best value each logged)."""
    from sweepkit.search.base import best_metric_value, metric_goal

    metric = (config.get("metric") or {}).get("name")
    if not metric:
        return []
    goal = metric_goal(config)
    ranked = []
    for record in records:
        run = Run(name=record.id, params=record.params, state=record.state, history=record.history, summary=record.summary)
        best = best_metric_value(run, metric, goal)
        if best is None and isinstance(record.summary.get(metric), (int, float)):
            best = float(record.summary[metric])
        if best is not None and not math.isnan(best):
            ranked.append(RankedRun(record.id, record.params, record.state, best, record.run_dir))
    ranked.sort(key=lambda run: run.best, reverse=goal == "maximize")
    return ranked


def final_report(
    records: Sequence[Any],
    config: Mapping[str, Any],
    *,
    sweep_id: str,
    project: str | None = None,
    top: int = 5,
) -> str:
    """The end-of-sweep summary: counts by state, the top runs, how to upload them."""
    metric = (config.get("metric") or {}).get("name") or "metric"
    counts: dict[str, int] = {}
    for record in records:
        counts[record.state] = counts.get(record.state, 0) + 1
    lines = [f"sweep {sweep_id}: " + (", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "no runs")]
    ranked = rank_runs(records, config)
    if ranked:
        lines.append(f"top runs by {metric}:")
        for place, run in enumerate(ranked[:top], start=1):
            lines.append(f"  {place}. {run.run_id} {metric}={run.best:.4g} ({run.state}) {format_params(run.params)}")
    stopped = counts.get(KILLED, 0)
    if stopped:
        lines.append(f"{stopped} run(s) stopped early by hyperband or by hand; why: sweepkit report {sweep_id}")
    if any(record.run_dir for record in records):
        # Not plain `wandb sync`: the logs name a local sweep W&B does not know; sweepkit sync stages clean copies.
        project_option = f" --project {shlex.quote(project)}" if project else " --project PROJECT"
        lines.append("upload to W&B later with:")
        lines.append(f"  sweepkit sync {sweep_id}{project_option}")
    return "\n".join(lines)
