"""The statistics of npsdiag, by family.

Each module is one family: :mod:`~npsdiag.stats.nps` (categories, the NPS
and its intervals, trends), :mod:`~npsdiag.stats.proportions` (Wilson),
:mod:`~npsdiag.stats.multiplicity` (Benjamini-Hochberg),
:mod:`~npsdiag.stats.regression` (logistic and Cox models),
:mod:`~npsdiag.stats.auc` (discrimination), :mod:`~npsdiag.stats.funnel`
(funnel limits, overdispersion), :mod:`~npsdiag.stats.weighting` (weighted
NPS, design effects). Blocks take DataFrames (or arrays) and column names and
return tidy DataFrames or small result objects with ``.summary``.
"""
