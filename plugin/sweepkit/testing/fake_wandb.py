"""A fake ``wandb`` module for fast tests: no service process, no files but run dirs.

Real ``wandb.init`` starts the wandb-core service (about 0.7 s) and writes a
transaction log that is only readable with a parser. The fake answers the same
calls in microseconds and keeps everything a test wants to assert on as plain
Python data. It mirrors wandb 0.31 where a training script can tell the
difference: the step/commit rules of ``log``, how the summary follows logged
values and ``define_metric``, config change errors, the sweep param file and
what ``init`` ignores inside a sweep. Each such rule was checked against real
wandb in offline mode (see ``tests/test_fake_wandb.py``).

With sweepkit installed, pytest has a ``fake_wandb`` fixture that puts the fake
in ``sys.modules["wandb"]`` for one test, so code under test that runs
``import wandb`` gets it::

    def train(epochs):
        import wandb

        with wandb.init(project="digits", config={"epochs": epochs}) as run:
            run.define_metric("val_loss", summary="min")
            for epoch in range(run.config.epochs):
                run.log({"epoch": epoch, "val_loss": 1.0 / (epoch + 1)})


    def test_train_logs_every_epoch(fake_wandb):
        train(epochs=3)

        (run,) = fake_wandb.runs
        assert run.config == {"epochs": 3}
        assert run.history_of("epoch") == [0, 1, 2]
        assert run.summary["val_loss"] == {"min": 1.0 / 3}
        assert run.exit_code == 0

``fake_wandb.runs`` holds one :class:`RecordedRun` per ``wandb.init`` in call
order; its fields are live while the run is going. To simulate a sweep, set
``WANDB_SWEEP_ID`` and ``WANDB_SWEEP_PARAM_PATH`` (``monkeypatch.setenv``)
before the code under test calls ``wandb.init``.

``import wandb`` at the top of a test file or of a module imported before
the test works too: the fixture points every such name at the fake for the
test (``import wandb as wb`` included). Names bound with ``from wandb import
init`` keep the real function; call ``wandb.init`` instead.

Not modelled: artifacts, media serialization (``wandb.Image`` keeps what it was
given), ``resume``, the public API, and wandb-core's quirks for non-numeric
values under ``min``/``max``/``mean`` (the fake skips such values). Rows and
the summary carry ``_step`` but not the wall-clock keys ``_runtime`` and
``_timestamp``. A recorded summary is the live one (what ``run.summary``
shows during the run); the summary in wandb's transaction log differs in one
case: a key that ``define_metric(summary="none")`` removed after it was logged
stays there with its old value.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import random
import sys
import time
import types
from collections.abc import Mapping, Sequence
from typing import Any, Callable, Iterable

from sweepkit.run import FAILED, FINISHED, RUNNING, Run

__all__ = [
    "AuthenticationError",
    "CommError",
    "ConfigError",
    "Error",
    "FakeWandb",
    "Image",
    "MetricDefinition",
    "RecordedRun",
    "Settings",
    "Table",
    "UsageError",
]

WANDB_VERSION = "0.31.0"

# Same alphabet and length as wandb.sdk.lib.runid.generate_id.
_RUN_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
_RUN_ID_LENGTH = 8
_RESERVED_RUN_ID_CHARS = ":;,#?/'"

_MODES = ("online", "offline", "shared", "disabled", "dryrun", "run")
_MODE_ALIASES = {"dryrun": "offline", "run": "online"}
_REINIT_CHOICES = ("default", "return_previous", "finish_previous", "create_new")
_SUMMARY_OPS = ("min", "max", "mean", "last", "copy", "none", "first")

class Error(Exception):
    """Base class of wandb's errors (``wandb.Error``, ``wandb.errors.Error``)."""


class CommError(Error):
    """Stand-in for ``wandb.errors.CommError``; the fake never raises it."""


class AuthenticationError(CommError):
    """Stand-in for ``wandb.errors.AuthenticationError``; the fake never raises it."""


class UsageError(Error):
    """Wrong use of the API, such as logging to a finished run."""


class ConfigError(Error):
    """Raised when a config value would change without ``allow_val_change``.

    Real wandb raises ``wandb.sdk.lib.config_util.ConfigError``, also a
    subclass of ``wandb.Error``.
    """


def _is_truthy_env(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _term(level: str, message: str) -> None:
    if _is_truthy_env("WANDB_SILENT"):
        return
    prefix = f"wandb: {level} " if level else "wandb: "
    for line in str(message).split("\n"):
        print(prefix + line, file=sys.stderr)


def termlog(string: str = "", *args: Any, **kwargs: Any) -> None:
    """Print a line to stderr with wandb's prefix, like ``wandb.termlog``."""
    _term("", string)


def termwarn(string: str, *args: Any, **kwargs: Any) -> None:
    """Print a warning to stderr with wandb's prefix, like ``wandb.termwarn``."""
    _term("WARNING", string)


def termerror(string: str, *args: Any, **kwargs: Any) -> None:
    """Print an error to stderr with wandb's prefix, like ``wandb.termerror``."""
    _term("ERROR", string)


# --- values -----------------------------------------------------------------


def _python_scalar(value: Any) -> Any:
    """Turn a 0-d array or tensor (NumPy, TensorFlow, PyTorch) into a Python number.

    wandb serializes such values as plain numbers, so summaries compare them
    as numbers; doing the same here keeps ``min``/``max`` working on them.
    """
    if isinstance(value, (bool, int, float, str, bytes)) or value is None:
        return value
    shape = getattr(value, "shape", None)
    if shape is None:
        return value
    try:
        is_scalar = tuple(shape) == ()
    except TypeError:
        return value
    if not is_scalar:
        return value
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "numpy"):
        return value.numpy().item()
    return value


def _history_value(value: Any) -> Any:
    """A logged value as the fake stores it: scalars as Python, dicts copied."""
    if isinstance(value, Mapping):
        return {str(key): _history_value(item) for key, item in value.items()}
    return _python_scalar(value)


