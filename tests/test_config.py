"""Sweep config loading and validation, checked against W&B's own validator.

Every file in ``tests/config_corpus/`` starts with comment lines:

* ``# expect: valid|invalid``: sweepkit's verdict, written by hand.
* ``# problem: <path>``: for an invalid file, every path sweepkit must report
  (``<config>`` for the config as a whole).
* ``# sweeps-0.2.0: predates <key>``: the file uses a key W&B accepts today
  that the reference validator (``sweeps`` 0.2.0) predates.
* ``# sweeps-0.2.0: accepts|rejects (...)``: a documented difference.

Everything else must get the same verdict from sweepkit and from W&B.
"""

from __future__ import annotations

import copy
import re
import subprocess
import sys
import warnings as warnings_module
from pathlib import Path
from typing import Any

import pytest
import yaml

from sweepkit.config import (
    NEWER_THAN_SWEEPS_0_2_0,
    TOP_LEVEL_KEYS,
    ConfigError,
    Problem,
    load_config,
    load_yaml,
    validate,
    warnings,
)
from sweepkit.distributions import DISTRIBUTION_NAMES, infer_distribution, is_nested, parameters_of

CORPUS = Path(__file__).parent / "config_corpus"
CORPUS_FILES = sorted(CORPUS.glob("*.yaml"))
REPO_SWEEPS = sorted((Path(__file__).parent.parent / "sweeps").glob("*.yaml"))


def header(path: Path) -> dict[str, list[str]]:
    """The ``# key: value`` comment lines at the top of a corpus file."""
    fields: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        match = re.match(r"# ([\w.-]+): (.*)$", line)
        if not match:
            break
        fields.setdefault(match.group(1), []).append(match.group(2).strip())
    return fields


def expected_valid(path: Path) -> bool:
    (verdict,) = header(path)["expect"]
    assert verdict in ("valid", "invalid"), path
    return verdict == "valid"


def wandb_note(path: Path) -> str | None:
    notes = header(path).get("sweeps-0.2.0")
    return notes[0] if notes else None


def wandb_accepts(config: Any) -> bool:
    """W&B's verdict: its schema validator plus the checks its engine makes when a sweep starts.

    ``SweepConfig`` is the validator ``wandb sweep --controller`` uses; grid
    (discrete parameters only), bayes (metric, one varying parameter) and
    hyperband (metric, at least one bracket) are checked by the first
    ``next_run`` and ``stop_runs`` calls.
    """
    import jsonschema
    import sweeps

    try:
        # W&B's sampler warns where it produces NaN (sigma 0); the verdict is what matters here.
        with warnings_module.catch_warnings():
            warnings_module.simplefilter("ignore", RuntimeWarning)
            validated = sweeps.SweepConfig(copy.deepcopy(config))
            sweeps.next_run(validated, [])
            if "early_terminate" in validated:
                sweeps.stop_runs(validated, [])
    except (jsonschema.ValidationError, ValueError, KeyError, TypeError, AssertionError):
        return False
    return True


def sweepkit_accepts(path: Path) -> bool:
    try:
        load_config(path)
    except ConfigError:
        return False
    return True


def without_keys(config: dict, dotted_keys: list[str]) -> dict:
    stripped = copy.deepcopy(config)
    for dotted in dotted_keys:
        *parents, last = dotted.split(".")
        node = stripped
        for parent in parents:
            node = node.get(parent, {})
        node.pop(last, None)
    return stripped


# ---------------------------------------------------------------- the corpus


def test_corpus_covers_every_key_and_distribution() -> None:
    distributions: set[str] = set()
    top_level: set[str] = set()
    nested_keys: set[str] = set()
    for path in CORPUS_FILES:
        config = yaml.safe_load(path.read_text())
        if not isinstance(config, dict):
            continue
        top_level.update(config)
        for section in ("metric", "early_terminate"):
            if isinstance(config.get(section), dict):
                nested_keys.update(f"{section}.{key}" for key in config[section])
        stack = [config.get("parameters")]
        while stack:
            group = stack.pop()
            for spec in (group or {}).values() if isinstance(group, dict) else ():
                if is_nested(spec):
                    stack.append(spec["parameters"])
                elif isinstance(spec, dict):
                    try:
                        distributions.add(infer_distribution(spec))
                    except ValueError:
                        pass
    assert len(CORPUS_FILES) >= 50
    assert set(DISTRIBUTION_NAMES) <= distributions
    assert set(TOP_LEVEL_KEYS) | {"run_cap"} <= top_level
    assert {
        "metric.name",
        "metric.goal",
        "metric.target",
        "metric.impute",
        "metric.impute_while_running",
        "early_terminate.type",
        "early_terminate.min_iter",
        "early_terminate.max_iter",
        "early_terminate.s",
        "early_terminate.eta",
        "early_terminate.strict",
    } <= nested_keys


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda path: path.stem)
def test_verdict_matches_wandb(path: Path) -> None:
    config, _ = load_yaml(path)
    assert sweepkit_accepts(path) == expected_valid(path)
    note = wandb_note(path)
    if note is None:
        assert wandb_accepts(config) == expected_valid(path)
    elif note.startswith("predates"):
        newer_keys = note.split()[1:]
        assert set(newer_keys) <= set(NEWER_THAN_SWEEPS_0_2_0)
        # sweeps 0.2.0 objects to the newer key and to nothing else.
        assert not wandb_accepts(config)
        assert wandb_accepts(without_keys(config, newer_keys))
    else:
        # A documented difference: W&B's verdict is the opposite one.
        assert note.split()[0] in ("accepts", "rejects")
        assert wandb_accepts(config) == (note.startswith("accepts"))
        assert wandb_accepts(config) != expected_valid(path)


