"""The offline agent: the loop around the engine that runs a sweep's trials.

It does what ``wandb agent`` does, with the sweep store in place of W&B's
server: asks the engine for runs, writes W&B's param file, starts the program
with W&B's environment, tails each run's transaction log, stops runs that lose
at their hyperband bracket, and records every transition in the store first.

Example:
    >>> store = SweepStore.open(".", "abcd1234")  # doctest: +SKIP
    >>> result = Agent(store, wandb_dir=".", options=AgentOptions(workers=2)).run()  # doctest: +SKIP
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import yaml

from sweepkit import engine
from sweepkit.agent import launcher, macros
from sweepkit.agent.launcher import TrialProcess
from sweepkit.agent.progress import PlainLines, Progress, RunRow
from sweepkit.agent.store import RunRecord, SweepStore, sweep_dir
from sweepkit.run import CRASHED, FAILED, FINISHED, KILLED, RUNNING, Run, StopDecision, Suggestion

# W&B's agent defaults (wandb/wandb_agent.py), so both agents behave alike.
KILL_DELAY_S = 30.0
FLAPPING_MAX_SECONDS = 60.0
FLAPPING_MAX_FAILURES = 3
MAX_INITIAL_FAILURES = 5
# wandb-core flushes the transaction log every 15 s by default. Hyperband
# compares a run's best value so far with the others' values at the bracket, so
# a run judged late has trained past its bracket and its best-so-far flatters
# it. Epochs can take 0.15 s (digits): with a 1 s flush hyperband saved 21% of
# the epochs of the digits sweep, with 0.1 s 42% (benchmarks/hyperband_savings.py).
FLUSH_INTERVAL_ENV = "WANDB_X_TRANSACTION_LOG_FLUSH_INTERVAL"
DEFAULT_FLUSH_INTERVAL = "0.1"
POLL_INTERVAL_S = 0.25
HEARTBEAT_INTERVAL_S = 2.0


class AgentError(Exception):
    """The agent cannot run this sweep (missing program or interpreter, bad command)."""


@dataclass(frozen=True)
class AgentOptions:
    """How one agent serves a sweep.

    Attributes:
        count: Start at most this many runs (``wandb agent --count``); no limit when None.
        workers: Runs at once (ignored when ``gpus`` is given).
        gpus: One run at a time per GPU, each with its own ``CUDA_VISIBLE_DEVICES``.
        max_consecutive_failed_runs: Stop after this many failed runs in a row.
        kill_delay: Seconds between SIGTERM and SIGKILL; ``WANDB_AGENT_KILL_DELAY`` or 30.
        poll_interval: Seconds between two looks at the runs.
        handle_signals: Install the Ctrl-C handler (only possible in the main thread).
    """

    count: int | None = None
    workers: int = 1
    gpus: tuple[str, ...] = ()
    max_consecutive_failed_runs: int | None = None
    kill_delay: float | None = None
    poll_interval: float = POLL_INTERVAL_S
    handle_signals: bool = True

    def __post_init__(self) -> None:
        if self.count is not None and self.count < 1:
            raise ValueError(f"count={self.count}: give at least 1, or None for no limit")
        if self.workers < 1:
            raise ValueError(f"workers={self.workers}: give at least 1")
        if self.max_consecutive_failed_runs is not None and self.max_consecutive_failed_runs < 1:
            raise ValueError(f"max_consecutive_failed_runs={self.max_consecutive_failed_runs}: give at least 1")

    @property
    def slots(self) -> tuple[str | None, ...]:
        """One entry per concurrent run: its GPU, or None."""
        return tuple(self.gpus) if self.gpus else (None,) * self.workers


@dataclass(frozen=True)
class AgentResult:
    """What one agent did.

    Attributes:
        sweep_id: The sweep.
        agent_id: This agent's id in the store.
        started: Ids of the runs this agent started, in order.
        stop_reason: Why the agent stopped, one line.
        failed_runs: Ids of this agent's runs that failed or crashed.
        gave_up: True when a failure guard stopped the agent (flapping, consecutive failures).
        interrupted: True when Ctrl-C (or SIGTERM) stopped the agent.
    """

    sweep_id: str
    agent_id: str
    started: tuple[str, ...]
    stop_reason: str
    failed_runs: tuple[str, ...] = ()
    gave_up: bool = False
    interrupted: bool = False


@dataclass
class _ActiveRun:
    record: RunRecord
    process: TrialProcess
    slot: int


@dataclass
class _Guards:
    """W&B's failure guards: flapping, failing, consecutive failures."""

    started: float
    max_consecutive: int | None
    max_initial: int
    flapping_enabled: bool
    finished: int = 0
    failed: int = 0
    consecutive: int = 0
    failed_runs: list[str] = field(default_factory=list)

    def record(self, run_id: str, failed: bool) -> str | None:
        """Count a run's outcome; the reason to stop the agent, if any."""
        if not failed:
            self.finished += 1
            self.consecutive = 0
            return None
        self.failed += 1
        self.consecutive += 1
        self.failed_runs.append(run_id)
        if self.max_consecutive is not None and self.consecutive >= self.max_consecutive:
            return f"{self.consecutive} runs failed in a row (--max-consecutive-failed-runs={self.max_consecutive})"
        if (
            self.flapping_enabled
            and time.monotonic() - self.started < FLAPPING_MAX_SECONDS
            and self.failed >= FLAPPING_MAX_FAILURES
        ):
            return (
                f"{self.failed} runs failed in the first {FLAPPING_MAX_SECONDS:g} s "
                "(set WANDB_AGENT_DISABLE_FLAPPING=true to turn this check off)"
            )
        if self.failed >= self.finished and self.failed >= self.max_initial:
            return (
                f"{self.failed} runs failed and only {self.finished} finished "
                "(WANDB_AGENT_MAX_INITIAL_FAILURES sets the limit)"
            )
        return None


