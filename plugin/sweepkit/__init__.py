"""sweepkit: hyperparameter sweeps of Keras models with Weights & Biases, online or offline.

``import sweepkit`` is light: it imports neither Keras nor wandb. The engine
entry points are loaded on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "Run": "sweepkit.run",
    "Suggestion": "sweepkit.run",
    "StopDecision": "sweepkit.run",
    "load_config": "sweepkit.config",
    "validate": "sweepkit.config",
    "ConfigError": "sweepkit.config",
    "Problem": "sweepkit.config",
    "next_runs": "sweepkit.engine",
    "next_run": "sweepkit.engine",
    "stop_runs": "sweepkit.engine",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sweepkit' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
