"""Key drivers' rules: the area's summary sentence (the area has no findings of its own: SPEC ids do not cover it)."""

from __future__ import annotations

from typing import Any

__all__ = ["summary"]


def summary(score_drivers: dict[str, Any]) -> str:
    """One sentence: the driver that explains most of the score, and how much the drivers explain together.

    ``score_drivers`` is the context of :func:`npsdiag.areas.drivers.checks.score_drivers` (its ``top`` row).
    """
    top = score_drivers["top"]
    return (f"{top['driver']} explains most of the score ({100 * top['share']:.0f}% of the explained "
            f"variance; the drivers together explain {100 * top['r2']:.0f}% of it).")
