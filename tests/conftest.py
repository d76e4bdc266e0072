"""Shared fixtures. ``open_dataset`` runs a test once per store kind (the conformance suite)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

ROOT = Path(__file__).resolve().parent.parent

STORE_KINDS = ["embedded"]


@pytest.fixture(params=STORE_KINDS)
def open_dataset(request: pytest.FixtureRequest) -> Callable[[Path], object]:
    """A function that puts a dataset folder into this run's store and opens it."""
    from graphtrace.stores import EmbeddedStore

    if request.param == "embedded":
        return lambda folder: EmbeddedStore(folder)
    raise AssertionError(request.param)
