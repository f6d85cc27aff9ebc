"""The fake wandb module and its pytest fixture, checked against real wandb 0.31.

Most tests use the ``fake_wandb`` fixture the way a user's suite would. The
parity tests play the same scripted calls on real wandb (offline, in a
subprocess) and on the fake and compare step, summary and history.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import math
import os
import subprocess
import sys
import textwrap
import types
from pathlib import Path
from typing import Any

import pytest

from sweepkit.run import FAILED, FINISHED, RUNNING
from sweepkit.testing.fake_wandb import ConfigError, FakeWandb

pytest_plugins = ["pytester"]

REPO_ROOT = Path(__file__).resolve().parents[1]
# Keys wandb adds that depend on the wall clock or are internal.
WALL_CLOCK_KEYS = {"_runtime", "_timestamp", "_wandb"}


def fit_line(epochs: int, lr: float) -> float:
    """A user's training function: gradient descent on y = 2x, logged to wandb."""
    import wandb

    xs = [0.0, 1.0, 2.0, 3.0]
    with wandb.init(project="line", config={"epochs": epochs, "lr": lr}) as run:
        run.define_metric("loss", summary="min")
        weight = 0.0
        for epoch in range(run.config.epochs):
            gradient = sum(2 * (weight * x - 2 * x) * x for x in xs) / len(xs)
            weight -= run.config.lr * gradient
            loss = sum((weight * x - 2 * x) ** 2 for x in xs) / len(xs)
            wandb.log({"epoch": epoch, "loss": loss})
        run.summary["weight"] = weight
    return weight


# --- the fixture ------------------------------------------------------------


def test_fixture_gives_code_under_test_the_fake(fake_wandb):
    weight = fit_line(epochs=5, lr=0.05)

    assert sys.modules["wandb"] is fake_wandb
    (run,) = fake_wandb.runs
    assert run.project == "line"
    assert run.config == {"epochs": 5, "lr": 0.05}
    assert run.history_of("epoch") == [0, 1, 2, 3, 4]
    losses = run.history_of("loss")
    assert all(later < earlier for earlier, later in zip(losses, losses[1:]))
    assert run.summary["loss"] == {"min": losses[-1]}
    assert run.summary["weight"] == weight
    assert abs(weight - 2.0) < abs(0.0 - 2.0)
    assert run.exit_code == 0 and run.finished and run.state == FINISHED
    assert fake_wandb.run is None


def test_fixture_puts_run_dirs_in_a_temporary_directory(fake_wandb, tmp_path):
    import wandb

    run = wandb.init()
    assert os.path.isdir(run.dir)
    assert not Path(run.dir).is_relative_to(REPO_ROOT)
    assert not Path(run.dir).is_relative_to(tmp_path)


def test_install_hides_real_wandb_submodules_and_restores_them(monkeypatch):
    real = types.ModuleType("wandb")
    real_sdk = types.ModuleType("wandb.sdk")
    monkeypatch.setitem(sys.modules, "wandb", real)
    monkeypatch.setitem(sys.modules, "wandb.sdk", real_sdk)
    monkeypatch.setitem(sys.modules, "wandbx", types.ModuleType("wandbx"))
    # Earlier tests may have imported the real wandb.errors; start without it.
    monkeypatch.delitem(sys.modules, "wandb.errors", raising=False)

    inner = pytest.MonkeyPatch()
    fake = FakeWandb().install(inner)
    try:
        import wandb
        from wandb.errors import UsageError

        assert wandb is fake
        assert UsageError is fake.UsageError
        assert "wandb.sdk" not in sys.modules
        assert "wandbx" in sys.modules  # only wandb and wandb.* are hidden
        with pytest.raises(ImportError):
            import wandb.sdk  # noqa: F401  (the fake is not a package)
    finally:
        inner.undo()

    assert sys.modules["wandb"] is real
    assert sys.modules["wandb.sdk"] is real_sdk
    assert "wandb.errors" not in sys.modules


