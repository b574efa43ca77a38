"""Masking personal data in client text and tables.

:func:`redact_text` masks, in a string or a Series of strings:

=================  =====================================================  ==============
what               how it is recognised                                    replaced by
=================  =====================================================  ==============
e-mail addresses   ``name@domain.tld``, also ``name [at] domain [dot] com``  ``[email]``
                   (``[AT]``, ``(at)``, ``{at}``, ``<at>``, any case)
web links          ``http(s)://`` or ``www.`` links whose query string,     ``[link]``
                   fragment or path carries an identifier (long digit
                   runs, tokens, an e-mail); plain links are kept
payment cards      13-19 digits in one run or in groups of four (spaces,    ``[card]``
                   dashes or dots), passing the Luhn check, even when
                   followed by a currency
bank accounts      IBANs (any case, spaces or not) of their country's      ``[iban]``
                   length, passing the ISO 7064 mod-97 check
phone numbers      7-15 digits with ``+``, ``00``, spaces, dots, dashes,   ``[phone]``
                   slashes or brackets, international or national, also
                   right after a word (``Tel.07700900123``)
long numbers       7-9 digits in one run, e.g. account numbers (only      ``[number]``
                   with ``numbers=True``)
IP addresses       four dot-separated numbers (with ``urls``)              ``[ip]``
UK postcodes       ``SW1A 1AA`` (upper case, full postcode)                ``[postcode]``
social handles     ``@name``                                               ``[handle]``
=================  =====================================================  ==============

Numbers that are not personal are left alone: dates (2024-01-15,
15/01/2024, 15.01.2024, 20240115), times and time ranges, amounts
(1,234.56, 1.234,56, 1 234 567, a currency sign before or a currency
after), decimals, percentages, years and year ranges (2019-2024) and
numbers of fewer than seven digits (order, ticket and reference numbers).

Every pattern starts only where a word or a number starts, so the time
taken grows in proportion to the text's length (a 10,000-character
comment takes milliseconds, whatever it holds).

Limits: names of people, street addresses and free-form identifiers cannot
be recognised reliably without a language model, which npsdiag does not
download; they are not masked. Read quotes before sharing a report outside
the client. Columns that identify a respondent (e-mail, contact id, phone,
name) are masked whole by :func:`redact_frame`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

__all__ = ["redact_text", "redact_frame", "luhn_valid", "iban_valid", "ID_COLUMN_PATTERN"]

#: IBAN length per country (SWIFT's IBAN registry): an IBAN is recognised only at its country's exact length,
#: so that the words after it are never taken for part of it.
IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29, "BY": 28,
    "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18,
    "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22,
    "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20,
    "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18,
    "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SC": 31, "SE": 24,
    "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24,
    "XK": 20,
}


def _iban_pattern() -> str:
    """Country code, check digits and exactly the country's number of characters (spaces allowed between)."""
    by_length: dict[int, list[str]] = {}
    for country, n in sorted(IBAN_LENGTHS.items()):
        by_length.setdefault(n, []).append(country)
    branches = [f"(?:{'|'.join(cs)})\\d{{2}}(?: ?[A-Z0-9]){{{n - 4}}}" for n, cs in sorted(by_length.items())]
    return rf"(?<![A-Za-z0-9])(?i:{'|'.join(branches)})(?![A-Za-z0-9])"


