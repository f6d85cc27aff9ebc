"""Bayesian optimization: a Gaussian process and expected improvement.

What it does differently from W&B's ``bayes`` (wandb 8149, 2766, 1660):

* Every parameter lives in the unit cube through its distribution
  (``Distribution.to_unit``, so log scales stay log). Categoricals are one-hot
  columns, never an ordered index: the order of ``values`` changes nothing.
* The GP is scikit-learn's ``GaussianProcessRegressor`` with an ARD Matern 5/2
  kernel (one length scale per parameter; a one-hot block shares one, which
  keeps the fit well posed with few runs) times a signal variance, plus a
  ``WhiteKernel`` for noise, on normalized targets. Its hyperparameters are
  fitted by maximum likelihood with a weak log-normal prior on the length
  scales, which keeps fits sane with few runs. Beyond a few hundred runs the
  hyperparameters are fitted on a subset and the GP is conditioned on all runs.
* Expected improvement is maximized over thousands of random candidates,
  perturbations of the best runs and a few rounds of local refinement; ints,
  quantized values and categories are snapped to values that exist, so the
  acquisition is judged at points that can actually run.
* Runs in flight (and earlier suggestions of the same call) are "kriging
  believers": they count as observed at the GP's predicted value, so parallel
  workers get different suggestions.
* Failed, crashed and killed runs are imputed like W&B (``metric.impute``:
  ``worst`` by default, ``best`` or ``latest``); running runs too when
  ``metric.impute_while_running`` names a strategy. A run that logged
  nothing to impute from gets the worst value of the sweep, and is left out
  when no run logged the metric (W&B would use 0).
* The first few suggestions are a space-filling design; the reason says so,
  as it says when the GP fit failed or a length scale sits at its bound. There
  is no silent fallback to random points.
* In a fully discrete space a configuration that already ran is not
  suggested again while unseen ones remain.
* Seeded: same seed and same runs give the same suggestions.
"""

from __future__ import annotations

import copy
import functools
import itertools
import math
import warnings
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
from scipy import optimize
from scipy.stats import norm

from sweepkit.distributions import Parameter, nest
from sweepkit.run import CRASHED, FAILED, FINISHED, KILLED, RUNNING, Run, Suggestion
from sweepkit.search.base import (
    MAXIMIZE,
    SearchMethod,
    best_metric_value,
    freeze,
    is_finite_number,
    is_missing,
    lookup,
    metric_goal,
    metric_history,
)

IMPUTE_WORST = "worst"
IMPUTE_BEST = "best"
IMPUTE_LATEST = "latest"
IMPUTE_STRATEGIES = (IMPUTE_WORST, IMPUTE_BEST, IMPUTE_LATEST)
FAILED_STATES = (FAILED, CRASHED, KILLED)

# Discrete numeric parameters with at most this many values are snapped to
# their exact values while the acquisition is maximized; larger ones are
# treated as continuous and rounded at the end (the rounding error is small).
_MAX_SNAPPED_LEVELS = 64
# Enumerate a fully discrete space to find an unseen point when it is this small.
_MAX_ENUMERATED_POINTS = 20_000
# Beyond this many scored runs the kernel is fitted on a subset (speed).
_MAX_FIT_POINTS = 150
_LENGTH_SCALE_BOUNDS = (1e-2, 1e2)
_NOISE_BOUNDS = (1e-6, 1.0)
_SIGNAL_BOUNDS = (1e-2, 1e2)
# Weak log-normal prior on each length scale: median 0.5 of the unit cube.
_LENGTH_SCALE_PRIOR_MEAN = math.log(0.5)
_LENGTH_SCALE_PRIOR_SD = 1.5


@dataclass(frozen=True)
class _Dimension:
    """One searchable parameter and its columns in the encoded cube."""

    parameter: Parameter
    start: int
    width: int
    categories: tuple | None = None  # distinct values, for one-hot parameters
    levels: np.ndarray | None = None  # unit values that exist, for small discrete parameters

    @property
    def is_categorical(self) -> bool:
        return self.categories is not None


