"""The bundled sweep YAMLs are valid for W&B's own validator and for sweepkit."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
SWEEPS = sorted((REPO / "sweeps").glob("*.yaml"))
# Keys W&B's current schema documents that its `sweeps` 0.2.0 validator predates.
PREDATED_KEYS = ("run_cap", "early_terminate.strict")
# What train.py logs every epoch (see tests/test_train.py for the proof).
LOGGED = {"loss", "accuracy", "val_loss", "val_accuracy"}
STANDARD_COMMAND = ["${env}", "${interpreter}", "${program}", "${args}"]


def test_the_four_sweeps_are_there() -> None:
    assert [path.name for path in SWEEPS] == ["bayes-hyperband.yaml", "bayes.yaml", "grid.yaml", "random.yaml"]


@pytest.mark.parametrize("path", SWEEPS, ids=lambda p: p.name)
def test_valid_for_wandb(path: Path) -> None:
    from sweeps.config import schema_violations_from_proposed_config

    config = yaml.safe_load(path.read_text())
    for key in PREDATED_KEYS:
        *parents, leaf = key.split(".")
        section = config
        for parent in parents:
            section = section.get(parent, {})
        section.pop(leaf, None)
    assert schema_violations_from_proposed_config(config) == []


@pytest.mark.parametrize("path", SWEEPS, ids=lambda p: p.name)
def test_valid_for_sweepkit(path: Path) -> None:
    from sweepkit.config import load_config

    config = load_config(path)
    assert config["program"] == "train.py" and (REPO / config["program"]).is_file()
    assert config["metric"]["name"] in LOGGED
    assert config["command"] == STANDARD_COMMAND


@pytest.mark.parametrize("path", SWEEPS, ids=lambda p: p.name)
def test_parameters_are_train_py_hyperparameters(path: Path) -> None:
    from sweepkit.hyperparameters import HYPERPARAMETERS

    config = yaml.safe_load(path.read_text())
    assert set(config["parameters"]) <= set(HYPERPARAMETERS)


def test_grid_is_the_classic_27() -> None:
    import itertools

    config = yaml.safe_load((REPO / "sweeps" / "grid.yaml").read_text())
    varied = {name: spec["values"] for name, spec in config["parameters"].items() if "values" in spec}
    assert varied == {"lr": [1e-4, 1e-3, 1e-2], "batch_size": [32, 64, 128], "width": [64, 128, 256]}
    assert len(list(itertools.product(*varied.values()))) == 27


def test_hyperband_sweep_stops_early() -> None:
    config = yaml.safe_load((REPO / "sweeps" / "bayes-hyperband.yaml").read_text())
    assert config["early_terminate"]["type"] == "hyperband"
    assert config["early_terminate"]["strict"] is True  # explicit: W&B's schema and sweepkit default it differently
    assert config["method"] == "bayes"
