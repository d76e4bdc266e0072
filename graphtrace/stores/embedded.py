"""The embedded store: a dataset folder (or .xlsx workbook) read and computed in process."""

from __future__ import annotations

from pathlib import Path

from graphtrace.model import Dataset
from graphtrace.stores.base import Store
from graphtrace.validate import load_dataset


class EmbeddedStore(Store):
    """A dataset folder; it is read and validated once, on first use."""

    def __init__(self, path: str | Path) -> None:
        self.location = str(path)
        self._dataset: Dataset | None = None

    def dataset(self) -> Dataset:
        if self._dataset is None:
            self._dataset = load_dataset(self.location)
        return self._dataset
