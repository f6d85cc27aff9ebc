"""train.py end to end: logging, precedence, failures, early stopping, k-fold, determinism.

Most tests drive ``train.main`` in-process under the fake ``wandb`` (fast); the
contract tests run the real program under real wandb in offline mode and read
its transaction log back.
"""

from __future__ import annotations

import importlib.util
import math
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
SMALL = ["--subset=300", "--epochs=3", "--patience=0"]
EPOCH_KEYS = {"epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr", "epoch_seconds", "samples_per_second"}
TIMING_KEYS = {"epoch_seconds", "samples_per_second", "_runtime", "_timestamp"}


def load_train() -> ModuleType:
    """A fresh import of train.py, so its ``import wandb`` sees the fake when one is installed."""
    spec = importlib.util.spec_from_file_location("train_under_test", REPO / "train.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_train(argv: list[str]) -> int:
    return load_train().main(argv)


def without_timing(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in row.items() if k not in TIMING_KEYS and not k.startswith("_")} for row in rows]


def write_param_file(directory: Path, values: dict, monkeypatch) -> Path:
    path = directory / "wandb" / "sweep-abc123" / "config-run1.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(yaml.safe_dump({"wandb_version": 1, **{k: {"value": v} for k, v in values.items()}}))
    monkeypatch.setenv("WANDB_SWEEP_ID", "abc123")
    monkeypatch.setenv("WANDB_RUN_ID", "run1")
    monkeypatch.setenv("WANDB_SWEEP_PARAM_PATH", str(path))
    return path


def test_every_epoch_is_logged_with_epoch_as_x_axis(fake_wandb) -> None:
    assert run_train([*SMALL, "--seed=1"]) == 0
    (run,) = fake_wandb.runs
    assert [row["epoch"] for row in run.history] == [1, 2, 3]
    for row in run.history:
        assert EPOCH_KEYS <= set(row)
        assert 0 <= row["val_accuracy"] <= 1 and row["samples_per_second"] > 0
        assert row["lr"] == pytest.approx(1e-3)
    summary = run.summary
    assert summary["best_val_loss"] == min(row["val_loss"] for row in run.history)
    best = min(run.history, key=lambda row: row["val_loss"])
    assert summary["best_epoch"] == best["epoch"]
    assert summary["best_val_accuracy"] == best["val_accuracy"]
    assert summary["epochs_trained"] == 3 and summary["stopped_epoch"] is None
    assert summary["parameters"] > 0 and summary["train_seconds"] > 0
    assert 0 <= summary["test_accuracy"] <= 1 and "test_loss" in summary
    assert run.exit_code == 0
    assert run.config["lr"] == 1e-3 and run.config["seed"] == 1 and run.config["optimizer"] == "adam"


def test_sweep_values_win_over_the_command_line(fake_wandb, tmp_path, monkeypatch) -> None:
    write_param_file(tmp_path, {"epochs": 2, "lr": 0.002, "width": 32}, monkeypatch)
    assert run_train(["--subset=300", "--patience=0", "--epochs=4", "--lr=0.1"]) == 0
    (run,) = fake_wandb.runs
    assert len(run.history) == 2  # epochs from the sweep, not 4 from the command line
    assert run.config["lr"] == 0.002 and run.config["width"] == 32
    assert run.history[0]["lr"] == pytest.approx(0.002)
    assert run.config["subset"] == 300  # only on the command line: kept


def test_bad_sweep_value_fails_the_run_with_exit_2(fake_wandb, tmp_path, monkeypatch, capsys) -> None:
    write_param_file(tmp_path, {"optimizer": "nesterov"}, monkeypatch)
    assert run_train(SMALL) == 2
    assert "adam, adamw, sgd, rmsprop" in capsys.readouterr().err
    (run,) = fake_wandb.runs
    assert run.exit_code == 2 and "optimizer" in run.summary["failure_reason"]


