"""The hyperparameters ``train.py`` understands, their defaults and their checks.

Values arrive from two places: the command line (``--lr=1e-3`` or ``--lr 1e-3``,
with Python spellings such as ``True``, ``False``, ``None``, as ``wandb agent``
writes them) and the sweep's parameter file, which ``wandb.init()`` loads into
``run.config``. When both give a value, the sweep's value wins: it is what the
sweep controller decided for this run, and W&B records it as the run's config.

Example:
    >>> cli = parse_args(["--lr=1e-3", "--batch_size", "64"])
    >>> resolve(cli, sweep={"batch_size": 128})["batch_size"]
    128
"""

from __future__ import annotations

import argparse
import ast
import difflib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop")
LR_SCHEDULES = ("constant", "warmup_cosine", "exponential")
KERAS_DATASETS = ("mnist", "fashion_mnist", "cifar10")
DATASETS = ("digits", *KERAS_DATASETS)


class HyperparameterError(ValueError):
    """A value that ``train.py`` cannot use; the message says what to write instead."""


def _literal(raw: Any) -> Any:
    """Turns a command-line string into the Python value it spells (``1e-3``, ``True``, ``None``)."""
    if not isinstance(raw, str):
        return raw
    try:
        return ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        return raw


def _int(name: str, minimum: int) -> Callable[[Any], int]:
    def convert(raw: Any) -> int:
        value = _literal(raw)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise HyperparameterError(
                f"{name}: expected an integer >= {minimum}, got {raw!r}"
            )
        return value

    return convert


def _float(name: str, low: float, high: float, *, low_open: bool, high_open: bool) -> Callable[[Any], float]:
    def convert(raw: Any) -> float:
        value = _literal(raw)
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        if ok:
            value = float(value)
            ok = (value > low if low_open else value >= low) and (value < high if high_open else value <= high)
        if not ok:
            interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
            raise HyperparameterError(f"{name}: expected a number in {interval}, got {raw!r}")
        return value

    return convert


def _choice(name: str, choices: Sequence[str]) -> Callable[[Any], str]:
    def convert(raw: Any) -> str:
        value = str(raw).strip().lower()
        if value not in choices:
            raise HyperparameterError(
                f"{name}: {raw!r} is not one of {', '.join(choices)}"
            )
        return value

    return convert


def _dataset(raw: Any) -> str:
    value = str(raw)
    if value in DATASETS:
        return value
    if value.endswith(".npz"):
        if not Path(value).is_file():
            raise HyperparameterError(f"dataset: no such file {value!r}")
        return value
    raise HyperparameterError(
        f"dataset: {raw!r} is not one of {', '.join(DATASETS)} nor a path to an .npz file"
    )


@dataclass(frozen=True)
class Hyperparameter:
    """One knob of ``train.py``: its default, how a raw value is checked, and its help."""

    name: str
    default: Any
    convert: Callable[[Any], Any]
    help: str


HYPERPARAMETERS: dict[str, Hyperparameter] = {
    h.name: h
    for h in (
        Hyperparameter("lr", 1e-3, _float("lr", 0, 10, low_open=True, high_open=False), "learning rate (peak rate with a schedule)"),
        Hyperparameter("batch_size", 32, _int("batch_size", 1), "samples per gradient step"),
        Hyperparameter("epochs", 20, _int("epochs", 1), "maximum number of epochs"),
        Hyperparameter("layers", 2, _int("layers", 0), "hidden layers (0: a linear classifier)"),
        Hyperparameter("width", 128, _int("width", 1), "units per hidden layer"),
        Hyperparameter("dropout", 0.1, _float("dropout", 0, 1, low_open=False, high_open=True), "dropout rate after each hidden layer"),
        Hyperparameter("optimizer", "adam", _choice("optimizer", OPTIMIZERS), "one of " + ", ".join(OPTIMIZERS)),
        Hyperparameter("lr_schedule", "constant", _choice("lr_schedule", LR_SCHEDULES), "one of " + ", ".join(LR_SCHEDULES)),
        Hyperparameter("warmup_epochs", 1, _int("warmup_epochs", 0), "linear warmup length for warmup_cosine"),
        Hyperparameter("decay_rate", 0.9, _float("decay_rate", 0, 1, low_open=True, high_open=False), "per-epoch factor for the exponential schedule"),
        Hyperparameter("patience", 5, _int("patience", 0), "epochs without val_loss improvement before stopping (0: never stop early)"),
        Hyperparameter("min_delta", 0.0, _float("min_delta", 0, math.inf, low_open=False, high_open=True), "smallest val_loss decrease that counts as improvement"),
        Hyperparameter("seed", 0, _int("seed", 0), "seed for data splits, initialisation and shuffling"),
        Hyperparameter("dataset", "digits", _dataset, "digits (bundled), mnist, fashion_mnist, cifar10 (download), or a path to an .npz"),
        Hyperparameter("val_split", 0.2, _float("val_split", 0, 1, low_open=True, high_open=True), "fraction of the training data held out for validation"),
        Hyperparameter("folds", 1, _int("folds", 1), "k-fold cross-validation when >= 2"),
        Hyperparameter("subset", 0, _int("subset", 0), "use only the first N training samples (0: all)"),
    )
}


