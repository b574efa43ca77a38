"""Comments whose characters were garbled by a wrong encoding (mojibake): found, repaired, or set aside.

Exports mix encodings: a file written partly in UTF-8 and read as
Windows-1252 shows "Ã©" for "é" ("trÃ¨s"), one whose lines came from an old
DOS tool (code page 850) shows "t‚l‚chargé" for "téléchargé". Such text
would split words in two ("tr", "s"), miss the theme lexicons and, worst,
reach a client's report as gibberish. :func:`repair_texts` finds the texts
that show the signs (a vectorised regular expression, so a million comments
cost well under a second), repairs them and flags those it cannot repair,
which are never quoted.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .tokens import arrow_strings

__all__ = ["MOJIBAKE", "SUSPECT", "repair_text", "repair_texts", "is_garbled"]

#: What mojibake looks like, as an RE2 pattern: the lead characters of UTF-8 read as Windows-1252 or Latin-1
#: ("Ã©", "Â£", "â€™", "Ð¿" for Cyrillic) followed by a continuation character, C1 control characters, and the
#: characters that code page 850 letters become in Windows-1252 ("‚" for "é") next to a letter.
MOJIBAKE = (r"[ÃÂÄÅÆÇÐÑØÙÚÛ][\x{80}-\x{bf}\x{152}-\x{2122}]|â€|[\x{80}-\x{9f}]"
            r"|\p{L}[‚ƒ†‡ˆ‰]|[‚ƒ†‡ˆ‰]\p{L}")
#: Mojibake, or the replacement character of a failed decoding (letters lost).
SUSPECT = MOJIBAKE + r"|\x{fffd}"

# Code page 850 letters read as Windows-1252 (or Latin-1, as C1 controls): byte 0x80-0xA5 of code page 850.
_CP850_TRIGGER = re.compile(r"(?<=[^\W\d_])[\u201a\u0192\u2020\u2021\u02c6\u2030\x80-\x9f]|"
                            r"[\u201a\u0192\u2020\u2021\u02c6\u2030\x80-\x9f](?=[^\W\d_])")


def _cp850_table() -> dict[str, str]:
    table = {}
    for b in range(0x80, 0xA6):
        letter = bytes([b]).decode("cp850")
        if not letter.isalpha():
            continue
        table[chr(b)] = letter  # read as Latin-1: a C1 control
        try:
            table[bytes([b]).decode("cp1252")] = letter
        except UnicodeDecodeError:  # 0x81, 0x8d, 0x8f, 0x90, 0x9d are undefined in Windows-1252
            pass
    return table


_CP850 = _cp850_table()
_CP850_NEAR_LETTER = re.compile("(?<=[^\\W\\d_])[" + re.escape("".join(_CP850)) + "]|["
                                + re.escape("".join(_CP850)) + "](?=[^\\W\\d_])")


# A curly apostrophe (Windows-1252 0x92) decoded as UTF-8 is lost as the replacement character; in an English
# contraction ("don�t", "I�ve", "it�s") it can only have been an apostrophe.
_LOST_APOSTROPHE = re.compile(r"(?<=[^\W\d_])\ufffd(?=(?:t|s|m|d|ll|ve|re)\b)", re.IGNORECASE)


def _fix_cp850(text: str) -> str:
    """Code page 850 letters read as Windows-1252 ("t‚l‚charg‚") back to letters, where they touch a letter."""
    if not _CP850_TRIGGER.search(text):
        return text
    return _CP850_NEAR_LETTER.sub(lambda m: _CP850[m.group(0)], text)


def is_garbled(text: str) -> bool:
    """Whether a text still shows encoding damage: a replacement character, a C1 control or ftfy's mojibake signs.

    Examples
    --------
    >>> is_garbled("Le service Ã©tait bien"), is_garbled("Le service était bien"), is_garbled("r\\ufffdsum\\ufffd")
    (True, False, True)
    """
    import ftfy

    if "\ufffd" in text or any("\x80" <= ch <= "\x9f" for ch in text):
        return True
    return bool(ftfy.is_bad(text))


def repair_text(text: str) -> str:
    """One text with its mojibake repaired (UTF-8 read as Windows-1252 or Latin-1, then code page 850 letters).

    A replacement character standing for the apostrophe of an English contraction ("don\ufffdt") becomes
    one; other lost letters cannot be known (the text stays garbled). Nothing else changes: curly quotes,
    dashes and ligatures stay as written.

    Examples
    --------
    >>> repair_text("Le service Ã©tait trÃ¨s bien"), repair_text("t‚l‚chargé"), repair_text("ZÃ¼rich")
    ('Le service était très bien', 'téléchargé', 'Zürich')
    >>> repair_text("It’s naïve — “quoted”"), repair_text("I don\ufffdt know")
    ('It’s naïve — “quoted”', "I don't know")
    """
    import ftfy

    fixed = _LOST_APOSTROPHE.sub("'", _fix_cp850(ftfy.fix_encoding(text)))
    return unicodedata.normalize("NFC", fixed) if fixed != text else text


def repair_texts(texts: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Repair the mojibake of many texts; only those that show its signs (:data:`SUSPECT`) are looked at.

    Parameters
    ----------
    texts : Series or array of str (missing values allowed)

    Returns
    -------
    texts : ndarray of object
        The texts, repaired where they could be (missing values as None).
    repaired : ndarray of bool
        Changed by the repair.
    garbled : ndarray of bool
        Still damaged after it (:func:`is_garbled`): a replacement character
        (the original letter is lost), or mojibake the repair cannot undo.
        Such a text must not be quoted.

    Notes
    -----
    The search is one RE2 regular expression over all texts (pyarrow), so
    only the few suspect texts go through ftfy (Speer 2019), whose
    ``fix_encoding`` undoes UTF-8 decoded as Windows-1252 or Latin-1 (also
    when it happened twice), and through a repair of code page 850 letters
    read as Windows-1252 (an old DOS export: "‚" for "é"), applied to a text
    only when one of those characters touches a letter.

    References
    ----------
    .. [1] Speer, R. (2019). ftfy (fixes text for you), version 6.
       https://doi.org/10.5281/zenodo.2591652

    Examples
    --------
    >>> t, rep, bad = repair_texts(pd.Series(["trÃ¨s bien", "fine", None, "r\\ufffdsum\\ufffd"]))
    >>> t.tolist(), rep.tolist(), bad.tolist()
    (['très bien', 'fine', None, 'r\\ufffdsum\\ufffd'], [True, False, False, False], [False, False, False, True])
    """
    s = texts if isinstance(texts, pd.Series) else pd.Series(np.asarray(texts, dtype=object), dtype=object)
    out = s.astype(object).where(s.notna(), None).to_numpy(dtype=object, copy=True)
    n = len(out)
    repaired = np.zeros(n, dtype=bool)
    garbled = np.zeros(n, dtype=bool)
    if not n:
        return out, repaired, garbled
    arr = arrow_strings(s)
    if not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
        arr = pc.cast(arr, pa.large_string())
    flags = [np.asarray(pc.fill_null(pc.match_substring_regex(arr, pattern=p), False).to_numpy(zero_copy_only=False),
                        dtype=bool) for p in (MOJIBAKE, r"\x{fffd}")]
    # mojibake goes through ftfy; a text whose only damage is lost letters (the replacement character) needs
    # only the apostrophe repair and a look at what is left
    for i in np.flatnonzero(flags[0] | flags[1]):
        before = str(out[i])
        after = repair_text(before) if flags[0][i] else _LOST_APOSTROPHE.sub("'", before)
        if after != before:
            out[i] = after
            repaired[i] = True
        garbled[i] = is_garbled(after) if flags[0][i] else "\ufffd" in after
    return out, repaired, garbled
