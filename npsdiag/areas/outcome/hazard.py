"""Outcome's Cox model: time to churn on one calendar clock, every account entering when its score was given.

:func:`hazard_frame` puts each account's follow-up on a common clock (entry:
the day its score was given; exit: its churn, or the data's as-of date),
:func:`cox_delayed_entry` fits Cox's model with that delayed entry and
:func:`churn_hazard` does both on the accounts table of
:func:`~npsdiag.areas.outcome.account_scores`.

References
----------
.. [1] Cox, D. R. (1972). Regression models and life-tables. JRSS B, 34(2),
   187-220.
.. [2] Breslow, N. (1974). Covariance analysis of censored survival data.
   Biometrics, 30(1), 89-99.
.. [3] Andersen, P. K. & Gill, R. D. (1982). Cox's regression model for
   counting processes: a large sample study. Annals of Statistics, 10(4),
   1100-1120.
.. [4] Lévesque, L. E., Hanley, J. A., Kezouh, A. & Suissa, S. (2010).
   Problem of immortal time bias in cohort studies: example using statins
   for preventing progression of diabetes. BMJ, 340, b5087.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...stats.regression import CoxFit, cox_newton
from .churn import MIN_EVENTS

__all__ = ["cox_delayed_entry", "hazard_frame", "churn_hazard"]


def cox_delayed_entry(entry, exit, event, x, confidence: float = 0.95, maxiter: int = 50,
                      tol: float = 1e-10) -> CoxFit:
    """Cox partial-likelihood fit of one covariate with delayed entry (left truncation), Breslow ties.

    Parameters
    ----------
    entry : array-like of float
        When each subject enters the risk set, on the common time scale.
    exit : array-like of float
        When it leaves it: the event, or censoring (after ``entry``).
    event : array-like of bool
        True where the event (churn) was observed at ``exit``.
    x : array-like of float
        The covariate (e.g. the score).
    confidence : float
    maxiter, tol : int, float

    Returns
    -------
    CoxFit

    Raises
    ------
    ValueError
        When the iterations do not converge.

    Notes
    -----
    A subject is at risk at time t when entry < t <= exit (the counting-process
    form of R's ``coxph(Surv(entry, exit, event) ~ x, ties = "breslow")``).
    The risk-set sums S_k(t) = Σ x_j^k exp(b x_j) over those subjects are the
    sums over exit >= t less the sums over entry >= t (a subject entering at
    or after t leaves no earlier than it), each read off cumulative sums by
    binary search: O(n log n). Newton-Raphson with step halving on the
    partial log-likelihood (Cox 1972; Breslow 1974; Andersen & Gill 1982).
    With every entry before the first event it is
    :func:`npsdiag.stats.regression.cox_fit`.

    Examples
    --------
    >>> r = cox_delayed_entry([0, 0, 0, 0, 0, 0], [1, 2, 3, 4, 5, 6], [1, 1, 0, 1, 0, 0], [0, 1, 0, 1, 1, 2])
    >>> round(r.coef, 4), round(r.se, 4), r.events  # as cox_fit: every subject at risk from 0
    (-1.2507, 1.1738, 3)
    """
    entry, exit = np.asarray(entry, dtype="float64"), np.asarray(exit, dtype="float64")
    event = np.asarray(event, dtype=bool)
    x = np.asarray(x, dtype="float64")
    xc = x - x.mean()  # centring leaves b unchanged and keeps exp() finite
    by_exit, by_entry = np.argsort(exit, kind="stable"), np.argsort(entry, kind="stable")
    t_ev = exit[event]
    at_exit = np.searchsorted(exit[by_exit], t_ev, side="left")  # first subject (by exit) with exit >= t
    at_entry = np.searchsorted(entry[by_entry], t_ev, side="left")  # first subject (by entry) with entry >= t
    xe = xc[event]

    def risk_sums(v: np.ndarray) -> np.ndarray:
        """Σ v over the risk set at each event time (suffix sums by exit less suffix sums by entry)."""
        s_exit = np.append(np.cumsum(v[by_exit][::-1])[::-1], 0.0)
        s_entry = np.append(np.cumsum(v[by_entry][::-1])[::-1], 0.0)
        return s_exit[at_exit] - s_entry[at_entry]

    def parts(b: float) -> tuple[float, float, float]:
        w = np.exp(b * xc)
        s0, s1, s2 = risk_sums(w), risk_sums(w * xc), risk_sums(w * xc * xc)
        m = s1 / s0
        return float(np.sum(b * xe - np.log(s0))), float(np.sum(xe - m)), float(np.sum(s2 / s0 - m * m))

    return cox_newton(parts, len(x), int(event.sum()), confidence, maxiter, tol)


def hazard_frame(
    data: pd.DataFrame,
    churned: str = "churned",
    known_at: str = "score_at",
    outcome_at: str = "outcome_at",
    start_at: str | None = "start_at",
    as_of: pd.Timestamp | str | None = None,
) -> pd.DataFrame:
    """Each account's follow-up on one calendar clock: when it enters the risk set, when it leaves it, and why.

    Parameters
    ----------
    data : DataFrame
        One row per account (:func:`~npsdiag.areas.outcome.account_scores`).
    churned : str
        0/1 churn column.
    known_at : str
        When the account's score was given: the account enters the risk set
        then (or at ``start_at``, when the account became a customer, if that
        is later).
    outcome_at : str
        The churn date of the accounts that churned.
    start_at : str, optional
        When the account became a customer (ignored when absent).
    as_of : date, optional
        The data's as-of date (:attr:`npsdiag.clean.Prepared.as_of`): accounts
        that did not churn are followed until it (censored); without it, until
        their ``outcome_at`` (the renewal).

    Returns
    -------
    DataFrame
        On ``data``'s index: ``entry`` and ``exit`` (days since the earliest
        entry), ``event`` (0/1), ``entry_at``, ``exit_at`` (dates). Accounts
        without the dates, or whose exit is not after their entry, are left
        out.

    Examples
    --------
    >>> d = pd.DataFrame({"churned": [1, 0], "score_at": pd.to_datetime(["2024-01-01", "2024-03-01"]),
    ...                   "outcome_at": pd.to_datetime(["2024-07-01", "2024-06-01"])})
    >>> hazard_frame(d, as_of="2024-12-31")[["entry", "exit", "event"]].to_numpy().tolist()
    [[0.0, 182.0, 1.0], [60.0, 365.0, 0.0]]
    """
    if known_at not in data or outcome_at not in data:
        return pd.DataFrame(columns=["entry", "exit", "event", "entry_at", "exit_at"])
    entry_at = pd.to_datetime(data[known_at])
    if start_at and start_at in data:
        start = pd.to_datetime(data[start_at])
        entry_at = entry_at.where(~(start > entry_at), start)
    ev = data[churned].astype("float64")
    exit_at = pd.to_datetime(data[outcome_at])
    if as_of is not None:
        exit_at = exit_at.where(ev == 1, pd.Timestamp(as_of))
    ok = (entry_at.notna() & exit_at.notna() & ev.notna() & (exit_at > entry_at)).to_numpy()
    entry_at, exit_at, ev = entry_at[ok], exit_at[ok], ev[ok]
    origin = entry_at.min()
    days = lambda t: (t - origin).dt.total_seconds().to_numpy() / 86400  # noqa: E731
    return pd.DataFrame({"entry": days(entry_at), "exit": days(exit_at), "event": ev.to_numpy(),
                         "entry_at": entry_at, "exit_at": exit_at}, index=data.index[ok])


def churn_hazard(
    data: pd.DataFrame,
    score: str = "score",
    churned: str = "churned",
    known_at: str = "score_at",
    outcome_at: str = "outcome_at",
    as_of: pd.Timestamp | str | None = None,
    confidence: float = 0.95,
) -> CoxFit | None:
    """Cox proportional-hazards model of time to churn on the account score, on one calendar clock.

    Parameters
    ----------
    data : DataFrame
        One row per account (:func:`~npsdiag.areas.outcome.account_scores`).
    score, churned : str
        Score and 0/1 churn columns.
    known_at, outcome_at : str
        When the score was given, and the outcome date (:func:`hazard_frame`).
    as_of : date, optional
        The data's as-of date: accounts that did not churn are censored there.
    confidence : float
        Level of the interval.

    Returns
    -------
    CoxFit or None
        ``hazard_ratio`` (per score point), ``ci_low``, ``ci_high``,
        ``p_value``, ``coef``, ``se``, ``n``, ``events``; None when dates are
        missing, there are fewer than 20 accounts or :data:`MIN_EVENTS`
        events, or the model is not estimable.

    Notes
    -----
    Every account is followed on the same calendar clock. It enters the risk
    set when its score was given (delayed entry: an account is never counted
    at risk before it could have a score, so no "immortal" time flatters
    the accounts surveyed late) and leaves it when it churned (the event) or,
    if it did not, at the as-of date (censored). A churn is then compared
    with the accounts at risk on the same day, whatever the day each was
    surveyed: the hazard ratio does not mix the score with the survey's
    timing, as a clock started at each account's own last response would.
    Fitted by :func:`cox_delayed_entry` (Breslow ties; R
    ``coxph(Surv(entry, exit, event) ~ score, ties = "breslow")``).

    Examples
    --------
    >>> t0 = pd.Timestamp("2024-01-01")
    >>> d = pd.DataFrame({"score": np.arange(40) % 11, "churned": (np.arange(40) % 3 == 0).astype(int),
    ...                   "score_at": t0, "outcome_at": t0 + pd.to_timedelta(np.arange(40) + 10, unit="D")})
    >>> fit = churn_hazard(d, as_of="2024-12-31")
    >>> fit.n, fit.events
    (40, 14)
    """
    if score not in data:
        return None
    d = data[data[score].notna()]
    hz = hazard_frame(d, churned, known_at, outcome_at, as_of=as_of)
    if len(hz) < 20 or hz["event"].sum() < MIN_EVENTS or d.loc[hz.index, score].nunique() < 2:
        return None
    try:
        with np.errstate(all="ignore"):
            fit = cox_delayed_entry(hz["entry"], hz["exit"], hz["event"].astype(bool),
                                    d.loc[hz.index, score].to_numpy(dtype="float64"), confidence)
    except Exception:  # noqa: BLE001 - not estimable: no model rather than an error
        return None
    if not (np.isfinite(fit.coef) and np.isfinite(fit.se)) or fit.se > 50:
        return None
    return fit
