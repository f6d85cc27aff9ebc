"""The behaviour every search method promises, as a reusable pytest suite.

Subclass :class:`SearchContract` in a test module, set :attr:`config` (a
valid sweep config using the method under test) and pytest collects the
tests below for it::

    class TestGridContract(SearchContract):
        config = {"method": "grid", "parameters": {"a": {"values": [1, 2]}}}
        plan_size = 2

The suite drives the engine the way an agent does: it asks for runs, "trains"
them on a toy objective, records them in varied states and asks again.
"""

from __future__ import annotations

import copy
import math
from typing import Any, ClassVar, Mapping, Sequence

import numpy as np
import pytest

from sweepkit.distributions import Parameter, parameters_of
from sweepkit.engine import next_runs
from sweepkit.run import CRASHED, FAILED, FINISHED, RUNNING, Run, Suggestion
from sweepkit.search.base import freeze, is_missing, lookup


def value_is_in_space(parameter: Parameter, value: Any) -> bool:
    """Whether ``value`` is one the parameter's distribution can produce."""
    distribution = parameter.distribution
    if distribution.is_categorical:
        return freeze(value) in {freeze(category) for category in distribution.categories or ()}
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return False
    unit = distribution.to_unit(value)
    if not 0.0 <= unit <= 1.0:
        return False
    if distribution.cardinality() is not None:
        # A discrete value maps back to itself.
        return math.isclose(distribution.from_unit(unit), value, rel_tol=1e-9, abs_tol=1e-12)
    return True


def toy_score(params: Mapping[str, Any], parameters: Sequence[Parameter]) -> float:
    """A deterministic score of any params: distance of their unit values from 0.3."""
    total = 0.0
    for parameter in parameters:
        value = lookup(params, parameter.path)
        if parameter.distribution.is_categorical:
            categories = [freeze(c) for c in parameter.distribution.categories or ()]
            total += categories.index(freeze(value)) / max(1, len(categories))
        else:
            total += (parameter.distribution.to_unit(value) - 0.3) ** 2
    return total


class SearchContract:
    """The shared suite; subclasses set the class attributes.

    Attributes:
        config: The sweep config under test (``metric.name`` is ``loss``
            when the method needs a metric).
        plan_size: The number of points of a finite plan (grid, random with
            ``no_repeat``), counted by hand: the method must end with []
            after each of them ran once. None for open-ended methods.
        options: Extra keyword arguments for ``next_runs`` (``no_repeat``).
        rounds: How many rounds of the simulated sweep to drive.
    """

    config: ClassVar[dict]
    plan_size: ClassVar[int | None] = None
    options: ClassVar[dict] = {}
    rounds: ClassVar[int] = 8

    # ---------------------------------------------------------------- helpers

    def parameters(self) -> list[Parameter]:
        return parameters_of(self.config)

    def ask(self, runs: Sequence[Run], *, n: int = 1, seed: Any = 0, config: dict | None = None) -> list[Suggestion]:
        return next_runs(config or self.config, runs, n=n, seed=seed, **self.options)

    def simulate(self, rounds: int, seed: int = 0) -> list[Run]:
        """A sweep history with finished, failed, crashed and running runs."""
        runs: list[Run] = []
        states = (FINISHED, FINISHED, FAILED, FINISHED, CRASHED, RUNNING)
        for round_index in range(rounds):
            suggestions = self.ask(runs, n=2, seed=seed + round_index)
            for suggestion in suggestions:
                state = states[len(runs) % len(states)]
                loss = toy_score(suggestion.params, self.parameters())
                history = [{"loss": loss + 1.0}, {"loss": loss}] if state != FAILED else []
                runs.append(Run(f"run-{len(runs)}", copy.deepcopy(dict(suggestion.params)), state, history))
            if not suggestions:
                break
        return runs

    def assert_in_space(self, suggestion: Suggestion) -> None:
        for parameter in self.parameters():
            value = lookup(suggestion.params, parameter.path)
            assert not is_missing(value), f"{parameter.name} missing from {suggestion.params}"
            assert value_is_in_space(parameter, value), f"{parameter.name}={value!r} is outside its space"

    # ---------------------------------------------------------------- the contract

    def test_suggestions_are_inside_the_space_and_explained(self) -> None:
        runs = self.simulate(self.rounds)
        suggestions = [s for s in self.ask(runs, n=3, seed=99)] + [s for s in self.ask([], n=2, seed=5)]
        for suggestion in suggestions:
            self.assert_in_space(suggestion)
            assert suggestion.reason and "\n" not in suggestion.reason

    def test_same_seed_and_runs_give_the_same_suggestions(self) -> None:
        runs = self.simulate(self.rounds)
        first = self.ask(runs, n=2, seed=123)
        second = self.ask(runs, n=2, seed=123)
        assert [s.params for s in first] == [s.params for s in second]
        generator = self.ask(runs, n=2, seed=np.random.default_rng(123))
        again = self.ask(runs, n=2, seed=np.random.default_rng(123))
        assert [s.params for s in generator] == [s.params for s in again]

    def test_inputs_are_not_mutated(self) -> None:
        config = copy.deepcopy(self.config)
        runs = self.simulate(self.rounds)
        runs_before = copy.deepcopy(runs)
        self.ask(runs, n=2, seed=1, config=config)
        assert config == self.config
        assert runs == runs_before

    def test_run_cap_counts_runs_in_every_state(self) -> None:
        runs = self.simulate(3)
        capped = {**self.config, "run_cap": len(runs) + 1}
        assert len(self.ask(runs, n=5, config=capped)) <= 1
        assert self.ask(runs, n=5, config={**self.config, "run_cap": len(runs)}) == []

    def test_a_batch_holds_distinct_points(self) -> None:
        runs = self.simulate(2)
        suggestions = self.ask(runs, n=4, seed=3)
        discrete = all(p.distribution.cardinality() is not None for p in self.parameters())
        if discrete and self.config["method"] == "random" and not self.options.get("no_repeat"):
            pytest.skip("independent random draws from a discrete space may repeat")
        keys = [tuple(freeze(lookup(s.params, p.path)) for p in self.parameters()) for s in suggestions]
        assert len(suggestions) == 4
        assert len(set(keys)) == len(keys)

    def test_a_finite_plan_ends_after_every_point_ran_once(self) -> None:
        if self.plan_size is None:
            pytest.skip("the method has no finite plan")
        runs: list[Run] = []
        while True:
            suggestions = self.ask(runs, n=3, seed=len(runs))
            if not suggestions:
                break
            for suggestion in suggestions:
                runs.append(Run(f"run-{len(runs)}", dict(suggestion.params), FINISHED, [{"loss": 1.0}]))
            assert len(runs) <= 100_000, "the plan does not end"
        keys = [tuple(freeze(lookup(r.params, p.path)) for p in self.parameters()) for r in runs]
        assert len(set(keys)) == len(keys)
        assert len(keys) == self.plan_size
        assert self.ask(runs, n=1) == []
