"""Reading client exports into canonical, typed tables.

Sources may be CSV (delimiter, encoding and decimal comma detected), Excel or
Parquet, and the survey-tool exports of Qualtrics (three header rows) and
SurveyMonkey (two header rows). Columns named in the config are mapped to
canonical fields and typed; every problem is collected as a
:class:`~npsdiag.errors.Problem` naming file, column and rows. The client's
files are only ever read.

The entry point is :func:`load`, which returns a :class:`ClientData`.

The package holds one concern per module:

- :mod:`~npsdiag.io.tables`: :class:`RawTable` and :class:`ClientData`;
- :mod:`~npsdiag.io.sniff`: a file's kind, a CSV's encoding and delimiter;
- :mod:`~npsdiag.io.header`: header rows, survey-tool layouts, column names;
- :mod:`~npsdiag.io.csvfile`: CSVs read by pyarrow, or carefully by pandas;
- :mod:`~npsdiag.io.read`: one table's file read as strings (:func:`read_raw`);
- :mod:`~npsdiag.io.strings`, :mod:`~npsdiag.io.values`, :mod:`~npsdiag.io.dates`:
  values typed (scores, numbers, yes/no, dates);
- :mod:`~npsdiag.io.mapping`: a table mapped through its config;
- :mod:`~npsdiag.io.client`: a client's tables (:func:`load`, :func:`from_frames`).
"""

from __future__ import annotations

from ..config import load_config
from .client import from_frames, load
from .dates import detect_dayfirst, parse_dates
from .mapping import MAX_TEXT_CHARS
from .read import read_raw
from .sniff import DELIMITERS, delimiter_scores, sniff_csv
from .tables import DATE_FIELDS, ROW, TEXT_FIELDS, ClientData, RawTable
from .values import apply_labels, parse_bool, parse_numbers, parse_scores

__all__ = ["ClientData", "RawTable", "load", "from_frames", "read_raw", "parse_scores", "parse_dates", "parse_bool",
           "parse_numbers", "sniff_csv", "delimiter_scores", "detect_dayfirst", "apply_labels",
           "load_config", "ROW", "TEXT_FIELDS", "DATE_FIELDS", "MAX_TEXT_CHARS", "DELIMITERS"]
