"""The sweepkit command, through click's CliRunner: exit codes, output, the online boundary."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from sweepkit.agent import online
from sweepkit.agent.agent import AgentError
from sweepkit.agent.store import SweepStore
from sweepkit.cli import main

PROGRAMS = Path(__file__).resolve().parent / "programs"


@pytest.fixture
def runner(monkeypatch, tmp_path) -> CliRunner:
    monkeypatch.chdir(PROGRAMS)
    monkeypatch.setenv("WANDB_DIR", str(tmp_path))
    monkeypatch.setenv("PROBE_OUT", "")
    return CliRunner()


def write_sweep(tmp_path: Path, **overrides) -> str:
    config = {"program": "probe.py", "method": "grid", "parameters": {"a": {"values": [1, 2, 3]}}, **overrides}
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(config))
    return str(path)


def test_a_bad_sweep_file_is_a_usage_error_listing_every_problem(runner, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("program: probe.py\nmethod: gridd\nparameters:\n  a: {valuez: [1, 2]}\n")

    result = runner.invoke(main, ["run", str(path)])

    assert result.exit_code == 2
    assert "2 problems" in result.output
    assert "method" in result.output and "parameters.a.valuez" in result.output
    assert not (tmp_path / "wandb").exists()


def test_run_prints_the_sweep_id_first_then_runs_it_to_the_end(runner, tmp_path):
    result = runner.invoke(main, ["run", write_sweep(tmp_path), "--workers", "2", "--seed", "3"])

    assert result.exit_code == 0, result.output
    first_line = result.output.splitlines()[0]
    assert first_line.startswith("Created offline sweep: ")
    sweep_id = first_line.split(": ")[1]
    store = SweepStore.open(tmp_path, sweep_id)
    assert store.info.seed == 3
    assert sorted(record.params["a"] for record in store.runs()) == [1, 2, 3]
    assert {record.state for record in store.runs()} == {"finished"}
    assert f"sweep {sweep_id}: 3 finished" in result.output


def test_sweep_offline_prints_only_the_id_and_agents_resume_it(runner, tmp_path):
    created = runner.invoke(main, ["sweep", write_sweep(tmp_path), "--offline"])
    sweep_id = created.stdout.strip()

    first = runner.invoke(main, ["agent", sweep_id, "--count", "1", "--json"])
    rest = runner.invoke(main, ["agent", sweep_id, "--json"])

    assert created.exit_code == 0 and len(sweep_id) == 8
    assert "sweepkit agent " + sweep_id in created.stderr
    first_result, rest_result = json.loads(first.stdout), json.loads(rest.stdout)
    assert len(first_result["started"]) == 1 and len(rest_result["started"]) == 2
    assert sorted(run["params"]["a"] for run in rest_result["runs"]) == [1, 2, 3]
    assert all(run["state"] == "finished" for run in rest_result["runs"])


def test_a_hyperband_sweep_without_strict_gets_a_note_and_one_with_it_none(runner, tmp_path):
    hyperband = {"type": "hyperband", "min_iter": 1}
    implicit = write_sweep(tmp_path, metric={"name": "m"}, early_terminate=hyperband)
    created = runner.invoke(main, ["sweep", implicit, "--offline"])
    explicit = write_sweep(tmp_path, metric={"name": "m"}, early_terminate={**hyperband, "strict": True})
    quiet = runner.invoke(main, ["sweep", explicit, "--offline"])

    assert created.exit_code == 0 and quiet.exit_code == 0
    assert "no 'strict'" in created.stderr and "strict: true" in created.stderr
    assert len(created.stdout.strip()) == 8  # stdout stays the bare id for scripts
    assert "strict" not in quiet.stderr


@pytest.mark.parametrize(
    "overrides, needle",
    [
        ({"parameters": {"a": {"values": [1, 2]}, "lr": {"min": 0.1, "max": 1.0}}, "method": "random"}, "continuous here: lr"),
        ({}, "method: random only; this sweep uses method: grid"),
    ],
)
def test_no_repeat_where_it_cannot_apply_is_a_usage_error(runner, tmp_path, overrides, needle):
    sweep = write_sweep(tmp_path, **overrides)

    results = [runner.invoke(main, ["run", sweep, "--no-repeat"]), runner.invoke(main, ["sweep", sweep, "--offline", "--no-repeat"])]

    for result in results:
        assert result.exit_code == 2 and needle in result.output
    assert not (tmp_path / "wandb").exists()


def test_no_repeat_on_a_discrete_random_sweep_is_accepted(runner, tmp_path):
    sweep = write_sweep(tmp_path, method="random", parameters={"a": {"values": [1, 2]}, "b": {"min": 1, "max": 2}})

    created = runner.invoke(main, ["sweep", sweep, "--offline", "--no-repeat"])

    assert created.exit_code == 0, created.output
    assert SweepStore.open(tmp_path, created.stdout.strip()).info.no_repeat


def test_gpus_without_nvidia_smi_get_a_note(runner, tmp_path, monkeypatch):
    import shutil

    sweep = write_sweep(tmp_path)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    without = runner.invoke(main, ["run", sweep, "--gpus", "0", "--count", "1"])
    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")
    with_smi = runner.invoke(main, ["run", sweep, "--gpus", "0", "--count", "1"])

    assert without.exit_code == 0 and with_smi.exit_code == 0
    assert "nvidia-smi is not on PATH" in without.stderr
    assert "nvidia-smi" not in with_smi.stderr


def test_workers_and_gpus_together_are_a_usage_error(runner, tmp_path):
    result = runner.invoke(main, ["run", write_sweep(tmp_path), "--workers", "2", "--gpus", "0,1"])

    assert result.exit_code == 2
    assert "--workers or --gpus" in result.output


def test_library_errors_are_one_line_and_debug_shows_the_traceback(runner, tmp_path):
    sweep = write_sweep(tmp_path, program="missing_program.py")

    short = runner.invoke(main, ["run", sweep])
    debug = runner.invoke(main, ["--debug", "run", sweep])

    assert short.exit_code == 1
    assert "Error: cannot start runs: program 'missing_program.py' not found" in short.output
    assert "Traceback" not in short.output
    assert isinstance(debug.exception, AgentError)


def test_an_unknown_sweep_id_says_where_it_looked_without_the_debug_hint(runner, tmp_path):
    result = runner.invoke(main, ["agent", "nosuch"])

    assert result.exit_code == 1
    assert "no offline sweep 'nosuch'" in result.output and "WANDB_DIR" in result.output
    assert "--debug" not in result.output


def test_an_agent_that_gives_up_exits_1_and_shows_the_failed_output(runner, tmp_path):
    sweep = write_sweep(tmp_path, parameters={"a": {"values": [1, 2, 3, 4]}, "exit_code": {"value": 4}, "print_lines": {"value": 2}})

    result = runner.invoke(main, ["run", sweep])

    assert result.exit_code == 1
    assert "3 runs failed in the first 60 s" in result.output
    assert "--- last output of failed run" in result.output and "line 1 of run" in result.output


def test_an_unknown_offline_sweep_id_is_reported(runner, monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "offline")

    result = runner.invoke(main, ["agent", "abcd1234"])

    assert result.exit_code == 1
    assert "no offline sweep 'abcd1234'" in result.output


def test_online_sweep_is_created_with_wandb_sweep(runner, monkeypatch, tmp_path):
    monkeypatch.delenv("WANDB_MODE", raising=False)
    calls = []

    def fake_sweep(config, entity=None, project=None):
        calls.append((config, entity, project))
        return "onl12345"

    import wandb

    monkeypatch.setattr(wandb, "sweep", fake_sweep)
    sweep = write_sweep(tmp_path)

    result = runner.invoke(main, ["sweep", sweep, "--project", "proj", "--entity", "team"])

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "onl12345"
    assert calls == [(yaml.safe_load(Path(sweep).read_text()), "team", "proj")]
    assert "sweepkit agent team/proj/onl12345" in result.stderr


class FakePopen:
    """Records the wandb agent processes the command starts; `exit_codes` says how each ends."""

    started: list[dict] = []
    exit_codes: list[int] = []

    def __init__(self, argv, env=None) -> None:
        self.argv, self.env = argv, env
        self.code = FakePopen.exit_codes[len(FakePopen.started)]
        FakePopen.started.append({"argv": argv, "env": env})

    def wait(self) -> int:
        return self.code

    def send_signal(self, signum) -> None:
        pass


@pytest.mark.parametrize(("exit_codes", "expected"), [([0, 0, 0, 0], 0), ([0, 1, 0, 0], 1)])
def test_online_agent_starts_one_wandb_agent_per_gpu(runner, monkeypatch, exit_codes, expected):
    monkeypatch.delenv("WANDB_MODE", raising=False)
    monkeypatch.setattr(online.subprocess, "Popen", FakePopen)
    FakePopen.started, FakePopen.exit_codes = [], exit_codes

    result = runner.invoke(main, ["agent", "team/proj/onl12345", "--gpus", "0,1,2,3", "--count", "5"])

    assert result.exit_code == expected
    assert [call["argv"] for call in FakePopen.started] == [[*online.wandb_executable(), "agent", "--count", "5", "team/proj/onl12345"]] * 4
    assert [call["env"]["CUDA_VISIBLE_DEVICES"] for call in FakePopen.started] == ["0", "1", "2", "3"]
    for call in FakePopen.started:
        assert {k: v for k, v in call["env"].items() if k != "CUDA_VISIBLE_DEVICES"} == {
            k: v for k, v in os.environ.items() if k != "CUDA_VISIBLE_DEVICES"
        }


def test_online_agent_passes_project_entity_and_failure_limit_on():
    (command,) = online.agent_commands(
        "abc123", project="proj", entity="team", max_consecutive_failed_runs=3, environ={}, executable=["wandb"]
    )

    assert command.argv == ("wandb", "agent", "--project", "proj", "--entity", "team", "--max-consecutive-failed-runs", "3", "abc123")
    assert command.env == {} and command.device is None
