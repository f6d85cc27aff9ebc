"""The learning-rate range test: the callback (scripted losses and a real fit), suggestions, the plot, W&B logging, the narrowed sweep, the command."""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path

import keras
import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from sweepkit import hyperparameters
from sweepkit.callbacks import LRRangeTest
from sweepkit.cli import main
from sweepkit.config import load_config
from sweepkit.lr_finder import (
    LRFindResult,
    SweepEditError,
    draw_lr_curve,
    lr_find,
    narrow_sweep_text,
    narrowed_spec,
    suggest_learning_rates,
    write_narrowed_sweep,
)
from sweepkit.report.plots import PNG_SIZE

REPO = Path(__file__).resolve().parent.parent


def tiny_model(optimizer: str = "adam") -> keras.Model:
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    return model


def drive(test: LRRangeTest, model: keras.Model, losses: list[float]) -> None:
    """Feeds scripted batch losses to the callback as a fit would, until it stops the fit."""
    test.set_model(model)
    model.stop_training = False
    test.on_train_begin()
    for batch, loss in enumerate(losses):
        test.on_train_batch_begin(batch)
        test.on_train_batch_end(batch, {"loss": loss})
        if model.stop_training:
            break
    test.on_train_end()


def test_the_learning_rate_grows_exponentially_and_the_loss_is_smoothed_with_bias_correction():
    model = tiny_model()
    test = LRRangeTest(min_lr=1e-4, max_lr=1.0, num_steps=5, smoothing=0.9)

    drive(test, model, [2.0, 1.0, 1.5, 1.2, 1.1, 9.9])

    assert test.lrs == pytest.approx([1e-4, 1e-3, 1e-2, 1e-1, 1.0])
    first = 2.0
    second = (0.9 * 0.1 * 2.0 + 0.1 * 1.0) / (1 - 0.9**2)
    assert test.smoothed_losses[:2] == pytest.approx([first, second])
    assert len(test.losses) == 5 and "reached max_lr=1" in test.stop_reason


def test_the_test_stops_once_the_smoothed_loss_passes_4x_its_best():
    test = LRRangeTest(num_steps=100, smoothing=0.0)  # no smoothing: the scripted losses are the curve

    drive(test, tiny_model(), [1.0, 0.5, 1.9, 2.1, 3.0])

    assert test.losses == [1.0, 0.5, 1.9, 2.1]
    assert "passed 4x its best 0.5" in test.stop_reason


def test_the_test_stops_at_a_nan_loss():
    test = LRRangeTest(num_steps=100)

    drive(test, tiny_model(), [1.0, 0.9, float("nan"), 0.8])

    assert len(test.losses) == 3 and math.isnan(test.smoothed_losses[-1])
    assert "loss became nan" in test.stop_reason


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"min_lr": 0}, "min_lr=0"),
        ({"max_lr": 1e-8}, "max_lr=1e-08"),
        ({"num_steps": 1}, "num_steps=1"),
        ({"smoothing": 1.0}, "smoothing=1.0"),
        ({"divergence": 1}, "divergence=1"),
    ],
)
def test_bad_arguments_are_echoed(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LRRangeTest(**kwargs)


def test_a_real_fit_leaves_the_weights_and_optimizer_state_as_they_were():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(256, 4)).astype("float32"), rng.integers(0, 3, size=256)
    model = tiny_model()
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)  # the optimizer now has moments and a step count
    weights = [keras.ops.convert_to_numpy(w).copy() for w in model.weights]
    optimizer_state = [keras.ops.convert_to_numpy(v).copy() for v in model.optimizer.variables]
    lr = float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
    test = LRRangeTest(min_lr=1e-5, max_lr=1.0, num_steps=20)

    model.fit(x, y, batch_size=32, epochs=3, callbacks=[test], verbose=0)

    assert len(test.lrs) == 20 and test.lrs[-1] == pytest.approx(1.0)
    assert len(set(np.round(test.losses, 6))) > 10  # per-batch losses, not one epoch mean
    for before, after in zip(weights, model.weights, strict=True):
        np.testing.assert_array_equal(before, keras.ops.convert_to_numpy(after))
    for before, after in zip(optimizer_state, model.optimizer.variables, strict=True):
        np.testing.assert_array_equal(before, keras.ops.convert_to_numpy(after))
    assert float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)) == pytest.approx(lr)