class UnitCube:
    """Maps parameter values to points of the unit cube and back.

    Numeric parameters take one column (``Distribution.to_unit``), categorical
    ones a one-hot block. Constants take none.

    Args:
        parameters: The sweep's parameters.
    """

    def __init__(self, parameters: Sequence[Parameter]) -> None:
        self.order = [p.path for p in parameters]
        self.constants = [p for p in parameters if p.distribution.name == "constant"]
        self.dimensions: list[_Dimension] = []
        start = 0
        for parameter in parameters:
            distribution = parameter.distribution
            if distribution.name == "constant":
                continue
            if distribution.is_categorical:
                categories = _distinct(distribution.categories or ())
                self.dimensions.append(_Dimension(parameter, start, len(categories), categories=categories))
                start += len(categories)
            else:
                self.dimensions.append(_Dimension(parameter, start, 1, levels=_levels(parameter)))
                start += 1
        self.width = start
        self.numeric_columns = np.array([d.start for d in self.dimensions if not d.is_categorical], dtype=int)

    @property
    def is_discrete(self) -> bool:
        """Whether every searchable parameter has finitely many values."""
        return all(d.parameter.distribution.cardinality() is not None for d in self.dimensions)

    def size(self) -> int | None:
        """The number of distinct points when the space is discrete, else None."""
        if not self.is_discrete:
            return None
        return math.prod(d.parameter.distribution.cardinality() for d in self.dimensions)

    def encode(self, params: Mapping[str, Any]) -> np.ndarray | None:
        """The point of a run's params; None when one is missing or not in the space."""
        x = np.zeros(self.width)
        for dimension in self.dimensions:
            value = lookup(params, dimension.parameter.path)
            if is_missing(value):
                return None
            if dimension.is_categorical:
                frozen = freeze(value)
                matches = [i for i, c in enumerate(dimension.categories) if freeze(c) == frozen]
                if not matches:
                    return None
                x[dimension.start + matches[0]] = 1.0
            else:
                try:
                    u = dimension.parameter.distribution.to_unit(value)
                except (TypeError, ValueError):
                    return None
                if not math.isfinite(u):
                    return None
                x[dimension.start] = u
        return x

    def decode(self, x: np.ndarray) -> dict[tuple[str, ...], Any]:
        """The parameter values of a point, constants included, by path."""
        values: dict[tuple[str, ...], Any] = {}
        for dimension in self.dimensions:
            block = x[dimension.start : dimension.start + dimension.width]
            if dimension.is_categorical:
                values[dimension.parameter.path] = copy.deepcopy(dimension.categories[int(np.argmax(block))])
            else:
                values[dimension.parameter.path] = dimension.parameter.distribution.from_unit(float(block[0]))
        for parameter in self.constants:
            values[parameter.path] = parameter.distribution.from_unit(0.5)
        # In YAML order, as the config lists the parameters.
        return {path: values[path] for path in self.order}

    def key(self, values: Mapping[tuple[str, ...], Any]) -> tuple:
        """A hashable identity of decoded values (for "already ran")."""
        return tuple(freeze(values[d.parameter.path]) for d in self.dimensions)

    def snap(self, points: np.ndarray) -> np.ndarray:
        """Moves points onto values that exist: clipped, small discrete levels, one-hot blocks."""
        snapped = np.clip(points, 0.0, 1.0)
        for dimension in self.dimensions:
            columns = slice(dimension.start, dimension.start + dimension.width)
            if dimension.is_categorical:
                winners = np.argmax(snapped[:, columns], axis=1)
                block = np.zeros((len(snapped), dimension.width))
                block[np.arange(len(snapped)), winners] = 1.0
                snapped[:, columns] = block
            elif dimension.levels is not None:
                levels = dimension.levels
                column = snapped[:, dimension.start]
                index = np.clip(np.searchsorted(levels, column), 1, len(levels) - 1)
                below, above = levels[index - 1], levels[index]
                snapped[:, dimension.start] = np.where(column - below <= above - column, below, above)
        return snapped

    def random(self, rng: np.random.Generator, count: int) -> np.ndarray:
        """``count`` points drawn uniformly from the cube (categories uniformly), snapped."""
        points = rng.random((count, self.width))
        return self.snap(points)

    def perturb(self, centers: np.ndarray, scale: float, rng: np.random.Generator) -> np.ndarray:
        """Points near ``centers``: Gaussian steps in numeric columns, occasional category changes."""
        points = centers.copy()
        if len(self.numeric_columns):
            steps = rng.normal(0.0, scale, (len(points), len(self.numeric_columns)))
            points[:, self.numeric_columns] += steps
        categorical = [d for d in self.dimensions if d.is_categorical]
        for dimension in categorical:
            # Change about one categorical parameter per point on average.
            change = rng.random(len(points)) < 1.0 / (len(categorical) + len(self.numeric_columns))
            new = rng.integers(0, dimension.width, len(points))
            columns = slice(dimension.start, dimension.start + dimension.width)
            block = points[:, columns]
            block[change] = 0.0
            block[change, new[change]] = 1.0
            points[:, columns] = block
        return self.snap(points)

    def scaled(self, points: np.ndarray) -> np.ndarray:
        """Points scaled so that changing one category is a distance of 1, like a full numeric range."""
        scaled = points.copy()
        for dimension in self.dimensions:
            if dimension.is_categorical:
                scaled[:, dimension.start : dimension.start + dimension.width] /= math.sqrt(2)
        return scaled

    def enumerate(self) -> np.ndarray | None:
        """Every point of a small discrete space whose values are all snapped exactly, else None."""
        size = self.size()
        if size is None or size > _MAX_ENUMERATED_POINTS:
            return None
        choices = []
        for dimension in self.dimensions:
            if dimension.is_categorical:
                choices.append([("category", i) for i in range(dimension.width)])
            elif dimension.levels is not None:
                choices.append([("unit", u) for u in dimension.levels])
            else:
                return None
        points = np.zeros((size, self.width))
        for row, combination in enumerate(itertools.product(*choices)):
            for dimension, (kind, value) in zip(self.dimensions, combination):
                if kind == "category":
                    points[row, dimension.start + value] = 1.0
                else:
                    points[row, dimension.start] = value
        return points


