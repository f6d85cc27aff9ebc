"""sweepkit sync: staged logs, the exact wandb calls (against a fake W&B), resuming, dry run, the log writer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from wandb.proto import wandb_internal_pb2 as pb

from sweepkit.agent.store import SweepStore
from sweepkit.cli import main
from sweepkit.run import CRASHED, FAILED, FINISHED, RUNNING, Suggestion
from sweepkit.sync import (
    SIDECAR,
    CommandResult,
    WandbCloud,
    format_plan,
    plan_sync,
    rewrite_sweep_id,
    sync_sweep,
    write_transaction_log,
)
from sweepkit.transaction_log import BLOCK_SIZE, iter_records, read_run

CONFIG = {
    "program": "train.py",
    "method": "random",
    "metric": {"name": "acc", "goal": "maximize"},
    "parameters": {"lr": {"distribution": "log_uniform_values", "min": 1e-4, "max": 1e-1}},
}


class FakeCloud:
    """Records every call; marks uploaded logs the way wandb does (``run-<id>.wandb.synced``)."""

    executable = ("wandb",)

    def __init__(self, fail: set[str] = frozenset(), returncode: int = 0) -> None:
        self.fail = set(fail)
        self.returncode = returncode
        self.calls: list[tuple] = []
        self.seen_sweep_ids: dict[str, str] = {}

    def sync_run_dirs(self, run_dirs, *, project, entity):
        argv = ("wandb", "sync", "--project", project, *(("--entity", entity) if entity else ()), *map(str, run_dirs))
        self.calls.append(("sync", argv))
        for run_dir in run_dirs:
            (log,) = Path(run_dir).glob("*.wandb")
            run_id = log.stem[len("run-") :]
            self.seen_sweep_ids[run_id] = next(r.run.sweep_id for r in iter_records(log) if r.WhichOneof("record_type") == "run")
            if run_id not in self.fail:
                log.with_name(log.name + ".synced").write_text("")
        return CommandResult(argv, self.returncode, "Syncing...\n")

    def create_sweep(self, config, *, project, entity, prior_runs):
        self.calls.append(("create_sweep", dict(config), project, entity, tuple(prior_runs)))
        return "wb123456"


def record(**kind) -> bytes:
    message = pb.Record(**kind)
    return message.SerializeToString()


def fake_run_log(path: Path, run_id: str, sweep_id: str, accs: list[float], *, exit_code: int | None = 0) -> Path:
    """A small transaction log like an offline sweep run's: run record, config, history, summary, exit."""
    records = [
        record(run=pb.RunRecord(run_id=run_id, sweep_id=sweep_id, project="local")),
        record(config=pb.ConfigRecord(update=[pb.ConfigItem(key="lr", value_json="0.01")])),
    ]
    for epoch, acc in enumerate(accs, start=1):
        records.append(record(history=pb.HistoryRecord(item=[pb.HistoryItem(key="epoch", value_json=str(epoch)), pb.HistoryItem(key="acc", value_json=json.dumps(acc))])))
    records.append(record(summary=pb.SummaryRecord(update=[pb.SummaryItem(key="acc", value_json=json.dumps(accs[-1]))])))
    if exit_code is not None:
        records.append(record(exit=pb.RunExitRecord(exit_code=exit_code)))
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_transaction_log(path, records)


def make_sweep(wandb_dir: Path, states: list[str]) -> SweepStore:
    """An offline sweep whose runs have offline run dirs (with a files/ folder) like real ones."""
    store = SweepStore.create(wandb_dir, CONFIG, seed=0, project="local")
    agent = store.register_agent()
    for index, state in enumerate(states):
        (claimed,) = store.claim_runs(agent, lambda existing: [Suggestion({"lr": 0.01}, "test")])
        store.mark_running(claimed.id, os.getpid())
        if state == "no log":
            store.end_run(claimed.id, FAILED, exit_code=1)
            continue
        run_dir = wandb_dir / "wandb" / f"offline-run-20260101_00000{index}-{claimed.id}"
        fake_run_log(run_dir / f"run-{claimed.id}.wandb", claimed.id, store.info.id, [0.5, 0.6 + index / 100], exit_code=None if state == RUNNING else 0)
        (run_dir / "files").mkdir()
        (run_dir / "files" / "requirements.txt").write_text("keras\n")
        store.set_run_dir(claimed.id, str(run_dir))
        if state != RUNNING:
            store.end_run(claimed.id, state, exit_code=0 if state == FINISHED else -9)
    return store


