"""The ``sweepkit`` command: offline sweeps with no account, online sweeps one agent per GPU.

Commands are thin: they parse, call one library function, and format its
result. Library errors become a one-line message here, at one boundary
(:class:`SweepkitGroup`); ``--debug`` shows the traceback instead. More
commands (reports, sync) attach to :func:`main` with ``@main.command()``.

Examples::

    sweepkit run sweeps/grid.yaml --workers 2          # create an offline sweep and run it
    ID=$(sweepkit sweep sweeps/bayes.yaml --offline)   # create only
    sweepkit agent $ID --count 5 &                     # any number of agents...
    sweepkit agent $ID --count 5                       # ...serve one sweep
    sweepkit agent me/proj/abc123 --gpus 0,1,2,3       # online: a wandb agent per GPU
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

import click

from sweepkit import __version__

EXIT_GAVE_UP = 1
EXIT_INTERRUPTED = 130


@dataclass(frozen=True)
class SweepFile:
    """A sweep YAML that loaded and validated."""

    path: Path
    config: Mapping[str, Any]


class SweepFileType(click.ParamType):
    """A sweep YAML path: loaded and validated, every problem is a usage error (exit 2)."""

    name = "SWEEP.yaml"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> SweepFile:
        if isinstance(value, SweepFile):
            return value
        from sweepkit.config import ConfigError, load_config

        try:
            config = load_config(value)
        except ConfigError as error:
            count = len(error.problems)
            listing = "\n".join(f"  {problem}" for problem in error.problems)
            self.fail(f"{value}: {count} problem{'s' if count != 1 else ''}:\n{listing}", param, ctx)
        early_terminate = config.get("early_terminate") or {}
        if early_terminate.get("type") == "hyperband" and "strict" not in early_terminate:
            click.echo(
                f"note: {value}: early_terminate has no 'strict'. sweepkit judges a run by its best value so far "
                "(strict: false, as W&B's published engine does); W&B's current schema defaults to strict: true. "
                "Write strict: true or false to get the same rule on both.",
                err=True,
            )
        return SweepFile(path=Path(value), config=config)


class GpuListType(click.ParamType):
    """A comma-separated list of GPU ids: ``0,1,2``."""

    name = "GPUS"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> tuple[str, ...]:
        if isinstance(value, tuple):
            return value
        gpus = tuple(part.strip() for part in str(value).split(",") if part.strip())
        if not gpus:
            self.fail(f"{value!r}: give GPU ids separated by commas, e.g. 0,1,2", param, ctx)
        if len(set(gpus)) != len(gpus):
            self.fail(f"{value!r}: a GPU is listed twice", param, ctx)
        return gpus


SWEEP_FILE = SweepFileType()
GPU_LIST = GpuListType()


class SweepkitGroup(click.Group):
    """The one place library errors become a short message (exit 1); ``--debug`` keeps the traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as error:
            from sweepkit.agent.store import SweepNotFoundError

            if ctx.params.get("debug"):
                raise
            if isinstance(error, SweepNotFoundError):  # a wrong id or directory: the message says what to do
                raise click.ClickException(str(error)) from error
            raise click.ClickException(f"{error}\n(run with --debug for the traceback)") from error


