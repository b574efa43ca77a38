"""Roles: who answered against who could have, and how each role scores.

- :func:`role_mix` -- the respondents' role mix against a population's
  (contacts or invitations), with a goodness-of-fit test and a binomial test
  per role;
- :func:`nps_by_role` -- NPS per role, each role tested against the others;
- :func:`unify_roles` -- role labels made comparable across tables.

References
----------
.. [1] Cramér, H. (1946). Mathematical Methods of Statistics. Princeton
   (Cramer's V).
.. [2] Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery
   rate. JRSS B, 57(1), 289-300.
.. [3] Rocks, B. (2016). Interval estimation for the "Net Promoter Score".
   The American Statistician, 70(4), 365-372 (NPS intervals and tests).
.. [4] Rao, J. N. K. & Scott, A. J. (1981). The analysis of categorical data
   from complex sample surveys. JASA, 76(374), 221-230.
.. [5] Lumley, T. (2010). Complex Surveys: A Guide to Analysis Using R. Wiley
   (domains and their contrasts).
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ...linking import counts, remap
from ...stats.design import domain_variances, one_vs_rest, rao_scott_codes
from ...stats.multiplicity import bh_adjust
from ...stats.nps import Breaks, cluster_codes, nps_diff_test, nps_from_counts, nps_table
from ...stats.proportions import cramers_v_gof, wilson_interval
from .codes import category_codes, sorted_codes, text_codes

__all__ = ["role_mix", "nps_by_role", "nps_by_role_codes", "unify_roles"]

_BY_ROLE_COLUMNS = ["role", "n", "nps", "ci_low", "ci_high", "moe", "pct_detractors", "pct_passives", "pct_promoters",
                    "diff_vs_rest", "p_value", "p_adj", "reportable"]


def unify_role_codes(parts: list[tuple[np.ndarray, Any] | None]) -> tuple[list[np.ndarray | None], list[str]]:
    """Role labels comparable across tables: one spelling for values equal but for case and spaces.

    ``parts`` holds ``(codes, uniques)`` of each table's role column (:func:`pandas.factorize`), or None.
    Returns each part's codes into one list of labels (the most common spelling of each role, in order of
    first appearance across the parts; -1 = missing or blank) and the labels. Works on the few distinct
    values, never on every row.
    """
    total: dict[str, int] = {}
    stripped: list[list[str] | None] = []
    for part in parts:
        if part is None:
            stripped.append(None)
            continue
        codes, uniq = part
        cnt = counts(np.asarray(codes), len(uniq))
        st = ["" if pd.isna(u) else str(u).strip() for u in uniq]
        for v, c in zip(st, cnt):
            if v and c > 0:
                total[v] = total.get(v, 0) + int(c)
        stripped.append(st)
    label: dict[str, str] = {}
    for v in sorted(total, key=lambda x: -total[x]):  # most common spelling first (stable for ties)
        label.setdefault(re.sub(r"\s+", " ", v).casefold(), v)
    labels: dict[str, int] = {}
    out: list[np.ndarray | None] = []
    for part, st in zip(parts, stripped):
        if part is None or st is None:
            out.append(None)
            continue
        m = np.array([labels.setdefault(label[re.sub(r"\s+", " ", v).casefold()], len(labels)) if v else -1
                      for v in st], dtype=np.intp)
        out.append(remap(np.asarray(part[0], dtype=np.intp), m))
    return out, list(labels)


def unify_roles(*series: pd.Series | None) -> list[pd.Series | None]:
    """Make role labels comparable across tables: same spelling for values equal but for case/spaces.

    Parameters
    ----------
    *series : Series or None
        The role column of each table (responses, contacts, invitations).

    Returns
    -------
    list of Series or None
        Each column as a categorical of the common labels (the most common
        spelling of each role; blank as missing), None where None was given.

    Examples
    --------
    >>> r, c = unify_roles(pd.Series(["User", "user ", "Exec"]), pd.Series(["USER"]))
    >>> r.tolist(), c.tolist()
    (['User', 'User', 'Exec'], ['User'])
    """
    codes, labels = unify_role_codes([None if s is None else pd.factorize(s) for s in series])
    return [None if s is None else pd.Series(pd.Categorical.from_codes(c, categories=labels), index=s.index)
            for s, c in zip(series, codes)]


def role_mix(
    data: pd.DataFrame,
    role: str = "role",
    population: pd.DataFrame | None = None,
    population_role: str = "role",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Respondents' role mix, against a population's where one is given.

    Parameters
    ----------
    data : DataFrame
        One row per response.
    role : str
        Role column of ``data``.
    population : DataFrame, optional
        The people who could have answered (contacts) or who were asked
        (invitations), one row per person or invitation.
    population_role : str
        Role column of ``population``.
    confidence : float
        Confidence level of the share intervals (Wilson).

    Returns
    -------
    DataFrame
        One row per role, most responses first: ``role``, ``responses``,
        ``share`` with ``ci_low``, ``ci_high``; with a population also
        ``population``, ``population_share``, ``difference`` (share -
        population share), ``representation`` (share / population share),
        ``std_residual`` ((O - E) / sqrt(E)), ``p_value`` (exact binomial
        test of the role's share) and ``p_adj`` (Benjamini-Hochberg).
        Responses without a role are left out (their count is in
        ``attrs["missing_role"]``). ``attrs["test"]`` holds the chi-square
        goodness-of-fit test over roles present in the population:
        ``chi2``, ``dof``, ``p_value``, ``cramers_v`` (sqrt(chi2 / (n (k - 1)))),
        ``n``, ``roles``, and ``dominant_role`` / ``dominant_share``.

    Notes
    -----
    Expected counts are n times the population shares of the roles present
    in the population; roles absent from the population are shown but not
    tested (``attrs["not_in_population"]``).

    Examples
    --------
    >>> d = pd.DataFrame({"role": ["user"] * 80 + ["exec"] * 20})
    >>> c = pd.DataFrame({"role": ["user"] * 50 + ["exec"] * 50})
    >>> t = role_mix(d, population=c)
    >>> round(t.attrs["test"]["chi2"], 1), round(t.attrs["test"]["cramers_v"], 2)
    (36.0, 0.6)
    """
    per_role, missing = _role_counts(data[role]) if role in data else (pd.Series(dtype="int64"), len(data))
    pop_counts = None
    if population is not None and population_role in population and population[population_role].notna().any():
        pop_counts = _role_counts(population[population_role])[0]
    return role_mix_from_counts(per_role, missing, pop_counts, confidence)


