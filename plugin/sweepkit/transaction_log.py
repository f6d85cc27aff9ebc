"""Read W&B transaction logs (``run-<id>.wandb``), also while a run writes them.

An offline W&B run keeps its data only in its transaction log, so this module
is how sweepkit learns what an offline run logged: its config, every history
row, its summary and its exit code. :class:`LogTail` reads a log that is still
being written, a few bytes at a time, which is what lets an offline agent stop
runs by hyperband while they train (with
``WANDB_X_TRANSACTION_LOG_FLUSH_INTERVAL=0.1``, the agent's default, wandb-core
writes the log every 0.1 s instead of every 15 s or whenever its write buffer
fills).

The format (wandb 0.31): a 7-byte header (``:W&B``, 0xBEE1 little-endian,
version 0), then LevelDB-style chunks packed in 32 KiB blocks. A chunk is a
4-byte CRC-32 (zlib) of its type byte plus its data, a 2-byte data length and
a 1-byte type: a record fits in one *full* chunk or is split into *first*,
*middle*... and *last* chunks. A chunk never crosses a block boundary; a block
tail too short for a chunk header is zero padding. Each record is a serialized
``wandb.proto.wandb_internal_pb2.Record``.

Key names: wandb-core writes ``wandb.log({"a": {"b": 1}})`` as the key path
``["a", "b"]`` and ``wandb.log({"a/b": 1})`` as the single key ``"a/b"``. History
rows join key paths with ``"."`` (``"a.b"``), the name W&B shows for nested
values in its UI and in the public API's ``run.history()``; ``"a/b"`` stays
``"a/b"``. Config and summary keep W&B's nested form (``{"a": {"b": 1}}``), as
``run.config`` and ``run.summary`` do.

Example:
    >>> tail = LogTail(find_run_log(wandb_dir, run_id))  # doctest: +SKIP
    >>> tail.poll().history[-1]["val_loss"]  # doctest: +SKIP
"""

from __future__ import annotations

import copy
import glob
import json
import os
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Iterator

if TYPE_CHECKING:  # wandb is heavy; it is imported only when records are decoded.
    from wandb.proto.wandb_internal_pb2 import Record

MAGIC = b":W&B"
IDENT = 0xBEE1
VERSION = 0
HEADER = MAGIC + struct.pack("<HB", IDENT, VERSION)

BLOCK_SIZE = 32 * 1024
CHUNK_HEADER = struct.Struct("<IHB")  # CRC-32, data length, chunk type
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4

# Logs are read in pieces of this size so that a large log is never held in
# memory whole.
_READ_SIZE = 1024 * 1024

# W&B's bookkeeping inside config and summary; never a user's value.
_INTERNAL_KEY = "_wandb"


class TransactionLogError(Exception):
    """A transaction log is corrupt or is not a transaction log.

    Attributes:
        path: The log file.
        offset: Byte offset in the file of the chunk (or header) that is wrong.
        problem: What is wrong there.
    """

    def __init__(self, path: Path | str, offset: int, problem: str) -> None:
        self.path = Path(path)
        self.offset = offset
        self.problem = problem
        super().__init__(f"{path}: byte {offset}: {problem}")


@dataclass
class RunLog:
    """What one run wrote to its transaction log so far.

    Attributes:
        run_id: The run's id, or None before the run record is written.
        config: The run's config with nested parameters as nested dicts;
            W&B's internal ``_wandb`` entry is left out.
        history: One dict per ``wandb.log`` row, in order. Nested dicts are
            flattened to ``"a.b"`` keys; W&B's ``_step``, ``_runtime`` and
            ``_timestamp`` are included as W&B writes them.
        summary: The summary after every update and removal in the log, nested
            like ``run.summary``; the internal ``_wandb`` entry is left out.
        exit_code: The code the run exited with, or None if it has not
            exited (yet): still running, or killed before wandb could write it.
        finished: Whether the log is complete: the run's exit record is in it.
    """

    run_id: str | None = None
    config: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    exit_code: int | None = None
    finished: bool = False


