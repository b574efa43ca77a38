"""The base of the statistics' small result objects.

A statistical block that returns a handful of numbers (a test, an interval, a
fitted model's headline) returns a frozen dataclass derived from
:class:`Result`: its fields are attributes (``r.p_value``), ``r.summary`` is a
one-row DataFrame of them, ``r.to_dict()`` a plain dict (for a finding's
evidence) and notebooks show the summary as a table.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd

__all__ = ["Result"]


class Result:
    """Mixin for frozen dataclasses of results: ``summary``, ``to_dict`` and an HTML repr.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Mean(Result):
    ...     mean: float
    ...     n: int
    >>> Mean(2.5, 4).summary
       mean  n
    0   2.5  4
    """

    def to_dict(self) -> dict[str, Any]:
        """The result's fields as a plain dict (fields declared with ``repr=False`` left out)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.repr}  # type: ignore[arg-type]

    @property
    def summary(self) -> pd.DataFrame:
        """The result as a one-row DataFrame."""
        return pd.DataFrame([self.to_dict()])

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return self.summary.to_html(index=False)
