"""The client report's storyline: cover and which NPS, summary, action plan, one exhibit per message.

Each function reads a :class:`~npsdiag.story.Story` (and the diagnosis it was
told from) and returns HTML rendered from a ``story_*`` partial. The body is
plain English: no finding ids, settings or test names; the statistics behind
every sentence are in the analyst appendix (``appendix.html``). Amounts are
in the client's currency (``settings.currency``).

The client report, in order: :func:`cover`, :func:`summary`,
:func:`action_plan`, :func:`gaps`, :func:`since` (with a previous
diagnosis), :func:`exhibits` (one section per message), :func:`at_a_glance`.
"""

from __future__ import annotations

from typing import Any

from .. import __version__
from ..findings import Diagnosis
from ..fmt import num, pct
from ..story import MAX_MESSAGES, MEASURES, Message, Story
from .figures import figure_html
from .partials import render, safe
from .tables import table_html
from .text import AREA_SHORT, area_title, client_text, generated_date, long_date, p_text, signed
from .trend import trend_figure

#: The appendices of the analyst appendix, as its contents list them: (letter, anchor, title).
APPENDICES = [("A", "methodology", "Methodology and references"), ("B", "data-appendix", "Data and lineage"),
              ("C", "glossary", "Glossary")]

__all__ = ["APPENDICES", "cover", "summary", "action_plan", "gaps", "since", "exhibits", "at_a_glance",
           "appendix_cover", "statistics", "VALUE_DEFINITIONS", "message_anchor", "period_text", "decisions",
           "value_at_stake", "prepared_line"]


def period_text(diag: Diagnosis) -> str:
    """The data period as the cover writes it: "1 January 2024 – 31 December 2025" (or, for an export without
    response dates, the one survey date the config gives, said as such)."""
    per = diag.data_summary.get("period")
    if diag.data_summary.get("survey_date"):
        return (f"survey dated {long_date(diag.data_summary['survey_date'])} (one date for every response: "
                "the export has none of its own)")
    return f"{long_date(per[0])} – {long_date(per[1])}" if per else "no dated responses"


def message_anchor(m: Message) -> str:
    """Anchor id of a message's section: ``message-<cause>``."""
    return f"message-{m.cause.key}"


def _facts(diag: Diagnosis) -> list[tuple[str, str, str]]:
    d = diag.data_summary
    facts = [("Responses analysed", f"{d.get('responses', 0):,}",
              f"of {d.get('responses_read', 0):,} received" if d.get("responses_read") is not None else "")]
    for key, label in (("accounts", "Accounts in the data"), ("invitations", "Invitations sent"),
                       ("contacts", "Contacts")):
        if d.get(key) is not None:
            facts.append((label, f"{d[key]:,}", ""))
    return facts


def _which_rows(story: Story) -> list[dict[str, Any]]:
    rows = []
    labels = {MEASURES[0]: "Every response once (the usual way)", MEASURES[1]: "Each account once",
              MEASURES[2]: "Decision makers only"}
    chosen = MEASURES[1] if story.kpi.startswith("the NPS counting each account") else MEASURES[0]
    for r in story.which.to_dict("records"):
        rows.append({"measure": labels.get(r["measure"], r["measure"]), "nps": signed(r["nps"], 0),
                     "interval": f"{signed(r['ci_low'], 0)} to {signed(r['ci_high'], 0)}",
                     "responses": num(r["responses"]), "accounts": num(r["accounts"]) if r["accounts"] else "–",
                     "recommended": r["measure"] == chosen})
    return rows


def cover(diag: Diagnosis, story: Story, kicker: str = "Customer feedback diagnosis",
          prepared_by: str = "npsdiag", confidence: float = 0.95, brief: bool = False) -> str:
    """The cover: client, period, the headline with its interval, which NPS to believe, data volumes.

    Parameters
    ----------
    diag : Diagnosis
    story : Story
        :func:`npsdiag.story.tell` of ``diag``.
    kicker : str
        The line above the client's name ("Customer feedback diagnosis", "CEO brief").
    prepared_by : str
        Named in the cover's last line with npsdiag's version.
    confidence : float
        Level of the intervals, for the wording.
    brief : bool
        The brief's cover: no data volumes and no preparation line (the brief ends with it).

    Returns
    -------
    str
        ``<header class="cover">`` (partial ``story_cover.html.j2``).
    """
    h = diag.headline
    headline = None
    if h.get("nps") is not None:
        headline = {"nps": signed(h["nps"], 0), "ci_low": signed(h["ci_low"], 0), "ci_high": signed(h["ci_high"], 0),
                    "n": f"{h['n']:,}", "level": f"{confidence:.0%}"}
    index = {"name": story.index_name, "note": story.index_note, "is_nps": story.index_name == "Net Promoter Score"}
    kpi = story.kpi.replace("the usual NPS (every response counts once)", "the usual NPS")
    as_of = diag.data_summary.get("as_of")
    period = period_text(diag) + (f" · figures as at {long_date(as_of)}" if as_of else "")
    return render("story_cover.html.j2", kicker=kicker, client=client_text(diag.client), period=period,
                  headline=headline, index=index, value=value_at_stake(story),
                  which=_which_rows(story) if len(story.which) > 1 else [],
                  kpi=kpi, kpi_why=story.kpi_why, facts=[] if brief else _facts(diag),
                  meta="" if brief else prepared_line(diag, prepared_by))