def test_plugin_imports_neither_wandb_nor_keras():
    code = (
        "import sys, sweepkit.testing.plugin; "
        "print(sorted(m for m in ('wandb', 'keras', 'tensorflow', 'sweepkit.testing.fake_wandb') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_plugin_is_registered_as_pytest11_entry_point():
    entry_points = importlib.metadata.entry_points(group="pytest11")
    assert any(ep.value == "sweepkit.testing.plugin" for ep in entry_points)


def test_a_test_file_outside_the_repo_gets_the_fixture(pytester):
    pytester.makepyfile(
        test_user_suite="""
        import sys

        SEEN = []

        def log_twice():
            import wandb
            run = wandb.init(project="outside")
            wandb.log({"x": 1})
            wandb.log({"x": 2})
            run.finish()

        def test_uses_the_fake(fake_wandb):
            log_twice()
            SEEN.append(fake_wandb)
            assert sys.modules["wandb"] is fake_wandb
            assert fake_wandb.runs[0].history_of("x") == [1, 2]

        def test_the_fake_is_gone_afterwards():
            assert sys.modules.get("wandb") is not SEEN[0]
        """
    )
    assert not Path(pytester.path).is_relative_to(REPO_ROOT)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_wandb_imported_at_the_top_of_a_test_file_or_module_is_the_fake_during_the_test(pytester):
    # The README's example, with the import where users write it.
    pytester.makepyfile(
        my_training="""
        import wandb as wb

        def my_train():
            run = wb.init(project="readme", config={"lr": 0.1})
            for epoch in range(3):
                wb.log({"epoch": epoch, "val_loss": 1.0 / (epoch + 1)})
            run.finish()
        """,
        test_readme="""
        import wandb

        import my_training

        REAL = wandb

        def my_train():
            run = wandb.init(project="readme")
            wandb.log({"val_loss": 0.5})
            run.finish()

        def test_my_training_logs_val_loss(fake_wandb):
            my_train()
            my_training.my_train()
            first, second = fake_wandb.runs
            assert first.history_of("val_loss") == [0.5]
            assert second.history_of("val_loss") == [1.0, 0.5, 1.0 / 3]

        def test_real_wandb_is_back_afterwards():
            assert wandb is REAL and my_training.wb is REAL
            assert hasattr(wandb, "sdk")
        """,
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


# --- wandb.init -----------------------------------------------------------------


def test_init_sets_the_module_globals(fake_wandb):
    import wandb

    run = wandb.init(project="p", config={"a": 1})
    assert wandb.run is run
    assert wandb.config is run.config
    assert wandb.summary is run.summary
    wandb.log({"x": 1})
    wandb.define_metric("x", summary="max")
    assert fake_wandb.runs[0].history == [{"x": 1, "_step": 0}]
    assert fake_wandb.runs[0].defined_metrics["x"].summary == ("max",)


def test_module_functions_before_init_and_after_finish_raise_wandb_error(fake_wandb):
    import wandb

    with pytest.raises(wandb.Error, match=r"You must call wandb.init\(\) before wandb.log\(\)"):
        wandb.log({"x": 1})
    with pytest.raises(wandb.Error, match=r"before wandb.config.lr"):
        wandb.config.lr
    with pytest.raises(wandb.Error, match=r"before wandb.summary\['x'\]"):
        wandb.summary["x"] = 1
    wandb.init()
    wandb.finish()
    assert wandb.run is None and fake_wandb.runs[0].finished
    with pytest.raises(wandb.Error, match="before wandb.define_metric"):
        wandb.define_metric("x")


def test_init_arguments_are_recorded(fake_wandb):
    import wandb

    run = wandb.init(
        project="p", entity="team", name="first", notes="n", tags=["a", "b"], group="g", job_type="train",
        mode="offline", save_code=False,
    )
    record = fake_wandb.runs[0]
    assert (run.project, run.entity, run.name, run.notes, run.tags) == ("p", "team", "first", "n", ("a", "b"))
    assert (run.group, run.job_type, record.mode, run.offline) == ("g", "train", "offline", True)
    assert record.init_kwargs == {
        "project": "p", "entity": "team", "name": "first", "notes": "n", "tags": ["a", "b"],
        "group": "g", "job_type": "train", "mode": "offline", "save_code": False,
    }
    assert run.path == f"team/p/{run.id}"
    assert Path(run.dir).name == "files" and Path(run.sync_dir).name.startswith("offline-run-")
    assert run.settings.mode == "offline" and run.settings.run_id == run.id


def test_init_defaults_match_offline_wandb(fake_wandb, monkeypatch):
    import wandb

    for name in ("WANDB_PROJECT", "WANDB_ENTITY", "WANDB_NAME", "WANDB_MODE", "WANDB_RUN_ID", "WANDB_DIR"):
        monkeypatch.delenv(name, raising=False)
    run = wandb.init()
    assert (run.project, run.entity, run.name, run.sweep_id) == ("uncategorized", "", None, None)
    assert (run.tags, run.group, run.job_type, fake_wandb.runs[0].mode) == ((), "", "", "online")


def test_environment_is_overridden_by_settings_and_settings_by_arguments(fake_wandb, monkeypatch, tmp_path):
    import wandb

    monkeypatch.setenv("WANDB_PROJECT", "from-env")
    monkeypatch.setenv("WANDB_MODE", "dryrun")
    monkeypatch.setenv("WANDB_DIR", str(tmp_path))
    first = wandb.init()
    assert (first.project, fake_wandb.runs[0].mode) == ("from-env", "offline")
    assert Path(first.dir).is_relative_to(tmp_path)
    first.finish()

    second = wandb.init(settings=wandb.Settings(project="from-settings", mode="disabled"))
    assert (second.project, second.disabled) == ("from-settings", True)
    second.finish()

    third = wandb.init(project="from-arg", settings={"project": "from-settings"}, dir=tmp_path / "elsewhere")
    assert third.project == "from-arg"
    assert Path(third.dir).is_relative_to(tmp_path / "elsewhere")


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"mode": "bogus"}, "UsageError", "mode='bogus' is not one of"),
        ({"id": "a/b"}, "UsageError", "Run ID cannot contain the characters"),
        ({"reinit": "sometimes"}, "UsageError", "reinit='sometimes'"),
        ({"config_include_keys": ["a"], "config_exclude_keys": ["b"]}, "UsageError", "at most only one"),
    ],
)
def test_init_rejects_bad_arguments(fake_wandb, kwargs, error, message):
    import wandb

    with pytest.raises(getattr(wandb, error), match=message):
        wandb.init(**kwargs)
    assert fake_wandb.runs == []


def test_init_rejects_unknown_keyword_like_real_wandb(fake_wandb):
    import wandb

    with pytest.raises(TypeError):
        wandb.init(projcet="typo")


