"""sweepkit report: leaderboard, importance, the numbers behind each plot, PNGs, HTML, the command.

Sweeps are built directly in the sweep store with synthetic runs; one test
reads a real offline transaction log cut mid-record (a run still writing),
one runs a tiny real offline sweep end to end.
"""

from __future__ import annotations

import base64
import json
import math
import os
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from sweepkit.agent.store import SweepStore
from sweepkit.cli import main
from sweepkit.hyperband import stop_runs
from sweepkit.report.command import make_report
from sweepkit.report.importance import parameter_importance
from sweepkit.report.leaderboard import leaderboard
from sweepkit.report.plots import (
    CATEGORICAL,
    LINEAR,
    LOG,
    PNG_SIZE,
    best_so_far,
    hyperband_view,
    learning_curves,
    metric_vs_parameters,
    parallel_coordinates,
    write_plots,
)
from sweepkit.report.sweep_data import load_sweep
from sweepkit.run import FAILED, FINISHED, KILLED, PENDING, RUNNING, Run, Suggestion
from sweepkit.transaction_log import find_run_log, read_run

PROGRAMS = Path(__file__).resolve().parent / "programs"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

CONFIG = {
    "method": "random",
    "metric": {"name": "acc", "goal": "maximize"},
    "parameters": {
        "lr": {"distribution": "log_uniform_values", "min": 1e-5, "max": 1e-1},
        "dropout": {"distribution": "uniform", "min": 0.0, "max": 0.5},
        "optimizer": {"values": ["adam", "sgd"]},
        "epochs": {"value": 3},
    },
}


def curve(values, key="acc", first_epoch=1):
    return [{"epoch": first_epoch + index, key: value} for index, value in enumerate(values)]


def make_sweep(wandb_dir: Path, config: dict, runs: list[dict]) -> SweepStore:
    """A sweep store holding ``runs`` (params, state, history, reason, exit_code, summary, run_dir)."""
    store = SweepStore.create(wandb_dir, config, seed=0)
    agent = store.register_agent()
    for spec in runs:
        (record,) = store.claim_runs(agent, lambda existing, params=spec["params"]: [Suggestion(params, "test")])
        state = spec.get("state", FINISHED)
        if state == PENDING:
            continue
        store.mark_running(record.id, os.getpid())
        if spec.get("run_dir"):
            store.set_run_dir(record.id, spec["run_dir"])
        if state == RUNNING:
            continue
        if spec.get("reason") and state == KILLED:
            store.request_stop(record.id, spec["reason"])
        store.end_run(
            record.id,
            state,
            exit_code=spec.get("exit_code", 0 if state == FINISHED else None),
            reason=None if state == KILLED else spec.get("reason"),
            history=spec.get("history"),
            summary=spec.get("summary"),
        )
    return store


def params(lr=1e-3, dropout=0.1, optimizer="adam"):
    return {"lr": lr, "dropout": dropout, "optimizer": optimizer, "epochs": 3}


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


# -- leaderboard ------------------------------------------------------------------------------


def test_leaderboard_ranks_by_best_value_and_says_why_runs_ended(tmp_path):
    store = make_sweep(
        tmp_path,
        CONFIG,
        [
            {"params": params(lr=1e-3), "history": curve([0.5, 0.8, 0.7])},
            {"params": params(lr=1e-2), "history": curve([0.9, 0.6]), "state": KILLED, "reason": "hyperband: lost"},
            {"params": params(lr=1e-1), "state": FAILED, "exit_code": 1},
            {"params": params(lr=1e-4), "summary": {"acc": 0.85}},
            {"params": params(lr=1e-5), "state": RUNNING},
        ],
    )
    ids = [record.id for record in store.runs()]

    rows = leaderboard(load_sweep(tmp_path, store.info.id))

    assert [row.run_id for row in rows] == [ids[1], ids[3], ids[0], ids[2], ids[4]]
    assert [row.rank for row in rows] == [1, 2, 3, None, None]
    best = {row.run_id: (row.best, row.best_epoch, row.epochs) for row in rows}
    assert best[ids[0]] == (0.8, 2, 3)
    assert best[ids[1]] == (0.9, 1, 2)
    assert best[ids[3]] == (0.85, None, 0)  # only its summary had the metric
    notes = {row.run_id: (row.state, row.note) for row in rows}
    assert notes[ids[1]] == (KILLED, "hyperband: lost")
    assert notes[ids[2]] == (FAILED, "exit code 1")
    assert notes[ids[4]] == (RUNNING, "")
    assert rows[0].params == {"lr": 1e-2, "dropout": 0.1, "optimizer": "adam", "epochs": 3}


