"""Random search: every parameter drawn from its distribution.

With ``no_repeat`` (a keyword of :func:`sweepkit.engine.next_runs`, so the
sweep YAML stays valid for ``wandb sweep``), a fully discrete space is
sampled without replacement: a combination that any run already has is not
drawn again, and the search ends once every combination has run (wandb 4682,
1660). Without it, draws are independent, as in W&B.
"""

from __future__ import annotations

import itertools
import math
from typing import Any, Mapping, Sequence

import numpy as np

from sweepkit.distributions import Parameter, nest
from sweepkit.run import Run, Suggestion
from sweepkit.search.base import SearchMethod, freeze, point_key

# Draws tried before an almost exhausted space is enumerated instead.
_DRAWS_PER_SUGGESTION = 200


class RandomSearch(SearchMethod):
    """Independent draws from each parameter's distribution (``method: random``).

    Args:
        config: The validated sweep config.
        parameters: The config's parameters.
        no_repeat: In a fully discrete space, never repeat a combination that
            has run and end when all have. Ignored when a parameter is continuous.
    """

    name = "random"

    def __init__(self, config: Mapping[str, Any], parameters: Sequence[Parameter], *, no_repeat: bool = False) -> None:
        super().__init__(config, parameters)
        cardinalities = [p.distribution.cardinality() for p in self.parameters]
        self.size = math.prod(cardinalities) if None not in cardinalities else None
        self.no_repeat = no_repeat and self.size is not None
        self.paths = [p.path for p in self.parameters]

    def suggest(self, runs: Sequence[Run], n: int, rng: np.random.Generator) -> list[Suggestion]:
        if not self.no_repeat:
            return [self._suggestion(self._draw(rng), "random draw") for _ in range(n)]
        seen = {point_key(run.params, self.paths) for run in runs} - {None}
        suggestions = []
        for _ in range(n):
            values = self._draw_unseen(seen, rng)
            if values is None:
                break
            seen.add(self._key(values))
            reason = f"random draw without repeats ({len(seen)} of {self.size} combinations taken)"
            suggestions.append(self._suggestion(values, reason))
        return suggestions

    def _draw(self, rng: np.random.Generator) -> dict[tuple[str, ...], Any]:
        return {p.path: p.distribution.sample(rng, 1)[0] for p in self.parameters}

    def _key(self, values: Mapping[tuple[str, ...], Any]) -> tuple:
        return tuple(freeze(values[path]) for path in self.paths)

    def _draw_unseen(self, seen: set, rng: np.random.Generator) -> dict[tuple[str, ...], Any] | None:
        if len(seen) >= self.size:  # type: ignore[operator]
            return None
        for _ in range(_DRAWS_PER_SUGGESTION):
            values = self._draw(rng)
            if self._key(values) not in seen:
                return values
        # Nearly exhausted: pick among the combinations left, uniformly.
        remaining = [combination for combination in self._combinations() if self._key(combination) not in seen]
        if not remaining:
            return None
        return remaining[int(rng.integers(len(remaining)))]

    def _combinations(self) -> list[dict[tuple[str, ...], Any]]:
        axes = []
        for parameter in self.parameters:
            values = parameter.distribution.grid_values()
            if values is None or len(values) != parameter.distribution.cardinality():
                # Values the grid rules leave out (q_uniform's max, weighted
                # categories): collect them by sweeping the distribution.
                cardinality = parameter.distribution.cardinality() or 1
                found = {}
                for u in np.linspace(0.0, 1.0, 64 * cardinality + 1):
                    value = parameter.distribution.from_unit(float(u))
                    found.setdefault(freeze(value), value)
                values = list(found.values())
            axes.append(values)
        return [dict(zip(self.paths, point)) for point in itertools.product(*axes)]

    def _suggestion(self, values: Mapping[tuple[str, ...], Any], reason: str) -> Suggestion:
        return Suggestion(params=nest(dict(values)), reason=reason, info={"method": "random"})
