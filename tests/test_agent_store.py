"""The sweep store: transitions, atomic claims between agents, recovery from dead agents."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest

from sweepkit.agent.store import SweepNotFoundError, SweepStore, StoreError, pid_is_alive, sweep_dir
from sweepkit.engine import next_runs
from sweepkit.run import CRASHED, PENDING, RUNNING, Suggestion

GRID = {"method": "grid", "parameters": {"a": {"values": list(range(12))}}}


def grid_plan(records):
    runs = [record.to_run() for record in records if not record.requeued]
    return next_runs(GRID, runs, n=1, seed=0)


def test_create_open_and_info_round_trip(tmp_path):
    created = SweepStore.create(tmp_path, GRID, seed=7, project="proj", entity=None)
    reopened = SweepStore.open(tmp_path, created.info.id)

    assert created.path == sweep_dir(tmp_path, created.info.id) / "sweep.sqlite"
    assert (reopened.info.config, reopened.info.seed, reopened.info.project) == (GRID, 7, "proj")
    with pytest.raises(StoreError, match="already exists"):
        SweepStore.create(tmp_path, GRID, sweep_id=created.info.id)


def test_open_of_a_missing_sweep_says_where_it_looked(tmp_path):
    with pytest.raises(SweepNotFoundError, match="nosuchid"):
        SweepStore.open(tmp_path, "nosuchid")


def test_a_claimed_run_is_pending_and_owned_before_anything_starts(tmp_path):
    store = SweepStore.create(tmp_path, GRID, seed=0)
    agent = store.register_agent()

    (claimed,) = store.claim_runs(agent, lambda records: [Suggestion({"a": 1}, "because")])

    assert (claimed.state, claimed.agent_id, claimed.params, claimed.suggestion) == (PENDING, agent, {"a": 1}, "because")
    store.mark_running(claimed.id, 12345)
    store.request_stop(claimed.id, "hyperband: lost")
    store.end_run(claimed.id, "killed", exit_code=-15, output_tail="bye", history=[{"m": 1}])
    ended = store.run(claimed.id)
    assert (ended.state, ended.reason, ended.exit_code, ended.output_tail, ended.history) == (
        "killed", "hyperband: lost", -15, "bye", ({"m": 1},)
    )
    assert ended.stop_requested is not None and ended.ended is not None


def test_a_failing_plan_leaves_no_run_behind(tmp_path):
    store = SweepStore.create(tmp_path, GRID, seed=0)
    agent = store.register_agent()

    def broken(records):
        raise RuntimeError("engine failed")

    with pytest.raises(RuntimeError):
        store.claim_runs(agent, broken)
    assert store.runs() == []


def test_agents_in_threads_never_get_the_same_grid_point(tmp_path):
    sweep_id = SweepStore.create(tmp_path, GRID, seed=0).info.id
    claimed: list[dict] = []

    def agent() -> None:
        store = SweepStore.open(tmp_path, sweep_id)
        agent_id = store.register_agent()
        while records := store.claim_runs(agent_id, grid_plan):
            claimed.extend(record.params for record in records)

    threads = [threading.Thread(target=agent) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(params["a"] for params in claimed) == list(range(12))


def test_runs_of_a_dead_agent_are_handed_over_once(tmp_path):
    store = SweepStore.create(tmp_path, GRID, seed=0)
    dead_process = subprocess.Popen([sys.executable, "-c", "pass"])
    dead_process.wait()
    dead = store.register_agent(pid=dead_process.pid)
    alive = store.register_agent()  # this process
    running, pending = store.claim_runs(dead, lambda records: [Suggestion({"a": 0}, ""), Suggestion({"a": 1}, "")])
    store.mark_running(running.id, dead_process.pid)
    (own,) = store.claim_runs(alive, lambda records: [Suggestion({"a": 2}, "")])

    orphans = store.claim_orphans(alive)
    second_look = store.claim_orphans(alive)

    assert {record.id for record in orphans} == {running.id, pending.id}
    assert {record.state for record in orphans} == {RUNNING, PENDING}
    assert second_look == []
    assert store.run(own.id).agent_id == alive
    assert all(store.run(record.id).agent_id == alive for record in orphans)


def test_a_requeued_run_frees_its_grid_point(tmp_path):
    store = SweepStore.create(tmp_path, GRID, seed=0)
    agent = store.register_agent()
    (first,) = store.claim_runs(agent, grid_plan)
    store.end_run(first.id, CRASHED, reason="agent died", requeue=True)

    (again,) = store.claim_runs(agent, grid_plan)

    assert again.params == first.params and again.id != first.id
    assert store.run(first.id).state == CRASHED and store.run(first.id).requeued


def test_pid_is_alive_tells_a_reused_pid_apart():
    assert pid_is_alive(os.getpid(), None)
    assert not pid_is_alive(os.getpid(), "not-its-start-time")
    assert not pid_is_alive(None, None)