def test_a_long_note_is_cut_in_the_table_and_given_in_full_below_it():
    from sweepkit.report.leaderboard import LeaderboardRow, format_leaderboard

    reason = "hyperband: val_accuracy value at the bracket 0.0625 is below the threshold 0.923611 at bracket 3"
    rows = [
        LeaderboardRow(1, "aaaa", 1, "finished", "", {"lr": 0.1}, 0.9, 3, 4, False),
        LeaderboardRow(2, "bbbb", 2, "killed", reason, {"lr": 0.2}, 0.1, 3, 4, False),
    ]

    text = format_leaderboard(rows, metric_name="val_accuracy")

    table, full = text.split("\n\nnotes in full:\n")
    assert reason not in table and "hyperband: val_accuracy" in table
    assert full == f"  bbbb: {reason}"
    assert "notes in full" not in format_leaderboard(rows[:1], metric_name="val_accuracy")


def test_json_rows_give_a_whole_epoch_as_an_integer():
    from sweepkit.report.leaderboard import LeaderboardRow

    def row(best_epoch):
        return LeaderboardRow(1, "aaaa", 1, "finished", "", {}, 0.9, best_epoch, 4, False).to_json()["best_epoch"]

    assert [type(row(17.0)), row(17.0), row(2.5), row(None)] == [int, 17, 2.5, None]


def test_leaderboard_of_a_minimized_metric_puts_the_lowest_first(tmp_path):
    config = {**CONFIG, "metric": {"name": "loss", "goal": "minimize"}}
    store = make_sweep(
        tmp_path,
        config,
        [{"params": params(lr=lr), "history": curve(values, key="loss")} for lr, values in ((1e-3, [0.5, 0.4]), (1e-2, [0.3, 0.9]), (1e-4, [0.6]))],
    )

    rows = leaderboard(load_sweep(tmp_path, store.info.id))

    assert [(row.best, row.best_epoch) for row in rows] == [(0.3, 1), (0.4, 2), (0.6, 1)]


def test_reading_a_sweep_changes_nothing_in_the_store(tmp_path):
    store = make_sweep(tmp_path, CONFIG, [{"params": params(), "history": curve([0.5])}, {"params": params(), "state": RUNNING}])
    sweep_id, before = store.info.id, store.runs()
    store.close()
    data = store.path.read_bytes()

    make_report(tmp_path, sweep_id, plots=False)

    assert store.path.read_bytes() == data
    assert SweepStore.open(tmp_path, sweep_id).runs() == before


# -- a run that is still writing its log -------------------------------------------------------


@pytest.fixture(scope="module")
def real_offline_log(tmp_path_factory) -> Path:
    """The transaction log of a real wandb offline run that logged ``score`` at 5 epochs."""
    root = tmp_path_factory.mktemp("real_run")
    env = {key: value for key, value in os.environ.items() if not key.startswith("WANDB_")}
    env.update(WANDB_MODE="offline", WANDB_SILENT="true", WANDB_DIR=str(root), WANDB_RUN_ID="livelog1")
    script = "import wandb\nrun = wandb.init()\nfor epoch in range(5):\n    run.log({'epoch': epoch, 'score': 0.1 * epoch + 0.05})\nrun.finish()\n"
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=120, cwd=root)
    log = find_run_log(root, "livelog1")
    assert log is not None
    return log