# Every pattern that can start a match begins where its text begins (a lookbehind refuses the middle of a word or
# of a digit run): a long word or digit run is then scanned once, not once per character (linear time).
_EMAIL = r"(?<![\w.+'-])[\w.+'-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}"
_AT, _DOT = r"[\[(<{]\s?(?i:at)\s?[\])>}]", r"[\[(<{]\s?(?i:dot)\s?[\])>}]"
_EMAIL_OBFUSCATED = rf"(?<![\w.+-])[\w.+-]+\s?{_AT}\s?[\w-]+(?:\s?(?:\.|{_DOT})\s?[\w-]+)+"
_URL = r"(?:https?://|www\.)[^\s<>\"'`]+"
_IBAN = _iban_pattern()
_POSTCODE = r"\b(?:[A-Z]{1,2}\d[A-Z\d]?|GIR) ?\d[ABD-HJLNP-UW-Z]{2}\b"
_HANDLE = r"(?<![\w@./])@[A-Za-z_][A-Za-z0-9_.]{1,29}(?<!\.)"
# A run of digits with the separators phone numbers use; checked by _classify_number. It may follow a letter or
# a letter and a punctuation mark ("Tel.07700900123", "mobile,07700900999") but never starts inside a number
# ("3.14159265") or inside a run of digits and separators. It ends before a letter only when a currency code
# follows ("4111 1111 1111 1111EUR" is one card, not a phone number and "1111EUR").
_NUMBER = (r"(?<![\d@+_])(?<!\d[.,/\-\s\u00a0()])(?:(?:\+|\b00)[ ]?)?\(?\d[\d()./\- \u00a0]{4,}\d\)?"
           r"(?:(?=(?i:eur|usd|gbp|chf)\b)|(?![\w%‰]|[.,]\d))")

_PATTERN = re.compile(
    rf"(?P<url>{_URL})|(?P<email>{_EMAIL})|(?P<email2>{_EMAIL_OBFUSCATED})|(?P<iban>{_IBAN})"
    rf"|(?P<postcode>{_POSTCODE})|(?P<handle>{_HANDLE})|(?P<number>{_NUMBER})",
)
_DATE_RE = re.compile(r"(?<!\d)(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2}))(?!\d)")
_TIME_RANGE = re.compile(r"^\d{1,2}[.:]\d{2}\s?[-–]\s?\d{1,2}[.:]\d{2}$")
_THOUSANDS = re.compile(r"^(?:[1-9]\d{0,2}(?:([.,])\d{3})(?:\1\d{3})*|[1-9]\d?(?:([ \u00a0])\d{3})(?:\2\d{3})*)$")
_IP = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
_DATE_PARTS = re.compile(r"\s*[-–]\s+|\s+[-–]\s*|\s+")
_DECIMAL = re.compile(r"^\d+[.,]\d+$")
_COMPACT_DATE = re.compile(r"^(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])$")
#: How card numbers are written: one run of 13-19 digits, groups of four (the last 1-7), or Amex's 4-6-5.
_CARD_SHAPE = re.compile(r"^(?:\d{13,19}|\d{4}([ .\-\u00a0])\d{4}\1\d{4}\1\d{1,7}|\d{4}([ .\-\u00a0])\d{6}\2\d{4,5})$")
_CURRENCY_BEFORE = "£$€¥₹₽₩₺₪"
_CURRENCY_AFTER = re.compile(r"^\s?(?:[£$€¥₹]|eur\b|euros?\b|usd\b|gbp\b|dollars?\b|pounds?\b|k\b|m\b|bn\b)",
                             re.IGNORECASE)
_PERSONAL_URL_PART = re.compile(r"\d{6,}|[A-Za-z0-9_-]{24,}|@|%40", re.IGNORECASE)
#: What any text that holds personal data contains (a digit, an @, a link, an obfuscated "at"): other text is
#: returned as it is, by :func:`redact_text` on a string and on a Series alike. Written for both Python's ``re``
#: (``\d`` is any Unicode digit) and pyarrow's RE2 (``\p{Nd}``, the same digits).
_QUICK = re.compile(r"[\d@]|www\.|https?:|[\[(<{]\s?at\s?[\])>}]", re.IGNORECASE)
_QUICK_RE2 = r"(?i)[\p{Nd}@]|www\.|https?:|[\[(<{]\s?at\s?[\])>}]"