def test_second_init_returns_the_active_run_unless_reinit_says_otherwise(fake_wandb):
    import wandb

    first = wandb.init(project="p")
    assert wandb.init(project="q") is first
    assert len(fake_wandb.runs) == 1

    side = wandb.init(project="side", reinit="create_new")
    assert side is not first and wandb.run is first  # create_new leaves the globals alone

    replacement = wandb.init(project="r", reinit="finish_previous")
    assert fake_wandb.runs[0].finished and fake_wandb.runs[1].finished
    assert wandb.run is replacement
    assert [run.project for run in fake_wandb.runs] == ["p", "side", "r"]


def test_run_ids_are_deterministic_per_seed(tmp_path):
    def ids(fake: FakeWandb, count: int) -> list[str]:
        made = []
        for _ in range(count):
            run = fake.init(dir=tmp_path, reinit="create_new")
            made.append(run.id)
        return made

    first, again, other = FakeWandb(seed=1), FakeWandb(seed=1), FakeWandb(seed=2)
    first_ids = ids(first, 3)
    assert first_ids == ids(again, 3)
    assert first_ids != ids(other, 3)
    assert len(set(first_ids)) == 3
    assert all(len(run_id) == 8 and run_id.isalnum() and run_id == run_id.lower() for run_id in first_ids)
    first.seed(1)
    assert ids(first, 1) == first_ids[:1]


def test_explicit_id_is_used(fake_wandb):
    import wandb

    assert wandb.init(id="my-run").id == "my-run"


# --- config ---------------------------------------------------------------------


def test_config_access_styles(fake_wandb):
    import wandb

    run = wandb.init(config={"lr": 0.1, "layers": (64, 32), "--batch_size": 8})
    config = run.config
    assert config.lr == config["lr"] == config.get("lr") == 0.1
    assert config["layers"] == [64, 32]  # tuples become lists, as in wandb
    assert "batch_size" in config and "lr" in config and "momentum" not in config
    assert config.keys() == ["lr", "layers", "batch_size"]
    assert config.items() == [("lr", 0.1), ("layers", [64, 32]), ("batch_size", 8)]
    assert config.as_dict() == dict(config.items())
    assert config.get("momentum", 0.9) == 0.9
    with pytest.raises(AttributeError, match="momentum"):
        config.momentum

    config.momentum = 0.9
    config["nesterov"] = True
    assert fake_wandb.runs[0].config == {"lr": 0.1, "layers": [64, 32], "batch_size": 8, "momentum": 0.9, "nesterov": True}


def test_config_refuses_to_change_a_value_without_allow_val_change(fake_wandb):
    import wandb

    run = wandb.init(config={"lr": 0.1})
    with pytest.raises(ConfigError, match='Attempted to change value of key "lr" from 0.1 to 0.2') as caught:
        run.config.update({"lr": 0.2})
    assert isinstance(caught.value, wandb.Error)
    assert "allow_val_change=True" in str(caught.value)
    with pytest.raises(wandb.Error):
        run.config.lr = 0.3
    run.config.update({"lr": 0.1})  # the same value is not a change
    run.config.update({"lr": 0.2}, allow_val_change=True)
    assert run.config.lr == 0.2


def test_config_setdefaults_only_adds_missing_keys(fake_wandb):
    import wandb

    run = wandb.init(config={"lr": 0.1})
    run.config.setdefaults({"lr": 0.5, "epochs": 3})
    assert run.config.as_dict() == {"lr": 0.1, "epochs": 3}


def test_config_accepts_namespace_and_yaml_file(fake_wandb, tmp_path):
    import wandb

    defaults = tmp_path / "defaults.yaml"
    defaults.write_text("wandb_version: 1\nlr:\n  value: 0.01\nopt:\n  value: {name: adam}\n")
    run = wandb.init(config=str(defaults))
    run.config.update(argparse.Namespace(epochs=4, data=Path("/data")))
    assert run.config.as_dict() == {"lr": 0.01, "opt": {"name": "adam"}, "epochs": 4, "data": "/data"}


def test_config_include_and_exclude_keys(fake_wandb):
    import wandb

    first = wandb.init(config={"a": 1, "b": 2}, config_include_keys=["a"])
    assert first.config.as_dict() == {"a": 1}
    first.finish()
    second = wandb.init(config={"a": 1, "b": 2}, config_exclude_keys=["a"])
    assert second.config.as_dict() == {"b": 2}


def test_config_defaults_file_in_working_directory_is_loaded_first(fake_wandb, tmp_path, monkeypatch):
    import wandb

    (tmp_path / "config-defaults.yaml").write_text("lr:\n  value: 0.5\nepochs:\n  value: 3\n")
    monkeypatch.chdir(tmp_path)
    run = wandb.init(config={"lr": 0.1})
    assert run.config.as_dict() == {"lr": 0.1, "epochs": 3}


def test_config_numpy_values_become_python(fake_wandb):
    np = pytest.importorskip("numpy")
    import wandb

    run = wandb.init(config={"lr": np.float32(0.5), "sizes": np.array([1, 2])})
    assert run.config.as_dict() == {"lr": 0.5, "sizes": [1, 2]}
    assert type(run.config.lr) is float


def test_changing_config_of_a_finished_run_raises_usage_error(fake_wandb):
    import wandb

    run = wandb.init()
    run.finish()
    with pytest.raises(wandb.UsageError, match=rf"Run \({run.id}\) is finished"):
        run.config.update({"late": 1})


