"""Epochs saved by hyperband on the digits sweep, and what it costs in best accuracy.

Baseline "no_early_terminate": sweeps/bayes-hyperband.yaml with its
``early_terminate`` section removed. Candidate "hyperband": the YAML as is.
Same seed, same number of runs, same workers, both under the offline agent.
Reported per arm: total epochs trained (values of the metric the runs
logged), the best value of the metric, wall time. Target: 40 % fewer epochs,
best val_accuracy within 0.5 points.

    .venv/bin/python benchmarks/hyperband_savings.py --count 27 --workers 2
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
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with_hyperband = load_config(args.sweep)
    without = {key: value for key, value in with_hyperband.items() if key != "early_terminate"}
    arms = []
    for name, config in (("no_early_terminate", without), ("hyperband", with_hyperband)):
        arm = run_arm(name, config, count=args.count, workers=args.workers, seed=args.seed)
        arms.append(arm)
        print(
            f"{arm['name']:<19} runs {arm['runs']:>3}  epochs {arm['epochs']:>5}  best {with_hyperband['metric']['name']} "
            f"{arm['best']:.4f}  {arm['seconds']:7.1f} s  states {arm['states']}  ({arm['dir']})",
            flush=True,
        )
    baseline, candidate = arms
    saved = 1 - candidate["epochs"] / baseline["epochs"]
    points = 100 * (candidate["best"] - baseline["best"])
    print(f"epochs: hyperband/no_early_terminate = {candidate['epochs'] / baseline['epochs']:.3f} ({saved:.1%} fewer; target >= 40%)")
    print(f"best {with_hyperband['metric']['name']}: {points:+.2f} points vs no_early_terminate (target within 0.5)")
    print(f"wall time ratio = {candidate['seconds'] / baseline['seconds']:.3f}")


if __name__ == "__main__":
    main()
