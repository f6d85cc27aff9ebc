"""Stops training at the first batch whose loss is NaN or infinite, and says why."""

from __future__ import annotations

import math
from typing import Any

import keras


class NanGuard(keras.callbacks.Callback):
    """Ends a fit as soon as the training loss stops being a finite number.

    Unlike Keras' ``TerminateOnNaN`` it keeps the reason (``reason``, also the
    epoch and batch) so the caller can mark the W&B run as failed with it. A
    learning rate that is too high is the usual cause.

    Attributes:
        reason: None while the loss is finite, else one readable line.
        epoch: 1-based epoch of the bad batch, or None.
        batch: 1-based batch of the bad loss, or None.
    """

    def __init__(self, monitor: str = "loss") -> None:
        super().__init__()
        self.monitor = monitor
        self.reason: str | None = None
        self.epoch: int | None = None
        self.batch: int | None = None
        self._current_epoch = 0

    @property
    def tripped(self) -> bool:
        return self.reason is not None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.reason = None
        self.epoch = None
        self.batch = None
        self._current_epoch = 0

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._current_epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if not logs or self.monitor not in logs:
            return
        value = float(logs[self.monitor])
        if math.isfinite(value):
            return
        self.epoch = self._current_epoch + 1
        self.batch = batch + 1
        self.reason = (
            f"{self.monitor} became {value} at epoch {self.epoch}, batch {self.batch}; "
            "the learning rate is probably too high"
        )
        self.model.stop_training = True
