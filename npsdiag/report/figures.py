"""Figures embedded in the report: rendered plainly by matplotlib, reduced to a palette PNG by Pillow.

A figure is saved with ``savefig(format="png", facecolor="white")`` inside
:func:`npsdiag.plotting.style` (the style it was drawn in, so draw-time
settings stay the same), at a resolution that keeps
it at most :data:`MAX_FIGURE_PX` pixels wide. Plots hold few colours, so the
PNG is then turned into a 256-colour palette image (:func:`palette_png`):
visually the same, a fraction of the size, so the report's size does not
grow with the data.
"""

from __future__ import annotations

import base64
import io
import warnings
from typing import Any

import numpy as np
from PIL import Image

from .. import plotting
from ..findings import Figure
from .partials import render
from .text import client_text

__all__ = ["MAX_FIGURE_PX", "DEFAULT_DPI", "PHONE_INCHES", "PHONE_DPI", "phone_png", "PINNED_COLOURS",
           "OCTREE_MAX_COLOURS", "figure_html", "render_png",
           "palette_png", "exact_palette", "quantize"]

#: Largest figure width in pixels (figures wider than the page are rendered at a lower dpi).
MAX_FIGURE_PX = 1000
#: Size (inches) and resolution of a figure's phone variant: 400 px wide, its text about 13 px.
PHONE_INCHES = (4.0, 3.4)
PHONE_DPI = 100
#: Resolution of the report's figures (``savefig.dpi`` of :data:`npsdiag.plotting.STYLE`).
DEFAULT_DPI = 110
#: Most frequent colours of a figure kept exact in its palette (background, bars, text, grid).
PINNED_COLOURS = 64
#: Plots hold a few hundred to a few thousand colours; beyond this (smooth gradients, photographs) the octree's
#: coarse buckets show, and the slower maximum-coverage quantizer is used.
OCTREE_MAX_COLOURS = 8192


def figure_html(fig: Figure | Any, caption: str = "", dpi: int = DEFAULT_DPI, redact: bool = False,
                phone: bool = False) -> str:
    """Embed a figure as an inline PNG, with its caption as alt text and below it.

    Parameters
    ----------
    fig : Figure or matplotlib figure
        A :class:`npsdiag.findings.Figure` record (its caption is used when
        ``caption`` is empty) or anything with matplotlib's ``savefig``.
    caption : str
        Shown under the figure (numbered "Figure n" in the report).
    dpi : int
        Resolution, lowered so that the image is never wider than
        :data:`MAX_FIGURE_PX` pixels.
    redact : bool
        Mask personal data in the caption and in the client text drawn inside
        the figure (segment values, owner and role names: every
        :func:`npsdiag.plotting.label`), when the record draws it now.
    phone : bool
        Also embed a phone-sized variant (:data:`PHONE_INCHES` wide, shown on screens narrower than 40rem), so
        that the chart's text stays legible on a phone instead of shrinking with the picture; when no legible
        variant can be drawn, the phone scrolls the full-size picture sideways in its own box.

    Returns
    -------
    str
        ``<figure class="fig">`` (partial ``figure.html.j2``); empty when
        there is no figure.
    """
    record = fig if isinstance(fig, Figure) else None
    if isinstance(fig, Figure):
        caption = caption or fig.caption
        try:
            with plotting.style(redact=redact):
                fig = fig.figure  # drawn now when the record holds how to draw it
        except Exception as exc:  # noqa: BLE001 - a figure must never stop the report: say it is missing
            return render("figure.html.j2", data=None, width=None, height=None,
                          caption=client_text(f"{caption} (This figure could not be drawn: "
                                              f"{type(exc).__name__}.)", redact))
    if fig is None:
        return ""
    try:
        width_in = float(fig.get_size_inches()[0])
    except (AttributeError, TypeError, IndexError):
        width_in = 7.5
    dpi = max(50, min(int(dpi), int(MAX_FIGURE_PX / max(width_in, 0.5))))
    if record is not None and dpi in record.rendered:  # shown before (an exhibit of the report, then the appendix)
        png, (w, h) = record.rendered[dpi]
    else:
        png, (w, h) = render_png(fig, dpi)
        if record is not None:
            record.rendered[dpi] = (png, (w, h))
    small = phone_png(fig) if phone else None
    return render("figure.html.j2", data=base64.b64encode(png).decode("ascii"), width=w, height=h,
                  phone=base64.b64encode(small).decode("ascii") if small else None,
                  scroll=phone and small is None, caption=client_text(caption, redact))