def test_nan_loss_stops_at_once_and_fails_the_run(fake_wandb, capsys) -> None:
    argv = ["--subset=300", "--epochs=5", "--lr=10", "--optimizer=sgd", "--layers=4", "--width=256", "--dropout=0"]
    assert run_train(argv) == 1
    (run,) = fake_wandb.runs
    assert run.exit_code == 1
    assert "loss became nan" in run.summary["failure_reason"]
    assert run.summary["epochs_trained"] == 1  # stopped inside the first epoch
    assert "learning rate" in capsys.readouterr().err


def test_early_stopping_restores_the_best_weights(fake_wandb, capsys) -> None:
    assert run_train(["--subset=300", "--epochs=30", "--lr=0.05", "--patience=2", "--width=256"]) == 0
    (run,) = fake_wandb.runs
    summary = run.summary
    # The last line names the epoch its numbers come from: the lowest val_loss, not each metric's own best.
    assert capsys.readouterr().out.splitlines()[-1].startswith(
        f"at the lowest val_loss (epoch {summary['best_epoch']}): val_loss {summary['best_val_loss']:.4f}, "
        f"val_accuracy {summary['best_val_accuracy']:.4f}; "
    )
    val_losses = [row["val_loss"] for row in run.history]
    assert summary["stopped_epoch"] == len(val_losses) < 30
    assert summary["best_epoch"] == int(np.argmin(val_losses)) + 1 < summary["stopped_epoch"]
    # The model the run ends with scores the best epoch's val_loss, not the last one's.
    assert summary["final_val_loss"] == pytest.approx(min(val_losses), rel=1e-4)
    assert summary["final_val_loss"] != pytest.approx(val_losses[-1], rel=1e-4)


def test_k_fold_logs_each_fold_and_the_mean(fake_wandb) -> None:
    assert run_train(["--subset=300", "--epochs=2", "--patience=0", "--folds=3"]) == 0
    (run,) = fake_wandb.runs
    per_fold_best = []
    for fold in (1, 2, 3):
        rows = [row for row in run.history if f"fold_{fold}/val_loss" in row]
        assert [row["epoch"] for row in rows] == [1, 2]
        best = min(rows, key=lambda row: row[f"fold_{fold}/val_loss"])
        per_fold_best.append(best[f"fold_{fold}/val_accuracy"])
    final = run.history[-1]
    assert final["val_accuracy"] == pytest.approx(np.mean(per_fold_best))
    assert final["val_accuracy_std"] == pytest.approx(np.std(per_fold_best))
    assert [row for row in run.history if "val_accuracy" in row] == [final]  # the sweep metric: once, the mean
    assert run.summary["folds"] == 3 and run.summary["best_val_accuracy"] == final["val_accuracy"]


def test_same_seed_same_history(fake_wandb) -> None:
    assert run_train([*SMALL, "--seed=7"]) == 0
    assert run_train([*SMALL, "--seed=7"]) == 0
    assert run_train([*SMALL, "--seed=8"]) == 0
    first, second, other = (without_timing(run.history) for run in fake_wandb.runs)
    assert first == second
    assert first != other


