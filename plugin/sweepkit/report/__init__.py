"""See a sweep: its leaderboard, which parameters matter, and plots, as text, JSON, PNG and HTML.

Modules, one concept each:

- :mod:`~sweepkit.report.sweep_data`: a read-only snapshot of an offline sweep
  (its store and the runs' transaction logs), also while agents still run it.
- :mod:`~sweepkit.report.leaderboard`: every run ranked by its best metric value.
- :mod:`~sweepkit.report.importance`: correlation and random-forest importance
  of each parameter, as W&B's sweep page shows them.
- :mod:`~sweepkit.report.plots`: the numbers behind each plot, and the drawing.
- :mod:`~sweepkit.report.html`: one self-contained HTML page.
- :mod:`~sweepkit.report.command`: the ``sweepkit report`` command.

Nothing is imported here so that ``import sweepkit.report.sweep_data`` stays light.
"""

from __future__ import annotations
