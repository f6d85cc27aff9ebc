"""Tests of the transaction log reader against real offline wandb runs and hand-made logs."""

from __future__ import annotations

import copy
import json
import math
import os
import struct
import subprocess
import sys
import textwrap
import time
import zlib
from pathlib import Path

import pytest

from sweepkit.transaction_log import (
    LogTail,
    RunLog,
    TransactionLogError,
    find_run_log,
    iter_records,
    read_run,
)

pb = pytest.importorskip("wandb.proto.wandb_internal_pb2")

# Written out here rather than taken from the module, so the tests check the format itself.
LOG_HEADER = b":W&B\xe1\xbe\x00"
BLOCK = 32768
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4

# ---------------------------------------------------------------------------
# Real offline runs, made by a small program in a subprocess.

WRITER_PROGRAM = textwrap.dedent(
    """
    import json, os, sys, time
    import wandb

    spec = json.load(open(sys.argv[1]))
    run = wandb.init(project="transaction-log-test", id=spec["run_id"], config=spec["config"])
    run.config.update(spec["config_update"])
    for row in spec["rows"]:
        run.log(row)
    for key, value in spec["summary"].items():
        run.summary[key] = value
    for key in spec["summary_remove"]:
        del run.summary[key]
    if spec["go_file"]:
        # Hold the run open until the reader has seen the rows (or give up).
        deadline = time.monotonic() + 120
        while not os.path.exists(spec["go_file"]) and time.monotonic() < deadline:
            time.sleep(0.05)
    run.finish(exit_code=spec["exit_code"])
    """
)

BIG_ROW_INDEX = 20
BIG_NOTE = "B" * 70_000  # longer than two 32 KiB blocks: first, middle and last chunks


def logged_row(i: int) -> dict:
    """The dict a program passes to ``wandb.log`` for step ``i``."""
    note = BIG_NOTE if i == BIG_ROW_INDEX else f"row {i} " + "x" * 500
    return {
        "loss": 1 / (i + 1),
        "acc": i / 100,
        "a/b": i,
        "nested": {"x": i, "deep": {"y": -i}},
        "note": note,
    }


def shown_row(i: int) -> dict:
    """The same row with the key names W&B shows."""
    note = BIG_NOTE if i == BIG_ROW_INDEX else f"row {i} " + "x" * 500
    return {"loss": 1 / (i + 1), "acc": i / 100, "a/b": i, "nested.x": i, "nested.deep.y": -i, "note": note}


BIG_RUN = {
    "run_id": "bigrun01",
    "config": {
        "lr": 0.001,
        "batch_size": 64,
        "optimizer": {"name": "adam", "beta_1": 0.9},
        "layers": [64, 32],
        "shuffle": True,
        "schedule": None,
    },
    "config_update": {"epochs": 40},
    "rows": [logged_row(i) for i in range(40)],
    "summary": {"best_val_loss": 0.125, "final": {"acc": 0.875}, "scratch": 1},
    "summary_remove": ["scratch"],
    "go_file": None,
    "exit_code": 0,
}

LIVE_RUN = {
    "run_id": "liverun1",
    "config": {"lr": 0.1},
    "config_update": {},
    "rows": [{"epoch": i, "val_loss": 1.5 - i / 10} for i in range(5)],
    "summary": {},
    "summary_remove": [],
    "exit_code": 1,
}


