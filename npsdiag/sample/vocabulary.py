"""Names and comment phrases of the synthetic demo client (:mod:`npsdiag.sample`).

Account and contact names are drawn from these lists; comments are an
opener, a reason and a closer per theme and tone (:func:`comment_pool`).
"""

from __future__ import annotations

from functools import cache

import numpy as np

__all__ = ["FIRST_NAMES", "LAST_NAMES", "NAME_PREFIXES", "NAME_STEMS", "NAME_SUFFIXES", "NEG_REASONS", "POS_REASONS",
           "FOREIGN", "EMOJI", "SCRIPT", "BOLD", "comment_pool", "lower_first", "NEG", "MIX", "POS",
           "THEMES", "ONB", "SUP", "PRI", "REP", "INT", "REL", "BIL", "AM"]

#: Tones of a comment (the category of its writer).
NEG, MIX, POS = 0, 1, 2
#: Comment themes, and their numbers.
THEMES = ["onboarding", "support", "pricing", "reporting", "integrations", "reliability", "billing",
          "account_management"]
ONB, SUP, PRI, REP, INT, REL, BIL, AM = range(8)

FIRST_NAMES = ("James Mary Wei Aisha Carlos Sofia Liam Emma Noah Olivia Hiroshi Yuki Priyanka Arjun Fatima Omar "
          "Lukas Anna Mateo Lucia Chen Mei Kwame Amara Jack Chloe Ravi Ananya Ivan Elena Tom Sarah David Laura "
          "Ahmed Leila Pierre Camille Jonas Lena Diego Valentina Sam Grace Ben Zoe Kenji Sakura Tariq Nadia").split()
LAST_NAMES = ("Smith Johnson Li Khan Garcia Rossi Muller Dubois Tanaka Kim Nguyen Patel Singh Okafor Mensah Brown "
         "Wilson Martin Lopez Silva Schmidt Novak Kowalski Andersson Jensen Murphy Kelly Cohen Haddad Sato Wang "
         "Zhang Chen Ali Hassan Fischer Weber Moreau Costa Santos Taylor Clark Walker Young Hall Wright Green "
         "Baker Adams Nelson").split()
NAME_PREFIXES = ("Blue North Silver Red Green Bright Clear Stone Iron Oak Maple River Summit Harbor Pine Sun Star "
           "Cedar Falcon Golden Crystal Eagle Lake Cloud Swift True Prime Nova Vertex Atlas").split()
NAME_STEMS = ("peak field bridge stone wave line point gate view ridge leaf path works light forge vale port wood "
              "crest mark").split()
NAME_SUFFIXES = {
    "Software": ["Labs", "Software", "Systems", "Technologies"],
    "Financial Services": ["Capital", "Financial", "Bank", "Partners"],
    "Healthcare": ["Health", "Medical", "Clinics", "Care"],
    "Retail": ["Retail", "Stores", "Brands", "Outfitters"],
    "Manufacturing": ["Manufacturing", "Industries", "Components", "Engineering"],
    "Education": ["Learning", "Academy", "Education", "Institute"],
    "Logistics": ["Logistics", "Freight", "Transport", "Shipping"],
    "Media": ["Media", "Studios", "Publishing", "Digital"],
}

