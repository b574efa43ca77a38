"""The segmentation area of one client: its checks, their findings and the summary."""

from __future__ import annotations

from ...clean import Prepared
from ...findings import AreaResult
from . import checks, rules

AREA = "segmentation"


def diagnose(prep: Prepared) -> AreaResult:
    """Diagnose the segmentation area of one client's NPS program.

    Parameters
    ----------
    prep : Prepared
        The client's data after :func:`npsdiag.clean.prepare`.

    Returns
    -------
    AreaResult
        Tables ``segments`` (NPS per segment value tested against the rest),
        ``dimensions`` (chi-square test and dispersion per dimension),
        ``trend`` and ``mix_rate`` (decomposition of the change between two
        periods); a forest plot per dimension, a heat map of two
        dimensions, the trend and the mix/rate chart; findings
        ``segmentation.hidden_segment``, ``segmentation.insufficient_n``,
        ``segmentation.dispersion`` and ``segmentation.mix_shift``. Not
        assessed without responses or segment columns.
    """
    reason = checks.missing_inputs(prep)
    if reason:
        return AreaResult(AREA, not_assessed_reason=reason, checks=checks.skipped_all(reason))
    inputs = checks.gather(prep)
    segments = checks.segment_table(inputs)
    table = segments.context["segments"]
    dispersion = checks.dispersion(inputs, table)
    ran = [segments, checks.small_segments(inputs, table), dispersion,
           checks.dimension_tests(inputs, dispersion.context["dispersion"]), checks.heatmap(inputs),
           checks.trend(inputs), checks.mix_rate(inputs)]
    by_name = {c.name: c.context for c in ran}
    found = [rules.hidden_segment(by_name["segments"]), rules.insufficient_n(by_name["small_segments"]),
             rules.dispersion(by_name["dispersion"]), rules.mix_shift(by_name["mix_rate"])]
    findings = [f for f in found if f is not None]
    result = AreaResult.from_checks(AREA, ran, findings, rules.summary(findings, by_name["segments"]),
                                    illustrates=rules.ILLUSTRATES)
    result.notes.extend(checks.method_notes(inputs.min_n))
    return result
