"""Topics of the comments: non-negative matrix factorisation (NMF) of the TF-IDF of their terms.

References
----------
.. [1] Lee, D. D. & Seung, H. S. (1999). Learning the parts of objects by
   non-negative matrix factorization. Nature, 401, 788-791.
.. [2] Boutsidis, C. & Gallopoulos, E. (2008). SVD based initialization: a
   head start for nonnegative matrix factorization. Pattern Recognition,
   41(4), 1350-1362.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse

from ..stats.result import Result
from .corpus import TermMatrix

__all__ = ["TopicFit", "fit_topics", "nndsvd_start", "fit_nmf_distinct"]


@dataclass(frozen=True)
class TopicFit(Result):
    """Topics found by :func:`fit_topics`.

    Attributes
    ----------
    n_topics : int
        Topics fitted (0 when there were too few different texts).
    n_fitted : int
        Comments in the seeded sample the NMF was fitted on.
    topics : DataFrame
        ``topic`` (0..k-1), ``label`` (its three top words) and
        ``top_terms`` (comma-separated).
    assignment : ndarray of int
        For each comment the topic of largest weight, -1 when it has no term.
    weight : ndarray of float
        That weight.
    """

    n_topics: int
    n_fitted: int
    topics: pd.DataFrame = field(repr=False)
    assignment: np.ndarray = field(repr=False)
    weight: np.ndarray = field(repr=False)


def fit_topics(tm: TermMatrix, n_topics: int = 6, sample: int = 50_000, seed: int = 0,
               n_top: int = 6, batch: int = 100_000, rows: np.ndarray | None = None) -> TopicFit:
    """Topics of the comments by NMF on TF-IDF.

    Parameters
    ----------
    tm : TermMatrix
        Terms per comment (:func:`~npsdiag.text.term_matrix`); phrases may be included.
    n_topics : int
        Number of topics.
    sample : int
        NMF is fitted on a seeded random sample of at most this many
        comments that have a term; every comment is then scored in batches.
    seed : int
        Random seed (sample and NMF initialisation).
    n_top : int
        Top terms listed per topic.
    batch : int
        Comments scored per batch.
    rows : ndarray of int, optional
        When the rows of ``tm`` are distinct texts (:class:`~npsdiag.text.Corpus`): for
        each comment, the row of its text. The sample is drawn among
        comments (as without it), each distinct text is scored once, and
        ``assignment`` and ``weight`` are given per comment.

    Returns
    -------
    TopicFit
        ``topics`` (a DataFrame with ``topic``, ``label``, ``top_terms``),
        ``assignment`` (per comment, -1 without a term) and ``weight``.

    Notes
    -----
    TF-IDF (scikit-learn ``TfidfTransformer``, smooth idf, l2 norm) of the
    binary term matrix, factorised by NMF (Lee & Seung 1999; scikit-learn,
    NNDSVDa initialisation, Frobenius loss). A topic is named by its
    heaviest terms; names are descriptive, not curated. With ``rows``, a
    text carried by k sampled comments enters the fit once as sqrt(k) times
    its TF-IDF row: k ||x - w H||^2 = ||sqrt(k) x - sqrt(k) w H||^2, so the
    objective (and the NNDSVDa start, built from the same singular vectors)
    is that of the comment-level sample; only the stopping rule, a relative
    tolerance, sees fewer rows (:func:`fit_nmf_distinct`).

    Examples
    --------
    >>> from npsdiag.text import corpus
    >>> c = corpus([f"slow billing team {i}" if i % 2 else f"great support staff {i}" for i in range(10)])
    >>> fit_topics(c.terms(), n_topics=2).n_topics  # too few different texts for topics
    0
    """
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfTransformer

    X = tm.matrix
    nnz = X.getnnz(axis=1) > 0
    text_of = np.arange(X.shape[0]) if rows is None else np.asarray(rows, dtype="int64")
    n = len(text_of)
    assignment = np.full(n, -1, dtype="int64")
    weight = np.zeros(n, dtype="float64")
    nonempty = np.flatnonzero(nnz[text_of])  # comments with a term
    # topics need enough different texts (not only comments: 3 texts repeated 1,000 times give no topics)
    distinct = len(nonempty) if rows is None else len(np.unique(text_of[nonempty]))
    if min(len(nonempty), distinct) < max(20, 2 * n_topics) or X.shape[1] < n_topics:
        return TopicFit(0, 0, pd.DataFrame(columns=["topic", "label", "top_terms"]), assignment, weight)
    rng = np.random.default_rng(seed)
    fit_rows = np.sort(rng.choice(nonempty, size=min(sample, len(nonempty)), replace=False))
    tfidf = TfidfTransformer(sublinear_tf=True).fit(X[text_of[fit_rows]])
    model = NMF(n_components=n_topics, init="nndsvda", random_state=seed, max_iter=300, tol=1e-3)
    if rows is None:
        model.fit(tfidf.transform(X[fit_rows]))
    else:
        fit_nmf_distinct(model, tfidf.transform(X), text_of[fit_rows], seed)
    # each distinct text is scored once (in batches), then every comment takes its text's topic
    texts = np.flatnonzero(nnz) if rows is None else np.unique(text_of[nonempty])
    a_t = np.full(X.shape[0], -1, dtype="int64")
    w_t = np.zeros(X.shape[0], dtype="float64")
    for start in range(0, len(texts), batch):
        part = texts[start:start + batch]
        W = model.transform(tfidf.transform(X[part]))
        a_t[part] = W.argmax(axis=1)
        w_t[part] = W.max(axis=1)
    assignment[nonempty] = a_t[text_of[nonempty]]
    weight[nonempty] = w_t[text_of[nonempty]]
    assignment[(weight <= 0) & (assignment >= 0)] = -1
    return TopicFit(n_topics, len(fit_rows), _topic_names(model.components_, tm.terms, n_top), assignment, weight)


def _topic_names(H: np.ndarray, terms: np.ndarray, n_top: int) -> pd.DataFrame:
    """Each topic's label (its three heaviest words, or terms) and top terms."""
    records = []
    for k in range(H.shape[0]):
        top = np.argsort(-H[k])[: max(n_top, 3) * 2]
        names = [str(terms[i]) for i in top if H[k, i] > 0]
        words = [t for t in names if " " not in t][:3] or names[:3]
        records.append({"topic": k, "label": " / ".join(words), "top_terms": ", ".join(names[:n_top])})
    return pd.DataFrame(records)