def wandb_env(wandb_dir: Path) -> dict[str, str]:
    """Environment for an offline run under ``wandb_dir``, free of the caller's W&B settings."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("WANDB_")}
    env.update(WANDB_MODE="offline", WANDB_SILENT="true", WANDB_DIR=str(wandb_dir))
    return env


def start_writer(wandb_dir: Path, spec: dict, extra_env: dict[str, str] | None = None) -> subprocess.Popen:
    wandb_dir.mkdir(parents=True, exist_ok=True)
    program = wandb_dir / "writer.py"
    program.write_text(WRITER_PROGRAM)
    spec_file = wandb_dir / "spec.json"
    spec_file.write_text(json.dumps(spec))
    return subprocess.Popen(
        [sys.executable, str(program), str(spec_file)],
        cwd=wandb_dir,
        env={**wandb_env(wandb_dir), **(extra_env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.fixture(scope="module")
def big_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A finished offline run whose log is over 64 KiB: (WANDB_DIR, log path)."""
    wandb_dir = tmp_path_factory.mktemp("big")
    writer = start_writer(wandb_dir, BIG_RUN)
    output, _ = writer.communicate(timeout=120)
    assert writer.returncode == 0, output
    log = find_run_log(wandb_dir, BIG_RUN["run_id"])
    assert log is not None, sorted(wandb_dir.rglob("*"))
    return wandb_dir, log


@pytest.fixture(scope="module")
def live_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[RunLog]]:
    """A run tailed while it writes, which then fails with exit code 1.

    Returns the log and every snapshot the tail returned while the writer was
    held open (it waits for a file the test creates once the tail saw all rows).
    """
    wandb_dir = tmp_path_factory.mktemp("live")
    go_file = wandb_dir / "go"
    writer = start_writer(
        wandb_dir, {**LIVE_RUN, "go_file": str(go_file)}, {"WANDB_X_TRANSACTION_LOG_FLUSH_INTERVAL": "1"}
    )
    snapshots: list[RunLog] = []
    log = None
    tail = None
    try:
        deadline = time.monotonic() + 90  # generous: only a broken writer or reader gets near it
        while time.monotonic() < deadline and writer.poll() is None:
            if tail is None:
                log = find_run_log(wandb_dir, LIVE_RUN["run_id"])
                tail = LogTail(log) if log is not None else None
            if tail is not None:
                snapshots.append(tail.poll())
                if len(snapshots[-1].history) == len(LIVE_RUN["rows"]):
                    break
            time.sleep(0.1)
        still_running = writer.poll() is None
    finally:
        go_file.touch()
        output, _ = writer.communicate(timeout=120)
    assert still_running, f"the writer ended before the tail saw its rows:\n{output}"
    assert log is not None
    return log, snapshots


def history_without_wandb_keys(history: list[dict]) -> list[dict]:
    return [{k: v for k, v in row.items() if k not in ("_step", "_runtime", "_timestamp")} for row in history]


# ---------------------------------------------------------------------------
# Reading real logs.


def test_reads_what_the_program_logged(big_run: tuple[Path, Path]) -> None:
    _, log = big_run
    run = read_run(log)

    assert run.run_id == "bigrun01"
    assert run.config == {
        "lr": 0.001,
        "batch_size": 64,
        "optimizer": {"name": "adam", "beta_1": 0.9},
        "layers": [64, 32],
        "shuffle": True,
        "schedule": None,
        "epochs": 40,
    }
    assert history_without_wandb_keys(run.history) == [shown_row(i) for i in range(40)]
    assert [row["_step"] for row in run.history] == list(range(40))
    assert run.exit_code == 0
    assert run.finished


def test_summary_applies_updates_and_removals(big_run: tuple[Path, Path]) -> None:
    run = read_run(big_run[1])

    assert run.summary["best_val_loss"] == 0.125
    assert run.summary["final"] == {"acc": 0.875}
    assert "scratch" not in run.summary
    # wandb keeps the last logged value of every history key in the summary.
    assert run.summary["loss"] == 1 / 40
    assert run.summary["a/b"] == 39
    assert run.summary["nested"] == {"x": 39, "deep": {"y": -39}}
    assert run.summary["_step"] == 39
    assert "_wandb" not in run.summary