def defaults() -> dict[str, Any]:
    """Every hyperparameter at its default value."""
    return {name: h.default for name, h in HYPERPARAMETERS.items()}


def _unknown(name: str) -> HyperparameterError:
    close = difflib.get_close_matches(name, HYPERPARAMETERS, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return HyperparameterError(
        f"unknown parameter {name!r}{hint}; valid parameters: {', '.join(HYPERPARAMETERS)}"
    )


def check(values: Mapping[str, Any]) -> dict[str, Any]:
    """Converts and checks values; raises one error that lists every problem.

    Keys that start with ``_`` (W&B's own bookkeeping) are ignored.
    """
    checked: dict[str, Any] = {}
    problems: list[str] = []
    for name, raw in values.items():
        if name.startswith("_"):
            continue
        if name not in HYPERPARAMETERS:
            problems.append(str(_unknown(name)))
            continue
        try:
            checked[name] = HYPERPARAMETERS[name].convert(raw)
        except HyperparameterError as error:
            problems.append(str(error))
    if problems:
        raise HyperparameterError("; ".join(problems))
    return checked


class _ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own errors also exit with code 2
        unknown = message.partition("unrecognized arguments: ")[2]
        if unknown:
            names = [arg.lstrip("-").split("=")[0] for arg in unknown.split() if arg.startswith("--")]
            if names:
                message = f"{_unknown(names[0])}; option: project"
        super().error(message)


def build_parser(prog: str = "train.py") -> argparse.ArgumentParser:
    """The command-line parser; values stay raw strings until :func:`check`."""
    parser = _ArgumentParser(
        prog=prog,
        description="Train a Keras MLP and log every epoch to W&B. "
        "Under a sweep, the sweep's values (wandb.config) win over the command line.",
        allow_abbrev=False,
    )
    for h in HYPERPARAMETERS.values():
        parser.add_argument(f"--{h.name}", default=argparse.SUPPRESS, help=f"{h.help} (default: {h.default})")
    parser.add_argument("--project", default="sweepkit", help="W&B project (ignored inside a sweep)")
    return parser


def parse_args(argv: Sequence[str] | None = None, prog: str = "train.py") -> dict[str, Any]:
    """Parses ``--name=value`` / ``--name value``; returns only the values given.

    Exits with code 2 and a message listing the valid choices on a bad value.
    """
    parser = build_parser(prog)
    given = vars(parser.parse_args(argv))
    given.pop("project")
    try:
        return check(given)
    except HyperparameterError as error:
        parser.error(str(error))
    raise AssertionError("unreachable")  # parser.error exits


def project_of(argv: Sequence[str] | None = None) -> str:
    """The ``--project`` option of the command line."""
    namespace, _ = build_parser().parse_known_args(argv)
    return namespace.project


def resolve(cli: Mapping[str, Any], sweep: Mapping[str, Any]) -> dict[str, Any]:
    """Defaults, overridden by the command line, overridden by the sweep's values."""
    return {**defaults(), **check(cli), **check(sweep)}