def test_a_running_run_is_read_from_its_log_up_to_the_last_whole_record(tmp_path, real_offline_log):
    data = real_offline_log.read_bytes()
    scores = [row["score"] for row in read_run(real_offline_log).history if "score" in row]
    assert scores == pytest.approx([0.05, 0.15, 0.25, 0.35, 0.45])
    store = make_sweep(
        tmp_path,
        {"method": "grid", "metric": {"name": "score", "goal": "maximize"}, "parameters": {"x": {"values": [2.0]}}},
        [{"params": {"x": 2.0}, "state": RUNNING}],
    )
    (record,) = store.runs()
    run_dir = tmp_path / "wandb" / f"offline-run-20260101_000000-{record.id}"
    run_dir.mkdir(parents=True)
    log = run_dir / f"run-{record.id}.wandb"
    # The run is still writing: its log ends one byte before the third score's record is whole.
    prefix = tmp_path / "prefix.wandb"
    cut = len(data)
    for length in range(len(data), 0, -1):
        prefix.write_bytes(data[:length])
        if len([row for row in read_run(prefix).history if "score" in row]) < 3:
            cut = length
            break
    log.write_bytes(data[:cut])

    (run,) = load_sweep(tmp_path, store.info.id).runs

    assert run.from_log and run.state == RUNNING
    assert [point.value for point in run.points] == pytest.approx(scores[:2])
    assert run.best == pytest.approx(0.15) and run.best_epoch == 1


# -- importance -------------------------------------------------------------------------------


def test_importance_finds_the_parameter_that_drives_the_metric(tmp_path):
    runs = []
    for index in range(24):
        lr = 10 ** (-5 + 4 * index / 23)
        dropout = [0.05, 0.4, 0.2, 0.3][index % 4]  # unrelated to the metric
        optimizer = ["adam", "sgd"][index % 2]
        acc = 0.5 + 0.1 * (5 + math.log10(lr))  # grows with log lr only
        runs.append({"params": params(lr=lr, dropout=dropout, optimizer=optimizer), "history": curve([acc])})
    store = make_sweep(tmp_path, CONFIG, runs)

    table = parameter_importance(load_sweep(tmp_path, store.info.id))

    names = [row.name for row in table.rows]
    assert names[0] == "lr"
    assert set(names) == {"lr", "dropout", "optimizer=adam", "optimizer=sgd"}  # one-hot
    assert table.left_out == ("epochs",)
    assert sum(row.importance for row in table.rows) == pytest.approx(1.0)
    by_name = {row.name: row for row in table.rows}
    assert by_name["lr"].importance > 0.8
    # Correlation is on raw values (as W&B's): a metric linear in log lr correlates less than perfectly.
    assert 0.5 < by_name["lr"].correlation < 0.95
    assert abs(by_name["dropout"].correlation) < 0.3


def test_importance_correlation_is_exact_for_a_linear_metric(tmp_path):
    xs = [0.1, 0.2, 0.3, 0.4, 0.5]
    config = {"method": "grid", "metric": {"name": "acc", "goal": "maximize"}, "parameters": {"up": {"values": xs}, "down": {"values": xs}}}
    store = make_sweep(tmp_path, config, [{"params": {"up": x, "down": 0.6 - x}, "history": curve([2 * x + 1])} for x in xs])

    table = parameter_importance(load_sweep(tmp_path, store.info.id))

    correlations = {row.name: row.correlation for row in table.rows}
    assert correlations == {"up": pytest.approx(1.0), "down": pytest.approx(-1.0)}


def test_importance_with_too_few_runs_says_why_it_has_no_forest(tmp_path):
    store = make_sweep(tmp_path, CONFIG, [{"params": params(lr=1e-3), "history": curve([0.5])}, {"params": params(lr=1e-2), "history": curve([0.6])}])

    table = parameter_importance(load_sweep(tmp_path, store.info.id))

    assert all(row.importance is None for row in table.rows)
    assert "at least 3" in table.note


# -- the numbers behind each plot ----------------------------------------------------------------


def test_best_so_far_follows_the_goal(tmp_path):
    values = [0.5, 0.7, 0.6, 0.9, 0.8]
    store = make_sweep(tmp_path, CONFIG, [{"params": params(), "history": curve([v])} for v in values[:2]] + [{"params": params(), "state": FAILED, "exit_code": 1}] + [{"params": params(), "history": curve([v])} for v in values[2:]])
    minimize = make_sweep(tmp_path / "min", {**CONFIG, "metric": {"name": "acc", "goal": "minimize"}}, [{"params": params(), "history": curve([v])} for v in values])

    up = best_so_far(load_sweep(tmp_path, store.info.id))
    down = best_so_far(load_sweep(tmp_path / "min", minimize.info.id))

    assert up.run_numbers == (1, 2, 4, 5, 6)  # the failed run 3 logged nothing
    assert up.best_so_far == (0.5, 0.7, 0.7, 0.9, 0.9)
    assert down.best_so_far == (0.5, 0.5, 0.5, 0.5, 0.5)


