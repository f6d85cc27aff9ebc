"""The parameter distributions of a W&B sweep: one small class per distribution.

Each class knows the YAML keys it accepts (:attr:`Distribution.keys`), how to
check them (:meth:`Distribution.spec_problems`), how to sample, how to map a
value to the unit interval and back (for the GP of the bayes search) and which
values a grid search walks. Sampling follows W&B's engine (``sweeps`` 0.2.0,
``sweeps/params.py``): every numeric value is the inverse CDF of a uniform
draw, quantized ones are ``round(x / q) * q`` (an ``int`` when ``q`` is an
integer in the YAML) and grid values are W&B's, so a sweep explores the same
space online and offline.

Example:
    >>> import numpy as np
    >>> dist = from_spec({"distribution": "log_uniform_values", "min": 1e-4, "max": 1e-1})
    >>> [round(v, 6) for v in dist.sample(np.random.default_rng(0), 2)]
    [0.008145, 0.000645]
"""

from __future__ import annotations

import copy
import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any, ClassVar, Collection, Iterable, Mapping

import numpy as np
import yaml

# A uniform draw of exactly 0 or 1 maps to -inf/inf for unbounded distributions;
# clipping the unit value by this much keeps every value finite.
_UNIT_EPSILON = 1e-12

_REQUIRED = object()


@dataclass(frozen=True)
class Key:
    """One key a distribution accepts in a parameter's YAML spec.

    Attributes:
        name: The YAML key.
        kind: ``"number"`` (int or float), ``"integer"``, ``"array"`` (a
            non-empty list), ``"probabilities"`` (a non-empty list of numbers
            >= 0) or ``"any"``.
        default: The value used when the key is absent; required when unset.
        minimum: The value must be >= this.
        exclusive_minimum: The value must be > this.
    """

    name: str
    kind: str
    default: Any = _REQUIRED
    minimum: float | None = None
    exclusive_minimum: float | None = None

    @property
    def required(self) -> bool:
        return self.default is _REQUIRED

    def problem(self, value: Any) -> str | None:
        """Says what is wrong with ``value`` for this key, or None when it is fine."""
        if self.kind == "any":
            return None
        if self.kind in ("array", "probabilities"):
            if not isinstance(value, list) or not value:
                return f"must be a non-empty list, got {value!r}"
            if self.kind == "probabilities":
                bad = [p for p in value if not _is_number(p) or p < 0]
                if bad:
                    return f"must be numbers >= 0, got {bad[0]!r}"
            return None
        if self.kind == "integer" and not _is_int(value):
            hint = f" (write {int(value)})" if _is_number(value) and float(value).is_integer() else ""
            return f"must be an integer, got {value!r}{hint}"
        if not _is_number(value):
            return f"must be a number, got {value!r}"
        if not math.isfinite(value):
            return f"must be finite, got {value!r}"
        if self.minimum is not None and value < self.minimum:
            return f"must be >= {self.minimum}, got {value!r}"
        if self.exclusive_minimum is not None and value <= self.exclusive_minimum:
            return f"must be > {self.exclusive_minimum}, got {value!r}"
        return None


def _is_int(value: Any) -> bool:
    # YAML booleans are Python ints; W&B's schema (JSON) does not count them as numbers.
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _identity_key(value: Any) -> str:
    """A key that tells values apart the way W&B's grid does (by their YAML dump).

    Python equality would merge ``1``, ``1.0`` and ``True``; W&B keeps them apart.
    """
    return yaml.safe_dump(value, default_flow_style=True, sort_keys=True)