def _role_counts(values: pd.Series) -> tuple[pd.Series, int]:
    """Count per role (as text), most first (ties in order of appearance), and the number of missing roles."""
    codes, lab = text_codes(values)
    per_role = pd.Series(counts(codes, len(lab)), index=pd.Index(lab, dtype=object))
    per_role = per_role[per_role > 0].sort_values(ascending=False, kind="stable")
    return per_role, int((codes < 0).sum())


def role_mix_from_counts(per_role: pd.Series, missing: int, pop_counts: pd.Series | None,
                         confidence: float) -> pd.DataFrame:
    """:func:`role_mix` from the responses per role (most first), the responses without a role and the
    population per role (None: no population); the integer-code path of the area's check."""
    n = int(per_role.sum())
    out = pd.DataFrame({"role": per_role.index.astype(str), "responses": per_role.to_numpy().astype(int)})
    out["share"] = out["responses"] / n if n else np.nan
    lo, hi = wilson_interval(out["responses"], n, confidence)
    out["ci_low"], out["ci_high"] = lo, hi
    test: dict[str, Any] = {"n": n, "roles": int(len(out))}
    if len(out):
        test["dominant_role"] = out["role"].iloc[0]
        test["dominant_share"] = float(out["share"].iloc[0])
        test["dominant_ci_low"] = float(out["ci_low"].iloc[0])
    out.attrs["missing_role"] = int(missing)
    if pop_counts is not None and len(pop_counts):
        pc = pop_counts.copy()
        pc.index = pc.index.astype(str)
        out = out.merge(pd.DataFrame({"role": pc.index, "population": pc.to_numpy().astype(int)}), on="role",
                        how="outer")
        out["responses"] = out["responses"].fillna(0).astype(int)
        out["population"] = out["population"].fillna(0).astype(int)
        in_pop = out["population"] > 0
        n_t = int(out.loc[in_pop, "responses"].sum())
        out["share"] = out["responses"] / n if n else np.nan
        lo, hi = wilson_interval(out["responses"], n, confidence)
        out["ci_low"], out["ci_high"] = lo, hi
        out["population_share"] = out["population"] / out["population"].sum()
        out["difference"] = out["share"] - out["population_share"]
        with np.errstate(invalid="ignore", divide="ignore"):
            out["representation"] = np.where(in_pop, out["share"] / out["population_share"], np.nan)
        pshare_t = out["population"] / out.loc[in_pop, "population"].sum()
        expected = n_t * pshare_t
        with np.errstate(invalid="ignore", divide="ignore"):
            out["std_residual"] = np.where(in_pop, (out["responses"] - expected) / np.sqrt(expected), np.nan)
        pv = [float(stats.binomtest(int(k), n_t, float(p)).pvalue) if ip and n_t > 0 and 0 < p < 1 else np.nan
              for k, p, ip in zip(out["responses"], pshare_t, in_pop)]
        out["p_value"] = pv
        out["p_adj"] = bh_adjust(out["p_value"])
        out.attrs["not_in_population"] = out.loc[~in_pop, "role"].tolist()
        k = int(in_pop.sum())
        if k >= 2 and n_t > 0:
            o = out.loc[in_pop, "responses"].to_numpy(dtype="float64")
            e = expected[in_pop].to_numpy(dtype="float64")
            chi2 = float(((o - e) ** 2 / e).sum())
            test.update(chi2=chi2, dof=k - 1, p_value=float(stats.chi2.sf(chi2, k - 1)),
                        cramers_v=cramers_v_gof(chi2, n_t, k), n_tested=n_t)
        out = out.sort_values(["responses", "population"], ascending=False).reset_index(drop=True)
    out.attrs["test"] = test
    return out