def test_sync_uploads_staged_copies_without_the_local_sweep_id_then_creates_the_sweep(tmp_path):
    store = make_sweep(tmp_path, [FINISHED, CRASHED, RUNNING, "no log"])
    finished, crashed, running, no_log = [record.id for record in store.runs()]
    cloud = FakeCloud()

    result = sync_sweep(tmp_path, store.info.id, project="team-proj", entity="team", cloud=cloud)

    assert result.ok and result.created_sweep and result.wandb_sweep == "wb123456"
    (sync_call, create_call) = cloud.calls
    sweep_dir = store.sweep_dir
    staged = [sweep_dir / "sync" / "team_team-proj" / f"offline-run-20260101_00000{i}-{run_id}" for i, run_id in ((0, finished), (1, crashed))]
    assert sync_call == ("sync", ("wandb", "sync", "--project", "team-proj", "--entity", "team", *map(str, staged)))
    assert create_call == ("create_sweep", CONFIG, "team-proj", "team", (finished, crashed))
    # W&B would reject the local sweep id ("sweep ... not found"): the staged logs carry none.
    assert cloud.seen_sweep_ids == {finished: "", crashed: ""}
    assert sorted(result.uploaded_now) == sorted([finished, crashed])
    assert dict(result.plan.skipped).keys() == {running, no_log}
    # Only the run record changed: config, history, summary and exit are the original's.
    original = read_run(Path(store.run(finished).run_dir) / f"run-{finished}.wandb")
    copy = read_run(staged[0] / f"run-{finished}.wandb")
    assert (copy.run_id, copy.config, copy.history, copy.summary, copy.exit_code) == (original.run_id, original.config, original.history, original.summary, original.exit_code)
    assert (staged[0] / "files" / "requirements.txt").read_text() == "keras\n"
    # The source run dirs are untouched (no marker, same local sweep id).
    assert not list(tmp_path.glob("wandb/offline-run-*/*.synced"))
    sidecar = json.loads((sweep_dir / SIDECAR).read_text())
    assert sidecar["destinations"]["team/team-proj"]["sweep"] == "wb123456"
    assert set(sidecar["destinations"]["team/team-proj"]["runs"]) == {finished, crashed}


def test_a_second_sync_uploads_nothing_twice_and_new_runs_join_the_existing_sweep(tmp_path):
    store = make_sweep(tmp_path, [FINISHED, RUNNING])
    first, second = [record.id for record in store.runs()]
    sync_sweep(tmp_path, store.info.id, project="p", cloud=FakeCloud())
    again = FakeCloud()

    nothing = sync_sweep(tmp_path, store.info.id, project="p", cloud=again)
    store.end_run(second, FINISHED, exit_code=0)
    fake_run_log(Path(store.run(second).run_dir) / f"run-{second}.wandb", second, store.info.id, [0.7])
    later = sync_sweep(tmp_path, store.info.id, project="p", cloud=again)

    assert nothing.ok and nothing.uploaded_now == [] and not nothing.created_sweep
    assert [call[0] for call in again.calls] == ["sync"]  # only the run that ended since; no second sweep
    assert later.uploaded_now == [second] and later.wandb_sweep == "wb123456" and not later.created_sweep
    assert again.seen_sweep_ids == {second: "wb123456"}
    assert later.plan.uploaded == (first,)


def test_a_failure_part_way_is_resumed_by_running_sync_again(tmp_path):
    store = make_sweep(tmp_path, [FINISHED, FINISHED, FINISHED])
    ids = [record.id for record in store.runs()]
    flaky = FakeCloud(fail={ids[1]}, returncode=1)

    failed = sync_sweep(tmp_path, store.info.id, project="p", cloud=flaky)
    retry = FakeCloud()
    resumed = sync_sweep(tmp_path, store.info.id, project="p", cloud=retry)

    assert not failed.ok and failed.failed == [ids[1]] and "run sweepkit sync again" in failed.problem
    assert [call[0] for call in flaky.calls] == ["sync"]  # no sweep until every run is up
    assert resumed.ok and resumed.uploaded_now == [ids[1]]
    assert retry.calls[0][1][-1].endswith(ids[1]) and len(retry.calls[0][1]) == 5
    assert retry.calls[1] == ("create_sweep", CONFIG, "p", None, (ids[0], ids[2], ids[1]))


def test_wandb_exiting_0_without_uploading_is_reported_with_a_hint(tmp_path):
    store = make_sweep(tmp_path, [FINISHED])
    (run_id,) = [record.id for record in store.runs()]

    result = sync_sweep(tmp_path, store.info.id, project="p", cloud=FakeCloud(fail={run_id}, returncode=0))

    assert not result.ok and "wandb login" in result.problem and result.wandb_sweep is None