class Distribution(ABC):
    """One parameter's distribution, built from its YAML spec.

    Attributes:
        name: W&B's name of the distribution (the ``distribution:`` value).
        keys: The YAML keys the distribution accepts besides ``distribution``.
        is_categorical: True when values are not ordered numbers (categorical,
            categorical_w_probabilities, constant).
    """

    name: ClassVar[str]
    keys: ClassVar[tuple[Key, ...]] = ()
    is_categorical: ClassVar[bool] = False

    @classmethod
    def spec_problems(cls, spec: Mapping[str, Any]) -> list[tuple[str, str]]:
        """Checks a parameter's YAML spec for this distribution.

        Args:
            spec: The parameter's YAML mapping.

        Returns:
            ``(key, message)`` pairs, one per problem; ``key`` is ``""`` when
            the problem is about the parameter as a whole. Empty when the spec
            is fine.
        """
        problems: list[tuple[str, str]] = []
        known = {key.name: key for key in cls.keys}
        for name in spec:
            if name == "distribution" or name in known:
                continue
            problems.append((str(name), cls._unknown_key_message(str(name), known)))
        for key in cls.keys:
            if key.name not in spec:
                if key.required:
                    problems.append((key.name, f"is required for distribution {cls.name}"))
                continue
            message = key.problem(spec[key.name])
            if message:
                problems.append((key.name, message))
        if not problems:
            problems.extend(cls._relation_problems(cls._filled(spec)))
        return problems

    @classmethod
    def _unknown_key_message(cls, name: str, known: Mapping[str, Key]) -> str:
        accepted = ", ".join(["distribution", *known])
        message = f"is not a key of distribution {cls.name} (it takes {accepted})"
        close = get_close_matches(name, ["distribution", *known], n=1, cutoff=0.6)
        if close:
            message += f"; did you mean `{close[0]}`?"
        else:
            owners = [d.name for d in _REGISTRY.values() if any(k.name == name for k in d.keys)]
            if owners:
                message += f"; `{name}` belongs to {', '.join(owners[:4])}"
        return message

    @classmethod
    def _relation_problems(cls, spec: Mapping[str, Any]) -> list[tuple[str, str]]:
        """Problems between keys (min < max, ...); the keys are known to be well typed."""
        return []

    @classmethod
    def _filled(cls, spec: Mapping[str, Any]) -> dict[str, Any]:
        values = {key.name: key.default for key in cls.keys if not key.required}
        values.update({k: v for k, v in spec.items() if k != "distribution"})
        return values

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> Distribution:
        """Builds the distribution from a parameter's YAML spec.

        Called on the base class, the distribution is looked up by the spec's
        ``distribution`` key (inferred like W&B when absent).

        Raises:
            ValueError: The spec is not valid; the message lists every problem.
        """
        if cls is Distribution:
            return distribution_class(spec).from_spec(spec)
        problems = cls.spec_problems(spec)
        if problems:
            details = "; ".join(f"{key}: {message}" if key else message for key, message in problems)
            raise ValueError(f"invalid {cls.name} parameter {dict(spec)!r}: {details}")
        return cls(**cls._filled(spec))

    @abstractmethod
    def sample(self, rng: np.random.Generator, size: int) -> list:
        """Draws ``size`` values as plain Python values (int, float, str, ...)."""

    @abstractmethod
    def to_unit(self, value: Any) -> float:
        """Maps a value to [0, 1] through the distribution's CDF (for the GP)."""

    @abstractmethod
    def from_unit(self, u: float) -> Any:
        """The value at ``u`` in [0, 1]: the inverse of :meth:`to_unit`."""

    @property
    def categories(self) -> tuple | None:
        """The values of a categorical distribution, in YAML order; None otherwise."""
        return None

    def grid_values(self) -> list | None:
        """The values a grid search walks, or None when grid does not allow it."""
        return None

    def cardinality(self) -> int | None:
        """The number of distinct values when finite, else None."""
        return None

    def __repr__(self) -> str:
        fields = ", ".join(f"{key.name}={getattr(self, key.name)!r}" for key in self.keys)
        return f"{type(self).__name__}({fields})"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and repr(self) == repr(other)

    def __hash__(self) -> int:
        return hash(repr(self))


# ---------------------------------------------------------------- categorical