NEG_REASONS = {
    ONB: ["Onboarding took far longer than we were promised.",
          "The implementation dragged on for months and we had to chase your team for every step.",
          "Getting our team set up was painful; the training sessions were too generic.",
          "Nobody walked us through the data model during onboarding, so we built everything twice.",
          "The setup wizard skips the steps that actually matter for a company our size.",
          "Our new hires still struggle to get started because the onboarding material is out of date.",
          "We were handed over to support straight after the kickoff call and left on our own.",
          "Migration from our old tool was much harder than the sales team suggested."],
    SUP: ["Support takes days to answer even urgent tickets.",
          "Tickets sit in the queue for a week before anyone looks at them.",
          "Every time we contact support we get a canned reply and have to explain the issue again.",
          "Response times from support have got noticeably worse this year.",
          "We waited four days for a reply while our dashboards were down.",
          "Support closes tickets before the problem is actually fixed.",
          "There is no way to reach a human quickly when something breaks.",
          "The chat support bounces us between agents and nobody owns the problem."],
    PRI: ["Too expensive for what we actually use.",
          "The price went up again at renewal without any new value for us.",
          "We pay for a lot of features we never touch.",
          "Per-seat pricing punishes us for rolling it out to more people.",
          "Hard to justify the cost to our finance team.",
          "Competitors offer the same for about half the price.",
          "The jump from Professional to Enterprise pricing is far too steep.",
          "Value for money is poor compared with last year."],
    REP: ["The reports are too rigid; we export everything to Excel to get what we need.",
          "Custom dashboards are clunky and slow to build.",
          "We cannot schedule the reports our managers ask for.",
          "Charts are limited and the PDF export looks unprofessional.",
          "Filtering in reports is confusing and often gives different totals.",
          "Reporting is missing basic things like year-over-year comparisons.",
          "Building a simple report takes far too many clicks.",
          "The analytics module feels unfinished."],
    INT: ["The Salesforce integration breaks every few weeks.",
          "Syncing with our data warehouse is unreliable and we lose records.",
          "The API is poorly documented and the rate limits are too strict.",
          "The HubSpot connector keeps dropping fields.",
          "We had to build our own integration because yours does not support our ERP.",
          "Webhooks fire late or not at all.",
          "SSO setup was a nightmare and it still logs people out.",
          "No native integration with Snowflake, which is a deal breaker for us."],
    REL: ["Too many outages this quarter.",
          "The platform was down during our month-end close, twice.",
          "Dashboards load slowly and time out during peak hours.",
          "We lost a day of data after the last incident.",
          "Frequent downtime makes it hard to trust the numbers.",
          "Performance has degraded since the last release.",
          "Scheduled jobs fail silently and nobody tells us.",
          "The status page said everything was fine while we could not log in."],
    BIL: ["We were invoiced twice for the same month.",
          "Our invoice had the wrong number of seats again.",
          "Billing errors keep happening and it takes weeks to get a credit note.",
          "We were charged after we downgraded our plan.",
          "The invoice amount did not match our contract.",
          "We were billed for users we had removed months ago.",
          "Your billing system charged our card three times in one day.",
          "Sorting out an incorrect invoice took five emails and two calls."],
    AM: ["Our account manager changed three times this year.",
         "We never hear from our CSM unless it is renewal time.",
         "The account team does not understand our business.",
         "Our success manager missed two quarterly reviews in a row.",
         "Nobody followed up after we raised concerns at the business review.",
         "We feel like a small fish; the account team is never available.",
         "Promises made by our account manager were not kept.",
         "Escalations go nowhere with our current CSM."],
}
POS_REASONS = {
    ONB: ["Onboarding was smooth and well organised.",
          "The implementation team had us live in two weeks.",
          "Great onboarding sessions, our team was productive from day one.",
          "Setup was easy and the guided tour helped a lot.",
          "The migration from our old tool went better than expected.",
          "Training materials are clear and our new hires pick it up quickly."],
    SUP: ["Support is fast and genuinely helpful.",
          "Whenever we have an issue support answers within the hour.",
          "The support team always follows through until the problem is solved.",
          "Excellent support, knowledgeable and friendly.",
          "Support fixed our issue the same day.",
          "Best support team of any vendor we work with.",
          "Quick, clear answers from support every time."],
    PRI: ["Good value for the price.",
          "Pricing is fair and transparent.",
          "It pays for itself in time saved every month.",
          "Worth every penny for our team.",
          "Reasonable cost compared with the alternatives we evaluated."],
    REP: ["The dashboards give us exactly what leadership needs.",
          "Reporting is powerful and easy to customise.",
          "We love the scheduled reports, they save hours every week.",
          "Great analytics, our board pack is built in it now.",
          "The new charting options are excellent.",
          "Reports are clear and quick to build."],
    INT: ["Integrates nicely with Salesforce and our warehouse.",
          "The API is well documented and easy to work with.",
          "Connectors just work, we set up HubSpot in an afternoon.",
          "Seamless integration with our existing stack.",
          "SSO and user provisioning worked out of the box."],
    REL: ["Rock solid, we have not had any downtime.",
          "Fast and reliable platform.",
          "It just works, every day.",
          "Very stable, even with our data volumes."],
    BIL: ["Billing is straightforward and invoices are always correct.",
          "Invoicing is simple and matches our contract."],
    AM: ["Our CSM is proactive and really understands our business.",
         "Fantastic account manager, always available.",
         "Quarterly reviews with our account team are genuinely useful.",
         "Our success manager goes above and beyond.",
         "The account team helped us roll it out to three more departments."],
}
NEG_OPEN = ["", "", "", "Honestly, ", "To be frank, ", "Frustrating year. ", "Disappointed. ", "Main issue: "]
NEG_CLOSE = ["", "", "", " Please fix this.", " We are looking at alternatives.",
              " This needs to improve before our renewal.", " Very frustrating.", " It costs us time every week."]
POS_OPEN = ["", "", "", "Great product. ", "Love it. ", "Overall very happy. ", "Really impressed: "]
POS_CLOSE = ["", "", "", " Keep it up!", " Highly recommend.", " Thanks to the team!",
              " Would recommend to any analytics team."]
MIX_OPEN = ["Good product overall, but ", "Mostly happy, but ", "Solid tool; however, ", "It does the job, although ",
             "Decent, but ", "We like the product, but "]
MIX_CLOSE = ["", "", " Otherwise fine.", " Would score higher if this improved."]

FOREIGN = {  # (category, text): French, German, Spanish
    NEG: ["Le support met trop de temps à répondre, c'est inacceptable pour une solution de ce prix.",
          "Die Rechnung war schon wieder falsch, wir wurden doppelt belastet.",
          "La plataforma se cae con demasiada frecuencia y perdemos datos."],
    MIX: ["Gutes Produkt, aber die Integration mit SAP ist noch zu umständlich."],
    POS: ["Très bon outil, les tableaux de bord sont clairs et l'équipe est réactive.",
          "Excelente herramienta, los informes nos ahorran horas cada semana."],
}
EMOJI = "Love the new dashboards 🚀🙌 the whole team uses them every morning"
SCRIPT = "The title field of our export showed <script>alert('x')</script> instead of the report name."
BOLD = "Please keep the <b>bold</b> formatting when exporting reports to PDF."


def lower_first(s: str) -> str:
    return s[0].lower() + s[1:] if len(s) > 1 and s[1].islower() else s


@cache
def comment_pool(theme: int, tone: int) -> np.ndarray:
    """Every comment of one theme and tone: opener x reason x closer."""
    if tone == POS:
        parts = [o + (lower_first(r) if o.endswith(", ") else r) + c
                 for o in POS_OPEN for r in POS_REASONS[theme] for c in POS_CLOSE]
    elif tone == NEG:
        parts = [o + (lower_first(r) if o.endswith((", ", ": ")) else r) + c
                 for o in NEG_OPEN for r in NEG_REASONS[theme] for c in NEG_CLOSE]
    else:
        parts = [o + lower_first(r) + c for o in MIX_OPEN for r in NEG_REASONS[theme] for c in MIX_CLOSE]
    return np.array(parts, dtype=object)
