"""``sweepkit report SWEEP_ID``: the leaderboard, parameter importance and plots of an offline sweep.

The command is thin: :func:`make_report` does the work and is what scripts
and tests call.

Example::

    sweepkit report abcd1234                    # table + importance; PNGs in wandb/sweep-abcd1234/report/
    sweepkit report abcd1234 --html sweep.html  # one page to share
    sweepkit report abcd1234 --json | jq '.leaderboard[0]'
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:  # the command module stays light: `sweepkit --help` imports it
    from sweepkit.report.importance import ImportanceTable
    from sweepkit.report.leaderboard import LeaderboardRow
    from sweepkit.report.sweep_data import SweepData

REPORT_FOLDER = "report"


@dataclass(frozen=True)
class Report:
    """What :func:`make_report` computed and wrote.

    Attributes:
        sweep: The snapshot it was made from.
        leaderboard: Every run, best first.
        importance: Parameter importance, or None when the sweep has no metric.
        plots: The PNGs written, by plot name.
        html: The HTML page, when one was asked for.
    """

    sweep: SweepData
    leaderboard: list[LeaderboardRow]
    importance: ImportanceTable | None
    plots: dict[str, Path]
    html: Path | None = None

    def to_json(self) -> dict[str, Any]:
        """Everything as plain JSON types (for ``--json``)."""
        return {
            "sweep_id": self.sweep.id,
            "method": self.sweep.config.get("method"),
            "metric": self.sweep.metric_name,
            "goal": "maximize" if self.sweep.maximize else "minimize",
            "leaderboard": [row.to_json() for row in self.leaderboard],
            "importance": None if self.importance is None else self.importance.to_json(),
            "plots": {name: str(path) for name, path in self.plots.items()},
            "html": None if self.html is None else str(self.html),
        }


def default_out_dir(sweep: SweepData) -> Path:
    """``<WANDB_DIR>/wandb/sweep-<id>/report/``."""
    return sweep.directory / REPORT_FOLDER


def make_report(
    wandb_dir: str | os.PathLike[str],
    sweep_id: str,
    *,
    out_dir: str | os.PathLike[str] | None = None,
    html_path: str | os.PathLike[str] | None = None,
    top: int = 5,
    plots: bool = True,
) -> Report:
    """Reads a sweep (read-only, also while it runs) and writes its plots and, if asked, its HTML page.

    Args:
        wandb_dir: The ``WANDB_DIR`` the sweep was created in.
        sweep_id: The offline sweep's id.
        out_dir: Where the PNGs go; ``<WANDB_DIR>/wandb/sweep-<id>/report/`` by default.
        html_path: Write one self-contained page here too.
        top: Runs in the learning-curve plot.
        plots: Draw the PNGs (an HTML page always has them).

    Raises:
        SweepNotFoundError: There is no such sweep under ``wandb_dir``.
    """
    from sweepkit.report.importance import parameter_importance
    from sweepkit.report.leaderboard import leaderboard
    from sweepkit.report.sweep_data import load_sweep

    sweep = load_sweep(wandb_dir, sweep_id)
    rows = leaderboard(sweep)
    importance = parameter_importance(sweep) if sweep.metric_name else None
    written: dict[str, Path] = {}
    if plots or html_path is not None:
        from sweepkit.report.plots import write_plots

        written = write_plots(sweep, Path(out_dir) if out_dir is not None else default_out_dir(sweep), top=top)
    page = None
    if html_path is not None:
        from sweepkit.report.html import render_html, write_html

        page = write_html(html_path, render_html(sweep, rows, importance, written))
    return Report(sweep=sweep, leaderboard=rows, importance=importance, plots=written, html=page)


def format_report(report: Report) -> str:
    """The report as text: a headline, the leaderboard, importance, and where the files are."""
    from sweepkit.report.importance import format_importance
    from sweepkit.report.leaderboard import format_leaderboard

    sweep = report.sweep
    counts: dict[str, int] = {}
    for run in sweep.runs:
        counts[run.state] = counts.get(run.state, 0) + 1
    states = ", ".join(f"{count} {state}" for state, count in sorted(counts.items())) or "no runs yet"
    goal = "maximize" if sweep.maximize else "minimize"
    lines = [
        f"sweep {sweep.id} ({sweep.config.get('method')}, {goal} {sweep.metric_name or 'no metric'}): {states}",
        "",
        format_leaderboard(report.leaderboard, metric_name=sweep.metric_name, parameter_names=[p.name for p in sweep.parameters]),
    ]
    if report.importance is not None:
        lines += ["", format_importance(report.importance)]
    if report.plots:
        folder = next(iter(report.plots.values())).parent
        lines += ["", f"{len(report.plots)} plot(s) in {folder}: {', '.join(path.name for path in report.plots.values())}"]
    if report.html is not None:
        lines.append(f"HTML page: {report.html}")
    return "\n".join(lines)


@click.command("report")
@click.argument("sweep_id")
@click.option("--dir", "wandb_dir", type=click.Path(file_okay=False), help="WANDB_DIR (default: $WANDB_DIR or .).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Folder for the PNGs (default: <WANDB_DIR>/wandb/sweep-<id>/report/).")
@click.option("--html", "html_path", type=click.Path(dir_okay=False), help="Also write one self-contained HTML page here.")
@click.option("--top", type=click.IntRange(min=1), default=5, show_default=True, help="Runs in the learning-curve plot.")
@click.option("--no-plots", is_flag=True, help="Skip the PNGs (faster; ignored with --html).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def report(
    sweep_id: str,
    wandb_dir: str | None,
    out_dir: str | None,
    html_path: str | None,
    top: int,
    no_plots: bool,
    as_json: bool,
) -> None:
    """Leaderboard, parameter importance and plots of the offline sweep SWEEP_ID (also while it runs)."""
    directory = os.path.abspath(wandb_dir or os.environ.get("WANDB_DIR") or os.getcwd())
    result = make_report(directory, sweep_id, out_dir=out_dir, html_path=html_path, top=top, plots=not no_plots)
    if as_json:
        click.echo(json.dumps(result.to_json(), default=str))
    else:
        click.echo(format_report(result))