class Constant(Distribution):
    """A single value (``value:``)."""

    name = "constant"
    keys = (Key("value", "any"),)
    is_categorical = True

    def __init__(self, value: Any) -> None:
        self.value = value

    @property
    def categories(self) -> tuple:
        return (self.value,)

    def sample(self, rng: np.random.Generator, size: int) -> list:
        # Copies, so a caller that changes one run's list value changes no other run.
        return [copy.deepcopy(self.value) for _ in range(size)]

    def to_unit(self, value: Any) -> float:
        return 0.5

    def from_unit(self, u: float) -> Any:
        return copy.deepcopy(self.value)

    def grid_values(self) -> list:
        return [copy.deepcopy(self.value)]

    def cardinality(self) -> int:
        return 1


class Categorical(Distribution):
    """One of ``values``, each equally likely."""

    name = "categorical"
    keys = (Key("values", "array"),)
    is_categorical = True

    def __init__(self, values: list) -> None:
        self.values = list(values)
        self._index = {}
        for index, value in enumerate(self.values):
            self._index.setdefault(_identity_key(value), index)

    @property
    def categories(self) -> tuple:
        return tuple(self.values)

    def _probabilities(self) -> np.ndarray:
        return np.full(len(self.values), 1.0 / len(self.values))

    def sample(self, rng: np.random.Generator, size: int) -> list:
        return [self.from_unit(u) for u in rng.random(size)]

    def index_of(self, value: Any) -> int:
        """The position of ``value`` in ``values`` (the first one when repeated).

        Raises:
            ValueError: ``value`` is not one of the values.
        """
        try:
            return self._index[_identity_key(value)]
        except KeyError:
            raise ValueError(f"{value!r} is not one of the values {self.values!r}") from None

    def to_unit(self, value: Any) -> float:
        # The middle of the value's slice of the CDF, so from_unit finds it again.
        cdf = np.cumsum(self._probabilities())
        index = self.index_of(value)
        low = cdf[index - 1] if index else 0.0
        return float((low + cdf[index]) / 2)

    def from_unit(self, u: float) -> Any:
        cdf = np.cumsum(self._probabilities())
        # The first value whose CDF exceeds u, as W&B's sampler picks it. The
        # probabilities may sum to 1 - 1e-9, hence the clip to the last value.
        index = min(int(np.searchsorted(cdf, u, side="right")), len(self.values) - 1)
        return copy.deepcopy(self.values[index])

    def grid_values(self) -> list:
        # W&B's grid skips a combination it has produced before, so a repeated
        # value is visited once.
        return [copy.deepcopy(self.values[index]) for index in sorted(set(self._index.values()))]

    def cardinality(self) -> int:
        return len(self._index)


class CategoricalWithProbabilities(Categorical):
    """One of ``values``, drawn with the given ``probabilities``."""

    name = "categorical_w_probabilities"
    keys = (Key("values", "array"), Key("probabilities", "probabilities"))

    def __init__(self, values: list, probabilities: list) -> None:
        super().__init__(values)
        self.probabilities = [float(p) for p in probabilities]

    @classmethod
    def _relation_problems(cls, spec: Mapping[str, Any]) -> list[tuple[str, str]]:
        values, probabilities = spec["values"], spec["probabilities"]
        if len(values) != len(probabilities):
            return [
                (
                    "probabilities",
                    f"has {len(probabilities)} entries but values has {len(values)}; "
                    "give one probability per value",
                )
            ]
        total = sum(probabilities)
        # W&B's test: np.isclose(sum, 1.0).
        if not np.isclose(total, 1.0):
            return [("probabilities", f"sum to {total:g}, they must sum to 1")]
        return []

    def _probabilities(self) -> np.ndarray:
        return np.asarray(self.probabilities, dtype=float)

    def grid_values(self) -> None:
        # W&B's grid refuses probabilities: a grid visits every value once.
        return None

    def cardinality(self) -> int:
        return len({key for key, index in self._index.items() if self.probabilities[index] > 0})


# ---------------------------------------------------------------- integers