@pytest.mark.parametrize(
    "path", [p for p in CORPUS_FILES if not expected_valid(p)], ids=lambda path: path.stem
)
def test_invalid_corpus_files_report_the_declared_paths(path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    reported = {problem.path for problem in raised.value.problems}
    declared = {"" if entry == "<config>" else entry for entry in header(path)["problem"]}
    assert reported == declared
    for problem in raised.value.problems:
        assert problem.file == str(path)
        assert problem.message


@pytest.mark.parametrize("path", [p for p in CORPUS_FILES if expected_valid(p)], ids=lambda path: path.stem)
def test_valid_corpus_files_build_their_parameters(path: Path) -> None:
    config = load_config(path)
    parameters = parameters_of(config)
    assert parameters
    assert all(parameter.path and parameter.distribution.name in DISTRIBUTION_NAMES for parameter in parameters)


@pytest.mark.parametrize("path", REPO_SWEEPS, ids=lambda path: path.name)
def test_shipped_sweep_yamls_are_valid_for_sweepkit_and_wandb(path: Path) -> None:
    config = load_config(path)
    assert warnings(config) == []
    assert wandb_accepts(without_keys(config, [key for key in NEWER_THAN_SWEEPS_0_2_0 if key != "job"]))


# ---------------------------------------------------------------- messages


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sweep.yaml"
    path.write_text(text)
    return path


def test_every_problem_is_reported_at_once_with_path_line_and_suggestion(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "method: random\n"  # 1
        "paramters:\n"  # 2
        "  lr: {min: 0.1, max: 0.2}\n"  # 3
        "parameters:\n"  # 4
        "  lr:\n"  # 5
        "    min: 0.5\n"  # 6
        "    max: 0.1\n"  # 7
        "  opt:\n"  # 8
        "    distribution: normall\n"  # 9
        "metric:\n"  # 10
        "  name: loss\n"  # 11
        "  goal: minimise\n",  # 12
    )
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    by_path = {problem.path: problem for problem in raised.value.problems}
    assert set(by_path) == {"paramters", "parameters.lr.min", "parameters.opt.distribution", "metric.goal"}
    # In the order of the file, whatever order the checks run in.
    assert [problem.line for problem in raised.value.problems] == [2, 6, 9, 12]
    assert by_path["paramters"].line == 2
    assert "did you mean `parameters`?" in by_path["paramters"].message
    assert by_path["parameters.lr.min"].line == 6
    assert "less than max" in by_path["parameters.lr.min"].message
    assert by_path["parameters.opt.distribution"].line == 9
    assert "did you mean `normal`?" in by_path["parameters.opt.distribution"].message
    assert by_path["metric.goal"].line == 12
    assert "did you mean `minimize`?" in by_path["metric.goal"].message

    text = str(raised.value)
    assert text.startswith(f"4 problems in sweep config {path}")
    assert f"{path}:2: paramters: is not a sweep config key; did you mean `parameters`?" in text
    assert f"{path}:6: parameters.lr.min: " in text


def test_a_missing_key_is_placed_on_its_parents_line(tmp_path: Path) -> None:
    path = write(tmp_path, "method: bayes\nparameters:\n  a:\n    values: [1, 2]\nmetric:\n  goal: maximize\n")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    (problem,) = raised.value.problems
    assert (problem.path, problem.line) == ("metric.name", 5)


def test_list_items_get_their_own_path_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "method: random\ncommand:\n  - python\n  - 3\nparameters:\n  a:\n    value: 1\n")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    (problem,) = raised.value.problems
    assert (problem.path, problem.line) == ("command[1]", 4)


def test_value_like_log_uniform_bounds_suggest_log_uniform_values(tmp_path: Path) -> None:
    path = write(tmp_path, "method: random\nparameters:\n  lr:\n    distribution: log_uniform\n    min: 0.00001\n    max: 0.1\n")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    (problem,) = raised.value.problems
    assert problem.path == "parameters.lr"
    assert problem.line == 3
    assert "distribution: log_uniform_values" in problem.message
    # The exponents that keep log_uniform: log(1e-5) and log(0.1).
    assert "min: -11.51, max: -2.303" in problem.message