def _config_value(value: Any) -> Any:
    """A config value made JSON-friendly the way ``wandb.util.json_friendly_val`` does."""
    if isinstance(value, Mapping):
        return {key: _config_value(item) for key, item in value.items()}
    if isinstance(value, slice):
        return {"slice_start": value.start, "slice_step": value.step, "slice_stop": value.stop}
    value = _python_scalar(value)
    if hasattr(value, "tolist") and hasattr(value, "shape"):
        value = value.tolist()
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return [_config_value(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _config_value(dataclasses.asdict(value))
    if type(value).__module__ != "builtins":
        return str(value)
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _merge_nested(dest: dict, src: Mapping) -> dict:
    """Merge ``src`` into ``dest``, recursing where both sides hold dicts."""
    for key, value in src.items():
        if isinstance(value, Mapping) and isinstance(dest.get(key), dict):
            _merge_nested(dest[key], value)
        elif isinstance(value, Mapping):
            dest[key] = _merge_nested({}, value)
        else:
            dest[key] = value
    return dest


def _load_param_file(path: str, must_exist: bool) -> dict[str, Any] | None:
    """Read a wandb config file: ``name: {value: v}`` per key, optional ``wandb_version: 1``."""
    import yaml  # a sweepkit dependency; imported here so importing the fake stays cheap

    if not os.path.exists(path):
        if must_exist:
            raise ConfigError(f"config file {path} doesn't exist")
        return None
    with open(path) as handle:
        try:
            loaded = yaml.safe_load(handle)
        except yaml.YAMLError as exc:
            raise ConfigError(f"Invalid YAML in config yaml {path}: {exc}") from exc
    if loaded is None:
        termwarn(f"Found an empty config file ({path}). Proceeding with no values from it.")
        return None
    version = loaded.pop("wandb_version", None)
    if version is not None and version != 1:
        raise ConfigError(f"Unknown config version {version!r} in {path} (expected 1)")
    params: dict[str, Any] = {}
    for key, entry in loaded.items():
        if not isinstance(entry, Mapping) or "value" not in entry:
            raise ConfigError(f"{path}: {key!r} must be a mapping with a 'value' key, got {entry!r}")
        params[key] = entry["value"]
    return params


def _config_from(params: Any) -> dict[str, Any]:
    """Accept what ``wandb.helper.parse_config`` accepts: a dict, a YAML path, a Config, a Namespace."""
    if isinstance(params, str):
        return _load_param_file(params, must_exist=True) or {}
    if isinstance(params, Mapping):
        return dict(params)
    if isinstance(params, Config):
        return params.as_dict()
    if isinstance(params, _PreInitObject):
        return {}
    if not hasattr(params, "__dict__"):
        raise TypeError("config must be a dict or have a __dict__ attribute.")
    return dict(vars(params))


# --- media and settings -----------------------------------------------------


class Image:
    """Stand-in for ``wandb.Image`` that keeps what it was given.

    Args:
        data_or_path: A path to an existing file, an array or tensor, a PIL
            image, a matplotlib figure (or ``pyplot`` itself) or another Image.
        mode: PIL mode, kept as given.
        caption: Caption, kept as given.
        **options: The other ``wandb.Image`` arguments (``boxes``, ``masks``,
            ``classes``, ...), kept in :attr:`options`.

    Raises:
        FileNotFoundError: When given a path that does not exist (real wandb
            opens the file at once).
        TypeError: When given something wandb cannot turn into an image.
    """

    def __init__(
        self,
        data_or_path: Any,
        mode: str | None = None,
        caption: str | None = None,
        **options: Any,
    ) -> None:
        if isinstance(data_or_path, (str, os.PathLike)):
            path = os.fspath(data_or_path)
            if not os.path.exists(path):
                raise FileNotFoundError(errno.ENOENT, "No such file or directory", path)
        elif not isinstance(data_or_path, Image) and not any(
            hasattr(data_or_path, attribute) for attribute in ("ndim", "savefig", "getdata")
        ):
            raise TypeError(
                "wandb.Image takes a file path, an array or tensor, a PIL image or a "
                f"matplotlib figure; got {type(data_or_path).__name__}"
            )
        self.data_or_path = data_or_path
        self.mode = mode
        self.caption = caption
        self.options = options

    @property
    def path(self) -> str | None:
        """The file path given, or None when the image came from data."""
        if isinstance(self.data_or_path, (str, os.PathLike)):
            return os.fspath(self.data_or_path)
        return None

    def __repr__(self) -> str:
        return f"Image({self.data_or_path!r}, caption={self.caption!r})"


class Table:
    """Minimal stand-in for ``wandb.Table``: columns and rows.

    Args:
        columns: Column names; wandb's default is ``["Input", "Output", "Expected"]``.
        data: Rows, each a sequence with one value per column.
        rows: Older name for ``data``.
        dataframe: A pandas DataFrame to take columns and rows from.
        **options: Other ``wandb.Table`` arguments, kept in :attr:`options`.

    Raises:
        ValueError: When a row has a different length than ``columns``.
    """

    def __init__(
        self,
        columns: Sequence[str] | None = None,
        data: Iterable[Sequence[Any]] | None = None,
        rows: Iterable[Sequence[Any]] | None = None,
        dataframe: Any = None,
        **options: Any,
    ) -> None:
        if dataframe is not None:
            columns = list(dataframe.columns)
            data = dataframe.values.tolist()
        self.columns: list[str] = list(columns) if columns is not None else ["Input", "Output", "Expected"]
        self.data: list[list[Any]] = []
        self.options = options
        for row in data if data is not None else rows or ():
            self.add_data(*row)

    def add_data(self, *values: Any) -> None:
        """Append one row."""
        if len(values) != len(self.columns):
            raise ValueError(
                f"This table expects {len(self.columns)} columns: {self.columns}, found {len(values)}"
            )
        self.data.append(list(values))

    def get_column(self, name: str) -> list[Any]:
        """The values of one column, in row order."""
        index = self.columns.index(name)
        return [row[index] for row in self.data]

    def __repr__(self) -> str:
        return f"Table(columns={self.columns!r}, rows={len(self.data)})"


class Settings:
    """Stand-in for ``wandb.Settings``: keyword arguments become attributes.

    ``wandb.init`` reads ``mode``, ``project``, ``entity``, ``run_id``,
    ``run_name``, ``run_notes``, ``run_tags``, ``run_group``,
    ``run_job_type``, ``root_dir`` and ``reinit``; other settings are kept
    but have no effect. Unlike real wandb, unknown names are accepted.
    """

    mode: str = "online"
    project: str | None = None
    entity: str | None = None
    run_id: str | None = None
    run_name: str | None = None
    run_notes: str | None = None
    run_tags: tuple[str, ...] | None = None
    run_group: str | None = None
    run_job_type: str | None = None
    root_dir: str | None = None
    reinit: str | bool = "default"
    sweep_id: str | None = None

    def __init__(self, **settings: Any) -> None:
        for name, value in settings.items():
            setattr(self, name, value)

    def given(self) -> dict[str, Any]:
        """The settings set on this object (not the class defaults)."""
        return dict(vars(self))

    def __repr__(self) -> str:
        items = ", ".join(f"{name}={value!r}" for name, value in vars(self).items())
        return f"Settings({items})"


# --- before init ------------------------------------------------------------


class _PreInitObject:
    """What ``wandb.config`` and ``wandb.summary`` are before ``wandb.init``."""

    def __init__(self, name: str) -> None:
        object.__setattr__(self, "_name", name)

    def __getitem__(self, key: str) -> Any:
        raise Error(f"You must call wandb.init() before {self._name}[{key!r}]")

    def __setitem__(self, key: str, value: Any) -> None:
        raise Error(f"You must call wandb.init() before {self._name}[{key!r}]")

    def __getattr__(self, key: str) -> Any:
        if key.startswith("_"):
            raise AttributeError(key)
        raise Error(f"You must call wandb.init() before {self._name}.{key}")

    def __setattr__(self, key: str, value: Any) -> None:
        if key.startswith("_"):
            object.__setattr__(self, key, value)
            return
        raise Error(f"You must call wandb.init() before {self._name}.{key}")


def _pre_init_callable(name: str) -> Callable[..., Any]:
    def pre_init(*args: Any, **kwargs: Any) -> Any:
        raise Error(f"You must call wandb.init() before {name}()")

    pre_init.__name__ = name
    return pre_init


# --- recorded data ----------------------------------------------------------


@dataclasses.dataclass
class MetricDefinition:
    """One ``define_metric`` result (merged with earlier calls for the same name).

    Attributes:
        name: Metric name; a trailing ``*`` makes it a prefix glob (``"val/*"``).
        step_metric: Key whose last value is put into rows that lack it.
        step_sync: Whether that insertion happens (default: when ``step_metric`` is set).
        hidden: Hide from automatic plots; no effect on data.
        summary: Summary operations, e.g. ``("min", "last")``.
    """

    name: str
    step_metric: str | None = None
    step_sync: bool | None = None
    hidden: bool | None = None
    summary: tuple[str, ...] | None = None

    def matches(self, key: str) -> bool:
        """Whether this definition applies to a logged key."""
        if self.name.endswith("*"):
            return key.startswith(self.name[:-1])
        return key == self.name


@dataclasses.dataclass
class _KeyStats:
    """Every committed value of one key, reduced to what summaries need."""

    first: Any = None
    last: Any = None
    minimum: float | None = None
    maximum: float | None = None
    total: float = 0.0
    count: int = 0

    def add(self, value: Any, is_first: bool) -> None:
        if is_first:
            self.first = value
        self.last = value
        if not _is_number(value):
            return
        # `value < minimum` (not min()) so a NaN that came first stays, as in wandb-core.
        if self.count == 0 or value < self.minimum:
            self.minimum = value
        if self.count == 0 or value > self.maximum:
            self.maximum = value
        self.total += value
        self.count += 1

    def aggregate(self, ops: Iterable[str]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for op in ops:
            if op == "first":
                values["first"] = self.first
            elif op == "last":
                values["last"] = self.last
            elif self.count and op == "min":
                values["min"] = self.minimum
            elif self.count and op == "max":
                values["max"] = self.maximum
            elif self.count and op == "mean":
                values["mean"] = self.total / self.count
        return values


@dataclasses.dataclass
class RecordedRun:
    """Everything one fake run received, as plain data.

    The fields change while the run is active, so a test can look at them
    in the middle of training as well as after.

    Attributes:
        id: Run id.
        name: Display name, None when not given (as offline wandb).
        project: Project ("uncategorized" when not given).
        entity: Entity ("" when not given).
        mode: "online", "offline", "shared" or "disabled".
        sweep_id: ``WANDB_SWEEP_ID`` at init, else None.
        dir: The run's files directory (``run.dir``), created on disk.
        group: Run group ("" when not given).
        job_type: Job type ("" when not given).
        tags: Tags.
        notes: Notes.
        init_kwargs: The arguments ``wandb.init`` got that were not None.
        config: Config values (nested values as nested dicts).
        history: Committed rows in order, each with its ``_step``.
        summary: The run summary (``_step`` included).
        defined_metrics: ``define_metric`` results by name.
        warnings: Warnings wandb would have printed for this run.
        exit_code: None until the run finishes.
        finished: Whether ``finish`` was called.
    """

    id: str
    name: str | None
    project: str
    entity: str
    mode: str
    sweep_id: str | None
    dir: str
    group: str = ""
    job_type: str = ""
    tags: tuple[str, ...] = ()
    notes: str | None = None
    init_kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)
    config: dict[str, Any] = dataclasses.field(default_factory=dict)
    history: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    summary: dict[str, Any] = dataclasses.field(default_factory=dict)
    defined_metrics: dict[str, MetricDefinition] = dataclasses.field(default_factory=dict)
    warnings: list[str] = dataclasses.field(default_factory=list)
    exit_code: int | None = None
    finished: bool = False

    def history_of(self, key: str) -> list[Any]:
        """The values logged for ``key``, one per committed row that has it."""
        return [row[key] for row in self.history if key in row]

    def steps_of(self, key: str) -> list[int]:
        """The ``_step`` of each committed row that has ``key``."""
        return [row["_step"] for row in self.history if key in row]

    def logged_keys(self) -> set[str]:
        """Every key that appears in a committed row, ``_step`` excluded."""
        return {key for row in self.history for key in row if key != "_step"}

    def assert_logged(self, *keys: str) -> None:
        """Fail with the keys that were logged when one of ``keys`` never was.

        Raises:
            AssertionError: Naming the missing keys and listing the logged ones.
        """
        logged = self.logged_keys()
        missing = [key for key in keys if key not in logged]
        if missing:
            raise AssertionError(
                f"run {self.id} never logged {', '.join(map(repr, missing))}; "
                f"logged keys: {', '.join(sorted(logged)) or '(none)'}"
            )

    @property
    def state(self) -> str:
        """W&B's state name: running, finished (exit code 0) or failed."""
        if not self.finished:
            return RUNNING
        return FINISHED if self.exit_code == 0 else FAILED

    def to_run(self) -> Run:
        """This run as the engine's :class:`sweepkit.run.Run`."""
        return Run(
            name=self.id,
            params=dict(self.config),
            state=self.state,
            history=tuple(dict(row) for row in self.history),
            summary=dict(self.summary),
        )


# --- the run's config and summary ---------------------------------------------


class Config:
    """Stand-in for ``run.config`` (``wandb.sdk.wandb_config.Config``).

    Attribute and item access, ``update``, ``setdefaults``, ``as_dict``,
    ``keys``, ``items``, ``get`` and ``in`` behave as in wandb 0.31, including
    :class:`ConfigError` when a value would change without
    ``allow_val_change=True`` and the warning (no change) for keys a sweep set.
    """

    def __init__(self, run: FakeRun, items: dict[str, Any]) -> None:
        object.__setattr__(self, "_run", run)
        object.__setattr__(self, "_items", items)
        # key -> who locked it ("sweep"); locked keys ignore updates, as in wandb.
        object.__setattr__(self, "_locked", {})

    def keys(self) -> list[str]:
        return [key for key in self._items if not key.startswith("_")]

    def items(self) -> list[tuple[str, Any]]:
        return [(key, value) for key, value in self._items.items() if not key.startswith("_")]

    def as_dict(self) -> dict[str, Any]:
        return dict(self.items())

    def _as_dict(self) -> dict[str, Any]:
        return self._items

    def get(self, *args: Any) -> Any:
        return self._items.get(*args)

    def __getitem__(self, key: str) -> Any:
        return self._items[key]

    def __getattr__(self, key: str) -> Any:
        if key.startswith("__"):
            # copy and pickle probe dunders before __init__ ran; _items may not exist yet.
            raise AttributeError(key)
        try:
            return self._items[key]
        except KeyError as exc:
            raise AttributeError(f"{type(self)!r} object has no attribute {key!r}") from exc

    def __setitem__(self, key: str, value: Any) -> None:
        if self._is_locked(key, warn=True):
            return
        key, value = self._sanitize(key, value, allow_val_change=None)
        self._items[key] = value
        self._run._raise_if_finished("_config_callback")

    __setattr__ = __setitem__

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __iter__(self):
        return iter(self._items)

    def __repr__(self) -> str:
        return str(self.as_dict())

    def update(self, d: Any, allow_val_change: bool | None = None) -> None:
        """Add or change values; a changed value needs ``allow_val_change=True``.

        Raises:
            ConfigError: When an existing key would get a different value.
        """
        self._update(_config_from(d), allow_val_change=allow_val_change)
        self._run._raise_if_finished("_config_callback")

    def setdefaults(self, d: Any) -> None:
        """Add the values of ``d`` whose keys are not set yet."""
        new = {key: value for key, value in _config_from(d).items() if key not in self._items}
        for key, value in new.items():
            key, value = self._sanitize(key, value, allow_val_change=None)
            self._items[key] = value
        self._run._raise_if_finished("_config_callback")

    def _update(self, values: Mapping[str, Any], allow_val_change: bool | None, ignore_locked: bool = False) -> None:
        sanitized = {}
        for key, value in values.items():
            if self._is_locked(key, warn=not ignore_locked):
                continue
            key, value = self._sanitize(key, value, allow_val_change)
            sanitized[key] = value
        self._items.update(sanitized)

    def _merge_locked(self, values: Mapping[str, Any], user: str) -> None:
        """Merge values that later updates may not change (how wandb applies sweep params)."""
        for key, value in values.items():
            key, value = self._sanitize(key, value, allow_val_change=True)
            self._locked[key] = user
            if isinstance(self._items.get(key), dict) and isinstance(value, dict):
                _merge_nested(self._items[key], value)
            else:
                self._items[key] = value

    def _is_locked(self, key: str, warn: bool) -> bool:
        user = self._locked.get(key)
        if user is None:
            return False
        if warn:
            self._run._warn(f"Config item '{key}' was locked by '{user}' (ignored update).")
        return True

    def _sanitize(self, key: str, value: Any, allow_val_change: bool | None) -> tuple[str, Any]:
        key = key.strip("-")
        value = _config_value(value)
        if not allow_val_change and key in self._items and value != self._items[key]:
            raise ConfigError(
                f'Attempted to change value of key "{key}" from {self._items[key]} to {value}\n'
                "If you really want to do this, pass allow_val_change=True to config.update()"
            )
        return key, value


class Summary:
    """Stand-in for ``run.summary``: the values a run is compared by.

    Item and attribute access, ``keys``, ``get``, ``update`` and deletion as
    in wandb 0.31. Like real wandb it has no ``in`` or ``items``, it shows
    only committed rows, and once the run is finished it reads as empty
    (the record in ``fake_wandb.runs`` keeps the values).
    """

    def __init__(self, run: FakeRun) -> None:
        object.__setattr__(self, "_run", run)

    def _as_dict(self) -> dict[str, Any]:
        if self._run._record.finished:
            self._run._warn("Summary data not available in finished run")
            return {}
        # wandb answers with a fresh copy from wandb-core; a later log must not change it.
        return _merge_nested({}, self._run._record.summary)

    def keys(self) -> list[str]:
        return [key for key in self._as_dict() if key != "_wandb"]

    def get(self, key: str, default: Any = None) -> Any:
        return self._as_dict().get(key, default)

    def __getitem__(self, key: str) -> Any:
        return self._as_dict()[key]

    __getattr__ = __getitem__

    def __setitem__(self, key: str, value: Any) -> None:
        self.update({key: value})

    __setattr__ = __setitem__

    def __delitem__(self, key: str) -> None:
        self._run._raise_if_finished("_summary_update_callback")
        self._run._record.summary.pop(key, None)

    __delattr__ = __delitem__

    def update(self, d: Mapping[str, Any]) -> None:
        """Set summary values; a key set here stops following its logged aggregates."""
        self._run._set_summary(d)

    def __repr__(self) -> str:
        return repr(self._run._record.summary)


# --- the run ------------------------------------------------------------------


class FakeRun:
    """What ``wandb.init`` returns: the parts of ``wandb.Run`` a training script uses.

    Logging follows wandb-core's rules: each ``log`` without ``step`` or
    ``commit`` commits a row and advances the step; ``commit=False`` keeps
    the row open; an explicit ``step`` above the current one commits the open
    row and moves to it (the row then stays open unless ``commit=True``); an
    explicit ``step`` below the current one is dropped with a warning. Only
    committed rows reach the history and the summary.
    """

    def __init__(self, wandb: FakeWandb, record: RecordedRun, settings: Settings) -> None:
        self._wandb = wandb
        self._record = record
        self._settings = settings
        self._config = Config(self, record.config)
        self._summary = Summary(self)
        self._step = 0
        self._pending: dict[str, Any] = {}
        self._pending_touched = False
        self._stats: dict[str, _KeyStats] = {}
        # Keys set through run.summary: wandb-core stops aggregating them until define_metric.
        self._summary_set_by_user: set[str] = set()

    # identity and metadata

    @property
    def id(self) -> str:
        return self._record.id

    @property
    def name(self) -> str | None:
        return self._record.name

    @name.setter
    def name(self, name: str) -> None:
        self._raise_if_finished("name")
        self._record.name = name

    @property
    def notes(self) -> str | None:
        return self._record.notes

    @notes.setter
    def notes(self, notes: str) -> None:
        self._raise_if_finished("notes")
        self._record.notes = notes

    @property
    def tags(self) -> tuple[str, ...]:
        return self._record.tags

    @tags.setter
    def tags(self, tags: Sequence[str]) -> None:
        self._raise_if_finished("tags")
        self._record.tags = tuple(tags)

    @property
    def group(self) -> str:
        return self._record.group

    @property
    def job_type(self) -> str:
        return self._record.job_type

    @property
    def project(self) -> str:
        return self._record.project

    @property
    def entity(self) -> str:
        return self._record.entity

    @property
    def sweep_id(self) -> str | None:
        return self._record.sweep_id

    @property
    def dir(self) -> str:
        return self._record.dir

    @property
    def sync_dir(self) -> str:
        return os.path.dirname(self._record.dir)

    @property
    def path(self) -> str:
        return "/".join(part for part in (self._record.entity, self._record.project, self.id) if part)

    @property
    def offline(self) -> bool:
        return self._record.mode == "offline"

    @property
    def disabled(self) -> bool:
        return self._record.mode == "disabled"

    @property
    def settings(self) -> Settings:
        """A copy of the run's settings (``mode``, ``project``, ``run_id``, ``files_dir``, ...)."""
        return Settings(**self._settings.given())

    @property
    def config(self) -> Config:
        return self._config

    @property
    def summary(self) -> Summary:
        return self._summary

    @property
    def step(self) -> int:
        """The step the next ``log`` call writes to."""
        return self._step

    # logging

    def log(self, data: Mapping[str, Any], step: int | None = None, commit: bool | None = None) -> None:
        """Log a row (see the class docstring for the step rules).

        Raises:
            TypeError: When ``data`` is not a mapping with string keys.
            UsageError: When the run is finished.
        """
        self._raise_if_finished("log")
        if not isinstance(data, Mapping):
            raise TypeError("wandb.log must be passed a dictionary")
        if any(not isinstance(key, str) for key in data):
            raise TypeError("Key values passed to `wandb.log` must be strings.")
        if step is not None:
            if step < self._step:
                self._warn(
                    f"Tried to log to step {step} that is less than the current step {self._step}. "
                    "Steps must be monotonically increasing, so this data will be ignored. "
                    "See https://wandb.me/define-metric to log data out of order."
                )
                return
            if step > self._step:
                self._commit_pending()
                self._step = step
        _merge_nested(self._pending, _history_value(data))
        self._pending_touched = True
        if (step is None and commit is None) or commit:
            self._commit_pending()

    def define_metric(
        self,
        name: str,
        step_metric: str | MetricDefinition | None = None,
        step_sync: bool | None = None,
        hidden: bool | None = None,
        summary: str | None = None,
        overwrite: bool | None = None,
    ) -> MetricDefinition:
        """Say how a metric (or a ``"prefix*"`` glob of metrics) is summarized and plotted.

        ``summary`` takes wandb 0.31's operations, comma-separated: "min",
        "max", "mean", "first", "last", "none", "copy". A new call merges
        with earlier ones for the same name unless ``overwrite=True``.

        Raises:
            Error: With wandb's message for an empty name, a ``*`` other than
                at the end, an unknown summary operation or a wrongly typed
                argument.
        """
        if not name:
            raise Error("define_metric() requires non-empty name argument")
        if isinstance(step_metric, MetricDefinition):
            step_metric = step_metric.name
        for arg_name, arg_value, expected in (
            ("name", name, str),
            ("step_metric", step_metric, str),
            ("step_sync", step_sync, bool),
            ("hidden", hidden, bool),
            ("summary", summary, str),
            ("overwrite", overwrite, bool),
        ):
            if arg_value is not None and not isinstance(arg_value, expected):
                raise Error(f"Unhandled define_metric() arg: {arg_name} type: {type(arg_value).__name__}")
        if "*" in name[:-1]:
            raise Error(f"Unhandled define_metric() arg: name (glob suffixes only): {name}")
        ops: tuple[str, ...] | None = None
        if summary:
            ops = tuple(op.lower() for op in summary.split(","))
            for op in ops:
                if op not in _SUMMARY_OPS:
                    raise Error(f"Unhandled define_metric() arg: summary op: {op}")
            if "copy" in ops:
                self._warn("define_metric(summary='copy') is deprecated and will be removed.")
        if step_sync is None:
            step_sync = step_metric is not None

        new = MetricDefinition(name, step_metric, step_sync, hidden, ops)
        previous = self._record.defined_metrics.get(name)
        if previous is not None and not overwrite:
            merged_ops = tuple(dict.fromkeys((previous.summary or ()) + (ops or ()))) or None
            new = MetricDefinition(
                name,
                step_metric if step_metric is not None else previous.step_metric,
                step_sync if step_metric is not None else previous.step_sync,
                hidden if hidden is not None else previous.hidden,
                merged_ops,
            )
        self._record.defined_metrics[name] = new
        if not name.endswith("*"):
            self._apply_definition_to_summary(new)
        return dataclasses.replace(new)

    def finish(self, exit_code: int | None = None) -> None:
        """Commit the open row and mark the run finished (exit code 0 when not given)."""
        if self._record.finished:
            return
        self._commit_pending()
        self._record.exit_code = exit_code or 0
        self._record.finished = True
        self._wandb._run_finished(self)

    def __enter__(self) -> FakeRun:
        return self

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        # Same as wandb: exit code 1 when the block raised, and the exception propagates.
        self.finish(exit_code=1 if exc_type is not None else 0)

    def __repr__(self) -> str:
        return f"<FakeRun {self.id} project={self.project!r}>"

    # internals

    def _raise_if_finished(self, call: str) -> None:
        if self._record.finished:
            raise UsageError(
                f"Run ({self.id}) is finished. The call to `{call}` will be ignored. "
                "Please make sure that you are using an active run."
            )

    def _warn(self, message: str) -> None:
        self._record.warnings.append(message)
        termwarn(message)

    def _metric_for(self, key: str) -> MetricDefinition | None:
        # An exact definition wins over globs, as in wandb-core. When several globs match,
        # wandb-core's choice varies from run to run (map order); the fake takes the first defined.
        metrics = self._record.defined_metrics
        if key in metrics and not key.endswith("*"):
            return metrics[key]
        for metric in metrics.values():
            if metric.name.endswith("*") and metric.matches(key):
                return metric
        return None

    def _commit_pending(self) -> None:
        if not self._pending_touched:
            return
        row = self._pending
        for key in list(row):
            metric = self._metric_for(key)
            if metric and metric.step_metric and metric.step_sync and metric.step_metric not in row:
                stats = self._stats.get(metric.step_metric)
                row[metric.step_metric] = stats.last if stats else 0
        row["_step"] = self._step
        self._record.history.append(row)
        for key, value in row.items():
            if key != "_step":
                self._summarize(key, value)
        self._record.summary["_step"] = self._step
        self._step += 1
        self._pending = {}
        self._pending_touched = False

    def _summarize(self, key: str, value: Any) -> None:
        summary = self._record.summary
        if isinstance(value, dict):
            # Nested values merge into the summary; define_metric ops do not apply to them.
            if not isinstance(summary.get(key), dict):
                summary[key] = {}
            _merge_nested(summary[key], value)
            return
        stats = self._stats.get(key)
        if stats is None:
            stats = self._stats[key] = _KeyStats()
            stats.add(value, is_first=True)
        else:
            stats.add(value, is_first=False)
        if key in self._summary_set_by_user:
            summary[key] = value
            return
        metric = self._metric_for(key)
        ops = [op for op in (metric.summary or ()) if op != "copy"] if metric else []
        if "none" in ops:
            summary.pop(key, None)
        elif not ops:
            summary[key] = value
        else:
            aggregates = stats.aggregate(ops)
            if aggregates:
                summary[key] = aggregates

    def _apply_definition_to_summary(self, metric: MetricDefinition) -> None:
        # wandb-core re-summarizes an already logged key at once when its definition changes.
        self._summary_set_by_user.discard(metric.name)
        stats = self._stats.get(metric.name)
        ops = [op for op in (metric.summary or ()) if op != "copy"]
        if stats is None or not ops:
            return
        if "none" in ops:
            self._record.summary.pop(metric.name, None)
            return
        aggregates = stats.aggregate(ops)
        if aggregates:
            self._record.summary[metric.name] = aggregates

    def _set_summary(self, values: Mapping[str, Any]) -> None:
        self._raise_if_finished("_summary_update_callback")
        for key, value in values.items():
            self._record.summary[key] = _history_value(value)
            self._summary_set_by_user.add(key)


# --- the module -----------------------------------------------------------------


class FakeWandb(types.ModuleType):
    """A module object that stands in for ``wandb``; see the module docstring.

    Args:
        root_dir: Where run directories go when neither ``dir=`` nor
            ``WANDB_DIR`` says (real wandb uses the working directory).
            None means the working directory.
        seed: Seed of the run id generator, so ids repeat from test run to test run.

    Attributes:
        runs: One :class:`RecordedRun` per ``wandb.init`` that made a run, in order.
        run: The current global run (``wandb.run``), or None.
    """

    __version__ = WANDB_VERSION
    # So that annotations and isinstance checks written against wandb.Run resolve.
    Run = FakeRun
    Config = Config
    Error = Error
    CommError = CommError
    UsageError = UsageError
    Image = Image
    Table = Table
    Settings = Settings

    def __init__(self, root_dir: str | os.PathLike[str] | None = None, seed: int = 0) -> None:
        super().__init__("wandb", "Fake wandb module from sweepkit.testing (no service, no network).")
        self.errors = types.ModuleType("wandb.errors", "Fake wandb.errors.")
        for error in (Error, CommError, AuthenticationError, UsageError):
            setattr(self.errors, error.__name__, error)
        self.runs: list[RecordedRun] = []
        self.run: FakeRun | None = None
        self._root_dir = os.fspath(root_dir) if root_dir is not None else None
        self._rng = random.Random(seed)
        self._active: list[FakeRun] = []
        self._unset_globals()

    def seed(self, seed: int) -> None:
        """Restart the run id sequence from ``seed``."""
        self._rng = random.Random(seed)

    def install(self, monkeypatch: Any) -> FakeWandb:
        """Make ``import wandb`` return this fake until ``monkeypatch`` is undone.

        Real ``wandb`` and its loaded submodules leave ``sys.modules`` for the
        duration, so no ``wandb.*`` import can reach the real package. Modules
        that already ran ``import wandb`` (a test file, a training module
        imported at the top of one) have that name pointed at the fake too.

        Args:
            monkeypatch: A pytest ``MonkeyPatch``.
        """
        real = sys.modules.get("wandb")
        if real is not None and real is not self:
            for module in list(sys.modules.values()):
                self._rebind(module, real, monkeypatch)
        for name in list(sys.modules):
            if name == "wandb" or name.startswith("wandb."):
                monkeypatch.delitem(sys.modules, name)
        monkeypatch.setitem(sys.modules, "wandb", self)
        monkeypatch.setitem(sys.modules, "wandb.errors", self.errors)
        return self

    def _rebind(self, module: Any, real: types.ModuleType, monkeypatch: Any) -> None:
        # wandb's own modules keep the real package; everyone else's bound name follows the fake.
        name = getattr(module, "__name__", None)
        namespace = getattr(module, "__dict__", None)
        if not isinstance(name, str) or not isinstance(namespace, dict) or name == "wandb" or name.startswith("wandb."):
            return
        for attribute, value in list(namespace.items()):
            if value is real:
                monkeypatch.setattr(module, attribute, self)

    # module functions

    def init(
        self,
        entity: str | None = None,
        project: str | None = None,
        dir: str | os.PathLike[str] | None = None,
        id: str | None = None,
        name: str | None = None,
        notes: str | None = None,
        tags: Sequence[str] | None = None,
        config: Any = None,
        config_exclude_keys: list[str] | None = None,
        config_include_keys: list[str] | None = None,
        allow_val_change: bool | None = None,
        group: str | None = None,
        job_type: str | None = None,
        mode: str | None = None,
        force: bool | None = None,
        reinit: str | bool | None = None,
        resume: bool | str | None = None,
        resume_from: str | None = None,
        fork_from: str | None = None,
        save_code: bool | None = None,
        tensorboard: bool | None = None,
        sync_tensorboard: bool | None = None,
        monitor_gym: bool | None = None,
        settings: Settings | Mapping[str, Any] | None = None,
        anonymous: Any = None,
    ) -> FakeRun:
        """Start a fake run, with ``wandb.init``'s arguments and precedence.

        Precedence, lowest first: defaults, environment (``WANDB_PROJECT``,
        ``WANDB_ENTITY``, ``WANDB_RUN_ID``, ``WANDB_NAME``, ``WANDB_MODE``,
        ``WANDB_DIR``, ``WANDB_NOTES``, ``WANDB_TAGS``, ``WANDB_RUN_GROUP``,
        ``WANDB_JOB_TYPE``), ``settings``, then the arguments. Inside a sweep
        (``WANDB_SWEEP_ID`` set) ``project``, ``entity`` and ``id`` arguments
        are ignored with a warning. Config: ``config-defaults.yaml`` in the
        working directory, then ``config``, then the sweep param file
        (``WANDB_SWEEP_PARAM_PATH``), whose keys later updates cannot change.

        Raises:
            UsageError: For a bad run id, mode or reinit value.
            ConfigError: When the sweep param file is missing or malformed.
        """
        arguments = dict(locals())
        del arguments["self"]
        init_kwargs = {key: value for key, value in arguments.items() if value is not None}
        if config_exclude_keys and config_include_keys:
            raise UsageError("Expected at most only one of exclude or include")

        given = settings.given() if isinstance(settings, Settings) else dict(settings or {})
        for setting, value in (
            ("entity", entity),
            ("project", project),
            ("root_dir", None if dir is None else os.fspath(dir)),
            ("run_id", id),
            ("run_name", name),
            ("run_notes", notes),
            ("run_tags", None if tags is None else tuple(tags)),
            ("run_group", group),
            ("run_job_type", job_type),
            ("mode", mode),
            ("reinit", reinit),
        ):
            if value is not None:
                given[setting] = value

        sweep_id = os.environ.get("WANDB_SWEEP_ID") or None
        ignored: list[str] = []
        if sweep_id:
            for setting, label in (("project", "project"), ("entity", "entity"), ("run_id", "run_id")):
                if given.get(setting) is not None:
                    ignored.append(f"Ignoring {label} {given.pop(setting)!r} when running a sweep.")

        resolved = self._resolve_settings(given)
        resolved.sweep_id = sweep_id

        previous = self._active[-1] if self._active else None
        if previous is not None:
            if resolved.reinit == "finish_previous":
                for active in list(self._active):
                    active.finish()
            elif resolved.reinit != "create_new":
                termlog(
                    f"wandb.init() called while a run is active and reinit is set to {resolved.reinit!r}, "
                    "so returning the previous run."
                )
                return previous

        run_id = resolved.run_id or self._new_run_id()
        prefix = "offline-run" if resolved.mode == "offline" else "run"
        run_dir = os.path.join(
            os.path.abspath(resolved.root_dir),
            "wandb",
            f"{prefix}-{time.strftime('%Y%m%d_%H%M%S')}-{run_id}",
            "files",
        )
        os.makedirs(run_dir, exist_ok=True)
        resolved.run_id = run_id
        resolved.files_dir = run_dir
        resolved.sync_dir = os.path.dirname(run_dir)

        record = RecordedRun(
            id=run_id,
            name=resolved.run_name,
            project=resolved.project or "uncategorized",
            entity=resolved.entity or "",
            mode=resolved.mode,
            sweep_id=sweep_id,
            dir=run_dir,
            group=resolved.run_group or "",
            job_type=resolved.run_job_type or "",
            tags=tuple(resolved.run_tags or ()),
            notes=resolved.run_notes,
            init_kwargs=init_kwargs,
        )
        run = FakeRun(self, record, resolved)
        for message in ignored:
            run._warn(message)

        defaults = _load_param_file("config-defaults.yaml", must_exist=False)
        if defaults:
            run.config._update(defaults, allow_val_change=True)
        values = _config_from(config) if config is not None else {}
        if config_include_keys:
            values = {key: value for key, value in values.items() if key in config_include_keys}
        if config_exclude_keys:
            values = {key: value for key, value in values.items() if key not in config_exclude_keys}
        run.config._update(values, allow_val_change=True, ignore_locked=True)
        param_path = os.environ.get("WANDB_SWEEP_PARAM_PATH")
        if param_path:
            params = _load_param_file(param_path, must_exist=True)
            if params:
                run.config._merge_locked(params, user="sweep")

        self.runs.append(record)
        self._active.append(run)
        if resolved.reinit != "create_new":
            self._set_global(run)
        return run

    def finish(self, exit_code: int | None = None) -> None:
        """Finish ``wandb.run`` if there is one (like ``wandb.finish``)."""
        if self.run is not None:
            self.run.finish(exit_code=exit_code)

    def login(self, *args: Any, **kwargs: Any) -> bool:
        """Accept any credentials and report success; the fake has no server."""
        return True

    termlog = staticmethod(termlog)
    termwarn = staticmethod(termwarn)
    termerror = staticmethod(termerror)

    # internals

    def _resolve_settings(self, given: Mapping[str, Any]) -> Settings:
        env = os.environ.get
        env_tags = env("WANDB_TAGS")
        resolved = Settings(
            mode=env("WANDB_MODE") or "online",
            project=env("WANDB_PROJECT") or None,
            entity=env("WANDB_ENTITY") or None,
            run_id=env("WANDB_RUN_ID") or None,
            run_name=env("WANDB_NAME") or None,
            run_notes=env("WANDB_NOTES") or None,
            run_tags=tuple(tag.strip() for tag in env_tags.split(",") if tag.strip()) if env_tags else None,
            run_group=env("WANDB_RUN_GROUP") or None,
            run_job_type=env("WANDB_JOB_TYPE") or None,
            root_dir=env("WANDB_DIR") or self._root_dir or os.getcwd(),
            reinit="default",
        )
        for setting, value in given.items():
            if value is not None:
                setattr(resolved, setting, value)

        if resolved.mode not in _MODES:
            raise UsageError(f"mode={resolved.mode!r} is not one of {', '.join(map(repr, _MODES))}")
        resolved.mode = _MODE_ALIASES.get(resolved.mode, resolved.mode)
        if resolved.reinit is True:
            resolved.reinit = "finish_previous"
        elif resolved.reinit is False:
            resolved.reinit = "return_previous"
        if resolved.reinit not in _REINIT_CHOICES:
            raise UsageError(f"reinit={resolved.reinit!r} is not one of {', '.join(map(repr, _REINIT_CHOICES))}")
        if resolved.reinit == "default":
            resolved.reinit = "return_previous"
        run_id = resolved.run_id
        if run_id is not None:
            if not run_id.strip():
                raise UsageError("Run ID cannot be empty or only whitespace")
            if run_id != run_id.strip():
                raise UsageError("Run ID cannot start or end with whitespace")
            if any(char in _RESERVED_RUN_ID_CHARS for char in run_id):
                raise UsageError(f"Run ID cannot contain the characters: {_RESERVED_RUN_ID_CHARS}")
        return resolved

    def _new_run_id(self) -> str:
        return "".join(self._rng.choice(_RUN_ID_ALPHABET) for _ in range(_RUN_ID_LENGTH))

    def _set_global(self, run: FakeRun) -> None:
        self.run = run
        self.config = run.config
        self.summary = run.summary
        self.log = run.log
        self.define_metric = run.define_metric

    def _unset_globals(self) -> None:
        self.run = None
        self.config = _PreInitObject("wandb.config")
        self.summary = _PreInitObject("wandb.summary")
        self.log = _pre_init_callable("wandb.log")
        self.define_metric = _pre_init_callable("wandb.define_metric")

    def _run_finished(self, run: FakeRun) -> None:
        if run in self._active:
            self._active.remove(run)
        if self.run is run:
            self._unset_globals()
