"""Which parameters matter: the two numbers of W&B's parameter importance panel.

For every parameter (one column per category for categorical ones):

- **correlation**: the Pearson correlation between the parameter's values and
  the metric over the runs, on the raw values as W&B computes it. Its sign
  says the direction: positive means larger values go with a larger metric.
- **importance**: the impurity-based feature importance of a random forest
  (scikit-learn's ``RandomForestRegressor``) trained to predict the metric
  from all parameters at once; the importances sum to 1. It catches
  non-linear effects and interactions that a correlation misses.

Categorical parameters (any parameter with a non-numeric value, or with
``values:`` of mixed types) are one-hot encoded, for the forest and for the
correlation, as W&B's panel does: ``optimizer=adam`` is 1 for runs with adam.
Booleans count as 0/1 numbers. Parameters with a single value across the
runs are left out (nothing to learn from them). The metric is each run's best
value, as bayes search scores runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Number
from typing import Any, Sequence

import numpy as np

from sweepkit.report.sweep_data import SweepData

CATEGORICAL_ENCODING = "one-hot"


@dataclass(frozen=True)
class ParameterImportance:
    """One input column of the importance table.

    Attributes:
        name: The parameter's dotted name, or ``name=value`` for one category of a categorical.
        parameter: The parameter's dotted name.
        correlation: Pearson correlation with the metric; None when undefined (constant column).
        importance: Random-forest importance (all columns sum to 1); None with too few runs.
    """

    name: str
    parameter: str
    correlation: float | None
    importance: float | None


@dataclass(frozen=True)
class ImportanceTable:
    """The importance of every parameter for one metric.

    Attributes:
        metric_name: The metric (each run's best value of it).
        runs_used: How many runs had a value of the metric.
        rows: One row per column, most important first.
        left_out: Parameters with a single value across the runs.
        categorical_encoding: How categorical parameters were encoded.
        note: Why a number is missing, if one is.
    """

    metric_name: str
    runs_used: int
    rows: tuple[ParameterImportance, ...]
    left_out: tuple[str, ...] = ()
    categorical_encoding: str = CATEGORICAL_ENCODING
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        """The table as plain JSON types."""
        return {
            "metric": self.metric_name,
            "runs_used": self.runs_used,
            "categorical_encoding": self.categorical_encoding,
            "correlation": "Pearson correlation of the raw parameter values with each run's best metric value",
            "importance": "random forest (scikit-learn RandomForestRegressor) impurity importance; sums to 1",
            "rows": [
                {"name": row.name, "parameter": row.parameter, "correlation": row.correlation, "importance": row.importance}
                for row in self.rows
            ],
            "left_out": list(self.left_out),
            "note": self.note,
        }


def _is_number(value: Any) -> bool:
    return isinstance(value, Number) and not isinstance(value, complex) and math.isfinite(float(value))  # type: ignore[arg-type]


def _category_label(value: Any) -> str:
    return value if isinstance(value, str) else repr(value)


def design_matrix(
    names: Sequence[str], values_by_run: Sequence[dict[str, Any]]
) -> tuple[np.ndarray, list[tuple[str, str]], list[str]]:
    """The forest's inputs: numeric parameters as they are, categorical ones one-hot.

    Args:
        names: Parameter names (dotted), in order.
        values_by_run: Each run's values by name.

    Returns:
        The matrix (runs x columns), each column's ``(label, parameter)``, and
        the parameters left out because they hold a single value.
    """
    columns: list[np.ndarray] = []
    labels: list[tuple[str, str]] = []
    left_out: list[str] = []
    for name in names:
        values = [run.get(name) for run in values_by_run]
        distinct = {_category_label(value) for value in values}
        if len(distinct) < 2:
            left_out.append(name)
            continue
        if all(_is_number(value) for value in values):
            columns.append(np.array([float(value) for value in values]))
            labels.append((name, name))
            continue
        for category in sorted(distinct):
            columns.append(np.array([1.0 if _category_label(value) == category else 0.0 for value in values]))
            labels.append((f"{name}={category}", name))
    matrix = np.column_stack(columns) if columns else np.empty((len(values_by_run), 0))
    return matrix, labels, left_out


def pearson(x: np.ndarray, y: np.ndarray) -> float | None:
    """The Pearson correlation of two equal-length arrays; None when either is constant."""
    if len(x) < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    return float(np.corrcoef(x, y)[0, 1])


def parameter_importance(sweep: SweepData, *, seed: int = 0, n_estimators: int = 200) -> ImportanceTable:
    """Correlation and random-forest importance of every swept parameter with the sweep's metric.

    Args:
        sweep: The sweep.
        seed: The forest's ``random_state``: the same runs give the same importances.
        n_estimators: Trees in the forest.

    Raises:
        ValueError: The sweep has no ``metric.name``.
    """
    metric_name = sweep.metric_name
    if not metric_name:
        raise ValueError("the sweep config has no metric.name: importance needs a metric to explain")
    runs = [run for run in sweep.runs if run.best is not None]
    names = [parameter.name for parameter in sweep.parameters]
    matrix, labels, left_out = design_matrix(names, [dict(run.flat_params) for run in runs])
    target = np.array([run.best for run in runs], dtype=float)
    correlations = [pearson(matrix[:, column], target) for column in range(matrix.shape[1])]
    importances: list[float | None] = [None] * len(labels)
    note = ""
    if len(runs) < 3:
        note = f"only {len(runs)} run(s) logged {metric_name}: importance needs at least 3"
    elif not labels:
        note = "every parameter had a single value: nothing to rank"
    elif np.ptp(target) == 0:
        note = f"every run has the same best {metric_name}: no parameter explains anything"
    else:
        from sklearn.ensemble import RandomForestRegressor

        forest = RandomForestRegressor(n_estimators=n_estimators, random_state=seed)
        forest.fit(matrix, target)
        importances = [float(value) for value in forest.feature_importances_]
    rows = [
        ParameterImportance(name=label, parameter=parameter, correlation=correlation, importance=importance)
        for (label, parameter), correlation, importance in zip(labels, correlations, importances)
    ]
    rows.sort(key=lambda row: (-(row.importance or 0.0), -abs(row.correlation or 0.0), row.name))
    return ImportanceTable(
        metric_name=metric_name, runs_used=len(runs), rows=tuple(rows), left_out=tuple(left_out), note=note
    )


def format_importance(table: ImportanceTable) -> str:
    """The table as text, saying which number is which."""

    def number(value: float | None) -> str:
        return "-" if value is None else f"{value:+.3f}"

    width = max([len("parameter"), *(len(row.name) for row in table.rows)])
    lines = [
        f"parameter importance for {table.metric_name} ({table.runs_used} runs, each scored by its best value)",
        "  importance: random forest (RandomForestRegressor) impurity importance, columns sum to 1",
        "  correlation: Pearson correlation of the raw parameter value with the metric (-1..1)",
        f"  parameters with non-numeric values are {table.categorical_encoding} encoded (a row per value); "
        "numeric values, categorical ones included, are used as numbers",
        f"{'parameter'.ljust(width)}  importance  correlation",
    ]
    for row in table.rows:
        importance = "-" if row.importance is None else f"{row.importance:.3f}"
        lines.append(f"{row.name.ljust(width)}  {importance:>10}  {number(row.correlation):>11}")
    if table.left_out:
        lines.append(f"left out (one value in every run): {', '.join(table.left_out)}")
    if table.note:
        lines.append(f"note: {table.note}")
    return "\n".join(lines)
