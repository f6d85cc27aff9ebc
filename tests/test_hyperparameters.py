"""train.py's hyperparameters: spellings an agent passes, checks, and precedence."""

from __future__ import annotations

import pytest

from sweepkit.hyperparameters import (
    HYPERPARAMETERS,
    OPTIMIZERS,
    HyperparameterError,
    check,
    defaults,
    parse_args,
    project_of,
    resolve,
)


def test_defaults_are_the_published_ones() -> None:
    values = defaults()
    assert values["optimizer"] == "adam"
    assert values["lr"] == 1e-3
    assert values["batch_size"] == 32
    assert values["dropout"] == 0.1
    assert set(values) >= {"lr", "batch_size", "epochs", "layers", "width", "dropout"}


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["--lr=1e-3"], {"lr": 0.001}),
        (["--lr", "0.01"], {"lr": 0.01}),
        (["--batch_size=64", "--width", "256"], {"batch_size": 64, "width": 256}),
        (["--epochs=10.0"], {"epochs": 10}),  # an int that travelled as a float
        (["--optimizer=AdamW"], {"optimizer": "adamw"}),
        (["--dropout=0"], {"dropout": 0.0}),
        (["--layers=0"], {"layers": 0}),
    ],
)
def test_command_line_spellings(argv: list[str], expected: dict) -> None:
    assert parse_args(argv) == expected


def test_only_given_values_are_returned() -> None:
    assert parse_args([]) == {}


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["--optimizer=adm"], "adam, adamw, sgd, rmsprop"),
        (["--lr_schedule=cosine"], "constant, warmup_cosine, exponential"),
        (["--batch_size=0"], "batch_size: expected an integer >= 1"),
        (["--batch_size=True"], "batch_size: expected an integer"),
        (["--lr=None"], "lr: expected a number in (0, 10]"),
        (["--dropout=1"], "dropout: expected a number in [0, 1)"),
        (["--dataset=imagenet"], "digits, mnist, fashion_mnist, cifar10"),
        (["--dataset=missing.npz"], "no such file"),
        (["--lrr=0.1"], "did you mean lr?"),
        (["--projekt=x"], "; option: project"),
    ],
)
def test_bad_values_exit_2_with_the_valid_choices(argv: list[str], needle: str, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        parse_args(argv)
    assert exit_info.value.code == 2
    assert needle in capsys.readouterr().err


def test_unknown_parameter_lists_valid_ones() -> None:
    with pytest.raises(HyperparameterError) as error:
        check({"widht": 3})
    message = str(error.value)
    assert "did you mean width?" in message
    assert ", ".join(HYPERPARAMETERS) in message


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(HyperparameterError) as error:
        check({"lr": -1, "optimizer": "adagrad", "width": "wide"})
    message = str(error.value)
    assert "lr:" in message and "optimizer:" in message and "width:" in message
    assert all(name in message for name in OPTIMIZERS)


def test_sweep_values_win_over_the_command_line() -> None:
    cli = parse_args(["--lr=0.1", "--batch_size=16", "--epochs=3"])
    sweep = {"lr": 0.0003, "batch_size": 128, "_wandb": {"internal": True}}
    values = resolve(cli, sweep)
    assert values["lr"] == 0.0003  # both: the sweep wins
    assert values["batch_size"] == 128
    assert values["epochs"] == 3  # command line only
    assert values["width"] == defaults()["width"]  # neither: the default


def test_sweep_values_are_checked_too() -> None:
    with pytest.raises(HyperparameterError, match="optimizer"):
        resolve({}, {"optimizer": "nesterov"})


def test_project_option_is_not_a_hyperparameter() -> None:
    assert project_of(["--project=demo", "--lr=0.1"]) == "demo"
    assert parse_args(["--project=demo", "--lr=0.1"]) == {"lr": 0.1}
