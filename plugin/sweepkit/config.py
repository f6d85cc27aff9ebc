"""Loading and checking sweep configs: every problem at once, with its YAML line.

A sweep config is the YAML a user passes to ``wandb sweep`` or ``sweepkit``.
:func:`validate` accepts what W&B accepts (its JSON schema plus the checks its
engine makes when a sweep starts: grid needs discrete parameters, bayes and
hyperband need a metric) with the few differences listed in
:data:`STRICTER_THAN_WANDB`, and says for each problem what to write instead.
:func:`warnings` reports configs W&B runs but that are almost surely not what
the user meant.

The base-e log distributions (log_uniform, inv_log_uniform, q_log_uniform)
are valid, as on W&B's server, and always get a deprecation warning. When
their bounds look like values instead of exponents (``0 < min < max <= 1``,
such as ``min: 0.00001, max: 0.1``, or a bound beyond 50) they are a
problem that suggests the ``*_values`` distribution: W&B's validator rejects
these configs too (it rejects every base-e log distribution as deprecated).

Example:
    >>> problems = validate({"method": "random", "paramters": {}})
    >>> print(problems[0])
    paramters: is not a sweep config key; did you mean `parameters`?
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

import yaml

from sweepkit.distributions import (
    DISTRIBUTION_NAMES,
    GRID_DISTRIBUTIONS,
    distribution_class,
    infer_distribution,
    is_nested,
    registry,
)

#: A path into the config: keys, and list indices for list items.
PathKey = tuple[Any, ...]

METHODS = ("grid", "random", "bayes")
GOALS = ("minimize", "maximize")
IMPUTE = ("latest", "best", "worst")
IMPUTE_WHILE_RUNNING = ("latest", "best", "worst", "false")
CONTROLLER_TYPES = ("local", "cloud")

#: Top-level keys of W&B's schema as shipped in ``sweeps`` 0.2.0.
TOP_LEVEL_KEYS = (
    "method",
    "metric",
    "parameters",
    "early_terminate",
    "program",
    "command",
    "name",
    "description",
    "project",
    "entity",
    "controller",
    "apiVersion",
    "kind",
)

#: Keys W&B accepts today that the schema in ``sweeps`` 0.2.0 (the reference
#: validator installed for tests) predates: it rejects them as unknown. They
#: are in W&B's documentation and in the current schema of github.com/wandb/sweeps.
NEWER_THAN_SWEEPS_0_2_0: dict[str, str] = {
    "run_cap": "maximum number of runs of the sweep, across all agents",
    "job": "W&B Launch job to run (Launch only; sweepkit runs program/command)",
    "image_uri": "container image for W&B Launch (Launch only)",
    "metric.impute_while_running": "value bayes uses for running runs (W&B default: false)",
    # W&B's current schema fills in `strict: true` when it is absent.
    "early_terminate.strict": "judge a run by its value at the bracket, not its best so far",
}

#: Where sweepkit rejects a config that W&B's validator and engine accept,
#: because W&B would run it wrongly or not at all.
STRICTER_THAN_WANDB: dict[str, str] = {
    "method: custom": "needs a W&B Launch scheduler; sweepkit runs grid, random and bayes",
    "nested min/max, probabilities": "W&B checks min < max and probabilities only at the top level",
    "normal/log_normal sigma 0, beta a or b 0": "W&B accepts them and then samples NaN",
    "log_uniform with value-like bounds": (
        "min/max are base-e exponents; 0 < min < max <= 1 or |bounds| > 50 is almost surely "
        "meant as log_uniform_values (W&B's validator rejects every log_uniform as deprecated)"
    ),
    "command items": "must be strings (W&B accepts any list and fails when it runs it)",
    "early_terminate with min_iter and max_iter": "W&B silently ignores min_iter then",
    "infinite numbers": "W&B accepts .inf bounds and samples inf or NaN",
}

METRIC_KEYS = ("name", "goal", "target", "impute", "impute_while_running")
EARLY_TERMINATE_KEYS = ("type", "min_iter", "max_iter", "s", "eta", "strict")

#: Defaults W&B fills in when a key is absent.
DEFAULTS = {
    "metric.goal": "minimize",
    "metric.impute": "worst",
    "early_terminate.eta": 3,
    "controller.type": "cloud",
}

#: The command macros ``wandb agent`` substitutes (an item equal to one of them).
COMMAND_MACROS = (
    "${env}",
    "${interpreter}",
    "${program}",
    "${args}",
    "${args_no_hyphens}",
    "${args_no_boolean_flags}",
    "${args_json}",
    "${args_json_file}",
    "${args_no_equals}",
    "${args_append_hydra}",
    "${args_override_hydra}",
)

# W&B's schema: parameter names are identifiers that may also hold '.' and '-'.
_PARAMETER_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")

# Every key a parameter spec may hold, for suggestions when nothing else fits.
_PARAMETER_KEYS = sorted({"distribution", "parameters"} | {key.name for cls in registry().values() for key in cls.keys})

# Hyperband: bounds beyond exp(±50) are not exponents anybody means.
_LARGEST_SENSIBLE_EXPONENT = 50

_LOG_V1 = {
    "log_uniform": "log_uniform_values",
    "inv_log_uniform": "inv_log_uniform_values",
    "q_log_uniform": "q_log_uniform_values",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a sweep config.

    Attributes:
        path: Where it is, dotted: ``"parameters.lr.min"`` (``""`` for the whole config).
        message: What is wrong and what to write instead.
        line: The YAML line (1-based) when the config came from a file.
        file: The file name, for :meth:`__str__`.
    """

    path: str
    message: str
    line: int | None = None
    file: str | None = None

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        if self.line is not None:
            prefix = f"{self.file}:{self.line}: " if self.file else f"line {self.line}: "
        else:
            prefix = f"{self.file}: " if self.file else ""
        return f"{prefix}{where}{self.message}"


