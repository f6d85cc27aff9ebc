"""The offline sweep agent: runs any W&B program the way ``wandb agent`` does, with no server.

Modules, one concept each:

- :mod:`~sweepkit.agent.store`: the sweep store (SQLite under ``wandb/sweep-<id>/``).
- :mod:`~sweepkit.agent.macros`: sweep ``command`` macros to an argv, as W&B builds it.
- :mod:`~sweepkit.agent.launcher`: starting and stopping one trial process.
- :mod:`~sweepkit.agent.agent`: the loop around the engine.
- :mod:`~sweepkit.agent.progress`: the live table or plain log lines.
- :mod:`~sweepkit.agent.online`: ``wandb sweep`` / ``wandb agent`` per GPU for online sweeps.

Nothing is imported here so that ``import sweepkit.agent.store`` stays light.
"""

from __future__ import annotations
