"""Test helpers that ship with sweepkit (a fake ``wandb``, contract suites)."""
