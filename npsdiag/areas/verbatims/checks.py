"""The verbatims checks: each runs the building blocks on the prepared data and returns a :class:`Check`.

The comments are read once (:func:`gather`): every distinct text is
tokenised once, and every check reads that one corpus through the blocks'
``*_from_corpus`` forms; grouping columns are counted on the prepared data's
integer codes (``prep.codes``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from ... import text as tx
from ...clean import Prepared
from ...findings import Check, Figure
from ...fmt import pct
from ...stats.nps import CATEGORIES, Breaks, nps_from_counts
from .coverage import coverage_from_flags, languages_from_corpus
from .figures import plot_early_warning, plot_terms, plot_themes
from .rules import MIN_COMMENTS
from .terms import terms_from_corpus
from .themes import quotes_from_corpus, theme_hits, themes_from_corpus
from .topics import topics_from_corpus
from .warning import MIN_WINDOW_COMMENTS, warning_from_corpus

__all__ = ["CHECKS", "Comments", "unavailable", "gather", "not_run", "too_few", "coverage", "languages",
           "distinguishing_terms", "themes", "quotes", "topics", "early_warning", "method_notes"]

#: The checks of the area, in report order.
CHECKS = ("coverage", "languages", "terms", "themes", "quotes", "topics", "early_warning")


@dataclass
class Comments:
    """What the checks read: the analysed responses' comments, read once, and the client's settings.

    Attributes
    ----------
    responses : DataFrame
        The analysed responses.
    has : ndarray of bool
        Per response: carries a real comment.
    segments : list of str
        The first three segment columns (coverage is shown per segment).
    codes : dict
        ``prep.codes`` of the segment columns (coverage is counted on them).
    rows : DataFrame
        The commented responses (``score``, ``category``, ``responded_at``), without their texts.
    corpus : Corpus
        Their comments (one per row of ``rows``), each distinct text tokenised once.
    commenters_nps : float
        NPS of the commented responses.
    lexicon : dict of theme -> keywords
        :data:`npsdiag.text.DEFAULT_THEMES` extended by ``settings.themes``.
    confidence, breaks, redact, min_n
        The client's settings (``redact`` = ``settings.redact_pii``).
    """

    responses: pd.DataFrame
    has: np.ndarray
    segments: list[str]
    codes: dict[str, tuple[np.ndarray, pd.Index]]
    rows: pd.DataFrame
    corpus: tx.Corpus
    commenters_nps: float
    lexicon: dict[str, list[str]]
    confidence: float
    breaks: Breaks
    redact: bool
    min_n: int

    @property
    def n_comments(self) -> int:
        return int(self.has.sum())

    @property
    def alpha(self) -> float:
        """Level of the tests: 1 - confidence."""
        return 1 - self.confidence


def unavailable(prep: Prepared) -> str | None:
    """Why the area cannot be assessed at all (no comment column, no response), or None."""
    if "comment" not in prep.responses.columns:
        return "needs a comment column (responses.comment)"
    if len(prep.responses) == 0:
        return "no analysed responses"
    return None


def gather(prep: Prepared) -> Comments:
    """The comments of the analysed responses as distinct texts, the commented rows and the settings."""
    r = prep.responses
    s = prep.settings
    segs = [c for c in prep.segments if c in r.columns][:3]
    # the comments as distinct texts, each tokenised once (exports repeat many comments)
    corp_all = tx.corpus(r["comment"])
    has = corp_all.commented()
    # the commented rows, without their texts: those travel in the corpus, where every building block reads them
    sub = r.loc[has, [c for c in ("score", "category", "responded_at") if c in r]].reset_index(drop=True)
    c_all = [int(np.count_nonzero((sub["category"] == c).to_numpy(dtype=bool, na_value=False))) for c in CATEGORIES]
    return Comments(responses=r, has=has, segments=segs, codes={c: prep.codes(c) for c in segs}, rows=sub,
                    corpus=corp_all.subset(has), commenters_nps=float(100 * nps_from_counts(*c_all)["nps"]),
                    lexicon=tx.merge_themes(getattr(s, "themes", None)), confidence=s.confidence, breaks=s.breaks,
                    redact=bool(s.redact_pii), min_n=s.min_n)


def not_run(reason: str, names: tuple[str, ...] = CHECKS) -> list[Check]:
    """The checks ``names``, not assessed for ``reason``."""
    return [Check.skipped(name, reason) for name in names]


def too_few(comments: Comments) -> list[Check]:
    """Every check after coverage, not assessed: fewer than :data:`~.rules.MIN_COMMENTS` comments."""
    return not_run(f"needs at least {MIN_COMMENTS} comments ({comments.n_comments} here)", CHECKS[1:])


def coverage(comments: Comments) -> Check:
    """Comment coverage overall, by NPS category and by segment (``verbatims.low_coverage``)."""
    cov = coverage_from_flags(comments.responses, comments.has, ["category", *comments.segments],
                              confidence=comments.confidence, max_levels=6, codes=comments.codes)
    check = Check("coverage", tables={"coverage": cov},
                  captions={"coverage": "Share of analysed responses with a comment, overall, by NPS category and "
                                        "by segment (95% Wilson intervals)."},
                  context={"coverage": cov, "n_comments": comments.n_comments,
                           "n_responses": len(comments.responses)})
    if comments.n_comments < MIN_COMMENTS:
        check.notes.append(f"Term statistics and themes need at least {MIN_COMMENTS} comments.")
    return check


def languages(comments: Comments) -> Check:
    """The comments' languages, and what share of them the English term statistics and lexicon cover."""
    langs = languages_from_corpus(comments.rows, comments.corpus, confidence=comments.confidence)
    det = langs[langs["language"] != "undetermined"]
    en_share = float(det.loc[det["language"] == "en", "comments"].sum() / det["comments"].sum()) if len(det) else 0.0
    others = det[det["language"] != "en"].head(4)
    other_txt = ", ".join(f"{row.name} {pct(row.comments / det['comments'].sum(), 1)}" if row.comments >= 10
                          else f"{row.name} {row.comments} comment{'s' if row.comments > 1 else ''}"
                          for row in others.itertuples())
    note = ("Term statistics and themes use English stop words and an English keyword lexicon: they are meaningful "
            f"for English comments, {pct(en_share)} of the comments whose language could be told"
            + (f" (others: {other_txt})" if other_txt else "")
            + ". Words of comments in other languages are counted as written; those comments are not assigned to "
              "themes.")
    return Check("languages", tables={"languages": langs.head(8)},
                 captions={"languages": "Languages of the comments, guessed from their script and frequent "
                                        "function words (no model); short comments are undetermined."},
                 notes=[note], context={"languages": langs, "english_share": en_share})


