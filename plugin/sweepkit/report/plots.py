"""The plots of a sweep report: the numbers behind each plot, and the PNGs drawn from them.

Each plot has a function that computes what it shows from a
:class:`~sweepkit.report.sweep_data.SweepData` (plain frozen data, tested
without drawing) and a ``draw_*`` function that turns that data into a PNG.
Drawing uses matplotlib's Agg canvas directly, never ``pyplot``: no display is
needed and no global figure state is left behind.

Plots:

- best value so far against run number (is the search still improving?);
- parallel coordinates, one line per run, coloured by the metric;
- the metric against each parameter, log x axis for log-scaled parameters;
- learning curves (metric against epoch) of the top runs;
- for a hyperband sweep, where each stopped run was stopped: its value at the
  stop against the bracket's threshold.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from numbers import Number
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from sweepkit.report.sweep_data import RunData, SweepData, engine_run
from sweepkit.run import KILLED

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# Every PNG has this size, so a page lays them out evenly (and tests know what to expect).
FIGURE_INCHES = (9.0, 5.4)
DPI = 100
PNG_SIZE = (int(FIGURE_INCHES[0] * DPI), int(FIGURE_INCHES[1] * DPI))  # width, height in pixels

LINEAR, LOG, CATEGORICAL = "linear", "log", "categorical"

# The stop reason sweepkit.hyperband writes when it stops a run:
# "hyperband: <metric> <judged> <value> is <below|above> the threshold <threshold> at bracket <b> (...)".
_STOP_REASON = re.compile(
    r"^hyperband: .* (?P<value>\S+) is (?:below|above) the threshold (?P<threshold>\S+) at bracket (?P<bracket>\d+)"
)


def _is_number(value: Any) -> bool:
    return isinstance(value, Number) and not isinstance(value, (bool, complex)) and math.isfinite(float(value))  # type: ignore[arg-type]


def _scored(sweep: SweepData) -> list[RunData]:
    return [run for run in sweep.runs if run.best is not None]


# -- best so far ------------------------------------------------------------------------


@dataclass(frozen=True)
class BestSoFar:
    """Each run's best value in creation order, and the best of the sweep up to each run.

    Attributes:
        metric_name: The metric.
        maximize: Whether larger is better.
        run_numbers: The 1-based creation numbers of the runs that logged the metric.
        run_ids: Their ids.
        values: Each run's best value.
        best_so_far: The best value among the runs up to and including each one.
    """

    metric_name: str
    maximize: bool
    run_numbers: tuple[int, ...]
    run_ids: tuple[str, ...]
    values: tuple[float, ...]
    best_so_far: tuple[float, ...]


def best_so_far(sweep: SweepData) -> BestSoFar:
    """The numbers of the best-so-far plot."""
    runs = _scored(sweep)
    values = [float(run.best) for run in runs]  # type: ignore[arg-type]
    running: list[float] = []
    for value in values:
        if not running:
            running.append(value)
        else:
            running.append(max(running[-1], value) if sweep.maximize else min(running[-1], value))
    return BestSoFar(
        metric_name=sweep.metric_name or "metric",
        maximize=sweep.maximize,
        run_numbers=tuple(run.number for run in runs),
        run_ids=tuple(run.id for run in runs),
        values=tuple(values),
        best_so_far=tuple(running),
    )


# -- parameter axes -----------------------------------------------------------------------


def axis_scale(sweep: SweepData, name: str, values: Sequence[Any]) -> str:
    """``log`` for log-scaled parameters with positive values, ``categorical`` for non-numbers, else ``linear``."""
    if not all(_is_number(value) for value in values):
        return CATEGORICAL
    if sweep.is_log_scaled(name) and all(float(value) > 0 for value in values):
        return LOG
    return LINEAR


def _label(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return f"{value:.3g}"
    return repr(value)


def varying_parameters(sweep: SweepData, runs: Sequence[RunData]) -> list[str]:
    """The parameters (dotted names, YAML order) with more than one value among ``runs``."""
    names = []
    for parameter in sweep.parameters:
        labels = {repr(run.flat_params.get(parameter.name)) for run in runs}
        if len(labels) > 1:
            names.append(parameter.name)
    return names


@dataclass(frozen=True)
class Axis:
    """One vertical axis of a parallel-coordinates plot.

    Attributes:
        name: The parameter (or the metric, for the last axis).
        scale: ``linear``, ``log`` or ``categorical``.
        positions: Each run's value placed on the axis, 0 (bottom) to 1 (top).
        tick_positions: Where the axis' labels go (0..1).
        tick_labels: The labels: the lowest and highest value, or every category.
    """

    name: str
    scale: str
    positions: tuple[float, ...]
    tick_positions: tuple[float, ...]
    tick_labels: tuple[str, ...]


def make_axis(name: str, values: Sequence[Any], scale: str) -> Axis:
    """Places values on a 0..1 axis: linearly, by log10, or by category (sorted labels)."""
    if scale == CATEGORICAL:
        categories = sorted({_label(value) for value in values})
        step = 1.0 / (len(categories) - 1) if len(categories) > 1 else 0.0
        spot = {category: (index * step if len(categories) > 1 else 0.5) for index, category in enumerate(categories)}
        positions = tuple(spot[_label(value)] for value in values)
        return Axis(name, scale, positions, tuple(spot[c] for c in categories), tuple(categories))
    numbers = [float(value) for value in values]
    mapped = [math.log10(value) for value in numbers] if scale == LOG else numbers
    low, high = min(mapped), max(mapped)
    if high == low:
        return Axis(name, scale, tuple(0.5 for _ in numbers), (0.5,), (_label(numbers[0]),))
    positions = tuple((value - low) / (high - low) for value in mapped)
    return Axis(name, scale, positions, (0.0, 1.0), (_label(min(numbers)), _label(max(numbers))))


@dataclass(frozen=True)
class ParallelCoordinates:
    """One line per run across the varying parameters, then the metric.

    Attributes:
        metric_name: The metric (the last axis and the colour).
        maximize: Whether larger is better.
        run_ids: The runs that logged the metric, in creation order.
        axes: The parameter axes, then the metric's.
        metric_values: Each run's best value (the colour).
    """

    metric_name: str
    maximize: bool
    run_ids: tuple[str, ...]
    axes: tuple[Axis, ...]
    metric_values: tuple[float, ...]


def parallel_coordinates(sweep: SweepData) -> ParallelCoordinates:
    """The numbers of the parallel-coordinates plot."""
    runs = _scored(sweep)
    metric_name = sweep.metric_name or "metric"
    axes = []
    for name in varying_parameters(sweep, runs):
        values = [run.flat_params.get(name) for run in runs]
        axes.append(make_axis(name, values, axis_scale(sweep, name, values)))
    metric_values = tuple(float(run.best) for run in runs)  # type: ignore[arg-type]
    if runs:
        axes.append(make_axis(metric_name, metric_values, LINEAR))
    return ParallelCoordinates(
        metric_name=metric_name,
        maximize=sweep.maximize,
        run_ids=tuple(run.id for run in runs),
        axes=tuple(axes),
        metric_values=metric_values,
    )


# -- metric against each parameter ------------------------------------------------------------


@dataclass(frozen=True)
class ParameterScatter:
    """The metric against one parameter, one point per run.

    Attributes:
        name: The parameter's dotted name.
        metric_name: The metric.
        scale: ``linear``, ``log`` (log x axis) or ``categorical``.
        x: Each run's value; for a categorical parameter, the index of its category.
        y: Each run's best metric value.
        categories: The category labels (x = index) for a categorical parameter, else None.
        run_ids: The runs, in creation order.
    """

    name: str
    metric_name: str
    scale: str
    x: tuple[float, ...]
    y: tuple[float, ...]
    categories: tuple[str, ...] | None
    run_ids: tuple[str, ...]


def metric_vs_parameters(sweep: SweepData) -> list[ParameterScatter]:
    """One scatter per parameter that varies among the runs that logged the metric."""
    runs = _scored(sweep)
    scatters = []
    for name in varying_parameters(sweep, runs):
        values = [run.flat_params.get(name) for run in runs]
        scale = axis_scale(sweep, name, values)
        categories = None
        if scale == CATEGORICAL:
            categories = tuple(sorted({_label(value) for value in values}))
            x = tuple(float(categories.index(_label(value))) for value in values)
        else:
            x = tuple(float(value) for value in values)
        scatters.append(
            ParameterScatter(
                name=name,
                metric_name=sweep.metric_name or "metric",
                scale=scale,
                x=x,
                y=tuple(float(run.best) for run in runs),  # type: ignore[arg-type]
                categories=categories,
                run_ids=tuple(run.id for run in runs),
            )
        )
    return scatters


# -- learning curves ----------------------------------------------------------------------


@dataclass(frozen=True)
class LearningCurve:
    """The metric against epoch for one run.

    Attributes:
        run_id: The run.
        rank: Its place in the leaderboard (1 is best).
        epochs: The epoch of each value.
        values: The metric values.
        best: The run's best value.
        state: Its W&B state.
    """

    run_id: str
    rank: int
    epochs: tuple[float, ...]
    values: tuple[float, ...]
    best: float
    state: str


def learning_curves(sweep: SweepData, *, top: int = 5) -> list[LearningCurve]:
    """The curves of the ``top`` runs by best value, best first (runs with a metric history only)."""
    runs = [run for run in _scored(sweep) if run.points]
    runs.sort(key=lambda run: (-run.best if sweep.maximize else run.best, run.number))  # type: ignore[operator]
    return [
        LearningCurve(
            run_id=run.id,
            rank=rank,
            epochs=tuple(point.epoch for point in run.points),
            values=tuple(point.value for point in run.points),
            best=float(run.best),  # type: ignore[arg-type]
            state=run.state,
        )
        for rank, run in enumerate(runs[:top], start=1)
    ]


# -- hyperband stops ------------------------------------------------------------------------


@dataclass(frozen=True)
class HyperbandStop:
    """Where one run was stopped.

    Attributes:
        run_id: The run.
        bracket: The bracket it was judged at (an index into its metric values:
            bracket ``b`` is its ``b + 1``-th value).
        value: The value that lost (best so far, or the value at the bracket when strict).
        threshold: The value it had to beat.
        recorded: True when bracket, value and threshold come from the stop
            reason recorded at the time; False when recomputed from the final
            runs (the reason was not in sweepkit's format).
    """

    run_id: str
    bracket: int
    value: float
    threshold: float
    recorded: bool


@dataclass(frozen=True)
class HyperbandView:
    """Every run's metric against values logged, the brackets' thresholds, and the stops.

    Attributes:
        metric_name: The metric.
        maximize: Whether larger is better.
        brackets: The brackets some run reached (0-based indexes into metric values).
        thresholds: Each reached bracket's threshold over all runs as they are now.
        stops: One entry per run stopped by hyperband.
        curves: Each run's metric values (x = 1, 2, ... values logged), by run id.
        eta: Hyperband's eta.
    """

    metric_name: str
    maximize: bool
    brackets: tuple[int, ...]
    thresholds: Mapping[int, float]
    stops: tuple[HyperbandStop, ...]
    curves: Mapping[str, tuple[float, ...]]
    eta: float


def is_hyperband(sweep: SweepData) -> bool:
    """Whether the sweep stops runs early with hyperband."""
    return (sweep.config.get("early_terminate") or {}).get("type") == "hyperband"


def parse_stop_reason(reason: str | None) -> tuple[int, float, float] | None:
    """``(bracket, value, threshold)`` from a stop reason written by :mod:`sweepkit.hyperband`, else None."""
    match = _STOP_REASON.match(reason or "")
    if match is None:
        return None
    try:
        return int(match["bracket"]), float(match["value"]), float(match["threshold"])
    except ValueError:
        return None


def hyperband_view(sweep: SweepData) -> HyperbandView:
    """The numbers of the hyperband plot.

    Raises:
        ValueError: The sweep has no hyperband early termination.
    """
    from sweepkit.hyperband import Hyperband

    if not is_hyperband(sweep):
        raise ValueError("the sweep has no `early_terminate: {type: hyperband}`: no run was stopped by hyperband")
    hyperband = Hyperband.from_config(sweep.config)
    runs = [engine_run(run) for run in sweep.runs]
    sign = -1.0 if hyperband.maximize else 1.0
    thresholds = {bracket: sign * value for bracket, value in hyperband.thresholds(runs).items()}
    stops = []
    for run in sweep.runs:
        if run.state != KILLED or not (run.reason or "").startswith("hyperband"):
            continue
        parsed = parse_stop_reason(run.reason)
        if parsed is not None:
            stops.append(HyperbandStop(run.id, parsed[0], parsed[1], parsed[2], recorded=True))
            continue
        values = [point.value for point in run.points]
        reached = [bracket for bracket in thresholds if bracket < len(values)]
        if not reached:
            continue
        bracket = reached[-1]
        judged = values[bracket] if hyperband.strict else (max if hyperband.maximize else min)(values[: bracket + 1])
        stops.append(HyperbandStop(run.id, bracket, judged, thresholds[bracket], recorded=False))
    return HyperbandView(
        metric_name=hyperband.metric_name,
        maximize=hyperband.maximize,
        brackets=tuple(sorted(thresholds)),
        thresholds=thresholds,
        stops=tuple(stops),
        curves={run.id: tuple(point.value for point in run.points) for run in sweep.runs if run.points},
        eta=hyperband.eta,
    )


# -- drawing --------------------------------------------------------------------------------


def new_figure() -> Figure:
    """A figure on matplotlib's Agg canvas (no display, no pyplot state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=FIGURE_INCHES, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def save(figure: Figure, path: str | Path) -> Path:
    """Writes the figure as a PNG of exactly :data:`PNG_SIZE` pixels."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png", dpi=DPI)
    return path


def _integer_ticks() -> Any:
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(integer=True)


def _goal_word(maximize: bool) -> str:
    return "higher is better" if maximize else "lower is better"


def draw_best_so_far(data: BestSoFar, path: str | Path) -> Path:
    """Each run's best value (dots) and the sweep's best so far (a step line) against run number."""
    figure = new_figure()
    ax = figure.subplots()
    ax.scatter(data.run_numbers, data.values, color="0.6", s=22, label=f"run's best {data.metric_name}", zorder=2)
    ax.step(data.run_numbers, data.best_so_far, where="post", color="tab:blue", linewidth=2, label="best so far", zorder=3)
    ax.xaxis.set_major_locator(_integer_ticks())
    ax.set_xlabel("run number (order the sweep started them)")
    ax.set_ylabel(data.metric_name)
    ax.set_title(f"Best {data.metric_name} so far ({_goal_word(data.maximize)})")
    ax.grid(alpha=0.3)
    ax.legend(loc="best")
    return save(figure, path)


def draw_parallel_coordinates(data: ParallelCoordinates, path: str | Path) -> Path:
    """One line per run through every axis, coloured by the metric (colour bar on the right)."""
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    figure = new_figure()
    ax = figure.subplots()
    low = min(data.metric_values, default=0.0)
    high = max(data.metric_values, default=1.0)
    norm = Normalize(vmin=low, vmax=high if high > low else low + 1e-12)
    # The better end of the colour map is bright, whichever the goal.
    cmap = colormaps["viridis" if data.maximize else "viridis_r"]
    xs = list(range(len(data.axes)))
    order = sorted(range(len(data.run_ids)), key=lambda i: data.metric_values[i] * (1 if data.maximize else -1))
    for run_index in order:  # best runs drawn last, on top
        ys = [axis.positions[run_index] for axis in data.axes]
        ax.plot(xs, ys, color=cmap(norm(data.metric_values[run_index])), alpha=0.8, linewidth=1.4)
    for x, axis in zip(xs, data.axes):
        ax.axvline(x, color="0.2", linewidth=0.8)
        for position, label in zip(axis.tick_positions, axis.tick_labels):
            ax.text(x + 0.03, position, label, fontsize=7, va="center", ha="left", color="0.15")
    ax.set_xticks(xs)
    ax.set_xticklabels([axis.name + (" (log)" if axis.scale == LOG else "") for axis in data.axes], rotation=20, ha="right")
    ax.set_yticks([])
    ax.set_ylim(-0.05, 1.05)
    ax.set_xlim(-0.2, max(len(xs) - 1, 0) + 0.6)
    ax.set_title(f"Parallel coordinates: one line per run, coloured by best {data.metric_name}")
    colorbar = figure.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax)
    colorbar.set_label(f"best {data.metric_name} ({_goal_word(data.maximize)})")
    return save(figure, path)


def draw_metric_vs_parameter(data: ParameterScatter, path: str | Path) -> Path:
    """The metric against one parameter; a log x axis for log-scaled parameters."""
    figure = new_figure()
    ax = figure.subplots()
    ax.scatter(data.x, data.y, color="tab:blue", s=30, alpha=0.8)
    if data.scale == LOG:
        ax.set_xscale("log")
    if data.categories is not None:
        ax.set_xticks(range(len(data.categories)))
        ax.set_xticklabels(data.categories)
        ax.set_xlim(-0.5, len(data.categories) - 0.5)
    ax.set_xlabel(data.name + (" (log scale)" if data.scale == LOG else ""))
    ax.set_ylabel(f"best {data.metric_name}")
    ax.set_title(f"Best {data.metric_name} against {data.name} (one point per run)")
    ax.grid(alpha=0.3)
    return save(figure, path)


def draw_learning_curves(curves: Sequence[LearningCurve], metric_name: str, path: str | Path) -> Path:
    """The metric against epoch for the top runs, one line each."""
    figure = new_figure()
    ax = figure.subplots()
    for curve in curves:
        ax.plot(curve.epochs, curve.values, marker="o", markersize=3, linewidth=1.5, label=f"#{curve.rank} {curve.run_id} (best {curve.best:.4g}, {curve.state})")
    ax.xaxis.set_major_locator(_integer_ticks())
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric_name)
    ax.set_title(f"Learning curves of the top {len(curves)} run(s) by best {metric_name}")
    ax.grid(alpha=0.3)
    if curves:
        ax.legend(loc="best", fontsize=8)
    return save(figure, path)


def draw_hyperband(data: HyperbandView, path: str | Path) -> Path:
    """Every run's curve (grey), each bracket's threshold (black bars) and where runs were stopped (red crosses)."""
    figure = new_figure()
    ax = figure.subplots()
    for values in data.curves.values():
        ax.plot(range(1, len(values) + 1), values, color="0.75", linewidth=1, zorder=1)
    for bracket in data.brackets:
        ax.hlines(data.thresholds[bracket], bracket + 0.6, bracket + 1.4, color="black", linewidth=3, zorder=3)
    if data.brackets:
        ax.plot([], [], color="black", linewidth=3, label="bracket threshold (all runs now)")
    for stop in data.stops:
        ax.vlines(stop.bracket + 1, min(stop.value, stop.threshold), max(stop.value, stop.threshold), color="tab:red", linewidth=1, zorder=2)
        ax.scatter([stop.bracket + 1], [stop.threshold], marker="_", s=120, color="tab:red", zorder=4)
    ax.scatter(
        [stop.bracket + 1 for stop in data.stops],
        [stop.value for stop in data.stops],
        marker="x",
        s=50,
        color="tab:red",
        zorder=5,
        label=f"stopped run: its value (x) vs the threshold it missed (-), {len(data.stops)} run(s)",
    )
    ax.plot([], [], color="0.75", label="every run")
    ax.xaxis.set_major_locator(_integer_ticks())
    ax.set_xlabel(f"values of {data.metric_name} logged (bracket b is value b + 1)")
    ax.set_ylabel(data.metric_name)
    ax.set_title(f"Hyperband stops (eta={data.eta:g}, {_goal_word(data.maximize)})")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    return save(figure, path)


def _file_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def write_plots(sweep: SweepData, out_dir: str | Path, *, top: int = 5) -> dict[str, Path]:
    """Draws every plot the sweep has data for into ``out_dir``.

    Args:
        sweep: The sweep.
        out_dir: The folder (created if needed).
        top: How many runs the learning-curve plot shows.

    Returns:
        The PNGs written, by plot name, in reading order. Empty until some
        run has logged the metric.
    """
    out_dir = Path(out_dir)
    written: dict[str, Path] = {}
    if not _scored(sweep):
        return written
    written["best_so_far"] = draw_best_so_far(best_so_far(sweep), out_dir / "best_so_far.png")
    coordinates = parallel_coordinates(sweep)
    if len(coordinates.axes) > 1:
        written["parallel_coordinates"] = draw_parallel_coordinates(coordinates, out_dir / "parallel_coordinates.png")
    for scatter in metric_vs_parameters(sweep):
        key = f"metric_vs_{scatter.name}"
        written[key] = draw_metric_vs_parameter(scatter, out_dir / f"metric_vs_{_file_name(scatter.name)}.png")
    curves = learning_curves(sweep, top=top)
    if curves:
        written["learning_curves"] = draw_learning_curves(curves, sweep.metric_name or "metric", out_dir / "learning_curves.png")
    if is_hyperband(sweep):
        written["hyperband"] = draw_hyperband(hyperband_view(sweep), out_dir / "hyperband.png")
    return written