#: Column names (lower-cased) that identify a respondent: masked whole by :func:`redact_frame`.
ID_COLUMN_PATTERN = re.compile(
    r"^(?:respondent(?:_id)?|e-?mail(?:_address)?|email address|contact(?:_id|_name)?|phone|telephone|mobile|"
    r"first_?name|last_?name|full_?name|customer_name|respondent_name|surname)$", re.IGNORECASE)


def luhn_valid(digits: str) -> bool:
    """Whether a string of digits passes the Luhn (mod 10) check of payment card numbers.

    Examples
    --------
    >>> luhn_valid("4111111111111111"), luhn_valid("4111111111111112")
    (True, False)
    """
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_valid(text: str) -> bool:
    """Whether ``text`` is an IBAN with a valid ISO 7064 mod-97-10 check.

    Examples
    --------
    >>> iban_valid("GB82 WEST 1234 5698 7654 32"), iban_valid("GB82 WEST 1234 5698 7654 33")
    (True, False)
    """
    s = re.sub(r"\s", "", text).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", s):
        return False
    moved = s[4:] + s[:4]
    num = "".join(str(int(ch, 36)) for ch in moved)
    return int(num) % 97 == 1


def _not_personal(m: re.Match, cand: str) -> bool:
    """A digit run that is an amount, a time range, a decimal, a compact date, a thousands number or a year."""
    before = m.string[max(0, m.start() - 2):m.start()].strip()
    if (before and before[-1] in _CURRENCY_BEFORE) or _CURRENCY_AFTER.match(m.string[m.end():m.end() + 8]):
        return True
    if _TIME_RANGE.match(cand) or _DECIMAL.match(cand) or _COMPACT_DATE.match(cand) or _THOUSANDS.match(cand):
        return True
    return all(len(g) == 4 and g[:2] in ("19", "20") for g in re.findall(r"\d+", cand))  # years, year ranges


def _classify_number(m: re.Match) -> str | None:
    """The mask for a digit run, or None when it is not personal (date, amount, year...)."""
    cand = m.group(0).strip()
    digits = re.sub(r"\D", "", cand)
    nd = len(digits)
    if nd < 7:
        return None
    if 13 <= nd <= 19 and _CARD_SHAPE.match(cand) and luhn_valid(digits):
        return "[card]"  # before amounts: a card number followed by a currency ("4111... EUR") is still a card
    if _not_personal(m, cand):
        return None
    if _IP.match(cand):
        return "[ip]"
    parts = [p for p in _DATE_PARTS.split(cand) if p]
    dates = [p for p in parts if _DATE_RE.fullmatch(p)]
    if dates:  # dates (a date range, a date and a time) inside the run: judge what is left
        left = sum(len(re.sub(r"\D", "", p)) for p in parts if p not in dates)
        return "[phone]" if left >= 7 else None
    if nd > 15:
        return None  # too long for a phone number (E.164: at most 15 digits) and not a card
    if re.search(r"[ ()./\-\u00a0]", cand):
        pieces = [p for p in re.split(r"[\s()\-\u2013]+", cand) if p]
        if len(pieces) > 1 and all(_DECIMAL.match(p) for p in pieces):
            return None  # decimals, e.g. an estimate and its interval "0.51 (0.47-0.55)"
        return "[phone]"
    if cand.startswith("+") or nd >= 10 or (cand.startswith("0") and nd >= 8):
        return "[phone]"  # international, or national numbers written without spaces (07700900123)
    return "[number]"


