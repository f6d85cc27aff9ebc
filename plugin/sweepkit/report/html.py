"""One self-contained HTML page of a sweep: leaderboard, importance and plots.

The PNGs are embedded as base64 ``data:`` URIs and the styles are inline, so
the page opens anywhere (a CI artifact, an e-mail attachment, an air-gapped
machine) with no network and no other file.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Mapping, Sequence

from sweepkit.report.importance import ImportanceTable
from sweepkit.report.leaderboard import LeaderboardRow
from sweepkit.report.sweep_data import SweepData

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; font-size: 0.85em; margin-bottom: 2em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
img { max-width: 100%; border: 1px solid #ddd; margin: 0.5em 0 1.5em 0; }
.note { color: #666; font-size: 0.9em; }
"""


def data_uri(png: str | Path) -> str:
    """A PNG file as a ``data:image/png;base64,...`` URI."""
    return "data:image/png;base64," + base64.b64encode(Path(png).read_bytes()).decode("ascii")


def _cell(value: object, *, number: bool = False) -> str:
    if value is None:
        text = "-"
    elif isinstance(value, float):
        text = f"{value:.4g}"
    else:
        text = str(value)
    css = ' class="number"' if number else ""
    return f"<td{css}>{html.escape(text)}</td>"


def render_html(
    sweep: SweepData,
    rows: Sequence[LeaderboardRow],
    importance: ImportanceTable | None,
    plots: Mapping[str, Path],
) -> str:
    """The page as a string.

    Args:
        sweep: The sweep (for its id, method and metric).
        rows: The leaderboard.
        importance: The importance table, or None when the sweep has no metric.
        plots: PNGs by plot name, in the order to show them.
    """
    metric = sweep.metric_name or "metric"
    goal = "maximize" if sweep.maximize else "minimize"
    names = [parameter.name for parameter in sweep.parameters]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>sweep {html.escape(sweep.id)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>Sweep {html.escape(sweep.id)}</h1>",
        f"<p>method <b>{html.escape(str(sweep.config.get('method')))}</b>, metric <b>{html.escape(metric)}</b> ({goal}), "
        f"{len(sweep.runs)} run(s). Runs marked <i>live</i> are still being written.</p>",
        "<h2>Leaderboard</h2>",
        "<table><tr><th>rank</th><th>run</th><th>state</th>"
        f"<th>best {html.escape(metric)}</th><th>at epoch</th><th>epochs trained</th>"
        + "".join(f"<th>{html.escape(name)}</th>" for name in names)
        + "<th>note</th></tr>",
    ]
    for row in rows:
        state = row.state + (" (live)" if row.live else "")
        parts.append(
            "<tr>"
            + _cell(row.rank, number=True)
            + _cell(row.run_id)
            + _cell(state)
            + _cell(row.best, number=True)
            + _cell(None if row.best_epoch is None else f"{row.best_epoch:g}", number=True)
            + _cell(row.epochs, number=True)
            + "".join(_cell(row.params.get(name), number=True) for name in names)
            + _cell(row.note)
            + "</tr>"
        )
    parts.append("</table>")
    if importance is not None:
        parts += [
            "<h2>Parameter importance</h2>",
            f"<p class='note'>Each run is scored by its best {html.escape(metric)} ({importance.runs_used} runs). "
            "<b>importance</b>: random forest (scikit-learn RandomForestRegressor) impurity importance, summing to 1. "
            "<b>correlation</b>: Pearson correlation of the raw parameter value with the metric. "
            f"Categorical parameters are {importance.categorical_encoding} encoded (one row per value).</p>",
            "<table><tr><th>parameter</th><th>importance</th><th>correlation</th></tr>",
        ]
        for item in importance.rows:
            parts.append(
                "<tr>" + _cell(item.name) + _cell(item.importance, number=True) + _cell(item.correlation, number=True) + "</tr>"
            )
        parts.append("</table>")
        if importance.note:
            parts.append(f"<p class='note'>{html.escape(importance.note)}</p>")
    parts.append("<h2>Plots</h2>")
    if not plots:
        parts.append(f"<p class='note'>No run has logged {html.escape(metric)} yet.</p>")
    for name, path in plots.items():
        parts.append(f"<h3>{html.escape(name.replace('_', ' '))}</h3>")
        parts.append(f'<img alt="{html.escape(name)}" src="{data_uri(path)}">')
    parts.append("</body></html>")
    return "\n".join(parts)


def write_html(path: str | Path, page: str) -> Path:
    """Writes the page, creating its folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