# --- sweeps -------------------------------------------------------------------------


def write_param_file(directory: Path, sweep_id: str, run_id: str, params: dict[str, Any]) -> Path:
    import yaml

    path = directory / "wandb" / f"sweep-{sweep_id}" / f"config-{run_id}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    content = {"wandb_version": 1, **{name: {"value": value} for name, value in params.items()}}
    path.write_text(yaml.safe_dump(content))
    return path


@pytest.fixture
def sweep_env(monkeypatch, tmp_path):
    """The environment ``wandb agent`` gives a program, with a param file."""
    path = write_param_file(tmp_path, "sw1", "run12345", {"lr": 0.01, "opt": {"name": "adam"}, "epochs": 3})
    monkeypatch.setenv("WANDB_SWEEP_ID", "sw1")
    monkeypatch.setenv("WANDB_RUN_ID", "run12345")
    monkeypatch.setenv("WANDB_SWEEP_PARAM_PATH", str(path))
    monkeypatch.delenv("WANDB_PROJECT", raising=False)
    monkeypatch.delenv("WANDB_ENTITY", raising=False)
    return path


def test_sweep_params_win_over_init_config_and_cannot_be_changed(fake_wandb, sweep_env):
    import wandb

    run = wandb.init(config={"lr": 0.5, "other": 1, "opt": {"name": "sgd", "momentum": 0.9}})
    assert run.config.as_dict() == {"lr": 0.01, "other": 1, "opt": {"name": "adam", "momentum": 0.9}, "epochs": 3}

    run.config.update({"lr": 0.9, "new": 2}, allow_val_change=True)
    run.config["lr"] = 0.8
    assert run.config.lr == 0.01 and run.config.new == 2
    record = fake_wandb.runs[0]
    assert record.warnings.count("Config item 'lr' was locked by 'sweep' (ignored update).") == 2


def test_inside_a_sweep_project_entity_and_id_arguments_are_ignored(fake_wandb, sweep_env, monkeypatch):
    import wandb

    monkeypatch.setenv("WANDB_PROJECT", "sweep-project")
    run = wandb.init(project="mine", entity="me", id="mine1")
    assert (run.id, run.project, run.entity, run.sweep_id) == ("run12345", "sweep-project", "", "sw1")
    assert fake_wandb.runs[0].warnings == [
        "Ignoring project 'mine' when running a sweep.",
        "Ignoring entity 'me' when running a sweep.",
        "Ignoring run_id 'mine1' when running a sweep.",
    ]


def test_param_file_without_sweep_id_still_loads(fake_wandb, sweep_env, monkeypatch):
    import wandb

    monkeypatch.delenv("WANDB_SWEEP_ID")
    run = wandb.init(project="mine")
    assert (run.project, run.sweep_id, run.config.lr) == ("mine", None, 0.01)


def test_missing_param_file_is_a_config_error(fake_wandb, monkeypatch, tmp_path):
    import wandb

    monkeypatch.setenv("WANDB_SWEEP_PARAM_PATH", str(tmp_path / "absent.yaml"))
    with pytest.raises(wandb.Error, match="absent.yaml doesn't exist"):
        wandb.init()


def test_train_function_under_a_simulated_sweep(fake_wandb, sweep_env):
    fit_line(epochs=10, lr=0.5)  # the sweep's epochs=3 and lr=0.01 win

    (run,) = fake_wandb.runs
    assert run.sweep_id == "sw1"
    assert run.history_of("epoch") == [0, 1, 2]
    assert run.config["lr"] == 0.01


# --- log, step and commit ----------------------------------------------------------


def rows(record) -> list[dict[str, Any]]:
    return [dict(row) for row in record.history]


def test_each_log_call_is_a_row_with_an_increasing_step(fake_wandb):
    import wandb

    run = wandb.init()
    run.log({"a": 1})
    run.log({"a": 2, "b": 3})
    assert rows(fake_wandb.runs[0]) == [{"a": 1, "_step": 0}, {"a": 2, "b": 3, "_step": 1}]
    assert run.step == 2


def test_commit_false_merges_into_the_open_row(fake_wandb):
    import wandb

    run = wandb.init()
    run.log({"loss": 0.5}, commit=False)
    run.log({"loss": 0.4}, commit=False)
    assert fake_wandb.runs[0].history == [] and "loss" not in run.summary.keys()
    run.log({"acc": 0.9})
    assert rows(fake_wandb.runs[0]) == [{"loss": 0.4, "acc": 0.9, "_step": 0}]


def test_explicit_step_keeps_the_row_open_until_a_later_step_or_commit(fake_wandb):
    import wandb

    run = wandb.init()
    run.log({"a": 1}, step=5)
    run.log({"b": 2}, step=5)
    assert fake_wandb.runs[0].history == []
    run.log({"c": 3}, step=7)  # a higher step commits step 5
    run.log({"d": 4}, step=7, commit=True)
    run.log({"e": 5})
    assert rows(fake_wandb.runs[0]) == [
        {"a": 1, "b": 2, "_step": 5},
        {"c": 3, "d": 4, "_step": 7},
        {"e": 5, "_step": 8},
    ]


