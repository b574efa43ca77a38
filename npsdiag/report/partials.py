"""The report's Jinja partials: one environment, autoescaped, loading ``templates/npsdiag/partials``.

The partials hold the markup of every part of the report; Python decides
what to show and formats the numbers. Everything handed to a partial is
escaped (``autoescape=True``) unless it is HTML this package built itself,
which is passed as :func:`safe` (a :class:`markupsafe.Markup`). The
partials sit beside the nbconvert template of the report, under the
repository's ``templates/`` folder, found beside the package as
:func:`npsdiag.runner.project_root` finds it.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from ..errors import NpsdiagError, Problem
from .text import SEVERITY_LABEL, STATUS_LABEL, STATUS_MEANING

__all__ = ["PARTIALS", "partials_dir", "environment", "render", "safe", "show"]

#: Where the partials are, under the folder holding ``templates/`` (the repository root).
PARTIALS = Path("templates") / "npsdiag" / "partials"


def partials_dir() -> Path:
    """The folder of the partials: ``templates/npsdiag/partials`` beside the npsdiag package."""
    package = Path(__file__).resolve().parents[1]
    for root in (package.parent, package):
        if (root / PARTIALS).is_dir():
            return root / PARTIALS
    raise NpsdiagError(Problem(f"cannot find {PARTIALS.as_posix()} beside the npsdiag package",
                               hint="install npsdiag from its repository with `pip install -e .` (make demo does)"))


@cache
def environment() -> Environment:
    """The one Jinja environment of the report's partials (made once, templates compiled on first use).

    Autoescaped; ``trim_blocks`` and ``lstrip_blocks`` so that block tags
    leave no blank lines; undefined names are errors. The status and
    severity words are globals, for the ``badge`` and ``sev`` macros.
    """
    env = Environment(loader=FileSystemLoader(partials_dir()), autoescape=True, trim_blocks=True,
                      lstrip_blocks=True, undefined=StrictUndefined, auto_reload=False)
    env.globals.update(STATUS_LABEL=STATUS_LABEL, STATUS_MEANING=STATUS_MEANING, SEVERITY_LABEL=SEVERITY_LABEL)
    return env


def render(name: str, **context: Any) -> str:
    """Render the partial ``name`` (e.g. ``"table.html.j2"``) with ``context``; returns the HTML as a str.

    Examples
    --------
    >>> render("glossary.html.j2", glossary=[("NPS <score>", "a & b")])  # doctest: +NORMALIZE_WHITESPACE
    '<section id="glossary" class="area appendix"><h2>Appendix C — Glossary</h2>\\n<dl
    class="glossary"><dt>NPS &lt;score&gt;</dt><dd>a &amp; b</dd></dl></section>'
    """
    return str(environment().get_template(name).render(**context))


def safe(fragment: str) -> Markup:
    """Mark HTML built by this package (a rendered partial, an embedded figure) as safe to put in a partial."""
    return Markup(fragment)


def show(fragment: str) -> None:
    """Display an HTML fragment in the notebook (and so in the report)."""
    from IPython.display import HTML, display

    display(HTML(fragment))
