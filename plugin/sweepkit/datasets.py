"""Data sets for ``train.py``: the bundled digits, Keras' downloads, or a user's ``.npz``.

Every loader returns float32 features scaled to [0, 1], flattened for an MLP,
and integer labels. Validation data is the ``.npz`` file's own split when it
has one, otherwise a stratified, seeded hold-out of the training data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sweepkit.hyperparameters import KERAS_DATASETS

NPZ_REQUIRED = ("x_train", "y_train")
NPZ_OPTIONAL_PAIRS = (("x_val", "y_val"), ("x_test", "y_test"))


class DatasetError(RuntimeError):
    """A data set that cannot be loaded; the message says why and what to do."""


@dataclass(frozen=True)
class Dataset:
    """Arrays ready for ``model.fit``; ``x_val``/``x_test`` may be None."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray | None
    y_val: np.ndarray | None
    x_test: np.ndarray | None
    y_test: np.ndarray | None
    num_classes: int

    @property
    def input_dim(self) -> int:
        return int(self.x_train.shape[1])


def _prepare(x: np.ndarray, scale: float) -> np.ndarray:
    return (np.asarray(x, dtype=np.float32) / scale).reshape(len(x), -1)


def _labels(y: np.ndarray) -> np.ndarray:
    return np.asarray(y).reshape(-1).astype(np.int64)


def _digits() -> dict[str, np.ndarray]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    # A fixed test split (seed 0), independent of the run's seed, so every run
    # of a sweep is scored on the same held-out images.
    x_train, x_test, y_train, y_test = train_test_split(
        digits.data, digits.target, test_size=0.2, random_state=0, stratify=digits.target
    )
    return {
        "x_train": _prepare(x_train, 16.0),
        "y_train": _labels(y_train),
        "x_test": _prepare(x_test, 16.0),
        "y_test": _labels(y_test),
    }


def _keras(name: str) -> dict[str, np.ndarray]:
    import keras

    try:
        (x_train, y_train), (x_test, y_test) = getattr(keras.datasets, name).load_data()
    except Exception as error:  # urllib, socket and SSL errors differ by platform
        raise DatasetError(
            f"could not download {name} through keras.datasets ({error}). "
            "Without a network use --dataset=digits (bundled) or --dataset=PATH.npz."
        ) from error
    return {
        "x_train": _prepare(x_train, 255.0),
        "y_train": _labels(y_train),
        "x_test": _prepare(x_test, 255.0),
        "y_test": _labels(y_test),
    }


def _npz(path: str) -> dict[str, np.ndarray]:
    if not Path(path).is_file():
        raise DatasetError(f"{path}: no such file")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except (OSError, ValueError) as error:
        raise DatasetError(f"{path}: not a readable .npz file ({error})") from error
    missing = [key for key in NPZ_REQUIRED if key not in arrays]
    for pair in NPZ_OPTIONAL_PAIRS:
        present = [key for key in pair if key in arrays]
        if len(present) == 1:
            missing.append(next(key for key in pair if key not in arrays))
    if missing:
        raise DatasetError(
            f"{path}: missing arrays {', '.join(missing)} "
            f"(has {', '.join(sorted(arrays)) or 'none'}; needs x_train and y_train, "
            "and x_val/y_val, x_test/y_test only as pairs)"
        )
    prepared: dict[str, np.ndarray] = {}
    for key, value in arrays.items():
        if key.startswith("x_"):
            x = np.asarray(value, dtype=np.float32)
            # Images stored as 0..255 bytes are scaled; anything else is taken as is.
            prepared[key] = _prepare(x, 255.0 if np.asarray(value).dtype == np.uint8 else 1.0)
        elif key.startswith("y_"):
            prepared[key] = _labels(value)
    for x_key, y_key in (("x_train", "y_train"), *NPZ_OPTIONAL_PAIRS):
        if x_key in prepared and len(prepared[x_key]) != len(prepared[y_key]):
            raise DatasetError(
                f"{path}: {x_key} has {len(prepared[x_key])} rows but {y_key} has {len(prepared[y_key])}"
            )
    return prepared


def load_dataset(name: str, *, val_split: float = 0.2, seed: int = 0, subset: int = 0) -> Dataset:
    """Loads a data set by name or ``.npz`` path and holds out validation data.

    Args:
        name: ``digits``, ``mnist``, ``fashion_mnist``, ``cifar10`` or a path to an ``.npz``
            with ``x_train``, ``y_train`` and optionally ``x_val``/``y_val``, ``x_test``/``y_test``.
        val_split: Fraction of the training data held out when there is no ``x_val``.
        seed: Seed of the hold-out split.
        subset: Keep only the first ``subset`` training samples (0 keeps all).
    """
    if name == "digits":
        arrays = _digits()
    elif name in KERAS_DATASETS:
        arrays = _keras(name)
    else:
        arrays = _npz(name)
    x_train, y_train = arrays["x_train"], arrays["y_train"]
    if subset:
        x_train, y_train = x_train[:subset], y_train[:subset]
    x_val, y_val = arrays.get("x_val"), arrays.get("y_val")
    if x_val is None:
        x_train, x_val, y_train, y_val = split_validation(x_train, y_train, val_split, seed)
    labels = [y for y in (y_train, y_val, arrays.get("y_test")) if y is not None]
    return Dataset(
        name=name,
        x_train=x_train,
        y_train=y_train,
        x_val=x_val,
        y_val=y_val,
        x_test=arrays.get("x_test"),
        y_test=arrays.get("y_test"),
        num_classes=int(max(int(y.max()) for y in labels if len(y)) + 1),
    )


def split_validation(
    x: np.ndarray, y: np.ndarray, val_split: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A seeded hold-out, stratified when every class has at least two samples."""
    from sklearn.model_selection import train_test_split

    counts = np.bincount(y)
    stratify = y if counts[counts > 0].min() >= 2 else None
    x_train, x_val, y_train, y_val = train_test_split(
        x, y, test_size=val_split, random_state=seed, stratify=stratify
    )
    return x_train, x_val, y_train, y_val
