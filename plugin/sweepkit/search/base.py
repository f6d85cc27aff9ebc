"""The abstract search method and the run reading every method shares.

A search method is passive (Optuna style): it is built from a validated sweep
config, reads a snapshot of the sweep's runs and returns suggestions. It keeps
no state between calls, so a sweep can be replayed from its runs alone.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from numbers import Number
from typing import TYPE_CHECKING, Any, ClassVar, Iterable, Mapping, Sequence

import numpy as np

from sweepkit.run import Run, Suggestion

if TYPE_CHECKING:
    from sweepkit.distributions import Parameter

MINIMIZE = "minimize"
MAXIMIZE = "maximize"


class SearchMethod(ABC):
    """One way of choosing the next runs of a sweep (grid, random, bayes).

    Subclasses set :attr:`name` to the sweep config's ``method`` and implement
    :meth:`suggest`. The constructor only stores what the config says; all
    work happens in :meth:`suggest`.

    Args:
        config: The validated sweep config.
        parameters: The config's parameters, flattened, in YAML order.
    """

    name: ClassVar[str]

    def __init__(self, config: Mapping[str, Any], parameters: Sequence[Parameter]) -> None:
        self.config = config
        self.parameters = tuple(parameters)

    @abstractmethod
    def suggest(self, runs: Sequence[Run], n: int, rng: np.random.Generator) -> list[Suggestion]:
        """Choose up to ``n`` runs to start next.

        Args:
            runs: Every run of the sweep so far, in any state. Never changed.
            n: How many suggestions are wanted (at least 1).
            rng: The only source of randomness.

        Returns:
            At most ``n`` suggestions; fewer (possibly none) when the method
            has nothing left to try.
        """


def is_finite_number(value: Any) -> bool:
    """Whether a logged value counts as a metric value (W&B's rule: finite, not a bool)."""
    if isinstance(value, bool) or not isinstance(value, Number):
        return False
    try:
        return math.isfinite(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return False


def metric_history(run: Run, metric_name: str) -> list[float]:
    """The finite values of ``metric_name`` that a run logged, in order."""
    return [float(row[metric_name]) for row in run.history if metric_name in row and is_finite_number(row[metric_name])]


def best_metric_value(run: Run, metric_name: str, goal: str) -> float | None:
    """The best value of the metric a run ever logged, else its summary value, else None.

    The history is the truth (a summary may hold only the last value); the
    summary is the fallback for runs whose history was not sampled.
    """
    values = metric_history(run, metric_name)
    if not values:
        summary_value = run.summary.get(metric_name)
        if not is_finite_number(summary_value):
            return None
        values = [float(summary_value)]  # type: ignore[arg-type]
    return max(values) if goal == MAXIMIZE else min(values)


def metric_goal(config: Mapping[str, Any]) -> str:
    """The sweep's goal, ``minimize`` when the config gives none (W&B's default)."""
    metric = config.get("metric") or {}
    return metric.get("goal") or MINIMIZE


def freeze(value: Any) -> Any:
    """A hashable stand-in for a parameter value, equal for values a sweep treats as equal.

    Numbers compare by value (a run that logged ``64.0`` for an int parameter
    still matches ``64``), booleans stay apart from numbers, lists and dicts
    compare by content.
    """
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return (type(value).__name__, value)
    if isinstance(value, Number):
        return ("number", float(value))  # type: ignore[arg-type]
    if isinstance(value, Mapping):
        return ("map", tuple(sorted((str(key), freeze(item)) for key, item in value.items())))
    if isinstance(value, (list, tuple)):
        return ("seq", tuple(freeze(item) for item in value))
    if isinstance(value, np.generic):
        return freeze(value.item())
    return ("other", repr(value))


_MISSING = object()


def lookup(params: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    """The value at ``path`` in nested run params, or a private sentinel when absent."""
    node: Any = params
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return _MISSING
        node = node[key]
    return node


def is_missing(value: Any) -> bool:
    """Whether :func:`lookup` found nothing."""
    return value is _MISSING


def point_key(params: Mapping[str, Any], paths: Iterable[tuple[str, ...]]) -> tuple | None:
    """A hashable key of a run's values at ``paths``; None when one is missing."""
    key = []
    for path in paths:
        value = lookup(params, path)
        if value is _MISSING:
            return None
        key.append(freeze(value))
    return tuple(key)
