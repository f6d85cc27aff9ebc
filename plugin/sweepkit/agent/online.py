"""Online sweeps: create the sweep on W&B, and start one ``wandb agent`` per GPU.

``wandb agent`` runs one trial at a time and leaves the GPU choice to the user
(wandb issue 597: "start one agent per GPU with CUDA_VISIBLE_DEVICES by
hand"). Here each GPU gets its own ``wandb agent`` process with its own
``CUDA_VISIBLE_DEVICES``; W&B's server hands out the runs as usual.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence


@dataclass(frozen=True)
class AgentCommand:
    """One ``wandb agent`` process to start.

    Attributes:
        argv: Its argv.
        env: Its whole environment.
        device: The GPU it owns, or None.
    """

    argv: tuple[str, ...]
    env: Mapping[str, str]
    device: str | None


def create_sweep(
    config: Mapping[str, Any],
    *,
    project: str | None = None,
    entity: str | None = None,
    sweep: Callable[..., str] | None = None,
) -> str:
    """Create the sweep on W&B's server and return its id (``wandb.sweep``).

    Args:
        config: The validated sweep config.
        project: W&B project; W&B's default when None.
        entity: W&B entity; the account's default when None.
        sweep: Stands in for ``wandb.sweep`` (tests).
    """
    if sweep is None:
        import wandb

        sweep = wandb.sweep
    return sweep(dict(config), entity=entity, project=project)


def wandb_executable() -> list[str]:
    """How to call the ``wandb`` command of the running interpreter's environment."""
    beside = Path(sys.executable).parent / "wandb"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("wandb")
    return [found] if found else [sys.executable, "-m", "wandb"]


def agent_commands(
    sweep_path: str,
    *,
    gpus: Sequence[str] = (),
    workers: int = 1,
    count: int | None = None,
    project: str | None = None,
    entity: str | None = None,
    max_consecutive_failed_runs: int | None = None,
    environ: Mapping[str, str] | None = None,
    executable: Sequence[str] | None = None,
) -> list[AgentCommand]:
    """The ``wandb agent`` processes for a sweep: one per GPU, or ``workers`` without GPUs.

    Args:
        sweep_path: ``ENTITY/PROJECT/ID`` or a bare id.
        gpus: GPU ids; each agent sees only its own through ``CUDA_VISIBLE_DEVICES``.
        workers: Agents to start when no GPUs are given.
        count: ``--count`` for each agent.
        project: ``--project`` for each agent.
        entity: ``--entity`` for each agent.
        max_consecutive_failed_runs: Passed on to each agent.
        environ: The environment to start from; ``os.environ`` by default.
        executable: The ``wandb`` command; :func:`wandb_executable` by default.
    """
    base = dict(os.environ if environ is None else environ)
    argv = [*(executable or wandb_executable()), "agent"]
    if count is not None:
        argv += ["--count", str(count)]
    if project:
        argv += ["--project", project]
    if entity:
        argv += ["--entity", entity]
    if max_consecutive_failed_runs is not None:
        argv += ["--max-consecutive-failed-runs", str(max_consecutive_failed_runs)]
    argv.append(sweep_path)
    devices: list[str | None] = list(gpus) if gpus else [None] * workers
    commands = []
    for device in devices:
        env = dict(base)
        if device is not None:
            env["CUDA_VISIBLE_DEVICES"] = device
        commands.append(AgentCommand(argv=tuple(argv), env=env, device=device))
    return commands


def run_agents(
    commands: Sequence[AgentCommand],
    *,
    popen: Callable[..., Any] | None = None,
    echo: Callable[[str], None] = print,
) -> int:
    """Start the agents, wait for all of them, and return the worst exit code.

    Ctrl-C in the terminal reaches every agent directly (they share its
    process group) and each follows its own wait/terminate/kill tiers, so this
    process only keeps waiting; a SIGTERM sent to this process alone is passed on.
    """
    popen = popen or subprocess.Popen
    processes = []
    for command in commands:
        where = f"GPU {command.device}" if command.device is not None else "no GPU"
        echo(f"starting wandb agent ({where}): {' '.join(command.argv)}")
        processes.append(popen(list(command.argv), env=dict(command.env)))

    def pass_on(signum: int, frame: Any) -> None:
        for process in processes:
            process.send_signal(signum)

    previous = {
        signal.SIGINT: signal.signal(signal.SIGINT, lambda signum, frame: None),
        signal.SIGTERM: signal.signal(signal.SIGTERM, pass_on),
    }
    try:
        codes = [process.wait() for process in processes]
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return max((code for code in codes), key=abs, default=0)
