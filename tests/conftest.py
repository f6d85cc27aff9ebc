"""Suite-wide settings: no account, no network, quiet W&B and TensorFlow."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("WANDB_SILENT", "true")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# A run started by a test must never look for an API key or a server.
os.environ.pop("WANDB_API_KEY", None)


@pytest.fixture
def offline_env(tmp_path: Path) -> dict[str, str]:
    """Environment for a subprocess that runs real wandb offline under ``tmp_path``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("WANDB_") or key in ("WANDB_MODE", "WANDB_SILENT")
    }
    env.update(WANDB_MODE="offline", WANDB_SILENT="true", WANDB_DIR=str(tmp_path), PYTHONPATH=str(REPO))
    return env
