"""Search quality of sweepkit's bayes, random and grid against W&B's engine and Optuna's TPE.

Usage::

    python benchmarks/search_quality.py            # 20 seeds per method and objective
    python benchmarks/search_quality.py --quick    # 3 seeds, to see that it works
    python benchmarks/search_quality.py --seeds 40 --jobs 2

Methods: sweepkit bayes/random/grid (``sweepkit.engine.next_run``), W&B's
bayes and random (``sweeps.next_run``, seeded through numpy's and Python's
global generators, which is all W&B offers) and Optuna's TPE
(``TPESampler(seed=...)``, ask/tell).

Objectives (each method sees the same sweep config):

1. ``val_accuracy``: a simulated validation accuracy to maximize,
   ``95 - 10*(log10(lr) + 3)**2 - 0.001*(batch - 64)**2 - 0.0001*(width - 128)**2``
   plus Gaussian noise (sd 0.5), clipped to 0..100; lr log-uniform 1e-4..1e-1,
   batch int 16..256, width int 32..512; 27 trials. Optimum 95 at
   (1e-3, 64, 128).
2. Branin on [-5, 10] x [0, 15], 25 trials, minimum 0.397887.
3. Hartmann6 on [0, 1]^6, 50 trials, minimum -3.32237.
4. ``keras``: a 5-parameter space shaped like a Keras sweep, 40 trials,
   val accuracy (%) to maximize, no noise::

       98 - 4*(log10(lr) - best_log_lr(batch))**2   # lr optimum 2e-3 at batch 64,
                                                    # moving with batch (linear scaling rule)
          - batch_penalty[batch]                    # {16: 1.2, 32: 0.4, 64: 0, 128: 0.6, 256: 2.0}
          - layers_penalty[layers]                  # {1: 3.0, 2: 0.5, 3: 0, 4: 1.0}
          - 2*log2(width/256)**2                    # width optimum 256
          - 20*(dropout - 0.2)**2                   # dropout optimum 0.2

   with ``best_log_lr(batch) = log10(2e-3) + 0.3*log2(batch/64)``; lr
   log-uniform 1e-5..1e-1, batch in [16, 32, 64, 128, 256], layers int 1..4,
   width int 32..512, dropout uniform 0..0.5. Optimum 98 at
   (2e-3, 64, 3, 256, 0.2).

Regret is simple regret: the noise-free value of the config a method reports
as its best (its best noisy observation so far) against the optimum.

Grid on continuous objectives: each parameter gets
``k = max(2, floor(budget ** (1/d)))`` levels at the centres of ``k`` equal
cells of its range (in log scale for lr): 3x3x3 = 27 for val_accuracy, 5x5
for Branin, 2**6 = 64 for Hartmann6 (the grid runs in W&B's order and is cut
at the budget, 50). The keras grid is chosen by hand, as a user would: lr at
3 cell centres of 1e-5..1e-1, all 5 batch sizes, layers 2 and 3, width at 2
cell centres (152, 392), dropout 0.25: 60 points, the first 40 run.

It prints median and interquartile simple regret per method at three
budgets, the ratios sweepkit-bayes/W&B-bayes and sweepkit-bayes/TPE (targets:
<= 0.8 and <= 1.0), and the time of one suggestion at 100 and 500 finished
runs against W&B's bayes; it writes ``benchmarks/out/search_quality.png``.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import random
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

OUT = Path(__file__).resolve().parent / "out"

SWEEPKIT_BAYES, SWEEPKIT_RANDOM, SWEEPKIT_GRID = "sweepkit-bayes", "sweepkit-random", "sweepkit-grid"
WANDB_BAYES, WANDB_RANDOM, OPTUNA_TPE = "wandb-bayes", "wandb-random", "optuna-tpe"
METHODS = (SWEEPKIT_BAYES, WANDB_BAYES, OPTUNA_TPE, SWEEPKIT_RANDOM, WANDB_RANDOM, SWEEPKIT_GRID)


# ------------------------------------------------------------------ objectives


@dataclass(frozen=True)
class Objective:
    """A benchmark function with its sweep config."""

    name: str
    parameters: dict
    grid_parameters: dict
    function: Callable[[dict], float]
    goal: str
    optimum: float
    budget: int
    noise: float = 0.0
    metric: str = "value"

    def config(self, method: str) -> dict:
        parameters = self.grid_parameters if method == "grid" else self.parameters
        return {"method": method, "metric": {"name": self.metric, "goal": self.goal}, "parameters": parameters}

    def regret(self, params: dict) -> float:
        value = self.function(params)
        return self.optimum - value if self.goal == "maximize" else value - self.optimum


def _cell_centres(low: float, high: float, k: int, log: bool = False, integer: bool = False) -> list:
    if log:
        low, high = math.log10(low), math.log10(high)
    centres = [low + (high - low) * (i + 0.5) / k for i in range(k)]
    if log:
        centres = [10**c for c in centres]
    return [int(round(c)) for c in centres] if integer else [float(c) for c in centres]


def _val_accuracy(p: dict) -> float:
    value = 95 - 10 * (math.log10(p["lr"]) + 3) ** 2 - 0.001 * (p["batch"] - 64) ** 2 - 0.0001 * (p["width"] - 128) ** 2
    return float(np.clip(value, 0.0, 100.0))


def _branin(p: dict) -> float:
    x1, x2 = p["x1"], p["x2"]
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


_H6_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
_H6_A = np.array([[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]])
_H6_P = 1e-4 * np.array(
    [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991], [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]
)


def _hartmann6(p: dict) -> float:
    x = np.array([p[f"x{i}"] for i in range(1, 7)])
    return float(-np.sum(_H6_ALPHA * np.exp(-np.sum(_H6_A * (x - _H6_P) ** 2, axis=1))))


_BATCH_PENALTY = {16: 1.2, 32: 0.4, 64: 0.0, 128: 0.6, 256: 2.0}
_LAYERS_PENALTY = {1: 3.0, 2: 0.5, 3: 0.0, 4: 1.0}


def _keras(p: dict) -> float:
    best_log_lr = math.log10(2e-3) + 0.3 * math.log2(p["batch_size"] / 64)
    return (
        98
        - 4 * (math.log10(p["lr"]) - best_log_lr) ** 2
        - _BATCH_PENALTY[p["batch_size"]]
        - _LAYERS_PENALTY[p["layers"]]
        - 2 * math.log2(p["width"] / 256) ** 2
        - 20 * (p["dropout"] - 0.2) ** 2
    )


def objectives() -> list[Objective]:
    lr = {"distribution": "log_uniform_values", "min": 1e-4, "max": 1e-1}
    return [
        Objective(
            "val_accuracy",
            {"lr": lr, "batch": {"min": 16, "max": 256}, "width": {"min": 32, "max": 512}},
            {
                "lr": {"values": _cell_centres(1e-4, 1e-1, 3, log=True)},
                "batch": {"values": _cell_centres(16, 256, 3, integer=True)},
                "width": {"values": _cell_centres(32, 512, 3, integer=True)},
            },
            _val_accuracy,
            "maximize",
            95.0,
            27,
            noise=0.5,
            metric="val_accuracy",
        ),
        Objective(
            "branin",
            {"x1": {"min": -5.0, "max": 10.0}, "x2": {"min": 0.0, "max": 15.0}},
            {"x1": {"values": _cell_centres(-5, 10, 5)}, "x2": {"values": _cell_centres(0, 15, 5)}},
            _branin,
            "minimize",
            0.397887,
            25,
        ),
        Objective(
            "hartmann6",
            {f"x{i}": {"min": 0.0, "max": 1.0} for i in range(1, 7)},
            {f"x{i}": {"values": _cell_centres(0, 1, 2)} for i in range(1, 7)},
            _hartmann6,
            "minimize",
            -3.32237,
            50,
        ),
        Objective(
            "keras",
            {
                "lr": {"distribution": "log_uniform_values", "min": 1e-5, "max": 1e-1},
                "batch_size": {"values": [16, 32, 64, 128, 256]},
                "layers": {"min": 1, "max": 4},
                "width": {"min": 32, "max": 512},
                "dropout": {"min": 0.0, "max": 0.5},
            },
            {
                "lr": {"values": _cell_centres(1e-5, 1e-1, 3, log=True)},
                "batch_size": {"values": [16, 32, 64, 128, 256]},
                "layers": {"values": [2, 3]},
                "width": {"values": _cell_centres(32, 512, 2, integer=True)},
                "dropout": {"values": [0.25]},
            },
            _keras,
            "maximize",
            98.0,
            40,
            metric="val_accuracy",
        ),
    ]


# ------------------------------------------------------------------ methods


@dataclass
class Trace:
    """What one method did on one objective with one seed."""

    method: str
    objective: str
    seed: int
    regrets: list[float] = field(default_factory=list)  # simple regret after each trial
    seconds: float = 0.0


def _observe(objective: Objective, params: dict, rng: np.random.Generator) -> float:
    value = objective.function(params)
    if objective.noise:
        value = float(np.clip(value + rng.normal(0.0, objective.noise), 0.0, 100.0))
    return value


def _track(objective: Objective, trace: Trace, observed: list[tuple[float, dict]]) -> None:
    sign = -1.0 if objective.goal == "maximize" else 1.0
    best_params = min(observed, key=lambda pair: sign * pair[0])[1]
    trace.regrets.append(objective.regret(best_params))


def _run_sweepkit(method: str, objective: Objective, seed: int) -> Trace:
    from sweepkit.engine import next_run
    from sweepkit.run import FINISHED, Run

    trace = Trace(f"sweepkit-{method}", objective.name, seed)
    config = objective.config(method)
    noise = np.random.default_rng([seed, 1])
    runs: list[Run] = []
    observed: list[tuple[float, dict]] = []
    started = time.perf_counter()
    for trial in range(objective.budget):
        suggestion = next_run(config, runs, seed=seed * 100_003 + trial)
        if suggestion is None:  # the grid ran out: the best stays the best
            trace.regrets.append(trace.regrets[-1])
            continue
        params = dict(suggestion.params)
        value = _observe(objective, params, noise)
        runs.append(Run(f"run-{trial}", params, FINISHED, [{objective.metric: value}], {objective.metric: value}))
        observed.append((value, params))
        _track(objective, trace, observed)
    trace.seconds = time.perf_counter() - started
    return trace


def _run_wandb(method: str, objective: Objective, seed: int) -> Trace:
    import sweeps
    from sweeps.run import SweepRun

    trace = Trace(f"wandb-{method}", objective.name, seed)
    config = objective.config(method)
    # W&B's engine draws from the global generators; seeding them is the only way.
    np.random.seed(seed)
    random.seed(seed)
    noise = np.random.default_rng([seed, 1])
    runs: list[SweepRun] = []
    observed: list[tuple[float, dict]] = []
    started = time.perf_counter()
    for trial in range(objective.budget):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            suggestion = sweeps.next_run(config, runs)
        params = {name: entry["value"] for name, entry in suggestion.config.items()}
        params = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in params.items()}
        value = _observe(objective, params, noise)
        runs.append(
            SweepRun(
                name=f"run-{trial}",
                state="finished",
                config=suggestion.config,
                summaryMetrics={objective.metric: value},
                sampledHistory=[{objective.metric: value}],
            )
        )
        observed.append((value, params))
        _track(objective, trace, observed)
    trace.seconds = time.perf_counter() - started
    return trace


def _optuna_distributions(parameters: dict) -> dict:
    import optuna

    distributions = {}
    for name, spec in parameters.items():
        if "values" in spec:
            distributions[name] = optuna.distributions.CategoricalDistribution(spec["values"])
        elif spec.get("distribution") == "log_uniform_values":
            distributions[name] = optuna.distributions.FloatDistribution(spec["min"], spec["max"], log=True)
        elif isinstance(spec["min"], int):
            distributions[name] = optuna.distributions.IntDistribution(spec["min"], spec["max"])
        else:
            distributions[name] = optuna.distributions.FloatDistribution(spec["min"], spec["max"])
    return distributions


def _run_optuna(objective: Objective, seed: int) -> Trace:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    trace = Trace(OPTUNA_TPE, objective.name, seed)
    direction = "maximize" if objective.goal == "maximize" else "minimize"
    study = optuna.create_study(direction=direction, sampler=optuna.samplers.TPESampler(seed=seed))
    distributions = _optuna_distributions(objective.parameters)
    noise = np.random.default_rng([seed, 1])
    observed: list[tuple[float, dict]] = []
    started = time.perf_counter()
    for _ in range(objective.budget):
        trial = study.ask(distributions)
        params = dict(trial.params)
        value = _observe(objective, params, noise)
        study.tell(trial, value)
        observed.append((value, params))
        _track(objective, trace, observed)
    trace.seconds = time.perf_counter() - started
    return trace


def run_one(job: tuple[str, str, int]) -> Trace:
    """One method on one objective with one seed (a process-pool job)."""
    method, objective_name, seed = job
    objective = next(o for o in objectives() if o.name == objective_name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if method.startswith("sweepkit-"):
            return _run_sweepkit(method.split("-", 1)[1], objective, seed)
        if method.startswith("wandb-"):
            return _run_wandb(method.split("-", 1)[1], objective, seed)
        return _run_optuna(objective, seed)


# ------------------------------------------------------------------ timing


def suggestion_seconds(finished: int, repeats: int) -> dict[str, float]:
    """Median seconds of one bayes suggestion with ``finished`` finished runs (keras space)."""
    import sweeps
    from sweeps.run import SweepRun

    from sweepkit.engine import next_run
    from sweepkit.run import FINISHED, Run

    objective = next(o for o in objectives() if o.name == "keras")
    config = objective.config("bayes")
    rng = np.random.default_rng(0)
    runs, wandb_runs = [], []
    for index in range(finished):
        params = {
            "lr": float(10 ** rng.uniform(-5, -1)),
            "batch_size": int(rng.choice([16, 32, 64, 128, 256])),
            "layers": int(rng.integers(1, 5)),
            "width": int(rng.integers(32, 513)),
            "dropout": float(rng.uniform(0, 0.5)),
        }
        value = _keras(params)
        runs.append(Run(f"r{index}", params, FINISHED, [{"val_accuracy": value}]))
        wandb_runs.append(
            SweepRun(
                name=f"r{index}",
                state="finished",
                config={k: {"value": v} for k, v in params.items()},
                summaryMetrics={"val_accuracy": value},
                sampledHistory=[{"val_accuracy": value}],
            )
        )
    timings: dict[str, list[float]] = {SWEEPKIT_BAYES: [], WANDB_BAYES: []}
    np.random.seed(0)
    # One untimed call each, so that imports and first-use setup are not timed.
    next_run(config, runs[:10], seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sweeps.next_run(config, wandb_runs[:10])
    for repeat in range(repeats):
        started = time.perf_counter()
        next_run(config, runs, seed=repeat)
        timings[SWEEPKIT_BAYES].append(time.perf_counter() - started)
        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sweeps.next_run(config, wandb_runs)
        timings[WANDB_BAYES].append(time.perf_counter() - started)
    return {method: float(np.median(values)) for method, values in timings.items()}


# ------------------------------------------------------------------ report


def _checkpoints(budget: int) -> list[int]:
    return [budget // 3, (2 * budget) // 3, budget]


def summarize(traces: list[Trace], seeds: int) -> tuple[str, dict[str, dict[str, float]]]:
    lines = []
    finals: dict[str, dict[str, float]] = {}
    for objective in objectives():
        checkpoints = _checkpoints(objective.budget)
        lines.append("")
        lines.append(f"{objective.name} ({objective.goal}, {objective.budget} trials, {seeds} seeds): simple regret, median [IQR]")
        lines.append(f"  {'method':<16}" + "".join(f"{'@' + str(c):>26}" for c in checkpoints) + f"{'s/run':>9}")
        finals[objective.name] = {}
        for method in METHODS:
            mine = [t for t in traces if t.method == method and t.objective == objective.name]
            if not mine:
                continue
            regrets = np.array([t.regrets for t in mine])
            cells = []
            for checkpoint in checkpoints:
                column = regrets[:, checkpoint - 1]
                q1, median, q3 = np.percentile(column, [25, 50, 75])
                cells.append(f"{median:10.4g} [{q1:.3g}, {q3:.3g}]")
            seconds = np.mean([t.seconds for t in mine]) / objective.budget
            lines.append(f"  {method:<16}" + "".join(f"{cell:>26}" for cell in cells) + f"{seconds:9.3f}")
            finals[objective.name][method] = float(np.median(regrets[:, -1]))
    lines.append("")
    lines.append("Final median regret ratios (targets: vs W&B bayes <= 0.8, vs TPE <= 1.0)")
    for name, medians in finals.items():
        mine = medians.get(SWEEPKIT_BAYES)
        parts = []
        for other, target in ((WANDB_BAYES, 0.8), (OPTUNA_TPE, 1.0)):
            if mine is None or other not in medians:
                continue
            theirs = medians[other]
            ratio = mine / theirs if theirs > 0 else (0.0 if mine == 0 else math.inf)
            verdict = "ok" if ratio <= target else "MISSED"
            parts.append(f"/{other} = {ratio:.3f} ({verdict})")
        lines.append(f"  {name:<14} sweepkit-bayes " + "   ".join(parts))
    return "\n".join(lines), finals


def plot(traces: list[Trace], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [o.name for o in objectives()]
    figure, axes = plt.subplots(1, len(names), figsize=(5 * len(names), 4))
    for axis, objective in zip(axes, objectives()):
        for method in METHODS:
            mine = [t.regrets for t in traces if t.method == method and t.objective == objective.name]
            if not mine:
                continue
            median = np.median(np.array(mine), axis=0)
            axis.plot(range(1, len(median) + 1), np.maximum(median, 1e-6), label=method)
        axis.set_yscale("log")
        axis.set_title(objective.name)
        axis.set_xlabel("trials")
        axis.set_ylabel("median simple regret")
    handles, labels = next((axis.get_legend_handles_labels() for axis in axes if axis.lines), ([], []))
    figure.legend(handles, labels, loc="upper right", fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 seeds and short timings, to check the script")
    parser.add_argument("--seeds", type=int, default=None, help="seeds per method and objective (default 20)")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--methods", default=",".join(METHODS), help="comma-separated subset of " + ", ".join(METHODS))
    parser.add_argument("--objectives", default=None, help="comma-separated subset of the objectives")
    args = parser.parse_args(argv)
    seeds = args.seeds or (3 if args.quick else 20)
    methods = [m for m in args.methods.split(",") if m]
    chosen = [o.name for o in objectives() if args.objectives is None or o.name in args.objectives.split(",")]
    logging.getLogger("sweeps").setLevel(logging.ERROR)
    # W&B's engine still uses pydantic 1 config names; the warning says nothing about the results.
    warnings.filterwarnings("ignore", message="Valid config keys have changed in V2")

    jobs = [(method, name, seed) for name in chosen for method in methods for seed in range(seeds)]
    started = time.perf_counter()
    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs) as pool:
            traces = list(pool.map(run_one, jobs))
    else:
        traces = [run_one(job) for job in jobs]
    table, _ = summarize(traces, seeds)
    print(table)

    repeats = 2 if args.quick else 5
    print("")
    print("Seconds per bayes suggestion (keras space, median of %d)" % repeats)
    for finished in (100, 500):
        timing = suggestion_seconds(finished, repeats)
        ratio = timing[SWEEPKIT_BAYES] / timing[WANDB_BAYES]
        print(f"  {finished} finished runs: sweepkit {timing[SWEEPKIT_BAYES]:.3f} s, W&B {timing[WANDB_BAYES]:.3f} s (ratio {ratio:.2f})")
    path = OUT / "search_quality.png"
    plot(traces, path)
    print(f"\nplot: {os.path.relpath(path)}; total {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
