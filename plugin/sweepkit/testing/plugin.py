"""pytest plugin: registered through the ``pytest11`` entry point.

Installing sweepkit gives every pytest session the ``fake_wandb`` fixture.
pytest loads this module at startup of every session, so it imports neither
wandb nor Keras; the fake itself is imported when a test asks for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

import pytest

if TYPE_CHECKING:
    from sweepkit.testing.fake_wandb import FakeWandb


@pytest.fixture
def fake_wandb(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeWandb]:
    """A fake ``wandb`` installed as ``sys.modules["wandb"]`` for one test.

    Any ``import wandb`` during the test returns the fake, and modules that
    imported wandb earlier (the test file itself, a training module) see the
    fake under that name; real wandb and its submodules come back afterwards. Run directories go under a temporary
    directory unless ``dir=`` or ``WANDB_DIR`` says otherwise, and run ids
    are the same on every test run. See :mod:`sweepkit.testing.fake_wandb`.

    Yields:
        The fake module; ``fake_wandb.runs`` records every run.
    """
    from sweepkit.testing.fake_wandb import FakeWandb

    # A directory of its own, so tests that also use tmp_path see only their files there.
    fake = FakeWandb(root_dir=tmp_path_factory.mktemp("fake_wandb"), seed=0)
    fake.install(monkeypatch)
    yield fake
