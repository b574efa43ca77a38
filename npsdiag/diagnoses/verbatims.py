"""The verbatims area of the diagnosis (not built yet)."""

from __future__ import annotations

from ..clean import Prepared
from ..findings import AreaResult, not_assessed

__all__ = ["diagnose"]


def diagnose(prep: Prepared) -> AreaResult:
    """Diagnose the verbatims area of one client's NPS program.

    Parameters
    ----------
    prep : Prepared
        The client's data after :func:`npsdiag.clean.prepare`.

    Returns
    -------
    AreaResult
    """
    return not_assessed("verbatims", "this diagnosis is not built yet in this version of npsdiag")