def test_big_log_crosses_blocks_and_keeps_long_records_whole(big_run: tuple[Path, Path]) -> None:
    log = big_run[1]
    assert log.stat().st_size > 2 * BLOCK
    records = list(iter_records(log))
    notes = [
        json.loads(item.value_json)
        for record in records
        if record.HasField("history")
        for item in record.history.item
        if [*item.nested_key] == ["note"]
    ]
    assert notes[BIG_ROW_INDEX] == BIG_NOTE
    assert records[-1].HasField("exit")


def test_failed_run_has_its_exit_code(live_run: tuple[Path, list[RunLog]]) -> None:
    run = read_run(live_run[0])
    assert run.exit_code == 1
    assert run.finished
    assert run.config == {"lr": 0.1}
    assert history_without_wandb_keys(run.history) == LIVE_RUN["rows"]


def test_tail_sees_rows_while_the_program_still_runs(live_run: tuple[Path, list[RunLog]]) -> None:
    log, snapshots = live_run
    # The fixture held the writer open until the tail had every row: none of
    # that was read from a finished log.
    last_while_running = snapshots[-1]
    assert history_without_wandb_keys(last_while_running.history) == LIVE_RUN["rows"]
    assert not last_while_running.finished
    assert last_while_running.exit_code is None
    for earlier, later in zip(snapshots, snapshots[1:]):
        assert later.history[: len(earlier.history)] == earlier.history


def test_every_prefix_of_a_log_reads_as_a_prefix_of_its_history(
    big_run: tuple[Path, Path], tmp_path: Path
) -> None:
    data = big_run[1].read_bytes()
    full = read_run(big_run[1])
    big_note_at = data.find(BIG_NOTE[:1000].encode())
    cuts = set(range(0, len(data), 397))
    for boundary in range(BLOCK, len(data), BLOCK):
        cuts.update(range(boundary - 12, boundary + 12))
    # Inside the first long record, after its first chunk: its later chunks are missing.
    cuts.update(range(big_note_at + 35_000, big_note_at + 35_100))
    prefix = tmp_path / "run-prefix.wandb"
    seen = 0
    for cut in sorted(cuts):
        prefix.write_bytes(data[:cut])
        run = read_run(prefix)
        assert run.history == full.history[: len(run.history)], cut
        assert len(run.history) >= seen, cut
        assert not run.finished, cut
        seen = len(run.history)
        if big_note_at + 35_000 <= cut < big_note_at + 35_100:
            assert len(run.history) == BIG_ROW_INDEX, cut
    prefix.write_bytes(data)
    assert read_run(prefix) == full


def test_tail_fed_in_pieces_matches_reading_the_whole_log(big_run: tuple[Path, Path], tmp_path: Path) -> None:
    data = big_run[1].read_bytes()
    growing = tmp_path / "run-growing.wandb"
    tail = LogTail(growing)
    assert tail.poll() == RunLog()  # no file yet
    growing.write_bytes(b"")
    snapshots = [tail.poll()]
    written = 0
    piece_sizes = [1, 2, 3, 5, 6, 7, 8, 100, 997, 4096, 15_000, 40_000]
    middle = None
    index = 0
    with open(growing, "ab") as file:
        while written < len(data):
            piece = data[written : written + piece_sizes[index % len(piece_sizes)]]
            file.write(piece)
            file.flush()
            written += len(piece)
            index += 1
            snapshots.append(tail.poll())
            if written >= len(data) // 2 and middle is None:
                middle = len(snapshots) - 1
                copy_of_middle = copy.deepcopy(snapshots[middle])
    assert snapshots[-1] == read_run(big_run[1])
    for earlier, later in zip(snapshots, snapshots[1:]):
        assert later.history[: len(earlier.history)] == earlier.history
    # A snapshot is not changed by later polls.
    assert snapshots[0] == RunLog()
    assert copy_of_middle.history
    assert snapshots[middle] == copy_of_middle


