"""Random search: seeded draws from each distribution, and no_repeat."""

from __future__ import annotations

import math

from sweepkit.engine import next_runs
from sweepkit.run import FAILED, FINISHED, Run
from sweepkit.testing.search_contract import SearchContract

MIXED = {
    "method": "random",
    "metric": {"name": "loss"},
    "parameters": {
        "lr": {"distribution": "log_uniform_values", "min": 1e-4, "max": 1e-1},
        "batch_size": {"values": [16, 32, 64]},
        "layers": {"min": 1, "max": 4},
        "dropout": {"min": 0.0, "max": 0.5},
        "optimizer": {"parameters": {"momentum": {"distribution": "normal", "mu": 0.9, "sigma": 0.01}}},
        "epochs": {"value": 3},
    },
}

DISCRETE = {
    "method": "random",
    "metric": {"name": "loss"},
    "parameters": {
        "batch_size": {"values": [16, 32]},
        "activation": {"values": ["relu", "tanh", "gelu"], "probabilities": [0.8, 0.1, 0.1]},
        "dropout": {"distribution": "q_uniform", "min": 0.0, "max": 1.0, "q": 0.5},
        "epochs": {"value": 3},
    },
}


class TestRandomContract(SearchContract):
    config = MIXED


class TestRandomNoRepeatContract(SearchContract):
    config = DISCRETE
    options = {"no_repeat": True}
    # 2 batch sizes x 3 activations x 3 dropouts (0, 0.5, 1: random draws reach max) x 1.
    plan_size = 18


def test_different_seeds_give_different_draws() -> None:
    first = next_runs(MIXED, [], n=3, seed=1)
    second = next_runs(MIXED, [], n=3, seed=2)
    assert [s.params for s in first] != [s.params for s in second]


def test_log_uniform_draws_are_spread_over_decades() -> None:
    lrs = [s.params["lr"] for s in next_runs(MIXED, [], n=600, seed=0)]
    # Log-uniform over three decades: a third of the draws in each.
    per_decade = [sum(10**-k <= lr < 10 ** (1 - k) for lr in lrs) for k in (4, 3, 2)]
    assert all(150 < count < 250 for count in per_decade), per_decade


def test_without_no_repeat_a_small_space_repeats_and_never_ends() -> None:
    config = {"method": "random", "parameters": {"a": {"values": [1, 2]}}}
    runs = [Run("r0", {"a": 1}, FINISHED), Run("r1", {"a": 2}, FINISHED)]
    suggestions = next_runs(config, runs, n=10, seed=0)
    assert len(suggestions) == 10
    assert {s.params["a"] for s in suggestions} == {1, 2}


def test_no_repeat_draws_what_is_left_and_then_ends() -> None:
    config = {"method": "random", "parameters": {"a": {"values": [1, 2, 3]}, "b": {"values": ["x", "y"]}}}
    runs = [Run(f"r{i}", {"a": a, "b": b}, FAILED) for i, (a, b) in enumerate([(1, "x"), (1, "y"), (2, "x"), (3, "y")])]
    suggestions = next_runs(config, runs, n=5, seed=0, no_repeat=True)
    assert sorted((s.params["a"], s.params["b"]) for s in suggestions) == [(2, "y"), (3, "x")]
    assert "6 of 6" in suggestions[-1].reason
    done = runs + [Run(f"s{i}", s.params, FINISHED) for i, s in enumerate(suggestions)]
    assert next_runs(config, done, seed=0, no_repeat=True) == []


def test_no_repeat_has_no_effect_on_a_continuous_space() -> None:
    suggestions = next_runs(MIXED, [], n=5, seed=0, no_repeat=True)
    assert len(suggestions) == 5
    assert all(0.0 <= s.params["dropout"] <= 0.5 for s in suggestions)
    assert all(math.isfinite(s.params["optimizer"]["momentum"]) for s in suggestions)
