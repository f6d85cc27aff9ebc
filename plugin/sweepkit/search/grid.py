"""Grid search: every combination of the parameters' values, once.

The order is W&B's (``sweeps.grid_search``): parameters sorted by name
(nested ones by their path), the last one changing fastest, each parameter's
values in W&B's grid order (``values`` as written, ``int_uniform`` min..max,
``q_uniform`` ``np.arange(min, max, q)``). A point that any run already has,
in any state, is skipped, so a resumed sweep carries on where it stopped, and
the search ends when the grid is exhausted instead of starting over (W&B
overshoots large grids: wandb 8549, 10105).
"""

from __future__ import annotations

import itertools
import math
from typing import Any, Mapping, Sequence

import numpy as np

from sweepkit.distributions import GRID_DISTRIBUTIONS, Parameter, nest
from sweepkit.run import Run, Suggestion
from sweepkit.search.base import SearchMethod, freeze, point_key


class GridSearch(SearchMethod):
    """The cartesian product of the parameters' grid values (``method: grid``).

    Raises:
        ValueError: A parameter's distribution has no grid values (W&B's grid
            takes only constant, categorical, int_uniform and q_uniform).
    """

    name = "grid"

    def __init__(self, config: Mapping[str, Any], parameters: Sequence[Parameter]) -> None:
        super().__init__(config, parameters)
        # W&B sorts parameter names at every nesting level: that is the order of paths.
        self.ordered = sorted(self.parameters, key=lambda parameter: parameter.path)
        self.axes: list[list] = []
        for parameter in self.ordered:
            values = parameter.distribution.grid_values()
            if values is None:
                raise ValueError(
                    f"parameter {parameter.name} has distribution {parameter.distribution.name}, which grid search "
                    f"cannot enumerate; use one of {', '.join(GRID_DISTRIBUTIONS)} or method random/bayes"
                )
            self.axes.append(values)
        # Like W&B, constants do not decide whether a run has visited a point.
        self.searched = [p.path for p in self.ordered if p.distribution.name != "constant"]
        self.size = math.prod(len(values) for values in self.axes)

    def suggest(self, runs: Sequence[Run], n: int, rng: np.random.Generator) -> list[Suggestion]:
        """The next ``n`` unvisited grid points in order; fewer or none when the grid runs out.

        ``rng`` is not used: the grid order is fixed.
        """
        visited = {point_key(run.params, self.searched) for run in runs}
        searched_indexes = [i for i, p in enumerate(self.ordered) if p.distribution.name != "constant"]
        suggestions: list[Suggestion] = []
        for index, point in enumerate(itertools.product(*self.axes)):
            key = tuple(freeze(point[i]) for i in searched_indexes)
            if key in visited:
                continue
            visited.add(key)  # values repeated within a list are visited once
            params = nest({parameter.path: value for parameter, value in zip(self.ordered, point)})
            reason = f"grid point {index + 1} of {self.size}"
            suggestions.append(Suggestion(params=params, reason=reason, info={"grid_index": index, "grid_size": self.size}))
            if len(suggestions) == n:
                break
        return suggestions