@click.group(cls=SweepkitGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show the full traceback when something fails.")
@click.version_option(__version__, prog_name="sweepkit")
def main(debug: bool) -> None:
    """Run W&B sweeps of any program, online or fully offline."""


def agent_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Options shared by the commands that run trials."""
    decorators = [
        click.option("--count", type=click.IntRange(min=1), help="Start at most this many runs (this agent)."),
        click.option("--workers", type=click.IntRange(min=1), help="Runs at once (default 1)."),
        click.option("--gpus", type=GPU_LIST, help="One run per GPU at once, e.g. 0,1,2,3 (sets CUDA_VISIBLE_DEVICES)."),
        click.option(
            "--max-consecutive-failed-runs",
            type=click.IntRange(min=1),
            help="Stop the agent after this many failed runs in a row.",
        ),
        click.option("--dir", "wandb_dir", type=click.Path(file_okay=False), help="WANDB_DIR (default: $WANDB_DIR or .)."),
        click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout (progress goes to stderr)."),
    ]
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


def _wandb_dir(option: str | None) -> str:
    return os.path.abspath(option or os.environ.get("WANDB_DIR") or os.getcwd())


def _offline_mode() -> bool:
    return os.environ.get("WANDB_MODE", "").lower() in ("offline", "dryrun", "disabled")


def _check_no_repeat(no_repeat: bool, sweep: SweepFile) -> None:
    from sweepkit.engine import no_repeat_problem

    problem = no_repeat_problem(sweep.config) if no_repeat else None
    if problem:
        raise click.UsageError(f"--no-repeat: {problem} ({sweep.path})")


def _agent_options(count: int | None, workers: int | None, gpus: tuple[str, ...] | None, max_failed: int | None) -> Any:
    from sweepkit.agent.agent import AgentOptions

    if workers is not None and gpus:
        raise click.UsageError("give --workers or --gpus, not both (--gpus runs one run per GPU)")
    if gpus and shutil.which("nvidia-smi") is None:
        click.echo(
            f"note: --gpus {','.join(gpus)}, but nvidia-smi is not on PATH: if this machine has no NVIDIA GPU, "
            "the runs train on the CPU (use --workers to run several at once)",
            err=True,
        )
    return AgentOptions(count=count, workers=workers or 1, gpus=gpus or (), max_consecutive_failed_runs=max_failed)


@main.command()
@click.argument("sweep", type=SWEEP_FILE)
@agent_options
@click.option("--seed", type=int, help="Seed for the search (recorded; a random one when omitted).")
@click.option(
    "--no-repeat",
    is_flag=True,
    help="Random search of a discrete space: never repeat a combination; end when all have run.",
)
@click.option("--project", help="W&B project of the runs (used when they are synced).")
@click.option("--entity", help="W&B entity of the runs.")
def run(
    sweep: SweepFile,
    count: int | None,
    workers: int | None,
    gpus: tuple[str, ...] | None,
    max_consecutive_failed_runs: int | None,
    wandb_dir: str | None,
    as_json: bool,
    seed: int | None,
    no_repeat: bool,
    project: str | None,
    entity: str | None,
) -> None:
    """Create an offline sweep from SWEEP and run it, in one step (no account, no network)."""
    from sweepkit.agent.store import SweepStore

    options = _agent_options(count, workers, gpus, max_consecutive_failed_runs)
    _check_no_repeat(no_repeat, sweep)
    directory = _wandb_dir(wandb_dir)
    store = SweepStore.create(directory, sweep.config, seed=seed, no_repeat=no_repeat, project=project, entity=entity)
    click.echo(f"Created offline sweep: {store.info.id}", err=as_json)
    _run_offline(store, directory, options, as_json)


@main.command()
@click.argument("sweep", type=SWEEP_FILE)
@click.option("--offline", is_flag=True, help="Create the sweep locally (also when WANDB_MODE=offline).")
@click.option("--seed", type=int, help="Seed for the search (offline; random when omitted).")
@click.option(
    "--no-repeat",
    is_flag=True,
    help="Offline random search of a discrete space: never repeat a combination; end when all have run.",
)
@click.option("--project", help="W&B project.")
@click.option("--entity", help="W&B entity.")
@click.option("--dir", "wandb_dir", type=click.Path(file_okay=False), help="WANDB_DIR (default: $WANDB_DIR or .).")
@click.option("--json", "as_json", is_flag=True, help="Print the sweep as JSON.")
def sweep(
    sweep: SweepFile,
    offline: bool,
    seed: int | None,
    no_repeat: bool,
    project: str | None,
    entity: str | None,
    wandb_dir: str | None,
    as_json: bool,
) -> None:
    """Create a sweep from SWEEP and print its id (on W&B, or locally with --offline)."""
    if offline or _offline_mode():
        from sweepkit.agent.store import SweepStore

        _check_no_repeat(no_repeat, sweep)
        directory = _wandb_dir(wandb_dir)
        store = SweepStore.create(directory, sweep.config, seed=seed, no_repeat=no_repeat, project=project, entity=entity)
        sweep_id, mode = store.info.id, "offline"
        hint = f"run it with: sweepkit agent {sweep_id}" + (f" --dir {directory}" if wandb_dir else "")
    else:
        if no_repeat:
            raise click.UsageError("--no-repeat needs an offline sweep (add --offline): W&B's server has no such option")
        from sweepkit.agent import online

        sweep_id, mode = online.create_sweep(sweep.config, project=project, entity=entity), "online"
        path = "/".join(part for part in (entity, project, sweep_id) if part)
        hint = f"run it with: sweepkit agent {path} --gpus 0,1  (one wandb agent per GPU)"
    if as_json:
        click.echo(json.dumps({"sweep_id": sweep_id, "mode": mode, "project": project, "entity": entity}))
    else:
        click.echo(sweep_id)
    click.echo(hint, err=True)


@main.command()
@click.argument("sweep_id")
@agent_options
@click.option("--project", help="Online: W&B project (wandb agent --project).")
@click.option("--entity", help="Online: W&B entity (wandb agent --entity).")
def agent(
    sweep_id: str,
    count: int | None,
    workers: int | None,
    gpus: tuple[str, ...] | None,
    max_consecutive_failed_runs: int | None,
    wandb_dir: str | None,
    as_json: bool,
    project: str | None,
    entity: str | None,
) -> None:
    """Run or resume the sweep SWEEP_ID; several agents may serve one sweep at once.

    An offline sweep (created with --offline or by `sweepkit run`) is found
    under WANDB_DIR. Anything else goes to W&B: one `wandb agent` per GPU.
    """
    from sweepkit.agent.store import SweepNotFoundError, SweepStore

    options = _agent_options(count, workers, gpus, max_consecutive_failed_runs)
    directory = _wandb_dir(wandb_dir)
    if "/" not in sweep_id:
        try:
            store = SweepStore.open(directory, sweep_id)
        except SweepNotFoundError:
            if _offline_mode():
                raise
        else:
            _run_offline(store, directory, options, as_json)
            return
    from sweepkit.agent import online

    commands = online.agent_commands(
        sweep_id,
        gpus=options.gpus,
        workers=options.workers,
        count=count,
        project=project,
        entity=entity,
        max_consecutive_failed_runs=max_consecutive_failed_runs,
    )
    code = online.run_agents(commands, echo=lambda line: click.echo(line, err=True))
    if code:
        raise click.exceptions.Exit(code)


def _run_offline(store: Any, wandb_dir: str, options: Any, as_json: bool) -> None:
    """Run one offline agent on ``store`` and print its progress and final report."""
    from sweepkit.agent.agent import Agent
    from sweepkit.agent.progress import final_report, progress_for

    info = store.info
    stream = sys.stderr if as_json else sys.stdout
    metric_name = (info.config.get("metric") or {}).get("name")
    agent = Agent(store, wandb_dir=wandb_dir, options=options, progress=progress_for(stream, metric_name=metric_name))
    result = agent.run()
    records = store.runs()
    if as_json:
        click.echo(json.dumps(_result_json(result, records, info.config), default=str))
    else:
        click.echo(final_report(records, info.config, sweep_id=info.id, project=info.project))
        click.echo(f"agent stopped: {result.stop_reason}")
        if result.gave_up:
            for run_id in result.failed_runs[-3:]:
                tail = store.run(run_id).output_tail or "(no output)"
                click.echo(f"--- last output of failed run {run_id} ---\n{tail}")
    if result.gave_up:
        raise click.exceptions.Exit(EXIT_GAVE_UP)
    if result.interrupted:
        raise click.exceptions.Exit(EXIT_INTERRUPTED)


def _result_json(result: Any, records: list[Any], config: Mapping[str, Any]) -> dict[str, Any]:
    from sweepkit.agent.progress import rank_runs

    best = {ranked.run_id: ranked.best for ranked in rank_runs(records, config)}
    return {
        "sweep_id": result.sweep_id,
        "agent_id": result.agent_id,
        "started": list(result.started),
        "stop_reason": result.stop_reason,
        "gave_up": result.gave_up,
        "interrupted": result.interrupted,
        "metric": (config.get("metric") or {}).get("name"),
        "runs": [
            {
                "id": record.id,
                "state": record.state,
                "params": record.params,
                "best": best.get(record.id),
                "reason": record.reason,
                "exit_code": record.exit_code,
                "run_dir": record.run_dir,
            }
            for record in records
        ],
    }


from sweepkit.report.command import report  # noqa: E402  (after main, which it attaches to)

main.add_command(report)

from sweepkit.sync import sync  # noqa: E402

main.add_command(sync)

from sweepkit.lr_finder import lr_find_command  # noqa: E402

main.add_command(lr_find_command)
