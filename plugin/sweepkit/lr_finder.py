"""``sweepkit lr-find``: a learning-rate range test on train.py's model and data, and a narrower sweep.

The test (:class:`~sweepkit.callbacks.lr_range_test.LRRangeTest`) raises the
learning rate from 1e-7 to 10 over about 100 batches and records the
smoothed loss. Two suggestions come out of the curve:

- **steepest**: where the smoothed loss falls fastest (the most negative
  d loss / d log10 lr), before the loss' minimum;
- **minimum / 10**: the learning rate at the smoothed loss' minimum, divided by 10.

``--write-sweep IN.yaml --out OUT.yaml`` then writes a copy of a sweep whose
``lr`` range spans one decade on each side of the suggestion, so a sweep
spends its runs where the learning rate can work.

Example::

    sweepkit lr-find --dataset=digits --batch_size=64 --layers=2
    sweepkit lr-find --optimizer=sgd --write-sweep sweeps/bayes.yaml --out sweeps/bayes-narrow.yaml
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import click

DEFAULT_MIN_LR = 1e-7
DEFAULT_MAX_LR = 10.0
DEFAULT_STEPS = 100
# Points at each end of the curve left out of the steepest-slope search: the
# first few smoothed values still carry the moving average's start-up noise.
_EDGE_POINTS = 2


@dataclass(frozen=True)
class LRFindResult:
    """A range test's curve and suggestions.

    Attributes:
        lrs: The learning rate of each batch.
        losses: Each batch's loss.
        smoothed_losses: The smoothed loss after each batch.
        steepest_lr: Where the smoothed loss falls fastest; None when the curve is too short.
        min_lr_over_10: The learning rate at the smoothed loss' minimum, divided by 10.
        lr_at_minimum: The learning rate at the smoothed loss' minimum.
        stop_reason: Why the test ended.
    """

    lrs: tuple[float, ...]
    losses: tuple[float, ...]
    smoothed_losses: tuple[float, ...]
    steepest_lr: float | None
    min_lr_over_10: float | None
    lr_at_minimum: float | None
    stop_reason: str

    @property
    def suggested_lr(self) -> float | None:
        """The steepest-descent learning rate, else minimum / 10."""
        return self.steepest_lr if self.steepest_lr is not None else self.min_lr_over_10

    def to_json(self) -> dict[str, Any]:
        return {
            "steepest_lr": self.steepest_lr,
            "min_lr_over_10": self.min_lr_over_10,
            "lr_at_minimum": self.lr_at_minimum,
            "suggested_lr": self.suggested_lr,
            "stop_reason": self.stop_reason,
            "lrs": list(self.lrs),
            "losses": list(self.losses),
            "smoothed_losses": list(self.smoothed_losses),
        }


def suggest_learning_rates(lrs: Sequence[float], smoothed: Sequence[float]) -> tuple[float | None, float | None, float | None]:
    """``(steepest, minimum / 10, at minimum)`` from a range test's curve.

    The steepest slope is searched from the start of the curve up to the
    smoothed loss' minimum (past it the loss is diverging), leaving out
    :data:`_EDGE_POINTS` at the start; the slope is ``numpy.gradient`` of the
    smoothed loss against log10 of the learning rate.
    """
    import numpy as np

    points = [(lr, loss) for lr, loss in zip(lrs, smoothed) if math.isfinite(loss) and lr > 0]
    if not points:
        return None, None, None
    x = np.log10([lr for lr, _ in points])
    y = np.array([loss for _, loss in points])
    lowest = int(np.argmin(y))
    at_minimum = float(points[lowest][0])
    descent = slice(_EDGE_POINTS, lowest + 1)
    steepest = None
    if lowest + 1 - _EDGE_POINTS >= 3:
        slopes = np.gradient(y[: lowest + 1], x[: lowest + 1])[descent]
        steepest = float(points[_EDGE_POINTS + int(np.argmin(slopes))][0])
    return steepest, at_minimum / 10, at_minimum


def draw_lr_curve(result: LRFindResult, path: str | Path) -> Path:
    """Loss (raw and smoothed) against learning rate on a log x axis, both suggestions marked."""
    from sweepkit.report.plots import new_figure, save

    figure = new_figure()
    ax = figure.subplots()
    ax.plot(result.lrs, result.losses, color="0.75", linewidth=1, label="loss per batch")
    ax.plot(result.lrs, result.smoothed_losses, color="tab:blue", linewidth=2, label="smoothed loss")
    ax.set_xscale("log")
    for lr, colour, name in ((result.steepest_lr, "tab:red", "steepest descent"), (result.min_lr_over_10, "tab:green", "minimum / 10")):
        if lr is not None:
            ax.axvline(lr, color=colour, linestyle="--", linewidth=1.5, label=f"{name}: {lr:.2g}")
    finite = [loss for loss in result.smoothed_losses if math.isfinite(loss)]
    if finite:
        # The diverging tail would squash the interesting part of the curve.
        top = min(max(finite), 4 * min(finite)) if min(finite) > 0 else max(finite)
        ax.set_ylim(min(finite) * 0.9 if min(finite) > 0 else min(finite), top * 1.05)
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel("training loss")
    ax.set_title("Learning-rate range test")
    ax.grid(alpha=0.3, which="both")
    ax.legend(loc="best")
    return save(figure, path)


def log_to_wandb(result: LRFindResult, png: Path, run: Any) -> None:
    """Logs the plot (``wandb.Image``), the curve (``wandb.Table``) and the suggestions to a W&B run."""
    import wandb

    table = wandb.Table(
        columns=["lr", "loss", "smoothed_loss"],
        data=[[lr, loss, smoothed] for lr, loss, smoothed in zip(result.lrs, result.losses, result.smoothed_losses)],
    )
    run.log({"lr_find/plot": wandb.Image(str(png), caption=result.stop_reason), "lr_find/curve": table})
    run.summary.update(
        {
            "lr_find/steepest_lr": result.steepest_lr,
            "lr_find/min_lr_over_10": result.min_lr_over_10,
            "lr_find/suggested_lr": result.suggested_lr,
        }
    )


def _active_run() -> Any:
    import sys

    wandb = sys.modules.get("wandb")  # only a program that imported wandb can have a run
    return getattr(wandb, "run", None) if wandb is not None else None


def lr_find(
    hp: Mapping[str, Any],
    *,
    min_lr: float = DEFAULT_MIN_LR,
    max_lr: float = DEFAULT_MAX_LR,
    num_steps: int = DEFAULT_STEPS,
    png: str | Path | None = None,
    run: Any = None,
) -> LRFindResult:
    """Runs a range test on train.py's model and data for the hyperparameters ``hp``.

    Args:
        hp: Every hyperparameter of train.py (:func:`sweepkit.hyperparameters.resolve`);
            ``lr``, ``lr_schedule`` and ``epochs`` are ignored (the test sets the rate).
        min_lr: The first learning rate.
        max_lr: The last learning rate.
        num_steps: Batches from ``min_lr`` to ``max_lr``; the data repeats as needed.
        png: Write the loss-against-lr plot here.
        run: A W&B run to log to; the active run (if any) when None.
    """
    from sweepkit.callbacks.lr_range_test import LRRangeTest
    from sweepkit.datasets import load_dataset
    from sweepkit.models import build_mlp
    from sweepkit.optimization import make_optimizer
    from sweepkit.training import seed_everything

    seed_everything(hp["seed"])
    data = load_dataset(hp["dataset"], val_split=hp["val_split"], seed=hp["seed"], subset=hp["subset"])
    model = build_mlp(data.input_dim, data.num_classes, layers=hp["layers"], width=hp["width"], dropout=hp["dropout"])
    model.compile(optimizer=make_optimizer(hp["optimizer"], min_lr), loss="sparse_categorical_crossentropy")
    test = LRRangeTest(min_lr=min_lr, max_lr=max_lr, num_steps=num_steps)
    steps_per_epoch = math.ceil(len(data.x_train) / hp["batch_size"])
    try:
        model.fit(
            data.x_train,
            data.y_train,
            batch_size=hp["batch_size"],
            epochs=math.ceil(num_steps / steps_per_epoch),
            callbacks=[test],
            verbose=0,
        )
    finally:
        test.restore()
    steepest, over_10, at_minimum = suggest_learning_rates(test.lrs, test.smoothed_losses)
    result = LRFindResult(
        lrs=tuple(test.lrs),
        losses=tuple(test.losses),
        smoothed_losses=tuple(test.smoothed_losses),
        steepest_lr=steepest,
        min_lr_over_10=over_10,
        lr_at_minimum=at_minimum,
        stop_reason=test.stop_reason or "",
    )
    run = run if run is not None else _active_run()
    if png is not None or run is not None:
        path = draw_lr_curve(result, png if png is not None else Path("lr_find.png"))
        if run is not None:
            log_to_wandb(result, path, run)
    return result


# -- narrowing a sweep -------------------------------------------------------------------------


class SweepEditError(ValueError):
    """The sweep's learning-rate parameter cannot be narrowed; the message says why."""