def _distinct(values: Sequence) -> tuple:
    seen, distinct = set(), []
    for value in values:
        frozen = freeze(value)
        if frozen not in seen:
            seen.add(frozen)
            distinct.append(value)
    return tuple(distinct)


def _levels(parameter: Parameter) -> np.ndarray | None:
    """The unit values of a small discrete numeric parameter's values, sorted; None otherwise."""
    distribution = parameter.distribution
    cardinality = distribution.cardinality()
    if cardinality is None or cardinality > _MAX_SNAPPED_LEVELS:
        return None
    # A fine sweep of the unit interval meets every value whose share of the
    # CDF is wider than the step; narrower ones are left out of the snapping
    # (they can still be suggested through rounding).
    values = {freeze(v): v for v in map(distribution.from_unit, np.linspace(0.0, 1.0, 16 * cardinality + 1))}
    return np.array(sorted({distribution.to_unit(v) for v in values.values()}))


# ------------------------------------------------------------------ scoring


def _impute(strategy: str, run: Run, worst: float | None, metric_name: str, goal: str) -> float | None:
    """A failed run's value under ``metric.impute``; the worst value when the strategy has none."""
    history = metric_history(run, metric_name)
    if strategy == IMPUTE_BEST and history:
        return max(history) if goal == MAXIMIZE else min(history)
    if strategy == IMPUTE_LATEST and history:
        return history[-1]
    return worst


def _worst_value(runs: Sequence[Run], metric_name: str, goal: str) -> float | None:
    """The worst value any finished or failed run logged (W&B's ``worst`` imputation)."""
    worst = None
    for run in runs:
        if not run.is_terminal:
            continue
        values = metric_history(run, metric_name)
        summary_value = run.summary.get(metric_name)
        if is_finite_number(summary_value):
            values.append(float(summary_value))
        if not values:
            continue
        run_worst = min(values) if goal == MAXIMIZE else max(values)
        if worst is None or (run_worst < worst if goal == MAXIMIZE else run_worst > worst):
            worst = run_worst
    return worst


# ------------------------------------------------------------------ the GP


def _expected_improvement(mean: np.ndarray, std: np.ndarray, best: float) -> np.ndarray:
    """EI of minimizing: how much below ``best`` a point is expected to land."""
    std = np.maximum(std, 1e-12)
    z = (best - mean) / std
    return (best - mean) * norm.cdf(z) + std * norm.pdf(z)


