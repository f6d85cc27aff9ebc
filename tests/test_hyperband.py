"""Hyperband early termination: W&B's decisions, plus reasons and strict mode."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import sweeps
from sweeps.run import SweepRun

from sweepkit.hyperband import Hyperband, stop_runs
from sweepkit.run import CRASHED, FAILED, FINISHED, KILLED, PENDING, RUNNING, Run

PARAMETERS = {"a": {"values": [1, 2, 3]}}


def config_with(early_terminate: dict, goal: str = "minimize") -> dict:
    return {
        "method": "random",
        "metric": {"name": "loss", "goal": goal},
        "early_terminate": {"type": "hyperband", **early_terminate},
        "parameters": PARAMETERS,
    }


def run(name: str, losses: list, state: str = RUNNING) -> Run:
    return Run(name=name, params={"a": 1}, state=state, history=[{"loss": value} for value in losses])


def test_brackets_from_min_iter_grow_by_eta() -> None:
    hyperband = Hyperband.from_config(config_with({"min_iter": 3, "eta": 3}))
    assert hyperband.brackets()[:4] == [3, 9, 27, 81]


def test_brackets_from_max_iter_and_s() -> None:
    hyperband = Hyperband.from_config(config_with({"max_iter": 27, "s": 2, "eta": 3}))
    assert hyperband.brackets() == [3, 9]


def test_max_iter_too_small_for_any_bracket_is_an_error_that_says_what_to_change() -> None:
    with pytest.raises(ValueError, match="max_iter"):
        Hyperband.from_config(config_with({"max_iter": 2, "s": 2, "eta": 3})).brackets()


def test_no_early_terminate_stops_nothing() -> None:
    config = {"method": "grid", "metric": {"name": "loss"}, "parameters": PARAMETERS}
    assert stop_runs(config, [run("a", [5.0] * 10)]) == []


def test_decision_names_bracket_threshold_and_value() -> None:
    # Four runs reach bracket 2 (three values logged); with eta=2 the
    # threshold is the value at rank int(4/2) = 2 of [1, 2, 3, 4] -> 3.
    runs = [
        run("best", [9, 9, 1], FINISHED),
        run("good", [9, 9, 2], FINISHED),
        run("middle", [9, 9, 3]),
        run("worst", [9, 9, 4]),
    ]
    decisions = stop_runs(config_with({"min_iter": 2, "eta": 2}), runs)
    assert [decision.run for decision in decisions] == ["worst"]
    decision = decisions[0]
    assert (decision.bracket, decision.threshold, decision.value) == (2, 3.0, 4.0)
    assert "bracket 2" in decision.reason and "threshold 3" in decision.reason and "4" in decision.reason


def test_maximize_reports_values_in_the_metric_own_sign() -> None:
    runs = [run("high", [0.9, 0.9, 0.9], FINISHED), run("low", [0.1, 0.1, 0.1]), run("mid", [0.5, 0.5, 0.5])]
    decisions = stop_runs(config_with({"min_iter": 2, "eta": 2}, goal="maximize"), runs)
    assert [decision.run for decision in decisions] == ["low"]
    assert decisions[0].threshold == pytest.approx(0.5)
    assert decisions[0].value == pytest.approx(0.1)
    assert "below" in decisions[0].reason


def test_strict_judges_the_value_at_the_bracket_not_the_best_so_far() -> None:
    # "lucky" had one early good value but is poor at the bracket.
    runs = [
        run("steady", [5, 4, 3], FINISHED),
        run("other", [5, 4, 3.5], FINISHED),
        run("lucky", [0.5, 6, 6]),
    ]
    lenient = stop_runs(config_with({"min_iter": 2, "eta": 2}), runs)
    strict = stop_runs(config_with({"min_iter": 2, "eta": 2, "strict": True}), runs)
    assert lenient == []
    assert [decision.run for decision in strict] == ["lucky"]
    assert strict[0].value == 6.0 and "value at the bracket" in strict[0].reason


def test_runs_are_not_mutated() -> None:
    runs = [run("a", [3, 2, 1], FINISHED), run("b", [5, 5, 5])]
    before = copy.deepcopy(runs)
    stop_runs(config_with({"min_iter": 1, "eta": 2}), runs)
    assert runs == before


def _random_value(rng: np.random.Generator, level: float, epoch: int) -> object:
    roll = rng.random()
    if roll < 0.03:
        return math.nan
    if roll < 0.05:
        return None
    if roll < 0.07:
        return int(rng.integers(0, 10))
    # A learning curve per run (its level decides most stops) with noise; two
    # decimals so that ties happen.
    return float(np.round(level + 1 / (epoch + 1) + 0.1 * rng.normal(), 2))


def _random_case(rng: np.random.Generator) -> tuple[dict, list[Run]]:
    if rng.random() < 0.5:
        early_terminate = {"min_iter": int(rng.integers(1, 5)), "eta": float(rng.choice([2, 2.5, 3, 4]))}
    else:
        early_terminate = {"max_iter": int(rng.integers(9, 40)), "s": int(rng.integers(1, 4)), "eta": float(rng.choice([2, 3]))}
    config = config_with(early_terminate, goal=str(rng.choice(["minimize", "maximize"])))
    states = [RUNNING, RUNNING, FINISHED, FAILED, CRASHED, KILLED, PENDING]
    runs = []
    for index in range(int(rng.integers(1, 16))):
        history = []
        level = rng.normal()
        for _ in range(int(rng.integers(0, 30))):
            row = {"epoch": len(history)}
            if rng.random() < 0.9:  # some rows log other keys only
                row["loss"] = _random_value(rng, level, len(history))
            history.append(row)
        runs.append(Run(name=f"run-{index}", params={"a": 1}, state=str(rng.choice(states)), history=history))
    return config, runs


def test_non_strict_decisions_equal_wandb_on_random_run_sets() -> None:
    rng = np.random.default_rng(20240611)
    cases_with_stops = 0
    for _ in range(300):
        config, runs = _random_case(rng)
        wandb_runs = [SweepRun(name=r.name, state=r.state, sampledHistory=list(r.history)) for r in runs]
        expected = sorted(stopped.name for stopped in sweeps.stop_runs(config, wandb_runs))
        decisions = stop_runs(config, runs)
        assert sorted(decision.run for decision in decisions) == expected, config
        cases_with_stops += bool(expected)
    # The comparison means something only if many cases stop runs.
    assert cases_with_stops > 75
