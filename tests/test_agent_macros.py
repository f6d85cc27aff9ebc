"""The argv, environment and param files of a trial, checked against W&B's own agent code."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from wandb import wandb_agent

from sweepkit.agent import macros
from sweepkit.agent.agent import trial_env, write_param_files
from sweepkit.agent.store import sweep_dir

PARAMS = {
    "lr": 0.001,
    "batch_size": 64,
    "use_bn": True,
    "augment": False,
    "optimizer": {"name": "adam", "beta1": 0.9},
    "note": "'; rm -rf ~'",
    "title": "two words",
    "nothing": None,
}
COMMANDS = {
    "default": None,
    "every_macro": [
        "${env}",
        "${interpreter}",
        "${program}",
        "${args}",
        "${args_no_hyphens}",
        "${args_no_boolean_flags}",
        "${args_json}",
        "${args_json_file}",
        "${args_no_equals}",
        "${args_append_hydra}",
        "${args_override_hydra}",
    ],
    "envvar": ["${env}", "python3", "${program}", "--home=${envvar:SWEEPKIT_TEST_HOME}", "${envvar:SWEEPKIT_TEST_UNSET}", "${args}"],
    "macro_inside_item_is_literal": ["${interpreter}", "${program}", "--all=${args}", "${args_json_file}"],
    "hydra": ["${env}", "${interpreter}", "${program}", "${args_override_hydra}"],
}


class _RecordingProcess:
    """Stands in for wandb's AgentProcess: records what it would have started."""

    started: list[dict] = []

    def __init__(self, env=None, command=None, **kwargs) -> None:
        _RecordingProcess.started.append({"env": env, "command": command})


def wandb_reference(monkeypatch: pytest.MonkeyPatch, wandb_dir: Path, command: list | None, params: dict) -> dict:
    """What `wandb agent` builds for this command and params: argv, env and files."""
    monkeypatch.setattr(wandb_agent, "AgentProcess", _RecordingProcess)
    monkeypatch.setenv("WANDB_DIR", str(wandb_dir))
    monkeypatch.setenv("WANDB_SWEEP_ID", "swp12345")
    monkeypatch.setenv("WANDB_RUN_ID", "placeholder")  # so monkeypatch restores what wandb sets
    monkeypatch.setenv("WANDB_SWEEP_PARAM_PATH", "placeholder")
    _RecordingProcess.started = []
    agent = wandb_agent.Agent(api=None, queue=None, sweep_id="swp12345")
    agent._sweep_command = list(command) if command else []
    agent._command_run({"run_id": "run12345", "program": "train.py", "args": {k: {"value": v} for k, v in params.items()}})
    (started,) = _RecordingProcess.started
    return started


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_argv_matches_wandb_agent_for_every_macro(name, monkeypatch, tmp_path):
    monkeypatch.setenv("SWEEPKIT_TEST_HOME", "/home/somebody")
    monkeypatch.delenv("SWEEPKIT_TEST_UNSET", raising=False)
    command = COMMANDS[name]
    reference = wandb_reference(monkeypatch, tmp_path, command, PARAMS)
    json_file = str(sweep_dir(tmp_path, "swp12345") / "config-run12345.json")

    # W&B writes the literal `python` for ${interpreter}; ask for the same to compare the rest.
    argv = macros.build_argv(command, program="train.py", params=PARAMS, args_json_file=json_file, interpreter="python")

    assert argv == reference["command"]


def test_interpreter_is_the_running_python():
    argv = macros.build_argv(None, program="train.py", params={"lr": 0.1})

    assert argv == ["/usr/bin/env", sys.executable, "train.py", "--lr=0.1"]


def test_env_and_param_files_match_wandb_agent(monkeypatch, tmp_path):
    command = ["${env}", "${interpreter}", "${program}", "${args_json_file}"]
    reference = wandb_reference(monkeypatch, tmp_path, command, PARAMS)
    directory = sweep_dir(tmp_path, "swp12345")
    wandb_yaml = (directory / "config-run12345.yaml").read_text()
    wandb_json = (directory / "config-run12345.json").read_text()
    for written in directory.iterdir():
        written.unlink()

    yaml_path, json_path = write_param_files(directory, "run12345", PARAMS, with_json=True)
    env = trial_env({}, sweep_id="swp12345", run_id="run12345", wandb_dir=str(tmp_path), param_path=str(yaml_path))

    assert yaml_path.read_text() == wandb_yaml
    assert json_path.read_text() == wandb_json
    for key in ("WANDB_SWEEP_ID", "WANDB_RUN_ID", "WANDB_SWEEP_PARAM_PATH", "WANDB_DIR"):
        assert env[key] == reference["env"][key], key


def test_trial_env_is_offline_with_live_log_flushes_and_optional_project():
    env = trial_env(
        {"WANDB_SERVICE": "socket", "PATH": "/bin"},
        sweep_id="s",
        run_id="r",
        wandb_dir="/w",
        param_path="/w/p.yaml",
        project="proj",
        entity="team",
        device="3",
    )
    bare = trial_env({}, sweep_id="s", run_id="r", wandb_dir="/w", param_path="/w/p.yaml")
    user_choice = trial_env({"WANDB_X_TRANSACTION_LOG_FLUSH_INTERVAL": "5"}, sweep_id="s", run_id="r", wandb_dir="/w", param_path="/p")

    assert env["WANDB_MODE"] == "offline"
    assert env["WANDB_X_TRANSACTION_LOG_FLUSH_INTERVAL"] == "0.1"
    assert (env["WANDB_PROJECT"], env["WANDB_ENTITY"], env["CUDA_VISIBLE_DEVICES"]) == ("proj", "team", "3")
    assert "WANDB_SERVICE" not in env
    assert not {"WANDB_PROJECT", "WANDB_ENTITY", "CUDA_VISIBLE_DEVICES"} & set(bare)
    assert user_choice["WANDB_X_TRANSACTION_LOG_FLUSH_INTERVAL"] == "5"


def test_unknown_macro_is_an_error_naming_it():
    with pytest.raises(macros.MacroError, match=r"\$\{args_jsn\}"):
        macros.build_argv(["${interpreter}", "${program}", "${args_jsn}"], program="p.py", params={})
