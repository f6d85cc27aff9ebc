"""Grid search: W&B's order and value rules, resume, exhaustion."""

from __future__ import annotations

import pytest
from sweeps.grid_search import grid_search_next_runs

from sweepkit.engine import next_runs
from sweepkit.run import CRASHED, FAILED, FINISHED, RUNNING, Run
from sweepkit.testing.search_contract import SearchContract

GRID = {
    "method": "grid",
    "metric": {"name": "loss"},
    "parameters": {
        "width": {"values": [64, 128]},
        "lr": {"values": [0.1, 0.01, 0.001]},
        "layers": {"min": 1, "max": 2},
        "dropout": {"distribution": "q_uniform", "min": 0.0, "max": 0.3, "q": 0.1},
        "optimizer": {"parameters": {"name": {"values": ["adam", "sgd"]}, "beta": {"value": 0.9}}},
        "epochs": {"value": 5},
    },
}


class TestGridContract(SearchContract):
    config = GRID
    # 2 widths x 3 lrs x 2 layer counts x 3 dropouts (0, 0.1, 0.2: W&B leaves out max) x 2 optimizers.
    plan_size = 72


def _wandb_order(config: dict) -> list[dict]:
    """W&B's grid as nested params (its runs hold {"name": {"value": v}} at the top level)."""
    suggestions = grid_search_next_runs([], config, n=1000)
    return [{name: entry["value"] for name, entry in run.config.items()} for run in suggestions if run is not None]


def test_order_and_values_equal_wandb() -> None:
    ours = [suggestion.params for suggestion in next_runs(GRID, [], n=1000)]
    expected = _wandb_order(GRID)
    assert len(ours) == 72
    assert ours == expected


def test_points_that_already_ran_in_any_state_are_skipped_on_resume() -> None:
    config = {"method": "grid", "parameters": {"a": {"values": [1, 2, 3]}, "b": {"values": ["x", "y"]}}}
    runs = [
        Run("r0", {"a": 1, "b": "x"}, FINISHED),
        Run("r1", {"a": 1, "b": "y"}, FAILED),
        Run("r2", {"a": 2, "b": "x"}, RUNNING),
        Run("r3", {"a": 3, "b": "x"}, CRASHED),
    ]
    suggestions = next_runs(config, runs, n=10)
    assert [s.params for s in suggestions] == [{"a": 2, "b": "y"}, {"a": 3, "b": "y"}]
    assert suggestions[0].reason == "grid point 4 of 6"


def test_runs_from_another_grid_do_not_count_as_visited() -> None:
    config = {"method": "grid", "parameters": {"a": {"values": [1, 2]}}}
    runs = [Run("r0", {"other": 1}, FINISHED), Run("r1", {"a": 7}, FINISHED)]
    assert [s.params for s in next_runs(config, runs, n=5)] == [{"a": 1}, {"a": 2}]


def test_repeated_values_are_visited_once() -> None:
    config = {"method": "grid", "parameters": {"a": {"values": [1, 2, 1]}}}
    assert [s.params for s in next_runs(config, [], n=5)] == [{"a": 1}, {"a": 2}]


def test_a_large_grid_ends_instead_of_overshooting() -> None:
    config = {"method": "grid", "parameters": {"a": {"min": 1, "max": 40}, "b": {"min": 1, "max": 50}}}
    runs = [Run(f"r{i}", s.params, FINISHED) for i, s in enumerate(next_runs(config, [], n=5000))]
    assert len(runs) == 2000
    assert next_runs(config, runs) == []


def test_continuous_parameter_is_refused_with_what_to_use() -> None:
    config = {"method": "grid", "parameters": {"lr": {"min": 0.0, "max": 1.0}}}
    with pytest.raises(ValueError, match="lr.*uniform.*grid search cannot enumerate"):
        next_runs(config, [])