def distinguishing_terms(comments: Comments) -> Check:
    """Words and phrases detractors write more than promoters, and the reverse."""
    terms = terms_from_corpus(comments.rows, comments.corpus, "category", "detractor", "promoter", top=12,
                              confidence=comments.confidence)
    if len(terms):
        caption = ("What detractors write that promoters do not (left) and the reverse (right); bar length is the "
                   "z-score, labels give the share of each group's comments.")
        return Check("terms", tables={"terms": _client_terms(terms, "detractors", "promoters")},
                     captions={"terms": (
                         "Words and phrases detractors write more often than promoters, and the reverse: log-odds "
                         "ratio with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008) with its 95% "
                         "interval and z-score; shares are of each group's comments.")},
                     figures=[Figure("verbatims_terms", partial(plot_terms, terms, "Detractors", "Promoters"),
                                     caption)],
                     context={"terms": terms})
    if terms.attrs.get("n_a", 0) == 0 or terms.attrs.get("n_b", 0) == 0:
        return Check.skipped("terms", "needs comments from both detractors and promoters",
                             "Distinguishing words need comments from both detractors and promoters.")
    return Check("terms", context={"terms": terms})  # no term stands out


def _client_terms(terms: pd.DataFrame, label_a: str, label_b: str) -> pd.DataFrame:
    """The terms table as the report shows it: the groups named, the columns said in words."""
    t = terms.copy()
    t["more_used_by"] = t["more_used_by"].map({"detractor": label_a, "promoter": label_b}).fillna(t["more_used_by"])
    return t.rename(columns={"comments_a": "detractor_comments", "comments_b": "promoter_comments",
                             "share_a": "share_of_detractor_comments", "share_b": "share_of_promoter_comments",
                             "log_odds": "log_odds_ratio"})


def themes(comments: Comments) -> Check:
    """Themes of the lexicon with their share and NPS (``verbatims.pain_point``)."""
    table = themes_from_corpus(comments.rows, comments.corpus, "score", comments.lexicon,
                               confidence=comments.confidence, breaks=comments.breaks)
    tok = comments.corpus
    any_theme = (theme_hits(tok, comments.lexicon)[0] > 0).any(axis=1)
    check = Check("themes", context={
        "themes": table, "theme_nps": dict(zip(table["theme"], table["nps"])) if len(table) else {},
        "n_comments": comments.n_comments, "min_n": comments.min_n, "alpha": comments.alpha,
        "no_theme": float(1 - any_theme[tok.inverse].mean())})
    if len(table):
        check.tables["themes"] = table.head(15)
        check.captions["themes"] = (
            "Themes of the keyword lexicon: share of comments mentioning each (Wilson interval), NPS of the "
            "respondents who mention it (adjusted Wald interval, Rocks 2016) and its difference from the other "
            "commenters (Wald test, Benjamini-Hochberg adjusted). A comment may mention several themes.")
        check.figures.append(Figure("verbatims_themes", partial(plot_themes, table, comments.commenters_nps),
                                    "Share of comments per theme (left) and the NPS of those who mention it "
                                    "(right), with 95% intervals; the dashed line is the NPS of all commenters."))
    return check