def _make_replacer(emails: bool, phones: bool, cards: bool, urls: bool, handles: bool, postcodes: bool,
                   numbers: bool):
    def repl(m: re.Match) -> str:
        kind = m.lastgroup
        text = m.group(0)
        if kind == "url":
            if not urls:
                return text
            core = text.rstrip(".,;:!?)]}'\"")
            tail = text[len(core):]
            path_etc = re.sub(r"^(?:https?://)?[^/?#]*", "", core)
            if "?" in core or "#" in core or _PERSONAL_URL_PART.search(path_etc):
                host = re.match(r"^(?:https?://)?([^/?#:@]+)", core)
                return (f"[link: {host.group(1)}]" if host else "[link]") + tail
            return text
        if kind in ("email", "email2"):
            return "[email]" if emails else text
        if kind == "iban":
            return "[iban]" if cards and iban_valid(text) else text  # the pattern fixed the country's length
        if kind == "postcode":
            return "[postcode]" if postcodes else text
        if kind == "handle":
            return "[handle]" if handles else text
        label = _classify_number(m)
        if label is None:
            return text
        lead = text[: len(text) - len(text.lstrip())]
        if label == "[card]" and not cards:
            return text
        if label == "[phone]" and not phones:
            return text
        if (label == "[number]" and not numbers) or (label == "[ip]" and not urls):
            return text
        return lead + label

    return repl


#: An ASCII value that is one e-mail address and nothing else (RE2 syntax, for pyarrow); such a value is always
#: replaced whole by ``[email]``: the e-mail branch of the pattern matches all of it and nothing precedes it
#: (values starting with a link prefix are left to the full pattern).
_WHOLE_EMAIL = r"^[A-Za-z0-9_.+'-]+@[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.[A-Za-z]{2,}$"


