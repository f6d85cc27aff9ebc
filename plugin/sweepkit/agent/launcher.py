"""Start, watch and stop the process of one trial, the way ``wandb agent`` does.

A trial runs in its own session (so its own process group) with stdin closed:
Ctrl-C in the agent's terminal does not reach it, and a stop signal reaches the
program and everything it started. Its output goes to a file beside the sweep
store so the agent never blocks on a full pipe and can keep the last lines of a
failed run.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from sweepkit.agent.store import pid_is_alive

OUTPUT_TAIL_LINES = 40
# Read at most this much from the end of an output file for its tail.
_TAIL_BYTES = 64 * 1024
_ENV = "/usr/bin/env"


@dataclass
class TrialProcess:
    """A running trial.

    Attributes:
        run_id: The W&B run id.
        popen: The process.
        output_path: Where its stdout and stderr go.
        started: ``time.monotonic()`` at start.
        terminated_at: ``time.monotonic()`` when SIGTERM was sent, else None.
        killed: Whether SIGKILL was sent.
    """

    run_id: str
    popen: subprocess.Popen[bytes]
    output_path: Path
    started: float
    terminated_at: float | None = None
    killed: bool = False

    @property
    def pid(self) -> int:
        return self.popen.pid

    def poll(self) -> int | None:
        """The exit code (negative: killed by that signal), or None while it runs."""
        return self.popen.poll()

    def terminate(self) -> None:
        """SIGTERM to the trial's process group (the program and what it started)."""
        if self.terminated_at is None:
            self.terminated_at = time.monotonic()
        signal_group(self.pid, signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL to the trial's process group."""
        self.killed = True
        signal_group(self.pid, signal.SIGKILL)

    def output_tail(self, lines: int = OUTPUT_TAIL_LINES) -> str:
        """The last lines the trial printed."""
        return output_tail(self.output_path, lines)


def start_trial(
    run_id: str,
    argv: Sequence[str],
    env: Mapping[str, str],
    *,
    cwd: str | os.PathLike[str],
    output_path: Path,
) -> TrialProcess:
    """Start one trial in its own session with stdin closed, output to ``output_path``."""
    output_path.parent.mkdir(parents=True, exist_ok=True)
    with open(output_path, "ab") as output:
        popen = subprocess.Popen(
            list(argv),
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return TrialProcess(run_id=run_id, popen=popen, output_path=output_path, started=time.monotonic())


def signal_group(pid: int, signum: int) -> None:
    """Send a signal to the process group a trial leads; a group already gone is fine."""
    try:
        os.killpg(pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def stop_orphans(groups: Mapping[int, str | None], *, grace: float = 5.0) -> None:
    """Stop trials whose agent died: SIGTERM to each group, SIGKILL to all after ``grace`` seconds.

    ``groups`` maps each trial's pid (its group id) to its start time when
    known; a pid the OS has since given to another process is left alone.
    All get SIGTERM at once, so no orphan runs on while another is waited for.
    """
    alive = [pid for pid, start in groups.items() if pid_is_alive(pid, start)]
    for pid in alive:
        signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while alive and time.monotonic() < deadline:
        for pid in alive:
            _reap(pid)
        alive = [pid for pid in alive if pid_is_alive(pid, groups[pid])]
        time.sleep(0.05)
    # Also for groups whose leader is gone: members it left behind (W&B's service) go too.
    for pid, start in groups.items():
        if start is None or pid in alive or not pid_is_alive(pid, None):
            signal_group(pid, signal.SIGKILL)
    # SIGKILL is delivered asynchronously: wait (briefly) until the killed ones are gone.
    deadline = time.monotonic() + 2.0
    while alive and time.monotonic() < deadline:
        for pid in alive:
            _reap(pid)
        alive = [pid for pid in alive if pid_is_alive(pid, groups[pid])]
        if alive:
            time.sleep(0.01)


def find_trial_groups(sweep_id: str, run_id: str) -> set[int]:
    """Process groups of the processes started for this run (Linux: found by their environment).

    An agent killed between starting a trial and recording its pid leaves a
    process the store knows nothing of; its environment (``WANDB_SWEEP_ID``,
    ``WANDB_RUN_ID``) still names the run. A trial leads its own group, so the
    group ids are the trials' pids.
    """
    wanted = {f"WANDB_SWEEP_ID={sweep_id}".encode(), f"WANDB_RUN_ID={run_id}".encode()}
    groups = set()
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            variables = set((entry / "environ").read_bytes().split(b"\0"))
            if wanted <= variables:
                groups.add(os.getpgid(int(entry.name)))
        except (OSError, ProcessLookupError):
            continue  # gone, or not ours to read
    return groups


def _reap(pid: int) -> None:
    # An orphan this process happened to start (tests resume in-process) must be
    # reaped, or it lingers as a zombie that still looks alive.
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def output_tail(path: Path, lines: int = OUTPUT_TAIL_LINES) -> str:
    """The last ``lines`` lines of a file ('' when it does not exist)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - _TAIL_BYTES))
            data = handle.read()
    except OSError:
        return ""
    text = data.decode("utf-8", errors="replace")
    return "\n".join(text.splitlines()[-lines:])


def check_argv(argv: Sequence[str], *, program: str | None, cwd: str | os.PathLike[str], env: Mapping[str, str]) -> list[str]:
    """Problems that would make every trial fail at once, found before any starts.

    Checks that the executable (after ``/usr/bin/env`` and its options) exists
    on ``PATH`` and that the sweep's program file exists relative to ``cwd``.
    """
    problems = []
    words = list(argv)
    if words and words[0] == _ENV:
        words = words[1:]
        # `env` takes options and NAME=value assignments before the command.
        while words and (words[0].startswith("-") or "=" in words[0]):
            words = words[1:]
    if not words:
        problems.append(f"the sweep's command {list(argv)} names no executable")
    else:
        executable = words[0]
        found = shutil.which(executable, path=env.get("PATH", os.defpath)) if os.sep not in executable else (
            executable if os.access(Path(cwd) / executable, os.X_OK) else None
        )
        if found is None:
            problems.append(f"interpreter or executable {executable!r} not found (PATH={env.get('PATH', '')})")
    if program is not None and program in argv and not (Path(cwd) / program).is_file():
        problems.append(
            f"program {program!r} not found in {Path(cwd).resolve()}: the agent runs the sweep's `program` "
            "relative to its working directory, so start it where the program is"
        )
    return problems