def nps_by_role(
    data: pd.DataFrame,
    role: str = "role",
    score: str = "score",
    confidence: float = 0.95,
    min_n: int = 30,
    min_test_n: int = 10,
    breaks: Breaks = Breaks(),
    cluster: str | None = None,
) -> pd.DataFrame:
    """NPS per role with its interval, each role tested against the others.

    Parameters
    ----------
    data : DataFrame
        One row per response.
    role, score : str
        Column names.
    confidence : float
        Confidence level.
    min_n : int
        Roles with fewer responses are shown but marked not reportable.
    min_test_n : int
        Roles with fewer responses are not tested.
    breaks : Breaks
        Category breaks.
    cluster : str, optional
        Column whose equal values are one cluster (the account: its people
        answer alike); a missing value is a cluster of its own. The
        intervals and tests are then design-based (see Notes).

    Returns
    -------
    DataFrame
        One row per role: ``role``, ``n``, the NPS columns of
        :func:`npsdiag.stats.nps.nps` (``nps``, ``ci_low``, ``ci_high``,
        ``moe``, ``pct_*``), ``diff_vs_rest`` (points), ``p_value``
        (two-sample test against all other responses), ``p_adj``
        (Benjamini-Hochberg) and ``reportable``. ``attrs["test"]``: chi-square
        test of independence of category (detractor/passive/promoter) and role
        over the tested roles (``chi2``, ``dof``, ``p_value``, ``cramers_v``,
        ``n``, ``roles``, ``design_effect``).

    Notes
    -----
    Without clusters: Rocks' adjusted Wald interval, a two-sample Wald test
    against the other roles and Pearson's chi-square. With clusters, each
    role is a domain of the clustered design: its interval is Rocks' on the
    counts divided by its design effect (:func:`npsdiag.stats.design.domain_variances`,
    as R's ``svyby``), its difference from the other roles a contrast of two
    domains that share accounts (:func:`npsdiag.stats.design.one_vs_rest`,
    as ``svycontrast``), and the chi-square is divided by the table's mean
    generalised design effect (first-order Rao-Scott,
    :func:`npsdiag.stats.design.rao_scott_codes`; ``chi2`` is then the
    corrected statistic).

    Examples
    --------
    >>> d = pd.DataFrame({"role": ["user"] * 50 + ["exec"] * 50, "score": [10] * 50 + [0] * 50})
    >>> nps_by_role(d).set_index("role")["diff_vs_rest"].to_dict()
    {'exec': -200.0, 'user': 200.0}
    """
    if role not in data:
        return _no_roles()
    codes, roles = sorted_codes(data[role])
    cat = category_codes(data[score], breaks)
    clusters = _clusters(data[cluster]) if cluster and cluster in data else None
    return nps_by_role_codes(codes, roles, cat, confidence, min_n, min_test_n, clusters)