def narrowed_spec(spec: Mapping[str, Any], center: float, *, decades: float = 1.0) -> dict[str, Any]:
    """A parameter spec covering ``center / 10**decades`` to ``center * 10**decades``.

    The new range never reaches past the old one: narrowing a sweep must not
    make it try learning rates it excluded.

    - ``log_uniform_values``, ``q_log_uniform_values``, ``inv_log_uniform_values``,
      ``uniform``, ``q_uniform``: new ``min``/``max``, other keys kept.
    - ``log_uniform`` and ``inv_log_uniform`` (bounds are exponents): become
      ``log_uniform_values`` with the new bounds, which W&B reads the same way.
    - ``values``: the values inside the range are kept; with fewer than two
      left, five log-spaced values replace them.

    Raises:
        SweepEditError: The parameter is a constant or has a distribution without
            a range, or ``center`` lies more than ``decades`` outside the old range.
    """
    import numpy as np

    from sweepkit.distributions import infer_distribution

    if not center > 0:
        raise SweepEditError(f"cannot narrow around a learning rate of {center!r}")
    name = infer_distribution(spec)
    low, high = float(f"{center / 10**decades:.3g}"), float(f"{center * 10**decades:.3g}")
    old_range = _old_range(spec, name)
    if old_range is not None:
        old_low, old_high = old_range
        if low >= old_high or high <= old_low:
            raise SweepEditError(
                f"the suggested learning rate {center:.3g} lies more than {decades:g} decade(s) outside the sweep's "
                f"range {old_low:.3g}..{old_high:.3g}; change the range by hand if you trust the suggestion"
            )
        low, high = max(low, old_low), min(high, old_high)
    if name in ("log_uniform_values", "q_log_uniform_values", "inv_log_uniform_values", "uniform", "q_uniform"):
        return {**spec, "min": low, "max": high}
    if name in ("log_uniform", "inv_log_uniform"):
        return {"distribution": "log_uniform_values", "min": low, "max": high}
    if name in ("categorical", "categorical_w_probabilities"):
        kept = [value for value in spec["values"] if isinstance(value, (int, float)) and low <= value <= high]
        if len(kept) >= 2 and name == "categorical":
            return {"values": kept}
        return {"values": [float(f"{value:.2g}") for value in np.geomspace(low, high, 5)]}
    raise SweepEditError(f"a {name} learning rate has no range to narrow; use values or log_uniform_values")


