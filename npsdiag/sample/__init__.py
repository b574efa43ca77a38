"""A synthetic B2B SaaS NPS program: the demo client "Northwind Analytics".

:func:`generate` builds, from a seed, the four tables a consultant receives
from a client (survey responses, CRM accounts with renewal outcomes,
contacts, survey invitations); :func:`write_demo` writes them as CSV (or
Parquet) with the column names of ``examples/demo/config.yml``. The bundled
demo (``examples/demo/*.csv``: 800 accounts, about 3,700 contacts, 24,000
invitations and 8,700 responses over 2024-2025) is
``python -m npsdiag.sample`` with the defaults, and a test keeps it identical
to the generator's output.

Everything is vectorised with numpy/pandas (no Python loop over rows), so
the same generator makes benchmark exports: ``n_accounts`` scales the
program linearly (about 10.5 responses per account over two years; see
:func:`n_accounts_for`); a million responses take about 20-30 s and 1.3 GB.

The latent model
----------------
Each account has a stable health ``A`` and, before each yearly renewal
(anniversary of Customer Since), a shock ``C`` that shows only in the nine
months before that renewal. Churn at a renewal is logistic in ``A + C``,
the plan, and how the account's detractors of the previous year were
followed up (centred, so that having detractors is not itself the signal).
A respondent's 0-10 score comes from an ordered-probit latent: a role mean,
the account's segment experience (region, plan, CSM), a role-dependent share
of ``A + C`` (large for executives and decision makers, almost none for
users), a personal effect and noise; the cut-points give the lumpy
distribution of real NPS data (many 8-10s, a spike at 0). Every contact is
invited every 12 weeks; each account has one survey champion, most other
contacts of Starter and Professional accounts never answer, and accounts
differ in responsiveness. The driver ratings are noisy functions of the
score latent, Support the closest. Comments come from phrase pools per
theme and tone (opener x reason x closer: several hundred phrasings per
theme), the theme depending on the category, the driver ratings and the
date; about half the responses have none.

Planted problems (``plant_problems=True``, the default)
-------------------------------------------------------
Each is meant to be found by the SPEC finding id(s) named; the figures are
those of the bundled demo (they vary a little with the seed).

1. ``reliability.missing_values`` / ``out_of_range``: 1.5 % of scores empty,
   plus 3 ``N/A``, 3 ``11``, 2 ``-1`` and 2 ``ten``.
2. ``reliability.duplicates``: the responses of one week (about 1 % of rows)
   were exported twice (same Response ID, appended at the end of the file),
   and about 0.8 % of responses are a second answer by the same respondent
   2-25 days after the first (inside the 30-day cool-off).
3. ``reliability.test_responses``: 12 rows from ``test@northwind.com`` and
   ``qa+N@northwind.com`` with the comment ``test``.
4. ``reliability.date_anomalies``: 6 responses dated decades ahead (year
   typos: 2024 -> 2042, 2025 -> 2052, one 2062) and 20 dated 1-9 days before
   their invitation.
5. ``reliability.feed_gaps``: no responses at all in the three weeks from
   Monday 3 March 2025 (a broken integration; invitations kept going out).
6. ``reliability.score_gaming``: CSM "Dana Whitfield"'s customers' scores are
   heaped at 10 (85 % of would-be 9s, a third of 8s and 12 % of 7s are
   recorded as 10): her 10:9 ratio is about 20 against 1.4 for the other
   owners, while her book (re-drawn, stratified by outcome) churns like
   everyone's. CSM "Priya Raman" owns genuinely healthier accounts: higher
   scores (NPS about +55) and far lower churn, with a normal 10:9 ratio.
7. ``balance.role_skew`` / ``balance.role_gap``: Users are 47 % of contacts
   but 66 % of responses; executives are 11 % of contacts and under 3 % of
   responses; executives' and decision makers' NPS (about +3 to +5) is far
   below Users' (about +37).
8. ``balance.single_voice`` / ``balance.concentration``: each account has
   one survey champion and most other contacts of Starter and Professional
   accounts never answer, so about 73 % of responding accounts are heard
   through one person; large, responsive Enterprise accounts make the top
   5 % of accounts give about 40 % of responses (top 10 %: about 60 %).
9. ``balance.revenue_coverage``: Enterprise executives and decision makers
   answer at 30 % of their peers' rate, so at most about a quarter of ARR
   has a decision-maker response in any quarter (target 80 %).
10. ``segmentation.hidden_segment`` / ``insufficient_n`` / ``mix_shift``:
    APAC's NPS (about +3) is far below the other regions' (about +38);
    LATAM has a handful of Starter accounts and fewer than 30 responses;
    Starter customers (NPS about 0) give 14 % of responses in 2024 and 24 %
    in 2025 (more Starter sign-ups, and an in-app survey for Starter from
    the midpoint), so part of the 2024 -> 2025 NPS drop (33 -> 24) is mix.
11. ``outcome.*``: scores predict churn: by each account's mean score before
    its renewal, detractor accounts churn about 37 %, passives 18 %,
    promoters 11 %. Users' scores carry almost no account health: accounts
    whose Users are promoters churn about 20 % (``outcome.false_comfort``)
    and Users' AUC is about 0.5, while executives' and decision makers'
    scores predict churn strongly (AUC about 0.8-0.9;
    ``outcome.role_predictiveness``). About 3 % of responses carry an
    Account ID from a legacy system (``LEG-…``) that matches no account
    (``outcome.unlinked``).
12. ``decay.*``: detractors are followed up after a median of about 10 days
    against the 7-day SLA, about 27 % never (each account team has its own
    habit); detractors followed up after more than 14 days or never churn
    about 38 % against 11 % for those followed up within 7 days; scores
    given more than 9 months before the renewal predict churn no better than
    chance (AUC about 0.51 against 0.62 for recent ones); the response rate
    falls from about 45 % of invitations in early 2024 to about 26 % in late
    2025; most responses come 0-3 days after the invitation (median one
    day), with a tail up to 45 days.
13. verbatims: the "billing errors" theme rises from about 2 % to 8-10 % of
    all responses (far more of unhappy comments) in the last quarter (Q4
    2025); 20 comments contain an email address or a phone number
    (redaction); one comment contains ``<script>alert('x')</script>`` and
    one ``<b>bold</b>`` (escaping); six comments are in French, German or
    Spanish and one has emoji.

With ``plant_problems=False`` none of these are planted: no bad rows, equal
response propensities and score relevance across roles, no regional or
owner effects, prompt follow-up, a flat response rate and no billing spike.
Such an export can still show the structure of any B2B program (small
accounts with one contact, ARR concentrated in Enterprise).

Examples
--------
>>> tables = generate(n_accounts=40, seed=1)
>>> sorted(tables)
['accounts', 'contacts', 'invitations', 'responses']
>>> "Response ID" in tables["responses"].columns
True
"""

from .files import main, write_demo
from .generate import (
    ACCOUNT_COLUMNS,
    COMMENT_COLUMN,
    CONTACT_COLUMNS,
    CSMS,
    DATE_ONLY,
    DRIVERS,
    FEED_GAP,
    INVITATION_COLUMNS,
    RESPONSE_COLUMNS,
    RESPONSES_PER_ACCOUNT,
    SCORE_COLUMN,
    generate,
    n_accounts_for,
)

__all__ = ["generate", "write_demo", "n_accounts_for", "main", "SCORE_COLUMN", "COMMENT_COLUMN", "DRIVERS", "DATE_ONLY",
           "RESPONSE_COLUMNS", "ACCOUNT_COLUMNS", "CONTACT_COLUMNS", "INVITATION_COLUMNS", "CSMS",
           "FEED_GAP", "RESPONSES_PER_ACCOUNT"]
