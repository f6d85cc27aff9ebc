"""Epochs saved by hyperband on the digits sweep, and what it costs in best accuracy.

Baseline "no_early_terminate": sweeps/bayes-hyperband.yaml with its
``early_terminate`` section removed. Candidate "hyperband": the YAML as is.
For each seed both arms run with that seed, the same number of runs and the
same workers, under the offline agent. Reported per arm: total epochs trained
(values of the metric the runs logged), the best value of the metric, wall
time. Bayes search adapts to what it sees, so the two arms try different
points after the first stopped run and one seed's ratio swings by several
points; the verdict pools the epochs of all seeds. Target: 40 % fewer epochs,
and on no seed a best val_accuracy more than 0.5 points below the baseline's.

    .venv/bin/python benchmarks/hyperband_savings.py --seeds 5
"""

from __future__ import annotations

import argparse
import io
import os
import time
from pathlib import Path

from sweepkit.agent.agent import Agent, AgentOptions
from sweepkit.agent.progress import PlainLines, rank_runs
from sweepkit.agent.store import SweepStore
from sweepkit.config import load_config
from sweepkit.search.base import metric_history

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "benchmarks" / "out"


def run_arm(name: str, config: dict, *, count: int, workers: int, seed: int) -> dict:
    """Run one sweep arm; its totals."""
    wandb_dir = OUT / f"hyperband-{name}-{int(time.time())}"
    wandb_dir.mkdir(parents=True)
    store = SweepStore.create(wandb_dir, config, seed=seed)
    env = {key: value for key, value in os.environ.items() if not key.startswith("WANDB_")}
    env.update(WANDB_MODE="offline", WANDB_SILENT="true", TF_CPP_MIN_LOG_LEVEL="2")
    start = time.perf_counter()
    log = io.StringIO()
    Agent(
        store,
        wandb_dir=wandb_dir,
        options=AgentOptions(count=count, workers=workers, handle_signals=False),
        progress=PlainLines(log, metric_name=config["metric"]["name"]),
        environ=env,
        cwd=REPO,
    ).run()
    seconds = time.perf_counter() - start
    records = store.runs()
    metric = config["metric"]["name"]
    epochs = sum(len(metric_history(record.to_run(), metric)) for record in records)
    ranked = rank_runs(records, config)
    states: dict[str, int] = {}
    for record in records:
        states[record.state] = states.get(record.state, 0) + 1
    return {"name": name, "runs": len(records), "epochs": epochs, "best": ranked[0].best if ranked else float("nan"), "seconds": seconds, "states": states, "dir": wandb_dir}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep", default=str(REPO / "sweeps" / "bayes-hyperband.yaml"))
    parser.add_argument("--count", type=int, default=27)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1; each runs both arms (at least 3: one seed swings)")
    args = parser.parse_args()
    with_hyperband = load_config(args.sweep)
    without = {key: value for key, value in with_hyperband.items() if key != "early_terminate"}
    metric = with_hyperband["metric"]["name"]
    totals = {"no_early_terminate": 0, "hyperband": 0}
    seconds = {"no_early_terminate": 0.0, "hyperband": 0.0}
    gaps = []
    for seed in range(args.seeds):
        arms = []
        for name, config in (("no_early_terminate", without), ("hyperband", with_hyperband)):
            arm = run_arm(name, config, count=args.count, workers=args.workers, seed=seed)
            arms.append(arm)
            totals[name] += arm["epochs"]
            seconds[name] += arm["seconds"]
            print(
                f"seed {seed}  {arm['name']:<19} runs {arm['runs']:>3}  epochs {arm['epochs']:>5}  best {metric} "
                f"{arm['best']:.4f}  {arm['seconds']:7.1f} s  states {arm['states']}  ({arm['dir'].name})",
                flush=True,
            )
        baseline, candidate = arms
        gaps.append(100 * (candidate["best"] - baseline["best"]))
        print(
            f"seed {seed}  epochs hyperband/no_early_terminate = {candidate['epochs'] / baseline['epochs']:.3f}  "
            f"best {metric} {gaps[-1]:+.2f} points",
            flush=True,
        )
    ratio = totals["hyperband"] / totals["no_early_terminate"]
    print(
        f"all {args.seeds} seeds: epochs hyperband/no_early_terminate = {ratio:.3f} "
        f"({1 - ratio:.1%} fewer; target >= 40%): {'met' if ratio <= 0.6 else 'missed'}"
    )
    worst = min(gaps)
    print(
        f"best {metric}, hyperband minus no_early_terminate: mean {sum(gaps) / len(gaps):+.2f} points, "
        f"worst seed {worst:+.2f} (target: no seed more than 0.5 points worse): {'met' if worst >= -0.5 else 'missed'}"
    )
    print(f"wall time hyperband/no_early_terminate = {seconds['hyperband'] / seconds['no_early_terminate']:.3f} (all seeds)")


if __name__ == "__main__":
    main()
