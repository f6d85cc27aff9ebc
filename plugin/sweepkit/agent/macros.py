"""Turn a sweep's ``command`` (with its ``${...}`` macros) into the argv of one run.

The rules are W&B's (``wandb agent``, 0.31), so a sweep YAML means the same
online and offline:

- ``${envvar:NAME}`` is replaced anywhere inside a list item by the variable's
  value (by ``NAME`` itself when unset, as W&B does).
- Any other macro is substituted only when a list item is exactly that macro;
  it expands to zero or more argv items.
- Values are written with Python's ``str()`` (``True``, ``0.001``, nested dicts
  as their repr).

One deliberate difference: ``${interpreter}`` is the running interpreter
(``sys.executable``), where W&B writes the literal ``python`` and so may start
a different Python than the one the agent was installed in.

The argv is a list handed straight to the OS: no value ever passes through a
shell, so a value like ``'; rm -rf ~'`` reaches the program as one argument.
"""

from __future__ import annotations

import json
import os
import re
import sys
from typing import Any, Mapping, Sequence

DEFAULT_COMMAND: tuple[str, ...] = ("${env}", "${interpreter}", "${program}", "${args}")
ARG_MACROS: tuple[str, ...] = (
    "args",
    "args_no_equals",
    "args_no_hyphens",
    "args_no_boolean_flags",
    "args_json",
    "args_append_hydra",
    "args_override_hydra",
)
MACROS: tuple[str, ...] = ("env", "interpreter", "program", "args_json_file", *ARG_MACROS)
ENVVAR_MACRO = re.compile(r"\$\{envvar\:([A-Z0-9_]*)\}")


class MacroError(ValueError):
    """The sweep's ``command`` uses a macro that does not exist."""


def command_args(params: Mapping[str, Any]) -> dict[str, list[str]]:
    """Every argument format W&B offers, for one run's top-level params.

    Example:
        >>> command_args({"lr": 0.1, "bn": False})["args_no_boolean_flags"]
        ['--lr=0.1']
    """
    formats: dict[str, list[str]] = {name: [] for name in ARG_MACROS}
    for name, value in params.items():
        flag = f"{name}={value}"
        formats["args"].append(f"--{flag}")
        formats["args_no_equals"] += [f"--{name}", str(value)]
        formats["args_no_hyphens"].append(flag)
        formats["args_append_hydra"].append(f"+{flag}")
        formats["args_override_hydra"].append(f"++{flag}")
        if isinstance(value, bool):
            # A boolean becomes a bare switch: present when true, absent when false.
            if value:
                formats["args_no_boolean_flags"].append(f"--{name}")
        else:
            formats["args_no_boolean_flags"].append(f"--{flag}")
    formats["args_json"] = [args_json(params)]
    return formats


def args_json(params: Mapping[str, Any]) -> str:
    """The params as one JSON object (``${args_json}`` and the ``${args_json_file}`` file)."""
    return json.dumps(dict(params))


def uses_macro(command: Sequence[Any] | None, macro: str) -> bool:
    """Whether a list item of the command is exactly ``${macro}``."""
    return f"${{{macro}}}" in [str(item) for item in (command or DEFAULT_COMMAND)]


def unknown_macros(command: Sequence[Any] | None) -> list[str]:
    """Items that look like a macro but are none of :data:`MACROS` (W&B would drop them silently)."""
    unknown = []
    for item in command or DEFAULT_COMMAND:
        text = str(item)
        if text.startswith("${") and text.endswith("}") and not ENVVAR_MACRO.fullmatch(text):
            if text[2:-1] not in MACROS:
                unknown.append(text)
    return unknown


def build_argv(
    command: Sequence[Any] | None,
    *,
    program: str,
    params: Mapping[str, Any],
    args_json_file: str = "",
    interpreter: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> list[str]:
    """The argv that runs one trial.

    Args:
        command: The sweep's ``command`` list; W&B's default when None or empty.
        program: The sweep's ``program``.
        params: The run's parameter values (top-level names; nested values stay dicts).
        args_json_file: Path of the JSON param file, for ``${args_json_file}``.
        interpreter: The Python for ``${interpreter}``; the running one by default.
        environ: Variables for ``${envvar:NAME}``; ``os.environ`` by default.

    Raises:
        MacroError: The command names a macro that does not exist.
    """
    command = list(command or DEFAULT_COMMAND)
    unknown = unknown_macros(command)
    if unknown:
        raise MacroError(f"unknown macro(s) {', '.join(unknown)} in the sweep's command; known: " + ", ".join(f"${{{m}}}" for m in MACROS) + ", ${envvar:NAME}")
    environ = os.environ if environ is None else environ
    values = command_args(params)
    values["env"] = ["/usr/bin/env"]
    values["interpreter"] = [interpreter or sys.executable]
    values["program"] = [program]
    values["args_json_file"] = [args_json_file]
    argv: list[str] = []
    for item in command:
        text = ENVVAR_MACRO.sub(lambda match: environ.get(match.group(1), match.group(1)), str(item))
        if text.startswith("${") and text.endswith("}") and text[2:-1] in values:
            argv += values[text[2:-1]]
        else:
            argv.append(text)
    return argv
