"""Keras 3 callbacks for W&B runs; backend-agnostic (only the public ``keras`` API).

Importing this package imports Keras, never TensorFlow directly.
"""

from __future__ import annotations

from sweepkit.callbacks.epoch_logger import EpochLogger
from sweepkit.callbacks.lr_range_test import LRRangeTest
from sweepkit.callbacks.nan_guard import NanGuard

__all__ = ["EpochLogger", "LRRangeTest", "NanGuard"]
