"""Logs every epoch of a Keras fit to a W&B run, with ``epoch`` as the x-axis."""

from __future__ import annotations

import time
from typing import Any

import keras


def current_learning_rate(optimizer: Any) -> float:
    """The optimizer's learning rate now (schedules evaluated at the current step)."""
    return float(keras.ops.convert_to_numpy(optimizer.learning_rate))


class EpochLogger(keras.callbacks.Callback):
    """Logs Keras' epoch metrics plus the learning rate, epoch seconds and throughput.

    Each epoch becomes one W&B history row: ``epoch`` (1-based), every key Keras
    reports (``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``...), ``lr``,
    ``epoch_seconds`` and ``samples_per_second`` (when ``samples_per_epoch`` is
    known). ``epoch`` is declared as the step metric of every key, so W&B charts
    use it as the x-axis.

    Args:
        run: The W&B run to log to; None uses the run active when training starts.
        samples_per_epoch: Training samples per epoch, for ``samples_per_second``.
        prefix: Put before every key but ``epoch`` (``"fold_1/"`` for cross-validation).

    Example:
        >>> model.fit(x, y, epochs=10, callbacks=[EpochLogger(run, samples_per_epoch=len(x))])
    """

    def __init__(self, run: Any = None, *, samples_per_epoch: int | None = None, prefix: str = "") -> None:
        super().__init__()
        if samples_per_epoch is not None and samples_per_epoch <= 0:
            raise ValueError(f"samples_per_epoch={samples_per_epoch!r} must be a positive integer or None")
        self._run_given = run
        self.samples_per_epoch = samples_per_epoch
        self.prefix = prefix
        self.run: Any = None
        self._epoch_started = 0.0

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.run = self._run_given
        if self.run is None:
            import wandb

            self.run = wandb.run
        if self.run is None:
            raise RuntimeError("EpochLogger needs a W&B run: call wandb.init() before fit, or pass run=")
        self.run.define_metric("epoch")
        self.run.define_metric(f"{self.prefix}*", step_metric="epoch")

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._epoch_started = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        seconds = time.perf_counter() - self._epoch_started
        row: dict[str, Any] = {f"{self.prefix}{key}": float(value) for key, value in (logs or {}).items()}
        row[f"{self.prefix}lr"] = current_learning_rate(self.model.optimizer)
        row[f"{self.prefix}epoch_seconds"] = seconds
        if self.samples_per_epoch is not None and seconds > 0:
            row[f"{self.prefix}samples_per_second"] = self.samples_per_epoch / seconds
        row["epoch"] = epoch + 1
        self.run.log(row)