class IntUniform(Distribution):
    """An integer from ``min`` to ``max``, both included, each equally likely."""

    name = "int_uniform"
    keys = (Key("min", "integer"), Key("max", "integer"))

    def __init__(self, min: int, max: int) -> None:  # noqa: A002 - W&B's key names
        self.min = int(min)
        self.max = int(max)

    @classmethod
    def _relation_problems(cls, spec: Mapping[str, Any]) -> list[tuple[str, str]]:
        return _min_below_max(spec)

    def sample(self, rng: np.random.Generator, size: int) -> list:
        return [int(v) for v in rng.integers(self.min, self.max + 1, size)]

    def to_unit(self, value: Any) -> float:
        # The middle of the integer's equal share of [0, 1].
        return float(np.clip((float(value) - self.min + 0.5) / (self.max - self.min + 1), 0.0, 1.0))

    def from_unit(self, u: float) -> int:
        count = self.max - self.min + 1
        return int(np.clip(self.min + math.floor(u * count), self.min, self.max))

    def grid_values(self) -> list:
        return list(range(self.min, self.max + 1))

    def cardinality(self) -> int:
        return self.max - self.min + 1


# ---------------------------------------------------------------- continuous


class Continuous(Distribution):
    """A distribution on real numbers given by its CDF and inverse CDF (PPF).

    Subclasses define ``_cdf``/``_ppf`` on numpy arrays, and ``bounds``. A
    quantized subclass sets ``quantized = True`` and has a ``q`` attribute.
    """

    quantized: ClassVar[bool] = False

    @property
    def bounds(self) -> tuple[float, float]:
        """The smallest and largest value before quantization."""
        return (-math.inf, math.inf)

    @abstractmethod
    def _cdf(self, x: np.ndarray) -> np.ndarray: ...

    @abstractmethod
    def _ppf(self, u: np.ndarray) -> np.ndarray: ...

    def _values(self, u: np.ndarray) -> list:
        low, high = self.bounds
        u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
        x = self._ppf(np.clip(u, _UNIT_EPSILON, 1 - _UNIT_EPSILON))
        # A finite bound is reached exactly at u = 0 or 1 (a search pinned to the
        # edge suggests dropout 0.0, not 5e-13).
        if np.isfinite(low):
            x = np.where(u <= _UNIT_EPSILON, low, x)
        if np.isfinite(high):
            x = np.where(u >= 1 - _UNIT_EPSILON, high, x)
        x = np.clip(x, low, high)
        if not self.quantized:
            return [float(v) for v in x]
        q = self.q
        rounded = np.round(x / q) * q
        # W&B returns ints when q is an int in the YAML, floats otherwise.
        if _is_int(q):
            return [int(v) for v in rounded]
        return [float(v) for v in rounded]

    def sample(self, rng: np.random.Generator, size: int) -> list:
        return self._values(rng.random(size))

    def to_unit(self, value: Any) -> float:
        return float(np.clip(self._cdf(np.asarray(float(value))), 0.0, 1.0))

    def from_unit(self, u: float) -> Any:
        return self._values(np.asarray([u]))[0]

    def cardinality(self) -> int | None:
        low, high = self.bounds
        if not self.quantized or not (math.isfinite(low) and math.isfinite(high)):
            return None
        # Every multiple of q between the rounded bounds is reachable.
        return int(np.round(high / self.q) - np.round(low / self.q)) + 1


def _min_below_max(spec: Mapping[str, Any]) -> list[tuple[str, str]]:
    if spec["min"] >= spec["max"]:
        return [("min", f"{spec['min']!r} must be less than max {spec['max']!r}")]
    return []


_Q = Key("q", "number", default=1.0, exclusive_minimum=0)


class _Bounded(Continuous):
    """Distributions with ``min``/``max`` keys."""

    keys: ClassVar[tuple[Key, ...]] = (Key("min", "number"), Key("max", "number"))

    def __init__(self, min: float, max: float, q: float | None = None) -> None:  # noqa: A002
        self.min = min
        self.max = max
        if q is not None:
            self.q = q

    @classmethod
    def _relation_problems(cls, spec: Mapping[str, Any]) -> list[tuple[str, str]]:
        return _min_below_max(spec)


