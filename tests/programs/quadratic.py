"""A plain (non-Keras) W&B program for agent tests: real ``wandb`` in offline mode.

Reads ``x``, ``epochs`` and ``sleep`` from ``wandb.config`` (the sweep's
param file) and logs ``score`` (larger is better: it grows with ``x``) and
``loss`` once per epoch, sleeping ``sleep`` seconds between epochs.
"""

import time

import wandb


def main() -> None:
    run = wandb.init()
    x = float(run.config.get("x", 1.0))
    epochs = int(run.config.get("epochs", 3))
    pause = float(run.config.get("sleep", 0.0))
    for epoch in range(epochs):
        score = x * (1.0 - 0.5 / (epoch + 1))
        run.log({"epoch": epoch, "score": score, "loss": 1.0 / (1.0 + score)})
        time.sleep(pause)
    run.finish()


if __name__ == "__main__":
    main()
