#!/usr/bin/env python
"""Train a Keras MLP with the sweep's hyperparameters and log every epoch to W&B.

This is the program ``wandb agent`` (or ``sweepkit agent``) runs:

    python train.py --lr=0.001 --batch_size=64 --layers=2 --width=128 --dropout=0.1

Every value has a default (``python train.py --help``). Under a sweep,
``wandb.init()`` loads the sweep's values into ``wandb.config``; they win over
the command line, so a sweep always trains what its controller chose.

Exit codes: 0 done, 1 failed (the loss became NaN/inf: the reason is in the
run's summary), 2 a bad hyperparameter or data file (the message lists the
valid choices). Copy this file to start your own program: the model, data and
callbacks live in ``sweepkit``.
"""

from __future__ import annotations

import sys

import wandb

from sweepkit import hyperparameters
from sweepkit.datasets import DatasetError
from sweepkit.training import train


def main(argv: list[str] | None = None) -> int:
    cli = hyperparameters.parse_args(argv)  # exits with code 2 on a bad value
    run = wandb.init(project=hyperparameters.project_of(argv), job_type="train")
    try:
        hp = hyperparameters.resolve(cli, dict(run.config))
        run.config.update(hp, allow_val_change=True)
        result = train(hp, run)
    except (hyperparameters.HyperparameterError, DatasetError) as error:
        print(f"train.py: error: {error}", file=sys.stderr)
        run.summary["failure_reason"] = str(error)
        run.finish(exit_code=2)
        return 2
    run.summary.update(result.summary)
    run.finish(exit_code=0 if result.ok else 1)
    if not result.ok:
        print(f"train.py: failed: {result.failure}", file=sys.stderr)
        return 1
    summary = result.summary
    # best_* are taken at the epoch of the lowest val_loss (the weights the run keeps), not each metric's own best.
    where = f"epoch {summary['best_epoch']}" if "best_epoch" in summary else f"mean of {hp['folds']} folds"
    print(
        f"at the lowest val_loss ({where}): val_loss {summary['best_val_loss']:.4f}, "
        f"val_accuracy {summary['best_val_accuracy']:.4f}; {summary['epochs_trained']} epochs in {summary['train_seconds']:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
