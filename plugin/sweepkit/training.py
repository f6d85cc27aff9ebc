"""One training run of ``train.py``: data, model, callbacks, k-fold, and the summary.

Kept apart from ``train.py`` so the program itself stays a short template, and
so tests can drive a run with the fake ``wandb``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from sweepkit.datasets import Dataset, load_dataset


@dataclass
class TrainResult:
    """What a run ends with: its summary, and the failure reason when it failed."""

    summary: dict[str, Any] = field(default_factory=dict)
    failure: str | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None


def seed_everything(seed: int) -> None:
    """Seeds Python, NumPy and the backend, and asks TensorFlow for deterministic ops.

    With both, the same seed on a CPU gives the same logged history.
    """
    import keras

    keras.utils.set_random_seed(seed)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


@dataclass
class _Fit:
    history: dict[str, list[float]]
    best_epoch: int
    stopped_epoch: int | None
    epochs_trained: int
    failure: str | None
    scores: dict[str, float]
    parameters: int


def _fit(hp: Mapping[str, Any], run: Any, x_train, y_train, x_val, y_val, data: Dataset, prefix: str) -> _Fit:
    import keras

    from sweepkit.callbacks import EpochLogger, NanGuard
    from sweepkit.models import build_mlp
    from sweepkit.optimization import learning_rate, make_optimizer

    model = build_mlp(data.input_dim, data.num_classes, layers=hp["layers"], width=hp["width"], dropout=hp["dropout"])
    steps_per_epoch = math.ceil(len(x_train) / hp["batch_size"])
    rate = learning_rate(
        hp["lr_schedule"],
        hp["lr"],
        steps_per_epoch=steps_per_epoch,
        epochs=hp["epochs"],
        warmup_epochs=hp["warmup_epochs"],
        decay_rate=hp["decay_rate"],
    )
    model.compile(
        optimizer=make_optimizer(hp["optimizer"], rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    nan_guard = NanGuard()
    callbacks: list[keras.callbacks.Callback] = [nan_guard, EpochLogger(run, samples_per_epoch=len(x_train), prefix=prefix)]
    early_stopping = None
    if hp["patience"] > 0:
        early_stopping = keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=hp["patience"], min_delta=hp["min_delta"], restore_best_weights=True
        )
        callbacks.append(early_stopping)
    history = model.fit(
        x_train,
        y_train,
        batch_size=hp["batch_size"],
        epochs=hp["epochs"],
        validation_data=(x_val, y_val),
        callbacks=callbacks,
        verbose=0,
    ).history
    val_losses = history.get("val_loss", [])
    finite = [(value, index) for index, value in enumerate(val_losses) if math.isfinite(value)]
    best_epoch = min(finite)[1] + 1 if finite else 0
    scores: dict[str, float] = {}
    if nan_guard.reason is None:
        # The weights the run ends with (the best epoch's when early stopping
        # restored them), scored once more on the validation data.
        scores["final_val_loss"] = float(model.evaluate(x_val, y_val, batch_size=max(256, hp["batch_size"]), verbose=0, return_dict=True)["loss"])
    if nan_guard.reason is None and data.x_test is not None:
        test = model.evaluate(data.x_test, data.y_test, batch_size=max(256, hp["batch_size"]), verbose=0, return_dict=True)
        scores |= {f"test_{key}": float(value) for key, value in test.items()}
    stopped = early_stopping.stopped_epoch + 1 if early_stopping is not None and early_stopping.stopped_epoch > 0 else None
    return _Fit(
        history=history,
        best_epoch=best_epoch,
        stopped_epoch=stopped,
        epochs_trained=len(history.get("loss", [])),
        failure=nan_guard.reason,
        scores=scores,
        parameters=model.count_params(),
    )


def _best(fit: _Fit, key: str) -> float:
    """The value of ``key`` at the fit's best epoch (lowest val_loss)."""
    return float(fit.history[key][fit.best_epoch - 1])


def train(hp: Mapping[str, Any], run: Any) -> TrainResult:
    """Trains with the checked hyperparameters ``hp``, logging every epoch to ``run``.

    With ``folds >= 2`` it runs stratified k-fold cross-validation on the training
    and validation data together: each fold logs its curve under ``fold_<k>/``, and
    ``val_loss``/``val_accuracy`` (the sweep's metric) are the means over folds of
    each fold's best epoch, logged once at the end with their ``_std``.
    """
    started = time.perf_counter()
    seed_everything(hp["seed"])
    data = load_dataset(hp["dataset"], val_split=hp["val_split"], seed=hp["seed"], subset=hp["subset"])
    summary: dict[str, Any] = {"train_samples": int(len(data.x_train)), "val_samples": int(len(data.x_val))}

    if hp["folds"] < 2:
        fit = _fit(hp, run, data.x_train, data.y_train, data.x_val, data.y_val, data, prefix="")
        fits = [fit]
        if fit.best_epoch:
            summary.update(
                best_val_loss=_best(fit, "val_loss"),
                best_val_accuracy=_best(fit, "val_accuracy"),
                best_epoch=fit.best_epoch,
                **fit.scores,
            )
    else:
        from sklearn.model_selection import StratifiedKFold

        x = np.concatenate([data.x_train, data.x_val])
        y = np.concatenate([data.y_train, data.y_val])
        splitter = StratifiedKFold(n_splits=hp["folds"], shuffle=True, random_state=hp["seed"])
        fits = []
        for fold, (train_index, val_index) in enumerate(splitter.split(x, y), start=1):
            fit = _fit(hp, run, x[train_index], y[train_index], x[val_index], y[val_index], data, prefix=f"fold_{fold}/")
            fits.append(fit)
            if fit.failure:
                fit.failure = f"fold {fold}: {fit.failure}"
                break
        if not any(fit.failure for fit in fits):
            row: dict[str, Any] = {}
            for key in ("val_loss", "val_accuracy"):
                values = np.array([_best(fit, key) for fit in fits])
                row[key] = float(values.mean())
                row[f"{key}_std"] = float(values.std())
            row["epoch"] = max(fit.epochs_trained for fit in fits)
            run.log(row)
            summary.update(row)
            summary.update(best_val_loss=row["val_loss"], best_val_accuracy=row["val_accuracy"], folds=len(fits))
            for key in fits[0].scores:
                summary[key] = float(np.mean([fit.scores[key] for fit in fits]))

    failure = next((fit.failure for fit in fits if fit.failure), None)
    summary.update(
        epochs_trained=sum(fit.epochs_trained for fit in fits),
        stopped_epoch=fits[-1].stopped_epoch,
        parameters=fits[0].parameters,
        train_seconds=time.perf_counter() - started,
    )
    if failure:
        summary["failure_reason"] = failure
    return TrainResult(summary=summary, failure=failure)