class Uniform(_Bounded):
    """A real number between ``min`` and ``max``."""

    name = "uniform"

    @property
    def bounds(self) -> tuple[float, float]:
        return (float(self.min), float(self.max))

    def _cdf(self, x: np.ndarray) -> np.ndarray:
        return (x - self.min) / (self.max - self.min)

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        return self.min + u * (self.max - self.min)


class QUniform(Uniform):
    """``round(uniform(min, max) / q) * q``."""

    name = "q_uniform"
    keys = (*_Bounded.keys, _Q)
    quantized = True

    def grid_values(self) -> list:
        # W&B's rule, max excluded, float steps as numpy makes them
        # (0.1, 0.2, 0.30000000000000004): online and offline grids agree.
        return np.arange(self.min, self.max, self.q).tolist()


class LogUniform(_Bounded):
    """``exp(uniform(min, max))``: ``min`` and ``max`` are base-e exponents."""

    name = "log_uniform"

    def _log_bounds(self) -> tuple[float, float]:
        return (float(self.min), float(self.max))

    @property
    def bounds(self) -> tuple[float, float]:
        low, high = self._log_bounds()
        return (math.exp(low), math.exp(high))

    def _cdf(self, x: np.ndarray) -> np.ndarray:
        low, high = self._log_bounds()
        with np.errstate(divide="ignore", invalid="ignore"):
            return (np.log(x) - low) / (high - low)

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        low, high = self._log_bounds()
        return np.exp(low + u * (high - low))


class LogUniformValues(LogUniform):
    """A value between ``min`` and ``max`` whose logarithm is uniform."""

    name = "log_uniform_values"
    keys = (Key("min", "number", exclusive_minimum=0), Key("max", "number"))

    @property
    def bounds(self) -> tuple[float, float]:
        # The values as written: exp(log(1e-5)) is 9.999999999999997e-06.
        return (float(self.min), float(self.max))

    def _log_bounds(self) -> tuple[float, float]:
        return (math.log(self.min), math.log(self.max))


class QLogUniform(LogUniform):
    """``round(exp(uniform(min, max)) / q) * q``."""

    name = "q_log_uniform"
    keys = (*_Bounded.keys, _Q)
    quantized = True


class QLogUniformValues(LogUniformValues):
    """``round(log_uniform_values(min, max) / q) * q``."""

    name = "q_log_uniform_values"
    keys = (*LogUniformValues.keys, _Q)
    quantized = True


class InvLogUniform(LogUniform):
    """``exp(-uniform(min, max))``: values between ``exp(-max)`` and ``exp(-min)``.

    Its logarithm is uniform, like log_uniform's; W&B keeps both names.
    """

    name = "inv_log_uniform"

    def _log_bounds(self) -> tuple[float, float]:
        return (-float(self.max), -float(self.min))


class InvLogUniformValues(LogUniformValues):
    """``1 / x`` for x log-uniform between ``1/max`` and ``1/min``: values in [min, max].

    W&B samples it as ``exp(-uniform(-log(max), -log(min)))``, which is again
    log-uniform between ``min`` and ``max``.
    """

    name = "inv_log_uniform_values"


class Normal(Continuous):
    """A normal distribution with mean ``mu`` and standard deviation ``sigma``."""

    name = "normal"
    keys: ClassVar[tuple[Key, ...]] = (
        Key("mu", "number", default=0.0),
        # W&B allows sigma 0, which makes its sampler return NaN.
        Key("sigma", "number", default=1.0, exclusive_minimum=0),
    )

    def __init__(self, mu: float = 0.0, sigma: float = 1.0, q: float | None = None) -> None:
        self.mu = mu
        self.sigma = sigma
        if q is not None:
            self.q = q

    def _cdf(self, x: np.ndarray) -> np.ndarray:
        from scipy.special import ndtr  # scipy is slow to import; only normals need it

        return ndtr((x - self.mu) / self.sigma)

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        from scipy.special import ndtri

        return self.mu + self.sigma * ndtri(u)


class QNormal(Normal):
    """``round(normal(mu, sigma) / q) * q``."""

    name = "q_normal"
    keys = (*Normal.keys, _Q)
    quantized = True