def test_npz_dataset(fake_wandb, tmp_path) -> None:
    rng = np.random.default_rng(0)
    path = tmp_path / "blobs.npz"
    x = rng.normal(size=(240, 5)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    np.savez(path, x_train=x[:200], y_train=y[:200], x_test=x[200:], y_test=y[200:])
    assert run_train([f"--dataset={path}", "--epochs=2", "--patience=0"]) == 0
    (run,) = fake_wandb.runs
    assert run.summary["train_samples"] == 160 and run.summary["val_samples"] == 40
    assert "test_accuracy" in run.summary


def test_npz_missing_arrays_are_named(fake_wandb, tmp_path, capsys) -> None:
    path = tmp_path / "broken.npz"
    np.savez(path, x_train=np.zeros((4, 2)), x_val=np.zeros((2, 2)))
    assert run_train([f"--dataset={path}"]) == 2
    err = capsys.readouterr().err
    assert "missing arrays y_train, y_val" in err


def test_bad_command_line_exits_2_before_any_run(fake_wandb, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run_train(["--optimizer=adagrad"])
    assert exit_info.value.code == 2
    assert "adam, adamw, sgd, rmsprop" in capsys.readouterr().err
    assert fake_wandb.runs == []


def test_download_failure_says_what_to_do(monkeypatch) -> None:
    import keras

    from sweepkit.datasets import DatasetError, load_dataset

    def offline() -> None:
        raise OSError("Temporary failure in name resolution")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    with pytest.raises(DatasetError, match="--dataset=digits"):
        load_dataset("mnist")


# --- contract: the fake and real wandb (offline) see the same run -----------------


def run_real(argv: list[str], wandb_dir: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(REPO / "train.py"), *argv],
        cwd=wandb_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def real_run(tmp_path_factory) -> dict:
    """train.py under real wandb, offline, inside a sweep's env contract; read back from its log."""
    from sweepkit.transaction_log import find_run_log, read_run

    directory = tmp_path_factory.mktemp("real")
    param_file = directory / "wandb" / "sweep-contract" / "config-contract1.yaml"
    param_file.parent.mkdir(parents=True)
    param_file.write_text(yaml.safe_dump({"lr": {"value": 0.003}, "width": {"value": 48}}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_")}
    env.update(
        WANDB_MODE="offline",
        WANDB_SILENT="true",
        WANDB_DIR=str(directory),
        WANDB_SWEEP_ID="contract",
        WANDB_RUN_ID="contract1",
        WANDB_SWEEP_PARAM_PATH=str(param_file),
    )
    argv = [*SMALL, "--seed=3", "--lr=0.1"]
    done = run_real(argv, directory, env)
    assert done.returncode == 0, done.stderr[-2000:]
    log = read_run(find_run_log(directory, "contract1"))
    return {"argv": argv, "param_file": param_file, "log": log}


def test_real_wandb_offline_run_reads_back(real_run) -> None:
    log = real_run["log"]
    assert log.exit_code == 0
    assert [row["epoch"] for row in log.history] == [1, 2, 3]
    assert all(EPOCH_KEYS <= set(row) for row in log.history)
    assert log.config["lr"] == 0.003 and log.config["width"] == 48  # the sweep's values won
    assert log.summary["best_val_loss"] == min(row["val_loss"] for row in log.history)


def test_fake_and_real_wandb_log_the_same_run(real_run, fake_wandb, monkeypatch) -> None:
    monkeypatch.setenv("WANDB_SWEEP_ID", "contract")
    monkeypatch.setenv("WANDB_RUN_ID", "contract1")
    monkeypatch.setenv("WANDB_SWEEP_PARAM_PATH", str(real_run["param_file"]))
    assert run_train(real_run["argv"]) == 0
    (fake,) = fake_wandb.runs
    real = real_run["log"]
    assert fake.config == real.config
    fake_rows, real_rows = without_timing(fake.history), without_timing(real.history)
    assert [set(row) for row in fake_rows] == [set(row) for row in real_rows]
    for fake_row, real_row in zip(fake_rows, real_rows):
        for key, value in real_row.items():
            assert fake_row[key] == pytest.approx(value, rel=1e-6), key
    timing = TIMING_KEYS | {"train_seconds"}
    shared = set(fake.summary) & set(real.summary) - timing - {k for k in real.summary if k.startswith("_")}
    assert {"best_val_loss", "best_val_accuracy", "best_epoch", "test_accuracy"} <= shared
    for key in shared:
        if isinstance(real.summary[key], float) and not math.isnan(real.summary[key]):
            assert fake.summary[key] == pytest.approx(real.summary[key], rel=1e-6), key