def _whole_emails(values: np.ndarray) -> np.ndarray:
    """Per value: exactly one plain ASCII e-mail address (vectorised with pyarrow's RE2 kernels)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not len(values):
        return np.zeros(0, dtype=bool)
    arr = pa.array([v if isinstance(v, str) else None for v in values], type=pa.string())
    hit = pc.and_(pc.match_substring_regex(arr, pattern=_WHOLE_EMAIL),
                  pc.invert(pc.match_substring_regex(arr, pattern=r"^(?:https?://|www\.)")))
    return np.asarray(pc.fill_null(hit, False).to_numpy(zero_copy_only=False), dtype=bool)


def redact_text(text, emails: bool = True, phones: bool = True, cards: bool = True, urls: bool = True,
                handles: bool = True, postcodes: bool = True, numbers: bool = False):
    """Mask personal data in a string or a Series of strings.

    Parameters
    ----------
    text : str, Series of str, or None/NaN
        Missing values are returned as they are.
    emails, phones, cards, urls, handles, postcodes, numbers : bool
        Which kinds of personal data to mask. All but ``numbers`` are on by
        default; ``cards`` covers payment cards and IBANs; ``numbers`` masks
        bare runs of 7-9 digits (account or customer numbers), off by
        default because report text holds counts of that
        size. See the module documentation for what each recognises and
        what is deliberately left alone.

    Returns
    -------
    str or Series
        The text with each piece of personal data replaced by a label such
        as ``[email]`` or ``[phone]``; a Series keeps its index (dtype
        ``string``).

    Notes
    -----
    Regular expressions with checks (Luhn for cards, mod-97 for IBANs,
    digit counts and date/amount/year shapes for phone numbers); no model.
    On a Series only values containing a digit, ``@`` or a link are
    examined, each distinct value once, so a million comments take a few
    seconds at most. Names of people are not detected.

    Examples
    --------
    >>> redact_text("Call me on +44 7700 900123 or mail jo@example.com before 2024-01-15")
    'Call me on [phone] or mail [email] before 2024-01-15'
    >>> redact_text("Paid £1,234.56 on 15/01/2024, order 123456, 99.9% uptime")
    'Paid £1,234.56 on 15/01/2024, order 123456, 99.9% uptime'
    """
    repl = _make_replacer(emails, phones, cards, urls, handles, postcodes, numbers)
    if isinstance(text, pd.Series):
        s = text.astype("string")
        if s.empty:
            return s
        quick = _may_hold_personal(s)
        if not quick.any():
            return s
        out = s.copy()
        # each distinct value is redacted once (exports repeat comments and ids)
        codes, uniques = pd.factorize(s[quick])
        vals = np.asarray(uniques, dtype=object)
        red = np.empty(len(vals) + 1, dtype=object)
        red[-1] = pd.NA
        whole = _whole_emails(vals) if emails else np.zeros(len(vals), dtype=bool)
        red[:-1][whole] = "[email]"  # a value that is one plain e-mail address (a respondent id) needs no parsing
        red[:-1][~whole] = [_PATTERN.sub(repl, str(v)) for v in vals[~whole]]
        out[quick] = red[np.where(codes < 0, len(vals), codes)]
        return out
    if text is None or text is pd.NA or (isinstance(text, float) and text != text):
        return text
    text = str(text)
    return _PATTERN.sub(repl, text) if _QUICK.search(text) else text


def _may_hold_personal(s: pd.Series) -> np.ndarray:
    """Per value of a string Series: whether :data:`_QUICK` finds something (pyarrow's RE2 kernel, vectorised)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(s.to_numpy(dtype=object, na_value=None), type=pa.large_string())
    hit = pc.fill_null(pc.match_substring_regex(arr, pattern=_QUICK_RE2), False)
    return np.asarray(hit.to_numpy(zero_copy_only=False), dtype=bool)


def _id_columns(frame: pd.DataFrame) -> list:
    return [c for c in frame.columns if isinstance(c, str) and ID_COLUMN_PATTERN.match(c.strip())]


def redact_frame(frame: pd.DataFrame, columns: Iterable[str] | None = None,
                 id_columns: Iterable[str] | None = None, keep: Iterable[str] = (), **kinds: bool) -> pd.DataFrame:
    """A copy of ``frame`` with personal data masked.

    Parameters
    ----------
    frame : DataFrame
    columns : list of str, optional
        Text columns to scan with :func:`redact_text` (default: every text
        column that is not an identifier column).
    id_columns : list of str, optional
        Columns that identify a person, masked whole as ``[redacted]``
        (default: columns named like ``respondent_id``, ``email``,
        ``phone``, ``contact_name``...; see :data:`ID_COLUMN_PATTERN`).
        Pass ``[]`` to mask none.
    keep : list of str
        Columns left exactly as they are: the identifiers the user mapped
        (account ids, account numbers, response ids), which are never
        personal data to mask, whatever they look like (a 16-digit account
        number passing the Luhn check is not a payment card).
    **kinds : bool
        Passed to :func:`redact_text` (e.g. ``handles=False``).

    Returns
    -------
    DataFrame
        Same shape, index and columns; missing values stay missing.

    Examples
    --------
    >>> df = pd.DataFrame({"respondent_id": ["jo@example.com"], "comment": ["call 07700 900123"], "score": [3]})
    >>> redact_frame(df)[["respondent_id", "comment"]].iloc[0].tolist()
    ['[redacted]', 'call [phone]']
    """
    out = frame.copy()
    kept = set(keep)
    ids = _id_columns(out) if id_columns is None else [c for c in id_columns if c in out.columns]
    ids = [c for c in ids if c not in kept]
    for c in ids:
        col = out[c]
        masked = pd.Series("[redacted]", index=col.index, dtype="string")
        out[c] = masked.where(col.notna(), pd.NA)
    if columns is None:
        cols = [c for c in out.columns if c not in ids and c not in kept and (
            out[c].dtype == object or pd.api.types.is_string_dtype(out[c]))]
    else:
        cols = [c for c in columns if c in out.columns and c not in ids and c not in kept]
    for c in cols:
        col = out[c]
        if col.dtype == object:
            is_str = col.map(lambda v: isinstance(v, str))
            if not is_str.any():
                continue
            red = redact_text(col[is_str].astype("string"), **kinds)
            new = col.astype(object).copy()
            new[is_str] = red.astype(object)
            out[c] = new
        else:
            out[c] = redact_text(col, **kinds)
    return out