def test_parallel_coordinates_place_log_categorical_and_metric_axes(tmp_path):
    store = make_sweep(
        tmp_path,
        CONFIG,
        [
            {"params": params(lr=1e-4, dropout=0.1, optimizer="sgd"), "history": curve([0.2])},
            {"params": params(lr=1e-3, dropout=0.3, optimizer="adam"), "history": curve([0.6])},
            {"params": params(lr=1e-2, dropout=0.2, optimizer="adam"), "history": curve([1.0])},
        ],
    )

    data = parallel_coordinates(load_sweep(tmp_path, store.info.id))

    axes = {axis.name: axis for axis in data.axes}
    assert [axis.name for axis in data.axes] == ["lr", "dropout", "optimizer", "acc"]  # constant epochs left out
    assert axes["lr"].scale == LOG and axes["lr"].positions == pytest.approx((0.0, 0.5, 1.0))
    assert axes["dropout"].scale == LINEAR and axes["dropout"].positions == pytest.approx((0.0, 1.0, 0.5))
    assert axes["optimizer"].scale == CATEGORICAL and axes["optimizer"].positions == (1.0, 0.0, 0.0)
    assert axes["optimizer"].tick_labels == ("adam", "sgd")
    assert axes["acc"].positions == pytest.approx((0.0, 0.5, 1.0))
    assert data.metric_values == (0.2, 0.6, 1.0)


def test_metric_against_parameter_uses_log_axes_for_every_log_distribution(tmp_path):
    config = {
        "method": "random",
        "metric": {"name": "acc", "goal": "maximize"},
        "parameters": {
            "a": {"distribution": "log_uniform", "min": -9, "max": -1},
            "b": {"distribution": "q_log_uniform_values", "min": 1, "max": 1000, "q": 1},
            "c": {"distribution": "inv_log_uniform_values", "min": 0.01, "max": 1},
            "d": {"distribution": "uniform", "min": 0, "max": 1},
            "e": {"distribution": "int_uniform", "min": 1, "max": 9},
            "f": {"values": ["relu", "tanh"]},
        },
    }
    rows = [({"a": 0.001, "b": 10, "c": 0.1, "d": 0.2, "e": 2, "f": "tanh"}, 0.3), ({"a": 0.01, "b": 100, "c": 0.5, "d": 0.7, "e": 5, "f": "relu"}, 0.9)]
    store = make_sweep(tmp_path, config, [{"params": p, "history": curve([acc])} for p, acc in rows])

    scatters = {scatter.name: scatter for scatter in metric_vs_parameters(load_sweep(tmp_path, store.info.id))}

    assert {name: scatter.scale for name, scatter in scatters.items()} == {"a": LOG, "b": LOG, "c": LOG, "d": LINEAR, "e": LINEAR, "f": CATEGORICAL}
    assert scatters["b"].x == (10.0, 100.0) and scatters["b"].y == (0.3, 0.9)
    assert scatters["f"].categories == ("relu", "tanh") and scatters["f"].x == (1.0, 0.0)


def test_learning_curves_show_the_top_runs_best_first(tmp_path):
    store = make_sweep(
        tmp_path,
        CONFIG,
        [{"params": params(), "history": curve(values, first_epoch=1)} for values in ([0.1, 0.2], [0.5, 0.9, 0.8], [0.3, 0.6])],
    )
    ids = [record.id for record in store.runs()]

    curves = learning_curves(load_sweep(tmp_path, store.info.id), top=2)

    assert [(c.run_id, c.rank, c.best) for c in curves] == [(ids[1], 1, 0.9), (ids[2], 2, 0.6)]
    assert curves[0].epochs == (1.0, 2.0, 3.0) and curves[0].values == (0.5, 0.9, 0.8)