def test_a_learning_rate_schedule_is_refused_with_a_reason():
    schedule = keras.optimizers.schedules.ExponentialDecay(0.01, decay_steps=10, decay_rate=0.9)
    model = tiny_model(optimizer=keras.optimizers.SGD(learning_rate=schedule))
    test = LRRangeTest()
    test.set_model(model)
    test.on_train_begin()

    with pytest.raises(TypeError, match="constant learning rate"):
        test.on_train_batch_begin(0)


# -- suggestions and plot ------------------------------------------------------------------


def test_suggestions_find_the_steepest_descent_and_the_minimum():
    lrs = list(np.logspace(-7, 1, 81))  # 10 points per decade
    log_lr = np.log10(lrs)
    # Falls fastest at 1e-3, lowest at 1e-1 (then rises).
    smoothed = list(2.0 - np.tanh(2 * (log_lr + 3)) + np.where(log_lr > -1, 5 * (log_lr + 1) ** 2, 0.0))
    lowest = int(np.argmin(smoothed))

    steepest, over_10, at_minimum = suggest_learning_rates(lrs, smoothed)

    assert steepest == pytest.approx(1e-3)
    assert at_minimum == pytest.approx(lrs[lowest]) and over_10 == pytest.approx(lrs[lowest] / 10)
    assert 1e-2 < at_minimum < 1.0


def test_a_curve_that_never_falls_has_no_steepest_point():
    assert suggest_learning_rates([1e-5, 1e-4, 1e-3], [1.0, 2.0, 3.0]) == (None, pytest.approx(1e-6), 1e-5)
    assert suggest_learning_rates([], []) == (None, None, None)


def test_the_plot_is_a_png_of_the_report_size(tmp_path):
    lrs = list(np.logspace(-7, 1, 50))
    result = LRFindResult(tuple(lrs), tuple([1.0] * 50), tuple(np.linspace(2, 1, 50)), 1e-3, 1e-2, 1e-1, "done")

    path = draw_lr_curve(result, tmp_path / "lr.png")

    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", data[16:24]) == PNG_SIZE


# -- narrowing a sweep ----------------------------------------------------------------------


def test_narrowing_bayes_yaml_changes_only_the_lr_block(tmp_path):
    original = (REPO / "sweeps" / "bayes.yaml").read_text()

    spec = write_narrowed_sweep(REPO / "sweeps" / "bayes.yaml", tmp_path / "narrow.yaml", 3e-3)

    written = (tmp_path / "narrow.yaml").read_text()
    assert spec == {"distribution": "log_uniform_values", "min": 3e-4, "max": 3e-2}
    config = load_config(tmp_path / "narrow.yaml")
    assert config["parameters"]["lr"] == spec
    assert {k: v for k, v in config.items() if k != "parameters"} == {k: v for k, v in load_config(REPO / "sweeps" / "bayes.yaml").items() if k != "parameters"}
    before, after = original.splitlines(), written.splitlines()
    start = before.index("  lr:")
    assert after.index(next(line for line in after if line.startswith("  lr:"))) == start
    assert before[:start] + before[start + 4 :] == after[:start] + after[start + 4 :]  # every other line, comments too
    assert written.startswith("# Bayesian search")  # comments kept