def _clusters(values: pd.Series) -> np.ndarray:
    """Integer cluster codes: a column of small non-negative integers as it is, else :func:`cluster_codes`."""
    if pd.api.types.is_integer_dtype(values.dtype) and len(values):
        v = values.to_numpy(dtype=np.int64)
        if v.min() >= 0 and v.max() < 4 * len(v):
            return v.astype(np.intp, copy=False)
    return cluster_codes(values)


def nps_by_role_codes(codes: np.ndarray, roles: np.ndarray, cat: np.ndarray, confidence: float, min_n: int,
                      min_test_n: int, clusters: np.ndarray | None = None) -> pd.DataFrame:
    """:func:`nps_by_role` from role codes (into ``roles``, in sorted order), category codes per response and,
    optionally, integer cluster codes per response (0, 1, ...; every response in one)."""
    ok = (codes >= 0) & (cat >= 0)
    tab = np.bincount(codes[ok] * 3 + cat[ok], minlength=3 * len(roles)).reshape(-1, 3)
    seen = tab.sum(axis=1) > 0
    if not seen.any():
        return _no_roles()
    t = nps_table(tab[seen], confidence)
    t.insert(0, "role", np.asarray(roles, dtype=object)[seen])
    key = np.where(ok, (np.cumsum(seen) - 1)[np.maximum(codes, 0)], -1)  # position in t, -1: no role or score
    rest = t["n"].sum() - t["n"]
    testable = ((t["n"] >= min_test_n) & (rest >= min_test_n)).to_numpy()
    if clusters is None:
        t["diff_vs_rest"], t["p_value"] = _diff_vs_rest(t, testable, confidence)
        test = _chi2_by_role(t, t["n"] >= min_test_n)
    else:
        _design_based(t, key, cat, clusters, confidence)
        x = cat - 1.0
        diff, var = one_vs_rest(x, key, len(t), clusters)
        with np.errstate(invalid="ignore", divide="ignore"):
            p = 2 * stats.norm.sf(np.abs(diff) / np.sqrt(var))
        t["diff_vs_rest"] = np.where(testable, 100 * diff, np.nan)
        t["p_value"] = np.where(testable, p, np.nan)
        tested = (t["n"] >= min_test_n).to_numpy()
        test = _rao_scott_by_role(np.where(key >= 0, remap(key, np.where(tested, np.arange(len(t)), -1)), -1),
                                  cat, clusters, int(tested.sum()))
    t["p_adj"] = bh_adjust(t["p_value"])
    t["reportable"] = t["n"] >= min_n
    t = t.sort_values("n", ascending=False).reset_index(drop=True)
    t = t[_BY_ROLE_COLUMNS]
    t.attrs["test"] = test
    return t