def prepared_line(diag: Diagnosis, prepared_by: str = "npsdiag") -> str:
    """The last line of the cover (and of the brief): when and with what, and the data's as-of date."""
    as_of = diag.data_summary.get("as_of")
    data = f"Data as of {long_date(as_of)} · " if as_of else ""
    return (f"{data}Prepared {generated_date(diag)} with {prepared_by} {__version__} · Confidential: prepared for the "
            "client named above.")


def value_at_stake(story: Story) -> dict[str, str] | None:
    """The value-at-stake box: amount in the client's currency, what it is, and what it is not (None without
    revenue)."""
    if not story.value_at_stake:
        return None
    renewing = (f"; {story.money(story.value_renewing)} of it renews within two quarters of that date"
                if story.value_renewing else "")
    as_of = f" as at {long_date(story.as_of)}" if story.as_of else ""
    return {"amount": story.money(story.value_at_stake),
            "label": f"annual revenue in {num(story.value_accounts)} active accounts{as_of} whose latest score is a "
                     f"detractor's or whose unhappy customer was not called back{renewing}",
            "note": "Revenue exposed, not a forecast of loss: these accounts are still customers. Each account is "
                    "counted once; the amounts of the messages below overlap."}


def decisions(story: Story, with_kpi: bool = True) -> list[str]:
    """The decisions asked of the leadership team: one per message of the summary, in plain words (with the KPI's
    target unless ``with_kpi`` is false: the report's action plan, a page later, gives it)."""
    out = []
    for m in story.top:
        kpi = ""
        if with_kpi and m.kpi is not None and m.kpi.target is not None:
            kpi = f" (target: {m.kpi.name} at {m.kpi.step})"
        out.append(f"{m.owner}: {m.recommendation.rstrip('.')}{kpi}.")
    return out


def _message_row(i: int, m: Message, story: Story, redact: bool) -> dict[str, Any]:
    return {"no": i, "priority": m.priority, "priority_key": m.priority.lower().replace(" ", "-"),
            "title": m.title, "conclusion": client_text(m.conclusion, redact), "anchor": message_anchor(m),
            "money": story.money(m.value) if m.value else "", "money_label": m.value_label,
            "owner": m.owner, "horizon": m.horizon}


def _lead(diag: Diagnosis, story: Story, change: dict[str, Any] | None, confidence: float) -> str:
    h = diag.headline
    if h.get("nps") is None:
        return ""
    text = (f"The {story.index_name} over the period is {signed(h['nps'], 0)} (we are {confidence:.0%} sure it lies "
            f"between {signed(h['ci_low'], 0)} and {signed(h['ci_high'], 0)}).")
    if change is not None:
        real = change["p_value"] < 1 - confidence
        text += (f" From {change['first']} to {change['last']} it moved {signed(change['diff'], 0)} points: "
                 + ("a real change, not noise." if real else "within the noise of sampling, not a real change."))
        gap = next((f for f in diag.findings if f.id == "reliability.feed_gaps"), None)
        if real and gap is not None:
            what = "a survey wave is missing" if "waves" in gap.evidence else "the survey feed broke during the period"
            text += (f" Note that {what} (see the data message): part of the change may come from who was surveyed "
                     "before and after it.")
    n_act = sum(m.priority == "Act now" for m in story.messages)
    if story.messages:
        n = len(story.messages)
        text += (f" We found {n} issue{'s' if n != 1 else ''} worth a decision"
                 + (f", {n_act} of them to act on now." if n_act else "."))
    return text


def summary(diag: Diagnosis, story: Story, change: dict[str, Any] | None = None, redact: bool = False,
            confidence: float = 0.95) -> str:
    """The summary page: value at stake, the messages that matter, the decisions asked for, a status per area.

    Parameters
    ----------
    diag, story
    change : dict, optional
        :func:`~npsdiag.report.trend.trend_change`: the lead says whether the score really moved between the first
        and last complete periods.
    redact : bool
        Mask personal data in client text.
    confidence : float
        Level of the intervals, for the wording.
    """
    rows = [_message_row(i, m, story, redact) for i, m in enumerate(story.top, start=1)]
    heading = ("The messages that matter" if len(rows) > 1 else "The message that matters") + (
        f" ({len(rows)} of {len(story.messages)})" if len(story.messages) > len(rows) else "")
    return render("story_summary.html.j2", lead=_lead(diag, story, change, confidence), value=None,
                  heading=heading, messages=rows, decisions=decisions(story, with_kpi=False), statuses=[])