@pytest.mark.parametrize(
    "spec, expected",
    [
        ({"distribution": "log_uniform", "min": -11.5, "max": -2.3}, {"distribution": "log_uniform_values", "min": 1e-3, "max": 0.1}),
        ({"distribution": "q_log_uniform_values", "min": 1e-5, "max": 1.0, "q": 1e-5}, {"distribution": "q_log_uniform_values", "min": 1e-3, "max": 0.1, "q": 1e-5}),
        ({"values": [1e-4, 1e-3, 3e-3, 0.05, 0.5]}, {"values": [1e-3, 3e-3, 0.05]}),
        ({"values": [1e-5, 1.0]}, {"values": [1e-3, 3.2e-3, 1e-2, 3.2e-2, 0.1]}),
    ],
)
def test_narrowed_specs_per_distribution(spec, expected):
    assert narrowed_spec(spec, 1e-2) == expected


def test_narrowing_never_reaches_past_the_old_range():
    spec = {"distribution": "log_uniform_values", "min": 1e-5, "max": 0.1}

    assert narrowed_spec(spec, 1.48e-2) == {"distribution": "log_uniform_values", "min": 1.48e-3, "max": 0.1}
    assert narrowed_spec({"distribution": "inv_log_uniform", "min": 2.3, "max": 11.5}, 2e-5)["min"] == pytest.approx(1.0130e-5, rel=1e-3)
    assert narrowed_spec({"values": [1e-4, 1e-3]}, 1e-4) == {"values": [1e-4, 1e-3]}
    with pytest.raises(SweepEditError, match=r"more than 1 decade\(s\) outside the sweep's range 1e-05..0.1"):
        narrowed_spec(spec, 3.0)


def test_a_constant_lr_cannot_be_narrowed():
    with pytest.raises(SweepEditError, match="constant"):
        narrowed_spec({"value": 0.01}, 1e-2)
    with pytest.raises(SweepEditError, match="no parameter 'lr'"):
        narrow_sweep_text("method: grid\nparameters:\n  x:\n    values: [1]\n", 1e-2)


def test_a_flow_style_lr_and_a_values_list_stay_valid_yaml():
    text = "method: random\nparameters:\n  lr: {values: [0.0001, 0.001, 0.01]}  # three\n  x:\n    values: [1, 2]\n"

    new_text, spec = narrow_sweep_text(text, 1e-3)

    assert spec == {"values": [0.0001, 0.001, 0.01]}
    assert yaml.safe_load(new_text)["parameters"] == {"lr": spec, "x": {"values": [1, 2]}}


# -- W&B logging and the command -----------------------------------------------------------


def test_lr_find_logs_the_plot_and_the_curve_to_an_active_run(fake_wandb, tmp_path):
    run = fake_wandb.init(project="lr")
    hp = hyperparameters.resolve({"subset": 300, "batch_size": 32, "width": 16}, {})

    result = lr_find(hp, num_steps=12, png=tmp_path / "lr.png")

    (recorded,) = fake_wandb.runs
    (row,) = recorded.history
    assert isinstance(row["lr_find/plot"], fake_wandb.Image)
    table = row["lr_find/curve"]
    assert table.columns == ["lr", "loss", "smoothed_loss"] and len(table.data) == len(result.lrs) == 12
    assert recorded.summary["lr_find/min_lr_over_10"] == result.min_lr_over_10
    assert recorded.id == run.id


def test_lr_find_command_takes_train_py_arguments_and_writes_the_sweep(tmp_path):
    args = ["lr-find", "--dataset=digits", "--batch_size=64", "--layers=2", "--subset=400", "--steps", "30"]
    args += ["--png", str(tmp_path / "lr.png"), "--write-sweep", str(REPO / "sweeps" / "bayes.yaml"), "--out", str(tmp_path / "b.yaml"), "--json"]

    result = CliRunner().invoke(main, args)

    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert len(data["lrs"]) <= 30 and data["suggested_lr"] > 0
    lr = load_config(tmp_path / "b.yaml")["parameters"]["lr"]
    assert lr["min"] == pytest.approx(float(f"{data['suggested_lr'] / 10:.3g}"))
    assert (tmp_path / "lr.png").exists()


def test_lr_find_command_rejects_a_bad_train_argument():
    result = CliRunner().invoke(main, ["lr-find", "--optimizr=adam"])

    assert result.exit_code == 2 and "did you mean optimizer" in result.output