def test_tail_reads_only_appended_bytes(big_run: tuple[Path, Path], tmp_path: Path) -> None:
    data = bytearray(big_run[1].read_bytes())
    growing = tmp_path / "run-growing.wandb"
    half = len(data) // 2
    growing.write_bytes(data[:half])
    tail = LogTail(growing)
    tail.poll()
    # Damage bytes the tail has read already: a poll that read from the start would fail.
    data[100] ^= 0xFF
    growing.write_bytes(data)
    with pytest.raises(TransactionLogError):
        read_run(growing)
    assert tail.poll().history == read_run(big_run[1]).history


def test_tail_refuses_a_log_that_shrank(big_run: tuple[Path, Path], tmp_path: Path) -> None:
    data = big_run[1].read_bytes()
    log = tmp_path / "run-x.wandb"
    log.write_bytes(data)
    tail = LogTail(log)
    tail.poll()
    log.write_bytes(data[:1000])
    with pytest.raises(TransactionLogError, match="shrank"):
        tail.poll()


@pytest.mark.parametrize("where", [1 / 3, 1 / 2, 2 / 3])
def test_a_flipped_byte_is_reported_with_its_offset(
    big_run: tuple[Path, Path], tmp_path: Path, where: float
) -> None:
    data = bytearray(big_run[1].read_bytes())
    flipped = int(len(data) * where)
    data[flipped] ^= 0x01
    damaged = tmp_path / "run-damaged.wandb"
    damaged.write_bytes(data)

    with pytest.raises(TransactionLogError) as raised:
        read_run(damaged)
    # The chunk named holds the byte: chunks never cross 32 KiB blocks.
    assert raised.value.offset <= flipped
    assert raised.value.offset // BLOCK == flipped // BLOCK
    assert f"byte {raised.value.offset}:" in str(raised.value)
    assert str(damaged) in str(raised.value)


def test_a_log_that_is_not_a_transaction_log_is_refused(big_run: tuple[Path, Path], tmp_path: Path) -> None:
    data = big_run[1].read_bytes()
    other = tmp_path / "run-other.wandb"
    other.write_bytes(b"LEVELDB" + data[7:])
    with pytest.raises(TransactionLogError, match="not a W&B transaction log"):
        read_run(other)


def test_find_run_log_finds_the_real_log(big_run: tuple[Path, Path]) -> None:
    wandb_dir, log = big_run
    assert log.name == "run-bigrun01.wandb"
    assert log.parent.name.startswith("offline-run-")
    assert find_run_log(str(wandb_dir), "bigrun01") == log
    assert find_run_log(wandb_dir, "otherrun") is None


def test_importing_the_module_does_not_import_wandb() -> None:
    code = "import sys, sweepkit.transaction_log; assert 'wandb' not in sys.modules, 'wandb imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------------------
# Hand-made logs: a LevelDB-style writer written for these tests.


def write_log(records: list[bytes]) -> tuple[bytes, list[tuple[int, int]], list[int]]:
    """Writes records as wandb-core does.

    Returns:
        The file's bytes, (offset, type) of every chunk, and the offset where
        each record's last chunk ends.
    """
    out = bytearray(LOG_HEADER)
    chunks: list[tuple[int, int]] = []
    record_ends: list[int] = []
    for data in records:
        left = data
        first = True
        while True:
            block_left = BLOCK - len(out) % BLOCK
            if block_left < 7:
                out += b"\0" * block_left
                continue
            piece, left = left[: block_left - 7], left[block_left - 7 :]
            last = not left
            chunk_type = FULL if first and last else FIRST if first else LAST if last else MIDDLE
            chunks.append((len(out), chunk_type))
            out += chunk(chunk_type, piece)
            first = False
            if last:
                break
        record_ends.append(len(out))
    return bytes(out), chunks, record_ends


def chunk(chunk_type: int, data: bytes) -> bytes:
    """One chunk with a correct checksum."""
    return struct.pack("<IHB", zlib.crc32(bytes([chunk_type]) + data), len(data), chunk_type) + data