def nndsvd_start(X, n_components: int, random_state: int | None = None,
                 eps: float = 1e-6) -> tuple[np.ndarray, np.ndarray]:
    """The NNDSVD start of NMF (Boutsidis & Gallopoulos 2008), zeros kept: ``(W, H)``.

    Computed as scikit-learn's NMF computes its ``init="nndsvd"`` start (a
    randomized truncated SVD, :func:`sklearn.utils.extmath.randomized_svd`,
    then the positive or negative part of each singular pair, whichever is
    larger; entries below ``eps`` set to 0), with public functions only.
    Filling the zeros with the mean of ``X`` gives scikit-learn's
    ``init="nndsvda"`` start.

    Parameters
    ----------
    X : array or sparse matrix, non-negative, shape (n_samples, n_features)
    n_components : int
        At most min(n_samples, n_features).
    random_state : int, optional
        Seed of the randomized SVD.
    eps : float
        Entries below this are set to 0.

    Returns
    -------
    W : ndarray, shape (n_samples, n_components)
    H : ndarray, shape (n_components, n_features)

    References
    ----------
    .. [1] Boutsidis, C. & Gallopoulos, E. (2008). SVD based initialization:
       a head start for nonnegative matrix factorization. Pattern
       Recognition, 41(4), 1350-1362.

    Examples
    --------
    >>> W, H = nndsvd_start(np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]]), 1, random_state=0)
    >>> W.shape, H.shape, bool((W >= 0).all() and (H >= 0).all())
    ((3, 1), (1, 2), True)
    """
    from sklearn.utils.extmath import randomized_svd

    if n_components > min(X.shape):
        raise ValueError(f"NNDSVD needs n_components <= min(n_samples, n_features), got {n_components} for {X.shape}")
    U, S, V = randomized_svd(X, n_components, random_state=random_state)
    W = np.zeros_like(U)
    H = np.zeros_like(V)
    # the leading singular pair is non-negative: used as is
    W[:, 0] = np.sqrt(S[0]) * np.abs(U[:, 0])
    H[0, :] = np.sqrt(S[0]) * np.abs(V[0, :])
    for j in range(1, n_components):
        x, y = U[:, j], V[j, :]
        x_p, y_p = np.maximum(x, 0), np.maximum(y, 0)
        x_n, y_n = np.abs(np.minimum(x, 0)), np.abs(np.minimum(y, 0))
        x_p_nrm, y_p_nrm = math.sqrt(np.dot(x_p, x_p)), math.sqrt(np.dot(y_p, y_p))
        x_n_nrm, y_n_nrm = math.sqrt(np.dot(x_n, x_n)), math.sqrt(np.dot(y_n, y_n))
        m_p, m_n = x_p_nrm * y_p_nrm, x_n_nrm * y_n_nrm
        if m_p > m_n:
            u, v, sigma = x_p / x_p_nrm, y_p / y_p_nrm, m_p
        else:
            u, v, sigma = x_n / x_n_nrm, y_n / y_n_nrm, m_n
        lbd = np.sqrt(S[j] * sigma)
        W[:, j] = lbd * u
        H[j, :] = lbd * v
    W[W < eps] = 0
    H[H < eps] = 0
    return W, H


def fit_nmf_distinct(model, T: sparse.csr_matrix, sample_texts: np.ndarray, seed: int):
    """Fit ``model`` (a scikit-learn ``NMF``, Frobenius loss) to sampled comments, each distinct text once.

    Parameters
    ----------
    model : sklearn.decomposition.NMF
        Its ``n_components`` and stopping rule are used; it is fitted in
        place with ``init="custom"`` and returned.
    T : sparse matrix
        TF-IDF rows of the distinct texts.
    sample_texts : ndarray of int
        The text (row of ``T``) of each sampled comment.
    seed : int
        Seed of the start's randomized SVD.

    Returns
    -------
    The fitted ``model``.

    Notes
    -----
    A text carried by k sampled comments enters once, scaled by sqrt(k):
    k ||x - w H||^2 = ||sqrt(k) x - sqrt(k) w H||^2, the same objective
    for H. The start is the NNDSVDa start of the comment-level matrix
    (:func:`nndsvd_start` of the scaled rows has the same singular vectors;
    zeros are filled with the comment-level mean, sqrt(k) times it in a
    text's row of W).
    """
    texts, k = np.unique(sample_texts, return_counts=True)
    Xd = T[texts]
    root = np.sqrt(k.astype("float64"))
    Xc = sparse.diags(root) @ Xd
    W, H = nndsvd_start(Xc, model.n_components, random_state=seed)
    avg = float(k @ np.asarray(Xd.sum(axis=1)).ravel()) / (k.sum() * Xd.shape[1])
    W = np.where(W == 0, avg * root[:, None], W)
    H = np.where(H == 0, avg, H)
    model.set_params(init="custom")
    return model.fit(Xc, W=W, H=H)
