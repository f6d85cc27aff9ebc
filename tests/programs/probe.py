"""A program for agent tests that needs no wandb: it records what it was started with.

It writes ``<PROBE_OUT>/<WANDB_RUN_ID>.json`` with its argv, the W&B variables
of its environment, its session and process group, and whether stdin is
closed; then it sleeps ``sleep`` seconds and exits with ``exit_code`` (both
read from W&B's param file, so any argument format works). ``print_lines``
lines are printed first, for output-tail tests; ``ignore_sigterm`` makes it
ignore SIGTERM, so only SIGKILL stops it. ``PROBE_LOG`` (a file) gets a
``start <run>`` and an ``end <run>`` line around the sleep.
"""

import json
import os
import signal
import sys
import time

import yaml

WANDB_KEYS = (
    "WANDB_SWEEP_ID",
    "WANDB_RUN_ID",
    "WANDB_SWEEP_PARAM_PATH",
    "WANDB_DIR",
    "WANDB_PROJECT",
    "WANDB_ENTITY",
    "WANDB_MODE",
    "WANDB_X_TRANSACTION_LOG_FLUSH_INTERVAL",
    "CUDA_VISIBLE_DEVICES",
)


def main() -> int:
    run_id = os.environ["WANDB_RUN_ID"]
    with open(os.environ["WANDB_SWEEP_PARAM_PATH"]) as handle:
        params = {name: entry["value"] for name, entry in (yaml.safe_load(handle) or {}).items() if name != "wandb_version"}
    if params.get("ignore_sigterm"):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    report = {
        "argv": sys.argv[1:],
        "executable": sys.executable,
        "env": {key: os.environ.get(key) for key in WANDB_KEYS},
        "params": params,
        "pid": os.getpid(),
        "sid": os.getsid(0),
        "pgid": os.getpgid(0),
        "parent_sid": os.getsid(os.getppid()),
        "stdin": sys.stdin.read() if sys.stdin is not None else None,
        "cwd": os.getcwd(),
    }
    out_dir = os.environ.get("PROBE_OUT")
    if out_dir:
        with open(os.path.join(out_dir, f"{run_id}.json"), "w") as handle:
            json.dump(report, handle)
    log = os.environ.get("PROBE_LOG")
    if log:
        with open(log, "a") as handle:
            handle.write(f"start {run_id} {json.dumps(params, sort_keys=True)}\n")
    for index in range(int(params.get("print_lines", 0))):
        print(f"line {index} of run {run_id}", flush=True)
    time.sleep(float(params.get("sleep", 0)))
    if log:
        with open(log, "a") as handle:
            handle.write(f"end {run_id} {json.dumps(params, sort_keys=True)}\n")
    return int(params.get("exit_code", 0))


if __name__ == "__main__":
    sys.exit(main())