HYPERBAND_CONFIG = {**CONFIG, "early_terminate": {"type": "hyperband", "min_iter": 2, "eta": 2}}


def hyperband_sweep(wandb_dir: Path) -> tuple[SweepStore, dict[str, tuple]]:
    """Four finished runs and two that hyperband stops at bracket 2, with the reasons sweepkit.hyperband writes."""
    finished = {"f1": [0.5, 0.6, 0.7, 0.8], "f2": [0.4, 0.5, 0.6, 0.7], "f3": [0.3, 0.4, 0.5, 0.6], "f4": [0.2, 0.3, 0.35, 0.4]}
    losing = {"l1": [0.1, 0.15, 0.2], "l2": [0.3, 0.32, 0.33]}
    runs = [Run(name, {}, FINISHED, curve(values)) for name, values in finished.items()]
    runs += [Run(name, {}, RUNNING, curve(values)) for name, values in losing.items()]
    decisions = {decision.run: decision for decision in stop_runs(HYPERBAND_CONFIG, runs)}
    assert set(decisions) == {"l1", "l2"}
    specs = [{"params": params(lr=1e-3 * (i + 1)), "history": curve(v)} for i, v in enumerate(finished.values())]
    specs += [{"params": params(lr=1e-5 * (i + 1)), "history": curve(v), "state": KILLED, "reason": decisions[name].reason} for i, (name, v) in enumerate(losing.items())]
    store = make_sweep(wandb_dir, HYPERBAND_CONFIG, specs)
    ids = [record.id for record in store.runs()]
    expected = {ids[4]: decisions["l1"], ids[5]: decisions["l2"]}
    return store, {run_id: (d.bracket, d.value, d.threshold) for run_id, d in expected.items()}


def test_hyperband_view_reports_where_and_why_each_run_was_stopped(tmp_path):
    store, expected = hyperband_sweep(tmp_path)

    view = hyperband_view(load_sweep(tmp_path, store.info.id))

    stops = {stop.run_id: (stop.bracket, stop.value, stop.threshold) for stop in view.stops}
    assert set(stops) == set(expected)
    for run_id, (bracket, value, threshold) in expected.items():
        assert stops[run_id][0] == bracket
        assert stops[run_id][1:] == pytest.approx((value, threshold), rel=1e-5)
    assert all(stop.recorded for stop in view.stops)
    assert view.brackets == (2,)  # min_iter 2, eta 2: brackets 2, 4, ...; no run logged 5 values
    # The final threshold at bracket 2: rank int(6 / 2) = 3 (best first) among the six runs' third values.
    assert view.thresholds[2] == pytest.approx(sorted([0.7, 0.6, 0.5, 0.35, 0.2, 0.33], reverse=True)[3])


def test_hyperband_view_recomputes_a_stop_whose_reason_it_cannot_read(tmp_path):
    store = make_sweep(
        tmp_path,
        HYPERBAND_CONFIG,
        [
            {"params": params(), "history": curve([0.5, 0.6, 0.7])},
            {"params": params(), "history": curve([0.4, 0.5, 0.65])},
            {"params": params(), "history": curve([0.1, 0.2, 0.3]), "state": KILLED, "reason": "hyperband (older wording)"},
        ],
    )

    (stop,) = hyperband_view(load_sweep(tmp_path, store.info.id)).stops

    assert (stop.bracket, stop.value, stop.recorded) == (2, 0.3, False)
    # Third values 0.7, 0.65, 0.3; the threshold is the one at rank int(3 / 2) = 1, best first.
    assert stop.threshold == pytest.approx(0.65)


# -- PNGs and HTML ------------------------------------------------------------------------------


def test_every_plot_is_a_png_of_the_expected_size(tmp_path):
    store, _ = hyperband_sweep(tmp_path)
    sweep = load_sweep(tmp_path, store.info.id)

    written = write_plots(sweep, tmp_path / "out")

    assert set(written) == {
        "best_so_far",
        "parallel_coordinates",
        "metric_vs_lr",
        "learning_curves",
        "hyperband",
    }
    for path in written.values():
        assert png_size(path) == PNG_SIZE
    import matplotlib.image

    assert matplotlib.image.imread(written["hyperband"]).shape[:2] == (PNG_SIZE[1], PNG_SIZE[0])