def _old_range(spec: Mapping[str, Any], name: str) -> tuple[float, float] | None:
    """The values a learning-rate spec can take, as (lowest, highest); None when it has no range."""
    import math

    if name in ("log_uniform", "inv_log_uniform"):  # bounds are natural-log exponents
        exponents = (spec["min"], spec["max"]) if name == "log_uniform" else (-spec["max"], -spec["min"])
        return math.exp(exponents[0]), math.exp(exponents[1])
    if "min" in spec and "max" in spec:
        return float(spec["min"]), float(spec["max"])
    numbers = [value for value in spec.get("values", ()) if isinstance(value, (int, float)) and not isinstance(value, bool)]
    return (float(min(numbers)), float(max(numbers))) if numbers else None


def _block_bounds(lines: list[str], parameter: str) -> tuple[int, int, str]:
    """The line span of ``parameters.<parameter>`` in a YAML text, and its indentation."""
    top = next((i for i, line in enumerate(lines) if re.match(r"^parameters:\s*(#.*)?$", line)), None)
    if top is None:
        raise SweepEditError("the sweep has no block-style `parameters:` section at the top level")
    for index in range(top + 1, len(lines)):
        line = lines[index]
        if line.strip() and not line.startswith((" ", "\t", "#")):
            break  # the next top-level key: parameters ended
        match = re.match(rf"^(\s+){re.escape(parameter)}:(.*)$", line)
        if match is None:
            continue
        indent = match.group(1)
        end = index + 1
        if not match.group(2).strip() or match.group(2).strip().startswith("#"):
            while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) > len(indent)):
                end += 1
            while end > index + 1 and not lines[end - 1].strip():
                end -= 1  # leave blank lines after the block where they were
        return index, end, indent
    raise SweepEditError(f"the sweep has no parameter {parameter!r} under parameters:")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def narrow_sweep_text(text: str, center: float, *, parameter: str = "lr", decades: float = 1.0) -> tuple[str, dict[str, Any]]:
    """The sweep YAML with ``parameters.<parameter>`` narrowed around ``center``, and the new spec.

    Only the parameter's own lines change; every other line, comments
    included, stays as it was (comments inside the parameter's block are
    replaced with one that says where the range came from).
    """
    import yaml

    config = yaml.safe_load(text)
    spec = ((config or {}).get("parameters") or {}).get(parameter)
    if not isinstance(spec, Mapping):
        raise SweepEditError(f"the sweep has no parameter {parameter!r} under parameters:")
    new_spec = narrowed_spec(spec, center, decades=decades)
    lines = text.splitlines()
    start, end, indent = _block_bounds(lines, parameter)
    # One key per line, lists in flow style ([0.001, 0.003]), as the bundled sweeps write them.
    body = [
        f"{key}: {yaml.safe_dump(value, default_flow_style=True).strip()}"
        if isinstance(value, list)
        else yaml.safe_dump({key: value}, default_flow_style=False).strip()
        for key, value in new_spec.items()
    ]
    step = "  "
    block = [
        f"{indent}{parameter}:  # narrowed by sweepkit lr-find: {decades:g} decade(s) each side of {center:.3g}, within the old range",
        *(f"{indent}{step}{line}" for line in body),
    ]
    new_lines = lines[:start] + block + lines[end:]
    return "\n".join(new_lines) + ("\n" if text.endswith("\n") else ""), new_spec


