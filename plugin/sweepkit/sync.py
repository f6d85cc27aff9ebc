"""``sweepkit sync``: upload an offline sweep's runs to W&B and create the sweep there.

The team's dashboard then shows the sweep as if it had run online: its runs,
parallel coordinates and parameter importance.

How (wandb 0.31):

1. Each offline run records the local sweep id in its transaction log, and
   W&B's server rejects a run whose sweep it does not know ("sweep ... not
   found", wandb issue 8115). So each run is staged first: a copy of its run
   directory under ``<sweep dir>/sync/<entity>_<project>/`` whose log differs
   only in the run record's ``sweep_id``, emptied (or set to the W&B sweep
   when that sweep already exists, so later runs join it on upload).
2. ``wandb sync --project P [--entity E] <staged run dirs>``, the real
   command, as a subprocess. wandb writes ``run-<id>.wandb.synced`` beside a
   log it uploaded; only runs with that marker count as uploaded.
3. Once runs are uploaded, the W&B sweep is created from the same config with
   them as prior runs (``wandb.sweep(config, project=, entity=, prior_runs=)``;
   W&B matches prior runs by id within the project, hence step 2's
   ``--project``).

What was uploaded, and the W&B sweep's id, are kept per destination in
``<sweep dir>/sync.json``, so a second ``sweepkit sync`` uploads only new
runs and a failure part-way can simply be run again. Runs that are still
pending or running are left for a later sync.

Everything that talks to W&B goes through :class:`WandbCloud`; tests use a fake.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Protocol, Sequence

import click

SIDECAR = "sync.json"
STAGING = "sync"
SYNCED_SUFFIX = ".synced"


# -- the boundary with W&B ------------------------------------------------------------------


@dataclass(frozen=True)
class CommandResult:
    """A finished command: its argv, exit code and combined output."""

    argv: tuple[str, ...]
    returncode: int
    output: str


class Cloud(Protocol):
    """What sync needs from W&B."""

    def sync_run_dirs(self, run_dirs: Sequence[Path], *, project: str, entity: str | None) -> CommandResult:
        """Upload offline run directories to ``entity/project``."""

    def create_sweep(
        self, config: Mapping[str, Any], *, project: str, entity: str | None, prior_runs: Sequence[str]
    ) -> str:
        """Create a sweep with ``prior_runs`` attached and return its id."""


def sync_argv(executable: Sequence[str], run_dirs: Sequence[Path], *, project: str, entity: str | None) -> list[str]:
    """``wandb sync --project P [--entity E] DIR...``."""
    argv = [*executable, "sync", "--project", project]
    if entity:
        argv += ["--entity", entity]
    return argv + [str(path) for path in run_dirs]


class WandbCloud:
    """The real W&B: ``wandb sync`` as a subprocess and ``wandb.sweep`` in-process.

    Args:
        executable: The ``wandb`` command; the one beside the running interpreter by default.
        environ: The environment for ``wandb sync``; ``os.environ`` without ``WANDB_MODE``
            (an offline mode left over from the sweep must not stop the upload).
    """

    def __init__(self, executable: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> None:
        if executable is None:
            from sweepkit.agent.online import wandb_executable

            executable = wandb_executable()
        self.executable = list(executable)
        base = dict(os.environ if environ is None else environ)
        base.pop("WANDB_MODE", None)
        self.environ = base

    def sync_run_dirs(self, run_dirs: Sequence[Path], *, project: str, entity: str | None) -> CommandResult:
        argv = sync_argv(self.executable, run_dirs, project=project, entity=entity)
        done = subprocess.run(argv, env=self.environ, capture_output=True, text=True)
        return CommandResult(tuple(argv), done.returncode, (done.stdout or "") + (done.stderr or ""))

    def create_sweep(
        self, config: Mapping[str, Any], *, project: str, entity: str | None, prior_runs: Sequence[str]
    ) -> str:
        import wandb

        return wandb.sweep(dict(config), entity=entity, project=project, prior_runs=list(prior_runs))


# -- rewriting a transaction log --------------------------------------------------------------


def write_transaction_log(path: str | Path, records: Iterable[bytes]) -> Path:
    """Writes serialized records as a W&B transaction log (the format :mod:`sweepkit.transaction_log` reads).

    A 7-byte header, then LevelDB-style chunks in 32 KiB blocks: a record that
    does not fit in what is left of a block is split into first, middle and
    last chunks; a block tail too short for a chunk header is zero-filled.
    """
    from sweepkit.transaction_log import BLOCK_SIZE, CHUNK_HEADER, FIRST, FULL, HEADER, LAST, MIDDLE

    path = Path(path)
    offset = 0
    with open(path, "wb") as file:
        file.write(HEADER)
        offset = len(HEADER)
        for data in records:
            first = True
            while True:
                left = BLOCK_SIZE - offset % BLOCK_SIZE
                if left < CHUNK_HEADER.size:
                    file.write(b"\0" * left)
                    offset += left
                    continue
                room = left - CHUNK_HEADER.size
                piece, data = data[:room], data[room:]
                last = not data
                kind = FULL if first and last else FIRST if first else LAST if last else MIDDLE
                checksum = zlib.crc32(piece, zlib.crc32(bytes((kind,))))
                file.write(CHUNK_HEADER.pack(checksum, len(piece), kind) + piece)
                offset += CHUNK_HEADER.size + len(piece)
                first = False
                if last:
                    break
    return path


def rewrite_sweep_id(source: str | Path, target: str | Path, sweep_id: str) -> Path:
    """Copies a transaction log with every run record's ``sweep_id`` set to ``sweep_id`` ("" for none).

    Every other record is copied unchanged.
    """
    from sweepkit.transaction_log import iter_records

    def records() -> Iterable[bytes]:
        for record in iter_records(source):
            if record.WhichOneof("record_type") == "run":
                record.run.sweep_id = sweep_id
            yield record.SerializeToString()

    return write_transaction_log(target, records())


# -- planning -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunUpload:
    """One run to upload.

    Attributes:
        run_id: The run id.
        state: Its state in the sweep store.
        source_dir: Its offline run directory.
        staged_dir: The copy that ``wandb sync`` uploads.
        sweep_id: The sweep id its staged log carries ("" when it is attached as a prior run).
    """

    run_id: str
    state: str
    source_dir: Path
    staged_dir: Path
    sweep_id: str


@dataclass(frozen=True)
class SyncPlan:
    """What one ``sweepkit sync`` will do.

    Attributes:
        sweep_id: The offline sweep.
        project: The W&B project.
        entity: The W&B entity, or None for the account's default.
        config: The sweep config the W&B sweep is created with.
        uploads: The runs to upload now.
        uploaded: Runs already uploaded to this destination.
        skipped: Runs left out, with why.
        wandb_sweep: The W&B sweep already created for this destination, if any.
        sync_argv: The ``wandb sync`` command, or None when there is nothing to upload.
    """

    sweep_id: str
    project: str
    entity: str | None
    config: Mapping[str, Any]
    uploads: tuple[RunUpload, ...]
    uploaded: tuple[str, ...]
    skipped: tuple[tuple[str, str], ...]
    wandb_sweep: str | None
    sync_argv: tuple[str, ...] | None

    @property
    def creates_sweep(self) -> bool:
        """Whether this sync creates the W&B sweep (once some run is uploaded)."""
        return self.wandb_sweep is None and bool(self.uploads or self.uploaded)


@dataclass
class SyncResult:
    """What a sync did.

    Attributes:
        plan: The plan it followed.
        uploaded_now: Runs uploaded by this sync.
        failed: Runs wandb did not mark as uploaded.
        wandb_sweep: The W&B sweep (created now or before), if any.
        created_sweep: True when this sync created it.
        command: The ``wandb sync`` run, if one ran.
        problem: What went wrong, if anything (sync can be run again).
    """

    plan: SyncPlan
    uploaded_now: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    wandb_sweep: str | None = None
    created_sweep: bool = False
    command: CommandResult | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _destination(project: str, entity: str | None) -> str:
    return f"{entity or ''}/{project}"


def _read_sidecar(directory: Path) -> dict[str, Any]:
    path = directory / SIDECAR
    if not path.exists():
        return {"destinations": {}}
    return json.loads(path.read_text())


def _write_sidecar(directory: Path, data: Mapping[str, Any]) -> None:
    # Written whole to a temporary file and renamed, so an interrupted sync never leaves half a record.
    path = directory / SIDECAR
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(data, indent=2, sort_keys=True))
    os.replace(temporary, path)


def _staging_dir(directory: Path, project: str, entity: str | None) -> Path:
    slug = "".join(character if character.isalnum() or character in "-_." else "_" for character in f"{entity or 'default'}_{project}")
    return directory / STAGING / slug


def plan_sync(
    wandb_dir: str | os.PathLike[str],
    sweep_id: str,
    *,
    project: str,
    entity: str | None = None,
    executable: Sequence[str] = ("wandb",),
) -> SyncPlan:
    """Works out what to upload, reading only (a dry run is this plan, printed).

    Args:
        wandb_dir: The ``WANDB_DIR`` the offline sweep was created in.
        sweep_id: The offline sweep.
        project: The W&B project to upload to (prior runs must be in the sweep's project).
        entity: The W&B entity; the account's default when None.
        executable: The ``wandb`` command, for the argv shown in the plan.

    Raises:
        SweepNotFoundError: There is no such sweep.
        ValueError: ``project`` is empty.
    """
    from sweepkit.report.sweep_data import load_sweep
    from sweepkit.run import TERMINAL_STATES
    from sweepkit.transaction_log import find_run_log

    if not project:
        raise ValueError("give --project: W&B attaches prior runs to a sweep only within one project")
    sweep = load_sweep(wandb_dir, sweep_id)
    destination = _read_sidecar(sweep.directory)["destinations"].get(_destination(project, entity), {})
    done = set(destination.get("runs", {}))
    wandb_sweep = destination.get("sweep")
    staging = _staging_dir(sweep.directory, project, entity)
    uploads, uploaded, skipped = [], [], []
    for run in sweep.runs:
        if run.id in done:
            uploaded.append(run.id)
            continue
        if run.state not in TERMINAL_STATES:
            skipped.append((run.id, f"{run.state}: sync again once it has ended"))
            continue
        log = Path(run.run_dir) / f"run-{run.id}.wandb" if run.run_dir else None
        if log is None or not log.exists():
            log = find_run_log(sweep.wandb_dir, run.id)
        if log is None:
            skipped.append((run.id, f"{run.state} with no W&B log (the program never called wandb.init)"))
            continue
        uploads.append(
            RunUpload(
                run_id=run.id,
                state=run.state,
                source_dir=log.parent,
                staged_dir=staging / log.parent.name,
                sweep_id=wandb_sweep or "",
            )
        )
    argv = sync_argv(executable, [upload.staged_dir for upload in uploads], project=project, entity=entity) if uploads else None
    return SyncPlan(
        sweep_id=sweep.id,
        project=project,
        entity=entity,
        config=sweep.config,
        uploads=tuple(uploads),
        uploaded=tuple(uploaded),
        skipped=tuple(skipped),
        wandb_sweep=wandb_sweep,
        sync_argv=tuple(argv) if argv else None,
    )


def stage(upload: RunUpload) -> Path:
    """Copies a run directory for upload, its log carrying ``upload.sweep_id``; returns the staged log."""
    if upload.staged_dir.exists():
        shutil.rmtree(upload.staged_dir)  # a copy from an interrupted sync
    shutil.copytree(
        upload.source_dir,
        upload.staged_dir,
        ignore=lambda folder, names: [name for name in names if name.endswith((".wandb", SYNCED_SUFFIX))]
        if Path(folder) == upload.source_dir
        else [],
    )
    log_name = f"run-{upload.run_id}.wandb"
    return rewrite_sweep_id(upload.source_dir / log_name, upload.staged_dir / log_name, upload.sweep_id)


def _is_synced(log: Path) -> bool:
    return log.with_name(log.name + SYNCED_SUFFIX).exists()


def run_sync(plan: SyncPlan, cloud: Cloud, *, directory: Path) -> SyncResult:
    """Stages and uploads the plan's runs, then creates the W&B sweep if it does not exist yet.

    Args:
        plan: From :func:`plan_sync`.
        cloud: W&B (:class:`WandbCloud`) or a stand-in.
        directory: The offline sweep's directory (``<WANDB_DIR>/wandb/sweep-<id>``).
    """
    result = SyncResult(plan=plan, wandb_sweep=plan.wandb_sweep)
    key = _destination(plan.project, plan.entity)
    if plan.uploads:
        logs = {upload.run_id: stage(upload) for upload in plan.uploads}
        result.command = cloud.sync_run_dirs([upload.staged_dir for upload in plan.uploads], project=plan.project, entity=plan.entity)
        sidecar = _read_sidecar(directory)
        runs = sidecar["destinations"].setdefault(key, {"sweep": plan.wandb_sweep, "runs": {}})["runs"]
        for upload in plan.uploads:
            if _is_synced(logs[upload.run_id]):
                runs[upload.run_id] = {"uploaded": time.time(), "staged_dir": str(upload.staged_dir), "sweep_id": upload.sweep_id}
                result.uploaded_now.append(upload.run_id)
            else:
                result.failed.append(upload.run_id)
        _write_sidecar(directory, sidecar)
        if result.failed:
            hint = ""
            if result.command.returncode == 0 and not result.uploaded_now:
                hint = " (wandb exited 0 but uploaded nothing: is this machine logged in? run `wandb login`)"
            tail = "\n".join(result.command.output.strip().splitlines()[-10:])
            result.problem = (
                f"wandb sync did not upload {len(result.failed)} of {len(plan.uploads)} run(s): "
                f"{', '.join(result.failed)}{hint}; run sweepkit sync again to retry them.\n{tail}".rstrip()
            )
    prior_runs = [*plan.uploaded, *result.uploaded_now]
    if plan.wandb_sweep is None and prior_runs and result.problem is None:
        result.wandb_sweep = cloud.create_sweep(plan.config, project=plan.project, entity=plan.entity, prior_runs=prior_runs)
        result.created_sweep = True
        sidecar = _read_sidecar(directory)
        sidecar["destinations"].setdefault(key, {"runs": {}})["sweep"] = result.wandb_sweep
        _write_sidecar(directory, sidecar)
    return result


def sync_sweep(
    wandb_dir: str | os.PathLike[str],
    sweep_id: str,
    *,
    project: str,
    entity: str | None = None,
    cloud: Cloud | None = None,
) -> SyncResult:
    """Uploads an offline sweep's ended runs and creates (once) the W&B sweep that lists them."""
    from sweepkit.agent.store import sweep_dir

    cloud = cloud or WandbCloud()
    executable = getattr(cloud, "executable", ("wandb",))
    plan = plan_sync(wandb_dir, sweep_id, project=project, entity=entity, executable=executable)
    return run_sync(plan, cloud, directory=sweep_dir(wandb_dir, sweep_id))


# -- output ---------------------------------------------------------------------------------


def format_plan(plan: SyncPlan) -> str:
    """The plan as a person reads it (``--dry-run``)."""
    import shlex

    where = f"{plan.entity + '/' if plan.entity else ''}{plan.project}"
    lines = [f"sync of offline sweep {plan.sweep_id} to W&B project {where}:"]
    if plan.uploads:
        lines.append(f"  upload {len(plan.uploads)} run(s):")
        for upload in plan.uploads:
            carries = f"sweep_id {upload.sweep_id}" if upload.sweep_id else "no sweep_id"
            lines.append(f"    {upload.run_id} ({upload.state}) from {upload.source_dir} (staged copy carries {carries})")
        lines.append("  command: " + shlex.join(plan.sync_argv or ()))
    else:
        lines.append("  nothing new to upload")
    if plan.uploaded:
        lines.append(f"  already uploaded: {', '.join(plan.uploaded)}")
    for run_id, why in plan.skipped:
        lines.append(f"  skip {run_id}: {why}")
    method = plan.config.get("method")
    metric = (plan.config.get("metric") or {}).get("name")
    if plan.wandb_sweep:
        lines.append(f"  W&B sweep {plan.wandb_sweep} exists: new runs join it as they upload")
    elif plan.creates_sweep:
        prior = [*plan.uploaded, *(upload.run_id for upload in plan.uploads)]
        lines.append(
            f"  then create a W&B sweep in {where} (method {method}, metric {metric}) "
            f"with prior runs: {', '.join(prior)}"
        )
    return "\n".join(lines)


def format_result(result: SyncResult) -> str:
    """What a sync did, in a few lines."""
    plan = result.plan
    where = f"{plan.entity + '/' if plan.entity else ''}{plan.project}"
    lines = []
    if result.command is not None:
        lines.append("ran: " + " ".join(result.command.argv) + f" (exit code {result.command.returncode})")
    lines.append(f"uploaded {len(result.uploaded_now)} run(s) now; {len(plan.uploaded)} were uploaded before")
    for run_id, why in plan.skipped:
        lines.append(f"skipped {run_id}: {why}")
    if result.created_sweep:
        lines.append(f"created W&B sweep {result.wandb_sweep} in {where} with {len(plan.uploaded) + len(result.uploaded_now)} prior run(s)")
    elif result.wandb_sweep:
        lines.append(f"W&B sweep {result.wandb_sweep} in {where}")
    if result.wandb_sweep and plan.entity:
        lines.append(f"open: https://wandb.ai/{plan.entity}/{plan.project}/sweeps/{result.wandb_sweep}")
    if result.problem:
        lines.append(f"problem: {result.problem}")
    return "\n".join(lines)


@click.command("sync")
@click.argument("sweep_id")
@click.option("--project", required=True, help="W&B project to upload to (the sweep is created there).")
@click.option("--entity", help="W&B entity (default: your account's default entity).")
@click.option("--dir", "wandb_dir", type=click.Path(file_okay=False), help="WANDB_DIR (default: $WANDB_DIR or .).")
@click.option("--dry-run", is_flag=True, help="Print what would be uploaded and created; change nothing.")
def sync(sweep_id: str, project: str, entity: str | None, wandb_dir: str | None, dry_run: bool) -> None:
    """Upload the offline sweep SWEEP_ID's runs to W&B and create the sweep there with them as prior runs.

    Runs uploaded before are not uploaded again; after a failure, run it again.
    """
    directory = os.path.abspath(wandb_dir or os.environ.get("WANDB_DIR") or os.getcwd())
    if dry_run:
        from sweepkit.agent.online import wandb_executable

        click.echo(format_plan(plan_sync(directory, sweep_id, project=project, entity=entity, executable=wandb_executable())))
        return
    result = sync_sweep(directory, sweep_id, project=project, entity=entity)
    click.echo(format_result(result))
    if not result.ok:
        raise click.exceptions.Exit(1)