class LogNormal(Normal):
    """``exp(normal(mu, sigma))``."""

    name = "log_normal"

    @property
    def bounds(self) -> tuple[float, float]:
        return (0.0, math.inf)

    def _cdf(self, x: np.ndarray) -> np.ndarray:
        from scipy.special import ndtr

        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(x > 0, ndtr((np.log(np.maximum(x, 1e-300)) - self.mu) / self.sigma), 0.0)

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        from scipy.special import ndtri

        # scipy's lognorm.ppf, which W&B calls: exp(sigma * z) * exp(mu).
        return np.exp(self.sigma * ndtri(u)) * math.exp(self.mu)


class QLogNormal(LogNormal):
    """``round(exp(normal(mu, sigma)) / q) * q``."""

    name = "q_log_normal"
    keys = (*Normal.keys, _Q)
    quantized = True


class Beta(Continuous):
    """A beta distribution on [0, 1] with shapes ``a`` and ``b``."""

    name = "beta"
    keys: ClassVar[tuple[Key, ...]] = (
        # W&B allows 0, which scipy's beta rejects (its sampler returns NaN).
        Key("a", "number", default=1, exclusive_minimum=0),
        Key("b", "number", default=1, exclusive_minimum=0),
    )

    def __init__(self, a: float = 1, b: float = 1, q: float | None = None) -> None:
        self.a = a
        self.b = b
        if q is not None:
            self.q = q

    @property
    def bounds(self) -> tuple[float, float]:
        return (0.0, 1.0)

    def _cdf(self, x: np.ndarray) -> np.ndarray:
        from scipy.special import betainc

        return betainc(self.a, self.b, np.clip(x, 0.0, 1.0))

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        from scipy.special import betaincinv

        return betaincinv(self.a, self.b, u)


class QBeta(Beta):
    """``round(beta(a, b) / q) * q``."""

    name = "q_beta"
    keys = (*Beta.keys, _Q)
    quantized = True


_REGISTRY: dict[str, type[Distribution]] = {
    cls.name: cls
    for cls in (
        Constant,
        Categorical,
        CategoricalWithProbabilities,
        IntUniform,
        Uniform,
        QUniform,
        LogUniform,
        LogUniformValues,
        QLogUniform,
        QLogUniformValues,
        InvLogUniform,
        InvLogUniformValues,
        Normal,
        QNormal,
        LogNormal,
        QLogNormal,
        Beta,
        QBeta,
    )
}

#: W&B's distribution names, in the order of W&B's documentation.
DISTRIBUTION_NAMES: tuple[str, ...] = tuple(_REGISTRY)

#: The distributions W&B's grid search accepts.
GRID_DISTRIBUTIONS: tuple[str, ...] = ("constant", "categorical", "int_uniform", "q_uniform")


def registry() -> Mapping[str, type[Distribution]]:
    """W&B's distribution names mapped to their classes (a copy)."""
    return dict(_REGISTRY)


def infer_distribution(spec: Mapping[str, Any]) -> str:
    """The distribution of a parameter spec, inferred like W&B when ``distribution`` is absent.

    W&B's rules (its schema's anyOf, first match wins): ``values`` with
    ``probabilities`` -> categorical_w_probabilities, ``values`` ->
    categorical, ``value`` -> constant, ``min``/``max`` both integers ->
    int_uniform, otherwise ``min``/``max`` (one a float) -> uniform.

    Raises:
        ValueError: Nothing in the spec says which distribution it is.
    """
    if "distribution" in spec:
        return str(spec["distribution"])
    if "values" in spec:
        return "categorical_w_probabilities" if "probabilities" in spec else "categorical"
    if "value" in spec:
        return "constant"
    if "min" in spec or "max" in spec:
        bounds = [spec[key] for key in ("min", "max") if key in spec]
        return "int_uniform" if all(_is_int(bound) for bound in bounds) else "uniform"
    raise ValueError(
        f"cannot tell the distribution of {dict(spec)!r}: add `distribution:` "
        "(one of " + ", ".join(DISTRIBUTION_NAMES) + "), `values:`, `value:` or `min:`/`max:`"
    )