class ConfigError(ValueError):
    """A sweep config has problems; :attr:`problems` lists every one.

    Attributes:
        problems: The problems, in the order of the config.
    """

    def __init__(self, problems: Sequence[Problem], source: str | None = None) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        title = f"{count} problem{'s' if count != 1 else ''} in sweep config"
        if source:
            title += f" {source}"
        super().__init__(title + ":\n" + "\n".join(f"  {problem}" for problem in self.problems))


# ---------------------------------------------------------------- loading


class _LineRecordingLoader(yaml.SafeLoader):
    """A safe loader that notes the line of every mapping key and list item.

    The table lives beside the data, keyed by path, so the loaded config stays
    plain dicts and lists.
    """

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self.lines: dict[PathKey, int] = {}

    def construct_document(self, node: yaml.Node) -> Any:
        self._record(node, ())
        return super().construct_document(node)

    def _record(self, node: yaml.Node, path: PathKey) -> None:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    key = self.construct_object(key_node)
                    child = (*path, key)
                    self.lines.setdefault(child, key_node.start_mark.line + 1)
                    self._record(value_node, child)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                child = (*path, index)
                self.lines.setdefault(child, item.start_mark.line + 1)
                self._record(item, child)


def load_yaml(path: str | Path) -> tuple[Any, dict[PathKey, int]]:
    """Reads a YAML file safely and notes where each key is.

    Args:
        path: The YAML file.

    Returns:
        The data (plain dicts and lists) and a table from each key's path
        (``("parameters", "lr", "min")``) to its 1-based line.

    Raises:
        ConfigError: The file cannot be read or is not valid YAML.
    """
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError([Problem("", f"cannot read the file: {error.strerror or error}", file=source)]) from error
    loader = _LineRecordingLoader(text)
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(error, "problem", None) or str(error)
        raise ConfigError([Problem("", f"not valid YAML: {reason}", line, source)], source) from error
    finally:
        loader.dispose()
    return data, loader.lines


def load_config(path: str | Path) -> dict:
    """Loads and validates a sweep config file.

    Args:
        path: The sweep YAML.

    Returns:
        The config as plain dicts and lists, as written (no defaults filled in).

    Raises:
        ConfigError: The file is unreadable, not YAML, or the config has
            problems; every problem is listed, each with its line.
    """
    config, lines = load_yaml(path)
    problems = validate(config, lines=lines, file=str(path))
    if problems:
        raise ConfigError(problems, str(path))
    return config