def _kernel(cube: UnitCube):
    from sklearn.gaussian_process.kernels import ConstantKernel, WhiteKernel

    columns = tuple(index for index, d in enumerate(cube.dimensions) for _ in range(d.width))
    matern = _parameter_matern()(
        columns=columns, length_scale=np.full(len(cube.dimensions), 0.5), length_scale_bounds=_LENGTH_SCALE_BOUNDS
    )
    return ConstantKernel(1.0, _SIGNAL_BOUNDS) * matern + WhiteKernel(1e-2, _NOISE_BOUNDS)


@functools.lru_cache(maxsize=None)
def _parameter_matern():
    """A Matern 5/2 kernel with one length scale per parameter (a one-hot block shares one).

    scikit-learn's ARD Matern gives every column its own length scale, which
    for a categorical parameter means one per category: more hyperparameters
    than a few dozen runs can fit. Here the columns of a parameter share one.
    Built on first use so that importing this module does not import scikit-learn.
    """
    from sklearn.gaussian_process.kernels import Hyperparameter, Matern

    class ParameterMatern(Matern):
        def __init__(self, columns=(0,), length_scale=1.0, length_scale_bounds=(1e-5, 1e5)):
            super().__init__(length_scale=length_scale, length_scale_bounds=length_scale_bounds, nu=2.5)
            self.columns = columns

        @property
        def hyperparameter_length_scale(self):
            return Hyperparameter("length_scale", "numeric", self.length_scale_bounds, len(np.atleast_1d(self.length_scale)))

        def _per_column(self, bounds) -> Matern:
            scales = np.atleast_1d(self.length_scale)[list(self.columns)]
            return Matern(length_scale=scales, length_scale_bounds=bounds, nu=2.5)

        def __call__(self, X, Y=None, eval_gradient=False):
            if not eval_gradient:
                return self._per_column("fixed")(X, Y)
            K, gradient = self._per_column(self.length_scale_bounds)(X, Y, eval_gradient=True)
            # d/d log(shared scale) is the sum over the columns that share it.
            shared = np.zeros((*gradient.shape[:2], len(np.atleast_1d(self.length_scale))))
            np.add.at(shared, (slice(None), slice(None), np.array(self.columns)), gradient)
            return K, shared

        def diag(self, X):
            return np.ones(X.shape[0])

    return ParameterMatern


def _prior_optimizer(rng: np.random.Generator, restarts: int):
    """An optimizer for scikit-learn's GP: L-BFGS-B on the likelihood plus a length-scale prior.

    The kernel's theta is ``[log signal, log length scales..., log noise]``.
    """

    def minimize(objective, initial_theta: np.ndarray, bounds: np.ndarray) -> tuple[np.ndarray, float]:
        scales = slice(1, len(initial_theta) - 1)

        def penalized(theta: np.ndarray) -> tuple[float, np.ndarray]:
            value, gradient = objective(theta, eval_gradient=True)
            offset = theta[scales] - _LENGTH_SCALE_PRIOR_MEAN
            penalty = 0.5 * np.sum(offset**2) / _LENGTH_SCALE_PRIOR_SD**2
            gradient = np.array(gradient, dtype=float)
            gradient[scales] += offset / _LENGTH_SCALE_PRIOR_SD**2
            return value + penalty, gradient

        starts = [initial_theta] + [rng.uniform(bounds[:, 0], bounds[:, 1]) for _ in range(restarts)]
        best_theta, best_value = initial_theta, math.inf
        for start in starts:
            # Kernel hyperparameters need no more precision than this; it bounds the time per suggestion.
            options = {"maxiter": 80, "ftol": 1e-7}
            result = optimize.minimize(penalized, start, jac=True, method="L-BFGS-B", bounds=bounds, options=options)
            if result.fun < best_value:
                best_theta, best_value = result.x, float(result.fun)
        return best_theta, best_value

    return minimize


