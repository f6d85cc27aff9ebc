"""Wall time per trial under the offline agent, against running train.py directly.

Baseline "direct": ``python train.py --lr=... --epochs=E --seed=0`` started N
times in a row, each a real W&B offline run. Candidate "agent": ``sweepkit run``
on a sweep whose parameters are those same constants, ``--count N``, one
worker, so the agent starts the very same command N times (its own start-up,
the store, param files, log tailing and the engine included). Both arms
alternate ``--repeats`` times; the medians are compared. Target: under 10 %
extra (ratio < 1.10).

    .venv/bin/python benchmarks/agent_overhead.py --trials 5 --epochs 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
PARAMS = {"lr": 0.001, "batch_size": 64, "layers": 2, "width": 128, "dropout": 0.1, "seed": 0}


def offline_env(wandb_dir: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("WANDB_")}
    env.update(WANDB_MODE="offline", WANDB_SILENT="true", WANDB_DIR=wandb_dir, TF_CPP_MIN_LOG_LEVEL="2")
    return env


def direct(trials: int, epochs: int) -> float:
    """Seconds per trial running train.py directly."""
    with tempfile.TemporaryDirectory() as wandb_dir:
        argv = [sys.executable, "train.py", *(f"--{name}={value}" for name, value in PARAMS.items()), f"--epochs={epochs}"]
        start = time.perf_counter()
        for _ in range(trials):
            subprocess.run(argv, cwd=REPO, env=offline_env(wandb_dir), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return (time.perf_counter() - start) / trials


def agent(trials: int, epochs: int) -> float:
    """Seconds per trial under ``sweepkit run --count trials``."""
    with tempfile.TemporaryDirectory() as wandb_dir:
        parameters = {name: {"value": value} for name, value in {**PARAMS, "epochs": epochs}.items()}
        sweep = {"program": "train.py", "method": "random", "metric": {"name": "val_accuracy", "goal": "maximize"}, "parameters": parameters}
        sweep_file = Path(wandb_dir) / "sweep.yaml"
        sweep_file.write_text(yaml.safe_dump(sweep))
        sweepkit = [sys.executable, "-c", "from sweepkit.cli import main; main()"]
        argv = [*sweepkit, "run", str(sweep_file), "--count", str(trials), "--seed", "0", "--dir", wandb_dir]
        start = time.perf_counter()
        subprocess.run(argv, cwd=REPO, env=offline_env(wandb_dir), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return (time.perf_counter() - start) / trials


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=5, help="trials per measurement")
    parser.add_argument("--epochs", type=int, default=3, help="epochs per trial (short trials show overhead most)")
    parser.add_argument("--repeats", type=int, default=2, help="measurements per arm, alternating")
    args = parser.parse_args()
    results: dict[str, list[float]] = {"direct": [], "agent": []}
    for repeat in range(args.repeats):
        for name, measure in (("direct", direct), ("agent", agent)):
            seconds = measure(args.trials, args.epochs)
            results[name].append(seconds)
            print(f"repeat {repeat + 1}: {name:<6} {seconds:6.2f} s/trial", flush=True)
    baseline = statistics.median(results["direct"])
    candidate = statistics.median(results["agent"])
    print(f"direct (baseline): {baseline:.2f} s/trial (median of {args.repeats} x {args.trials} trials, {args.epochs} epochs)")
    print(f"agent:             {candidate:.2f} s/trial")
    print(f"ratio agent/direct = {candidate / baseline:.3f} (target < 1.10): {'met' if candidate / baseline < 1.10 else 'NOT met'}")


if __name__ == "__main__":
    main()
