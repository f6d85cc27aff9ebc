"""What the agent shows: plain lines for logs, a live table for terminals, the final report."""

from __future__ import annotations

import io

from sweepkit.agent.progress import LiveTable, PlainLines, RunRow, final_report, format_params, progress_for
from sweepkit.agent.store import RunRecord

CONFIG = {"metric": {"name": "acc", "goal": "maximize"}}


def test_plain_lines_print_one_line_per_state_change():
    stream = io.StringIO()
    lines = PlainLines(stream, metric_name="acc")
    running = RunRow("r1", {"lr": 0.1}, "running", epoch=1, metric=0.5)

    lines.update([running])
    lines.update([RunRow("r1", {"lr": 0.1}, "running", epoch=2, metric=0.6)])
    lines.update([RunRow("r1", {"lr": 0.1}, "stopping", epoch=3, metric=0.7, best=0.8)])
    lines.update([RunRow("r1", {"lr": 0.1}, "killed", epoch=3, metric=0.7, best=0.8, note="hyperband: lost")])

    output = stream.getvalue().splitlines()
    assert len(output) == 2  # no line for the passing "stopping" state
    assert output[0].startswith("run r1 running") and "lr=0.1" in output[0]
    assert "epochs 3 acc best 0.8 last 0.7" in output[1] and output[1].endswith("hyperband: lost")


def test_plain_lines_do_not_repeat_a_reason_a_message_already_gave():
    stream = io.StringIO()
    lines = PlainLines(stream, metric_name="acc")

    lines.message("stopping run r1: hyperband: lost")
    lines.update([RunRow("r1", {}, "killed", epoch=4, metric=0.1, best=0.1, note="hyperband: lost")])
    lines.update([RunRow("r2", {}, "killed", epoch=4, metric=0.1, best=0.1, note="killed by another agent")])

    first, killed, other = stream.getvalue().splitlines()
    assert first == "stopping run r1: hyperband: lost"
    assert killed.endswith("best 0.1 last 0.1") and "hyperband" not in killed
    assert other.endswith("| killed by another agent")


def test_live_table_redraws_in_place_and_keeps_messages_above():
    stream = io.StringIO()
    table = LiveTable(stream, metric_name="acc", max_rows=2, min_redraw_s=0)
    rows = [RunRow(f"r{n}", {"lr": n}, "running", epoch=n, metric=n / 10) for n in range(3)]

    table.update(rows)
    table.message("stopping run r0")
    table.update(rows[:2] + [RunRow("r2", {"lr": 2}, "finished", epoch=3, metric=0.9)])

    text = stream.getvalue()
    # Each redraw moves up over the previous table (header, 2 rows, "earlier runs" line) and clears it.
    assert text.count("\x1b[4F\x1b[J") == 2
    assert "... and 1 earlier runs" in text and "stopping run r0\n" in text
    assert text.rstrip().splitlines()[-2].startswith("r2") and "finished" in text.splitlines()[-2]


def test_progress_for_a_pipe_is_plain_lines():
    assert isinstance(progress_for(io.StringIO()), PlainLines)


def test_format_params_flattens_nested_values():
    assert format_params({"lr": 0.000123456, "optimizer": {"name": "adam"}}) == "lr=0.0001235 optimizer.name=adam"


def test_final_report_ranks_by_best_metric_and_says_how_to_upload():
    records = [
        RunRecord("low", {"lr": 1}, "finished", history=({"acc": 0.2}, {"acc": 0.3}), run_dir="/w/wandb/offline-run-1-low"),
        RunRecord("high", {"lr": 2}, "killed", history=({"acc": 0.9}, {"acc": 0.4}), run_dir="/w/wandb/offline-run-1-high"),
        RunRecord("none", {"lr": 3}, "failed"),
    ]

    report = final_report(records, CONFIG, sweep_id="swp", project="proj")

    assert report.splitlines()[0] == "sweep swp: 1 failed, 1 finished, 1 killed"
    assert report.index("1. high acc=0.9") < report.index("2. low acc=0.3")
    assert "sweepkit sync swp --project proj" in report
    assert "wandb sync" not in report  # the raw logs name a local sweep W&B does not know
    assert "1 run(s) stopped early by hyperband or by hand; why: sweepkit report swp" in report