def action_plan(story: Story) -> str:
    """The action plan: one initiative per message, 30/60/90 days, owner role, KPI from baseline to target by a date.

    Initiatives are ordered by when to start them (30, 60, 90 days), then by the messages' order.
    """
    rows = []
    ordered = sorted(enumerate(story.messages), key=lambda im: (im[1].horizon, im[0]))
    for _, m in ordered:
        k = m.kpi
        rows.append({"horizon": m.horizon, "priority_key": m.priority.lower().replace(" ", "-"),
                     "title": m.title, "anchor": message_anchor(m), "initiative": m.recommendation,
                     "owner": m.owner, "kpi": k.name if k else "",
                     "baseline": k.text(k.baseline) if k else "",
                     "target": k.text(k.target) if k and k.target is not None else "",
                     "by": (k.by + (f", on the way to {k.text(k.goal)}" if k.goal is not None and k.goal != k.target
                                    else "")) if k else ""})
    return render("story_plan.html.j2", rows=rows)


def gaps(story: Story) -> str:
    """The box "What we could not assess, and why it matters", with the file to ask the client for."""
    return render("story_gaps.html.j2", gaps=story.unassessed)


def _fmt_change(value: Any, unit: str | None, story: Story) -> str:
    if value is None:
        return "–"
    if unit == "money":
        return story.money(value)
    if unit == "share":
        return pct(value)
    if unit == "points":
        return signed(value, 0)
    return num(value)


def since(story: Story) -> str:
    """The comparison with the previous diagnosis (empty without one)."""
    c = story.comparison
    if c is None:
        return ""
    per = c.previous_period
    blocks = [
        {"title": "Headline", "headers": ["Measure", "Before", "Now", "Change", "Verdict"],
         "rows": [[r["measure"], _fmt_change(r["previous"], r["unit"], story), _fmt_change(r["now"], r["unit"], story),
                   _fmt_change(r["change"], r["unit"], story), r["verdict"]] for r in c.headline.to_dict("records")]},
        {"title": "Areas", "headers": ["Area", "Before", "Now", "Verdict"],
         "rows": [[AREA_SHORT.get(r["area"], r["area"]), r["previous"], r["now"], r["verdict"]]
                  for r in c.areas.to_dict("records")]},
        {"title": "Issues", "headers": ["Issue", "Before", "Now", "Verdict"],
         "rows": [[r["title"], r["previous"], r["now"], r["verdict"]] for r in c.findings.to_dict("records")]},
        {"title": "Action KPIs", "headers": ["KPI", "Before", "Now", "Target", "Verdict"],
         "rows": [[r["kpi"], _fmt_change(r["previous"], r["unit"], story), _fmt_change(r["now"], r["unit"], story),
                   _fmt_change(r["target"], r["unit"], story), r["verdict"]] for r in c.kpis.to_dict("records")]},
    ]
    previous_period = f"{long_date(per[0])} – {long_date(per[1])}" if per else "the previous export"
    return render("story_since.html.j2", previous_period=previous_period, blocks=blocks)


def _exhibit(i: int, m: Message, story: Story, redact: bool, with_figure: bool = True) -> str:
    row = _message_row(i, m, story, redact)
    evidence = [client_text(f.title, redact) for f in m.findings if f.title != m.conclusion]
    kpi = None
    if m.kpi is not None:
        kpi = f"{m.kpi.name}, now {m.kpi.text(m.kpi.baseline)}"
        if m.kpi.target is not None:
            kpi += f", target {m.kpi.step}"
    figure = None
    if m.figure is not None and with_figure:
        figure = safe(figure_html(m.figure, caption=m.conclusion, redact=redact, phone=True))
    return render("story_message.html.j2", m={
        **row, "kicker": m.title, "money_note": m.value_note, "evidence": evidence, "figure": figure,
        "recommendation": m.recommendation, "kpi": kpi})


def exhibits(story: Story, redact: bool = False) -> str:
    """One section per message, most important first: the exhibit titled by its conclusion, value, evidence, action.

    Every message has a section; the first :data:`~npsdiag.story.MAX_MESSAGES` (those of the summary) show one
    figure each, the one that shows the evidence of its lead finding, with a phone-sized variant; the figures of
    the others are in the appendix.
    """
    return "".join(_exhibit(i, m, story, redact, with_figure=i <= MAX_MESSAGES)
                   for i, m in enumerate(story.messages, start=1))