class _ChunkReader:
    """Turns the bytes of a log into whole serialized records, as they arrive.

    It keeps the offset of the first byte it has not consumed and the
    fragments of a record whose later chunks are not written yet, so reading a
    growing log again starts where the last read stopped. A chunk cut short by
    the end of the file is not consumed: the next read retries it.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self._fragments: list[bytes] = []
        self._record_start: int | None = None

    def read_available(self, file: BinaryIO) -> Iterator[tuple[int, bytes]]:
        """Yields ``(offset, data)`` of every record now whole in the file.

        Args:
            file: The log, opened in binary mode; it is read from
                :attr:`offset` to its current end.

        Raises:
            TransactionLogError: At a bad header, checksum, length, padding or
                chunk type sequence.
        """
        file.seek(self.offset)
        unread = b""
        while True:
            more = file.read(_READ_SIZE)
            if not more:
                return
            data = unread + more if unread else more
            used = yield from self._parse(data)
            unread = data[used:]

    def _parse(self, data: bytes) -> Iterator[tuple[int, bytes]]:
        """Consumes whole chunks of ``data`` (file bytes from :attr:`offset`).

        Returns:
            (as the generator's return value) How many bytes were consumed.
        """
        pos = 0
        if self.offset == 0:
            if len(data) < len(HEADER):
                # A log is created empty and its header written a moment later.
                self._check_header(data)
                return 0
            self._check_header(data[: len(HEADER)])
            pos = len(HEADER)
            self.offset = pos
        while True:
            block_left = BLOCK_SIZE - self.offset % BLOCK_SIZE
            if block_left < CHUNK_HEADER.size:
                padding = data[pos : pos + block_left]
                if len(padding) < block_left:
                    return pos
                if padding.strip(b"\0"):
                    raise TransactionLogError(
                        self.path,
                        self.offset,
                        f"the {block_left}-byte block trailer should be zero padding, "
                        f"found {padding.hex()}",
                    )
                pos += block_left
                self.offset += block_left
                continue
            if len(data) - pos < CHUNK_HEADER.size:
                return pos
            checksum, length, chunk_type = CHUNK_HEADER.unpack_from(data, pos)
            if length > block_left - CHUNK_HEADER.size:
                # Chunks never cross blocks, so this is no truncated chunk.
                raise TransactionLogError(
                    self.path,
                    self.offset,
                    f"chunk length {length} runs past the end of its 32 KiB block "
                    f"({block_left - CHUNK_HEADER.size} bytes left)",
                )
            end = pos + CHUNK_HEADER.size + length
            if end > len(data):
                return pos
            chunk = data[pos + CHUNK_HEADER.size : end]
            if zlib.crc32(chunk, zlib.crc32(bytes((chunk_type,)))) != checksum:
                raise TransactionLogError(
                    self.path, self.offset, f"chunk checksum mismatch (type {chunk_type}, length {length})"
                )
            record = self._assemble(chunk_type, chunk)
            pos = end
            self.offset += CHUNK_HEADER.size + length
            if record is not None:
                yield record

    def _assemble(self, chunk_type: int, chunk: bytes) -> tuple[int, bytes] | None:
        """Adds a checked chunk; returns ``(offset, data)`` when a record is whole."""
        pending = self._record_start is not None
        if chunk_type in (FULL, FIRST) and pending:
            raise TransactionLogError(
                self.path,
                self.offset,
                f"a {'full' if chunk_type == FULL else 'first'} chunk where the record "
                f"that starts at byte {self._record_start} should continue",
            )
        if chunk_type in (MIDDLE, LAST) and not pending:
            raise TransactionLogError(
                self.path,
                self.offset,
                f"a {'middle' if chunk_type == MIDDLE else 'last'} chunk with no first chunk before it",
            )
        if chunk_type == FULL:
            return self.offset, chunk
        if chunk_type == FIRST:
            self._record_start = self.offset
            self._fragments = [chunk]
            return None
        if chunk_type == MIDDLE:
            self._fragments.append(chunk)
            return None
        if chunk_type == LAST:
            self._fragments.append(chunk)
            record = (self._record_start, b"".join(self._fragments))
            self._record_start = None
            self._fragments = []
            return record  # type: ignore[return-value]
        raise TransactionLogError(
            self.path, self.offset, f"unknown chunk type {chunk_type} (1 full, 2 first, 3 middle, 4 last)"
        )

    def _check_header(self, header: bytes) -> None:
        """Checks the file header, or as much of it as is written."""
        if header == HEADER[: len(header)]:
            return
        if header[: len(MAGIC)] != MAGIC[: len(header)]:
            problem = f"not a W&B transaction log: it starts with {header[:len(MAGIC)]!r}, not {MAGIC!r}"
        elif header[len(MAGIC) : len(MAGIC) + 2] != HEADER[len(MAGIC) : len(MAGIC) + 2]:
            found = header[len(MAGIC) : len(MAGIC) + 2].hex()
            problem = f"bad header identifier {found} (expected e1be, 0xBEE1 little-endian)"
        else:
            problem = (
                f"transaction log version {header[len(HEADER) - 1]} is not supported "
                f"(this reader knows version {VERSION}); update sweepkit or wandb"
            )
        raise TransactionLogError(self.path, 0, problem)


def _record_class() -> type[Record]:
    try:
        from wandb.proto import wandb_internal_pb2
    except ImportError as error:  # pragma: no cover - wandb is a dependency
        raise ImportError("reading transaction logs needs wandb: pip install 'wandb>=0.31'") from error
    return wandb_internal_pb2.Record


def _decode(path: Path, offset: int, data: bytes, record_class: type[Record]) -> Record:
    from google.protobuf.message import DecodeError

    record = record_class()
    try:
        record.ParseFromString(data)
    except DecodeError as error:
        problem = f"record does not parse as a wandb Record: {error}"
        raise TransactionLogError(path, offset, problem) from error
    return record


def _iter_located_records(path: Path) -> Iterator[tuple[int, Record]]:
    record_class = _record_class()
    reader = _ChunkReader(path)
    with open(path, "rb") as file:
        for offset, data in reader.read_available(file):
            yield offset, _decode(path, offset, data, record_class)


def iter_records(path: Path | str) -> Iterator[Record]:
    """Yields the records of a transaction log, complete or still being written.

    A log that ends inside a chunk, or before the last fragments of a record
    are written, ends at the last whole record: that is a live log. Damage in
    a chunk the end of the file cuts short (say a length that points past the
    end) cannot be told from such a cut; damage anywhere else is an error.

    Args:
        path: The ``run-<id>.wandb`` file.

    Yields:
        ``wandb.proto.wandb_internal_pb2.Record`` messages, in order.

    Raises:
        TransactionLogError: The log is corrupt (the error names the byte).
        FileNotFoundError: There is no such file.
    """
    for _, record in _iter_located_records(Path(path)):
        yield record


class _RunLogBuilder:
    """Applies records, in log order, to a :class:`RunLog`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.run_log = RunLog()

    def add(self, offset: int, record: Record) -> None:
        kind = record.WhichOneof("record_type")
        try:
            if kind == "run":
                if record.run.run_id:
                    self.run_log.run_id = record.run.run_id
                self._apply(self.run_log.config, record.run.config)
            elif kind == "config":
                self._apply(self.run_log.config, record.config)
            elif kind == "summary":
                self._apply(self.run_log.summary, record.summary)
            elif kind == "history":
                self.run_log.history.append(
                    {".".join(_key_path(item)): json.loads(item.value_json) for item in record.history.item}
                )
            elif kind == "exit":
                self.run_log.exit_code = record.exit.exit_code
                self.run_log.finished = True
        except ValueError as error:
            problem = f"{kind} record has a value that is not JSON: {error}"
            raise TransactionLogError(self.path, offset, problem) from error

    @staticmethod
    def _apply(target: dict[str, Any], changes: Any) -> None:
        """Applies a ConfigRecord or SummaryRecord: its updates, then its removals."""
        for item in changes.update:
            keys = _key_path(item)
            if keys[0] == _INTERNAL_KEY:
                continue
            parent = target
            for key in keys[:-1]:
                child = parent.get(key)
                if not isinstance(child, dict):
                    child = parent[key] = {}
                parent = child
            parent[keys[-1]] = json.loads(item.value_json)
        for item in changes.remove:
            keys = _key_path(item)
            parent = target
            for key in keys[:-1]:
                parent = parent.get(key)
                if not isinstance(parent, dict):
                    break
            else:
                parent.pop(keys[-1], None)


def _key_path(item: Any) -> list[str]:
    """The key path of a config, summary or history item."""
    return list(item.nested_key) or [item.key]


def read_run(path: Path | str) -> RunLog:
    """Reads a whole transaction log, complete or still being written.

    Args:
        path: The ``run-<id>.wandb`` file.

    Returns:
        The run's config, history, summary and exit code as the log has them.

    Raises:
        TransactionLogError: The log is corrupt (the error names the byte).
        FileNotFoundError: There is no such file.
    """
    path = Path(path)
    builder = _RunLogBuilder(path)
    for offset, record in _iter_located_records(path):
        builder.add(offset, record)
    return builder.run_log


class LogTail:
    """Follows a transaction log that a running program is writing.

    Each :meth:`poll` reads only the bytes appended since the last one, so
    polling a running run twice a second costs next to nothing. The log may
    not exist yet.

    Example:
        >>> tail = LogTail("wandb/offline-run-20250101_000000-abc/run-abc.wandb")  # doctest: +SKIP
        >>> while not tail.poll().finished:  # doctest: +SKIP
        ...     time.sleep(0.5)
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._reader = _ChunkReader(self.path)
        self._builder = _RunLogBuilder(self.path)
        self._record_class: type[Record] | None = None
        self._size_read = 0
        self._snapshot = RunLog()
        self._changed = False
        # Once a log is found corrupt every later poll says so: reading on past
        # the bad record would quietly drop it.
        self._error: TransactionLogError | None = None

    def poll(self) -> RunLog:
        """Reads what was appended to the log since the last poll.

        Returns:
            Everything the log holds so far. It is a snapshot: later polls do
            not change it.

        Raises:
            TransactionLogError: The log is corrupt, or it shrank (it was
                replaced or truncated, so what was read no longer holds).
        """
        if self._error is not None:
            raise TransactionLogError(self._error.path, self._error.offset, self._error.problem)
        try:
            file = open(self.path, "rb")
        except FileNotFoundError:
            return self._snapshot
        try:
            with file:
                self._read_appended(file)
        except TransactionLogError as error:
            self._error = error
            raise
        if self._changed:
            current = self._builder.run_log
            # History rows are never changed once added, so the snapshots share them.
            self._snapshot = RunLog(
                run_id=current.run_id,
                config=copy.deepcopy(current.config),
                history=list(current.history),
                summary=copy.deepcopy(current.summary),
                exit_code=current.exit_code,
                finished=current.finished,
            )
            self._changed = False
        return self._snapshot

    def _read_appended(self, file: BinaryIO) -> None:
        """Applies the records that became whole since the last read."""
        size = os.fstat(file.fileno()).st_size
        if size < self._size_read:
            raise TransactionLogError(
                self.path,
                size,
                f"the log shrank from {self._size_read} to {size} bytes: it was replaced or truncated",
            )
        if size == self._size_read:
            return
        if self._record_class is None:
            self._record_class = _record_class()
        for offset, data in self._reader.read_available(file):
            self._builder.add(offset, _decode(self.path, offset, data, self._record_class))
            self._changed = True
        self._size_read = size


def find_run_log(wandb_dir: Path | str, run_id: str) -> Path | None:
    """Finds the transaction log of a run under a ``WANDB_DIR``.

    Looks for ``<wandb_dir>/wandb/offline-run-<time>-<run_id>/run-<run_id>.wandb``
    and the online form ``run-<time>-<run_id>`` (also under ``.wandb/``, which
    wandb uses when that folder exists).

    Args:
        wandb_dir: The ``WANDB_DIR`` the run was started with.
        run_id: The run's id.

    Returns:
        The log of the newest such run (a resumed run has one folder per
        start), or None when there is none yet.
    """
    found: list[tuple[str, float, Path]] = []
    for folder in ("wandb", ".wandb"):
        pattern = os.path.join(glob.escape(str(wandb_dir)), folder, "*", glob.escape(f"run-{run_id}.wandb"))
        for name in glob.glob(pattern):
            log = Path(name)
            run_dir = log.parent.name
            for mode in ("offline-run-", "run-"):
                # <mode><YYYYMMDD_HHMMSS>-<run_id>, maybe with a suffix wandb adds.
                if run_dir.startswith(mode) and run_dir[len(mode) + 15 :].startswith(f"-{run_id}"):
                    try:
                        modified = log.stat().st_mtime
                    except FileNotFoundError:  # removed since the glob
                        break
                    found.append((run_dir[len(mode) : len(mode) + 15], modified, log))
                    break
    if not found:
        return None
    return max(found, key=lambda entry: entry[:2])[2]
