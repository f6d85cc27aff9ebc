"""The parameter distributions, checked against W&B's sampler in ``sweeps`` 0.2.0.

The statistical tests draw 5,000 values from sweepkit and 5,000 from W&B's
sampling code (``HyperParameter.ppf`` of uniform draws, which is what its
``sample()`` does one value at a time) with fixed seeds, so every p-value is
the same on every run. ``P_THRESHOLD`` is far below what two samples of one
distribution give, and far above what the negative controls give.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from typing import Any

import numpy as np
import pytest
import scipy.stats as stats

from sweepkit.distributions import (
    DISTRIBUTION_NAMES,
    Continuous,
    GRID_DISTRIBUTIONS,
    Distribution,
    Parameter,
    flatten,
    from_spec,
    infer_distribution,
    nest,
    parameters_of,
    registry,
)

DRAWS = 5_000
P_THRESHOLD = 1e-4
SWEEPKIT_SEED = 20240601
WANDB_SEED = 7

# One spec per distribution, with bounds that make each one's shape matter.
SPECS: dict[str, dict[str, Any]] = {
    "constant": {"distribution": "constant", "value": "adam"},
    "categorical": {"distribution": "categorical", "values": ["relu", None, True, 1, 1.0, [1, 2]]},
    "categorical_w_probabilities": {
        "distribution": "categorical_w_probabilities",
        "values": ["a", "b", "c"],
        "probabilities": [0.1, 0.3, 0.6],
    },
    "int_uniform": {"distribution": "int_uniform", "min": -3, "max": 9},
    "uniform": {"distribution": "uniform", "min": -1.5, "max": 4},
    "q_uniform": {"distribution": "q_uniform", "min": 1, "max": 20, "q": 4},
    "log_uniform": {"distribution": "log_uniform", "min": -9.2, "max": -2.3},
    "log_uniform_values": {"distribution": "log_uniform_values", "min": 1e-4, "max": 0.1},
    "q_log_uniform": {"distribution": "q_log_uniform", "min": 0, "max": 5, "q": 2},
    "q_log_uniform_values": {"distribution": "q_log_uniform_values", "min": 16, "max": 512, "q": 16},
    "inv_log_uniform": {"distribution": "inv_log_uniform", "min": 0.5, "max": 4},
    "inv_log_uniform_values": {"distribution": "inv_log_uniform_values", "min": 0.01, "max": 2},
    "normal": {"distribution": "normal", "mu": 3, "sigma": 2},
    "q_normal": {"distribution": "q_normal", "mu": 10, "sigma": 4, "q": 0.5},
    "log_normal": {"distribution": "log_normal", "mu": -1, "sigma": 0.7},
    "q_log_normal": {"distribution": "q_log_normal", "mu": 2, "sigma": 1, "q": 1},
    "beta": {"distribution": "beta", "a": 0.6, "b": 2.5},
    "q_beta": {"distribution": "q_beta", "a": 2, "b": 2, "q": 0.05},
}

# W&B's internal type names, as its own fill_parameter reports them.
WANDB_TYPES = {
    "param_single_value": "constant",
    "param_categorical": "categorical",
    "param_categorical_w_probabilities": "categorical_w_probabilities",
    "param_int_uniform": "int_uniform",
    "param_uniform": "uniform",
    "param_quniform": "q_uniform",
    "param_loguniform": "log_uniform",
    "param_loguniform_v2": "log_uniform_values",
    "param_qloguniform": "q_log_uniform",
    "param_qloguniform_v2": "q_log_uniform_values",
    "param_inv_loguniform": "inv_log_uniform",
    "param_inv_loguniform_v2": "inv_log_uniform_values",
    "param_normal": "normal",
    "param_qnormal": "q_normal",
    "param_lognormal": "log_normal",
    "param_qlognormal": "q_log_normal",
    "param_beta": "beta",
    "param_qbeta": "q_beta",
}

UNBOUNDED = {"normal", "q_normal", "log_normal", "q_log_normal"}
CONTINUOUS = sorted(name for name in DISTRIBUTION_NAMES if issubclass(registry()[name], Continuous))


def wandb_parameter(spec: dict[str, Any]) -> Any:
    from sweeps.params import HyperParameter

    return HyperParameter("x", dict(spec))


def plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def wandb_samples(spec: dict[str, Any], seed: int = WANDB_SEED, size: int = DRAWS) -> list:
    """``size`` values from W&B's sampler: its ppf at uniform draws."""
    parameter = wandb_parameter(spec)
    uniforms = np.random.default_rng(seed).uniform(0.0, 1.0, size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if spec["distribution"] in ("categorical_w_probabilities", "constant"):
            # W&B's vectorised path for probabilities picks the wrong index;
            # sample() always takes the scalar path.
            return [plain(parameter.ppf(float(u))) for u in uniforms]
        values = parameter.ppf(uniforms)
    # Categorical and int_uniform give lists (of any values), the others arrays.
    return [plain(value) for value in (values if isinstance(values, list) else np.atleast_1d(values))]


def sweepkit_samples(spec: dict[str, Any], seed: int = SWEEPKIT_SEED, size: int = DRAWS) -> list:
    return from_spec(spec).sample(np.random.default_rng(seed), size)


def frequency_p_value(ours: list, theirs: list) -> float:
    """Chi-square test that two samples of a discrete distribution have the same frequencies."""
    ours_counts, theirs_counts = Counter(map(repr, ours)), Counter(map(repr, theirs))
    keys = sorted(set(ours_counts) | set(theirs_counts))
    table = np.array([[ours_counts[key] for key in keys], [theirs_counts[key] for key in keys]])
    if table.shape[1] == 1:
        return 1.0
    return float(stats.chi2_contingency(table).pvalue)


# ---------------------------------------------------------------- against W&B


def test_registry_has_exactly_wandbs_distributions() -> None:
    from sweeps.config.schema import sweep_config_jsonschema

    definitions = sweep_config_jsonschema["definitions"]
    names = set()
    for ref in definitions["parameter"]["anyOf"]:
        definition = definitions[ref["$ref"].split("/")[-1]]
        for variant in definition.get("anyOf", [definition]):
            names.update(variant.get("properties", {}).get("distribution", {}).get("enum", []))
    assert set(DISTRIBUTION_NAMES) == names == set(SPECS)
    assert all(registry()[name].name == name for name in DISTRIBUTION_NAMES)


@pytest.mark.parametrize("name", DISTRIBUTION_NAMES)
def test_samples_follow_wandbs_distribution(name: str) -> None:
    spec = SPECS[name]
    ours, theirs = sweepkit_samples(spec), wandb_samples(spec)
    assert len(ours) == DRAWS
    # Same Python types as W&B's (ints for an integer q, floats otherwise).
    assert {type(value) for value in ours} == {type(value) for value in theirs}
    distribution = from_spec(spec)
    if distribution.cardinality() is not None:
        assert {repr(value) for value in ours} == {repr(value) for value in theirs}
        assert frequency_p_value(ours, theirs) > P_THRESHOLD
    else:
        assert stats.ks_2samp(ours, theirs).pvalue > P_THRESHOLD


def test_negative_control_log_uniform_read_as_values_is_detected() -> None:
    # A sampler that read log_uniform's exponents as values (the classic mix-up).
    exponents = {"distribution": "log_uniform", "min": 0.0001, "max": 0.1}
    confused = {"distribution": "log_uniform_values", "min": 0.0001, "max": 0.1}
    assert stats.ks_2samp(sweepkit_samples(confused), wandb_samples(exponents)).pvalue < P_THRESHOLD
    # And the other way round, with genuine exponents.
    exponents_as_uniform = {**SPECS["log_uniform"], "distribution": "uniform"}
    assert stats.ks_2samp(sweepkit_samples(SPECS["log_uniform"]), wandb_samples(exponents_as_uniform)).pvalue < P_THRESHOLD


def test_negative_controls_for_subtler_mistakes_are_detected() -> None:
    reversed_probabilities = {**SPECS["categorical_w_probabilities"], "probabilities": [0.6, 0.3, 0.1]}
    reference = wandb_samples(SPECS["categorical_w_probabilities"])
    assert frequency_p_value(sweepkit_samples(reversed_probabilities), reference) < P_THRESHOLD
    wider_normal = {**SPECS["normal"], "sigma": 2.5}
    assert stats.ks_2samp(sweepkit_samples(wider_normal), wandb_samples(SPECS["normal"])).pvalue < P_THRESHOLD
    swapped_beta = {**SPECS["beta"], "a": 0.7}
    assert stats.ks_2samp(sweepkit_samples(swapped_beta), wandb_samples(SPECS["beta"])).pvalue < P_THRESHOLD


@pytest.mark.parametrize("name", CONTINUOUS)
def test_unit_mapping_is_wandbs_cdf_and_ppf(name: str) -> None:
    spec = SPECS[name]
    distribution, parameter = from_spec(spec), wandb_parameter(spec)
    units = np.linspace(0.01, 0.99, 25)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected_values = [plain(value) for value in np.atleast_1d(parameter.ppf(units))]
    assert [distribution.from_unit(u) for u in units] == pytest.approx(expected_values, rel=1e-9, abs=1e-12)
    if not distribution.quantized:
        expected_units = parameter.cdf(np.array(expected_values, dtype=float))
        assert [distribution.to_unit(value) for value in expected_values] == pytest.approx(list(expected_units), abs=1e-9)


@pytest.mark.parametrize(
    "spec",
    [
        {"values": [1, 2]},
        {"values": ["a"], "probabilities": [1.0]},
        {"value": 3},
        {"value": None},
        {"min": 1, "max": 5},
        {"min": 1.0, "max": 5.0},
        {"min": 1, "max": 5.0},
        {"min": 1.0, "max": 5},
        {"distribution": "uniform", "min": 1, "max": 5},
        {"distribution": "normal"},
    ],
)
def test_inference_matches_wandb(spec: dict[str, Any]) -> None:
    assert infer_distribution(spec) == WANDB_TYPES[wandb_parameter(spec).type]


def test_inference_without_any_hint_says_what_to_write() -> None:
    with pytest.raises(ValueError, match="add `distribution:`"):
        infer_distribution({"mu": 0})


def wandb_grid(spec: dict[str, Any]) -> list:
    """The values W&B's grid search gives one parameter, in its order."""
    from sweeps.grid_search import grid_search_next_runs

    runs = grid_search_next_runs([], {"method": "grid", "parameters": {"x": dict(spec)}}, n=10_000)
    return [run.config["x"]["value"] for run in runs if run is not None]


@pytest.mark.parametrize(
    "spec",
    [
        {"values": [3, "a", None, [1, 2], 1.0]},
        {"values": [1, 2, 1]},
        {"value": 0.5},
        {"min": -2, "max": 3},
        {"distribution": "q_uniform", "min": 0.1, "max": 0.5, "q": 0.1},
        {"distribution": "q_uniform", "min": 0, "max": 10, "q": 3},
        {"distribution": "q_uniform", "min": 0, "max": 2},
    ],
)
def test_grid_values_are_wandbs(spec: dict[str, Any]) -> None:
    ours = from_spec(spec).grid_values()
    theirs = wandb_grid(spec)
    assert [repr(value) for value in ours] == [repr(value) for value in theirs]


def test_q_uniform_grid_keeps_wandbs_float_steps_and_excludes_max() -> None:
    assert from_spec({"distribution": "q_uniform", "min": 0.1, "max": 0.5, "q": 0.1}).grid_values() == [
        0.1,
        0.2,
        0.30000000000000004,
        0.4,
    ]


@pytest.mark.parametrize("name", DISTRIBUTION_NAMES)
def test_only_wandbs_grid_distributions_have_grid_values(name: str) -> None:
    assert (from_spec(SPECS[name]).grid_values() is not None) == (name in GRID_DISTRIBUTIONS)
    assert set(GRID_DISTRIBUTIONS) == {"constant", "categorical", "int_uniform", "q_uniform"}


# ---------------------------------------------------------------- behaviour


@pytest.mark.parametrize("name", DISTRIBUTION_NAMES)
def test_seeded_sampling_is_reproducible(name: str) -> None:
    distribution = from_spec(SPECS[name])
    first = distribution.sample(np.random.default_rng(3), 200)
    assert first == distribution.sample(np.random.default_rng(3), 200)
    if distribution.cardinality() != 1:
        assert first != distribution.sample(np.random.default_rng(4), 200)


@pytest.mark.parametrize("name", DISTRIBUTION_NAMES)
def test_unit_round_trip(name: str) -> None:
    distribution = from_spec(SPECS[name])
    for value in distribution.sample(np.random.default_rng(11), 300):
        u = distribution.to_unit(value)
        assert 0.0 <= u <= 1.0
        back = distribution.from_unit(u)
        if isinstance(value, float):
            assert back == pytest.approx(value, rel=1e-9, abs=1e-12)
        else:
            assert repr(back) == repr(value)


@pytest.mark.parametrize("name", DISTRIBUTION_NAMES)
def test_from_unit_is_finite_and_ordered_at_the_ends(name: str) -> None:
    distribution = from_spec(SPECS[name])
    ends = [distribution.from_unit(0.0), distribution.from_unit(0.5), distribution.from_unit(1.0)]
    if not distribution.is_categorical:
        assert all(math.isfinite(value) for value in ends)
        assert ends[0] <= ends[1] <= ends[2]
    else:
        assert all(any(repr(value) == repr(category) for category in distribution.categories) for value in ends)


# (low, high) the samples must stay in: the distribution's support, widened
# by q/2 where W&B rounds to multiples of q.
BOUNDS = {
    "int_uniform": (-3, 9),
    "uniform": (-1.5, 4),
    "q_uniform": (0, 20),
    "log_uniform": (math.exp(-9.2), math.exp(-2.3)),
    "log_uniform_values": (1e-4, 0.1),
    "q_log_uniform": (0, math.exp(5) + 1),
    "q_log_uniform_values": (16, 512),
    "inv_log_uniform": (math.exp(-4), math.exp(-0.5)),
    "inv_log_uniform_values": (0.01, 2),
    "log_normal": (0, math.inf),
    "q_log_normal": (0, math.inf),
    "beta": (0, 1),
    "q_beta": (0, 1),
}


@pytest.mark.parametrize("name", DISTRIBUTION_NAMES)
def test_samples_stay_inside_the_support(name: str) -> None:
    distribution = from_spec(SPECS[name])
    values = distribution.sample(np.random.default_rng(5), 20_000)
    if distribution.is_categorical:
        allowed = {repr(value) for value in distribution.categories}
        assert {repr(value) for value in values} <= allowed
        return
    assert all(math.isfinite(value) for value in values)
    if name in BOUNDS:
        low, high = BOUNDS[name]
        assert low <= min(values) and max(values) <= high


@pytest.mark.parametrize(
    "spec, expected",
    [
        ({"values": [1, 1.0, True, "1"]}, 4),  # W&B tells 1, 1.0 and True apart
        ({"values": [1, 2, 1]}, 2),
        ({"value": [1, 2]}, 1),
        ({"min": -3, "max": 3}, 7),
        ({"distribution": "q_uniform", "min": 0, "max": 100, "q": 5}, 21),
        ({"distribution": "q_uniform", "min": 0, "max": 10, "q": 3}, 4),
        ({"distribution": "q_beta", "q": 0.25}, 5),
        ({"distribution": "q_log_uniform_values", "min": 16, "max": 512, "q": 16}, 32),
        ({"distribution": "q_normal"}, None),
        ({"distribution": "uniform", "min": 0, "max": 1}, None),
    ],
)
def test_cardinality(spec: dict[str, Any], expected: int | None) -> None:
    distribution = from_spec(spec)
    assert distribution.cardinality() == expected
    if expected is not None and not distribution.is_categorical:
        # The count is the number of values sampling actually reaches.
        assert len(set(distribution.sample(np.random.default_rng(0), 50_000))) == expected


def test_categorical_attributes() -> None:
    distribution = from_spec({"values": ["a", "b"]})
    assert distribution.is_categorical and distribution.categories == ("a", "b")
    assert from_spec({"value": 2}).categories == (2,)
    assert not from_spec({"min": 0, "max": 2}).is_categorical and from_spec({"min": 0, "max": 2}).categories is None


def test_sampled_mutable_values_are_independent_copies() -> None:
    first, second = from_spec({"value": [1, 2]}).sample(np.random.default_rng(0), 2)
    first.append(3)
    assert second == [1, 2]


@pytest.mark.parametrize(
    "spec, message",
    [
        ({"distribution": "uniform", "min": 2, "max": 1}, "min: 2 must be less than max 1"),
        ({"distribution": "normal", "sigm": 2}, "did you mean `sigma`?"),
        ({"distribution": "uniform", "min": 0, "max": 1, "mu": 0}, "`mu` belongs to normal"),
        ({"distribution": "int_uniform", "min": 1.0, "max": 3}, r"must be an integer, got 1.0 \(write 1\)"),
        ({"distribution": "lognormal"}, "did you mean `log_normal`?"),
        ({"distribution": "q_uniform", "min": 0, "max": 1, "q": 0}, "q: must be > 0"),
    ],
)
def test_bad_specs_are_rejected_with_what_to_write(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Distribution.from_spec(spec)


# ---------------------------------------------------------------- nesting


def test_parameters_are_flattened_in_yaml_order() -> None:
    config = {
        "parameters": {
            "zeta": {"values": [1]},
            "optimizer": {"parameters": {"name": {"value": "adam"}, "schedule": {"parameters": {"warmup": {"min": 0, "max": 3}}}}},
            "alpha": {"min": 0.1, "max": 0.2},
        }
    }
    parameters = parameters_of(config)
    assert [parameter.path for parameter in parameters] == [
        ("zeta",),
        ("optimizer", "name"),
        ("optimizer", "schedule", "warmup"),
        ("alpha",),
    ]
    assert parameters[2] == Parameter(("optimizer", "schedule", "warmup"), from_spec({"min": 0, "max": 3}))
    assert parameters[2].name == "optimizer.schedule.warmup"


def test_flatten_and_nest_are_inverse() -> None:
    values = {"lr": 0.1, "optimizer": {"name": "adam", "schedule": {"warmup": 2}}}
    flat = flatten(values)
    assert flat == {("lr",): 0.1, ("optimizer", "name"): "adam", ("optimizer", "schedule", "warmup"): 2}
    assert nest(flat) == values


def test_flatten_with_leaves_keeps_dict_values_whole() -> None:
    values = {"activation": {"name": "gelu"}, "group": {"units": 3}}
    flat = flatten(values, leaves=[("activation",), ("group", "units")])
    assert flat == {("activation",): {"name": "gelu"}, ("group", "units"): 3}
    assert nest(flat) == values


def test_nest_rejects_a_path_that_is_both_value_and_group() -> None:
    with pytest.raises(ValueError, match="both a value and a group"):
        nest({("a",): 1, ("a", "b"): 2})
    with pytest.raises(ValueError, match="both a value and a group"):
        nest({("a", "b"): 2, ("a",): 1})


@pytest.mark.parametrize(
    "spec, low, high",
    [
        ({"distribution": "uniform", "min": 0.0, "max": 0.5}, 0.0, 0.5),
        ({"distribution": "log_uniform_values", "min": 1e-5, "max": 0.1}, 1e-5, 0.1),
    ],
)
def test_the_edges_of_the_unit_interval_give_the_bounds_exactly(spec, low, high) -> None:
    distribution = from_spec(spec)
    assert distribution.from_unit(0.0) == low  # not 5e-13 or 9.999999999999997e-06
    assert distribution.from_unit(1.0) == high
