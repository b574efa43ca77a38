"""Every figure the demo diagnosis draws is legible: no two texts overlap and none runs off the canvas.

The measure is matplotlib's own: each drawn text's bounding box in display pixels
(:func:`npsdiag.plotting.text_boxes`), so a label that collides with another, or a legend cut at the
figure's edge, fails here before a reader sees it in the report.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

from npsdiag import clean, diagnosis, io, plotting
from npsdiag.config import load_config


@pytest.fixture(scope="module")
def demo_figures(root):
    cfg = load_config(root / "examples" / "demo" / "config.yml")
    diag = diagnosis.diagnose(clean.prepare(io.load(cfg)))
    return [(name, f) for name, res in diag.areas.items() for f in res.figures]


def test_the_demo_draws_figures_in_most_areas(demo_figures):
    assert len({name for name, _ in demo_figures}) >= 5
    assert len(demo_figures) >= 12


def test_no_demo_figure_has_overlapping_or_clipped_labels(demo_figures):
    problems = []
    for name, record in demo_figures:
        fig = record.figure
        overlap = plotting.overlapping_labels(fig)
        clipped = plotting.clipped_labels(fig)
        if overlap or clipped:
            problems.append((name, record.key, overlap[:3], clipped[:3]))
        plt.close(fig)
    assert not problems, problems


def test_overlap_measure_catches_colliding_tick_labels():
    fig, ax = plotting.figure(width=4.0, height=2.5)
    ax.bar([f"category {i}" for i in range(12)], range(12))
    ax.tick_params(axis="x", rotation=0)
    assert plotting.overlapping_labels(fig)
    restore = plotting.thin_ticks(fig, max_passes=8)
    assert not plotting.overlapping_labels(fig)  # every k-th label kept until none collide
    restore()
    assert plotting.overlapping_labels(fig)  # and the figure is put back as it was
    plt.close(fig)
