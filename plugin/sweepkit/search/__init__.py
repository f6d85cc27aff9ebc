"""Search methods: one small class per sweep ``method`` (grid, random, bayes).

Modules are imported on first use so that reading a config does not pull in
scikit-learn.
"""

from __future__ import annotations

import importlib

from sweepkit.search.base import SearchMethod

_METHOD_CLASSES = {
    "grid": ("sweepkit.search.grid", "GridSearch"),
    "random": ("sweepkit.search.random", "RandomSearch"),
    "bayes": ("sweepkit.search.bayes", "BayesSearch"),
}

METHODS = tuple(_METHOD_CLASSES)


def method_class(method: str) -> type[SearchMethod]:
    """The class that implements a sweep's ``method``.

    Raises:
        ValueError: When ``method`` is not one of :data:`METHODS`.
    """
    if method not in _METHOD_CLASSES:
        raise ValueError(f"method={method!r} is not a search method; use one of {', '.join(METHODS)}")
    module_name, class_name = _METHOD_CLASSES[method]
    return getattr(importlib.import_module(module_name), class_name)


__all__ = ["METHODS", "SearchMethod", "method_class"]