def test_a_lower_step_is_dropped_with_a_warning(fake_wandb, capsys, monkeypatch):
    import wandb

    monkeypatch.delenv("WANDB_SILENT", raising=False)
    run = wandb.init()
    run.log({"a": 1}, step=3)
    run.log({"a": 2}, step=2, commit=True)
    run.log({"a": 4})
    record = fake_wandb.runs[0]
    assert rows(record) == [{"a": 4, "_step": 3}]  # the open step-3 row took the later value
    message = (
        "Tried to log to step 2 that is less than the current step 3. Steps must be monotonically "
        "increasing, so this data will be ignored."
    )
    assert record.warnings[0].startswith(message)
    assert f"wandb: WARNING {message}" in capsys.readouterr().err


def test_finish_commits_the_open_row(fake_wandb):
    import wandb

    run = wandb.init()
    run.log({"a": 1}, commit=False)
    run.finish()
    assert rows(fake_wandb.runs[0]) == [{"a": 1, "_step": 0}]


def test_log_rejects_what_wandb_rejects(fake_wandb):
    import wandb

    run = wandb.init()
    with pytest.raises(TypeError, match="must be passed a dictionary"):
        run.log([("a", 1)])
    with pytest.raises(TypeError, match="must be strings"):
        run.log({1: 2})
    run.finish()
    with pytest.raises(wandb.UsageError, match=r"The call to `log` will be ignored"):
        run.log({"a": 1})


def test_logged_numpy_scalars_become_python_numbers(fake_wandb):
    np = pytest.importorskip("numpy")
    import wandb

    run = wandb.init()
    run.define_metric("loss", summary="min")
    run.log({"loss": np.float32(0.25), "arr": np.zeros(3)})
    run.log({"loss": np.array(0.5)})
    record = fake_wandb.runs[0]
    assert record.history_of("loss") == [0.25, 0.5]
    assert type(record.history_of("loss")[1]) is float
    assert record.summary["loss"] == {"min": 0.25}
    assert record.history_of("arr")[0].shape == (3,)


# --- summary and define_metric -------------------------------------------------------


def test_summary_holds_the_last_value_of_each_key_and_user_values(fake_wandb):
    import wandb

    run = wandb.init()
    run.log({"loss": 3, "nested": {"a": 1, "b": 2}})
    run.log({"loss": 1, "nested": {"a": 5}})
    run.summary["best_epoch"] = 4
    run.summary.update({"note": "ok"})
    run.summary.extra = 1
    assert run.summary["loss"] == run.summary.loss == run.summary.get("loss") == 1
    assert run.summary["nested"] == {"a": 5, "b": 2}
    assert set(run.summary.keys()) == {"loss", "nested", "best_epoch", "note", "extra", "_step"}
    del run.summary["extra"]
    assert run.summary.get("extra", "gone") == "gone"


def test_summary_reads_empty_after_finish_but_the_record_keeps_it(fake_wandb):
    import wandb

    run = wandb.init()
    run.log({"loss": 1})
    run.finish()
    assert run.summary.keys() == []
    assert fake_wandb.runs[0].summary == {"loss": 1, "_step": 0}
    assert "Summary data not available in finished run" in fake_wandb.runs[0].warnings
    with pytest.raises(wandb.UsageError):
        run.summary["late"] = 1


@pytest.mark.parametrize(
    ("summary", "expected"),
    [
        ("min", {"min": 1}),
        ("max", {"max": 4}),
        ("mean", {"mean": 2.5}),
        ("first", {"first": 3}),
        ("last", {"last": 2}),
        ("MIN,max", {"min": 1, "max": 4}),
    ],
)
def test_define_metric_summary_operations(fake_wandb, summary, expected):
    import wandb

    run = wandb.init()
    run.define_metric("loss", summary=summary)
    for value in (3, 1, 4, 2):
        run.log({"loss": value})
    assert fake_wandb.runs[0].summary["loss"] == expected


def test_summary_none_keeps_a_metric_out_of_the_summary(fake_wandb):
    import wandb

    run = wandb.init()
    run.define_metric("noise", summary="none")
    run.log({"noise": 1, "loss": 2})
    assert fake_wandb.runs[0].summary == {"loss": 2, "_step": 0}
    assert fake_wandb.runs[0].history_of("noise") == [1]


def test_glob_definitions_and_exact_names_win_over_globs(fake_wandb):
    import wandb

    run = wandb.init()
    run.define_metric("val/*", summary="max")
    run.define_metric("val/loss", summary="min")
    for value in (3, 1, 2):
        run.log({"val/acc": value, "val/loss": value, "train/loss": value})
    summary = fake_wandb.runs[0].summary
    assert summary["val/acc"] == {"max": 3}
    assert summary["val/loss"] == {"min": 1}
    assert summary["train/loss"] == 2


def test_step_metric_is_filled_into_rows_that_lack_it(fake_wandb):
    import wandb

    run = wandb.init()
    run.define_metric("val_loss", step_metric="epoch")
    run.log({"val_loss": 3})  # no epoch logged yet: wandb fills in 0
    run.log({"epoch": 5})
    run.log({"val_loss": 1})
    run.log({"other": 1})
    assert rows(fake_wandb.runs[0]) == [
        {"val_loss": 3, "epoch": 0, "_step": 0},
        {"epoch": 5, "_step": 1},
        {"val_loss": 1, "epoch": 5, "_step": 2},
        {"other": 1, "_step": 3},
    ]