def test_dry_run_prints_the_plan_and_changes_nothing(tmp_path):
    store = make_sweep(tmp_path, [FINISHED, RUNNING])
    finished, running = [record.id for record in store.runs()]
    before = sorted(str(path) for path in tmp_path.rglob("*") if "sqlite" not in path.name)

    result = CliRunner().invoke(main, ["sync", store.info.id, "--project", "p", "--entity", "e", "--dir", str(tmp_path), "--dry-run"])

    assert result.exit_code == 0, result.output
    assert sorted(str(path) for path in tmp_path.rglob("*") if "sqlite" not in path.name) == before
    assert f"{finished} (finished)" in result.output and f"skip {running}: running" in result.output
    assert "sync --project p --entity e" in result.output and "/sync/e_p/offline-run-" in result.output
    assert f"create a W&B sweep in e/p (method random, metric acc) with prior runs: {finished}" in result.output


def test_sync_needs_a_project(tmp_path):
    store = make_sweep(tmp_path, [FINISHED])

    result = CliRunner().invoke(main, ["sync", store.info.id, "--dir", str(tmp_path)])

    assert result.exit_code == 2 and "--project" in result.output


def test_plan_lists_already_uploaded_runs_per_destination(tmp_path):
    store = make_sweep(tmp_path, [FINISHED])
    sync_sweep(tmp_path, store.info.id, project="one", cloud=FakeCloud())

    same = plan_sync(tmp_path, store.info.id, project="one")
    other = plan_sync(tmp_path, store.info.id, project="two")

    assert (len(same.uploads), same.uploaded, same.wandb_sweep) == (0, (store.runs()[0].id,), "wb123456")
    assert (len(other.uploads), other.uploaded, other.wandb_sweep) == (1, (), None)
    assert "nothing new to upload" in format_plan(same)


def test_the_real_boundary_runs_wandb_sync_with_the_recorded_argv(tmp_path):
    seen = tmp_path / "argv.json"
    fake_wandb = tmp_path / "wandb"
    fake_wandb.write_text(f"#!{sys.executable}\nimport json, os, sys\njson.dump([sys.argv[1:], os.environ.get('WANDB_MODE')], open({str(seen)!r}, 'w'))\nprint('done')\n")
    fake_wandb.chmod(0o755)
    cloud = WandbCloud(executable=[str(fake_wandb)], environ={"WANDB_MODE": "offline", "PATH": os.environ["PATH"]})

    result = cloud.sync_run_dirs([tmp_path / "a", tmp_path / "b"], project="p", entity=None)

    assert result.argv == (str(fake_wandb), "sync", "--project", "p", str(tmp_path / "a"), str(tmp_path / "b"))
    assert result.returncode == 0 and "done" in result.output
    assert json.loads(seen.read_text()) == [["sync", "--project", "p", str(tmp_path / "a"), str(tmp_path / "b")], None]


# -- the log writer ----------------------------------------------------------------------------


def test_written_logs_read_back_across_block_boundaries(tmp_path):
    big = "x" * (2 * BLOCK_SIZE + 1000)  # one record spanning three blocks: first, middle, last chunks
    records = [record(history=pb.HistoryRecord(item=[pb.HistoryItem(key="step", value_json=str(i)), pb.HistoryItem(key="pad", value_json=json.dumps("y" * (i * 37 % 3000)))])) for i in range(60)]
    records.insert(30, record(config=pb.ConfigRecord(update=[pb.ConfigItem(key="big", value_json=json.dumps(big))])))

    path = write_transaction_log(tmp_path / "run-x.wandb", records)

    assert path.stat().st_size > 3 * BLOCK_SIZE
    assert [r.SerializeToString() for r in iter_records(path)] == records
    assert read_run(path).config["big"] == big


def test_rewriting_a_real_offline_log_changes_only_its_sweep_id(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("WANDB_")}
    env.update(WANDB_MODE="offline", WANDB_SILENT="true", WANDB_DIR=str(tmp_path), WANDB_RUN_ID="real0001", WANDB_SWEEP_ID="local123")
    script = "import wandb\nrun = wandb.init(config={'lr': 0.01})\nfor e in range(3):\n    run.log({'epoch': e, 'acc': e / 10})\nrun.finish()\n"
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=120)
    (source,) = tmp_path.glob("wandb/offline-run-*-real0001/run-real0001.wandb")

    target = rewrite_sweep_id(source, tmp_path / "copy.wandb", "")

    before, after = list(iter_records(source)), list(iter_records(target))
    assert [r.run.sweep_id for r in before if r.WhichOneof("record_type") == "run"] == ["local123"]
    assert [r.run.sweep_id for r in after if r.WhichOneof("record_type") == "run"] == [""]
    for old, new in zip(before, after, strict=True):
        if old.WhichOneof("record_type") == "run":
            old.run.sweep_id = ""
        assert old == new
    assert read_run(target).history == read_run(source).history