def distribution_class(spec: Mapping[str, Any]) -> type[Distribution]:
    """The class of a parameter spec's distribution.

    Raises:
        ValueError: The distribution is unknown or cannot be inferred.
    """
    name = infer_distribution(spec)
    try:
        return _REGISTRY[name]
    except KeyError:
        close = get_close_matches(name, DISTRIBUTION_NAMES, n=1, cutoff=0.6)
        hint = f"did you mean `{close[0]}`?" if close else "use one of " + ", ".join(DISTRIBUTION_NAMES)
        raise ValueError(f"unknown distribution {name!r}; {hint}") from None


def from_spec(spec: Mapping[str, Any]) -> Distribution:
    """Builds the distribution of one parameter's YAML spec (see :meth:`Distribution.from_spec`)."""
    return Distribution.from_spec(spec)


@dataclass(frozen=True)
class Parameter:
    """One swept parameter.

    Attributes:
        path: Its keys from the top of ``parameters:``, ``("optimizer", "beta1")``
            for a parameter nested under ``optimizer``.
        distribution: Its distribution.
    """

    path: tuple[str, ...]
    distribution: Distribution

    @property
    def name(self) -> str:
        """The dotted path, ``"optimizer.beta1"``, for messages and tables."""
        return ".".join(self.path)


def is_nested(spec: Any) -> bool:
    """True when a parameter spec holds further parameters (``parameters:``) instead of a distribution."""
    return isinstance(spec, Mapping) and "parameters" in spec


def parameters_of(config: Mapping[str, Any]) -> list[Parameter]:
    """The parameters of a sweep config, nested ones flattened, in YAML order.

    Args:
        config: A sweep config (the mapping with ``parameters:``), assumed valid.

    Raises:
        ValueError: A parameter spec is not valid.
    """

    def walk(specs: Mapping[str, Any], prefix: tuple[str, ...]) -> Iterable[Parameter]:
        for name, spec in specs.items():
            path = (*prefix, str(name))
            if is_nested(spec):
                yield from walk(spec["parameters"], path)
            else:
                yield Parameter(path, Distribution.from_spec(spec))

    return list(walk(config.get("parameters") or {}, ()))


def flatten(
    params: Mapping[str, Any], leaves: Collection[tuple[str, ...]] | None = None
) -> dict[tuple[str, ...], Any]:
    """Turns nested parameter values into ``{path: value}``.

    Args:
        params: Values, nested parameters as nested dicts
            (``{"optimizer": {"beta1": 0.9}}``).
        leaves: The parameter paths (``[p.path for p in parameters_of(config)]``).
            When given, a dict-valued parameter stays one value; otherwise every
            mapping is descended into.

    Returns:
        ``{("optimizer", "beta1"): 0.9}``.
    """
    flat: dict[tuple[str, ...], Any] = {}

    def walk(values: Mapping[str, Any], prefix: tuple[str, ...]) -> None:
        for name, value in values.items():
            path = (*prefix, name)
            is_leaf = path in leaves if leaves is not None else not isinstance(value, Mapping)
            if is_leaf or not isinstance(value, Mapping):
                flat[path] = value
            else:
                walk(value, path)

    walk(params, ())
    return flat


def nest(flat: Mapping[tuple[str, ...], Any]) -> dict:
    """The inverse of :func:`flatten`: ``{("a", "b"): 1}`` -> ``{"a": {"b": 1}}``.

    Raises:
        ValueError: One path is a prefix of another (a value and a group at once).
    """
    nested: dict = {}
    for path, value in flat.items():
        node = nested
        for depth, key in enumerate(path[:-1]):
            child = node.setdefault(key, {})
            if not isinstance(child, dict):
                raise ValueError(f"{'.'.join(path[: depth + 1])} is both a value and a group of parameters")
            node = child
        if path[-1] in node:
            raise ValueError(f"{'.'.join(path)} is both a value and a group of parameters")
        node[path[-1]] = value
    return nested