def test_a_sweep_with_no_metric_values_yet_has_no_plots(tmp_path):
    store = make_sweep(tmp_path, CONFIG, [{"params": params(), "state": RUNNING}])

    assert write_plots(load_sweep(tmp_path, store.info.id), tmp_path / "out") == {}


def test_html_page_is_self_contained(tmp_path):
    store, _ = hyperband_sweep(tmp_path)

    report = make_report(tmp_path, store.info.id, html_path=tmp_path / "page.html")

    page = (tmp_path / "page.html").read_text()
    assert report.plots and report.plots["best_so_far"].parent == tmp_path / "wandb" / f"sweep-{store.info.id}" / "report"
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == len(report.plots)
    assert all(base64.b64decode(image)[:8] == PNG_SIGNATURE for image in images)
    assert not re.search(r"https?://|<script|<link|@import", page)
    for record in store.runs():
        assert record.id in page
    assert "RandomForestRegressor" in page and "Pearson" in page


# -- the command --------------------------------------------------------------------------------


def test_report_command_json_and_text(tmp_path):
    store, expected = hyperband_sweep(tmp_path)

    as_json = CliRunner().invoke(main, ["report", store.info.id, "--dir", str(tmp_path), "--json", "--out", str(tmp_path / "png")])
    as_text = CliRunner().invoke(main, ["report", store.info.id, "--dir", str(tmp_path), "--no-plots"])

    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.output)
    assert [row["best"] for row in data["leaderboard"]] == sorted((row["best"] for row in data["leaderboard"]), reverse=True)
    assert {row["run_id"] for row in data["leaderboard"] if row["state"] == KILLED} == set(expected)
    assert set(data["plots"]) >= {"best_so_far", "hyperband"} and all(Path(p).parent == tmp_path / "png" for p in data["plots"].values())
    assert data["importance"]["categorical_encoding"] == "one-hot"
    assert as_text.exit_code == 0, as_text.output
    assert "importance: random forest" in as_text.output and "correlation: Pearson" in as_text.output
    assert "hyperband: acc" in as_text.output
    assert not (tmp_path / "wandb" / f"sweep-{store.info.id}" / "report").exists()


def test_report_of_a_missing_sweep_is_a_short_error(tmp_path):
    result = CliRunner().invoke(main, ["report", "nosuchid", "--dir", str(tmp_path)])

    assert result.exit_code == 1
    assert "no offline sweep 'nosuchid'" in result.output


# -- end to end ---------------------------------------------------------------------------------


def test_report_of_a_real_offline_sweep(tmp_path, offline_env):
    shutil.copy(PROGRAMS / "quadratic.py", tmp_path / "quadratic.py")
    config = {"program": "quadratic.py", "method": "grid", "metric": {"name": "score", "goal": "maximize"}, "parameters": {"x": {"values": [1.0, 3.0]}, "epochs": {"value": 3}}}
    (tmp_path / "sweep.yaml").write_text(json.dumps(config))
    env = {**offline_env, "PYTHONPATH": os.pathsep.join(filter(None, [offline_env.get("PYTHONPATH"), str(Path(__file__).resolve().parents[1] / "plugin")]))}
    created = subprocess.run(
        [sys.executable, "-c", "from sweepkit.cli import main; main()", "run", "sweep.yaml", "--dir", str(tmp_path), "--json"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180,
    )
    assert created.returncode == 0, created.stderr
    sweep_id = json.loads(created.stdout)["sweep_id"]

    result = CliRunner().invoke(main, ["report", sweep_id, "--dir", str(tmp_path), "--json", "--html", str(tmp_path / "r.html")])

    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    top = data["leaderboard"][0]
    # quadratic.py logs score = x * (1 - 0.5 / (epoch + 1)) at epochs 0, 1, 2: best at epoch 2.
    assert (top["params"]["x"], top["state"], top["epochs"], top["best_epoch"]) == (3.0, FINISHED, 3, 2)
    assert top["best"] == pytest.approx(3.0 * (1 - 0.5 / 3))
    for path in data["plots"].values():
        assert png_size(Path(path)) == PNG_SIZE
    assert (tmp_path / "r.html").stat().st_size > 10_000