def quotes(comments: Comments, themes_check: Check) -> Check:
    """Representative quotes of the most mentioned themes."""
    table = themes_check.context.get("themes")
    if table is None or table.empty:
        return Check.skipped("quotes", "no comment mentions a theme of the lexicon")
    found = quotes_from_corpus(comments.rows, comments.corpus, "score", comments.lexicon, per_theme=3,
                               redact=comments.redact, breaks=comments.breaks,
                               only=table["theme"].head(8).tolist())
    check = Check("quotes", context={"quotes": found})
    if len(found):
        check.tables["quotes"] = found.head(24)
        check.captions["quotes"] = (
            "Representative quotes of the most mentioned themes (one detractor and one promoter first where "
            "both exist), cut to 200 characters" + (", personal data masked." if comments.redact else "."))
    return check


def topics(comments: Comments) -> Check:
    """Topics the lexicon may miss (NMF)."""
    table = topics_from_corpus(comments.rows, comments.corpus, "score", n_topics=6, confidence=comments.confidence,
                               breaks=comments.breaks, redact=comments.redact)
    if not len(table):
        return Check.skipped("topics", "too few comments or too few different texts to find topics")
    return Check("topics", tables={"topics": table}, context={"topics": table}, captions={"topics": (
        "Topics found without a lexicon (NMF on TF-IDF of words and phrases, Lee & Seung 1999), named by their "
        "top words, with the share of comments whose main topic it is and their NPS.")})


def early_warning(comments: Comments) -> Check:
    """Themes and terms whose share of comments rose in the latest 3 months (``verbatims.early_warning``)."""
    ew = warning_from_corpus(comments.rows, comments.corpus, "responded_at", "score", comments.lexicon,
                             confidence=comments.confidence, breaks=comments.breaks, alpha=comments.alpha)
    if "window" not in ew.attrs:
        return Check.skipped("early_warning", "needs dated comments")
    if not len(ew):
        return Check.skipped("early_warning", "too few comments in the latest 3 months or the 12 before",
                             f"Early warning needs at least {MIN_WINDOW_COMMENTS} comments in the latest 3 months "
                             "and in the 12 months before.")
    rising = ew["rising"].any()
    shown = ew[ew["rising"] & ew["same_comments_as"].isna()].head(15)
    if shown.empty:
        shown = ew[ew["kind"] == "theme"].sort_values("p_value").head(5)
    check = Check("early_warning", tables={"early_warning": shown.drop(columns="same_comments_as")
                                           .reset_index(drop=True)},
                  context={"early_warning": ew, "commenters_nps": comments.commenters_nps})
    check.captions["early_warning"] = (
        f"Themes and terms by share of comments in the latest 3 months ({ew.attrs['window'][0]} to "
        f"{ew.attrs['window'][1]}) against the 12 months before; one-sided two-proportion z-tests, "
        "Benjamini-Hochberg adjusted across all items tested" +
        ("." if rising else "; none rose significantly, the closest themes are shown."))
    if rising:
        check.figures.append(Figure("verbatims_early_warning", partial(plot_early_warning, ew),
                                    "Items whose share of comments rose in the latest 3 months: circle = the "
                                    "12 months before, square = latest."))
    return check


def method_notes(comments: Comments, themes_check: Check) -> list[str]:
    """The methods of the section, shown after the checks' own notes."""
    no_theme = themes_check.context.get("no_theme", float("nan"))
    return [
        "Distinguishing words: log-odds ratio with an informative Dirichlet prior and its z-score (Monroe, Colaresi "
        "& Quinn 2008, 'Fightin' Words', Political Analysis 16(4)); each comment counts a word once; the prior is "
        "the pooled word frequencies of all comments, weighted as one pseudo-mention per ten observed.",
        "Themes: a documented keyword lexicon (npsdiag.text.DEFAULT_THEMES) that settings.themes extends; "
        f"{pct(no_theme)} of comments mention none of its themes. Topics: NMF on TF-IDF (Lee & Seung 1999, "
        "scikit-learn), fitted on a seeded sample of at most 50,000 comments (each distinct text once, its row "
        "scaled by the square root of its number of comments: the same least-squares objective). Repeated comments "
        "are analysed once per distinct text and counted with their number of comments: every count is exact.",
        "Early warning: share of comments in the latest 3 months against the 12 months before, one-sided "
        "two-proportion z-tests with Benjamini-Hochberg adjustment (1995); a rise must also be material (at least "
        "1.5 times and 2 points for a theme).",
        "Shares carry Wilson intervals; NPS intervals are adjusted Wald (Rocks 2016).",
        ("Personal data in quotes is masked (e-mails, phone numbers, card and bank numbers, personal links, "
         "postcodes, handles). Names of people cannot be detected without a language model and are not masked: "
         "read quotes before sharing." if comments.redact else
         "settings.redact_pii is off: quotes are shown as written, including any personal data."),
    ]
