"""Starting and stopping trial processes: checks before start, orphans, output tails."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from sweepkit.agent import launcher
from sweepkit.agent.store import pid_is_alive, process_start_time

IGNORES_SIGTERM = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); time.sleep(60)"


def test_check_argv_finds_a_missing_interpreter_and_program(tmp_path):
    (tmp_path / "real.py").write_text("")
    env = {"PATH": os.environ["PATH"]}

    assert launcher.check_argv(["/usr/bin/env", sys.executable, "real.py"], program="real.py", cwd=tmp_path, env=env) == []
    assert launcher.check_argv(["/usr/bin/env", "-i", "A=1", "python3", "real.py"], program="real.py", cwd=tmp_path, env=env) == []
    (problem,) = launcher.check_argv(["/usr/bin/env", "no-such-python", "real.py"], program="real.py", cwd=tmp_path, env=env)
    assert "'no-such-python' not found" in problem
    (problem,) = launcher.check_argv([sys.executable, "gone.py"], program="gone.py", cwd=tmp_path, env=env)
    assert "program 'gone.py' not found" in problem


def test_an_orphan_that_ignores_sigterm_is_killed_after_the_grace(tmp_path):
    env = {**os.environ, "WANDB_SWEEP_ID": "swp00001", "WANDB_RUN_ID": "run00001"}
    process = subprocess.Popen([sys.executable, "-c", IGNORES_SIGTERM], env=env, start_new_session=True, stdout=subprocess.PIPE)
    assert process.stdout.readline() == b"ready\n"

    found = launcher.find_trial_groups("swp00001", "run00001")
    launcher.stop_orphans({process.pid: process_start_time(process.pid)}, grace=0.3)

    # It ignored SIGTERM, so only the SIGKILL after the grace can have ended it (stop_orphans
    # reaps it too, as it reaps orphans a resuming agent started itself).
    assert found == {process.pid}
    assert not pid_is_alive(process.pid, None)
    assert launcher.find_trial_groups("swp00001", "run00001") == set()
    process.wait(timeout=10)


def test_stop_orphans_leaves_a_reused_pid_alone():
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    try:
        launcher.stop_orphans({process.pid: "some-other-start-time"}, grace=0.1)
        time.sleep(0.1)
        assert process.poll() is None and pid_is_alive(process.pid, None)
    finally:
        process.kill()
        process.wait()


def test_a_trial_is_stopped_through_its_process_group(tmp_path):
    # The program starts a child of its own; a stop must reach both.
    code = "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); print('up', flush=True); time.sleep(60)"
    trial = launcher.start_trial("r1", [sys.executable, "-c", code], dict(os.environ), cwd=tmp_path, output_path=tmp_path / "out.log")
    deadline = time.monotonic() + 30
    while "up" not in launcher.output_tail(trial.output_path) and time.monotonic() < deadline:
        time.sleep(0.05)

    trial.terminate()

    assert trial.popen.wait(timeout=10) == -15
    deadline = time.monotonic() + 10
    while _group_members(trial.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _group_members(trial.pid) == []


def _group_members(pgid: int) -> list[int]:
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.getpgid(int(entry)) == pgid and pid_is_alive(int(entry), None):
                    members.append(int(entry))
            except ProcessLookupError:
                pass
    return members


def test_output_tail_keeps_the_last_lines(tmp_path):
    path = tmp_path / "out.log"
    path.write_text("".join(f"line {n}\n" for n in range(100)))

    assert launcher.output_tail(path, 3) == "line 97\nline 98\nline 99"
    assert launcher.output_tail(tmp_path / "missing.log") == ""