def history_record(size: int, step: int) -> pb.Record:
    """A history record whose serialized form is exactly ``size`` bytes."""
    for filler in range(size, 0, -1):
        item = pb.HistoryItem(key="text", value_json=json.dumps("x" * filler))
        record = pb.Record(history=pb.HistoryRecord(item=[item]))
        record.history.step.num = step
        if record.ByteSize() == size:
            return record
        if record.ByteSize() < size:
            break
    raise AssertionError(f"no history record of {size} bytes")


def small_record(step: int) -> pb.Record:
    return pb.Record(history=pb.HistoryRecord(item=[pb.HistoryItem(key="step", value_json=str(step))]))


# 7 header bytes, then the first chunk's 7-byte header and its data.
LEAVES_6_BYTES = BLOCK - 6 - 14
LEAVES_7_BYTES = BLOCK - 7 - 14


@pytest.mark.parametrize(
    ("sizes", "expected_types"),
    [
        # A 6-byte block tail is padding: the next record starts the next block.
        ([LEAVES_6_BYTES, 50], [FULL, FULL]),
        # A 7-byte tail holds a first chunk with no data.
        ([LEAVES_7_BYTES, 40_000], [FULL, FIRST, MIDDLE, LAST]),
        ([100_000, 50], [FIRST, MIDDLE, MIDDLE, LAST, FULL]),
        ([30_000, 30_000, 30_000], [FULL, FIRST, LAST, FIRST, LAST]),
    ],
)
def test_records_split_across_blocks_are_joined(
    tmp_path: Path, sizes: list[int], expected_types: list[int]
) -> None:
    records = [history_record(size, step) for step, size in enumerate(sizes)]
    data, chunks, _ = write_log([record.SerializeToString() for record in records])
    assert [chunk_type for _, chunk_type in chunks] == expected_types
    log = tmp_path / "run-made.wandb"
    log.write_bytes(data)
    assert list(iter_records(log)) == records


def test_cut_hand_made_log_yields_only_whole_records(tmp_path: Path) -> None:
    records = [history_record(size, step) for step, size in enumerate([LEAVES_7_BYTES, 100_000, 50, 30_000])]
    data, chunks, record_ends = write_log([record.SerializeToString() for record in records])
    cuts = set(range(0, len(data) + 1, 1009))
    for offset, _ in chunks:
        cuts.update(range(max(offset - 8, 0), min(offset + 9, len(data) + 1)))
    for end in record_ends:
        cuts.update((end - 1, end, end + 1))
    log = tmp_path / "run-cut.wandb"
    for cut in sorted(cut for cut in cuts if cut <= len(data)):
        log.write_bytes(data[:cut])
        whole = sum(end <= cut for end in record_ends)
        assert list(iter_records(log)) == records[:whole], cut


def test_tail_keeps_fragments_between_polls(tmp_path: Path) -> None:
    records = [history_record(size, step) for step, size in enumerate([LEAVES_6_BYTES, 100_000, 50])]
    data, _, record_ends = write_log([record.SerializeToString() for record in records])
    log = tmp_path / "run-tail.wandb"
    tail = LogTail(log)
    # Stop inside the padding, inside the long record's chunks and right after it.
    for cut in (5, 7, BLOCK - 3, BLOCK + 100, 2 * BLOCK + 3, 3 * BLOCK + 10, record_ends[1], len(data)):
        log.write_bytes(data[:cut])
        assert len(tail.poll().history) == sum(end <= cut for end in record_ends), cut


def key_fields(keys: list[str]) -> dict:
    """The protobuf fields that name a key the way wandb does: one name or a path."""
    return {"key": keys[0]} if len(keys) == 1 else {"nested_key": keys}


