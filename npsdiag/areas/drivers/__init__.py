"""Key-driver analysis: which driver ratings explain the score, and which explain churn.

Driver questions ("How easy is the product to use?", "How satisfied are you
with support?") are nearly always correlated with one another, so regression
coefficients do not say how much each one matters. Two standard
decompositions of the model's explained variance do (both in
:mod:`npsdiag.stats.keydrivers`):

* Johnson's (2000) relative weights (:func:`relative_weights`): the drivers
  are replaced by their closest orthogonal counterparts, the outcome is
  regressed on those, and the explained variance is carried back to the
  original drivers. The weights add up to R².
* The LMG / Shapley decomposition of R² (:func:`shapley_r2`; Lindeman,
  Merenda & Gold 1980): each driver's R² increment averaged over every order
  in which the drivers could enter the model. With ``model="logit"`` the
  same averaging is applied to McFadden's pseudo-R² of a logistic regression
  (general dominance, Azen & Traxel 2009), for churn.

The two agree closely in practice (Johnson 2000; LeBreton et al. 2004);
:func:`key_drivers` reports both with bootstrap intervals, and
:func:`churn_drivers` gives the odds ratio per standard deviation of each
driver beside its share of the pseudo-R², on the accounts' ratings given
before their outcome (:func:`account_ratings`, with the embargo of
:func:`npsdiag.linking.before_outcome`); :func:`plot_drivers` draws the
shares. :func:`diagnose` runs the area's checks (``checks``: score drivers,
churn drivers) and its rule (``rules``: ``drivers.dominant_driver``, one
driver explaining most of the score beyond doubt, or alone predicting churn).

References
----------
.. [1] Johnson, J. W. (2000). A heuristic method for estimating the relative
   weight of predictor variables in multiple regression. Multivariate
   Behavioral Research, 35(1), 1-19.
.. [2] Lindeman, R. H., Merenda, P. F. & Gold, R. Z. (1980). Introduction to
   Bivariate and Multivariate Analysis. Scott, Foresman.
.. [3] Budescu, D. V. (1993). Dominance analysis: a new approach to the
   problem of relative importance of predictors in multiple regression.
   Psychological Bulletin, 114(3), 542-551.
.. [4] Azen, R. & Traxel, N. (2009). Using dominance analysis to determine
   predictor importance in logistic regression. Journal of Educational and
   Behavioral Statistics, 34(3), 319-347.
.. [5] Tonidandel, S., LeBreton, J. M. & Johnson, J. W. (2009). Determining
   the statistical significance of relative weights. Psychological Methods,
   14(4), 387-399.
"""

from ...stats.keydrivers import relative_weights, shapley_r2
from .blocks import account_ratings, churn_drivers, key_drivers, ratings_by_account
from .diagnose import diagnose
from .figures import plot_drivers

__all__ = ["relative_weights", "shapley_r2", "key_drivers", "account_ratings", "ratings_by_account", "churn_drivers",
           "plot_drivers", "diagnose"]
