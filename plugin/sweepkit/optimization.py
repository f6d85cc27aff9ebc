"""Optimizers and learning-rate schedules built from the sweep's hyperparameters."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import keras


def learning_rate(
    schedule: str,
    lr: float,
    *,
    steps_per_epoch: int,
    epochs: int,
    warmup_epochs: int = 0,
    decay_rate: float = 0.9,
) -> "float | keras.optimizers.schedules.LearningRateSchedule":
    """The learning rate for an optimizer: a constant, or a schedule stepped per batch.

    Args:
        schedule: ``constant``; ``warmup_cosine`` (linear warmup from 0 to ``lr`` over
            ``warmup_epochs``, then cosine decay to 0 at the last epoch); ``exponential``
            (multiplied by ``decay_rate`` once per epoch, smoothly).
        lr: The peak learning rate.
    """
    import keras

    if schedule == "constant":
        return lr
    total_steps = max(1, steps_per_epoch * epochs)
    if schedule == "warmup_cosine":
        warmup_steps = min(total_steps - 1, steps_per_epoch * warmup_epochs)
        if warmup_steps <= 0:
            return keras.optimizers.schedules.CosineDecay(lr, decay_steps=total_steps)
        return keras.optimizers.schedules.CosineDecay(
            0.0,
            decay_steps=total_steps - warmup_steps,
            warmup_target=lr,
            warmup_steps=warmup_steps,
        )
    if schedule == "exponential":
        return keras.optimizers.schedules.ExponentialDecay(
            lr, decay_steps=max(1, steps_per_epoch), decay_rate=decay_rate
        )
    raise ValueError(f"lr_schedule={schedule!r} is not one of constant, warmup_cosine, exponential")


def make_optimizer(name: str, rate: "float | keras.optimizers.schedules.LearningRateSchedule") -> "keras.optimizers.Optimizer":
    """One of ``adam``, ``adamw``, ``sgd`` (with momentum 0.9) and ``rmsprop``."""
    import keras

    factories = {
        "adam": lambda: keras.optimizers.Adam(learning_rate=rate),
        "adamw": lambda: keras.optimizers.AdamW(learning_rate=rate),
        "sgd": lambda: keras.optimizers.SGD(learning_rate=rate, momentum=0.9),
        "rmsprop": lambda: keras.optimizers.RMSprop(learning_rate=rate),
    }
    if name not in factories:
        raise ValueError(f"optimizer={name!r} is not one of {', '.join(factories)}")
    return factories[name]()