def test_grid_names_each_parameter_it_cannot_walk() -> None:
    problems = validate(
        {
            "method": "grid",
            "parameters": {
                "lr": {"min": 0.001, "max": 0.1},
                "units": {"values": [1, 2]},
                "group": {"parameters": {"decay": {"distribution": "beta"}}},
            },
        }
    )
    assert [problem.path for problem in problems] == ["parameters.lr", "parameters.group.parameters.decay"]
    assert "uniform is not allowed with method grid" in problems[0].message
    assert "beta is not allowed with method grid" in problems[1].message


def test_yaml_syntax_errors_become_a_config_error_with_a_line(tmp_path: Path) -> None:
    path = write(tmp_path, "method: random\nparameters:\n  a: [1, 2\n  b: 3\n")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    (problem,) = raised.value.problems
    assert problem.line is not None and problem.line >= 3
    assert "not valid YAML" in problem.message


def test_unreadable_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the file"):
        load_config(tmp_path / "missing.yaml")


def test_problem_text() -> None:
    assert str(Problem("parameters.lr.min", "must be > 0", 12, "sweep.yaml")) == "sweep.yaml:12: parameters.lr.min: must be > 0"
    assert str(Problem("parameters.lr.min", "must be > 0", 12)) == "line 12: parameters.lr.min: must be > 0"
    assert str(Problem("method", "is required")) == "method: is required"
    assert str(Problem("", "not valid YAML", 3, "s.yaml")) == "s.yaml:3: not valid YAML"


def test_loaded_config_is_plain_data(tmp_path: Path) -> None:
    path = write(
        tmp_path, "method: grid\nparameters:\n  a:\n    values: [1, 2]\n  g:\n    parameters:\n      b:\n        value: x\n"
    )
    config = load_config(path)
    assert config == {"method": "grid", "parameters": {"a": {"values": [1, 2]}, "g": {"parameters": {"b": {"value": "x"}}}}}
    assert type(config) is dict and type(config["parameters"]["g"]) is dict


@pytest.mark.parametrize(
    "config",
    [
        None,
        [],
        "grid",
        {"method": ["grid"], "parameters": [1]},
        {1: 2, "method": "random", "parameters": {"a": {"values": "notalist"}}},
        {"method": "grid", "parameters": {"a": {"min": 1, "max": "x"}, "b": {"parameters": [1]}}},
        {"method": "bayes", "metric": {"goal": ["x"], "name": 3, "target": float("nan")}, "parameters": {"a": {}}},
        {
            "method": "random",
            "early_terminate": {"type": "hyperband", "eta": "x", "max_iter": "y"},
            "parameters": {"a": {"value": 1}},
        },
        {"method": "random", "parameters": {"a": {"distribution": 3}, "b": {"parameters": {}}, "c": None}},
        {
            "method": "random",
            "parameters": {"a": {"distribution": "categorical_w_probabilities", "values": [1], "probabilities": ["x"]}},
        },
        {
            "method": "random",
            "controller": "local",
            "command": "x",
            "metric": "loss",
            "early_terminate": 1,
            "parameters": {"a": {"value": 1}},
        },
    ],
)
def test_validate_reports_instead_of_raising(config: Any) -> None:
    problems = validate(config)
    assert problems
    assert all(isinstance(problem, Problem) and problem.message for problem in problems)


def test_validate_does_not_change_the_config() -> None:
    config = {"method": "bayes", "metric": {"name": "loss"}, "parameters": {"a": {"min": 1, "max": 2}}}
    before = copy.deepcopy(config)
    assert validate(config) == []
    assert config == before


# ---------------------------------------------------------------- warnings


def test_warnings_for_deprecated_exponent_distributions_and_mistyped_macros(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "method: random\n"
        "program: train.py\n"
        "command: [python, '${program}', '${arg}']\n"
        "parameters:\n"
        "  lr:\n"
        "    distribution: log_uniform\n"
        "    min: -9\n"
        "    max: -2\n",
    )
    config, lines = load_yaml(path)
    assert validate(config, lines=lines) == []
    found = {problem.path: problem for problem in warnings(config, lines=lines, file=str(path))}
    assert set(found) == {"parameters.lr.distribution", "command[2]"}
    assert found["parameters.lr.distribution"].line == 6
    assert "log_uniform_values" in found["parameters.lr.distribution"].message
    assert "did you mean `${args}`?" in found["command[2]"].message


def test_program_macro_without_program_is_a_warning() -> None:
    config = {"method": "random", "command": ["${interpreter}", "${program}"], "parameters": {"a": {"value": 1}}}
    assert [problem.path for problem in warnings(config)] == ["command"]


def test_loading_configs_stays_light() -> None:
    code = (
        "import sys, sweepkit.config; "
        "print(sorted(m for m in ('scipy.stats', 'wandb', 'keras', 'tensorflow', 'sweeps') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
