"""Segmentation: where the NPS is good or bad, honestly.

An overall NPS averages over segments (regions, plans, industries...) that
can differ a great deal. This area measures every segment with its interval,
tests each against the rest of the customers (Benjamini-Hochberg adjusted
across every segment of every dimension), says which segments are too small
to report, measures how far the segments spread beyond sampling noise, and
splits the change of the overall NPS between two periods into a change of
*who answered* (mix) and of *how they scored* (rate).

Building blocks (each takes a DataFrame of responses and column names and
returns a tidy DataFrame): :func:`segment_nps`, :func:`dimension_tests`,
:func:`segment_dispersion`, :func:`nps_grid` (:mod:`.segments`);
:func:`nps_trend`, :func:`comparison_periods`, :func:`mix_rate_decomposition`,
:func:`mix_rate_summary` (:mod:`.periods`). Figures (:mod:`.figures`), each
drawing a block's table: :func:`plot_forest`, :func:`plot_heatmap`,
:func:`plot_trend`, :func:`plot_mix_rate`. :func:`diagnose` runs the checks
(:mod:`.checks`) and the finding rules (:mod:`.rules`) for the report. The
generic statistics are :mod:`npsdiag.stats.meta` (DerSimonian-Laird) and
:mod:`npsdiag.stats.decomposition` (Kitagawa).

References
----------
.. [1] Rocks, B. (2016). Interval Estimation for the "Net Promoter Score".
   The American Statistician, 70(4), 365-372.
.. [2] Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery
   rate. JRSS B, 57(1), 289-300.
.. [3] DerSimonian, R. & Laird, N. (1986). Meta-analysis in clinical trials.
   Controlled Clinical Trials, 7(3), 177-188.
.. [4] Higgins, J. P. T. & Thompson, S. G. (2002). Quantifying heterogeneity
   in a meta-analysis. Statistics in Medicine, 21(11), 1539-1558.
.. [5] Viechtbauer, W. (2007). Confidence intervals for the amount of
   heterogeneity in meta-analysis. Statistics in Medicine, 26(1), 37-52.
.. [6] Kitagawa, E. M. (1955). Components of a difference between two rates.
   Journal of the American Statistical Association, 50(272), 1168-1194.
"""

from .coding import MISSING
from .diagnose import diagnose
from .figures import plot_forest, plot_heatmap, plot_mix_rate, plot_trend
from .periods import comparison_periods, mix_rate_decomposition, mix_rate_summary, nps_trend
from .segments import dimension_tests, nps_grid, segment_dispersion, segment_nps

__all__ = [
    "MISSING",
    "segment_nps",
    "dimension_tests",
    "segment_dispersion",
    "nps_grid",
    "nps_trend",
    "comparison_periods",
    "mix_rate_decomposition",
    "mix_rate_summary",
    "plot_forest",
    "plot_heatmap",
    "plot_trend",
    "plot_mix_rate",
    "diagnose",
]
