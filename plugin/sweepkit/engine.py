"""The sweep engine's entry points: which runs to start, which to stop.

Everything here is pure: the config and the runs go in, suggestions or stop
decisions come out. Nothing is read from disk or the network, no global state
is touched, the randomness comes from ``seed``, and the inputs are never
changed. The agent is a loop around these functions.

Example:
    >>> from sweepkit.run import Run
    >>> config = {"method": "grid", "parameters": {"lr": {"values": [0.1, 0.01]}}}
    >>> [s.params for s in next_runs(config, [], n=5)]
    [{'lr': 0.1}, {'lr': 0.01}]
    >>> next_run(config, [Run("a", {"lr": 0.1}), Run("b", {"lr": 0.01})]) is None
    True
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from sweepkit import hyperband
from sweepkit.distributions import parameters_of
from sweepkit.run import FINISHED, RUNNING, Run, StopDecision, Suggestion
from sweepkit.search import method_class
from sweepkit.search.base import MAXIMIZE, best_metric_value, metric_goal
from sweepkit.search.random import RandomSearch


def next_runs(
    config: Mapping[str, Any],
    runs: Sequence[Run],
    *,
    n: int = 1,
    seed: int | np.random.Generator | None = None,
    no_repeat: bool = False,
) -> list[Suggestion]:
    """The next runs a sweep wants started.

    Args:
        config: The validated sweep config.
        runs: Every run of the sweep so far, in any state. Never changed.
        n: How many runs are wanted (for idle workers, or a batch).
        seed: An int or a numpy Generator; the same seed and the same runs give
            the same suggestions. None draws fresh entropy.
        no_repeat: Random search of a fully discrete space: never repeat a
            combination that has run, and end once every one has. A keyword,
            not a config key, so the YAML stays valid for ``wandb sweep``.

    Returns:
        Up to ``n`` suggestions, each with a one-line reason. [] when the
        sweep is done: ``run_cap`` runs exist (in any state, as W&B counts),
        a finished or running run reached ``metric.target``, or the method has
        nothing left (the grid is exhausted; every combination ran under
        ``no_repeat``).

    Raises:
        ValueError: ``n`` is below 1 or the config cannot be searched (the
            message says what to change).
    """
    if n < 1:
        raise ValueError(f"n={n!r}: ask for at least one run")
    if done_reason(config, runs) is not None:
        return []
    run_cap = config.get("run_cap")
    if run_cap:
        n = min(n, int(run_cap) - len(runs))
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    method = config.get("method")
    parameters = parameters_of(config)
    if method == RandomSearch.name:
        search = RandomSearch(config, parameters, no_repeat=no_repeat)
    else:
        search = method_class(str(method))(config, parameters)
    return search.suggest(tuple(runs), n, rng)


def no_repeat_problem(config: Mapping[str, Any]) -> str | None:
    """Why ``no_repeat`` cannot apply to this sweep (it would be ignored), or None when it can."""
    if config.get("method") != RandomSearch.name:
        return f"no_repeat applies to method: random only; this sweep uses method: {config.get('method')}"
    continuous = [
        ".".join(parameter.path) for parameter in parameters_of(config) if parameter.distribution.cardinality() is None
    ]
    if continuous:
        return (
            f"no_repeat needs every parameter to be discrete (values, value or int_uniform); "
            f"continuous here: {', '.join(continuous)}"
        )
    return None


def next_run(
    config: Mapping[str, Any],
    runs: Sequence[Run],
    *,
    seed: int | np.random.Generator | None = None,
    no_repeat: bool = False,
) -> Suggestion | None:
    """The next run a sweep wants started, or None when the sweep is done (see :func:`next_runs`)."""
    suggestions = next_runs(config, runs, n=1, seed=seed, no_repeat=no_repeat)
    return suggestions[0] if suggestions else None


def done_reason(config: Mapping[str, Any], runs: Sequence[Run]) -> str | None:
    """Why the sweep must not start more runs, whatever its method; None when it may.

    ``run_cap`` counts every run of the sweep, whatever its state (W&B's
    rule: a failed run used up its place). ``metric.target`` is reached when a
    finished or running run logged a value at least as good.
    """
    run_cap = config.get("run_cap")
    if run_cap and len(runs) >= int(run_cap):
        return f"run_cap reached: {len(runs)} runs of {run_cap}"
    metric = config.get("metric") or {}
    target = metric.get("target")
    if target is not None and metric.get("name"):
        goal = metric_goal(config)
        for run in runs:
            if run.state not in (FINISHED, RUNNING):
                continue
            best = best_metric_value(run, metric["name"], goal)
            if best is not None and (best >= target if goal == MAXIMIZE else best <= target):
                return f"metric.target reached: run {run.name} has {metric['name']}={best:g} (target {target:g})"
    return None


def stop_runs(config: Mapping[str, Any], runs: Sequence[Run]) -> list[StopDecision]:
    """The running runs that early termination wants stopped, each with its reason.

    Args:
        config: The validated sweep config.
        runs: Every run of the sweep, in any state. Never changed.

    Returns:
        [] when the config has no ``early_terminate``; otherwise one
        :class:`~sweepkit.run.StopDecision` per run to stop (hyperband).
    """
    return hyperband.stop_runs(config, runs)