def test_run_log_from_records(tmp_path: Path) -> None:
    def config_items(*items: tuple) -> list[pb.ConfigItem]:
        return [pb.ConfigItem(value_json=json.dumps(value), **key_fields(keys)) for value, *keys in items]

    def summary_items(*items: tuple) -> list[pb.SummaryItem]:
        return [pb.SummaryItem(value_json=json.dumps(value), **key_fields(keys)) for value, *keys in items]

    run_record = pb.Record(
        run=pb.RunRecord(
            run_id="abc123",
            config=pb.ConfigRecord(
                update=config_items(({}, "_wandb"), (0.1, "lr"), ("adam", "opt", "name"), (0.9, "opt", "beta"))
            ),
        )
    )
    config_record = pb.Record(
        config=pb.ConfigRecord(
            update=config_items((5, "epochs"), (0.99, "opt", "beta2")),
            remove=[pb.ConfigItem(nested_key=["opt", "beta"]), pb.ConfigItem(key="missing")],
        )
    )
    history = pb.Record(
        history=pb.HistoryRecord(
            item=[
                pb.HistoryItem(key="loss", value_json="0.5"),
                pb.HistoryItem(nested_key=["val", "acc"], value_json="0.75"),
                pb.HistoryItem(nested_key=["a/b"], value_json='"text"'),
                pb.HistoryItem(key="bad", value_json="NaN"),
            ]
        )
    )
    summary_1 = pb.Record(
        summary=pb.SummaryRecord(
            update=summary_items(
                (1.0, "_wandb", "runtime"), (0.5, "loss"), (0.75, "val", "acc"), (1, "val", "n"), (2, "gone")
            )
        )
    )
    summary_2 = pb.Record(
        summary=pb.SummaryRecord(
            update=summary_items((0.25, "loss")),
            remove=[pb.SummaryItem(nested_key=["val", "n"]), pb.SummaryItem(key="gone")],
        )
    )
    exit_record = pb.Record(exit=pb.RunExitRecord(exit_code=3))
    records = [run_record, config_record, history, summary_1, summary_2]
    data, _, _ = write_log([record.SerializeToString() for record in [*records, exit_record]])

    log = tmp_path / "run-abc123.wandb"
    log.write_bytes(data[: -len(chunk(FULL, exit_record.SerializeToString()))])
    running = read_run(log)
    assert (running.exit_code, running.finished) == (None, False)

    log.write_bytes(data)
    run = read_run(log)
    assert run.run_id == "abc123"
    assert run.config == {"lr": 0.1, "opt": {"name": "adam", "beta2": 0.99}, "epochs": 5}
    assert len(run.history) == 1
    assert math.isnan(run.history[0]["bad"])
    assert {key: value for key, value in run.history[0].items() if key != "bad"} == {
        "loss": 0.5,
        "val.acc": 0.75,
        "a/b": "text",
    }
    assert run.summary == {"loss": 0.25, "val": {"acc": 0.75}}
    assert (run.exit_code, run.finished) == (3, True)


def test_empty_and_half_written_headers_read_as_empty_logs(tmp_path: Path) -> None:
    log = tmp_path / "run-new.wandb"
    for cut in range(len(LOG_HEADER) + 1):
        log.write_bytes(LOG_HEADER[:cut])
        assert read_run(log) == RunLog()


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (b":X&B\xe1\xbe\x00", "not a W&B transaction log"),
        (b":Wx", "not a W&B transaction log"),
        (b":W&B\xbe\xe1\x00", "header identifier"),
        (b":W&B\xe1\xbe\x01", "version 1 is not supported"),
    ],
)
def test_bad_headers_are_refused(tmp_path: Path, header: bytes, message: str | None) -> None:
    log = tmp_path / "run-bad.wandb"
    log.write_bytes(header + chunk(FULL, small_record(0).SerializeToString()))
    with pytest.raises(TransactionLogError, match=message) as raised:
        read_run(log)
    assert raised.value.offset == 0


