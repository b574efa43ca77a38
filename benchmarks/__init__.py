"""Performance harness of npsdiag: large synthetic exports and ``make bench``.

``python -m benchmarks.generate --scale 1m`` writes a synthetic export of
about a million responses (CSV and Parquet) under ``benchmarks/data/``;
``python -m benchmarks.run`` (``make bench``) measures wall time and peak
memory per stage and end to end against the floor (a notebook that only
reads the export), writing ``benchmarks/results/*.json`` and a markdown
table.
"""