def phone_png(fig: Any) -> bytes | None:
    """The figure redrawn :data:`PHONE_INCHES` wide for a phone (its size and ticks restored afterwards), or None.

    The same fonts on a narrower canvas, so that on a 390 px screen its text is as large as on paper; tick labels
    that would overlap are thinned (every second, third... label kept). When other texts still overlap
    (:func:`npsdiag.plotting.overlapping_labels`), there is no phone variant: the report then lets the phone
    scroll the full-size figure inside its box.
    """
    try:
        size = fig.get_size_inches().copy()
    except AttributeError:
        return None
    width, height = PHONE_INCHES
    restore = None
    try:
        with plotting.style(), warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always")
            fig.set_size_inches(width, max(height, min(size[1] * width / size[0] * 1.6, 1.4 * height)))
            restore = plotting.thin_ticks(fig)
            overlap, clipped = plotting.legibility(fig)
            # matplotlib warns when the plot area collapses at this size: then there is no legible variant either
            legible = not overlap and not clipped and not plotting.layout_collapsed(said)
            png = render_png(fig, PHONE_DPI)[0] if legible else None
    except Exception:  # noqa: BLE001 - the desktop image is still shown
        png = None
    finally:
        if restore is not None:
            restore()
        fig.set_size_inches(size)
    return png


def render_png(fig: Any, dpi: int) -> tuple[bytes, tuple[int, int]]:
    """``fig`` as a palette PNG at ``dpi`` (its constrained layout keeps every label on the canvas).

    Rendered inside :func:`npsdiag.plotting.style`; the figure itself is
    left as it was (matplotlib restores its dpi and face colour after
    saving), so a notebook can still show it.

    Returns
    -------
    bytes, (int, int)
        The PNG and its width and height in pixels.
    """
    buf = io.BytesIO()
    with plotting.style():
        fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    return palette_png(buf.getvalue())


def palette_png(image: bytes | np.ndarray) -> tuple[bytes, tuple[int, int]]:
    """An image (PNG bytes or RGB pixels) as a 256-colour palette PNG; returns the PNG and its size.

    Plots have few colours: the palette image is visually identical and a
    fraction of the size. Up to 256 colours the palette is exact; beyond,
    see :func:`quantize`. Given PNG bytes, the smaller of the two PNGs is
    returned.

    Examples
    --------
    >>> rgb = np.zeros((2, 3, 3), dtype=np.uint8)
    >>> rgb[0, 0] = 255
    >>> png, size = palette_png(rgb)
    >>> img = Image.open(io.BytesIO(png))
    >>> size, img.mode, np.array_equal(np.asarray(img.convert("RGB")), rgb)
    ((3, 2), 'P', True)
    """
    img = Image.fromarray(image, "RGB") if isinstance(image, np.ndarray) else (
        Image.open(io.BytesIO(image)).convert("RGB"))
    colours = img.getcolors(256)
    small_img = exact_palette(img, colours) if colours is not None else quantize(img)
    out = io.BytesIO()
    # zlib level 6: on the report's 26 figures at 100k, 0.10 s and 366 kB against 0.24 s and 336 kB at level 8
    small_img.save(out, format="PNG", compress_level=6)
    small = out.getvalue()
    if isinstance(image, np.ndarray) or len(small) < len(image):
        return small, img.size
    return image, img.size


def exact_palette(img: Image.Image, colours: list[tuple[int, tuple[int, int, int]]]) -> Image.Image:
    """The palette image of an RGB image of at most 256 ``colours`` (``img.getcolors()``), every pixel exact."""
    pal = np.array(sorted((r << 16) | (g << 8) | b for _, (r, g, b) in colours), dtype=np.uint32)
    rgb = np.asarray(img).astype(np.uint32)
    key = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    out = Image.fromarray(np.searchsorted(pal, key).astype(np.uint8), "P")
    out.putpalette(np.stack([pal >> 16, (pal >> 8) & 255, pal & 255], axis=1).astype(np.uint8).tobytes())
    return out


def quantize(img: Image.Image) -> Image.Image:
    """A 256-colour palette image of an RGB plot with more colours (anti-aliased edges), no dithering.

    Pillow's fast octree picks the palette (a tenth of the time of median
    cut), then the :data:`PINNED_COLOURS` most frequent colours are put back
    exactly into the entries they fell in: the white background, fills, text
    and grid keep their colour; only anti-aliasing shades move, by a few
    levels. An image with more than :data:`OCTREE_MAX_COLOURS` colours (a
    smooth gradient, a photograph) goes through Pillow's maximum-coverage
    quantizer instead.
    """
    counts = img.getcolors(OCTREE_MAX_COLOURS)
    if counts is None:
        return img.quantize(colors=256, method=Image.Quantize.MAXCOVERAGE, dither=Image.Dither.NONE)
    counts.sort(key=lambda c: -c[0])
    rgb = np.asarray(img)
    h, w = rgb.shape[:2]
    top = np.array([c for _, c in counts[:min(PINNED_COLOURS, w)]], dtype=np.uint8)
    strip = np.full((1, w, 3), 255, dtype=np.uint8)  # one row holding the pinned colours, to read their entries
    strip[0, :len(top)] = top
    q = Image.fromarray(np.concatenate([rgb, strip]), "RGB").quantize(
        colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    idx = np.asarray(q)
    pal = np.frombuffer(bytes(q.getpalette()), dtype=np.uint8).reshape(-1, 3).copy()
    pal[idx[h, len(top) - 1::-1]] = top[::-1]  # the most frequent colour wins an entry two colours share
    out = Image.fromarray(np.ascontiguousarray(idx[:h]), "P")
    out.putpalette(pal.tobytes())
    return out