# ---------------------------------------------------------------- validation


class _Report:
    """Collects problems and gives each its dotted path and line."""

    def __init__(self, lines: Mapping[PathKey, int] | None, file: str | None) -> None:
        self.lines = lines or {}
        self.file = file
        self.problems: list[Problem] = []

    def add(self, path: PathKey, message: str) -> None:
        self.problems.append(Problem(_dotted(path), message, self._line(path), self.file))

    def sorted_problems(self) -> list[Problem]:
        """The problems in the order of the file (stable; those without a line last)."""
        return sorted(self.problems, key=lambda problem: math.inf if problem.line is None else problem.line)

    def _line(self, path: PathKey) -> int | None:
        # A missing key has no line; its parent's is the next best place to look.
        for end in range(len(path), 0, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None


def _dotted(path: PathKey) -> str:
    text = ""
    for key in path:
        if isinstance(key, int) and not isinstance(key, bool):
            text += f"[{key}]"
        else:
            text += f".{key}" if text else str(key)
    return text


def _suggestion(word: Any, choices: Sequence[str]) -> str:
    close = get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f"; did you mean `{close[0]}`?" if close else ""


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _type_name(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", type(None): "empty"}.get(
        type(value), type(value).__name__
    )


def validate(
    config: Any,
    *,
    lines: Mapping[PathKey, int] | None = None,
    file: str | None = None,
) -> list[Problem]:
    """Checks a sweep config and returns every problem; never raises for a bad config.

    Args:
        config: The loaded sweep config.
        lines: The line table from :func:`load_yaml`, to put lines on problems.
        file: The file name to put on problems.

    Returns:
        The problems, in file order when ``lines`` is given; empty when the
        config is valid.
    """
    report = _Report(lines, file)
    if not isinstance(config, Mapping):
        report.add((), f"a sweep config is a mapping of keys such as method and parameters, got {_type_name(config)}")
        return report.problems

    known = (*TOP_LEVEL_KEYS, *(key for key in NEWER_THAN_SWEEPS_0_2_0 if "." not in key))
    for key in config:
        if key not in known:
            report.add((key,), f"is not a sweep config key{_suggestion(key, known) or '; the keys are ' + ', '.join(known)}")

    for key, check in _TOP_LEVEL_CHECKS.items():
        if key in config:
            check(config[key], report)

    if "method" not in config:
        report.add(("method",), "is required: write `method: random`, `grid` or `bayes`")
    if "parameters" not in config:
        report.add(("parameters",), "is required: the parameters to sweep, such as `lr: {min: 0.0001, max: 0.1}`")

    _check_method_needs(config, report)
    return report.sorted_problems()


def _check_string(key: str) -> Callable[[Any, _Report], None]:
    def check(value: Any, report: _Report) -> None:
        if not isinstance(value, str):
            report.add((key,), f"must be a string, got {value!r}")

    return check


def _check_method(value: Any, report: _Report) -> None:
    if value == "custom":
        report.add(("method",), f"custom {STRICTER_THAN_WANDB['method: custom']}")
    elif value not in METHODS:
        report.add(("method",), f"must be one of {', '.join(METHODS)}, got {value!r}{_suggestion(value, METHODS)}")


def _check_enum(path: PathKey, value: Any, choices: Sequence[str], report: _Report) -> None:
    if value not in choices:
        report.add(path, f"must be one of {', '.join(choices)}, got {value!r}{_suggestion(value, choices)}")


def _check_unknown_keys(path: PathKey, mapping: Mapping, known: Sequence[str], report: _Report) -> None:
    for key in mapping:
        if key not in known:
            message = f"is not a key of {_dotted(path)} (it takes {', '.join(known)})"
            report.add((*path, key), message + _suggestion(key, known))


def _check_metric(metric: Any, report: _Report) -> None:
    if not isinstance(metric, Mapping):
        report.add(("metric",), f"must be a mapping such as `{{name: val_loss, goal: minimize}}`, got {metric!r}")
        return
    _check_unknown_keys(("metric",), metric, METRIC_KEYS, report)
    if "name" not in metric:
        report.add(("metric", "name"), "is required: the key your program logs, e.g. `name: val_loss`")
    elif not isinstance(metric["name"], str) or not metric["name"]:
        report.add(("metric", "name"), f"must be the name of a logged key, got {metric['name']!r}")
    if "goal" in metric:
        _check_enum(("metric", "goal"), metric["goal"], GOALS, report)
    if "target" in metric and not (_is_number(metric["target"]) and math.isfinite(metric["target"])):
        report.add(("metric", "target"), f"must be a number, got {metric['target']!r}")
    if "impute" in metric:
        _check_enum(("metric", "impute"), metric["impute"], IMPUTE, report)
    if "impute_while_running" in metric:
        # W&B's schema spells "do not impute" as the string "false"; YAML false is a boolean.
        value = "false" if metric["impute_while_running"] is False else metric["impute_while_running"]
        _check_enum(("metric", "impute_while_running"), value, IMPUTE_WHILE_RUNNING, report)


def _check_run_cap(value: Any, report: _Report) -> None:
    if not _is_int(value) or value < 1:
        report.add(("run_cap",), f"must be a positive integer (the most runs the sweep starts), got {value!r}")


def _check_command(command: Any, report: _Report) -> None:
    if not isinstance(command, list):
        example = '["${env}", "${interpreter}", "${program}", "${args}"]'
        report.add(("command",), f"must be a list such as `{example}`, got {command!r}")
        return
    if not command:
        report.add(("command",), "must not be empty; leave it out to use the default command")
    for index, item in enumerate(command):
        if not isinstance(item, str):
            report.add(("command", index), f"must be a string, got {item!r} (quote it: \"{item}\")")


def _check_controller(controller: Any, report: _Report) -> None:
    if not isinstance(controller, Mapping):
        report.add(("controller",), f"must be a mapping such as `{{type: local}}`, got {controller!r}")
        return
    if "type" not in controller:
        report.add(("controller", "type"), "is required: `type: local` or `type: cloud`")
    else:
        _check_enum(("controller", "type"), controller["type"], CONTROLLER_TYPES, report)


def _check_kind(value: Any, report: _Report) -> None:
    _check_enum(("kind",), value, ("sweep",), report)


def _check_early_terminate(early: Any, report: _Report) -> None:
    path: PathKey = ("early_terminate",)
    if not isinstance(early, Mapping):
        report.add(path, f"must be a mapping such as `{{type: hyperband, min_iter: 3}}`, got {early!r}")
        return
    _check_unknown_keys(path, early, EARLY_TERMINATE_KEYS, report)
    if "type" not in early:
        report.add((*path, "type"), "is required: `type: hyperband`")
    else:
        _check_enum((*path, "type"), early["type"], ("hyperband",), report)
    for key in ("min_iter", "max_iter", "s"):
        if key in early and (not _is_int(early[key]) or early[key] < 1):
            report.add((*path, key), f"must be a positive integer, got {early[key]!r}")
    eta = early.get("eta", DEFAULTS["early_terminate.eta"])
    eta_ok = _is_number(eta) and math.isfinite(eta) and eta > 1
    if not eta_ok:
        report.add((*path, "eta"), f"must be a number greater than 1, got {eta!r}")
    if "strict" in early and not isinstance(early["strict"], bool):
        report.add((*path, "strict"), f"must be true or false, got {early['strict']!r}")

    has_min, has_max, has_s = ("min_iter" in early), ("max_iter" in early), ("s" in early)
    if has_min and has_max:
        report.add(path, "give min_iter, or max_iter with s, not both (W&B would silently ignore min_iter)")
    elif has_max and not has_s:
        report.add((*path, "s"), "is required with max_iter: the number of brackets below max_iter, e.g. `s: 2`")
    elif has_s and not has_max:
        report.add((*path, "max_iter"), "is required with s: the iteration brackets count down from")
    elif not has_min and not has_max:
        report.add(path, "needs `min_iter` (first bracket), or `max_iter` with `s`")
    elif has_max and eta_ok and _is_int(early["max_iter"]) and early["max_iter"] >= 1 and early["max_iter"] / eta < 1:
        report.add((*path, "max_iter"), f"{early['max_iter']} / eta {eta} < 1 gives no bracket: raise max_iter or lower eta")


def _check_parameters(parameters: Any, report: _Report) -> None:
    if not isinstance(parameters, Mapping):
        report.add(("parameters",), f"must be a mapping of parameter names to specs, got {_type_name(parameters)}")
        return
    _check_parameter_group(("parameters",), parameters, report)


def _check_parameter_group(path: PathKey, group: Mapping, report: _Report) -> None:
    if not group:
        report.add(path, "must hold at least one parameter, such as `lr: {values: [0.01, 0.001]}`")
    for name, spec in group.items():
        param_path = (*path, name)
        if not isinstance(name, str) or not _PARAMETER_NAME.match(name):
            report.add(param_path, "is not a valid parameter name: start with a letter or _, then letters, digits, _, . or -")
        _check_parameter(param_path, spec, report)


def _check_parameter(path: PathKey, spec: Any, report: _Report) -> None:
    if not isinstance(spec, Mapping):
        example = f"{{value: {spec!r}}}" if not isinstance(spec, list) else f"{{values: {spec!r}}}"
        report.add(path, f"must be a mapping such as `{example}`, got {_type_name(spec)}")
        return
    if is_nested(spec):
        extra = [key for key in spec if key != "parameters"]
        for key in extra:
            report.add((*path, key), "a group of nested parameters takes only `parameters:`; move this key into a parameter")
        if isinstance(spec["parameters"], Mapping):
            _check_parameter_group((*path, "parameters"), spec["parameters"], report)
        else:
            report.add((*path, "parameters"), f"must be a mapping of nested parameters, got {_type_name(spec['parameters'])}")
        return
    if "distribution" in spec and not isinstance(spec["distribution"], str):
        report.add((*path, "distribution"), f"must be one of {', '.join(DISTRIBUTION_NAMES)}, got {spec['distribution']!r}")
        return
    try:
        name = infer_distribution(spec)
    except ValueError:
        _report_uninferable(path, spec, report)
        return
    try:
        cls = distribution_class(spec)
    except ValueError:
        hint = _suggestion(name, DISTRIBUTION_NAMES) or "; use one of " + ", ".join(DISTRIBUTION_NAMES)
        report.add((*path, "distribution"), f"{name!r} is not a distribution{hint}")
        return
    problems = cls.spec_problems(spec)
    for key, message in problems:
        report.add((*path, key) if key else path, message)
    if name in _LOG_V1 and not problems:
        hint = _value_like_log_bounds(name, spec)
        if hint:
            report.add(path, hint)


def _report_uninferable(path: PathKey, spec: Mapping, report: _Report) -> None:
    suggested = False
    for key in spec:
        if key not in _PARAMETER_KEYS:
            hint = _suggestion(key, _PARAMETER_KEYS)
            if hint:
                report.add((*path, key), f"is not a parameter key{hint}")
                suggested = True
    if not suggested:
        report.add(
            path,
            "cannot tell the distribution: write `values: [...]`, `value: ...`, `min:`/`max:`, "
            "or `distribution:` (one of " + ", ".join(DISTRIBUTION_NAMES) + ")",
        )


def _value_like_log_bounds(name: str, spec: Mapping) -> str | None:
    """A message when base-e exponent bounds look like the values the user meant."""
    low, high = spec["min"], spec["max"]
    looks_like_values = 0 < low < high <= 1 or max(abs(low), abs(high)) > _LARGEST_SENSIBLE_EXPONENT
    if not looks_like_values:
        return None
    meant = _LOG_V1[name]
    if name == "inv_log_uniform":
        sampled = f"exp(-{high:g})..exp(-{low:g})"
    else:
        sampled = f"exp({low:g})..exp({high:g})"
    exponents = ""
    if low > 0:
        exponents = f", or keep {name} with exponents min: {math.log(low):.4g}, max: {math.log(high):.4g}"
    return (
        f"{name} takes base-e exponents, so min {low:g} and max {high:g} sample {sampled}; "
        f"to sample between {low:g} and {high:g} write `distribution: {meant}`{exponents}"
    )


_TOP_LEVEL_CHECKS: dict[str, Callable[[Any, _Report], None]] = {
    "method": _check_method,
    "metric": _check_metric,
    "parameters": _check_parameters,
    "early_terminate": _check_early_terminate,
    "run_cap": _check_run_cap,
    "command": _check_command,
    "controller": _check_controller,
    "kind": _check_kind,
    **{
        key: _check_string(key)
        for key in ("program", "name", "description", "project", "entity", "apiVersion", "job", "image_uri")
    },
}


def _leaf_specs(parameters: Any, path: PathKey = ("parameters",)) -> Iterator[tuple[PathKey, Any]]:
    """Every non-group parameter spec with its path, skipping malformed groups."""
    if not isinstance(parameters, Mapping):
        return
    for name, spec in parameters.items():
        if is_nested(spec):
            yield from _leaf_specs(spec["parameters"], (*path, name, "parameters"))
        else:
            yield (*path, name), spec


def _distribution_name(spec: Any) -> str | None:
    if not isinstance(spec, Mapping):
        return None
    try:
        return infer_distribution(spec)
    except ValueError:
        return None


def _check_method_needs(config: Mapping, report: _Report) -> None:
    """What the method and early termination need from the rest of the config."""
    method = config.get("method")
    leaves = list(_leaf_specs(config.get("parameters")))
    if method == "grid":
        for path, spec in leaves:
            name = _distribution_name(spec)
            if name is not None and name not in GRID_DISTRIBUTIONS:
                report.add(
                    path,
                    f"distribution {name} is not allowed with method grid: grid takes values/value, "
                    "int_uniform and q_uniform (no probabilities); use `method: random` or list `values:`",
                )
    if method == "bayes":
        if "metric" not in config:
            report.add(("metric",), "is required with method bayes: `metric: {name: val_loss, goal: minimize}`")
        names = [_distribution_name(spec) for _, spec in leaves]
        if leaves and all(name == "constant" for name in names):
            report.add(("parameters",), "method bayes needs at least one parameter that varies, not only `value:`")
    if "early_terminate" in config and "metric" not in config and method != "bayes":
        report.add(("metric",), "is required with early_terminate: hyperband compares runs by the metric")


# ---------------------------------------------------------------- warnings


def warnings(
    config: Any,
    *,
    lines: Mapping[PathKey, int] | None = None,
    file: str | None = None,
) -> list[Problem]:
    """Things W&B accepts and runs that are probably not what the user meant.

    Call it on a valid config (:func:`validate` first). It reports the
    base-e exponent log distributions (deprecated by W&B, which suggests the
    ``*_values`` variants), command items that look like a mistyped macro,
    ``${program}`` without ``program``, and W&B Launch keys sweepkit ignores.

    Args:
        config: A sweep config that :func:`validate` accepts.
        lines: The line table from :func:`load_yaml`.
        file: The file name to put on the warnings.
    """
    report = _Report(lines, file)
    if not isinstance(config, Mapping):
        return report.problems
    for path, spec in _leaf_specs(config.get("parameters")):
        name = _distribution_name(spec)
        if name in _LOG_V1:
            report.add(
                (*path, "distribution"),
                f"{name} takes base-e exponents (min {spec.get('min')!r} means exp({spec.get('min')!r})); "
                f"W&B deprecates it for {_LOG_V1[name]}, which takes the values themselves",
            )
    command = config.get("command")
    if isinstance(command, list):
        for index, item in enumerate(command):
            is_macro = item in COMMAND_MACROS or item.startswith("${envvar:") if isinstance(item, str) else True
            if not is_macro and item.startswith("${"):
                message = f"{item!r} is not a macro W&B substitutes, the program gets it literally"
                report.add(("command", index), message + _suggestion(item, COMMAND_MACROS))
        if "${program}" in command and "program" not in config:
            report.add(("command",), "uses ${program} but `program:` is not set")
    for key in ("job", "image_uri"):
        if key in config:
            report.add((key,), "is for W&B Launch; sweepkit ignores it and runs program/command")
    return report.sorted_problems()