def _diff_vs_rest(t: pd.DataFrame, testable: np.ndarray, confidence: float) -> tuple[list[float], list[float]]:
    """Each role's NPS minus the other roles', two-sample Wald test (independent responses)."""
    tot = t[["detractors", "passives", "promoters"]].sum()
    diffs, ps = [], []
    for i, (_, row) in enumerate(t.iterrows()):  # a handful of roles
        if not testable[i]:
            diffs.append(np.nan)
            ps.append(np.nan)
            continue
        mine = (row["detractors"], row["passives"], row["promoters"])
        rest = tuple(tot[c] - row[c] for c in ("detractors", "passives", "promoters"))
        res = nps_diff_test(mine, rest, confidence=confidence)
        diffs.append(res.diff)
        ps.append(res.p_value)
    return diffs, ps


def _chi2_by_role(t: pd.DataFrame, tested: pd.Series) -> dict[str, Any]:
    """Pearson's chi-square of category x role over the tested roles (independent responses)."""
    if tested.sum() < 2:
        return {}
    tab = t.loc[tested, ["detractors", "passives", "promoters"]].to_numpy(dtype="float64")
    tab = tab[:, tab.sum(axis=0) > 0]
    if tab.shape[1] < 2:
        return {}
    chi2, p, dof, _ = stats.chi2_contingency(tab, correction=False)
    nn = tab.sum()
    return {"chi2": float(chi2), "dof": int(dof), "p_value": float(p),
            "cramers_v": math.sqrt(chi2 / (nn * (min(tab.shape) - 1))), "n": int(nn), "roles": int(tested.sum()),
            "design_effect": 1.0}


def _design_based(t: pd.DataFrame, key: np.ndarray, cat: np.ndarray, clusters: np.ndarray, confidence: float) -> None:
    """Each role's SE, design effect and interval as a domain of the clustered design (in place)."""
    k = len(t)
    x = np.where(cat >= 0, cat - 1.0, 0.0)
    var, deff = domain_variances(x, key, k, clusters)  # responses without a role stay in the design
    deff = np.where(np.isfinite(deff), np.maximum(deff, 1.0), 1.0)
    counts = t[["detractors", "passives", "promoters"]].to_numpy(dtype="float64") / deff[:, None]
    r = nps_from_counts(counts[:, 0], counts[:, 1], counts[:, 2], confidence=confidence)
    t["se"] = 100 * np.sqrt(var)
    t["ci_low"], t["ci_high"] = 100 * r["ci_low"], 100 * r["ci_high"]
    t["moe"] = (t["ci_high"] - t["ci_low"]) / 2


def _rao_scott_by_role(key: np.ndarray, cat: np.ndarray, clusters: np.ndarray, roles: int) -> dict[str, Any]:
    """Category x role over the tested roles, first-order Rao-Scott corrected for the clusters."""
    if roles < 2:
        return {}
    rs = rao_scott_codes(key, cat, clusters)
    if not np.isfinite(rs.p_value):
        return {}
    deff = max(1.0, rs.deff_mean)
    return {"chi2": rs.chi2 / deff, "dof": rs.dof, "p_value": float(stats.chi2.sf(rs.chi2 / deff, rs.dof)),
            "cramers_v": rs.cramers_v, "n": rs.n, "roles": roles, "design_effect": deff}


def _no_roles() -> pd.DataFrame:
    """The table of :func:`nps_by_role` without any role."""
    t = pd.DataFrame(columns=_BY_ROLE_COLUMNS)
    t.attrs["test"] = {}
    return t


