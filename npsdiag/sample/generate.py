"""The generator of the synthetic demo client (see :mod:`npsdiag.sample` for the model and the planted problems)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit, ndtri

from .vocabulary import (
    BIL,
    BOLD,
    EMOJI,
    FIRST_NAMES,
    FOREIGN,
    LAST_NAMES,
    MIX,
    NAME_PREFIXES,
    NAME_STEMS,
    NAME_SUFFIXES,
    NEG,
    ONB,
    POS,
    PRI,
    REP,
    SCRIPT,
    SUP,
    THEMES,
    comment_pool,
)

__all__ = ["generate", "n_accounts_for", "SCORE_COLUMN", "COMMENT_COLUMN", "DRIVERS", "DATE_ONLY",
           "RESPONSE_COLUMNS", "ACCOUNT_COLUMNS", "CONTACT_COLUMNS", "INVITATION_COLUMNS", "CSMS",
           "FEED_GAP", "RESPONSES_PER_ACCOUNT"]

SCORE_COLUMN = "How likely are you to recommend Northwind to a friend or colleague?"
COMMENT_COLUMN = "What is the main reason for your score?"
DRIVERS = ["Ease of use", "Support", "Value for money"]
RESPONSE_COLUMNS = ["Response ID", "Response Date", "Invitation Date", "Email", "Account ID", "Job Role",
                    "Region", "Plan", "CSM", SCORE_COLUMN, *DRIVERS, COMMENT_COLUMN, "Follow-up Date"]
ACCOUNT_COLUMNS = ["Account ID", "Account Name", "Industry", "Region", "Plan", "ARR", "Customer Since",
                   "Status", "Renewal Date", "CSM"]
CONTACT_COLUMNS = ["Account ID", "Email", "Role"]
INVITATION_COLUMNS = ["Sent At", "Email", "Account ID", "Role"]
#: Columns written as ``YYYY-MM-DD`` (the other date columns as ``YYYY-MM-DD HH:MM``).
DATE_ONLY = ("Follow-up Date", "Customer Since", "Renewal Date")
TIMESTAMPS = ("Response Date", "Invitation Date", "Sent At")

ROLES = np.array(["Executive", "Decision Maker", "Influencer", "User"], dtype=object)
EXEC, DM, INFL, USER = range(4)
PLANS = np.array(["Starter", "Professional", "Enterprise"], dtype=object)
STARTER, PRO, ENT = range(3)
REGIONS = np.array(["North America", "EMEA", "APAC", "LATAM"], dtype=object)
NA_, EMEA, APAC, LATAM = range(4)
INDUSTRIES = np.array(["Software", "Financial Services", "Healthcare", "Retail", "Manufacturing",
                       "Education", "Logistics", "Media"], dtype=object)
CSMS = np.array(["Dana Whitfield", "Priya Raman", "Marcus Lee", "Sofia Alvarez", "Tom Becker", "Aiko Tanaka",
                 "Ben Carter", "Chloe Martin", "Omar Haddad", "Grace Kim", "Lukas Weber", "Nina Petrova"],
                dtype=object)
DANA, PRIYA = 0, 1
#: The planted feed gap: [start, end) - three ISO weeks with no responses (when inside the period).
FEED_GAP = (pd.Timestamp("2025-03-03"), pd.Timestamp("2025-03-24"))
#: Days between two invitations of the same contact (a quarterly relationship survey, every 12 weeks).
CADENCE = 84.0
#: Responses per account over a two-year program with the default settings (for sizing benchmarks).
RESPONSES_PER_ACCOUNT = 10.5

#: Score distribution of a respondent with latent 0 (ordered-probit reference), scores 0..10.
SCORE_PROBS = np.array([0.035, 0.010, 0.012, 0.015, 0.020, 0.045, 0.050, 0.090, 0.190, 0.210, 0.323])
DRIVER_PROBS = np.array([0.010, 0.010, 0.015, 0.020, 0.030, 0.060, 0.080, 0.150, 0.250, 0.200, 0.175])
DRIVER_RHO = np.array([0.55, 0.80, 0.50])  # Ease of use, Support, Value for money: correlation with the latent



def _params(plant: bool) -> dict:
    """Model parameters; ``plant=False`` switches every planted effect off."""
    p = {
        # contacts: role mix after each account's first contact (its buyer, a decision maker)
        "role_probs": np.array([0.05, 0.05, 0.22, 0.68]),
        "pro_contacts": 1.2,  # Professional accounts: 2 + Poisson(1.2) contacts
        "enterprise_contacts": 14.0,  # Enterprise accounts: median contacts (log-normal)
        # who answers: one champion per account (weights per role); most other contacts of Starter and
        # Professional accounts never answer (silent, per plan); the probability that an active contact
        # answers one invitation, per role, before the account and time factors
        "champion_weight": np.array([0.3, 0.7, 1.2, 2.0]),
        "silent_share": np.array([0.88, 0.88, 0.15]),
        "role_response": np.array([0.35, 0.50, 0.70, 0.90]),
        "enterprise_dm_response": 0.3,  # multiplier for Enterprise executives and decision makers
        "responsiveness_sd": 0.55,  # log-normal spread of accounts' responsiveness
        "rate_start": 1.2, "rate_end": 0.5,  # response-rate factor on the first and the last day
        "starter_second_year": 2.0,  # in-app survey for Starter customers from the program's midpoint
        "new_account_starter": 0.7,  # share of Starter among accounts signed during the program
        # scores: ordered-probit latent = role mean + segment + share of health + person + noise
        "role_mean": np.array([-0.50, -0.28, -0.05, 0.15]),
        "role_lambda": np.array([0.85, 0.75, 0.5, 0.03]),  # weight of account health, per role
        "region_effect": np.array([0.05, 0.0, -0.50, 0.0]),
        "plan_effect": np.array([-0.35, 0.0, 0.10]),
        "priya_score": 0.30, "priya_health": 0.8,
        "second_year_effect": -0.10,
        "recent_days": 270.0,  # the recent health shock shows in scores this long before a renewal
        "dana_gaming": True,
        # closed loop
        "followup_never": 0.25, "followup_median": 14.0,
        # churn at a renewal: logistic in health, plan and the follow-up of the account's detractors
        "churn_b0": -4.4, "churn_health": 4.0,
        "churn_plan": np.array([0.35, 0.0, -0.35]),
        "churn_followup_bad": 2.5, "churn_followup_good": -1.5,
        # verbatims: weight of the billing theme among unhappy comments in the last quarter
        "billing_q4": 9.0,
    }
    if not plant:
        p.update({
            "role_probs": np.array([0.15, 0.25, 0.25, 0.35]),
            "role_response": np.array([0.33, 0.33, 0.33, 0.33]),
            "enterprise_dm_response": 1.0, "champion_weight": np.ones(4), "silent_share": np.zeros(3),
            "role_mean": np.zeros(4), "role_lambda": np.full(4, 0.55),
            "region_effect": np.zeros(4), "plan_effect": np.zeros(3),
            "priya_score": 0.0, "priya_health": 0.0, "second_year_effect": 0.0,
            "responsiveness_sd": 0.15, "rate_start": 1.0, "rate_end": 1.0, "starter_second_year": 1.0,
            "new_account_starter": 0.45, "followup_never": 0.02, "followup_median": 2.0,
            "churn_plan": np.zeros(3),
            "churn_followup_bad": 0.0, "churn_followup_good": 0.0, "recent_days": 10_000.0, "billing_q4": 1.0,
            "dana_gaming": False,
        })
    return p


# --------------------------------------------------------------------------- helpers


def _scaled(k: float, scale: float) -> int:
    """A planted count ``k`` (at the demo's 800 accounts) scaled to the program's size."""
    return max(1, int(round(k * scale)))


def _anniversaries(since: np.ndarray, k: np.ndarray) -> np.ndarray:
    """``since`` (datetime64[D]) plus ``k`` years, day by day (29 February rolls to 1 March)."""
    month = since.astype("datetime64[M]")
    day = (since - month.astype("datetime64[D]")).astype(np.int64)
    return (month + (12 * k).astype("timedelta64[M]")).astype("datetime64[D]") + day.astype("timedelta64[D]")


def _ordinal(latent: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Ordered probit: 0..10 from a latent with the reference distribution ``probs`` at N(0, 1)."""
    cuts = ndtri(np.cumsum(probs)[:-1] / probs.sum())
    return np.searchsorted(cuts, latent).astype(np.int64)


def _to_datetime(start: pd.Timestamp, days: np.ndarray) -> np.ndarray:
    """Days since ``start`` (float, NaN allowed) as datetime64[ns] to the minute."""
    minutes = np.round(np.nan_to_num(days, nan=0.0) * 1440.0).astype(np.int64)
    out = np.datetime64(start.to_datetime64(), "m") + minutes.astype("timedelta64[m]")
    out = out.astype("datetime64[ns]")
    out[np.isnan(days)] = np.datetime64("NaT")
    return out


def _cumcount(keys: np.ndarray) -> np.ndarray:
    """0, 1, 2... within each value of ``keys`` (in order of appearance)."""
    return pd.Series(keys).groupby(keys, sort=False).cumcount().to_numpy()


def _weekday_shift(days: np.ndarray, start_dow: int) -> np.ndarray:
    """Move times that fall on a Saturday or Sunday to the next Monday (same time of day)."""
    dow = (np.floor(days).astype(np.int64) + start_dow) % 7
    return days + np.where(dow == 5, 2, np.where(dow == 6, 1, 0))


# --------------------------------------------------------------------------- the generator


def generate(n_accounts: int = 800, start: str = "2024-01-01", end: str = "2025-12-31", seed: int = 20241,
             plant_problems: bool = True) -> dict[str, pd.DataFrame]:
    """Generate the Northwind Analytics NPS program: responses, accounts, invitations, contacts.

    Parameters
    ----------
    n_accounts : int
        Number of customer accounts; every table scales with it (about 4.6
        contacts, 30 invitations and 10.5 responses per account over two
        years).
    start, end : str or Timestamp
        First and last day of the survey program (``end`` is also the date
        of the CRM snapshot: renewals after it are still open).
    seed : int
        Seed of the random generator; the same arguments give identical
        tables.
    plant_problems : bool
        Plant the data-quality problems and effects listed in the module
        docstring (default), or make a clean export.

    Returns
    -------
    dict of DataFrame
        ``responses`` (:data:`RESPONSE_COLUMNS`; the score column holds text,
        as exports do), ``accounts`` (:data:`ACCOUNT_COLUMNS`),
        ``invitations`` (:data:`INVITATION_COLUMNS`) and ``contacts``
        (:data:`CONTACT_COLUMNS`), with the column names of the demo config.
        Dates are datetime64 (date-only columns at midnight), driver ratings
        nullable integers, ARR integers.

    Examples
    --------
    >>> t = generate(n_accounts=30, seed=7)
    >>> t["accounts"]["Plan"].isin(["Starter", "Professional", "Enterprise"]).all()
    np.True_
    """
    if n_accounts < 1:
        raise ValueError("n_accounts must be at least 1")
    rng = np.random.default_rng(seed)
    start_ts, end_ts = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    if end_ts <= start_ts:
        raise ValueError("end must be after start")
    p = _params(plant_problems)
    scale = n_accounts / 800
    T = float((end_ts - start_ts).days + 1)  # days in the program; times are days since start, in [0, T)
    start_dow = start_ts.day_of_week
    mid = T / 2

    acc = _make_accounts(rng, n_accounts, start_ts, end_ts, T, p, plant_problems)
    con = _make_contacts(rng, acc, T, p)
    inv = _make_invitations(rng, acc, con, T, start_dow, p)
    res = _make_responses(rng, acc, con, inv, T, mid, p)
    _decide_churn(rng, acc, res, p)
    _settle_dana(rng, acc, res, p)

    # churned accounts: nothing after the churn date
    churn_day = acc["churn_day"]
    keep_inv = inv["t"] <= churn_day[inv["acc"]]
    keep_res = res["rt"] <= churn_day[res["acc"]]
    inv = {k: v[keep_inv] for k, v in inv.items()}
    res = {k: v[keep_res] for k, v in res.items()}

    _comments(rng, res, T, p, plant_problems, scale)
    tables = _assemble(rng, acc, con, inv, res, start_ts, end_ts, T, p, plant_problems, scale)
    return tables


def _make_accounts(rng, n, start_ts, end_ts, T, p, plant) -> dict:
    is_new = rng.random(n) < 0.18
    u = np.where(rng.random(n) < 0.4, rng.random(n), np.sqrt(rng.random(n)))  # sign-ups accelerate
    since = np.where(is_new, np.floor(u * (T - 20)), -np.floor(rng.random(n) * 6 * 365.25) - 1)
    plan_old = rng.choice(3, size=n, p=[0.42, 0.42, 0.16])
    ns = p["new_account_starter"]
    plan_new = rng.choice(3, size=n, p=[ns, 0.9 * (1 - ns), 0.1 * (1 - ns)])
    plan = np.where(is_new, plan_new, plan_old)
    region = rng.choice(3, size=n, p=[0.45, 0.34, 0.21])
    if plant:
        n_latam = max(2, int(round(0.004 * n)))
        latam = rng.choice(n, size=min(n_latam, n), replace=False)
        region[latam] = LATAM
        plan[latam] = STARTER
    industry = rng.integers(len(INDUSTRIES), size=n)
    csm = rng.choice(len(CSMS), size=n, p=np.r_[0.09, 0.09, np.full(10, 0.082)])
    arr_median = np.array([9000.0, 36000.0, 160000.0])[plan]
    arr_sd = np.array([0.45, 0.5, 0.7])[plan]
    arr = np.round(arr_median * np.exp(arr_sd * rng.standard_normal(n)), -2).astype(np.int64)
    arr = np.maximum(arr, 1200)

    segment = p["region_effect"][region] + p["plan_effect"][plan] + np.where(csm == PRIYA, p["priya_score"], 0.0)
    health = 0.5 * rng.standard_normal(n)
    for owner in (DANA, PRIYA):  # their books are typical samples of health, shifted for Priya only
        mine = csm == owner
        if mine.sum() > 1:
            health[mine] -= health[mine].mean()
    health += np.where(csm == PRIYA, p["priya_health"], 0.0)
    habit = rng.standard_normal(n)  # follow-up discipline of the account team (higher = slower)
    resp = np.exp(p["responsiveness_sd"] * rng.standard_normal(n))
    resp /= resp.mean()

    # renewal decisions: yearly anniversaries of Customer Since inside the program
    start_d = start_ts.to_datetime64().astype("datetime64[D]")
    since_d = start_d + since.astype(np.int64).astype("timedelta64[D]")
    years_before = np.maximum(1, start_ts.year - since_d.astype("datetime64[Y]").astype(np.int64) - 1970)
    first = _anniversaries(since_d, years_before)
    years_before = np.where(first < start_d, years_before + 1, years_before)
    K = int(np.ceil(T / 365.25)) + 1
    ann = np.stack([_anniversaries(since_d, years_before + j) for j in range(K + 2)], axis=1)
    ann_days = (ann - start_d).astype(np.int64).astype(float)
    multi_year = (~is_new) & (rng.random(n) < np.array([0.02, 0.06, 0.30])[plan])
    decision = np.where((ann_days[:, :K] < T) & ~multi_year[:, None], ann_days[:, :K], np.inf)
    # the open renewal after the snapshot (Active accounts)
    future = np.where(ann_days > T - 1, ann_days, np.inf).min(axis=1)
    future = np.where(multi_year, future + 365.0 * rng.integers(0, 2, size=n), future)
    shock = 1.0 * rng.standard_normal((n, K))

    names, domains = _account_names(rng, industry)
    ids = ("ACC-" + pd.Series(np.arange(10001, 10001 + n)).astype(str)).to_numpy(dtype=object)
    return {"n": n, "id": ids,
            "name": names, "domain": domains, "since": since, "plan": plan, "region": region,
            "industry": industry, "csm": csm, "arr": arr, "segment": segment, "health": health,
            "responsive": resp, "followup_habit": habit, "decision": decision, "future": future, "shock": shock,
            "churn_day": np.full(n, np.inf), "churn_k": np.full(n, -1)}


def _account_names(rng, industry: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = len(industry)
    pre = np.array(NAME_PREFIXES, dtype=object)[rng.integers(len(NAME_PREFIXES), size=n)]
    stem = np.array(NAME_STEMS, dtype=object)[rng.integers(len(NAME_STEMS), size=n)]
    suffix_table = np.array([NAME_SUFFIXES[i] for i in INDUSTRIES], dtype=object)  # 8 x 4
    suffix = suffix_table[industry, rng.integers(4, size=n)]
    base = pre + stem
    names = base + " " + suffix
    dom = pd.Series(names).str.lower().str.replace(" ", "", regex=False).to_numpy(dtype=object)
    k = _cumcount(dom)
    names = np.where(k > 0, names + " " + (k + 1).astype(str).astype(object), names)
    dom = np.where(k > 0, dom + (k + 1).astype(str).astype(object), dom) + ".com"
    return names, dom


def _make_contacts(rng, acc, T, p) -> dict:
    n, plan = acc["n"], acc["plan"]
    count = np.where(plan == STARTER, 1 + np.minimum(rng.poisson(1.0, n), 3),
                     np.where(plan == PRO, 2 + rng.poisson(p["pro_contacts"], n),
                              np.clip(np.round(p["enterprise_contacts"] * np.exp(0.5 * rng.standard_normal(n))),
                                      5, 60)))
    count = count.astype(np.int64)
    a = np.repeat(np.arange(n), count)
    pos = np.arange(len(a)) - np.repeat(np.cumsum(count) - count, count)
    role = rng.choice(4, size=len(a), p=p["role_probs"])
    role = np.where(pos == 0, DM, role)
    role = np.where((pos == 1) & (plan[a] != STARTER) & (rng.random(len(a)) < 0.6), EXEC, role)
    first = rng.integers(len(FIRST_NAMES), size=len(a))
    last = rng.integers(len(LAST_NAMES), size=len(a))
    local = (np.array([f.lower() for f in FIRST_NAMES], dtype=object)[first] + "."
             + np.array([s.lower() for s in LAST_NAMES], dtype=object)[last])
    key = local + "@" + acc["domain"][a]
    k = _cumcount(key)
    email = np.where(k > 0, local + (k + 1).astype(str).astype(object) + "@" + acc["domain"][a], key)
    joined = np.maximum(acc["since"][a], 0.0)
    late = rng.random(len(a)) < 0.15
    joined = np.where(late, joined + rng.random(len(a)) * np.maximum(T - joined, 0) * 0.8, joined)
    # one champion per account answers the survey; most other contacts ignore it (silent)
    key = np.log(p["champion_weight"][role]) + rng.gumbel(size=len(a))
    starts = np.cumsum(count) - count
    champion = key == np.maximum.reduceat(key, starts)[a]
    silent = ~champion & (rng.random(len(a)) < p["silent_share"][plan[a]])
    return {"acc": a, "role": role, "email": email, "joined": joined, "silent": silent,
            "person": 0.45 * rng.standard_normal(len(a))}


def _make_invitations(rng, acc, con, T, start_dow, p) -> dict:
    m = len(con["acc"])
    J = int(T // CADENCE) + 2
    phase = rng.random(m) * CADENCE
    t = phase[:, None] + CADENCE * np.arange(J)[None, :] + rng.uniform(-4, 4, size=(m, J))
    t = np.floor(t) + (9 * 60 + rng.integers(0, 120, size=(m, J))) / 1440.0
    t = _weekday_shift(t, start_dow)
    valid = (t >= con["joined"][:, None]) & (t >= 0) & (t < T)
    c_idx, _ = np.nonzero(valid)
    t = t[valid]
    order = np.lexsort((c_idx, t))
    c_idx, t = c_idx[order], t[order]
    return {"con": c_idx, "acc": con["acc"][c_idx], "t": t}


def _make_responses(rng, acc, con, inv, T, mid, p) -> dict:
    c, a, t = inv["con"], inv["acc"], inv["t"]
    role = con["role"][c]
    plan = acc["plan"][a]
    u = t / T
    rate = p["rate_start"] + (p["rate_end"] - p["rate_start"]) * u
    prob = p["role_response"][role] * acc["responsive"][a] * rate * ~con["silent"][c]
    prob *= np.where((plan == ENT) & (role <= DM), p["enterprise_dm_response"], 1.0)
    prob *= np.where((plan == STARTER) & (t >= mid), p["starter_second_year"], 1.0)
    answered = rng.random(len(t)) < np.minimum(prob, 0.97)
    idx = np.nonzero(answered)[0]
    k = len(idx)
    # invitation -> response latency (days): mostly the same day or the next few, a long tail
    mix = rng.random(k)
    latency = np.where(mix < 0.62, rng.exponential(0.6, k),
                       np.where(mix < 0.90, 1 + rng.exponential(1.5, k),
                                np.minimum(np.exp(np.log(9) + 0.7 * rng.standard_normal(k)), 45)))
    latency = np.maximum(latency, 5 / 1440)
    rt = t[idx] + latency
    ok = rt < T
    idx, rt = idx[ok], rt[ok]
    c, a, it, role = c[idx], a[idx], t[idx], role[idx]
    k = len(idx)

    # account health as it shows at the response time: the recent shock before the next renewal
    dec = acc["decision"][a]
    nxt = (dec <= rt[:, None]).sum(axis=1)
    K = dec.shape[1]
    nxt_c = np.minimum(nxt, K - 1)
    nxt_day = np.where(nxt < K, dec[np.arange(k), nxt_c], np.inf)
    recent = (nxt_day - rt) <= p["recent_days"]
    health = acc["health"][a] + np.where(recent, acc["shock"][a, nxt_c], 0.0)
    lam = p["role_lambda"][role]
    noise_sd = np.sqrt(np.maximum(1.0 - 0.2 - 0.9 * lam ** 2 - 0.05, 0.2))
    latent = (p["role_mean"][role] + acc["segment"][a] + np.where(rt >= mid, p["second_year_effect"], 0.0)
              + lam * health + con["person"][c] + noise_sd * rng.standard_normal(k))
    score = _ordinal(latent, SCORE_PROBS)
    csm = acc["csm"][a]
    gaming_draw = rng.random(k)  # used by _settle_dana once Dana's book is known
    # Priya Raman: her promoters keep the 10:9 split of everyone else's promoters
    others = (csm != PRIYA) & (score >= 9)
    share10 = float((score[others] == 10).mean()) if others.any() else 0.6
    priya_pro = (csm == PRIYA) & (score >= 9)
    resplit = np.where(rng.random(k) < share10, 10, 9)
    score = np.where(priya_pro, resplit, score)
    # driver ratings: noisy functions of the score latent (Support the closest)
    lat_std = (latent - latent.mean()) / (latent.std() or 1.0)
    drivers = np.stack([_ordinal(r * lat_std + np.sqrt(1 - r ** 2) * rng.standard_normal(k), DRIVER_PROBS)
                        for r in DRIVER_RHO], axis=1).astype(float)
    drivers[rng.random(drivers.shape) < 0.04] = np.nan
    # closed loop: detractors (and some passives) are called back
    cat = np.where(score <= 6, NEG, np.where(score >= 9, POS, MIX))
    # each account's closed-loop discipline: its detractors are called back similarly fast (or not at all)
    med = p["followup_median"]
    habit = acc["followup_habit"][a]
    delay = np.exp(np.log(med) + 0.6 * habit + 0.4 * rng.standard_normal(k))
    never = expit(np.log(p["followup_never"] / (1 - p["followup_never"])) * 1.25 + 1.2 * habit)
    fu_draw = rng.random(k)
    followed = np.where(cat == NEG, fu_draw >= never, np.where(cat == MIX, fu_draw < 0.2, False))
    delay = np.where(cat == MIX, delay * 1.2, delay)
    fu = np.where(followed, np.floor(rt + delay) + 0.0, np.nan)
    fu = np.where(fu < T, fu, np.nan)  # not yet done at the snapshot
    return {"con": c, "acc": a, "it": it, "rt": rt, "role": role, "score": score, "drivers": drivers,
            "cat": cat, "delay": np.where(followed, delay, np.inf), "fu": fu, "csm": csm,
            "gaming_draw": gaming_draw}


def _settle_dana(rng, acc, res, p) -> None:
    """Dana Whitfield's book and her gamed scores.

    Her accounts are re-drawn, once renewals are decided, as a sample of the
    accounts not owned by Priya Raman stratified by outcome (churned,
    renewed, open), so that her book churns like everyone else's; labels are
    swapped with the other CSMs (who have no effect of their own). Then her
    customers' 9s (85 %), 8s (33 %) and 7s (12 %) are recorded as 10.
    """
    if not p["dana_gaming"]:
        return
    csm = acc["csm"]
    status = np.where(np.isfinite(acc["churn_day"]), 0, np.where(np.isfinite(acc["decision"]).any(axis=1), 1, 2))
    pool = np.nonzero(csm != PRIYA)[0]
    old = np.nonzero(csm == DANA)[0]
    m = len(old)
    if m and len(pool) > m:
        exact = np.bincount(status[pool], minlength=3) / len(pool) * m
        counts = np.floor(exact).astype(np.int64)
        counts[np.argsort(counts - exact)[: m - counts.sum()]] += 1  # largest remainders
        new = np.concatenate([rng.choice(pool[status[pool] == st], size=counts[st], replace=False)
                              for st in range(3)])
        leaving, arriving = np.setdiff1d(old, new), np.setdiff1d(new, old)
        csm[leaving] = csm[arriving]
        csm[arriving] = DANA
        res["csm"] = csm[res["acc"]]
    score, g = res["score"], res["gaming_draw"]
    gamed = (res["csm"] == DANA) & (((score == 9) & (g < 0.85)) | ((score == 8) & (g < 0.33))
                                    | ((score == 7) & (g < 0.12)))
    res["score"] = np.where(gamed, 10, score)
    res["cat"] = np.where(gamed, POS, res["cat"])
    res["fu"] = np.where(gamed, np.nan, res["fu"])


def _decide_churn(rng, acc, res, p) -> None:
    """Renewal decisions in date order; churn is logistic in health, plan, segment and follow-up."""
    n = acc["n"]
    dec = acc["decision"]
    K = dec.shape[1]
    draws = rng.random((n, K))
    alive = np.ones(n, dtype=bool)
    det = res["cat"] == NEG
    a, rt, delay = res["acc"][det], res["rt"][det], res["delay"][det]
    bad_row = delay > 14  # includes never (inf)
    good_row = delay <= 7
    for k in range(K):
        d = dec[:, k]
        window = (rt < d[a]) & (rt >= d[a] - 365)
        total = np.bincount(a[window], minlength=n)
        bad = np.bincount(a[window & bad_row], minlength=n) / np.maximum(total, 1)
        good = np.bincount(a[window & good_row], minlength=n) / np.maximum(total, 1)
        # centred over accounts with detractors: how they are followed up matters, not that they exist
        fu = p["churn_followup_bad"] * bad + p["churn_followup_good"] * good
        has = total > 0
        fu = np.where(has, fu - (fu[has].mean() if has.any() else 0.0), 0.0)
        logit = (p["churn_b0"] + p["churn_plan"][acc["plan"]] - p["churn_health"] * (acc["health"] + acc["shock"][:, k])
                 + fu)
        churn = alive & np.isfinite(d) & (draws[:, k] < expit(logit))
        acc["churn_day"][churn] = d[churn]
        acc["churn_k"][churn] = k
        alive &= ~churn


def _comments(rng, res, T, p, plant, scale) -> None:
    k = len(res["rt"])
    cat, drivers = res["cat"], res["drivers"]
    has = rng.random(k) < np.array([0.72, 0.50, 0.42])[cat]
    base = np.array([
        [0.10, 0.22, 0.15, 0.12, 0.12, 0.15, 0.05, 0.09],   # detractors
        [0.10, 0.15, 0.20, 0.18, 0.15, 0.08, 0.04, 0.10],   # passives
        [0.12, 0.25, 0.08, 0.22, 0.13, 0.05, 0.01, 0.14],   # promoters
    ])
    w = base[cat].copy()
    sign = np.where(cat == POS, 1.0, -1.0)
    drv = np.nan_to_num(drivers, nan=7.0) - 7.0
    w[:, SUP] *= np.exp(0.25 * sign * drv[:, 1])
    w[:, PRI] *= np.exp(0.25 * sign * drv[:, 2])
    w[:, ONB] *= np.exp(0.15 * sign * drv[:, 0])
    w[:, REP] *= np.exp(0.15 * sign * drv[:, 0])
    last_q = (res["rt"] >= T - 92) & (cat != POS)
    w[:, BIL] *= np.where(last_q, p["billing_q4"], 1.0)
    theme = np.argmax(np.log(w) + rng.gumbel(size=w.shape), axis=1)
    comment = np.full(k, None, dtype=object)
    pick = rng.random(k)
    for th in range(len(THEMES)):
        for tone in (NEG, MIX, POS):
            rows = np.nonzero(has & (theme == th) & (cat == tone))[0]
            if len(rows):
                pool = comment_pool(th, tone)
                comment[rows] = pool[(pick[rows] * len(pool)).astype(np.int64)]
    res["theme"] = np.where(has, theme, -1)
    res["comment"] = comment


def _take(table, codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """A string column from a lookup ``table`` and integer ``codes`` (-1 = missing), without per-row objects."""
    arr = table if isinstance(table, pd.api.extensions.ExtensionArray) else pd.array(
        np.asarray(table, dtype=object), dtype="str")
    return arr.take(np.asarray(codes, dtype=np.int64), allow_fill=True)


#: Values written in the score column: codes 0-10 are the scores, then the planted non-scores.
SCORE_LABELS = np.array([str(i) for i in range(11)] + ["N/A", "11", "-1", "ten"], dtype=object)


def _assemble(rng, acc, con, inv, res, start_ts, end_ts, T, p, plant, scale) -> dict[str, pd.DataFrame]:
    n = acc["n"]
    acc_str = pd.array(acc["id"], dtype="str")
    email_str = pd.array(con["email"], dtype="str")
    # ---- accounts
    churned = np.isfinite(acc["churn_day"])
    dec = acc["decision"]
    last_dec = np.where(np.isfinite(dec), dec, -np.inf).max(axis=1)
    renewed = ~churned & np.isfinite(last_dec)
    status = np.where(churned, 0, np.where(renewed, 1, 2))
    renewal = np.where(churned, acc["churn_day"], np.where(renewed, last_dec, acc["future"]))
    renewal = np.where((status == 2) & (rng.random(n) < 0.05), np.nan, renewal)
    accounts = pd.DataFrame({
        "Account ID": acc_str, "Account Name": _take(acc["name"], np.arange(n)),
        "Industry": _take(INDUSTRIES, acc["industry"]), "Region": _take(REGIONS, acc["region"]),
        "Plan": _take(PLANS, acc["plan"]), "ARR": acc["arr"],
        "Customer Since": _to_datetime(start_ts, acc["since"]),
        "Status": _take(["Churned", "Renewed", "Active"], status),
        "Renewal Date": _to_datetime(start_ts, renewal), "CSM": _take(CSMS, acc["csm"]),
    })
    # ---- contacts and invitations
    contacts = pd.DataFrame({"Account ID": _take(acc_str, con["acc"]), "Email": email_str,
                             "Role": _take(ROLES, con["role"])})
    invitations = pd.DataFrame({"Sent At": _to_datetime(start_ts, inv["t"]), "Email": _take(email_str, inv["con"]),
                                "Account ID": _take(acc_str, inv["acc"]),
                                "Role": _take(ROLES, con["role"][inv["con"]])})
    # ---- responses, as integer codes until the frame is built
    a, c = res["acc"], res["con"]
    r = {"rt": res["rt"], "it": res["it"], "fu": res["fu"], "email": c, "acc": a.copy(), "role": res["role"],
         "region": acc["region"][a], "plan": acc["plan"][a], "csm": res["csm"], "score": res["score"].copy(),
         "drivers": res["drivers"], "comment": res["comment"], "cat": res["cat"]}
    emails, acc_ids = con["email"], acc["id"]
    gap = _feed_gap(start_ts, T)
    dup_week = None
    if plant:
        # outcome.unlinked: contacts whose survey record carries a legacy account id
        m = len(con["acc"])
        legacy = rng.random(m) < 0.03
        leg_num = rng.integers(20000, 99999, size=m)
        acc_ids = np.concatenate([acc_ids, ("LEG-" + pd.Series(leg_num).astype(str)).to_numpy(dtype=object)])
        r["acc"] = np.where(legacy[c], n + c, r["acc"])
        _plant_verbatims(rng, r, emails, scale, gap)
        r = _plant_repeats(rng, r, T)
        r = _plant_rows(rng, r, start_ts, end_ts, T, gap, scale)
        n_test = _scaled(12, scale)
        test_emails = np.array(["test@northwind.com" if i % 2 == 0 else f"qa+{i}@northwind.com"
                                for i in range(n_test)], dtype=object)
        r = _append_tests(rng, r, len(emails), n_test, T, gap)
        emails = np.concatenate([emails, test_emails])
        wk = float(int(T * 0.35) // 7 * 7)
        dup_week = (wk, wk + 7.0)
    order = np.argsort(r["rt"], kind="stable")
    r = {key: v[order] for key, v in r.items()}
    k = len(order)
    width = max(6, len(str(k)))
    ids = "R-" + pd.Series(np.arange(1, k + 1)).astype("str").str.zfill(width)
    rows = np.arange(k)
    if dup_week is not None:
        # reliability.duplicates: one week's responses were imported twice (appended at the end of the file)
        again = np.nonzero((r["rt"] >= dup_week[0]) & (r["rt"] < dup_week[1]) & (r["acc"] >= 0))[0]
        rows = np.concatenate([rows, again])
    frame = pd.DataFrame({
        "Response ID": ids.array.take(rows),
        "Response Date": _to_datetime(start_ts, r["rt"][rows]),
        "Invitation Date": _to_datetime(start_ts, r["it"][rows]),
        "Email": _take(emails, r["email"][rows]),
        "Account ID": _take(acc_ids, r["acc"][rows]),
        "Job Role": _take(ROLES, r["role"][rows]),
        "Region": _take(REGIONS, r["region"][rows]),
        "Plan": _take(PLANS, r["plan"][rows]),
        "CSM": _take(CSMS, r["csm"][rows]),
        SCORE_COLUMN: _take(SCORE_LABELS, r["score"][rows]),
        **{d: pd.array(r["drivers"][rows, j], dtype="Float64").astype("Int64") for j, d in enumerate(DRIVERS)},
        COMMENT_COLUMN: pd.array(r["comment"][rows], dtype="str"),
        "Follow-up Date": _to_datetime(start_ts, r["fu"][rows]),
    })
    return {"responses": frame, "accounts": accounts, "invitations": invitations, "contacts": contacts}


def _feed_gap(start_ts: pd.Timestamp, T: float) -> tuple[float, float] | None:
    """The planted gap in days since start: 3 weeks from Monday 3 March 2025 if inside the program, else at 60 %."""
    g0, g1 = FEED_GAP
    if start_ts <= g0 and g1 <= start_ts + pd.Timedelta(days=T):
        return float((g0 - start_ts).days), float((g1 - start_ts).days)
    if T < 120:
        return None
    s = start_ts + pd.Timedelta(days=int(T * 0.6))
    s = s - pd.Timedelta(days=s.day_of_week)
    d = float((s - start_ts).days)
    return d, d + 21.0


def _plant_verbatims(rng, r: dict, emails: np.ndarray, scale: float, gap) -> None:
    """Comments with PII, HTML, foreign languages and emoji (on existing comments, one row each)."""
    comment, cat, rt = r["comment"], r["cat"], r["rt"]
    outside = np.ones(len(rt), dtype=bool) if gap is None else (rt < gap[0]) | (rt >= gap[1])
    order = rng.permutation(np.nonzero(pd.notna(comment) & outside)[0])
    free = np.ones(len(comment), dtype=bool)

    def take(mask: np.ndarray, m: int) -> np.ndarray:
        cand = order[(mask & free)[order]][:m]
        free[cand] = False
        return cand

    unhappy = cat != POS
    comment[take(unhappy, 1)] = SCRIPT
    comment[take(np.ones(len(cat), bool), 1)] = BOLD
    for tone, texts in FOREIGN.items():
        rows = take(cat == tone, len(texts))
        comment[rows] = np.array(texts, dtype=object)[: len(rows)]
    comment[take(cat == POS, 1)] = EMOJI
    rows = take(unhappy, _scaled(20, scale))
    half = len(rows) // 2
    digits = rng.integers(100, 999, size=len(rows)).astype(str).astype(object)
    phones = np.array(["+1 415 555 0", "+44 20 7946 0", "(212) 555-0", "+61 2 5550 1"], dtype=object)
    extra = np.where(np.arange(len(rows)) < half,
                     " You can reach me directly at " + emails[r["email"][rows]] + ".",
                     " Please call me on " + phones[np.arange(len(rows)) % len(phones)] + digits + ".")
    comment[rows] = comment[rows] + extra


def _plant_repeats(rng, r: dict, T: float) -> dict:
    """Respondents answering again 2-25 days later (inside the 30-day cool-off)."""
    k = len(r["rt"])
    m = max(1, int(round(0.008 * k)))
    rows = rng.choice(k, size=min(m, k), replace=False)
    later = r["rt"][rows] + rng.uniform(2, 25, size=len(rows))
    rows, later = rows[later < T], later[later < T]
    extra = {key: v[rows].copy() for key, v in r.items()}
    extra["rt"] = later
    extra["score"] = np.clip(extra["score"] + rng.integers(-1, 2, size=len(rows)), 0, 10)
    extra["comment"] = np.full(len(rows), None, dtype=object)
    extra["fu"] = np.full(len(rows), np.nan)
    return {key: np.concatenate([r[key], extra[key]]) for key in r}


def _plant_rows(rng, r: dict, start_ts, end_ts, T, gap, scale) -> dict:
    """Bad scores and date anomalies on distinct rows; then the feed gap removes three weeks."""
    rt = r["rt"]
    it = r["it"]
    near = np.zeros(len(rt), dtype=bool) if gap is None else (
        ((rt >= gap[0] - 10) & (rt < gap[1] + 10)) | ((it >= gap[0] - 10) & (it < gap[1] + 10)))
    pool = rng.permutation(np.nonzero(~near & (r["it"] >= 10))[0])
    pos = 0

    def take(m: int) -> np.ndarray:
        nonlocal pos
        out = pool[pos:pos + m]
        pos += m
        return out

    score = r["score"]
    score[take(int(round(0.015 * len(rt))))] = -1
    for code, m in ((11, 3), (12, 3), (13, 2), (14, 2)):  # N/A, 11, -1, ten
        score[take(_scaled(m, scale))] = code
    # far-future year typos (2024 -> 2042, 2025 -> 2052, one 2062)
    rows = take(_scaled(6, scale))
    when = start_ts + pd.to_timedelta(np.round(rt[rows] * 1440), unit="min")
    years = when.year.to_numpy()
    typo = (years // 100) * 100 + (years % 10) * 10 + (years // 10) % 10
    typo[0] = 2062
    typo = np.where(typo <= end_ts.year, end_ts.year + 40, typo)
    moved = pd.to_datetime({"year": typo, "month": when.month, "day": np.minimum(when.day, 28),
                            "hour": when.hour, "minute": when.minute})
    rt[rows] = ((moved - start_ts) / pd.Timedelta(days=1)).to_numpy()
    # dated 1-9 days before the invitation
    rows = take(_scaled(20, scale))
    rt[rows] = r["it"][rows] - rng.integers(1440, 9 * 1440, size=len(rows)) / 1440.0
    # feed gap: the integration lost every response of three weeks
    if gap is not None:
        keep = ~((rt >= gap[0]) & (rt < gap[1]))
        r = {key: v[keep] for key, v in r.items()}
    return r


def _append_tests(rng, r: dict, first_email: int, m: int, T: float, gap) -> dict:
    """Test responses from the QA team: test@northwind.com / qa+N@northwind.com, comment "test"."""
    when = np.sort(rng.integers(0, int(T) * 1440, size=m)) / 1440.0
    if gap is not None:
        when = np.where((when >= gap[0]) & (when < gap[1]), when + 28, when)
    test = {"rt": when, "it": np.full(m, np.nan), "fu": np.full(m, np.nan),
            "email": first_email + np.arange(m), "acc": np.full(m, -1), "role": np.full(m, -1),
            "region": np.full(m, -1), "plan": np.full(m, -1), "csm": np.full(m, -1),
            "score": rng.choice(np.array([0, 5, 10]), size=m), "drivers": np.full((m, 3), np.nan),
            "comment": np.full(m, "test", dtype=object), "cat": np.full(m, -1)}
    return {key: np.concatenate([r[key], test[key]]) for key in r}


# --------------------------------------------------------------------------- writing


def n_accounts_for(responses: int) -> int:
    """Accounts needed for about ``responses`` responses over a two-year program (benchmarks)."""
    return max(1, int(np.ceil(responses / RESPONSES_PER_ACCOUNT)))