def write_narrowed_sweep(
    in_path: str | Path, out_path: str | Path, center: float, *, parameter: str = "lr", decades: float = 1.0
) -> dict[str, Any]:
    """Writes a copy of a sweep YAML with the learning rate narrowed, checked by sweepkit's validator.

    Returns:
        The new spec of the parameter.

    Raises:
        SweepEditError: The parameter cannot be narrowed.
        ConfigError: The result does not validate (it is not written).
    """
    import tempfile

    from sweepkit.config import load_config

    text, spec = narrow_sweep_text(Path(in_path).read_text(), center, parameter=parameter, decades=decades)
    out_path = Path(out_path)
    with tempfile.TemporaryDirectory() as scratch:
        candidate = Path(scratch) / out_path.name
        candidate.write_text(text)
        load_config(candidate)  # every problem at once, before anything is written
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(text)
    return spec


@click.command("lr-find", context_settings={"ignore_unknown_options": True, "help_option_names": ["-h", "--help"]})
@click.option("--min-lr", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_MIN_LR, show_default=True, help="First learning rate.")
@click.option("--max-lr", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_MAX_LR, show_default=True, help="Last learning rate.")
@click.option("--steps", type=click.IntRange(min=2), default=DEFAULT_STEPS, show_default=True, help="Batches from --min-lr to --max-lr.")
@click.option("--png", type=click.Path(dir_okay=False), default="lr_find.png", show_default=True, help="Where the loss-against-lr plot goes.")
@click.option("--write-sweep", "sweep_in", type=click.Path(dir_okay=False, exists=True), help="A sweep YAML to copy with a narrower lr range.")
@click.option("--out", "sweep_out", type=click.Path(dir_okay=False), help="Where --write-sweep writes the copy.")
@click.option("--parameter", default="lr", show_default=True, help="The sweep parameter to narrow.")
@click.option("--json", "as_json", is_flag=True, help="Print the curve and suggestions as JSON.")
@click.argument("train_args", nargs=-1, type=click.UNPROCESSED)
def lr_find_command(
    min_lr: float,
    max_lr: float,
    steps: int,
    png: str,
    sweep_in: str | None,
    sweep_out: str | None,
    parameter: str,
    as_json: bool,
    train_args: tuple[str, ...],
) -> None:
    """Learning-rate range test on train.py's model and data; TRAIN_ARGS are train.py's (--dataset=digits ...)."""
    from sweepkit import hyperparameters

    if (sweep_in is None) != (sweep_out is None):
        raise click.UsageError("give --write-sweep IN.yaml and --out OUT.yaml together")
    if max_lr <= min_lr:
        raise click.UsageError(f"--max-lr={max_lr:g} must be greater than --min-lr={min_lr:g}")
    cli = hyperparameters.parse_args(list(train_args), prog="sweepkit lr-find")
    hp = hyperparameters.resolve(cli, {})
    result = lr_find(hp, min_lr=min_lr, max_lr=max_lr, num_steps=steps, png=png)
    spec = None
    if sweep_in is not None and sweep_out is not None:
        if result.suggested_lr is None:
            raise click.ClickException(f"the range test gave no suggestion ({result.stop_reason}); the sweep was not written")
        spec = write_narrowed_sweep(sweep_in, sweep_out, result.suggested_lr, parameter=parameter)
    if as_json:
        click.echo(json.dumps({**result.to_json(), "png": png, "sweep": sweep_out, "spec": spec}))
        return

    def show(value: float | None) -> str:
        return "-" if value is None else f"{value:.3g}"

    click.echo(f"range test: {len(result.lrs)} batches, {min_lr:g} to {max_lr:g}; stopped: {result.stop_reason}")
    click.echo(f"steepest descent of the smoothed loss: lr = {show(result.steepest_lr)}")
    click.echo(f"minimum of the smoothed loss / 10:     lr = {show(result.min_lr_over_10)} (minimum at {show(result.lr_at_minimum)})")
    click.echo(f"plot: {png}")
    if spec is not None:
        click.echo(f"wrote {sweep_out}: {parameter} = {json.dumps(spec)}")
