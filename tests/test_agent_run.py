"""The offline agent end to end, with real processes: contract, guards, hyperband, crash recovery."""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sweepkit.agent.agent import Agent, AgentError, AgentOptions
from sweepkit.agent.progress import PlainLines
from sweepkit.agent.store import SweepStore, sweep_dir
from sweepkit.run import CRASHED, FAILED, FINISHED, KILLED
from sweepkit.transaction_log import find_run_log, read_run

PROGRAMS = Path(__file__).resolve().parent / "programs"
REPO = PROGRAMS.parent.parent
SWEEPKIT = [sys.executable, "-c", "from sweepkit.cli import main; main()"]


@pytest.fixture
def env(tmp_path: Path, offline_env: dict[str, str]) -> dict[str, str]:
    probe_out = tmp_path / "probe"
    probe_out.mkdir()
    return {**offline_env, "PROBE_OUT": str(probe_out), "PROBE_LOG": str(tmp_path / "probe.log")}


def grid(program: str, **parameters) -> dict:
    return {
        "program": program,
        "method": "grid",
        "parameters": {name: {"values": value} if isinstance(value, list) else {"value": value} for name, value in parameters.items()},
    }


def run_agent(store, tmp_path, env, *, cwd=PROGRAMS, **options) -> tuple:
    lines = io.StringIO()
    agent = Agent(
        store,
        wandb_dir=tmp_path,
        options=AgentOptions(handle_signals=False, poll_interval=0.05, **options),
        progress=PlainLines(lines),
        environ=env,
        cwd=cwd,
    )
    return agent.run(), lines.getvalue()


def probes(tmp_path: Path) -> dict[str, dict]:
    return {path.stem: json.loads(path.read_text()) for path in (tmp_path / "probe").glob("*.json")}


def ends(tmp_path: Path) -> list[str]:
    log = tmp_path / "probe.log"
    return [line.split(" ", 2)[2] for line in log.read_text().splitlines() if line.startswith("end ")] if log.exists() else []


def test_each_trial_gets_wandb_contract_own_session_and_closed_stdin(tmp_path, env):
    store = SweepStore.create(tmp_path, grid("probe.py", a=[1, 2]), project="proj", entity="team")

    result, _ = run_agent(store, tmp_path, env, workers=2)

    seen = probes(tmp_path)
    assert set(seen) == set(result.started) == {record.id for record in store.runs()}
    for record in store.runs():
        probe = seen[record.id]
        assert record.state == FINISHED and record.exit_code == 0
        assert probe["argv"] == [f"--a={record.params['a']}"]
        assert probe["executable"] == sys.executable
        assert probe["env"] == {
            "WANDB_SWEEP_ID": store.info.id,
            "WANDB_RUN_ID": record.id,
            "WANDB_SWEEP_PARAM_PATH": str(sweep_dir(tmp_path, store.info.id) / f"config-{record.id}.yaml"),
            "WANDB_DIR": str(tmp_path),
            "WANDB_PROJECT": "proj",
            "WANDB_ENTITY": "team",
            "WANDB_MODE": "offline",
            "WANDB_X_TRANSACTION_LOG_FLUSH_INTERVAL": "0.1",
            "CUDA_VISIBLE_DEVICES": None,
        }
        assert probe["sid"] == probe["pgid"] == probe["pid"] != probe["parent_sid"]
        assert probe["stdin"] == ""
        assert probe["cwd"] == str(PROGRAMS)


def test_parameter_values_never_pass_through_a_shell(tmp_path, env):
    hostile = ["'; rm -rf ~'", "$(touch pwned) `touch pwned` > out; | cat"]
    store = SweepStore.create(tmp_path, grid("probe.py", note=hostile))

    run_agent(store, tmp_path, env)

    assert sorted(probe["argv"][0] for probe in probes(tmp_path).values()) == sorted(f"--note={value}" for value in hostile)
    assert not (PROGRAMS / "pwned").exists() and not (PROGRAMS / "out;").exists()


def test_gpus_give_each_concurrent_run_its_own_device(tmp_path, env):
    store = SweepStore.create(tmp_path, grid("probe.py", a=[1, 2, 3, 4], sleep=0.3))

    run_agent(store, tmp_path, env, gpus=("2", "5"))

    seen = probes(tmp_path)
    for record in store.runs():
        assert seen[record.id]["env"]["CUDA_VISIBLE_DEVICES"] == record.device
    assert {record.device for record in store.runs()} == {"2", "5"}
    # Runs sharing a device never overlapped in time.
    for device in ("2", "5"):
        spans = sorted((r.started, r.ended) for r in store.runs() if r.device == device)
        assert all(earlier[1] <= later[0] for earlier, later in zip(spans, spans[1:]))


