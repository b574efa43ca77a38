"""The statistics of npsdiag, by family.

One module per family; each block takes DataFrames (or arrays) and column
names and returns a tidy DataFrame or a small result object with
``.summary`` (:class:`~npsdiag.stats.result.Result`).

=====================  =====================================================================
module                 family
=====================  =====================================================================
``nps``                categories, the NPS and its adjusted Wald interval (Rocks 2016), trends
``survey``             design-based NPS for clustered responses, design effects, Rao-Scott tests
``design``             design effect of a proportion with clusters
``proportions``        Wilson intervals, effect size of a goodness-of-fit test
``medians``            the order-statistic interval of a median
``multiplicity``       Benjamini-Hochberg adjustment
``regression``         logistic regression (model-based or cluster-robust) and the Cox model
``auc``                discrimination: AUC with Hanley-McNeil or DeLong intervals
``keydrivers``         relative weights (Johnson 2000) and Shapley/LMG decomposition of R²
``funnel``             funnel limits and overdispersion (Spiegelhalter 2005)
``meta``               between-segment heterogeneity (DerSimonian-Laird, Q-profile)
``decomposition``      mix/rate (Kitagawa) decomposition of a change
``concentration``      Lorenz curve, Gini, top share and its null distribution
``weighting``          weighted NPS: one vote per account, post-stratification
``terms``              words that distinguish two groups (log-odds with a Dirichlet prior)
``result``             the base of the result objects
=====================  =====================================================================
"""