def write_param_files(directory: Path, run_id: str, params: Mapping[str, Any], *, with_json: bool) -> tuple[Path, Path]:
    """Write W&B's param file ``config-<run>.yaml`` (and the ``${args_json_file}`` JSON file).

    The YAML matches what ``wandb agent`` writes (``wandb_version: 1`` then
    ``name: {value: v}`` per top-level parameter), which ``wandb.init`` loads
    into ``run.config``.

    Returns:
        The YAML path and the JSON path (the JSON file exists only when ``with_json``).
    """
    directory.mkdir(parents=True, exist_ok=True)
    yaml_path = directory / f"config-{run_id}.yaml"
    json_path = directory / f"config-{run_id}.json"
    text = "wandb_version: 1"
    if params:
        text += "\n\n" + yaml.dump(
            {name: {"value": value} for name, value in params.items()},
            Dumper=yaml.SafeDumper,
            default_flow_style=False,
            allow_unicode=True,
            sort_keys=False,
        )
    yaml_path.write_text(text, encoding="utf-8")
    if with_json:
        json_path.write_text(macros.args_json(params), encoding="utf-8")
    return yaml_path, json_path


def trial_env(
    base: Mapping[str, str],
    *,
    sweep_id: str,
    run_id: str,
    wandb_dir: str,
    param_path: str,
    project: str | None = None,
    entity: str | None = None,
    device: str | None = None,
) -> dict[str, str]:
    """The environment of one trial: W&B's sweep contract, offline, near-live log flushes."""
    env = dict(base)
    # A service socket inherited from the agent's own wandb would tie runs together.
    env.pop("WANDB_SERVICE", None)
    env.update(
        WANDB_SWEEP_ID=sweep_id,
        WANDB_RUN_ID=run_id,
        WANDB_SWEEP_PARAM_PATH=param_path,
        WANDB_DIR=wandb_dir,
        WANDB_MODE="offline",
    )
    if project:
        env["WANDB_PROJECT"] = project
    if entity:
        env["WANDB_ENTITY"] = entity
    env.setdefault(FLUSH_INTERVAL_ENV, DEFAULT_FLUSH_INTERVAL)
    if device is not None:
        env["CUDA_VISIBLE_DEVICES"] = device
    return env


def kill_delay_from_env(environ: Mapping[str, str]) -> float:
    """``WANDB_AGENT_KILL_DELAY`` in seconds (30 when unset)."""
    value = environ.get("WANDB_AGENT_KILL_DELAY")
    if value is None:
        return KILL_DELAY_S
    try:
        return float(value)
    except ValueError:
        raise AgentError(f"WANDB_AGENT_KILL_DELAY={value!r} is not a number of seconds") from None