def test_hidden_and_step_sync_false(fake_wandb):
    import wandb

    run = wandb.init()
    metric = run.define_metric("val_loss", step_metric="epoch", step_sync=False, hidden=True)
    assert (metric.name, metric.step_metric, metric.step_sync, metric.hidden) == ("val_loss", "epoch", False, True)
    run.log({"val_loss": 1})
    assert rows(fake_wandb.runs[0]) == [{"val_loss": 1, "_step": 0}]
    assert fake_wandb.runs[0].summary["val_loss"] == 1


def test_define_metric_merges_unless_overwrite(fake_wandb):
    import wandb

    run = wandb.init()
    run.define_metric("loss", summary="min", step_metric="epoch")
    run.define_metric("loss", summary="max")
    assert fake_wandb.runs[0].defined_metrics["loss"].summary == ("min", "max")
    assert fake_wandb.runs[0].defined_metrics["loss"].step_metric == "epoch"
    run.define_metric("loss", summary="last", overwrite=True)
    assert fake_wandb.runs[0].defined_metrics["loss"].summary == ("last",)
    assert fake_wandb.runs[0].defined_metrics["loss"].step_metric is None


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (("",), {}, "requires non-empty name"),
        (("a*b",), {}, "glob suffixes only"),
        (("loss",), {"summary": "best"}, "summary op: best"),
        (("loss",), {"hidden": 1}, "hidden type: int"),
    ],
)
def test_define_metric_rejects_what_wandb_rejects(fake_wandb, args, kwargs, message):
    import wandb

    run = wandb.init()
    with pytest.raises(wandb.Error, match=message):
        run.define_metric(*args, **kwargs)


def test_define_metric_has_no_goal_argument_in_wandb_031(fake_wandb):
    import wandb

    run = wandb.init()
    with pytest.raises(TypeError):
        run.define_metric("loss", summary="min", goal="minimize")


# --- finish, exit codes, context manager ----------------------------------------------


def test_context_manager_records_exit_code_one_on_exception(fake_wandb):
    import wandb

    with pytest.raises(RuntimeError, match="diverged"):
        with wandb.init() as run:
            run.log({"loss": float("nan")})
            raise RuntimeError("diverged")
    record = fake_wandb.runs[0]
    assert (record.exit_code, record.finished, record.state) == (1, True, FAILED)
    assert math.isnan(record.history_of("loss")[0])
    assert wandb.run is None


def test_finish_exit_codes(fake_wandb):
    import wandb

    first = wandb.init()
    assert fake_wandb.runs[0].state == RUNNING and fake_wandb.runs[0].exit_code is None
    first.finish()
    first.finish(exit_code=5)  # a second finish changes nothing
    second = wandb.init()
    wandb.finish(exit_code=3)
    assert [(run.exit_code, run.state) for run in fake_wandb.runs] == [(0, FINISHED), (3, FAILED)]
    assert second.id == fake_wandb.runs[1].id
    wandb.finish()  # no active run: nothing to do


# --- media, settings, errors, version ------------------------------------------------------


def test_image_keeps_what_it_was_given(fake_wandb, tmp_path):
    import wandb

    picture = tmp_path / "p.png"
    picture.write_bytes(b"\x89PNG")
    from_path = wandb.Image(str(picture), caption="epoch 1")
    assert (from_path.path, from_path.caption, from_path.data_or_path) == (str(picture), "epoch 1", str(picture))
    with pytest.raises(FileNotFoundError):
        wandb.Image(tmp_path / "missing.png")
    with pytest.raises(TypeError, match="file path, an array"):
        wandb.Image(123)

    run = wandb.init()
    run.log({"sample": from_path})
    assert fake_wandb.runs[0].history_of("sample") == [from_path]


def test_image_of_a_matplotlib_figure(fake_wandb):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import wandb

    figure, _ = plt.subplots()
    try:
        image = wandb.Image(figure)
        assert image.data_or_path is figure and image.path is None
    finally:
        plt.close(figure)


def test_table_columns_and_rows(fake_wandb):
    import wandb

    table = wandb.Table(columns=["epoch", "loss"], data=[[0, 0.5]])
    table.add_data(1, 0.25)
    assert table.data == [[0, 0.5], [1, 0.25]]
    assert table.get_column("loss") == [0.5, 0.25]
    assert wandb.Table(data=[[1, 2, 3]]).columns == ["Input", "Output", "Expected"]
    with pytest.raises(ValueError, match=r"expects 2 columns: \['epoch', 'loss'\], found 1"):
        table.add_data(2)


def test_settings_errors_and_version(fake_wandb):
    import wandb
    from wandb.errors import CommError, Error, UsageError

    settings = wandb.Settings(mode="offline", x_anything=1)
    assert (settings.mode, settings.x_anything, wandb.Settings().mode) == ("offline", 1, "online")
    assert issubclass(UsageError, Error) and issubclass(CommError, Error)
    assert wandb.Error is Error and wandb.UsageError is UsageError
    assert wandb.__version__ == importlib.metadata.version("wandb")
    assert wandb.login() is True
    run = wandb.init()
    assert isinstance(run, wandb.Run) and isinstance(run.config, wandb.Config)


# --- recorded runs -------------------------------------------------------------------------------


