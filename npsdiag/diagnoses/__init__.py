"""One module per area of the diagnosis; each has ``diagnose(prep) -> AreaResult``."""

from . import balance, decay, outcome, reliability, segmentation, verbatims

__all__ = ["reliability", "balance", "segmentation", "outcome", "decay", "verbatims"]
