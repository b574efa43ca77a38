"""Profile one stage of the diagnosis on a benchmark export, for whoever is making it faster.

The prepared data of a scale is pickled once (``benchmarks/data/<scale>/prepared.pkl``, git-ignored) so
that profiling an area does not pay for loading the export every time.

Usage::

    python -m benchmarks.profile_area balance                 # time balance.diagnose at 1m
    python -m benchmarks.profile_area balance --profile 30    # plus the 30 costliest functions (cProfile)
    python -m benchmarks.profile_area load --scale 100k       # time io.load + clean.prepare
    python -m benchmarks.profile_area html:balance            # diagnose, then time report.area_html
    python -m benchmarks.profile_area balance --fresh         # re-load and re-pickle the prepared data

Prints seconds and the process's peak resident memory (MB) of the stage.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pickle
import pstats
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _peak_mb() -> float:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return float(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
    except OSError:
        pass


def _config(scale: str, fmt: str) -> Path:
    d = ROOT / "benchmarks" / "data" / scale
    cfg = d / ("config-parquet.yml" if fmt == "parquet" else "config.yml")
    if not cfg.exists():
        sys.exit(f"{cfg} not found: run `python -m benchmarks.generate --scale {scale}` first")
    return cfg


def _prepared(scale: str, fmt: str, fresh: bool):
    from npsdiag import clean, io
    from npsdiag.config import load_config

    pkl = ROOT / "benchmarks" / "data" / scale / f"prepared-{fmt}.pkl"
    if pkl.exists() and not fresh:
        with open(pkl, "rb") as fh:
            return pickle.load(fh)
    prep = clean.prepare(io.load(load_config(_config(scale, fmt))))
    prep._cache.clear()
    with open(pkl, "wb") as fh:
        pickle.dump(prep, fh, protocol=pickle.HIGHEST_PROTOCOL)
    return prep


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("stage", help="load | <area> | html:<area> | front")
    ap.add_argument("--scale", default="1m")
    ap.add_argument("--format", default="csv", choices=["csv", "parquet"])
    ap.add_argument("--profile", type=int, default=0, metavar="N", help="print the N costliest functions")
    ap.add_argument("--fresh", action="store_true", help="re-load the export instead of the pickled data")
    args = ap.parse_args(argv)

    from npsdiag import clean, diagnosis, io, report
    from npsdiag.areas import registry
    from npsdiag.config import load_config

    stage = args.stage
    if stage == "load":
        cfg = load_config(_config(args.scale, args.format))
        fn = lambda: clean.prepare(io.load(cfg))  # noqa: E731
    else:
        prep = _prepared(args.scale, args.format, args.fresh)
        areas = {a.name: a.diagnose for a in registry.AREAS}
        if stage.startswith("html:"):
            res = areas[stage[5:]](prep)
            fn = lambda: report.area_html(res, True)  # noqa: E731
        elif stage == "front":
            results = [f(prep) for f in areas.values()]
            diag = diagnosis.assemble(prep, results)

            def fn():
                trend = report.headline_trend(prep, freq="Q")
                return "".join([report.cover(diag), report.contents(diag),
                                report.executive_summary(diag, k=5, trend=trend, redact=True,
                                                         confidence=prep.settings.confidence),
                                report.action_plan(diag, True), report.methodology(diag),
                                report.data_appendix(prep), report.glossary(), report.footer(diag)])
        else:
            if stage not in areas:
                sys.exit(f"unknown stage {stage!r}; areas: {', '.join(areas)}")
            fn = lambda: areas[stage](prep)  # noqa: E731
    gc.collect()
    _reset_peak()
    prof = cProfile.Profile() if args.profile else None
    start = time.perf_counter()
    if prof:
        prof.enable()
    fn()
    if prof:
        prof.disable()
    secs = time.perf_counter() - start
    print(f"{stage} at {args.scale} ({args.format}): {secs:.2f} s, peak {_peak_mb():.0f} MB"
          + (" (under cProfile: slower than real)" if prof else ""))
    if prof:
        pstats.Stats(prof).sort_stats("cumulative").print_stats(args.profile)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