def test_corrupt_chunks_are_reported_where_they_are(tmp_path: Path) -> None:
    good = chunk(FULL, small_record(0).SerializeToString())
    second = len(LOG_HEADER) + len(good)
    payload = small_record(1).SerializeToString()
    cases = {
        "middle chunk with no first chunk": chunk(MIDDLE, payload),
        "last chunk with no first chunk": chunk(LAST, payload),
        "unknown chunk type 5": chunk(5, payload),
        "unknown chunk type 0": chunk(0, payload),
        "does not parse as a wandb Record": chunk(FULL, b"\xff\xff\xff\xff"),
        "runs past the end of its 32 KiB block": struct.pack("<IHB", 0, 40_000, FULL) + b"\0" * 100,
        "checksum mismatch": chunk(FULL, payload)[:-1] + bytes([payload[-1] ^ 0x40]),
    }
    log = tmp_path / "run-corrupt.wandb"
    for problem, bad in cases.items():
        log.write_bytes(LOG_HEADER + good + bad + good)
        with pytest.raises(TransactionLogError) as raised:
            list(iter_records(log))
        assert raised.value.offset == second, problem
        assert problem in str(raised.value)


def test_a_record_broken_off_by_another_record_is_reported(tmp_path: Path) -> None:
    payload = small_record(1).SerializeToString()
    first = chunk(FIRST, payload[:3])
    log = tmp_path / "run-broken.wandb"
    for interrupting, name in ((chunk(FULL, payload), "full"), (chunk(FIRST, payload[:3]), "first")):
        log.write_bytes(LOG_HEADER + first + interrupting)
        expected = f"a {name} chunk where the record that starts at byte 7 should continue"
        with pytest.raises(TransactionLogError, match=expected) as raised:
            list(iter_records(log))
        assert raised.value.offset == len(LOG_HEADER) + len(first)


def test_tail_keeps_reporting_a_corrupt_record(tmp_path: Path) -> None:
    good = chunk(FULL, small_record(0).SerializeToString())
    unreadable = chunk(FULL, b"\xff\xff\xff\xff")
    log = tmp_path / "run-corrupt.wandb"
    log.write_bytes(LOG_HEADER + good + unreadable)
    tail = LogTail(log)
    for _ in range(2):
        with pytest.raises(TransactionLogError, match="does not parse") as raised:
            tail.poll()
        assert raised.value.offset == len(LOG_HEADER) + len(good)
        # Records after the bad one must not make it look as if nothing was wrong.
        with open(log, "ab") as file:
            file.write(good)


def test_non_zero_block_padding_is_reported(tmp_path: Path) -> None:
    records = [history_record(LEAVES_6_BYTES, 0), small_record(1)]
    data, _, _ = write_log([record.SerializeToString() for record in records])
    damaged = bytearray(data)
    damaged[BLOCK - 2] = 1
    log = tmp_path / "run-padding.wandb"
    log.write_bytes(damaged)
    with pytest.raises(TransactionLogError, match="zero padding") as raised:
        list(iter_records(log))
    assert raised.value.offset == BLOCK - 6


def test_find_run_log_picks_the_newest_matching_folder(tmp_path: Path) -> None:
    def make(folder: str, run_id: str) -> Path:
        log = tmp_path / folder / f"run-{run_id}.wandb"
        log.parent.mkdir(parents=True)
        log.write_bytes(LOG_HEADER)
        return log

    make("wandb/offline-run-20250101_120000-abc", "abc")
    newest = make("wandb/run-20250102_080000-abc", "abc")
    make("wandb/offline-run-20250101_130000-abc", "abc")
    make("wandb/offline-run-20250103_000000-xabc", "xabc")  # another run whose id ends the same
    make("wandb/latest-run", "abc")
    assert find_run_log(tmp_path, "abc") == newest
    assert find_run_log(tmp_path, "ab") is None
    assert find_run_log(tmp_path / "nowhere", "abc") is None
