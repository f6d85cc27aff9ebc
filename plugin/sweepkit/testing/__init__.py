"""Test helpers that ship with sweepkit (a fake ``wandb``, contract suites).

The ``fake_wandb`` pytest fixture comes with the package (see
:mod:`sweepkit.testing.plugin`); :class:`~sweepkit.testing.fake_wandb.FakeWandb`
can also be installed by hand with a ``pytest.MonkeyPatch``.
"""