def test_failed_runs_keep_their_last_output_and_flapping_stops_the_agent(tmp_path, env):
    store = SweepStore.create(tmp_path, grid("probe.py", a=list(range(6)), exit_code=3, print_lines=60))

    result, lines = run_agent(store, tmp_path, env)

    assert result.gave_up and len(result.started) == 3
    assert "3 runs failed in the first 60 s" in result.stop_reason
    assert all(f"output-{run_id}.log" in result.stop_reason for run_id in result.failed_runs)
    for record in store.runs():
        assert (record.state, record.exit_code, record.reason) == (FAILED, 3, "exit code 3")
        assert record.output_tail.splitlines()[-1] == f"line 59 of run {record.id}"
        assert f"line 0 of run {record.id}" not in record.output_tail
    assert "stopped: 3 runs failed" in lines


def test_max_consecutive_failed_runs_stops_the_agent(tmp_path, env):
    env = {**env, "WANDB_AGENT_DISABLE_FLAPPING": "true", "WANDB_AGENT_MAX_INITIAL_FAILURES": "100"}
    store = SweepStore.create(tmp_path, grid("probe.py", a=list(range(6)), exit_code=1))

    result, _ = run_agent(store, tmp_path, env, max_consecutive_failed_runs=2)

    assert result.gave_up and len(result.started) == 2
    assert "2 runs failed in a row" in result.stop_reason


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (grid("no_such_program.py", a=[1]), "no_such_program.py"),
        ({**grid("probe.py", a=[1]), "command": ["${env}", "python-that-is-not-there", "${program}"]}, "python-that-is-not-there"),
        ({**grid("probe.py", a=[1]), "command": ["${interpreter}", "${program}", "${args_jsn}"]}, "args_jsn"),
    ],
)
def test_a_missing_program_or_interpreter_is_reported_before_any_run_starts(tmp_path, env, config, message):
    store = SweepStore.create(tmp_path, config)

    with pytest.raises(AgentError, match=message):
        run_agent(store, tmp_path, env)
    assert store.runs() == []


def test_count_limits_this_agent_and_the_next_agent_resumes(tmp_path, env):
    store = SweepStore.create(tmp_path, grid("probe.py", a=[1, 2, 3, 4, 5]))

    first, _ = run_agent(store, tmp_path, env, count=2)
    second, _ = run_agent(SweepStore.open(tmp_path, store.info.id), tmp_path, env)

    assert len(first.started) == 2 and len(second.started) == 3
    assert sorted(record.params["a"] for record in store.runs()) == [1, 2, 3, 4, 5]
    assert all(record.state == FINISHED for record in store.runs())


def test_random_search_draws_new_values_for_every_run_and_replays_with_its_seed(tmp_path, env):
    config = {"program": "probe.py", "method": "random", "parameters": {"x": {"min": 0.0, "max": 1.0}}}
    first = SweepStore.create(tmp_path, config, seed=11)
    again = SweepStore.create(tmp_path, config, seed=11)

    run_agent(first, tmp_path, env, count=4)
    run_agent(again, tmp_path, env, count=4)

    draws = [record.params["x"] for record in first.runs()]
    assert len(set(draws)) == 4
    assert [record.params["x"] for record in again.runs()] == draws


def test_two_agent_processes_serve_one_sweep_without_repeating_a_grid_point(tmp_path, env):
    sweep_id = SweepStore.create(tmp_path, grid("probe.py", a=list(range(8)), sleep=0.2)).info.id
    command = [*SWEEPKIT, "agent", sweep_id, "--dir", str(tmp_path)]
    agents = [subprocess.Popen(command, cwd=PROGRAMS, env=env, stdout=subprocess.DEVNULL) for _ in range(2)]

    assert [agent.wait(timeout=120) for agent in agents] == [0, 0]
    records = SweepStore.open(tmp_path, sweep_id).runs()
    assert sorted(record.params["a"] for record in records) == list(range(8))
    assert sorted(ends(tmp_path)) == sorted(json.dumps(r.params, sort_keys=True) for r in records)


def test_kill_9_of_the_agent_then_resume_loses_nothing_and_repeats_nothing(tmp_path, env):
    sleeps = [1.0, 3.0, 1.5, 3.5, 2.0, 2.5]
    store = SweepStore.create(tmp_path, grid("probe.py", sleep=sleeps))
    agent = subprocess.Popen(
        [*SWEEPKIT, "agent", store.info.id, "--workers", "2", "--dir", str(tmp_path)],
        cwd=PROGRAMS, env=env, stdout=subprocess.DEVNULL,
    )
    # Kill it once a run has finished while the others are well inside their sleep: a run
    # that ends on its own while its agent is dead leaves no exit code when it has no W&B log.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        records = store.runs()
        unfinished = [r for r in records if not r.is_terminal]
        if any(r.state == FINISHED for r in records) and unfinished and all(
            r.state == "running" and r.started + r.params["sleep"] - time.time() > 0.8 for r in unfinished
        ):
            break
        time.sleep(0.02)
    agent.send_signal(signal.SIGKILL)
    agent.wait()
    finished_before = {r.id: r.params for r in store.runs() if r.state == FINISHED}
    interrupted = [r.id for r in store.runs() if not r.is_terminal]

    run_agent(SweepStore.open(tmp_path, store.info.id), tmp_path, env, workers=2)

    records = {record.id: record for record in store.runs()}
    assert finished_before and interrupted
    assert all(records[run_id].state == FINISHED for run_id in finished_before)
    for run_id in interrupted:
        assert records[run_id].state == CRASHED and records[run_id].requeued
        assert "died" in records[run_id].reason
    finished = [record.params["sleep"] for record in records.values() if record.state == FINISHED]
    assert sorted(finished) == sorted(sleeps)
    # Every grid point ran to its end exactly once: the orphans were stopped, not left to finish.
    assert sorted(ends(tmp_path)) == sorted(json.dumps({"sleep": sleep}) for sleep in sleeps)