@dataclass
class _Model:
    """A fitted GP and what the reason line needs to say about the fit.

    Attributes:
        gp: The fitted regressor.
        y_scale: The standard deviation ``normalize_y`` divided the targets by.
        noise: The white-noise variance in normalized units.
        warnings: Remarks about the fit for the reason line.
    """

    gp: Any
    y_scale: float
    noise: float
    warnings: list[str]

    def conditioned(self, X: np.ndarray, y: np.ndarray) -> _Model:
        """The same kernel conditioned on other data (runs in flight added)."""
        return _Model(_condition(self.gp.kernel_, X, y), _target_scale(y), self.noise, self.warnings)

    def latent(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation of the noise-free function at ``points``."""
        mean, std = self.gp.predict(points, return_std=True)
        # The predictive std includes the white noise; EI wants the function's.
        noise_variance = self.noise * self.y_scale**2
        return mean, np.sqrt(np.maximum(std**2 - noise_variance, 1e-18))


def _target_scale(y: np.ndarray) -> float:
    # normalize_y divides by the standard deviation, or by 1 when it is 0.
    scale = float(np.std(y))
    return scale if scale > 0 else 1.0


def _fit(cube: UnitCube, X: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> _Model:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.gaussian_process import GaussianProcessRegressor

    fit_rows = np.arange(len(X))
    if len(X) > _MAX_FIT_POINTS:
        # The best runs shape the model where it matters; the rest are a random sample.
        best = np.argsort(y)[: _MAX_FIT_POINTS // 4]
        others = np.setdiff1d(fit_rows, best)
        fit_rows = np.concatenate([best, rng.choice(others, _MAX_FIT_POINTS - len(best), replace=False)])
    gp = GaussianProcessRegressor(
        kernel=_kernel(cube),
        normalize_y=True,
        # A second start guards against a poor local optimum while fits are cheap.
        optimizer=_prior_optimizer(rng, restarts=1 if len(fit_rows) <= 50 else 0),
        alpha=1e-8,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gp.fit(X[fit_rows], y[fit_rows])
    kernel = gp.kernel_
    if len(fit_rows) < len(X):
        gp = _condition(kernel, X, y)
    length_scales = np.atleast_1d(kernel.k1.k2.length_scale)
    notes = []
    at_lower = [d.parameter.name for d, scale in zip(cube.dimensions, length_scales) if np.isclose(scale, _LENGTH_SCALE_BOUNDS[0])]
    if at_lower:
        notes.append(f"length scale of {', '.join(at_lower)} at its lower bound (the fit may chase noise)")
    if np.all(np.isclose(length_scales, _LENGTH_SCALE_BOUNDS[1])):
        notes.append("every length scale at its upper bound (the model sees no trend yet)")
    return _Model(gp=gp, y_scale=_target_scale(y), noise=float(kernel.k2.noise_level), warnings=notes)


def _condition(kernel, X: np.ndarray, y: np.ndarray):
    """A GP with a fixed kernel conditioned on (X, y)."""
    from sklearn.gaussian_process import GaussianProcessRegressor

    return GaussianProcessRegressor(kernel=kernel, normalize_y=True, optimizer=None, alpha=1e-8).fit(X, y)


# ------------------------------------------------------------------ search


class BayesSearch(SearchMethod):
    """Bayesian optimization with a GP and expected improvement (``method: bayes``)."""

    name = "bayes"

    def __init__(self, config: Mapping[str, Any], parameters: Sequence[Parameter]) -> None:
        super().__init__(config, parameters)
        metric = config.get("metric") or {}
        if not metric.get("name"):
            raise ValueError("method: bayes needs metric.name (the metric to optimize)")
        self.metric_name = metric["name"]
        self.goal = metric_goal(config)
        self.impute = metric.get("impute") or IMPUTE_WORST
        if self.impute not in IMPUTE_STRATEGIES:
            raise ValueError(f"metric.impute={self.impute!r}: use one of {', '.join(IMPUTE_STRATEGIES)}")
        # W&B's "false" (the default) keeps running runs as runs in flight.
        self.impute_while_running = str(metric.get("impute_while_running", "false")).lower()
        self.cube = UnitCube(self.parameters)
        # A space-filling start: one point per searchable parameter plus one,
        # the least that pins down a trend in each (more wasted budget on the
        # benchmark, fewer gave worse fits).
        self.initial_points = min(10, max(3, len(self.cube.dimensions) + 1))

    def observations(self, runs: Sequence[Run]) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """The GP's data: scored points, their values (smaller is better), points in flight, runs left out."""
        worst = _worst_value(runs, self.metric_name, self.goal)
        scored, values, in_flight, left_out = [], [], [], 0
        for run in runs:
            x = self.cube.encode(run.params)
            if x is None:
                left_out += 1
                continue
            if not run.is_terminal:
                if self.impute_while_running in IMPUTE_STRATEGIES and run.state == RUNNING:
                    # W&B's option: a running run counts as observed at its imputed value.
                    value = _impute(self.impute_while_running, run, worst, self.metric_name, self.goal)
                    if value is not None:
                        scored.append(x)
                        values.append(-value if self.goal == MAXIMIZE else value)
                        continue
                in_flight.append(x)
                continue
            value = None
            if run.state == FINISHED:
                value = best_metric_value(run, self.metric_name, self.goal)
                if value is None:
                    value = _impute(self.impute, run, worst, self.metric_name, self.goal)
            elif run.state in FAILED_STATES:
                value = _impute(self.impute, run, worst, self.metric_name, self.goal)
            if value is None:
                left_out += 1
                continue
            scored.append(x)
            values.append(-value if self.goal == MAXIMIZE else value)
        empty = np.zeros((0, self.cube.width))
        return (
            np.array(scored) if scored else empty,
            np.array(values, dtype=float),
            np.array(in_flight) if in_flight else empty,
            left_out,
        )

    def suggest(self, runs: Sequence[Run], n: int, rng: np.random.Generator) -> list[Suggestion]:
        from threadpoolctl import threadpool_limits

        # The GP's matrices are small (a few hundred rows): BLAS threads cost more
        # than they give, and on a busy machine they make a suggestion 5x slower.
        with threadpool_limits(limits=1, user_api="blas"):
            return self._suggest(runs, n, rng)

    def _suggest(self, runs: Sequence[Run], n: int, rng: np.random.Generator) -> list[Suggestion]:
        X, y, pending, left_out = self.observations(runs)
        seen = {self._run_key(run) for run in runs} - {None}
        suggestions: list[Suggestion] = []
        model: _Model | None = None
        fit_error: str | None = None
        if len(X) >= self.initial_points and self.cube.width:
            try:
                model = _fit(self.cube, X, y, rng)
            except (np.linalg.LinAlgError, ValueError) as error:
                fit_error = f"{type(error).__name__}: {error}"
        for _ in range(n):
            if model is not None:
                point, info, reason = self._by_expected_improvement(model, X, y, pending, seen, rng)
            else:
                point = self._space_filling(np.vstack([X, pending]), seen, rng)
                if fit_error:
                    reason = f"bayes: GP fit failed ({fit_error}); space-filling point instead"
                    info = {"phase": "space-filling", "gp_error": fit_error}
                else:
                    reason = (
                        f"bayes: space-filling point ({len(X)} of {self.initial_points} scored runs "
                        "needed before the GP is used)"
                    )
                    info = {"phase": "space-filling", "scored_runs": len(X), "initial_points": self.initial_points}
            values = self.cube.decode(point)
            key = self.cube.key(values)
            repeat = key in seen
            if repeat:
                reason += "; it repeats a configuration that has run (no unseen one is left)"
            seen.add(key)
            # The suggestion counts as in flight for the next one of this call.
            pending = np.vstack([pending, self.cube.encode(nest(values))])
            info = {**info, "scored_runs": len(X), "runs_in_flight": len(pending) - 1, "runs_left_out": left_out, "repeat": repeat}
            suggestions.append(Suggestion(params=nest(values), reason=reason, info=info))
        return suggestions

    def _run_key(self, run: Run) -> tuple | None:
        if self.cube.encode(run.params) is None:
            return None
        return tuple(freeze(lookup(run.params, d.parameter.path)) for d in self.cube.dimensions)

    def _space_filling(self, known: np.ndarray, seen: set, rng: np.random.Generator) -> np.ndarray:
        """The candidate farthest from every known point (maximin over a modest random pool).

        A small pool keeps the design from crowding into corners, which a
        maximin search over many candidates does.
        """

        def spread(points: np.ndarray) -> np.ndarray:
            if not len(known):
                return np.zeros(len(points))
            differences = self.cube.scaled(points)[:, None, :] - self.cube.scaled(known)[None, :, :]
            return np.linalg.norm(differences, axis=2).min(axis=1)

        candidates = self.cube.random(rng, 100)
        return self._first_unseen(candidates[np.argsort(-spread(candidates), kind="stable")], seen, spread)

    def _first_unseen(self, ranked: np.ndarray, seen: set, score) -> np.ndarray:
        """The first of ``ranked`` that has not run.

        When every one has (a small discrete space), the unseen point of the
        whole space with the best ``score``; when none is left, the first.
        """
        if not self.cube.is_discrete:
            return ranked[0]
        for point in ranked:
            if self.cube.key(self.cube.decode(point)) not in seen:
                return point
        every_point = self.cube.enumerate()
        if every_point is not None:
            unseen = np.array([p for p in every_point if self.cube.key(self.cube.decode(p)) not in seen])
            if len(unseen):
                return unseen[int(np.argmax(score(unseen)))]
        return ranked[0]

    def _by_expected_improvement(
        self, model: _Model, X: np.ndarray, y: np.ndarray, pending: np.ndarray, seen: set, rng: np.random.Generator
    ) -> tuple[np.ndarray, dict, str]:
        believer = model
        if len(pending):
            # Kriging believer: runs in flight count as observed at the predicted value.
            believed = model.gp.predict(pending)
            believer = model.conditioned(np.vstack([X, pending]), np.concatenate([y, believed]))
        incumbent = float(np.min(believer.gp.predict(X)))

        def acquisition(points: np.ndarray) -> np.ndarray:
            mean, std = believer.latent(points)
            return _expected_improvement(mean, std, incumbent)

        candidates = [self.cube.random(rng, 2000)]
        best_rows = X[np.argsort(y)[:5]]
        for scale in (0.02, 0.1):
            candidates.append(self.cube.perturb(np.repeat(best_rows, 100, axis=0), scale, rng))
        points = np.vstack(candidates)
        scores = acquisition(points)
        # Local refinement: a few shrinking rounds of perturbation around the top candidates.
        top = points[np.argsort(-scores)[:5]]
        top_scores = np.sort(scores)[::-1][:5]
        for scale in (0.1, 0.03, 0.01):
            tries = self.cube.perturb(np.repeat(top, 40, axis=0), scale, rng)
            try_scores = acquisition(tries).reshape(len(top), 40)
            winners = np.argmax(try_scores, axis=1)
            better = try_scores[np.arange(len(top)), winners] > top_scores
            top[better] = tries.reshape(len(top), 40, -1)[np.arange(len(top)), winners][better]
            top_scores[better] = try_scores[np.arange(len(top)), winners][better]
        points = np.vstack([top, points])
        scores = np.concatenate([top_scores, scores])
        ranked = points[np.argsort(-scores, kind="stable")]
        point = self.cube.snap(self._first_unseen(ranked, seen, acquisition)[None, :])[0]
        # Judge the point that will run: rounding moves large discrete parameters slightly.
        exact = self.cube.encode(nest(self.cube.decode(point)))
        mean, std = believer.latent(exact[None, :])
        improvement = float(_expected_improvement(mean, std, incumbent)[0])
        sign = -1.0 if self.goal == MAXIMIZE else 1.0
        predicted, spread = sign * float(mean[0]), float(std[0])
        reason = (
            f"bayes: expected improvement {improvement:.4g} at predicted {self.metric_name} "
            f"{predicted:.4g} ± {spread:.3g} (GP on {len(X)} runs, {len(pending)} in flight)"
        )
        if model.warnings:
            reason += "; " + "; ".join(model.warnings)
        kernel = model.gp.kernel_
        info = {
            "phase": "gp",
            "expected_improvement": improvement,
            "predicted_value": predicted,
            "predicted_std": spread,
            "length_scales": {
                d.parameter.name: float(scale)
                for d, scale in zip(self.cube.dimensions, np.atleast_1d(kernel.k1.k2.length_scale))
            },
            "noise": model.noise,
            "gp_warnings": list(model.warnings),
        }
        return exact, info, reason


