"""The engine's entry points: when a sweep is done, seeds, run_cap, target, stop_runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sweepkit.config import load_config
from sweepkit.engine import done_reason, next_run, next_runs, stop_runs
from sweepkit.run import CRASHED, FAILED, FINISHED, KILLED, PENDING, RUNNING, Run

SWEEPS = Path(__file__).resolve().parent.parent / "sweeps"

RANDOM = {
    "method": "random",
    "metric": {"name": "loss", "goal": "minimize", "target": 0.1},
    "parameters": {"lr": {"distribution": "log_uniform_values", "min": 1e-4, "max": 1e-1}},
}


def test_run_cap_counts_runs_in_every_state_like_wandb() -> None:
    config = {**RANDOM, "run_cap": 6}
    runs = [Run(f"r{i}", {"lr": 0.01}, state) for i, state in enumerate((FINISHED, FAILED, CRASHED, KILLED, RUNNING))]
    assert len(next_runs(config, runs, n=4, seed=0)) == 1
    assert next_runs(config, [*runs, Run("r5", {"lr": 0.01}, PENDING)], n=4, seed=0) == []
    assert "run_cap" in done_reason(config, [*runs, Run("r5", {"lr": 0.01}, PENDING)])


@pytest.mark.parametrize("state", [FINISHED, RUNNING])
def test_target_reached_by_a_finished_or_running_run_ends_the_sweep(state: str) -> None:
    runs = [Run("r0", {"lr": 0.01}, state, [{"loss": 0.5}, {"loss": 0.09}, {"loss": 0.3}])]
    assert next_runs(RANDOM, runs, seed=0) == []
    assert next_run(RANDOM, runs, seed=0) is None
    assert "target" in done_reason(RANDOM, runs)


def test_target_reached_by_a_failed_run_or_not_reached_does_not_end_the_sweep() -> None:
    runs = [
        Run("r0", {"lr": 0.01}, FAILED, [{"loss": 0.01}]),
        Run("r1", {"lr": 0.02}, FINISHED, [{"loss": 0.2}]),
    ]
    assert len(next_runs(RANDOM, runs, seed=0)) == 1


def test_target_of_a_maximized_metric_is_reached_from_below() -> None:
    config = {**RANDOM, "metric": {"name": "acc", "goal": "maximize", "target": 0.9}}
    assert next_runs(config, [Run("r0", {"lr": 0.01}, FINISHED, [{"acc": 0.89}])], seed=0) != []
    assert next_runs(config, [Run("r0", {"lr": 0.01}, FINISHED, [{"acc": 0.91}])], seed=0) == []


def test_summary_counts_when_the_history_has_no_values() -> None:
    runs = [Run("r0", {"lr": 0.01}, FINISHED, [], {"loss": 0.05})]
    assert next_runs(RANDOM, runs, seed=0) == []


def test_seed_may_be_an_int_a_generator_or_none() -> None:
    by_int = next_runs(RANDOM, [], n=3, seed=7)
    by_generator = next_runs(RANDOM, [], n=3, seed=np.random.default_rng(7))
    assert [s.params for s in by_int] == [s.params for s in by_generator]
    assert len(next_runs(RANDOM, [], n=3)) == 3


def test_asking_for_no_run_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least one"):
        next_runs(RANDOM, [], n=0)


def test_an_unknown_method_says_which_exist() -> None:
    with pytest.raises(ValueError, match="grid, random, bayes"):
        next_runs({**RANDOM, "method": "custom"}, [])


def test_stop_runs_without_early_terminate_is_empty_and_with_it_uses_hyperband() -> None:
    runs = [
        Run("good", {"lr": 0.01}, FINISHED, [{"loss": 1.0}] * 4),
        Run("fine", {"lr": 0.02}, FINISHED, [{"loss": 2.0}] * 4),
        Run("bad", {"lr": 0.03}, RUNNING, [{"loss": 9.0}] * 4),
    ]
    assert stop_runs(RANDOM, runs) == []
    config = {**RANDOM, "early_terminate": {"type": "hyperband", "min_iter": 3, "eta": 3}}
    decisions = stop_runs(config, runs)
    assert [d.run for d in decisions] == ["bad"]
    assert decisions[0].bracket == 3


@pytest.mark.parametrize("name", ["grid.yaml", "random.yaml", "bayes.yaml", "bayes-hyperband.yaml"])
def test_the_shipped_sweeps_run_through_the_engine(name: str) -> None:
    config = load_config(SWEEPS / name)
    suggestions = next_runs(config, [], n=2, seed=0)
    assert len(suggestions) == 2
    runs = [Run(f"r{i}", s.params, FINISHED, [{config["metric"]["name"]: 0.5}]) for i, s in enumerate(suggestions)]
    assert next_run(config, runs, seed=1) is not None
    assert stop_runs(config, runs) == []