@pytest.mark.parametrize(("presses", "state"), [(1, FINISHED), (2, KILLED)])
def test_ctrl_c_first_waits_for_the_runs_then_stops_them(tmp_path, env, presses, state):
    store = SweepStore.create(tmp_path, grid("probe.py", a=[1, 2, 3], sleep=2.0))
    agent = subprocess.Popen([*SWEEPKIT, "agent", store.info.id, "--dir", str(tmp_path)], cwd=PROGRAMS, env=env, stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(record.state == "running" for record in store.runs()):
        time.sleep(0.05)
    for _ in range(presses):
        agent.send_signal(signal.SIGINT)
        time.sleep(0.3)
    output, _ = agent.communicate(timeout=60)

    (record,) = store.runs()
    assert agent.returncode == 130
    assert record.state == state
    if state == KILLED:
        assert record.reason == "stopped by Ctrl-C on the agent" and record.exit_code == -signal.SIGTERM
    assert "Ctrl-C: waiting for 1 running run(s) to end" in output


def test_a_run_that_ignores_sigterm_is_killed_after_wandb_agent_kill_delay(tmp_path, env):
    store = SweepStore.create(tmp_path, grid("probe.py", a=[1], sleep=30, ignore_sigterm=True))
    env = {**env, "WANDB_AGENT_KILL_DELAY": "0.5"}
    agent = subprocess.Popen([*SWEEPKIT, "agent", store.info.id, "--dir", str(tmp_path)], cwd=PROGRAMS, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not probes(tmp_path):  # written once SIGTERM is ignored
        time.sleep(0.05)
    for _ in range(2):
        agent.send_signal(signal.SIGINT)
        time.sleep(0.3)

    assert agent.wait(timeout=30) == 130
    (record,) = store.runs()
    assert (record.state, record.exit_code, record.reason) == (KILLED, -signal.SIGKILL, "stopped by Ctrl-C on the agent")


def test_hyperband_stops_a_losing_run_of_a_plain_wandb_program_while_it_trains(tmp_path, offline_env):
    config = {
        **grid("quadratic.py", x=[6.0, 1.0], epochs=12, sleep=0.4),
        "metric": {"name": "score", "goal": "maximize"},
        "early_terminate": {"type": "hyperband", "min_iter": 2, "eta": 3},
    }
    store = SweepStore.create(tmp_path, config)

    run_agent(store, tmp_path, offline_env)

    winner, loser = store.runs()
    assert winner.state == FINISHED and len(winner.history) == 12
    assert loser.state == KILLED and loser.reason.startswith("hyperband: score")
    assert 3 <= len(loser.history) < 12
    for record in (winner, loser):
        log = find_run_log(tmp_path, record.id)
        assert str(log.parent) == record.run_dir
        assert read_run(log).config == {"x": record.params["x"], "epochs": 12, "sleep": 0.4}


def test_train_py_runs_under_the_agent(tmp_path, offline_env):
    config = {
        **grid("train.py", lr=[0.01], epochs=2, width=32, layers=1),
        "metric": {"name": "val_accuracy", "goal": "maximize"},
    }
    store = SweepStore.create(tmp_path, config)

    run_agent(store, tmp_path, offline_env, cwd=REPO)

    (record,) = store.runs()
    assert record.state == FINISHED, record.output_tail
    assert len([row for row in record.history if "val_accuracy" in row]) == 2
    assert find_run_log(tmp_path, record.id) is not None


def test_no_repeat_runs_every_combination_of_a_discrete_random_sweep_once_then_ends(tmp_path, env):
    config = {"program": "probe.py", "method": "random", "parameters": {"a": {"values": [1, 2, 3]}, "b": {"values": ["x", "y"]}}}
    sweep_yaml = tmp_path / "sweep.yaml"
    sweep_yaml.write_text(json.dumps(config))
    done = subprocess.run(
        [*SWEEPKIT, "run", str(sweep_yaml), "--no-repeat", "--count", "20", "--seed", "3", "--dir", str(tmp_path)],
        cwd=PROGRAMS, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    sweep_id = done.stdout.partition("Created offline sweep: ")[2].split()[0]
    records = SweepStore.open(tmp_path, sweep_id).runs()
    combos = sorted((record.params["a"], record.params["b"]) for record in records)
    assert combos == sorted((a, b) for a in (1, 2, 3) for b in ("x", "y"))  # 6 runs, not 20
