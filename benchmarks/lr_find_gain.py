"""What a learning-rate range test buys a bayes sweep on digits.

Baseline "full range": sweeps/bayes.yaml as is (lr log-uniform 1e-5..0.1),
run_cap 10. Candidate "narrowed": the same sweep after ``sweepkit lr-find``
on the default model (adam, batch 64, 2x128), its lr range one decade each
side of the suggestion. Per seed, both sweeps use the same engine seed and
training seed; runs are driven in-process through ``sweepkit.engine.next_runs``
and ``sweepkit.training.train`` with a small recording run (no wandb).

Reported per arm and seed: the best val_accuracy of the sweep, and the runs it
needed to come within 0.5 points of that best; then means and ratios against
the baseline "full range". The range test's own time is counted in the
narrowed arm's seconds.

    .venv/bin/python benchmarks/lr_find_gain.py --seeds 3 --epochs 6
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO = Path(__file__).resolve().parent.parent
WITHIN = 0.005  # 0.5 accuracy points


class RecordingRun:
    """Just enough of a W&B run for sweepkit.training.train: keeps the logged rows."""

    def __init__(self) -> None:
        self.history: list[dict[str, Any]] = []
        self.summary: dict[str, Any] = {}

    def define_metric(self, *args: Any, **kwargs: Any) -> None:
        pass

    def log(self, row: dict[str, Any]) -> None:
        self.history.append(dict(row))


def run_sweep(config: dict, *, seed: int) -> dict:
    """Runs every run of the sweep in turn; each run's best val_accuracy, in order."""
    import numpy as np

    from sweepkit import hyperparameters
    from sweepkit.engine import next_runs
    from sweepkit.run import FINISHED, Run
    from sweepkit.search.base import best_metric_value
    from sweepkit.training import train

    rng = np.random.default_rng(seed)
    runs: list[Run] = []
    bests: list[float] = []
    lrs: list[float] = []
    started = time.perf_counter()
    while True:
        suggestions = next_runs(config, runs, n=1, seed=rng)
        if not suggestions:
            break
        params = dict(suggestions[0].params)
        hp = hyperparameters.resolve({"seed": seed}, params)
        recording = RecordingRun()
        train(hp, recording)
        run = Run(name=f"r{len(runs)}", params=params, state=FINISHED, history=recording.history)
        runs.append(run)
        best = best_metric_value(run, "val_accuracy", "maximize")
        bests.append(float("nan") if best is None else best)
        lrs.append(params["lr"])
    return {"bests": bests, "lrs": lrs, "seconds": time.perf_counter() - started}


def runs_to_reach(bests: list[float], within: float = WITHIN) -> tuple[float, int]:
    """The sweep's best value and the 1-based run count at which best-so-far came within ``within`` of it."""
    finite = [value for value in bests if value == value]
    best = max(finite)
    so_far = float("-inf")
    for index, value in enumerate(bests, start=1):
        if value == value:
            so_far = max(so_far, value)
        if so_far >= best - within:
            return best, index
    return best, len(bests)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="seeds per arm (at least 3 for a fair comparison)")
    parser.add_argument("--runs", type=int, default=10, help="runs per sweep (run_cap)")
    parser.add_argument("--epochs", type=int, default=6, help="epochs per run (the sweep's constant)")
    args = parser.parse_args()

    from sweepkit import hyperparameters
    from sweepkit.config import load_config
    from sweepkit.lr_finder import lr_find, narrowed_spec

    full = copy.deepcopy(load_config(REPO / "sweeps" / "bayes.yaml"))
    full["run_cap"] = args.runs
    full["parameters"]["epochs"] = {"value": args.epochs}
    rows = []
    for seed in range(args.seeds):
        found_at = time.perf_counter()
        found = lr_find(hyperparameters.resolve({"seed": seed, "batch_size": 64}, {}))
        find_seconds = time.perf_counter() - found_at
        narrowed = copy.deepcopy(full)
        narrowed["parameters"]["lr"] = narrowed_spec(full["parameters"]["lr"], found.suggested_lr)
        for name, config, extra in (("full range", full, 0.0), ("narrowed", narrowed, find_seconds)):
            outcome = run_sweep(config, seed=seed)
            best, needed = runs_to_reach(outcome["bests"])
            rows.append(
                {
                    "arm": name,
                    "seed": seed,
                    "best": best,
                    "runs_needed": needed,
                    "seconds": outcome["seconds"] + extra,
                    "lr_range": (config["parameters"]["lr"]["min"], config["parameters"]["lr"]["max"]),
                }
            )
            print(
                f"seed {seed} {name:<10} lr {rows[-1]['lr_range'][0]:.3g}..{rows[-1]['lr_range'][1]:.3g}: "
                f"best val_accuracy {best:.4f}, within 0.5 points after {needed} run(s), {rows[-1]['seconds']:.0f} s",
                flush=True,
            )

    print()
    print(f"{'arm':<11} {'seed':>4} {'lr range':>17} {'best val_acc':>12} {'runs to best-0.5pt':>18} {'seconds':>8}")
    for row in rows:
        low, high = row["lr_range"]
        print(f"{row['arm']:<11} {row['seed']:>4} {f'{low:.3g}..{high:.3g}':>17} {row['best']:>12.4f} {row['runs_needed']:>18} {row['seconds']:>8.0f}")
    print()
    means = {}
    for arm in ("full range", "narrowed"):
        mine = [row for row in rows if row["arm"] == arm]
        means[arm] = {key: statistics.mean(row[key] for row in mine) for key in ("best", "runs_needed", "seconds")}
    base = means["full range"]
    print(f"{'arm':<11} {'mean best':>9} {'ratio':>6} {'mean runs needed':>16} {'ratio':>6} {'mean seconds':>12} {'ratio':>6}")
    for arm, mean in means.items():
        print(
            f"{arm:<11} {mean['best']:>9.4f} {mean['best'] / base['best']:>6.3f} {mean['runs_needed']:>16.2f} "
            f"{mean['runs_needed'] / base['runs_needed']:>6.2f} {mean['seconds']:>12.0f} {mean['seconds'] / base['seconds']:>6.2f}"
        )
    print('(ratios against the baseline "full range"; runs needed: runs until best-so-far is within 0.5 points of that sweep\'s best)')


if __name__ == "__main__":
    main()