def test_recorded_run_helpers(fake_wandb):
    import wandb

    run = wandb.init(config={"lr": 0.1})
    run.log({"loss": 2})
    run.log({"acc": 0.5})
    run.log({"loss": 1})
    record = fake_wandb.runs[0]
    assert record.history_of("loss") == [2, 1]
    assert record.steps_of("loss") == [0, 2]
    assert record.logged_keys() == {"loss", "acc"}
    record.assert_logged("loss", "acc")
    with pytest.raises(AssertionError, match=r"never logged 'val_loss'; logged keys: acc, loss"):
        record.assert_logged("loss", "val_loss")

    run.finish()
    engine_run = record.to_run()
    assert (engine_run.name, engine_run.state, dict(engine_run.params)) == (run.id, FINISHED, {"lr": 0.1})
    assert engine_run.history == tuple(record.history)
    assert dict(engine_run.summary) == record.summary


# --- parity with real wandb ------------------------------------------------------------------

# Each scenario is a list of calls: ["log", data, kwargs], ["define_metric", name, kwargs],
# ["summary", key, value]. play() runs them on any wandb module, real or fake.
SCENARIOS: dict[str, list[list[Any]]] = {
    "steps_and_commits": [
        ["log", {"a": 1}, {}],
        ["log", {"b": 1}, {"commit": False}],
        ["log", {"b": 2}, {"commit": False}],
        ["log", {"c": 2}, {}],
        ["log", {"a": 5}, {"step": 5}],
        ["log", {"b": 6}, {}],
        ["log", {"a": 7}, {"step": 3}],
        ["log", {"d": 8}, {"step": 7}],
        ["log", {"d": 9}, {"step": 7}],
        ["log", {"e": 10}, {"step": 7, "commit": True}],
        ["log", {"e": 11}, {"commit": True}],
        ["log", {"f": 12}, {"commit": False}],
        ["log", {"g": 14}, {"step": 20}],
        ["log", {"k": 15}, {"step": 19}],
        ["log", {"h": 1}, {"step": 2, "commit": True}],
        ["log", {}, {}],
        ["log", {}, {"commit": False}],
        ["log", {"i": 1}, {"step": 30, "commit": False}],
        ["log", {"j": 1}, {"commit": False}],
    ],
    "summary_operations": [
        ["define_metric", "loss", {"summary": "min"}],
        ["define_metric", "acc", {"summary": "max,mean,first,last"}],
        ["define_metric", "noise", {"summary": "none"}],
        ["define_metric", "val/*", {"summary": "max"}],
        ["define_metric", "val/loss", {"summary": "min"}],
        ["define_metric", "copied", {"summary": "copy"}],
        ["log", {"loss": 3, "acc": 0.5, "noise": 1, "val/loss": 2, "val/acc": 0.1, "copied": 1}, {}],
        ["log", {"loss": 1, "acc": 0.7, "noise": 2, "val/loss": 3, "val/acc": 0.4, "copied": 2}, {}],
        ["log", {"loss": 2, "acc": 0.6, "noise": 3, "val/loss": 1, "val/acc": 0.2, "loss_str": "x"}, {}],
        ["define_metric", "loss", {"summary": "max"}],
        ["log", {"loss": 0.5}, {"commit": False}],
        ["log", {"loss": 4}, {}],
        ["define_metric", "acc", {"summary": "min", "overwrite": True}],
        ["log", {"acc": 0.9, "flag": True}, {}],
    ],
    "definitions_after_logging": [
        ["log", {"loss": 3, "val/a": 3}, {}],
        ["log", {"loss": 1, "val/a": 1}, {}],
        ["define_metric", "loss", {"summary": "max"}],
        ["define_metric", "val/*", {"summary": "max"}],
        ["log", {"loss": 2, "val/a": 2}, {}],
    ],
    "none_after_logging": [
        ["log", {"gone": 1, "kept": 1}, {}],
        ["define_metric", "gone", {"summary": "none"}],
        ["log", {"gone": 2, "kept": 2}, {}],
    ],
    "user_summary_values": [
        ["summary", "best", 7],
        ["summary", "loss", 100],
        ["log", {"loss": 5}, {}],
        ["define_metric", "loss", {"summary": "min"}],
        ["log", {"loss": 2}, {}],
        ["summary", "loss", 50],
        ["log", {"loss": 3}, {}],
        ["log", {"loss": 0}, {}],
        ["define_metric", "loss", {"summary": "max"}],
        ["log", {"loss": 1}, {}],
        ["log", {"nested": {"a": 1, "b": 2}}, {}],
        ["log", {"nested": {"a": 3}}, {}],
    ],
    "step_metrics": [
        ["define_metric", "epoch", {}],
        ["define_metric", "val_loss", {"step_metric": "epoch", "summary": "min"}],
        ["define_metric", "train/*", {"step_metric": "batch"}],
        ["log", {"val_loss": 3}, {}],
        ["log", {"epoch": 1, "val_loss": 2}, {}],
        ["log", {"train/loss": 1}, {}],
        ["log", {"batch": 9}, {}],
        ["log", {"train/loss": 0.5, "val_loss": 4}, {"commit": False}],
        ["log", {"epoch": 2}, {}],
        ["log", {"other": 1}, {}],
    ],
}


