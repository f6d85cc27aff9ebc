"""Hyperband early termination: which running runs to stop, and why.

The rule is W&B's (``sweeps.hyperband_stopping``), so a sweep stops the same
runs under sweepkit as under W&B's engine:

* Brackets come from ``min_iter`` (``min_iter, min_iter*eta, ...``) or from
  ``max_iter`` and ``s`` (``max_iter/eta, max_iter/eta**2, ...``, ``s`` of
  them, each at least 1).
* Brackets count logged values of the metric, not steps or seconds. Like
  W&B, bracket ``b`` looks at the value at index ``b`` of a run's metric
  history, so a run reaches bracket ``b`` once it has logged ``b + 1`` values.
* The threshold of a bracket is the value at rank ``int(n / eta)`` (best
  first) among the ``n`` runs, in any state, that reached it.
* A running run is judged at the last bracket it reached and stopped when
  its best value so far is worse than that bracket's threshold. With
  ``strict: true`` it is judged by its value at the bracket instead, the
  like-for-like comparison of the Hyperband paper (it stops more runs: a run
  that was poor at the bracket cannot hide behind an earlier lucky value).
  A missing ``strict`` means false, as in W&B's published engine, which
  ignores the key; W&B's current schema documents ``true`` as its default, so
  a sweep meant for both engines should write ``strict`` out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from sweepkit.run import RUNNING, Run, StopDecision
from sweepkit.search.base import MAXIMIZE, metric_goal, metric_history

DEFAULT_ETA = 3.0
# W&B builds 100 brackets from min_iter; only those below the longest history matter.
_MAX_BRACKETS = 100


@dataclass(frozen=True)
class Hyperband:
    """The early-termination settings of one sweep.

    Attributes:
        metric_name: The metric whose logged values are judged.
        maximize: Whether larger metric values are better.
        eta: Keep the best ``1/eta`` of the runs at each bracket.
        min_iter: First bracket (when given).
        max_iter: Last epoch brackets are derived from (with ``s``).
        s: Number of brackets below ``max_iter``.
        strict: Judge a run by its value at the bracket, not its best so far.
    """

    metric_name: str
    maximize: bool = False
    eta: float = DEFAULT_ETA
    min_iter: int | None = None
    max_iter: int | None = None
    s: float | None = None
    strict: bool = False

    def __post_init__(self) -> None:
        if not self.eta > 1:
            raise ValueError(f"early_terminate.eta={self.eta!r}: eta must be greater than 1 (3 is usual)")
        if self.min_iter is None and (self.max_iter is None or self.s is None):
            raise ValueError("early_terminate needs min_iter, or max_iter together with s")
        if self.min_iter is not None and self.min_iter < 1:
            raise ValueError(f"early_terminate.min_iter={self.min_iter!r}: min_iter must be at least 1")

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Hyperband:
        """The settings of a sweep config with ``early_terminate: {type: hyperband, ...}``."""
        early_terminate = config.get("early_terminate") or {}
        if early_terminate.get("type") != "hyperband":
            raise ValueError(f"early_terminate.type={early_terminate.get('type')!r}: only 'hyperband' is supported")
        metric = config.get("metric") or {}
        if not metric.get("name"):
            raise ValueError("early_terminate needs metric.name: hyperband judges runs by that metric")
        return cls(
            metric_name=metric["name"],
            maximize=metric_goal(config) == MAXIMIZE,
            eta=float(early_terminate.get("eta", DEFAULT_ETA)),
            min_iter=early_terminate.get("min_iter"),
            max_iter=early_terminate.get("max_iter"),
            s=early_terminate.get("s"),
            strict=bool(early_terminate.get("strict", False)),
        )

    def brackets(self) -> list[int]:
        """The brackets in increasing order, computed exactly as W&B does (float arithmetic included)."""
        brackets: list[int] = []
        if self.max_iter is not None and self.min_iter is None:
            band: float = self.max_iter
            for _ in range(int(self.s)):  # type: ignore[arg-type]
                band /= self.eta
                if band < 1:
                    break
                brackets.append(int(band))
            if not brackets:
                raise ValueError(
                    f"early_terminate max_iter={self.max_iter}, s={self.s}, eta={self.eta} gives no bracket: "
                    "raise max_iter or lower eta"
                )
            return sorted(brackets)
        band = self.min_iter  # type: ignore[assignment]
        for _ in range(_MAX_BRACKETS):
            brackets.append(int(band))
            band *= self.eta
        return brackets

    def _oriented_history(self, run: Run) -> list[float]:
        # Internally smaller is better, as in W&B.
        values = metric_history(run, self.metric_name)
        return [-value for value in values] if self.maximize else values

    def thresholds(self, runs: Sequence[Run]) -> dict[int, float]:
        """The threshold of every bracket some run reached (oriented so smaller is better)."""
        histories = [history for history in map(self._oriented_history, runs) if history]
        longest = max((len(history) for history in histories), default=0)
        thresholds: dict[int, float] = {}
        for bracket in self.brackets():
            if bracket >= longest:
                break
            values = sorted(history[bracket] for history in histories if len(history) > bracket)
            thresholds[bracket] = values[int((1.0 / self.eta) * len(values))]
        return thresholds

    def stop_runs(self, runs: Sequence[Run]) -> list[StopDecision]:
        """The running runs to stop, each with the bracket, threshold and value that decided it."""
        thresholds = self.thresholds(runs)
        decisions = []
        for run in runs:
            if run.state != RUNNING:
                continue
            history = self._oriented_history(run)
            reached = [bracket for bracket in thresholds if bracket < len(history)]
            if not reached:
                continue
            bracket = reached[-1]
            threshold = thresholds[bracket]
            value = history[bracket] if self.strict else min(history)
            if value > threshold:
                decisions.append(self._decision(run.name, bracket, threshold, value, len(history)))
        return decisions

    def _decision(self, run_name: str, bracket: int, threshold: float, value: float, logged: int) -> StopDecision:
        sign = -1.0 if self.maximize else 1.0
        threshold, value = sign * threshold, sign * value
        judged = "value at the bracket" if self.strict else "best so far"
        comparison = "below" if self.maximize else "above"
        keep = f"top 1/{self.eta:g}"
        reason = (
            f"hyperband: {self.metric_name} {judged} {value:.6g} is {comparison} the threshold {threshold:.6g} "
            f"at bracket {bracket} ({keep} of the runs that logged {bracket + 1} values; this run logged {logged})"
        )
        return StopDecision(run=run_name, reason=reason, bracket=bracket, threshold=threshold, value=value)


def stop_runs(config: Mapping[str, Any], runs: Sequence[Run]) -> list[StopDecision]:
    """The running runs that the sweep's early termination wants stopped.

    Args:
        config: The validated sweep config.
        runs: Every run of the sweep, in any state. Never changed.

    Returns:
        One decision per run to stop; [] when the config has no
        ``early_terminate`` section or nothing needs stopping.
    """
    if not config.get("early_terminate"):
        return []
    return Hyperband.from_config(config).stop_runs(runs)