class Agent:
    """One offline agent serving one sweep; several may serve it at once.

    Args:
        store: The sweep's store.
        wandb_dir: The ``WANDB_DIR`` runs write to (the sweep lives under it).
        options: Count, workers or GPUs, failure guards.
        progress: Where to show what happens; plain lines on stdout by default.
        environ: The environment trials inherit; ``os.environ`` by default.
        cwd: Where trials start (the sweep's ``program`` is relative to it).
    """

    def __init__(
        self,
        store: SweepStore,
        *,
        wandb_dir: str | os.PathLike[str],
        options: AgentOptions | None = None,
        progress: Progress | None = None,
        environ: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
    ) -> None:
        self.store = store
        self.info = store.info
        self.config = self.info.config
        self.wandb_dir = os.path.abspath(wandb_dir)
        self.options = options or AgentOptions()
        self.progress = progress or PlainLines(sys.stdout, metric_name=(self.config.get("metric") or {}).get("name"))
        self.environ = dict(os.environ if environ is None else environ)
        self.cwd = Path(cwd or os.getcwd())
        self.kill_delay = self.options.kill_delay if self.options.kill_delay is not None else kill_delay_from_env(self.environ)
        self.sweep_dir = sweep_dir(self.wandb_dir, self.info.id)
        self.agent_id = ""
        self._active: dict[str, _ActiveRun] = {}
        self._tails: dict[str, Any] = {}  # run id -> LogTail, for runs of any agent still running
        self._live: dict[str, Any] = {}  # run id -> latest RunLog
        self._rows: dict[str, RunRow] = {}
        self._started: list[str] = []
        self._sweep_done = False
        self._stop_reason: str | None = None
        self._gave_up = False
        self._metric_warned = False
        self._interrupts = 0
        self._interrupts_handled = 0
        self._guards = _Guards(
            started=time.monotonic(),
            max_consecutive=self.options.max_consecutive_failed_runs,
            max_initial=int(self.environ.get("WANDB_AGENT_MAX_INITIAL_FAILURES", MAX_INITIAL_FAILURES)),
            flapping_enabled=self.environ.get("WANDB_AGENT_DISABLE_FLAPPING") != "true",
        )

    # -- the loop -------------------------------------------------------------------

    def run(self) -> AgentResult:
        """Serve the sweep until it is done, ``count`` is reached, a guard trips or Ctrl-C.

        Raises:
            AgentError: The program or interpreter is missing, or the command is bad;
                raised before any run starts.
        """
        self.preflight()
        self.agent_id = self.store.register_agent()
        restore = self._install_signal_handlers()
        next_heartbeat = 0.0
        try:
            self._resolve_orphans()
            while True:
                self._handle_interrupts()
                self._reap_exited()
                records = self.store.runs()
                self._refresh_logs(records)
                self._early_terminate(records)
                self._escalate_stops()
                if self._accepting():
                    self._launch()
                self._show()
                if not self._accepting() and not self._active:
                    break
                if time.monotonic() >= next_heartbeat:
                    self.store.heartbeat(self.agent_id)
                    next_heartbeat = time.monotonic() + HEARTBEAT_INTERVAL_S
                time.sleep(self.options.poll_interval)
        except BaseException as error:
            # Never leave trials running behind an agent that is gone for good.
            reason = f"killed: the agent failed ({type(error).__name__}: {error})"
            for active in self._active.values():
                self.store.request_stop(active.record.id, reason)
                active.process.kill()
                self.store.end_run(active.record.id, KILLED, exit_code=active.process.popen.wait(), output_tail=active.process.output_tail())
            raise
        finally:
            restore()
            self.store.retire_agent(self.agent_id)
            self.progress.close()
        return AgentResult(
            sweep_id=self.info.id,
            agent_id=self.agent_id,
            started=tuple(self._started),
            stop_reason=self._stop_reason or f"started the {len(self._started)} run(s) asked for (--count)",
            failed_runs=tuple(self._guards.failed_runs),
            gave_up=self._gave_up,
            interrupted=self._interrupts > 0,
        )

    def preflight(self) -> None:
        """Check the command, interpreter and program once, before any run starts.

        Raises:
            AgentError: With every problem found.
        """
        command = self.config.get("command")
        program = self.config.get("program")
        try:
            argv = macros.build_argv(command, program=program or "", params={}, environ=self.environ)
        except macros.MacroError as error:
            raise AgentError(str(error)) from None
        uses_program = macros.uses_macro(command, "program")
        if uses_program and not program:
            raise AgentError("the sweep's command uses ${program} but the sweep has no `program`")
        problems = launcher.check_argv(argv, program=program if uses_program else None, cwd=self.cwd, env=self.environ)
        if problems:
            raise AgentError("cannot start runs: " + "; ".join(problems))

    def _accepting(self) -> bool:
        count = self.options.count
        return (
            not self._sweep_done
            and self._stop_reason is None
            and (count is None or len(self._started) < count)
        )

    # -- starting runs --------------------------------------------------------------

    def _launch(self) -> None:
        in_use = {active.slot for active in self._active.values()}
        free = [slot for slot in range(len(self.options.slots)) if slot not in in_use]
        if self.options.count is not None:
            free = free[: self.options.count - len(self._started)]
        if not free:
            return
        plan_count = len(free)

        def plan(current: list[RunRecord]) -> Sequence[Suggestion]:
            runs = [self._engine_run(record) for record in current if not record.requeued]
            # The engine gives the same suggestions for the same seed and runs, and random
            # search draws independently of the runs: a fresh stream per claim keeps draws
            # distinct, and the sweep replayable (same seed, same order of claims).
            rng = np.random.default_rng([self.info.seed, len(current)])
            return engine.next_runs(self.config, runs, n=plan_count, seed=rng, no_repeat=self.info.no_repeat)

        claimed = self.store.claim_runs(self.agent_id, plan)
        if not claimed:
            self._sweep_done = True
            runs = [self._engine_run(record) for record in self.store.runs() if not record.requeued]
            why = engine.done_reason(self.config, runs) or f"the {self.config.get('method')} search has nothing left to try"
            self._stop_reason = self._stop_reason or f"the sweep is done: {why}"
            return
        for record, slot in zip(claimed, free):
            self._start(record, slot)

    def _start(self, record: RunRecord, slot: int) -> None:
        device = self.options.slots[slot]
        command = self.config.get("command")
        yaml_path, json_path = write_param_files(
            self.sweep_dir, record.id, record.params, with_json=macros.uses_macro(command, "args_json_file")
        )
        env = trial_env(
            self.environ,
            sweep_id=self.info.id,
            run_id=record.id,
            wandb_dir=self.wandb_dir,
            param_path=str(yaml_path),
            project=self.info.project,
            entity=self.info.entity,
            device=device,
        )
        argv = macros.build_argv(
            command, program=self.config.get("program") or "", params=record.params, args_json_file=str(json_path), environ=env
        )
        output_path = self.sweep_dir / f"output-{record.id}.log"
        self._started.append(record.id)
        try:
            process = launcher.start_trial(record.id, argv, env, cwd=self.cwd, output_path=output_path)
        except OSError as error:
            self.store.end_run(record.id, FAILED, reason=f"could not start {argv[0]!r}: {error}")
            self._count_outcome(record.id, failed=True)
            return
        self.store.mark_running(record.id, process.pid, device=device)
        self._active[record.id] = _ActiveRun(record=self.store.run(record.id), process=process, slot=slot)
        self._tails[record.id] = None

    # -- watching runs --------------------------------------------------------------

    def _refresh_logs(self, records: list[RunRecord]) -> None:
        from sweepkit.transaction_log import LogTail, TransactionLogError, find_run_log

        for record in records:
            if record.state != RUNNING and record.id not in self._active:
                self._tails.pop(record.id, None)
                continue
            tail = self._tails.get(record.id)
            if tail is None:
                log_path = find_run_log(self.wandb_dir, record.id)
                if log_path is None:
                    continue
                tail = self._tails[record.id] = LogTail(log_path)
                if record.id in self._active:
                    self.store.set_run_dir(record.id, str(log_path.parent))
            try:
                self._live[record.id] = tail.poll()
            except TransactionLogError as error:
                # A damaged log should not take the sweep down: keep what was read.
                self.progress.message(f"run {record.id}: cannot read its W&B log any further: {error}")
                self._tails[record.id] = _StaleTail(self._live.get(record.id))

    def _engine_run(self, record: RunRecord) -> Run:
        live = self._live.get(record.id)
        if live is not None and not record.is_terminal:
            return record.to_run(history=live.history, summary=live.summary)
        return record.to_run()

    def _early_terminate(self, records: list[RunRecord]) -> None:
        if not self.config.get("early_terminate") or not self._active:
            return
        runs = [self._engine_run(record) for record in records if not record.requeued]
        decisions: list[StopDecision] = engine.stop_runs(self.config, runs)
        for decision in decisions:
            active = self._active.get(decision.run)
            if active is None or active.process.terminated_at is not None:
                continue  # another agent's run, or already stopping
            self._stop(active, decision.reason)

    def _stop(self, active: _ActiveRun, reason: str) -> None:
        self.store.request_stop(active.record.id, reason)
        active.process.terminate()
        self.progress.message(f"stopping run {active.record.id}: {reason}")

    def _escalate_stops(self) -> None:
        now = time.monotonic()
        for active in self._active.values():
            process = active.process
            if process.terminated_at is not None and not process.killed and now - process.terminated_at >= self.kill_delay:
                process.kill()

    def _reap_exited(self) -> None:
        for run_id, active in list(self._active.items()):
            exit_code = active.process.poll()
            if exit_code is None:
                continue
            del self._active[run_id]
            self._finish(active, exit_code)

    def _finish(self, active: _ActiveRun, exit_code: int) -> None:
        run_id = active.record.id
        log = self._final_log(run_id)
        stopped = active.process.terminated_at is not None or active.process.killed
        reason = None
        if stopped:
            state = KILLED
        elif exit_code == 0:
            state = FINISHED
        elif exit_code < 0:
            state = CRASHED
            reason = f"killed by {signal.Signals(-exit_code).name}, not by the agent"
        else:
            state = FAILED
            reason = f"exit code {exit_code}"
        self.store.end_run(
            run_id,
            state,
            exit_code=exit_code,
            reason=reason,
            output_tail=active.process.output_tail(),
            history=log.history if log is not None else None,
            summary=log.summary if log is not None else None,
        )
        self._tails.pop(run_id, None)
        self._live.pop(run_id, None)
        self._rows[run_id] = self._row(self.store.run(run_id), log)
        self._warn_if_metric_missing(run_id, log)
        if not stopped:
            self._count_outcome(run_id, failed=state in (FAILED, CRASHED))

    def _warn_if_metric_missing(self, run_id: str, log: Any) -> None:
        # A wrong metric.name (W&B's Keras callbacks log "epoch/val_accuracy") leaves
        # bayes and hyperband blind without any error (wandb 2519, 6217): say so once.
        metric = (self.config.get("metric") or {}).get("name")
        if not metric or log is None or not log.history or self._metric_warned:
            return
        logged = sorted({key for row in log.history for key in row if not key.startswith("_")})
        if metric not in logged:
            self._metric_warned = True
            self.progress.message(
                f"warning: run {run_id} never logged the sweep's metric {metric!r}; it logged {', '.join(logged)}. "
                "Set metric.name in the sweep YAML to one of these."
            )

    def _final_log(self, run_id: str) -> Any:
        from sweepkit.transaction_log import LogTail, TransactionLogError, find_run_log

        tail = self._tails.get(run_id)
        if tail is None:
            log_path = find_run_log(self.wandb_dir, run_id)
            if log_path is None:
                return None
            self.store.set_run_dir(run_id, str(log_path.parent))
            tail = LogTail(log_path)
        try:
            return tail.poll()
        except TransactionLogError:
            return self._live.get(run_id)

    def _count_outcome(self, run_id: str, *, failed: bool) -> None:
        give_up = self._guards.record(run_id, failed)
        if give_up and self._stop_reason is None:
            self._gave_up = True
            failed_outputs = ", ".join(str(self.sweep_dir / f"output-{rid}.log") for rid in self._guards.failed_runs[-3:])
            self._stop_reason = f"stopped: {give_up}. Look at the failed runs' output: {failed_outputs}"
            self.progress.message(self._stop_reason)
            # As wandb agent does: a guard stops the runs still going too.
            for other in self._active.values():
                if other.process.terminated_at is None:
                    self._stop(other, f"agent stopped: {give_up}")

    # -- crash recovery -------------------------------------------------------------

    def _resolve_orphans(self) -> None:
        from sweepkit.transaction_log import TransactionLogError, find_run_log, read_run

        groups: dict[int, str | None] = {}
        for record in self.store.claim_orphans(self.agent_id):
            # A log with its exit record means the run ended on its own: keep it.
            log_path = find_run_log(self.wandb_dir, record.id)
            log = None
            if log_path is not None:
                try:
                    log = read_run(log_path)
                except TransactionLogError:
                    log = None
            output_tail = launcher.output_tail(self.sweep_dir / f"output-{record.id}.log")
            if log is not None and log.finished and record.stop_requested is None:
                state = FINISHED if log.exit_code == 0 else FAILED
                self.store.end_run(
                    record.id, state, exit_code=log.exit_code, reason="ended after its agent died",
                    output_tail=output_tail, history=log.history, summary=log.summary,
                )
                continue
            reason = f"crashed: its agent {record.agent_id} died while the run was {record.state}; slot offered again"
            self.store.end_run(
                record.id, CRASHED, reason=reason, output_tail=output_tail,
                history=log.history if log else None, summary=log.summary if log else None, requeue=True,
            )
            # The pid is unknown when the agent died between starting the run and recording it.
            if record.pid is not None:
                groups[record.pid] = record.pid_start
            for group in launcher.find_trial_groups(self.info.id, record.id):
                groups.setdefault(group, None)
            self.progress.message(f"run {record.id} {reason}")
        launcher.stop_orphans(groups, grace=min(self.kill_delay, 5.0))

    # -- Ctrl-C ---------------------------------------------------------------------

    def _install_signal_handlers(self) -> Any:
        if not self.options.handle_signals or threading.current_thread() is not threading.main_thread():
            return lambda: None
        previous = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}

        def on_signal(signum: int, frame: Any) -> None:
            self._interrupts += 1

        for signum in previous:
            signal.signal(signum, on_signal)

        def restore() -> None:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

        return restore

    def _handle_interrupts(self) -> None:
        # wandb agent's tiers: wait for the runs, then SIGTERM them, then SIGKILL them.
        while self._interrupts_handled < self._interrupts:
            self._interrupts_handled += 1
            tier = self._interrupts_handled
            if tier == 1:
                self._stop_reason = "interrupted (Ctrl-C)"
                if self._active:
                    self.progress.message(
                        f"Ctrl-C: waiting for {len(self._active)} running run(s) to end. Press Ctrl-C again to stop them."
                    )
            elif tier == 2:
                self.progress.message("Ctrl-C: stopping the runs (SIGTERM). Press Ctrl-C again to kill them.")
                for active in self._active.values():
                    if active.process.terminated_at is None:
                        self._stop(active, "stopped by Ctrl-C on the agent")
            else:
                self.progress.message("Ctrl-C: killing the runs (SIGKILL).")
                for active in self._active.values():
                    self.store.request_stop(active.record.id, "killed by Ctrl-C on the agent")
                    active.process.kill()

    # -- progress -------------------------------------------------------------------

    def _show(self) -> None:
        for run_id, active in self._active.items():
            self._rows[run_id] = self._row(active.record, self._live.get(run_id), stopping=active.process.terminated_at is not None)
        self.progress.update(list(self._rows.values()))

    def _row(self, record: RunRecord, log: Any, *, stopping: bool = False) -> RunRow:
        from sweepkit.search.base import best_metric_value, metric_goal, metric_history

        metric = (self.config.get("metric") or {}).get("name")
        history = log.history if log is not None else record.history
        run = Run(name=record.id, params=record.params, history=tuple(history))
        values = metric_history(run, metric) if metric else []
        state = "stopping" if stopping and record.state == RUNNING else record.state
        return RunRow(
            run_id=record.id,
            params=record.params,
            state=state,
            epoch=len(values),
            metric=values[-1] if values else None,
            best=best_metric_value(run, metric, metric_goal(self.config)) if values else None,
            note=record.reason or "",
        )


class _StaleTail:
    """Stands in for the tail of a log that could not be read further: returns what was read."""

    def __init__(self, last: Any) -> None:
        self._last = last

    def poll(self) -> Any:
        return self._last
