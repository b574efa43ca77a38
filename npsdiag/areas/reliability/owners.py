"""Building blocks of the reliability area's score-gaming check: owners whose scores look implausibly high.

:func:`owner_heaping` compares each owner's share of 10s among 9s and 10s
with the other owners'; :func:`owner_outcomes` compares their accounts'
churn with what their scores predict; :func:`owner_review` combines the two
into one verdict per owner; :func:`owner_funnel` gives the funnel plot's
centre line and control limits for a review.

The score-gaming check calls :func:`owner_review_on_codes`, the same review
on the integer codes that :meth:`npsdiag.clean.Prepared.codes` computes once
per export.

References
----------
.. [1] Spiegelhalter, D. J. (2005). Funnel plots for comparing institutional
   performance. Statistics in Medicine, 24(8), 1185-1202.
.. [2] McCullagh, P. (1980). Regression models for ordinal data. JRSS B,
   42(2), 109-142.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ...stats.funnel import beta_binomial_tails, funnel_limits, meta_regression, overdispersion
from ...stats.multiplicity import bh_adjust
from ...stats.nps import Breaks, nps_diff_test, nps_table
from ...stats.result import Result
from .rules import GAMING_ALPHA, GAMING_ALPHA_HIGH, GAMING_MIN_EXCESS, GAMING_MIN_EXCESS_HIGH, GAMING_MIN_TOP

# the building blocks (owner_review_on_codes is the check's fast path, not one of them)
__all__ = ["owner_heaping", "owner_outcomes", "owner_review", "OwnerFunnel", "owner_funnel", "POSITIVITY_SLOPE_PRIOR"]

#: Prior (mean, sd) of the slope of an owner's share of 10s among 9-10 scores (logit) on how positive their
#: customers are (-log of their share of 0-8 scores): 0 when promoters split 10:9 alike whatever the mood, 1 under
#: the proportional-odds shift (McCullagh 1980); the prior spans both at one standard deviation and the other
#: owners' data move it.
POSITIVITY_SLOPE_PRIOR = (0.5, 0.5)


def owner_heaping(
    data: pd.DataFrame,
    owner: str = "owner",
    score: str = "score",
    top: float = 10,
    min_top: int = GAMING_MIN_TOP,
    confidence: float = 0.95,
    breaks: Breaks = Breaks(),
    adjust: bool = True,
    min_excess: float = GAMING_MIN_EXCESS,
    account: str | None = "account_id",
    outlier_alpha: float | None = None,
) -> pd.DataFrame:
    """Per owner, the excess of top scores (10s) among the two top scores (9s and 10s).

    An owner who coaches customers, picks who is surveyed or fills in
    answers shows too many 10s for the 9s. Conditioning on the top two
    scores keeps an owner whose customers are simply happier (more 9s *and*
    10s) from being accused: only the ratio of 10s to 9s is tested.

    Parameters
    ----------
    data : DataFrame
        One row per response.
    owner, score : str
        Column names.
    top : float
        The top of the scale (10); ``top - 1`` is the second score.
    min_top : int
        Owners with fewer 9s and 10s are shown but not tested.
    confidence : float
        Confidence level of each owner's NPS interval.
    adjust : bool
        Adjust the expected share of 10s for how positive the owner's
        customers are (default; see Notes). Without it, the other owners'
        pooled share.
    min_excess : float
        Excess (share points) that makes an owner an outlier, with an
        adjusted p-value below ``outlier_alpha``.
    outlier_alpha : float, optional
        Default 1 - confidence.
    account : str, optional
        Account column: an owner's responses from one account are not
        independent, so the variance of their share of 10s is inflated by
        its design effect (linearised, accounts as clusters).

    Returns
    -------
    DataFrame
        One row per owner, most extreme first: ``owner``, ``n``, ``nps``,
        ``ci_low``, ``ci_high``, ``nines``, ``tens``, ``top_two`` (9s + 10s),
        ``share_top_two`` (of all the owner's scores), ``share_tens`` (tens /
        top_two), ``expected_share_tens`` (predicted from the other owners),
        ``expected_share_var`` (variance of that prediction), ``excess``,
        ``tau2`` (between-owner variance of the share), ``design_effect``,
        ``z``, ``p_value`` (one-sided, beta-binomial), ``p_adj``
        (Benjamini-Hochberg across tested owners), ``tested``.

    Notes
    -----
    Each owner's count of 10s among their 9s and 10s is compared with the
    other owners (leave-one-out). How owners' customers split their top
    scores may depend on how positive they are: under a proportional-odds
    (ordered logit) shift, happier customers give relatively more 10s
    (logit P(10) = logit P(>=9) - a, i.e. the logit of the share of 10s among
    9-10 scores is log(1 + e^L) - log(e^a - 1), L the logit of the share of
    9-10 scores; McCullagh 1980); where promoters split alike whatever the
    mood, the share does not move. With ``adjust`` the data decide between
    the two: a random-effects meta-regression of the other owners' logit
    shares of 10s on x = log(1 + e^L) (-log of their share of 0-8 scores,
    which moving 9s to 10s does not change), with a normal prior on the
    slope (:data:`POSITIVITY_SLOPE_PRIOR`: mean 0.5, sd 0.5, spanning the
    constant split, 0, and the proportional-odds shift, 1), residual
    between-owner variance by the method of moments
    (:func:`npsdiag.stats.funnel.meta_regression`), predicts the owner's
    expected share at their own x, with the variance of that prediction
    (large for an owner whose customers are unlike the others', predicted by
    extrapolation). Without ``adjust`` the expectation is the other owners'
    pooled share and tau^2 their DerSimonian-Laird estimate. Both variances
    are carried to the share's scale by the delta method. The count of 10s
    is then beta-binomial around the expectation with variance tau^2 plus
    the prediction's (Spiegelhalter 2005: an additive random effect), with
    Kish effective counts when responses cluster in accounts (the design
    effect of the owner's share, linearised with accounts as clusters), and
    z = (share - expected) / sqrt(deff e (1 - e) / m + tau^2 + var(e)). On
    simulated owners without gaming z is close to standard normal (mean,
    spread and tail rate tested in ``tests/test_reliability.py``, whether
    happier customers give relatively more 10s or not). One-sided p-values
    (an excess) are adjusted with Benjamini-Hochberg. Owners found to be
    outliers (adjusted p below ``outlier_alpha`` and an excess of at least
    ``min_excess``) are then left out of the other owners' reference and the
    test is repeated (at most three passes), so that one gaming owner does
    not distort everyone's expectation.

    References
    ----------
    .. [1] Spiegelhalter, D. J. (2005). Funnel plots for comparing
       institutional performance. Statistics in Medicine, 24, 1185-1202.
    .. [2] McCullagh, P. (1980). Regression models for ordinal data. JRSS B,
       42(2), 109-142.
    .. [3] Raudenbush, S. W. (2009). Analyzing effect sizes: random-effects
       models. In The Handbook of Research Synthesis and Meta-Analysis (2nd
       ed.), 295-315.

    Examples
    --------
    >>> d = pd.DataFrame({"owner": ["a"] * 30 + ["b"] * 30 + ["c"] * 30 + ["d"] * 30,
    ...                   "score": [9, 10, 7] * 10 * 3 + [10, 10, 7] * 10})
    >>> owner_heaping(d, account=None).iloc[0]["owner"]
    'd'
    """
    return _owner_heaping(data, {}, owner=owner, score=score, top=top, min_top=min_top, confidence=confidence,
                          breaks=breaks, adjust=adjust, min_excess=min_excess, account=account,
                          outlier_alpha=outlier_alpha)


def _owner_heaping(
    data: pd.DataFrame,
    codes: Mapping[str, tuple[np.ndarray, pd.Index]],
    owner: str = "owner",
    score: str = "score",
    top: float = 10,
    min_top: int = GAMING_MIN_TOP,
    confidence: float = 0.95,
    breaks: Breaks = Breaks(),
    adjust: bool = True,
    min_excess: float = GAMING_MIN_EXCESS,
    account: str | None = "account_id",
    outlier_alpha: float | None = None,
) -> pd.DataFrame:
    """:func:`owner_heaping` on the integer codes of the owner and account columns, where known.

    ``codes``: column name -> ``(codes, uniques)`` as :meth:`npsdiag.clean.Prepared.codes` gives them
    (``pd.factorize`` of the same rows), so that a large export is not factorized again; columns missing from
    it are factorized here.
    """
    cols = ["owner", "n", "nps", "ci_low", "ci_high", "nines", "tens", "top_two", "share_top_two", "share_tens",
            "expected_share_tens", "expected_share_var", "excess", "tau2", "design_effect", "z", "p_value", "p_adj",
            "tested"]
    if owner not in data or score not in data:
        return pd.DataFrame(columns=cols)
    sc = np.asarray(data[score], dtype="float64")
    oc, owners = _sorted_codes(data[owner], ~np.isnan(sc), codes.get(owner))
    use = oc >= 0
    if not use.any():
        return pd.DataFrame(columns=cols)
    o, s_ = oc[use], sc[use]
    k = len(owners)
    cat = np.where(s_ <= breaks.detractor_max, 0, np.where(s_ >= breaks.promoter_min, 2, 1))
    counts = np.bincount(o * 3 + cat, minlength=3 * k).reshape(k, 3)
    t = _nps_table(owners, counts, confidence)
    t["nines"] = np.bincount(o, weights=s_ == top - 1, minlength=k).astype(int)
    t["tens"] = np.bincount(o, weights=s_ == top, minlength=k).astype(int)
    t["top_two"] = t["nines"] + t["tens"]
    t["share_top_two"] = t["top_two"] / t["n"]
    t["design_effect"] = 1.0
    if account and account in data:
        ac = _sorted_codes(data[account], pre=codes.get(account), sort=False)[0][use]
        t["design_effect"] = _cluster_deff(o, k, ac, s_, top)
    alpha = 1 - confidence if outlier_alpha is None else outlier_alpha
    excluded = np.zeros(len(t), dtype=bool)
    for _ in range(3):  # owners flagged in a pass leave the others' reference in the next (robust reference)
        ft = _heaping_test(t, min_top, adjust, excluded)
        ft["p_adj"] = bh_adjust(ft["p_value"].where(ft["tested"]))
        out_now = ((ft["p_adj"] < alpha) & (ft["excess"] >= min_excess)).to_numpy()
        if (out_now == excluded).all():
            break
        excluded = out_now
    ft = ft.rename(columns={"rate": "share_tens", "expected_rate": "expected_share_tens",
                            "pred_var": "expected_share_var"})
    ft = ft.sort_values(["z", "n"], ascending=[False, False], na_position="last").reset_index(drop=True)
    return ft[cols]


def _expit(x):
    return 1 / (1 + np.exp(-x))


def _heaping_test(t: pd.DataFrame, min_top: int, adjust: bool, excluded: np.ndarray) -> pd.DataFrame:
    """Leave-one-out test of each owner's tens among 9-10 scores (see :func:`owner_heaping`)."""
    k = t["tens"].to_numpy(dtype="float64")
    m = t["top_two"].to_numpy(dtype="float64")
    n = t["n"].to_numpy(dtype="float64")
    de = t["design_effect"].to_numpy(dtype="float64")
    use = m >= max(min_top, 1)
    ref_ok = use & ~excluded
    # each owner's share of 10s among 9-10 scores on the logit scale, with its sampling variance
    ey = np.log((k + 0.5) / (m - k + 0.5))
    ev = de * (1 / (k + 0.5) + 1 / (m - k + 0.5))
    # how positive the owner's customers are, blind to the 9/10 split: -log of their share of 0-8 scores
    # (log(1 + e^L), L the logit of their share of 9-10 scores: the proportional-odds shift is linear in it)
    sx = np.log((n + 1) / (n - m + 0.5))
    units = len(t)
    exp_ = np.full(units, np.nan)
    tau2 = np.full(units, np.nan)
    pred_var = np.zeros(units)
    for i in range(units):
        ref = ref_ok.copy()
        ref[i] = False
        if ref.sum() < 2 or not (0 < k[ref].sum() < m[ref].sum()):
            continue
        if adjust:
            fit = meta_regression(ey[ref], sx[ref], ev[ref], slope_prior=POSITIVITY_SLOPE_PRIOR)
            eta, var_eta = fit.predict(sx[i])
            e = float(np.clip(_expit(eta), 1e-4, 1 - 1e-4))
            g2 = (e * (1 - e)) ** 2  # delta method: variances on the logit scale to the share's
            exp_[i], tau2[i], pred_var[i] = e, fit.tau2 * g2, float(var_eta) * g2
            continue
        # the other owners' pooled share, residual between-owner variance by DerSimonian-Laird
        p0 = k[ref].sum() / m[ref].sum()
        y = k[ref] / m[ref]
        w = m[ref] / (de[ref] * p0 * (1 - p0))
        q = float(((y - p0) ** 2 * w).sum())
        denom = w.sum() - (w**2).sum() / w.sum()
        tau2[i] = max(0.0, (q - (ref.sum() - 1)) / denom) if denom > 0 else 0.0
        exp_[i] = float(np.clip(p0, 1e-4, 1 - 1e-4))
    p = np.full(units, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = k / m
        z = (rate - exp_) / np.sqrt(de * exp_ * (1 - exp_) / m + tau2 + pred_var)
    for i in range(units):
        if use[i] and exp_[i] == exp_[i]:
            p[i] = beta_binomial_tails(k[i], m[i], exp_[i], tau2[i] + pred_var[i], de[i]).upper
    out = t.copy()
    out["rate"] = rate
    out["expected_rate"] = exp_
    out["excess"] = rate - exp_
    out["tau2"] = tau2
    out["pred_var"] = pred_var
    out["z"] = z
    out["p_value"] = p
    out["tested"] = use & ~np.isnan(p)
    return out


def _dense_limit(n: int) -> int:
    """Most cells of a dense count grid (e.g. accounts x owners) for ``n`` rows; beyond it, sort instead."""
    return max(4 * n, 1 << 22)


def _sorted_codes(values: pd.Series, mask: np.ndarray | None = None,
                  pre: tuple[np.ndarray, pd.Index] | None = None, sort: bool = True) -> tuple[np.ndarray, pd.Index]:
    """Integer codes of ``values`` (-1 where missing or masked out) and their sorted distinct values.

    As ``groupby(sort=True)`` orders groups; only values present where ``mask`` holds get a code.
    ``pre``: the ``pd.factorize`` codes and uniques of ``values`` if already known (e.g. ``prep.codes``).
    """
    if pre is not None and len(pre[0]) == len(values):
        codes, uniques = np.asarray(pre[0], dtype="int64"), pd.Index(pre[1])
        if sort and len(uniques):
            order = np.asarray(uniques.argsort())
            rank = np.empty(len(order), dtype="int64")
            rank[order] = np.arange(len(order))
            codes = np.where(codes >= 0, rank[np.maximum(codes, 0)], -1)
            uniques = uniques[order]
    else:
        codes, uniques = pd.factorize(values, sort=sort)
    codes = np.asarray(codes, dtype="int64")
    if mask is not None:
        codes = np.where(mask, codes, -1)
        present = np.bincount(codes[codes >= 0], minlength=len(uniques)) > 0
        if not present.all():
            new = np.cumsum(present) - 1
            codes = np.where(codes >= 0, new[np.maximum(codes, 0)], -1)
            uniques = uniques[present]
    return codes, uniques


def _nps_table(groups: pd.Index, counts: np.ndarray, confidence: float) -> pd.DataFrame:
    """The columns of :func:`npsdiag.stats.nps.nps` for owners whose (k, 3) category counts are known."""
    t = nps_table(counts, confidence)
    t.insert(0, "owner", groups)
    return t


def _cluster_deff(owner: np.ndarray, n_owners: int, cluster: np.ndarray, scores: np.ndarray,
                  top: float) -> np.ndarray:
    """Per owner, design effect of the share of 10s among 9-10 scores when responses cluster in accounts.

    ``owner`` and ``cluster`` are integer codes per response (a missing cluster, -1, is a cluster of its own).
    Linearised variance with clusters as PSUs: var = n_c / (n_c - 1) * sum_c u_c^2 / m^2,
    u_c = tens_c - share * top_two_c; design effect = var / (share (1 - share) / m), at least 1.
    """
    deff = np.ones(n_owners)
    sel = (scores == top) | (scores == top - 1)
    if not sel.any():
        return deff
    o = owner[sel]
    c = np.asarray(cluster[sel], dtype="int64")
    t = (scores[sel] == top).astype("float64")
    miss = c < 0
    if miss.any():
        c = c.copy()
        c[miss] = max(int(c.max()), -1) + 1 + np.arange(int(miss.sum()))
    m = np.bincount(o, minlength=n_owners).astype("float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.bincount(o, weights=t, minlength=n_owners) / m
        width = int(c.max()) + 1
        key = o.astype("int64") * width + c
        if n_owners * width <= _dense_limit(len(key)):  # (owner, cluster) pairs counted on a dense grid
            cnt = np.bincount(key, minlength=n_owners * width)
            pair = np.flatnonzero(cnt)
            tsum, cnt = np.bincount(key, weights=t, minlength=n_owners * width)[pair], cnt[pair]
        else:
            pair, inv = np.unique(key, return_inverse=True)
            tsum, cnt = np.bincount(inv, weights=t), np.bincount(inv)
        p_owner = pair // width
        u = tsum - share[p_owner] * cnt
        n_cl = np.bincount(p_owner, minlength=n_owners).astype("float64")
        var_cl = n_cl / (n_cl - 1) * np.bincount(p_owner, weights=u**2, minlength=n_owners) / m**2
        var_bin = share * (1 - share) / m
        ok = (m > 0) & (n_cl >= 2) & (var_bin > 0)
        deff[ok] = var_cl[ok] / var_bin[ok]
    return np.clip(deff, 1.0, None)


def owner_outcomes(
    data: pd.DataFrame,
    accounts: pd.DataFrame,
    owner: str = "owner",
    score: str = "score",
    account: str = "account_id",
    churned: str = "churned",
    min_accounts: int = 5,
    leave_one_out: bool = True,
) -> pd.DataFrame:
    """Per owner, observed account churn against the churn their customers' scores predict.

    If an owner's scores are inflated, their accounts churn more than
    accounts with such scores do elsewhere (observed / expected > 1). An
    owner whose customers are genuinely healthier has high scores *and*
    churn as low as those scores predict.

    Parameters
    ----------
    data : DataFrame
        One row per response (analysed responses).
    accounts : DataFrame
        One row per account with the churn outcome.
    owner, score, account, churned : str
        Column names.
    min_accounts : int
        Owners with fewer accounts of known outcome are not assessed.
    leave_one_out : bool
        Fit the score -> churn model on the other owners' accounts (default),
        so that an owner's own inflated scores do not set their expectation.

    Returns
    -------
    DataFrame
        One row per owner with enough accounts: ``owner``, ``accounts``,
        ``mean_score`` (mean of the accounts' mean scores), ``churned``
        (accounts), ``churn_rate``, ``expected_churn_rate``, ``churn_o_e``
        (observed / expected churned accounts), ``z``, ``p_value``
        (one-sided: more churn than predicted), ``p_adj`` (BH),
        ``other_churn_rate`` (the other owners' accounts) and
        ``p_lower_churn`` (one-sided Fisher exact test: the owner's accounts
        churn less than the other owners').

    Notes
    -----
    Accounts are the unit: an account's score is the mean of its responses'
    scores and its owner the owner of most of its responses. A logistic
    regression churned ~ score is fitted on the reference accounts
    (statsmodels ``Logit``); the owner's expected count E is the sum of
    predicted probabilities, V the sum of p (1 - p), and
    z = (O - E) / sqrt(V) is referred to the normal distribution (an
    observed/expected comparison as in indirect standardisation). If the
    model cannot be fitted (e.g. no churn), the reference churn rate is used.

    Examples
    --------
    >>> r = pd.DataFrame({"owner": list("aabbccdd") * 5, "account_id": [str(i) for i in range(40)],
    ...                   "score": [9, 3] * 20})
    >>> a = pd.DataFrame({"account_id": [str(i) for i in range(40)], "churned": [False, True] * 20})
    >>> owner_outcomes(r, a)["churn_o_e"].round(2).tolist()
    [1.0, 1.0, 1.0, 1.0]
    """
    return _owner_outcomes(data, accounts, {}, owner=owner, score=score, account=account, churned=churned,
                           min_accounts=min_accounts, leave_one_out=leave_one_out)


def _owner_outcomes(
    data: pd.DataFrame,
    accounts: pd.DataFrame | None,
    codes: Mapping[str, tuple[np.ndarray, pd.Index]],
    owner: str = "owner",
    score: str = "score",
    account: str = "account_id",
    churned: str = "churned",
    min_accounts: int = 5,
    leave_one_out: bool = True,
) -> pd.DataFrame:
    """:func:`owner_outcomes` on the integer codes of the owner and account columns, where known (``codes``)."""
    cols = ["owner", "accounts", "mean_score", "churned", "churn_rate", "expected_churn_rate", "churn_o_e", "z",
            "p_value", "p_adj"]
    empty_cols = cols + ["other_churn_rate", "p_lower_churn"]
    acc = _account_outcomes(data, accounts, codes, owner, score, account, churned)
    if acc is None:
        return pd.DataFrame(columns=empty_cols)
    # owners with most accounts first (ties by name); at most 200
    counts = acc["owner"].value_counts()
    counts = counts.iloc[np.lexsort((counts.index.astype(str), -counts.to_numpy()))]
    owners = [o for o in counts.index if counts[o] >= min_accounts][:200]
    rows = _churn_against_scores(acc, owners, leave_one_out)
    out = pd.DataFrame(rows, columns=cols[:-1] + ["other_churn_rate", "p_lower_churn"])
    out["p_adj"] = bh_adjust(out["p_value"]) if len(out) else []
    return out[cols + ["other_churn_rate", "p_lower_churn"]]


def _account_outcomes(data: pd.DataFrame, accounts: pd.DataFrame | None,
                      codes: Mapping[str, tuple[np.ndarray, pd.Index]], owner: str, score: str, account: str,
                      churned: str) -> pd.DataFrame | None:
    """One row per account of known outcome: ``mean_score``, ``owner`` (of most of its responses) and ``y``.

    None when a column is missing or no account has a known outcome.
    """
    need = (owner in data and account in data and score in data and accounts is not None
            and account in accounts and churned in accounts)
    if not need:
        return None
    sc = np.asarray(data[score], dtype="float64")
    base = data[owner].notna().to_numpy() & data[account].notna().to_numpy() & ~np.isnan(sc)
    if not base.any():
        return None
    oc, owner_names = _sorted_codes(data[owner], base, codes.get(owner))
    ac, account_ids = _sorted_codes(data[account], base, codes.get(account), sort=False)
    o, a, s_ = oc[base], ac[base], sc[base]
    n_acc, n_own = len(account_ids), len(owner_names)
    # an account's score: the mean of its responses' scores; its owner: the owner of most of its responses
    # (ties: the first owner by name), counted on integer codes
    mean_score = np.bincount(a, weights=s_, minlength=n_acc) / np.bincount(a, minlength=n_acc)
    if n_acc * n_own <= _dense_limit(len(a)):  # responses per (account, owner) on a dense grid
        main_owner = np.bincount(a * n_own + o, minlength=n_acc * n_own).reshape(n_acc, n_own).argmax(axis=1)
    else:
        pair, k = np.unique(a * n_own + o, return_counts=True)
        p_acc, p_own = pair // n_own, pair % n_own
        order = np.lexsort((p_own, -k, p_acc))
        first = np.r_[True, p_acc[order][1:] != p_acc[order][:-1]]
        main_owner = np.empty(n_acc, dtype="int64")
        main_owner[p_acc[order][first]] = p_own[order][first]
    # each account's outcome: its first row in the accounts table
    at = pd.Index(account_ids).get_indexer(accounts[account])
    first_row = np.unique(at, return_index=True)[1] if len(at) else np.zeros(0, dtype="int64")
    first_row = first_row[at[first_row] >= 0]
    ch = accounts[churned].to_numpy(dtype=object, na_value=None)[first_row]
    y = np.full(n_acc, None, dtype=object)
    y[at[first_row]] = ch
    known = pd.notna(y)
    if not known.any():
        return None
    return pd.DataFrame({"mean_score": mean_score[known], "owner": owner_names[main_owner[known]],
                         "y": y[known].astype(bool).astype(float)})


def _churn_against_scores(acc: pd.DataFrame, owners: list, leave_one_out: bool) -> list[dict[str, Any]]:
    """Per owner, observed against expected churned accounts (see :func:`owner_outcomes`), as table rows."""
    # the logistic churn ~ score model on accounts grouped by their (mean) score: the same likelihood, far fewer rows
    x = acc["mean_score"].to_numpy(dtype="float64")
    yv = acc["y"].to_numpy()
    xu, xi = np.unique(x, return_inverse=True)
    trials_all = np.bincount(xi, minlength=len(xu)).astype("float64")
    events_all = np.bincount(xi, weights=yv, minlength=len(xu))
    own = acc["owner"].to_numpy(dtype=object)
    full_fit = None if leave_one_out else _fit_churn(xu, events_all, trials_all)
    rows = []
    for o_name in owners:
        mine = own == o_name
        trials_o = np.bincount(xi[mine], minlength=len(xu)).astype("float64")
        events_o = np.bincount(xi[mine], weights=yv[mine], minlength=len(xu))
        n_mine = float(trials_o.sum())
        if leave_one_out:
            t_ref, e_ref = trials_all - trials_o, events_all - events_o
            fit = _fit_churn(xu, e_ref, t_ref)
        else:
            t_ref, e_ref = trials_all, events_all
            fit = full_fit
        if fit is None:
            prob = np.full(len(xu), e_ref.sum() / t_ref.sum() if t_ref.sum() else np.nan)
        else:
            prob = fit(xu)
        e = float(np.sum(trials_o * prob))
        v = float(np.sum(trials_o * prob * (1 - prob)))
        o_cnt = float(events_o.sum())
        z = (o_cnt - e) / math.sqrt(v) if v > 0 else np.nan
        n_oth = float(trials_all.sum()) - n_mine
        oc_ = float(events_all.sum()) - o_cnt
        p_lower = float(stats.fisher_exact([[o_cnt, n_mine - o_cnt], [oc_, n_oth - oc_]],
                                           alternative="less").pvalue) if n_oth else np.nan
        rows.append({"owner": o_name, "accounts": int(n_mine), "mean_score": float(x[mine].mean()),
                     "churned": int(o_cnt), "churn_rate": o_cnt / n_mine, "expected_churn_rate": e / n_mine,
                     "churn_o_e": o_cnt / e if e > 0 else np.nan, "z": z,
                     "p_value": float(stats.norm.sf(z)) if z == z else np.nan,
                     "other_churn_rate": oc_ / n_oth if n_oth else np.nan, "p_lower_churn": p_lower})
    return rows


def _fit_churn(x: np.ndarray, events: np.ndarray, trials: np.ndarray):
    """Logistic churn ~ score fitted to accounts grouped by score; returns a predictor or None.

    ``events`` of ``trials`` accounts churned at score ``x``. Newton-Raphson on the binomial
    log-likelihood, which equals the account-level (Bernoulli) likelihood of statsmodels ``Logit``,
    from zero with the same stopping rule (parameter change below 1e-8, at most 100 steps).
    """
    use = trials > 0
    x, events, trials = x[use], events[use], trials[use]
    n, k = float(trials.sum()), float(events.sum())
    if n < 10 or k == 0 or k == n or len(x) < 2 or np.ptp(x) == 0:
        return None
    X = np.column_stack([np.ones_like(x), x])
    beta = np.zeros(2)
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for _ in range(100):
                p = 1 / (1 + np.exp(-(X @ beta)))
                grad = X.T @ (events - trials * p)
                hess = (X * (trials * p * (1 - p))[:, None]).T @ X
                step = np.linalg.solve(hess, grad)
                beta = beta + step
                if not np.all(np.isfinite(beta)) or np.all(np.abs(step) < 1e-8):
                    break
    except np.linalg.LinAlgError:  # perfect separation, singular matrix: fall back to the rate
        return None
    b0, b1 = (float(v) for v in beta)
    if not (np.isfinite(b0) and np.isfinite(b1)):
        return None
    return lambda s: 1 / (1 + np.exp(-(b0 + b1 * s)))


def owner_review(
    data: pd.DataFrame,
    accounts: pd.DataFrame | None = None,
    top: float = 10,
    confidence: float = 0.95,
    min_top: int = GAMING_MIN_TOP,
    breaks: Breaks = Breaks(),
) -> pd.DataFrame:
    """Score-gaming verdict per owner: heaping of 10s, backed or contradicted by account churn.

    Parameters
    ----------
    data : DataFrame
        Analysed responses with ``owner``, ``score`` and, for the churn
        check, ``account_id``.
    accounts : DataFrame, optional
        Accounts with ``account_id`` and ``churned``.
    top, confidence, min_top, breaks
        As in :func:`owner_heaping`.

    Returns
    -------
    DataFrame
        The columns of :func:`owner_heaping` and :func:`owner_outcomes`
        (churn ones prefixed where they clash: ``churned_accounts``,
        ``churn_z``, ``churn_p``, ``churn_p_adj``), plus ``nps_above_others``,
        ``severity`` (high / medium, None when not flagged), ``flag`` (plain
        reason) and ``flagged``.

    Notes
    -----
    An owner is flagged when the BH-adjusted p-value of their excess of 10s
    is below :data:`GAMING_ALPHA` (0.01, or 1 - confidence if smaller) and
    the excess is at least 10 points; high severity needs adjusted
    p < 0.001 and an excess of 20 points. An owner
    whose accounts churn significantly less than the other owners' (Fisher
    exact, one-sided) without churning more than their scores predict is not
    flagged: their 10s are backed by retention. Without heaping, an owner
    whose NPS is significantly above the others' while their accounts churn
    significantly more than their scores predict is flagged medium.

    References
    ----------
    .. [1] Spiegelhalter, D. J. (2005). Funnel plots for comparing
       institutional performance. Statistics in Medicine, 24, 1185-1202.

    Examples
    --------
    >>> d = pd.DataFrame({"owner": ["a"] * 30 + ["b"] * 30 + ["c"] * 30 + ["d"] * 30,
    ...                   "score": [9, 10, 7] * 10 * 3 + [10, 10, 7] * 10})
    >>> owner_review(d)[["owner", "flagged", "flag"]].to_dict("records")[0]
    {'owner': 'd', 'flagged': True, 'flag': 'excess of 10s'}
    """
    return owner_review_on_codes(data, accounts, {}, top=top, confidence=confidence, min_top=min_top, breaks=breaks)


def owner_review_on_codes(
    data: pd.DataFrame,
    accounts: pd.DataFrame | None,
    codes: Mapping[str, tuple[np.ndarray, pd.Index]],
    top: float = 10,
    confidence: float = 0.95,
    min_top: int = GAMING_MIN_TOP,
    breaks: Breaks = Breaks(),
) -> pd.DataFrame:
    """:func:`owner_review` on the integer codes of the ``owner`` and ``account_id`` columns, where known.

    The score-gaming check's fast path (not a building block): ``codes`` maps a column name to
    ``(codes, uniques)`` as :meth:`npsdiag.clean.Prepared.codes` gives them (``pd.factorize`` of the same rows),
    so that a large export is not factorized again; columns missing from it are factorized here. The result is
    the same as :func:`owner_review`'s.
    """
    heap = _owner_heaping(data, codes, top=top, min_top=min_top, confidence=confidence, breaks=breaks,
                          outlier_alpha=min(1 - confidence, GAMING_ALPHA))
    outc = _owner_outcomes(data, accounts, codes) if accounts is not None else pd.DataFrame()
    # each owner's detractors, passives and promoters (a missing score counts as passive), on integer codes
    oc, owners = _sorted_codes(data["owner"], pre=codes.get("owner"))
    sc = np.asarray(data["score"], dtype="float64")
    cat = np.where(sc <= breaks.detractor_max, 0, np.where(sc >= breaks.promoter_min, 2, 1))
    use = oc >= 0
    tab = pd.DataFrame(np.bincount(oc[use] * 3 + cat[use], minlength=3 * len(owners)).reshape(-1, 3),
                       index=owners, columns=["d", "m", "p"])
    return _owner_verdicts(heap, outc, tab, 1 - confidence)


def _owner_verdicts(heap: pd.DataFrame, outc: pd.DataFrame, tab: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Combine heaping and outcome evidence into one verdict per owner.

    ``tab``: per owner (index), counts of detractors ``d``, passives ``m`` and promoters ``p``.
    """
    t = heap.copy()
    if len(outc):
        t = t.merge(outc.rename(columns={"z": "churn_z", "p_value": "churn_p", "p_adj": "churn_p_adj",
                                         "churned": "churned_accounts", "mean_score": "account_mean_score"}),
                    on="owner", how="left")
    else:
        for c in ("accounts", "churned_accounts", "churn_rate", "expected_churn_rate", "churn_o_e", "churn_z",
                  "churn_p", "churn_p_adj", "other_churn_rate", "p_lower_churn"):
            t[c] = np.nan
    heap_flag = (t["tested"].astype(bool) & (t["p_adj"] < min(alpha, GAMING_ALPHA))
                 & (t["excess"] >= GAMING_MIN_EXCESS))
    strong = heap_flag & (t["p_adj"] < GAMING_ALPHA_HIGH) & (t["excess"] >= GAMING_MIN_EXCESS_HIGH)
    has_out = t["churn_o_e"].notna() & (t["accounts"].fillna(0) >= 10)
    contradicts = has_out & (t["churn_p_adj"] < alpha) & (t["churn_o_e"] > 1.0)
    # retention that backs the scores: accounts churn significantly less than other owners' and no more than
    # their scores predict -- genuinely happier customers, not inflated scores
    supports = has_out & (t["p_lower_churn"] < alpha) & ~contradicts
    # owner NPS above the other owners' (outcome-only flags need scores that are also high)
    above = []
    tab = tab[tab.sum(axis=1) > 0]
    total = tab.sum()
    for o in t["owner"]:
        if o not in tab.index:
            above.append(False)
            continue
        mine = tab.loc[o]
        rest = total - mine
        r = nps_diff_test((mine["d"], mine["m"], mine["p"]), (rest["d"], rest["m"], rest["p"]))
        above.append(bool(r.diff > 0 and r.p_value < alpha))
    t["nps_above_others"] = above
    sev = np.full(len(t), None, dtype=object)
    reason = np.full(len(t), "", dtype=object)
    for i in range(len(t)):
        if heap_flag.iloc[i]:
            if supports.iloc[i]:  # no accusation: the outcomes say these customers are happier
                reason[i] = "more 10s than others, but accounts churn less: consistent with happier customers"
                continue
            s = "high" if strong.iloc[i] else "medium"
            why = "excess of 10s"
            if contradicts.iloc[i]:
                why += "; churn higher than the scores predict"
            sev[i], reason[i] = s, why
        elif contradicts.iloc[i] and t["nps_above_others"].iloc[i]:
            sev[i], reason[i] = "medium", "NPS above other owners but churn higher than the scores predict"
    t["severity"] = sev
    t["flag"] = reason
    t["flagged"] = t["severity"].notna()
    return t


@dataclass(frozen=True, eq=False)
class OwnerFunnel(Result):
    """The funnel plot of an owner review (:func:`owner_funnel`).

    Attributes
    ----------
    p0 : float
        The centre line: pooled share of 10s among the 9s and 10s of the
        tested owners not flagged.
    tau2 : float
        Between-owner variance of those owners' shares (DerSimonian-Laird).
    limits_tau2 : float
        The between-owner variance the control limits allow for: the median
        of the flagged owners' own tests (of every owner's when none is
        flagged), 0 when unknown.
    owners : DataFrame
        The review with ``effective_top_two`` (the owner's precision as a
        number of 9-10 scores: see :func:`owner_funnel`) and
        ``adjusted_share_tens`` (p0 + the owner's excess over their expected
        share), the funnel's points.
    limits : DataFrame
        :func:`npsdiag.stats.funnel.funnel_limits` over the owners' volumes.
    """

    p0: float
    tau2: float
    limits_tau2: float
    owners: pd.DataFrame = field(repr=False)
    limits: pd.DataFrame = field(repr=False)


def owner_funnel(review: pd.DataFrame, points: int = 200) -> OwnerFunnel:
    """Centre line, control limits and each owner's point of the funnel plot of an owner review.

    Parameters
    ----------
    review : DataFrame
        The output of :func:`owner_review`.
    points : int
        Volumes at which the limits are computed (evenly spaced over the
        owners' effective volumes).

    Returns
    -------
    OwnerFunnel
        ``p0``, ``tau2``, ``limits_tau2``, ``owners`` and ``limits``.

    Notes
    -----
    Each owner's expected share is moved to the common centre line p0
    (``adjusted_share_tens`` = p0 + excess), so that owners whose customers
    are more positive overall can be drawn against one funnel. Their volume
    is the owner's precision expressed as a number of 9-10 scores
    (``effective_top_two`` = p0 (1 - p0) / V, V = deff e (1 - e) / m + the
    variance of the expected share e): the Kish effective number m / deff
    when the expectation is certain, fewer when it is not (an owner whose
    customers are unlike the others' is compared by extrapolation), so that
    an owner's position against the limits is the one their test gives. The
    limits allow for real differences between owners with an additive random
    effect (Spiegelhalter 2005).

    References
    ----------
    .. [1] Spiegelhalter, D. J. (2005). Funnel plots for comparing
       institutional performance. Statistics in Medicine, 24, 1185-1202.

    Examples
    --------
    >>> d = pd.DataFrame({"owner": ["a"] * 30 + ["b"] * 30 + ["c"] * 30 + ["d"] * 30,
    ...                   "score": [9, 10, 7] * 10 * 3 + [10, 10, 7] * 10})
    >>> f = owner_funnel(owner_review(d))  # d is flagged: the centre line is a, b and c's 30 tens of 60
    >>> round(f.p0, 3), list(f.limits.columns)
    (0.5, ['trials', 'lower_95', 'upper_95', 'lower_99.8', 'upper_99.8'])
    """
    ref = review[~review["flagged"] & review["tested"].astype(bool)]
    od = overdispersion(ref["tens"], ref["top_two"])
    # the limits of the flagged owners' own tests (reference = the others), else the typical reference
    tau2 = float(review.loc[review["flagged"], "tau2"].median() if review["flagged"].any()
                 else review["tau2"].median())
    tau2 = tau2 if tau2 == tau2 else 0.0
    t = review.copy()
    t["adjusted_share_tens"] = od.p0 + t["excess"]
    # the volume whose sampling variance at the centre line is the owner's own (sampling and expectation)
    e, de = t["expected_share_tens"], t["design_effect"].fillna(1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        own = de * e * (1 - e) / t["top_two"] + t["expected_share_var"].fillna(0.0)
        eff = od.p0 * (1 - od.p0) / own
    t["effective_top_two"] = eff.where(np.isfinite(eff) & (eff > 0), t["top_two"] / de)
    lo_x = max(5.0, 0.5 * float(t["effective_top_two"].min()))
    grid = np.linspace(lo_x, max(float(t["effective_top_two"].max()) * 1.08, 10.0), points)
    return OwnerFunnel(p0=od.p0, tau2=od.tau2, limits_tau2=tau2, owners=t,
                       limits=funnel_limits(od.p0, grid, tau2=tau2))
