"""The Keras callbacks, driven by scripted logs and a dummy model, plus one real fit."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from sweepkit.callbacks import EpochLogger, NanGuard  # noqa: E402


class RecordingRun:
    """The few run methods the epoch logger calls."""

    def __init__(self) -> None:
        self.rows: list[dict] = []
        self.metrics: list[tuple[str, dict]] = []

    def log(self, row: dict) -> None:
        self.rows.append(dict(row))

    def define_metric(self, name: str, **kwargs) -> None:
        self.metrics.append((name, kwargs))


def dummy_model(lr: float) -> SimpleNamespace:
    return SimpleNamespace(optimizer=SimpleNamespace(learning_rate=np.float32(lr)), stop_training=False)


def drive(callback, losses_per_epoch: list[list[float]], val_losses: list[float] | None = None) -> None:
    callback.on_train_begin()
    for epoch, losses in enumerate(losses_per_epoch):
        callback.on_epoch_begin(epoch)
        for batch, loss in enumerate(losses):
            callback.on_train_batch_end(batch, {"loss": loss})
            if callback.model.stop_training:
                break
        logs = {"loss": losses[-1]}
        if val_losses is not None:
            logs["val_loss"] = val_losses[epoch]
        callback.on_epoch_end(epoch, logs)
        if callback.model.stop_training:
            break
    callback.on_train_end()


def test_epoch_logger_logs_one_row_per_epoch() -> None:
    run = RecordingRun()
    logger = EpochLogger(run, samples_per_epoch=100)
    logger.set_model(dummy_model(0.01))
    drive(logger, [[1.0, 0.9], [0.8, 0.7]], val_losses=[0.95, 0.75])
    assert [row["epoch"] for row in run.rows] == [1, 2]
    assert [row["val_loss"] for row in run.rows] == [0.95, 0.75]
    assert all(row["lr"] == pytest.approx(0.01) for row in run.rows)
    assert all(row["samples_per_second"] == pytest.approx(100 / row["epoch_seconds"]) for row in run.rows)
    assert ("*", {"step_metric": "epoch"}) in run.metrics


def test_epoch_logger_prefix_keeps_epoch_plain() -> None:
    run = RecordingRun()
    logger = EpochLogger(run, prefix="fold_2/")
    logger.set_model(dummy_model(0.1))
    drive(logger, [[1.0]], val_losses=[0.5])
    (row,) = run.rows
    assert set(row) == {"epoch", "fold_2/loss", "fold_2/val_loss", "fold_2/lr", "fold_2/epoch_seconds"}
    assert ("fold_2/*", {"step_metric": "epoch"}) in run.metrics


def test_epoch_logger_uses_the_active_run(fake_wandb) -> None:
    fake_wandb.init(project="callbacks")
    logger = EpochLogger()
    logger.set_model(dummy_model(0.1))
    drive(logger, [[1.0]])
    (run,) = fake_wandb.runs
    assert run.history_of("loss") == [1.0]


def test_epoch_logger_without_a_run_says_what_to_do(fake_wandb) -> None:
    logger = EpochLogger()
    logger.set_model(dummy_model(0.1))
    with pytest.raises(RuntimeError, match="wandb.init"):
        logger.on_train_begin()


def test_epoch_logger_rejects_a_bad_sample_count() -> None:
    with pytest.raises(ValueError, match="samples_per_epoch=0"):
        EpochLogger(RecordingRun(), samples_per_epoch=0)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_nan_guard_stops_at_the_first_bad_batch(bad: float) -> None:
    guard = NanGuard()
    guard.set_model(dummy_model(0.1))
    drive(guard, [[1.0, 0.9], [0.8, bad, 0.5]])
    assert guard.tripped and guard.model.stop_training
    assert (guard.epoch, guard.batch) == (2, 2)
    assert str(bad) in guard.reason


def test_nan_guard_leaves_finite_losses_alone() -> None:
    guard = NanGuard()
    guard.set_model(dummy_model(0.1))
    drive(guard, [[1.0, 0.9], [0.8, 0.7]])
    assert not guard.tripped and not guard.model.stop_training


def test_nan_guard_resets_between_fits() -> None:
    guard = NanGuard()
    guard.set_model(dummy_model(0.1))
    drive(guard, [[math.nan]])
    assert guard.tripped
    guard.model.stop_training = False
    drive(guard, [[1.0]])
    assert not guard.tripped and guard.reason is None


def test_real_fit_logs_and_guards() -> None:
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    run, guard = RecordingRun(), NanGuard()
    model.fit(x, y, epochs=3, batch_size=16, validation_split=0.25, verbose=0,
              callbacks=[guard, EpochLogger(run, samples_per_epoch=48)])
    assert [row["epoch"] for row in run.rows] == [1, 2, 3]
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "lr"} <= set(run.rows[0])
    assert not guard.tripped
    # Poison the data: the guard ends the next fit in its first batch.
    model.fit(np.full_like(x, np.nan), y, epochs=3, batch_size=16, verbose=0, callbacks=[guard])
    assert guard.tripped and (guard.epoch, guard.batch) == (1, 1)


def test_callbacks_do_not_import_tensorflow() -> None:
    import ast
    from pathlib import Path

    import sweepkit.callbacks

    for path in Path(sweepkit.callbacks.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text())
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        assert not any(name.split(".")[0] == "tensorflow" for name in imported), path
