"""The plain data that crosses between the engine, the agent and reports.

Everything here is immutable: the engine reads runs and returns new values,
it never changes what it was given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

# W&B's run state names.
PENDING = "pending"
RUNNING = "running"
FINISHED = "finished"
FAILED = "failed"
CRASHED = "crashed"
KILLED = "killed"
PREEMPTED = "preempted"

STATES = (PENDING, RUNNING, FINISHED, FAILED, CRASHED, KILLED, PREEMPTED)
TERMINAL_STATES = (FINISHED, FAILED, CRASHED, KILLED)


@dataclass(frozen=True)
class Run:
    """One run of a sweep as the engine sees it.

    Attributes:
        name: The run id (unique within the sweep).
        params: Parameter values, nested parameters as nested dicts
            (``{"lr": 0.001, "optimizer": {"name": "adam", "beta1": 0.9}}``).
        state: One of W&B's state names (:data:`STATES`).
        history: The rows the run logged with ``wandb.log``, in order.
        summary: The run's summary.
    """

    name: str
    params: Mapping[str, Any]
    state: str = PENDING
    history: tuple[Mapping[str, Any], ...] = ()
    summary: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.state not in STATES:
            raise ValueError(f"state={self.state!r} is not one of {', '.join(STATES)}")
        # Accept any sequence of rows but store a tuple so the run stays hashable-ish
        # and nobody appends to a caller's list by accident.
        object.__setattr__(self, "history", tuple(self.history))

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_STATES


@dataclass(frozen=True)
class Suggestion:
    """A run the engine wants started next, and why.

    Attributes:
        params: Parameter values, nested like :attr:`Run.params`.
        reason: One line a person can read ("grid point 4 of 27",
            "bayes: expected improvement 0.031 (GP fit ok)", ...).
        info: Machine-readable details of the decision.
    """

    params: Mapping[str, Any]
    reason: str
    info: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StopDecision:
    """A running run that early termination wants stopped, and why.

    Attributes:
        run: The run's name.
        reason: One line a person can read.
        bracket: The number of metric values at which the run was judged.
        threshold: The value the run had to beat at that bracket.
        value: The run's value that lost (best so far, or at the bracket when strict).
    """

    run: str
    reason: str
    bracket: int
    threshold: float
    value: float