def at_a_glance(diag: Diagnosis, story: Story, redact: bool = False) -> str:
    """The areas at a glance: each area's status and sentence, and its findings that no message carries."""
    carried = {f.id for m in story.messages for f in m.findings}
    areas = []
    for name, res in diag.areas.items():
        others = [client_text(f.title, redact) for f in res.findings
                  if f.id not in carried and f.severity in ("high", "medium", "low")]
        areas.append({"title": area_title(name), "status": res.status,
                      "sentence": client_text(res.summary_text, redact), "others": others})
    return render("story_glance.html.j2", areas=areas)


def appendix_cover(diag: Diagnosis, story: Story) -> str:
    """The analyst appendix's cover and contents: the statistics behind the summary, every area in full, methods."""
    entries = [(1, "statistics", "Statistics behind the summary", None)]
    entries += [(i, f"area-{name}", area_title(name), res.status)
                for i, (name, res) in enumerate(diag.areas.items(), start=2)]
    head = render("appendix_cover.html.j2", client=client_text(diag.client), period=period_text(diag),
                  meta=f"Prepared {generated_date(diag)} with npsdiag {__version__} · Confidential.")
    return head + render("contents.html.j2", entries=entries, appendices=APPENDICES)


def statistics(diag: Diagnosis, story: Story, trend=None, change: dict[str, Any] | None = None,
               confidence: float = 0.95) -> str:
    """The statistics behind the summary: the headline's design, which NPS with its methods, the trend and the
    test of its change, and how the value at stake and the renewal-risk list are defined."""
    h = diag.headline
    design = []
    if h.get("nps") is not None:
        design.append(f"Headline {signed(h['nps'])} on {h['n']:,} responses, {confidence:.0%} interval "
                      f"{signed(h['ci_low'])} to {signed(h['ci_high'])}: Rocks' (2016) adjusted Wald interval on the "
                      "effective sample size.")
        if h.get("clustered_by"):
            design.append(f"Responses cluster in {h.get('clusters', 0):,} {h['clustered_by'].replace('_id', '')}s "
                          f"(design effect {h.get('design_effect')}, effective sample size "
                          f"{h.get('effective_n', 0):,}): the interval is design-based (Taylor linearisation with "
                          "clusters; Wolter 2007), as R's survey package computes it.")
    if change is not None:
        design.append(f"Change {change['first']} → {change['last']}: {signed(change['diff'])} points, "
                      f"{confidence:.0%} interval {signed(change['ci_low'])} to {signed(change['ci_high'])}, "
                      f"p {p_text(change['p_value'])} (Wald test of the difference, clustered where accounts answer "
                      "in both periods); only complete periods are compared.")
    which = story.which.rename(columns={"measure": "counting"}) if len(story.which) else None
    fig = trend_figure(trend, h.get("nps"), confidence) if trend is not None else None
    return render("statistics.html.j2", design=design,
                  which=safe(table_html(which, "Which NPS: each with its design-based interval (points); each "
                                               "account once weights every response by 1 / the account's "
                                               "responses")) if which is not None else None,
                  kpi=story.kpi, kpi_why=story.kpi_why,
                  trend=safe(figure_html(fig)) if fig is not None else None,
                  trend_table=safe(table_html(trend, "NPS per quarter")) if trend is not None and len(trend) else None,
                  value_defs=VALUE_DEFINITIONS)


#: How each amount of the report is computed (the appendix states them).
VALUE_DEFINITIONS = (
    ("Value at stake (cover)", "ARR of active accounts (not churned at the as-of date) whose latest analysed score "
                               "is a detractor's or with a detractor still waiting for a call, each account once."),
    ("Unhappy customers not called back", "ARR of active accounts with a detractor response in the year before the "
                                          "as-of date, after the account's last renewal, not followed up."),
    ("Decision makers unheard", "ARR of active accounts renewing within two quarters of the as-of date with no "
                                "response from a decision role in the year before it."),
    ("Weak segment", "ARR of the segment's active accounts whose latest score is a detractor's: revenue exposed in the "
                      "segment, not revenue lost."),
    ("Churn beyond promoters'", "For accounts whose outcome is still open: (churn rate of their latest category − "
                                "promoters' churn rate) × their ARR, summed over detractors and passives. An "
                                "association: an upper bound of what converting them could keep; a randomised "
                                "follow-up programme (or a hold-out of accounts) would measure the causal effect."),
    ("Renewal-risk list", "High: a detractor waiting for a call, or the latest score a detractor's. Medium: the "
                          "latest score a passive's, nobody heard in the past year, or no decision maker heard. Low: "
                          "the rest."),
)
