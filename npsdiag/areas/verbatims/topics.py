"""Topics the lexicon may miss: NMF on the TF-IDF of the comments' words and phrases."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ... import text as tx
from ...stats.nps import Breaks, nps_from_counts
from ...stats.proportions import wilson_interval
from .common import aligned, as_text, category_codes, quote

__all__ = ["discover_topics", "topics_from_corpus"]


def discover_topics(
    data: pd.DataFrame,
    comment: str = "comment",
    score: str = "score",
    n_topics: int = 6,
    sample: int = 50_000,
    seed: int = 0,
    confidence: float = 0.95,
    breaks: Breaks = Breaks(),
    redact: bool = True,
) -> pd.DataFrame:
    """Topics found in the comments by NMF, with their share, NPS and an example.

    Parameters
    ----------
    data : DataFrame
    comment, score : str
    n_topics : int
        Number of topics (fewer with few comments: at most one per 50).
    sample : int
        NMF is fitted on a seeded sample of at most this many comments, then
        every comment is scored.
    seed : int
    confidence : float
    breaks : Breaks
    redact : bool
        Mask personal data in the example quotes.

    Returns
    -------
    DataFrame
        ``topic`` (named by its three heaviest words), ``top_terms``,
        ``comments`` (comments whose main topic it is), ``share``,
        ``share_ci_low``, ``share_ci_high``, ``nps``, ``nps_ci_low``,
        ``nps_ci_high``, ``example`` (the comment most typical of it).

    Notes
    -----
    Non-negative matrix factorisation (Lee & Seung 1999; scikit-learn) of
    the TF-IDF of words and phrases (:func:`npsdiag.text.fit_topics`) of
    the comments in their main language, with its stop words and stems
    (:meth:`npsdiag.text.Corpus.terms`); shares are of those comments. A
    text that several sampled comments share enters the fit once, scaled by
    the square root of its count (the same Frobenius objective), and every
    distinct text is scored once. Topics are descriptive: their names are their top words, not curated
    labels; use the lexicon themes (:func:`theme_summary`) for stable,
    comparable names.

    References
    ----------
    .. [1] Lee, D. D. & Seung, H. S. (1999). Learning the parts of objects by
       non-negative matrix factorization. Nature, 401, 788-791.

    Examples
    --------
    Sixty different comments about billing (scored 2) and sixty about engineers (scored 10):

    >>> import itertools
    >>> bill = ["invoice", "billing", "charged", "refund", "payment", "overcharged"]
    >>> eng = ["engineer", "visit", "appointment", "technician", "router", "installation"]
    >>> texts = ([f"{a} {b} problem" for a, b in itertools.permutations(bill, 2)]
    ...          + [f"{a} {b} delay" for a, b in itertools.permutations(eng, 2)])
    >>> df = pd.DataFrame({"comment": texts * 2, "score": ([2] * 30 + [10] * 30) * 2})
    >>> discover_topics(df, n_topics=2)[["topic", "comments", "nps"]].values.tolist()
    [['delay / router / installation', 60, 100.0], ['problem / billing / invoice', 60, -100.0]]
    """
    return topics_from_corpus(data, tx.corpus(data[comment]), score, n_topics=n_topics, sample=sample, seed=seed,
                              confidence=confidence, breaks=breaks, redact=redact)


def topics_from_corpus(
    data: pd.DataFrame,
    corpus: tx.Corpus,
    score: str = "score",
    n_topics: int = 6,
    sample: int = 50_000,
    seed: int = 0,
    confidence: float = 0.95,
    breaks: Breaks = Breaks(),
    redact: bool = True,
) -> pd.DataFrame:
    """:func:`discover_topics` of the comments of ``corpus`` (one per row of ``data``)."""
    cols = ["topic", "top_terms", "comments", "share", "share_ci_low", "share_ci_high", "nps", "nps_ci_low",
            "nps_ci_high", "example"]
    c = aligned(data, corpus)
    has = c.commented()
    in_main = c.in_main_language()
    pos = np.flatnonzero(has & in_main[np.maximum(c.inverse, 0)])  # the comments in the main language
    k = min(n_topics, len(pos) // 50)
    if k < 2:
        return pd.DataFrame(columns=cols)
    # terms of the distinct texts, kept when enough comments mention them; NMF on a sample of comments
    full = c.terms()
    df = full.matrix.T @ c.counts(has)
    keep = np.flatnonzero(df >= max(3, math.ceil(0.001 * len(pos))))
    tm = tx.TermMatrix(full.matrix[:, keep], full.terms[keep], full.ngram[keep])
    inv = c.inverse[pos]
    fit = tx.fit_topics(tm, n_topics=k, sample=sample, seed=seed, rows=inv)
    if fit.topics.empty:
        return pd.DataFrame(columns=cols)
    assign, weight = fit.assignment, fit.weight
    cats = category_codes(data, score, breaks)[pos]
    length = c.lengths()[inv]
    rows = []
    for _, t in fit.topics.iterrows():
        m = assign == t["topic"]
        counts = np.bincount(cats[m & (cats >= 0)], minlength=3)
        r = nps_from_counts(*counts, confidence=confidence)
        idx = np.flatnonzero(m)
        example = ""
        if (~c.garbled[inv[idx]]).any():
            idx = idx[~c.garbled[inv[idx]]]  # a garbled text is never an example
            pref = idx[(length[idx] >= 40) & (length[idx] <= 300)]
            pool = pref if len(pref) else idx
            example = quote(as_text(c.texts[inv[pool[np.argmax(weight[pool])]]]), redact, 160)
        rows.append({"topic": t["label"], "top_terms": t["top_terms"], "comments": int(m.sum()),
                     "nps": float(100 * r["nps"]), "nps_ci_low": float(100 * r["ci_low"]),
                     "nps_ci_high": float(100 * r["ci_high"]), "example": example})
    out = pd.DataFrame(rows)
    out["share"] = out["comments"] / len(pos)
    out["share_ci_low"], out["share_ci_high"] = wilson_interval(out["comments"], len(pos), confidence)
    out = out[out["comments"] > 0]
    return out.sort_values("comments", ascending=False)[cols].reset_index(drop=True)
