"""Defer the IRI grammar that importing nbformat builds, until something validates an IRI.

``import nbformat`` (and so Papermill and nbconvert) imports ``jsonschema``, whose
format checkers import ``rfc3987_syntax`` when it is installed (the
``format-nongpl`` extra that Jupyter's packages require). That module compiles
about 35 Earley parsers at import: 1.8 s on this project's machine, on every
``npsdiag run``, ``batch`` and render, while no notebook schema has an ``iri``
format. Upstream reports: python-jsonschema/jsonschema#1428 and #1392,
opendatahub-io/notebooks#3532.

:func:`defer_iri_grammar` puts a stand-in module under the name
``rfc3987_syntax``: jsonschema imports ``is_valid_syntax`` from it as before,
and the real module (with its parsers) is imported the first time anything is
validated or any other attribute is asked for. Nothing is validated differently.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from typing import Any

__all__ = ["defer_iri_grammar"]

_NAME = "rfc3987_syntax"


class _Deferred(types.ModuleType):
    """The stand-in: every attribute but ``is_valid_syntax`` comes from the real module, imported on demand."""

    def __getattr__(self, attr: str) -> Any:
        if attr == "__all__":  # a star import: it then takes this module's public names, so copy the real ones
            real = _real()
            self.__dict__.update({k: v for k, v in vars(real).items() if not k.startswith("_")})
            return real.__all__
        if attr.startswith("__") and attr.endswith("__"):  # the import machinery's probes do not load it
            raise AttributeError(attr)
        return getattr(_real(), attr)


def _real() -> types.ModuleType:
    mod = sys.modules.get(_NAME)
    if mod is not None and not isinstance(mod, _Deferred):
        return mod
    spec = mod.__spec__ if mod is not None else importlib.util.find_spec(_NAME)
    real = importlib.util.module_from_spec(spec)
    sys.modules[_NAME] = real
    try:
        spec.loader.exec_module(real)
    except BaseException:
        if mod is not None:
            sys.modules[_NAME] = mod
        else:
            sys.modules.pop(_NAME, None)
        raise
    return real


def _is_valid_syntax(term: str, value: str) -> bool:
    return _real().is_valid_syntax(term, value)


def defer_iri_grammar() -> bool:
    """Install the stand-in for ``rfc3987_syntax`` unless it is imported already or not installed.

    Returns
    -------
    bool
        Whether the stand-in was installed (call it before ``import nbformat``).
    """
    if _NAME in sys.modules:
        return False
    try:
        spec = importlib.util.find_spec(_NAME)
    except (ImportError, ValueError):
        return False
    if spec is None or spec.loader is None:
        return False
    stand_in = _Deferred(_NAME, "Stand-in for rfc3987_syntax: the real module is imported on first use.")
    stand_in.__spec__ = spec
    stand_in.__file__ = spec.origin
    if spec.submodule_search_locations is not None:
        stand_in.__path__ = list(spec.submodule_search_locations)
    stand_in.is_valid_syntax = _is_valid_syntax
    sys.modules[_NAME] = stand_in
    return True
