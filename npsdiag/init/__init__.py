"""Propose a client config from raw exports: ``npsdiag init EXPORT [EXPORT...]``.

Each export is read as :func:`npsdiag.io.load` would read it (format,
encoding, delimiter, survey-tool header rows). Every column is profiled
(:func:`profile_columns`: how full, how many distinct values, numbers and
their range, dates, answer labels, text length, e-mail addresses) and the
profiles are matched against what each canonical field looks like, by its
values and by its name. With several exports, each is classified as
responses, accounts, invitations or contacts (:func:`classify`).

:func:`propose` returns the proposal; :func:`render_yaml` writes it as a
config whose comments give, for every guess, why it was made and how sure
it is (high / medium / low), and :func:`init` (the command) writes it
without overwriting an existing file unless forced, checks that it loads,
and prints what the consultant should check.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"LTR": ["10", "3", "9", "7"], "Date": ["2024-01-02"] * 4})
>>> [p.name for p in profile_columns(frame) if p.kind == "date"]
['Date']
"""

from .command import init
from .guess import Guess, TableGuess, classify, guess_table
from .profile import LIKERT_SCALES, ColumnProfile, profile_columns
from .propose import Proposal, client_name, propose
from .render import render_yaml, unchecked_lines

__all__ = ["ColumnProfile", "Guess", "TableGuess", "Proposal", "profile_columns", "guess_table", "classify",
           "propose", "render_yaml", "init", "client_name", "LIKERT_SCALES", "unchecked_lines"]
