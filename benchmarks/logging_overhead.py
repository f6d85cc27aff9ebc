"""What logging every epoch to W&B costs a Keras fit.

Fits the same MLP on digits for 50 epochs (same seed) three ways, interleaved
and repeated: with no callback (the named baseline, "none"), with sweepkit's
EpochLogger, and with W&B's WandbMetricsLogger, both logging to a real wandb
run in offline mode. Prints median wall times and the ratio of each to the
baseline, plus the time spent inside EpochLogger's own hooks as a share of the
fit, which is immune to the noise of other processes on the machine.

Target: EpochLogger under 1% over no callback.

    python benchmarks/logging_overhead.py [--epochs 50] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("WANDB_SILENT", "true")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    import keras
    import wandb
    from wandb.integration.keras import WandbMetricsLogger

    from sweepkit.callbacks import EpochLogger
    from sweepkit.datasets import load_dataset
    from sweepkit.models import build_mlp

    data = load_dataset("digits")
    os.environ["WANDB_DIR"] = tempfile.mkdtemp(prefix="logging-overhead-")

    hook_seconds = 0.0

    class TimedEpochLogger(EpochLogger):
        def _timed(self, hook, *args):
            nonlocal hook_seconds
            started = time.perf_counter()
            hook(*args)
            hook_seconds += time.perf_counter() - started

        def on_train_begin(self, logs=None):
            self._timed(super().on_train_begin, logs)

        def on_epoch_begin(self, epoch, logs=None):
            self._timed(super().on_epoch_begin, epoch, logs)

        def on_epoch_end(self, epoch, logs=None):
            self._timed(super().on_epoch_end, epoch, logs)

    def fit(callbacks) -> float:
        keras.utils.set_random_seed(0)
        model = build_mlp(data.input_dim, data.num_classes, layers=2, width=128, dropout=0.1)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        started = time.perf_counter()
        model.fit(data.x_train, data.y_train, batch_size=32, epochs=args.epochs,
                  validation_data=(data.x_val, data.y_val), callbacks=callbacks, verbose=0)
        return time.perf_counter() - started

    fit([])  # warm up: graph tracing and first-call costs hit no variant
    variants = {
        "none": lambda run: [],
        "sweepkit EpochLogger": lambda run: [TimedEpochLogger(run, samples_per_epoch=len(data.x_train))],
        "wandb WandbMetricsLogger": lambda run: [WandbMetricsLogger()],
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    logger_share: list[float] = []
    for repeat in range(args.repeats):
        for name, make in variants.items():
            run = wandb.init(project="logging-overhead", reinit="finish_previous") if name != "none" else None
            hook_seconds = 0.0
            seconds = fit(make(run))
            times[name].append(seconds)
            if name.startswith("sweepkit"):
                logger_share.append(hook_seconds / seconds)
            if run is not None:
                run.finish()
        print(f"repeat {repeat + 1}/{args.repeats}: " + ", ".join(f"{n} {t[-1]:.2f} s" for n, t in times.items()), flush=True)

    baseline = statistics.median(times["none"])
    print(f"\n{args.epochs}-epoch digits fit, median of {args.repeats} (baseline: none)")
    print(f"{'variant':<28}{'median s':>10}{'ratio':>9}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<28}{median:>10.3f}{median / baseline:>9.3f}")
    share = statistics.median(logger_share)
    print(f"\ntime inside EpochLogger hooks: {100 * share:.3f}% of the fit (target < 1%)")


if __name__ == "__main__":
    main()
