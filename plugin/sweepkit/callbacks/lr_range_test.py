"""The learning-rate range test: grow the learning rate every batch and watch the loss.

Leslie Smith's test (as in fastai's ``lr_find``): starting tiny, the learning
rate is multiplied by the same factor after every batch until it reaches a
large value; the loss first barely moves, then falls, then blows up. The
learning rate where the smoothed loss falls fastest is a good one to train
with, and it narrows the range a sweep has to search.
"""

from __future__ import annotations

import math
from typing import Any

import keras


class LRRangeTest(keras.callbacks.Callback):
    """Sweeps the learning rate exponentially over a fit, records the loss, then puts the model back.

    The learning rate of batch ``i`` (0-based) is
    ``min_lr * (max_lr / min_lr) ** (i / (num_steps - 1))``. The loss is
    smoothed with an exponential moving average with bias correction
    (``smoothing`` is its decay). The test stops (``model.stop_training``)
    after ``num_steps`` batches, when the loss is not finite, or when the
    smoothed loss exceeds ``divergence`` times the best smoothed loss so far.

    The model's weights and the optimizer's variables (moments, iteration
    count, learning rate) are saved in ``on_train_begin`` and restored in
    ``on_train_end``, so the model trains afterwards as if the test never
    happened. The optimizer must have a constant learning rate (a schedule
    cannot be overridden per batch).

    Args:
        min_lr: The first learning rate.
        max_lr: The last learning rate.
        num_steps: Batches from ``min_lr`` to ``max_lr``.
        smoothing: Decay of the loss' moving average, in [0, 1).
        divergence: Stop once the smoothed loss is this many times its best.

    Attributes:
        lrs: The learning rate of each batch run.
        losses: Each batch's loss.
        smoothed_losses: The bias-corrected moving average after each batch.
        stop_reason: Why the test ended.

    Example:
        >>> test = LRRangeTest(num_steps=100)
        >>> model.fit(x, y, epochs=5, callbacks=[test])  # doctest: +SKIP
        >>> test.lrs[:2], test.smoothed_losses[:2]  # doctest: +SKIP
    """

    def __init__(
        self,
        min_lr: float = 1e-7,
        max_lr: float = 10.0,
        num_steps: int = 100,
        *,
        smoothing: float = 0.98,
        divergence: float = 4.0,
    ) -> None:
        super().__init__()
        if not (isinstance(min_lr, (int, float)) and min_lr > 0):
            raise ValueError(f"min_lr={min_lr!r} must be a positive number")
        if not (isinstance(max_lr, (int, float)) and max_lr > min_lr):
            raise ValueError(f"max_lr={max_lr!r} must be a number greater than min_lr={min_lr!r}")
        if isinstance(num_steps, bool) or not isinstance(num_steps, int) or num_steps < 2:
            raise ValueError(f"num_steps={num_steps!r} must be an integer of at least 2")
        if not (isinstance(smoothing, (int, float)) and 0 <= smoothing < 1):
            raise ValueError(f"smoothing={smoothing!r} must be in [0, 1)")
        if not (isinstance(divergence, (int, float)) and divergence > 1):
            raise ValueError(f"divergence={divergence!r} must be greater than 1 (4 is usual)")
        self.min_lr = float(min_lr)
        self.max_lr = float(max_lr)
        self.num_steps = num_steps
        self.smoothing = float(smoothing)
        self.divergence = float(divergence)
        self.lrs: list[float] = []
        self.losses: list[float] = []
        self.smoothed_losses: list[float] = []
        self.stop_reason: str | None = None
        self._average = 0.0
        self._best = math.inf
        self._saved_weights: list[Any] | None = None
        self._saved_optimizer: list[Any] | None = None
        self._saved_lr: float | None = None

    def lr_at(self, step: int) -> float:
        """The learning rate of batch ``step`` (0-based)."""
        return self.min_lr * (self.max_lr / self.min_lr) ** (step / (self.num_steps - 1))

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.lrs, self.losses, self.smoothed_losses = [], [], []
        self.stop_reason = None
        self._average = 0.0
        self._best = math.inf
        optimizer = self.model.optimizer
        if not optimizer.built:
            # Built now so its moments exist (as zeros) to be saved and restored.
            optimizer.build(self.model.trainable_variables)
        self._saved_weights = [keras.ops.convert_to_numpy(w).copy() for w in self.model.weights]
        self._saved_optimizer = [keras.ops.convert_to_numpy(v).copy() for v in optimizer.variables]
        self._saved_lr = float(keras.ops.convert_to_numpy(optimizer.learning_rate))

    def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        # Keras logs the mean loss since the epoch began; reset so the batch's own loss is logged.
        self.model.reset_metrics()
        try:
            self.model.optimizer.learning_rate = self.lr_at(len(self.lrs))
        except TypeError as error:
            raise TypeError(
                "LRRangeTest sets the learning rate every batch, so the optimizer needs a constant "
                f"learning rate, not a schedule ({error})"
            ) from error

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if not logs or "loss" not in logs:
            return
        step = len(self.lrs)
        loss = float(logs["loss"])
        self.lrs.append(self.lr_at(step))
        self.losses.append(loss)
        if not math.isfinite(loss):
            self.smoothed_losses.append(math.nan)
            self._stop(f"the loss became {loss} at learning rate {self.lrs[-1]:.3g}")
            return
        self._average = self.smoothing * self._average + (1 - self.smoothing) * loss
        smoothed = self._average / (1 - self.smoothing ** (step + 1))
        self.smoothed_losses.append(smoothed)
        self._best = min(self._best, smoothed)
        if smoothed > self.divergence * self._best:
            self._stop(
                f"the smoothed loss {smoothed:.4g} passed {self.divergence:g}x its best {self._best:.4g} "
                f"at learning rate {self.lrs[-1]:.3g}"
            )
        elif step + 1 >= self.num_steps:
            self._stop(f"reached max_lr={self.max_lr:g} after {self.num_steps} batches")

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self.stop_reason is None:
            self.stop_reason = (
                f"the fit ended after {len(self.lrs)} of {self.num_steps} batches "
                "(give more epochs or data to reach max_lr)"
            )
        self.restore()

    def restore(self) -> None:
        """Puts back the weights and optimizer state saved when the fit began (safe to call twice)."""
        if self._saved_weights is None:
            return
        for variable, value in zip(self.model.weights, self._saved_weights):
            variable.assign(value)
        optimizer = self.model.optimizer
        for variable, value in zip(optimizer.variables, self._saved_optimizer or []):
            variable.assign(value)
        optimizer.learning_rate = self._saved_lr
        self._saved_weights = None
        self._saved_optimizer = None

    def _stop(self, reason: str) -> None:
        self.stop_reason = reason
        self.model.stop_training = True