def play(wandb: Any, scenarios: dict[str, list[list[Any]]], root: str) -> dict[str, Any]:
    """Run each scenario in its own run; snapshot step and summary after every call."""
    results = {}
    for name, calls in scenarios.items():
        run = wandb.init(project="parity", dir=os.path.join(root, name), reinit="finish_previous")
        snapshots = []
        for kind, first, second in calls:
            if kind == "log":
                run.log(first, **second)
            elif kind == "define_metric":
                run.define_metric(first, **second)
            else:
                run.summary[first] = second
            summary = {key: value for key, value in run.summary._as_dict().items() if key not in WALL_CLOCK_KEYS}
            snapshots.append({"step": run.step, "summary": summary})
        results[name] = {"id": run.id, "snapshots": snapshots}
        run.finish()
    return results


def play_on_real_wandb(tmp_path: Path, scenarios: dict[str, list[list[Any]]], env: dict[str, str] | None = None) -> Any:
    """Play scenarios on real wandb in offline mode, in a fresh process."""
    script = textwrap.dedent(
        f"""
        import json, sys
        sys.path.insert(0, {str(REPO_ROOT)!r})
        import wandb
        from tests.test_fake_wandb import play
        scenarios = json.loads(sys.argv[1])
        results = play(wandb, scenarios, sys.argv[2])
        print("RESULTS " + json.dumps(results))
        """
    )
    run_env = {**os.environ, "WANDB_MODE": "offline", "WANDB_SILENT": "true", "WANDB_DIR": str(tmp_path), **(env or {})}
    for name in ("WANDB_PROJECT", "WANDB_ENTITY", "WANDB_RUN_ID", "WANDB_SWEEP_ID", "WANDB_SWEEP_PARAM_PATH"):
        if name not in (env or {}):
            run_env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-c", script, json.dumps(scenarios), str(tmp_path / "real")],
        capture_output=True, text=True, env=run_env, cwd=tmp_path, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(line for line in done.stdout.splitlines() if line.startswith("RESULTS "))
    return json.loads(line[len("RESULTS "):])


def flatten(row: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """History row keys the way the transaction log has them: nested dicts as "a.b"."""
    flat = {}
    for key, value in row.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


@pytest.fixture(scope="module")
def real_results(tmp_path_factory):
    """Real wandb's snapshots and transaction logs, read before any test installs the fake."""
    from sweepkit.transaction_log import find_run_log, read_run

    tmp_path = tmp_path_factory.mktemp("real_wandb")
    results = play_on_real_wandb(tmp_path, SCENARIOS)
    logs = {name: read_run(find_run_log(tmp_path / "real" / name, result["id"])) for name, result in results.items()}
    return results, logs


@pytest.fixture
def fake_results(fake_wandb, tmp_path):
    import wandb

    return play(wandb, SCENARIOS, str(tmp_path))


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_step_and_summary_after_every_call_match_real_wandb(real_results, fake_results, scenario):
    real, _ = real_results
    real_snapshots = real[scenario]["snapshots"]
    fake_snapshots = fake_results[scenario]["snapshots"]
    for index, (call, expected, got) in enumerate(zip(SCENARIOS[scenario], real_snapshots, fake_snapshots)):
        assert got == expected, f"after call {index} {call}"


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_history_and_final_summary_match_the_real_transaction_log(real_results, fake_results, fake_wandb, scenario):
    _, logs = real_results
    log = logs[scenario]
    record = next(run for run in fake_wandb.runs if run.id == fake_results[scenario]["id"])

    def strip(values: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in values.items() if key not in WALL_CLOCK_KEYS}

    assert [flatten(row) for row in record.history] == [strip(row) for row in log.history]
    if scenario == "none_after_logging":
        # wandb-core drops the key from the live summary but writes no removal to the log.
        assert strip(log.summary) == {**record.summary, "gone": 1}
    else:
        assert record.summary == strip(log.summary)
    assert record.exit_code == log.exit_code == 0


def test_sweep_config_precedence_matches_real_wandb(fake_wandb, tmp_path, monkeypatch):
    import wandb

    path = write_param_file(tmp_path, "sw2", "runabcde", {"lr": 0.01, "opt": {"name": "adam"}})
    env = {"WANDB_SWEEP_ID": "sw2", "WANDB_RUN_ID": "runabcde", "WANDB_SWEEP_PARAM_PATH": str(path)}
    script = textwrap.dedent(
        """
        import json, wandb
        run = wandb.init(project="mine", id="mine1", config={"lr": 0.5, "other": 1, "opt": {"name": "sgd", "m": 0.9}})
        run.config.update({"lr": 0.9, "new": 2}, allow_val_change=True)
        run.config.setdefaults({"lr": 1, "d": 4})
        print("RESULTS " + json.dumps([run.id, run.project, run.sweep_id, run.config.as_dict()]))
        run.finish()
        """
    )
    run_env = {**os.environ, "WANDB_MODE": "offline", "WANDB_SILENT": "true", "WANDB_DIR": str(tmp_path), **env}
    run_env.pop("WANDB_PROJECT", None)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=run_env, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    real = json.loads(next(line for line in done.stdout.splitlines() if line.startswith("RESULTS "))[8:])

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("WANDB_PROJECT", raising=False)
    run = wandb.init(project="mine", id="mine1", config={"lr": 0.5, "other": 1, "opt": {"name": "sgd", "m": 0.9}})
    run.config.update({"lr": 0.9, "new": 2}, allow_val_change=True)
    run.config.setdefaults({"lr": 1, "d": 4})
    assert [run.id, run.project, run.sweep_id, run.config.as_dict()] == real
