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
from ...fmt import num, pct
from ...linking import cluster_column, cluster_frame
from ...stats.nps import CATEGORIES, Breaks, nps_from_counts
from .coverage import coverage_from_flags, languages_from_corpus
from .figures import plot_early_warning, plot_terms, plot_themes
from .rules import MIN_COMMENTS, MIN_READ_SHARE, MIN_THEME_WORDS, MIN_THEMED_SHARE
from .terms import terms_from_corpus
from .themes import quotes_from_corpus, theme_hits, themes_from_corpus
from .topics import topics_from_corpus
from .warning import MIN_WINDOW_COMMENTS, warning_from_corpus

__all__ = ["CHECKS", "DESCRIPTIVE", "Comments", "unavailable", "gather", "not_run", "too_few", "coverage", "languages",
           "distinguishing_terms", "themes", "quotes", "topics", "early_warning", "method_notes"]

#: The checks of the area, in report order.
CHECKS = ("coverage", "languages", "terms", "themes", "quotes", "topics", "early_warning")
#: The checks that only describe or support (the area's soundness rests on coverage, themes and early warning).
DESCRIPTIVE = ("languages", "terms", "quotes", "topics")


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
    lexicon : dict of language -> (theme -> keywords)
        :data:`npsdiag.text.LEXICONS` extended by ``settings.themes``.
    confidence, breaks, redact, min_n
        The client's settings (``redact`` = ``settings.redact_pii``).
    cluster : str or None
        The column whose responses cluster (:func:`npsdiag.linking.cluster_column`), a column of ``rows``.
    """

    responses: pd.DataFrame
    has: np.ndarray
    segments: list[str]
    codes: dict[str, tuple[np.ndarray, pd.Index]]
    rows: pd.DataFrame
    corpus: tx.Corpus
    commenters_nps: float
    lexicon: dict[str, dict[str, list[str]]]
    confidence: float
    breaks: Breaks
    redact: bool
    min_n: int
    cluster: str | None = None

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
    cluster = cluster_column(prep)
    keep = [c for c in ("score", "category", "responded_at") if c in r]
    sub = r.loc[has, keep].reset_index(drop=True)
    if cluster:  # the clusters as integers: the same clusters, grouped a fraction of the time
        sub[cluster] = cluster_frame(prep)["cluster"].to_numpy()[np.asarray(has, dtype=bool)]
    c_all = [int(np.count_nonzero((sub["category"] == c).to_numpy(dtype=bool, na_value=False))) for c in CATEGORIES]
    return Comments(responses=r, has=has, segments=segs, codes={c: prep.codes(c) for c in segs}, rows=sub,
                    corpus=corp_all.subset(has), commenters_nps=float(100 * nps_from_counts(*c_all)["nps"]),
                    lexicon=tx.merge_lexicons(getattr(s, "themes", None)), confidence=s.confidence, breaks=s.breaks,
                    redact=bool(s.redact_pii), min_n=s.min_n, cluster=cluster)


def not_run(reason: str, names: tuple[str, ...] = CHECKS) -> list[Check]:
    """The checks ``names``, not assessed for ``reason``."""
    return [Check.skipped(name, reason, substantive=name not in DESCRIPTIVE) for name in names]


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
    """The comments' languages, which of them themes and term statistics read, and repaired encodings.

    Context: ``languages`` (table), ``main`` (the main language or None), ``read_share`` (comments in a
    language with a theme lexicon), ``main_share``, ``repaired``, ``garbled`` (comments).
    """
    c = comments.corpus
    langs = languages_from_corpus(comments.rows, c, confidence=comments.confidence)
    w = c.counts()
    n = float(w.sum())
    main = c.main_language()
    reading = c.reading_languages()
    read_share = float(w[np.isin(reading, list(comments.lexicon)) & c.has].sum() / n) if n else 0.0
    main_share = float(w[c.in_main_language()].sum() / n) if n else 0.0
    repaired, garbled = int(w[c.repaired].sum()), int(w[c.garbled].sum())
    notes = [_language_note(langs, main, main_share, comments.lexicon)]
    if repaired or garbled:
        notes.append(
            (f"{num(repaired)} comment{'s' if repaired != 1 else ''} showed characters garbled by a wrong text "
             "encoding (accented letters or apostrophes turned into other symbols) and were repaired before being "
             "read and quoted. " if repaired else "")
            + (f"{num(garbled)} comment{'s' if garbled != 1 else ''} could not be repaired (letters lost in the "
               "export) and are never quoted; ask for the export in UTF-8." if garbled else ""))
    return Check("languages", tables={"languages": langs.head(8)},
                 captions={"languages": "Languages of the comments: from their script and the words only one "
                                        "language uses, and a language model where those leave doubt; "
                                        "one-word comments are often undetermined and are read in the main "
                                        "language."},
                 notes=notes, substantive=False,
                 context={"languages": langs, "main": main, "read_share": read_share, "main_share": main_share,
                          "repaired": repaired, "garbled": garbled})


def _language_note(langs: pd.DataFrame, main: str | None, main_share: float,
                   lexicon: dict[str, dict[str, list[str]]]) -> str:
    """What the themes and the term statistics read, in the languages of the comments."""
    det = langs[langs["language"] != "undetermined"]
    names = tx.LANGUAGE_NAMES
    with_lex = ", ".join(names[k] for k in lexicon if k in names)
    unread = det[~det["language"].isin(list(lexicon))]
    total = float(langs["comments"].sum()) or 1.0
    txt = f"Themes are read in {with_lex}, each comment with the lexicon of its language"
    if len(unread):
        parts = [f"{row.name} {pct(row.comments / total, 1)}" if row.comments >= 10
                 else f"{row.name} {row.comments} comment{'s' if row.comments > 1 else ''}"
                 for row in unread.head(4).itertuples()]
        txt += (f"; themes were not assessed for the comments in other languages ({', '.join(parts)})")
    txt += ". "
    if main is None:
        return txt + ("No comment's language could be told: words are counted as written, with English stop words, "
                      "and themes are read with the English lexicon.")
    txt += (f"Distinguishing words and topics are computed on the comments in {names.get(main, main)}, the main "
            f"language ({pct(main_share)} of comments, short ones whose language cannot be told included), with "
            f"its stop words and word stems")
    return txt + (": comments in other languages are left out of them." if main_share < 0.995 else ".")


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
                     context={"terms": terms}, substantive=False)
    if terms.attrs.get("n_a", 0) == 0 or terms.attrs.get("n_b", 0) == 0:
        return Check.skipped("terms", "needs comments from both detractors and promoters",
                             "Distinguishing words need comments from both detractors and promoters.",
                             substantive=False)
    return Check("terms", context={"terms": terms}, substantive=False)  # no term stands out


def _client_terms(terms: pd.DataFrame, label_a: str, label_b: str) -> pd.DataFrame:
    """The terms table as the report shows it: the groups named, the columns said in words."""
    t = terms.copy()
    t["more_used_by"] = t["more_used_by"].map({"detractor": label_a, "promoter": label_b}).fillna(t["more_used_by"])
    return t.rename(columns={"comments_a": "detractor_comments", "comments_b": "promoter_comments",
                             "share_a": "share_of_detractor_comments", "share_b": "share_of_promoter_comments",
                             "log_odds": "log_odds_ratio"})


def themes(comments: Comments, languages_check: Check | None = None) -> Check:
    """Themes of the lexicons with their share, NPS and impact (``verbatims.pain_point``).

    Not assessed (its table still shown) when the lexicons cannot describe the comments: most are in
    languages without a lexicon (:data:`~.rules.MIN_READ_SHARE`), or most mention none of its themes
    (:data:`~.rules.MIN_THEMED_SHARE`).
    """
    table = themes_from_corpus(comments.rows, comments.corpus, "score", comments.lexicon,
                               confidence=comments.confidence, breaks=comments.breaks, min_n=comments.min_n,
                               cluster=comments.cluster)
    c = comments.corpus
    hits, _, read = theme_hits(c, comments.lexicon)
    w = c.counts()
    n = float(w.sum()) or 1.0
    any_theme = (hits > 0).any(axis=1)
    themed = float(w[any_theme].sum() / n)
    # whether the lexicon describes the comments is judged on those of three words or more: "Great!" or "Thanks"
    # names no theme in any lexicon, and a programme full of them is no sign the themes miss the point
    tok = c.tokens
    words = np.bincount(tok.doc[~(tok.vocab == tx.BARRIER)[tok.code]], minlength=tok.n_docs)
    long = (words >= MIN_THEME_WORDS) & read
    themed_long = float(w[any_theme & long].sum() / w[long].sum()) if w[long].sum() > 0 else themed
    read_share = float(w[read].sum() / n)
    check = Check("themes", context={
        "themes": table, "theme_nps": dict(zip(table["theme"], table["nps"])) if len(table) else {},
        "n_comments": comments.n_comments, "n_read": int(table.attrs.get("read", 0)), "min_n": comments.min_n,
        "alpha": comments.alpha, "no_theme": 1 - themed, "no_theme_long": 1 - themed_long,
        "read_share": read_share, "commenters_nps":
        comments.commenters_nps, "clustered": comments.cluster is not None})
    reason = _themes_reason(read_share, themed_long, languages_check)
    if reason:
        check.assessed, check.reason = False, reason
        check.notes.append(f"Themes not assessed: {reason}.")
    if len(table):
        check.tables["themes"] = table.head(15)
        check.captions["themes"] = (
            "Themes of the keyword lexicons, the costliest first: share of the comments read mentioning each "
            "(Wilson interval), NPS of the respondents who mention it (adjusted Wald interval, Rocks 2016"
            + (", on the effective sample size: accounts answering many times count as clusters" if
               comments.cluster else "") + "), its difference from the other commenters (Wald test, Benjamini-"
            f"Hochberg adjusted; themes under {comments.min_n} scored comments are not tested) and its impact: the "
            "NPS points all commenters would gain if those who mention it scored like the others (share x "
            "difference, with its 95% interval). A comment may mention several themes, so impacts do not add up.")
        check.figures.append(Figure("verbatims_themes", partial(plot_themes, table, comments.commenters_nps),
                                    "Share of comments per theme (left) and the NPS of those who mention it "
                                    "(right), with 95% intervals, the costliest theme first; the dashed line is "
                                    "the NPS of all commenters."))
    return check


def _themes_reason(read_share: float, themed: float, languages_check: Check | None) -> str | None:
    """Why the lexicons cannot describe the comments, in plain words, or None."""
    if read_share < MIN_READ_SHARE:
        langs = (languages_check.context.get("languages") if languages_check else None)
        which = ""
        if langs is not None and len(langs):
            lex = set(tx.LEXICONS)
            top = langs[~langs["language"].isin([*lex, "undetermined"])].head(3)
            which = " (" + ", ".join(f"{r.name} {pct(r.share)}" for r in top.itertuples()) + ")" if len(top) else ""
        return (f"most comments are in languages without a theme lexicon{which}: only {pct(read_share)} could be "
                "read for themes")
    if themed < MIN_THEMED_SHARE:
        return (f"{pct(1 - themed)} of the comments of {MIN_THEME_WORDS} words or more mention none of the "
                "standard themes, so those themes do not describe what most customers write about; the client's own "
                "themes and their keywords need to be added before themes can be compared")
    return None


def quotes(comments: Comments, themes_check: Check) -> Check:
    """Representative quotes of the most mentioned themes."""
    table = themes_check.context.get("themes")
    if table is None or table.empty:
        return Check.skipped("quotes", "no comment mentions a theme of the lexicon", substantive=False)
    found = quotes_from_corpus(comments.rows, comments.corpus, "score", comments.lexicon, per_theme=3,
                               redact=comments.redact, breaks=comments.breaks,
                               only=table["theme"].head(8).tolist())
    check = Check("quotes", context={"quotes": found}, substantive=False)
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
        return Check.skipped("topics", "too few comments or too few different texts to find topics",
                             substantive=False)
    return Check("topics", tables={"topics": table}, context={"topics": table}, substantive=False, captions={"topics": (
        "Topics found without a lexicon (NMF on TF-IDF of words and phrases of the comments in the main language, "
        "Lee & Seung 1999), named by their top words, with the share of those comments whose main topic it is and "
        "their NPS.")})


def early_warning(comments: Comments, themes_check: Check | None = None) -> Check:
    """Themes and terms whose share of comments rose in the latest 3 months (``verbatims.early_warning``).

    Not assessed (its table still shown) when the themes were not: a rising theme could not be seen.
    """
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
    if themes_check is not None and not themes_check.assessed:
        check.assessed = False
        check.reason = f"a rising theme could not be seen ({themes_check.reason}); rising words were still tested"
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
    clustered = comments.cluster is not None
    return [
        "Languages: each distinct comment's script and the words only one of seven languages uses (function words, "
        "and the stopwords-iso words of one language only); where those leave doubt, Lingua's language model "
        "(shipped with the package, low-accuracy mode) weighed by the language mix of the comments whose language "
        "is sure. Comments garbled by a wrong text encoding are repaired first (ftfy, and code page 850 read as "
        "Windows-1252).",
        "Distinguishing words: log-odds ratio with an informative Dirichlet prior and its z-score (Monroe, Colaresi "
        "& Quinn 2008, 'Fightin' Words', Political Analysis 16(4)) on the comments in the main language, with its "
        "stop words (stopwords-iso) and Snowball word stems (Porter 2001), a stem named by its most frequent "
        "word; each comment counts a word once; the prior is the pooled word frequencies of all those comments, "
        "weighted as one pseudo-mention per ten observed.",
        "Themes: documented keyword lexicons in English, French, German and Spanish (npsdiag.text.LEXICONS; the "
        "French, German and Spanish keywords matched on word stems) that settings.themes extends; "
        f"{pct(no_theme)} of comments mention none of their themes. A theme's impact is the NPS of all commenters "
        "read minus that of those who do not mention it (its share times its NPS gap), with a linearised "
        "(Taylor) standard error" + ("; intervals and tests are design-based with the accounts (or respondents) "
                                     "answering many times as clusters (Wolter 2007; as R's survey package)" if
                                     clustered else "") + f". Themes under {comments.min_n} scored comments are "
        "shown but not tested. Topics: NMF on TF-IDF (Lee & Seung 1999, scikit-learn), fitted on a seeded sample "
        "of at most 50,000 comments (each distinct text once, its row scaled by the square root of its number of "
        "comments: the same least-squares objective). Repeated comments are analysed once per distinct text and "
        "counted with their number of comments: every count is exact.",
        "Early warning: share of comments in the latest 3 months against the 12 months before, one-sided "
        "two-proportion z-tests with Benjamini-Hochberg adjustment (1995); a rise must also be material (at least "
        "1.5 times and 2 points for a theme).",
        "Shares carry Wilson intervals; NPS intervals are adjusted Wald (Rocks 2016)"
        + (", on the effective sample size where responses cluster (Korn & Graubard 1998)." if clustered else "."),
        ("Personal data in quotes is masked (e-mails, phone numbers, card and bank numbers, personal links, "
         "postcodes, handles). Names of people cannot be detected without a language model and are not masked: "
         "read quotes before sharing." if comments.redact else
         "settings.redact_pii is off: quotes are shown as written, including any personal data."),
    ]
