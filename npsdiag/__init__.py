"""npsdiag: diagnose a Net Promoter Score program and write a client-ready report.

The library does the work; ``notebooks/diagnose.ipynb`` calls it and
``npsdiag run`` renders the executed notebook into ``report.html``.
"""

__version__ = "0.1.0"
