"""Typing an export's values: scores (with their labels), numbers written any common way, yes/no flags.

Plain values (the bulk of any export) are converted at once by pyarrow; only
the other values go through the slower, general reading.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .strings import MISSING_WORDS, string_series, stripped, to_numpy_bool

__all__ = ["parse_scores", "parse_numbers", "parse_bool", "apply_labels", "RANGE_RE", "RETAINED_WORDS",
           "churn_statuses"]

#: A score and what may follow it in a label ("10 - Extremely likely", "0 (Not at all likely)"), never another
#: number: "7-8" and "7 8" are not one score.
_NUM_RE = re.compile(r"^\s*([-+]?\d+(?:[.,]\d+)?)(?:\s*$|\s*[-–—:=(](?!\s*[-+]?\d)|\s+(?!\s*[-–—:=(]?\s*\d))")
#: "1,000", "12,500": a comma before groups of three digits is a thousands separator (unless `decimal: ','`).
_THOUSANDS_RE = r"^[-+]?\d{1,3}(?:,\d{3})+$"
#: A range written in one cell ("7-8", "9 – 10", "7/8"): not one score.
RANGE_RE = r"^\s*\d+(?:[.,]\d+)?\s*[-–—/]\s*\d+(?:[.,]\d+)?\s*$"
_PLAIN_NUMBER = r"^-?[0-9]+(?:\.[0-9]+)?$"  #: numbers pyarrow reads as pandas reads them
_TRUE = {"1", "true", "yes", "y", "t", "churned", "churn", "lost", "cancelled", "canceled", "closed lost", "1.0"}
_FALSE = {"0", "false", "no", "n", "f", "renewed", "active", "retained", "stayed", "won", "closed won", "0.0"}


def _is_number_column(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def parse_scores(values: pd.Series, decimal: str | None = None) -> tuple[pd.Series, pd.Series]:
    """Scores as numbers, reading labels such as "10 - Extremely likely".

    Parameters
    ----------
    values : Series
        The score column as read (strings, or numbers from Excel and Parquet).
    decimal : {",", "."}, optional
        The decimal mark, when the config gives it.

    Returns
    -------
    (score, invalid)
        ``score`` float (NaN when missing or unreadable) and ``invalid``, a
        boolean Series true where something was written that is not a score
        (text, "N/A" and the like count as missing, not invalid).

    Notes
    -----
    Plain whole numbers (the bulk of any export) are converted at once by
    pyarrow; only the other values go through the label and decimal-comma
    reading.

    A comma before groups of three digits is a thousands separator
    ("1,000" is 1000, outside any scale), unless ``decimal`` is ","; a range
    written in one cell ("7-8") is not a score.

    Examples
    --------
    >>> score, invalid = parse_scores(pd.Series(["10 - Extremely likely", "7", "N/A", "great"]))
    >>> score.tolist()[:2], invalid.tolist()
    ([10.0, 7.0], [False, False, False, True])
    >>> parse_scores(pd.Series(["1,000", "8,5", "7-8"]))[0].tolist()
    [1000.0, 8.5, nan]
    """
    if _is_number_column(values):
        return values.astype("float64"), pd.Series(False, index=values.index)
    arr = stripped(values)
    invalid = np.zeros(len(values), dtype=bool)
    plain = to_numpy_bool(pc.and_(pc.ascii_is_decimal(arr), pc.less_equal(pc.binary_length(arr), 15)))
    rest = to_numpy_bool(arr.is_valid()) & ~plain
    if not rest.any():  # plain numbers or missing throughout (most exports): one cast, missing values NaN
        num = pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)
        num = num if num.flags.writeable else num.copy()
    else:
        num = np.full(len(values), np.nan)
        if plain.any():
            num[plain] = pc.cast(pc.filter(arr, pa.array(plain)), pa.float64()).to_numpy(zero_copy_only=False)
        text = string_series(pc.filter(arr, pa.array(rest)), values.index[rest])
        num[rest], invalid[rest] = _parse_score_text(text, decimal)
    return pd.Series(num, index=values.index, name=values.name, copy=False), \
        pd.Series(invalid, index=values.index, name=values.name, copy=False)


def _parse_score_text(text: pd.Series, decimal: str | None) -> tuple[np.ndarray, np.ndarray]:
    """(score, invalid) of stripped non-missing values that are not plain whole numbers."""
    num = pd.to_numeric(text.str.replace(",", ".", regex=False) if decimal == "," else text,
                        errors="coerce").astype("float64")
    need = num.isna() & text.notna()
    if need.any():
        sub = text[need]
        extracted = sub.str.extract(_NUM_RE, expand=False)
        if decimal != ",":
            thousands = extracted.str.match(_THOUSANDS_RE).fillna(False).astype(bool)
            extracted = extracted.where(~thousands, extracted.str.replace(",", "", regex=False))
        extracted = extracted.str.replace(",", ".", regex=False)
        num.loc[need] = pd.to_numeric(extracted, errors="coerce").astype("float64").to_numpy()
    missing_words = text.str.lower().isin(MISSING_WORDS)
    invalid = (num.isna() & text.notna() & ~missing_words).fillna(False).astype(bool)
    return num.to_numpy(dtype="float64"), invalid.to_numpy()


def parse_numbers(values: pd.Series, decimal: str | None = None) -> pd.Series:
    """Numbers written with currency signs, thousands separators or decimal commas.

    Parameters
    ----------
    values : Series
    decimal : {",", "."}, optional
        The decimal mark; detected from the values when not given.

    Returns
    -------
    Series
        float64, NaN where no number could be read.

    Notes
    -----
    A column of plain numbers (``1234`` or ``-1234.5``, the bulk of CRM exports) is converted at once by
    pyarrow; only other columns go through the currency, separator and decimal-comma reading.

    Examples
    --------
    >>> parse_numbers(pd.Series(["$1,200.50", "300"])).tolist()
    [1200.5, 300.0]
    """
    if _is_number_column(values):
        return values.astype("float64")
    if decimal != ",":
        arr = stripped(values)
        if pc.all(pc.match_substring_regex(arr, _PLAIN_NUMBER)).as_py() in (True, None):
            # nothing to remove and no comma to read: the general reading would give the same numbers
            num = pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)
            return pd.Series(num, index=values.index, name=values.name, copy=False)
    text = values.astype("string").str.strip().str.replace(r"[^\d,.\-+eE]", "", regex=True)
    if decimal is None:
        sample = text.dropna().head(1000)
        comma_dec = sample.str.match(r"^-?\d{1,3}(\.\d{3})*,\d+$|^-?\d+,\d{1,2}$").mean() if len(sample) else 0
        decimal = "," if comma_dec > 0.5 else "."
    if decimal == ",":
        text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        text = text.str.replace(",", "", regex=False)
    return pd.to_numeric(text, errors="coerce").astype("float64")


#: Account statuses that mean the account stayed (compared lower-cased and stripped): with ``churn_values`` given,
#: a status is churned when listed there, retained when it is one of these, and otherwise unrecognised (reported,
#: its outcome unknown), never silently counted as retained.
RETAINED_WORDS = frozenset(_FALSE | {"current", "live", "existing", "existing customer", "customer", "not churned",
                                     "no churn", "subscribed", "in contract", "under contract", "continuing",
                                     "ongoing", "kept", "expanded", "upsold", "upsell", "renewal", "renew",
                                     "auto-renewed", "auto renewed"})


def parse_bool(values: pd.Series, true_values: list[str] | None = None) -> tuple[pd.Series, pd.Series]:
    """Boolean-like values (1/0, true/false, yes/no, churned/renewed).

    With ``true_values`` (``churn_values`` in the config) a status column is
    read: those values are True, statuses that mean the account stayed
    (:data:`RETAINED_WORDS`: active, renewed, retained...) False, and any
    other status is unreadable (missing, and reported): an unlisted
    "Churned - price" is never counted as retained.

    Returns
    -------
    (flag, unreadable)
        ``flag`` nullable boolean; ``unreadable`` true where a value was given
        that could not be read.

    Examples
    --------
    >>> flag, unreadable = parse_bool(pd.Series(["Yes", "renewed", "maybe", None]))
    >>> flag.tolist(), unreadable.tolist()
    ([True, False, <NA>, <NA>], [False, False, True, False])
    >>> flag, unreadable = parse_bool(pd.Series(["Churned", "Active", "Churned - price"]), ["Churned"])
    >>> flag.tolist(), unreadable.tolist()
    ([True, False, <NA>], [False, False, True])
    """
    if pd.api.types.is_bool_dtype(values):
        return values.astype("boolean"), pd.Series(False, index=values.index)
    text = values.astype("string").str.strip().str.lower()
    out = pd.Series(pd.NA, index=values.index, dtype="boolean")
    if true_values:
        tv = {str(v).strip().lower() for v in true_values}
        out[text.isin(RETAINED_WORDS - tv).fillna(False).astype(bool)] = False
        out[text.isin(tv).fillna(False).astype(bool)] = True
    else:
        out[text.isin(_TRUE).fillna(False).astype(bool)] = True
        out[text.isin(_FALSE).fillna(False).astype(bool)] = False
    unreadable = (out.isna() & text.notna() & ~text.isin(MISSING_WORDS)).fillna(False).astype(bool)
    return out, unreadable


def churn_statuses(values: pd.Series, true_values: list[str] | None) -> pd.DataFrame:
    """How each distinct value of a churn flag or status column is read: churned, retained or unrecognised.

    Returns
    -------
    DataFrame
        ``status`` (as written, stripped), ``reading`` ("churned", "retained",
        "unrecognised") and ``n`` (rows), most frequent first; missing values
        are left out.

    Examples
    --------
    >>> churn_statuses(pd.Series(["Churned", "Active", "Active", "Churned - price"]), ["Churned"]).values.tolist()
    [['Active', 'retained', 2], ['Churned', 'churned', 1], ['Churned - price', 'unrecognised', 1]]
    """
    text = values.astype("string").str.strip()
    counts = text[text.notna() & ~text.str.lower().isin(MISSING_WORDS)].value_counts()
    if counts.empty:
        return pd.DataFrame({"status": pd.Series(dtype="string"), "reading": pd.Series(dtype="string"),
                             "n": pd.Series(dtype="int64")})
    status = pd.Series(counts.index.astype(str), dtype="string")
    flag, _ = parse_bool(status, true_values)
    reading = np.where(flag.isna(), "unrecognised", np.where(flag.fillna(False), "churned", "retained"))
    out = pd.DataFrame({"status": status, "reading": reading, "n": counts.to_numpy(dtype="int64")})
    return out.sort_values(["n", "status"], ascending=[False, True], kind="stable").reset_index(drop=True)


def _label_key(values: pd.Series) -> pd.Series:
    return values.astype("string").str.replace(r"\s+", " ", regex=True).str.strip().str.lower()


def apply_labels(values: pd.Series, labels: dict[str, float] | None) -> pd.Series:
    """Replace answer labels by their numbers (``score_labels`` in the config).

    Matching ignores case and repeated or surrounding whitespace (survey
    tools export labels with trailing spaces and newlines). Values that are
    not listed are left as they are, for :func:`parse_scores`.

    Examples
    --------
    >>> apply_labels(pd.Series(["Extremely satisfied ", "3", None]), {"extremely satisfied": 5}).tolist()
    ['5', '3', <NA>]
    """
    if not labels:
        return values
    table = {re.sub(r"\s+", " ", str(k)).strip().lower(): f"{v:g}" for k, v in labels.items()}
    text = values.astype("string")
    mapped = _label_key(text).map(table)
    return text.where(mapped.isna(), mapped.astype("string"))

