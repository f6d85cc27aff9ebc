"""Bayes search: encoding, scoring and imputation, runs in flight, repeats, reasons."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sweepkit.distributions import parameters_of
from sweepkit.engine import next_run, next_runs
from sweepkit.run import CRASHED, FAILED, FINISHED, KILLED, RUNNING, Run
from sweepkit.search import bayes
from sweepkit.search.bayes import BayesSearch, UnitCube
from sweepkit.testing.search_contract import SearchContract

MIXED = {
    "method": "bayes",
    "metric": {"name": "loss", "goal": "minimize"},
    "parameters": {
        "lr": {"distribution": "log_uniform_values", "min": 1e-4, "max": 1e-1},
        "batch_size": {"values": [16, 32, 64, 128]},
        "layers": {"min": 1, "max": 4},
        "width": {"min": 32, "max": 512},
        "optimizer": {"parameters": {"beta": {"min": 0.8, "max": 0.99}}},
        "epochs": {"value": 3},
    },
}

DISCRETE = {
    "method": "bayes",
    "metric": {"name": "loss"},
    "parameters": {"a": {"values": ["x", "y", "z"]}, "b": {"min": 1, "max": 2}},
}
DISCRETE_LARGER = {**DISCRETE, "parameters": {"a": {"values": ["x", "y", "z"]}, "b": {"min": 1, "max": 4}}}


class TestBayesContract(SearchContract):
    config = MIXED


class TestBayesDiscreteContract(SearchContract):
    config = DISCRETE_LARGER
    rounds = 2


def quadratic_config(goal: str = "minimize", values: tuple = ("a", "b", "c")) -> dict:
    return {
        "method": "bayes",
        "metric": {"name": "score", "goal": goal},
        "parameters": {"x": {"min": -2.0, "max": 2.0}, "y": {"min": -2.0, "max": 2.0}, "kind": {"values": list(values)}},
    }


def quadratic(params: dict) -> float:
    # Minimum 0 at x=0.5, y=-1, kind "b".
    return (params["x"] - 0.5) ** 2 + (params["y"] + 1) ** 2 + (0.0 if params["kind"] == "b" else 1.0)


def drive(config: dict, objective, trials: int, seed: int) -> list[Run]:
    runs: list[Run] = []
    for index in range(trials):
        suggestion = next_run(config, runs, seed=seed * 1000 + index)
        runs.append(Run(f"r{index}", suggestion.params, FINISHED, [{"score": objective(suggestion.params)}]))
    return runs


def test_bayes_beats_random_on_a_quadratic_with_a_category() -> None:
    random_config = {**quadratic_config(), "method": "random"}
    wins = 0
    for seed in range(3):
        bayes_best = min(r.history[0]["score"] for r in drive(quadratic_config(), quadratic, 20, seed))
        random_best = min(r.history[0]["score"] for r in drive(random_config, quadratic, 20, seed))
        wins += bayes_best < random_best
        assert bayes_best < 0.1
    assert wins == 3


def test_maximize_is_handled_by_sign() -> None:
    runs = drive(quadratic_config(goal="maximize"), lambda p: -quadratic(p), 18, seed=4)
    best = max(r.history[0]["score"] for r in runs)
    assert best > -0.1


def test_the_order_of_categorical_values_does_not_decide_the_model() -> None:
    # One-hot columns: the fitted GP predicts the same for each category
    # whatever its position in values (W&B's ordered index would not).
    runs = drive(quadratic_config(), quadratic, 12, seed=0)
    predictions = []
    for values in (("a", "b", "c"), ("c", "a", "b")):
        config = quadratic_config(values=values)
        search = BayesSearch(config, parameters_of(config))
        X, y, _, _ = search.observations(runs)
        model = bayes._fit(search.cube, X, y, np.random.default_rng(0))
        probes = [search.cube.encode({"x": 0.5, "y": -1.0, "kind": kind}) for kind in ("a", "b", "c")]
        predictions.append(model.gp.predict(np.array(probes)))
    assert predictions[0] == pytest.approx(predictions[1], rel=1e-3, abs=1e-3)


def test_run_score_is_the_best_logged_value_then_the_summary() -> None:
    config = {"method": "bayes", "metric": {"name": "loss"}, "parameters": {"x": {"min": 0.0, "max": 1.0}}}
    search = BayesSearch(config, parameters_of(config))
    runs = [
        Run("curve", {"x": 0.1}, FINISHED, [{"loss": 3.0}, {"loss": 1.0}, {"loss": 2.0}], {"loss": 2.0}),
        Run("summary-only", {"x": 0.2}, FINISHED, [], {"loss": 5.0}),
    ]
    X, y, in_flight, left_out = search.observations(runs)
    assert y.tolist() == [1.0, 5.0]
    assert len(in_flight) == 0 and left_out == 0


def test_maximize_scores_are_negated_best_values() -> None:
    config = {"method": "bayes", "metric": {"name": "acc", "goal": "maximize"}, "parameters": {"x": {"min": 0.0, "max": 1.0}}}
    search = BayesSearch(config, parameters_of(config))
    _, y, _, _ = search.observations([Run("a", {"x": 0.5}, FINISHED, [{"acc": 0.7}, {"acc": 0.9}, {"acc": 0.8}])])
    assert y.tolist() == [-0.9]


@pytest.mark.parametrize(
    ("impute", "expected"),
    [
        (None, 9.0),  # W&B's default: the worst value any finished or failed run logged
        ("worst", 9.0),
        ("best", 4.0),
        ("latest", 6.0),
    ],
)
def test_failed_runs_are_imputed_per_metric_impute(impute: str | None, expected: float) -> None:
    metric = {"name": "loss"} if impute is None else {"name": "loss", "impute": impute}
    config = {"method": "bayes", "metric": metric, "parameters": {"x": {"min": 0.0, "max": 1.0}}}
    search = BayesSearch(config, parameters_of(config))
    runs = [
        Run("good", {"x": 0.1}, FINISHED, [{"loss": 9.0}, {"loss": 1.0}]),
        Run("broken", {"x": 0.9}, CRASHED, [{"loss": 5.0}, {"loss": 4.0}, {"loss": 6.0}]),
    ]
    _, y, _, _ = search.observations(runs)
    assert y.tolist() == [1.0, expected]


def test_failed_run_without_values_gets_the_worst_and_running_runs_are_in_flight() -> None:
    config = {"method": "bayes", "metric": {"name": "loss", "impute": "latest"}, "parameters": {"x": {"min": 0.0, "max": 1.0}}}
    search = BayesSearch(config, parameters_of(config))
    runs = [
        Run("good", {"x": 0.1}, FINISHED, [{"loss": 2.0}, {"loss": 1.0}]),
        Run("died-at-start", {"x": 0.5}, FAILED),
        Run("stopped", {"x": 0.6}, KILLED, [{"loss": 3.0}]),
        Run("busy", {"x": 0.7}, RUNNING, [{"loss": 0.5}]),
        Run("elsewhere", {"other": 1}, FINISHED, [{"loss": 0.1}]),
    ]
    X, y, in_flight, left_out = search.observations(runs)
    assert y.tolist() == [1.0, 3.0, 3.0]
    assert in_flight.tolist() == [[0.7]]
    assert left_out == 1


def test_impute_while_running_makes_running_runs_observations() -> None:
    config = {
        "method": "bayes",
        "metric": {"name": "loss", "impute_while_running": "latest"},
        "parameters": {"x": {"min": 0.0, "max": 1.0}},
    }
    search = BayesSearch(config, parameters_of(config))
    _, y, in_flight, _ = search.observations([Run("busy", {"x": 0.7}, RUNNING, [{"loss": 2.0}, {"loss": 1.5}])])
    assert y.tolist() == [1.5] and len(in_flight) == 0


def test_categoricals_are_one_hot_and_log_scales_stay_log() -> None:
    cube = UnitCube(parameters_of(MIXED))
    x = cube.encode({"lr": 1e-3, "batch_size": 64, "layers": 2, "width": 32, "optimizer": {"beta": 0.8}, "epochs": 3})
    # lr: 1e-3 is a third of the way through 1e-4..1e-1 in log scale.
    assert x[0] == pytest.approx(1 / 3)
    assert x[1:5].tolist() == [0.0, 0.0, 1.0, 0.0]
    assert cube.width == 1 + 4 + 1 + 1 + 1


def test_the_kernel_has_one_length_scale_per_parameter_and_a_true_gradient() -> None:
    cube = UnitCube(parameters_of(MIXED))
    matern = bayes._kernel(cube).k1.k2
    assert len(matern.theta) == 5  # lr, batch_size (4 one-hot columns), layers, width, beta
    matern = matern.clone_with_theta(np.log([0.3, 0.7, 1.1, 0.5, 2.0]))
    X = cube.random(np.random.default_rng(0), 6)
    K, gradient = matern(X, eval_gradient=True)
    step = 1e-6
    for index in range(5):
        theta = matern.theta.copy()
        theta[index] += step
        numeric = (matern.clone_with_theta(theta)(X) - K) / step
        assert np.abs(numeric - gradient[:, :, index]).max() < 1e-4


def test_runs_in_flight_and_batches_get_different_suggestions() -> None:
    runs = drive(quadratic_config(), quadratic, 10, seed=2)
    batch = next_runs(quadratic_config(), runs, n=3, seed=7)
    points = np.array([[s.params["x"], s.params["y"]] for s in batch])
    distances = [np.linalg.norm(points[i] - points[j]) for i in range(3) for j in range(i)]
    assert min(distances) > 1e-3
    assert [s.info["runs_in_flight"] for s in batch] == [0, 1, 2]
    # The same holds across workers: the first suggestion, running, changes the next one.
    running = runs + [Run("busy", batch[0].params, RUNNING)]
    assert next_run(quadratic_config(), running, seed=7).params != batch[0].params


def test_a_discrete_space_is_not_repeated_while_unseen_points_remain() -> None:
    points = [("x", 1), ("x", 2), ("y", 1), ("y", 2), ("z", 1)]
    runs = [Run(f"r{i}", {"a": a, "b": b}, FINISHED, [{"loss": float(i)}]) for i, (a, b) in enumerate(points)]
    suggestion = next_run(DISCRETE, runs, seed=0)
    assert suggestion.params == {"a": "z", "b": 2}
    done = runs + [Run("last", suggestion.params, FINISHED, [{"loss": 9.0}])]
    repeat = next_run(DISCRETE, done, seed=0)
    assert repeat.info["repeat"] is True and "no unseen one is left" in repeat.reason


def test_reasons_say_which_phase_chose_the_point() -> None:
    first = next_run(quadratic_config(), [], seed=0)
    assert "space-filling" in first.reason and first.info["phase"] == "space-filling"
    later = next_run(quadratic_config(), drive(quadratic_config(), quadratic, 8, seed=0), seed=0)
    assert later.reason.startswith("bayes: expected improvement") and later.info["phase"] == "gp"
    assert math.isfinite(later.info["expected_improvement"])


def test_a_failed_gp_fit_is_said_not_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_fit(*args, **kwargs):
        raise np.linalg.LinAlgError("matrix is not positive definite")

    monkeypatch.setattr(bayes, "_fit", broken_fit)
    suggestion = next_run(quadratic_config(), drive(quadratic_config(), quadratic, 6, seed=0), seed=0)
    assert "GP fit failed" in suggestion.reason and "not positive definite" in suggestion.reason


def test_many_runs_are_fitted_on_a_subset_and_still_suggest() -> None:
    rng = np.random.default_rng(0)
    runs = []
    for index in range(260):
        params = {"x": float(rng.uniform(-2, 2)), "y": float(rng.uniform(-2, 2)), "kind": str(rng.choice(["a", "b", "c"]))}
        runs.append(Run(f"r{index}", params, FINISHED, [{"score": quadratic(params)}]))
    suggestion = next_run(quadratic_config(), runs, seed=0)
    assert suggestion.info["scored_runs"] == 260
    assert quadratic(suggestion.params) < 0.5
