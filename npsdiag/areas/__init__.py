"""The areas of the diagnosis, one package each; :mod:`npsdiag.areas.registry` lists them."""

from .registry import AREAS, Area, diagnose_all, get, names

__all__ = ["AREAS", "Area", "diagnose_all", "get", "names"]
