"""What a file is before it is read: its kind (CSV, Excel, Parquet), a CSV's encoding and delimiter.

Nothing here reads a whole table: at most the first 64 KB, or the whole file
in 1 MB chunks to check that it decodes as UTF-8.
"""

from __future__ import annotations

import codecs
import csv
import io
import mmap
import re
from pathlib import Path

import numpy as np

from ..config import TableSpec
from ..errors import NpsdiagError, Problem

__all__ = ["DELIMITERS", "SAMPLE_BYTES", "MIXED_ENCODING", "sniff_csv", "delimiter_scores", "choose_delimiter",
           "read_sample", "utf8_holds", "holds_utf8_text", "fallback_encoding", "holds_byte", "is_binary", "sniff_kind",
           "detect_format", "csv_dialect"]

DELIMITERS = (",", ";", "\t", "|")  #: delimiters tried when a CSV's delimiter is not given
SAMPLE_BYTES = 65536  #: the sample a CSV's encoding and delimiter are detected from
#: The encoding of a file that mixes UTF-8 and Windows-1252 text (lines appended by two systems, a file edited in
#: two editors): each UTF-8 character is read as UTF-8, every other byte as Windows-1252 (a codec registered here,
#: usable by Python, pandas and pyarrow alike).
MIXED_ENCODING = "utf-8-cp1252"


def _cp1252_byte(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: bytes that are not UTF-8 decoded as Windows-1252."""
    if isinstance(exc, UnicodeDecodeError):
        return exc.object[exc.start:exc.end].decode("cp1252", errors="replace"), exc.end
    raise exc


codecs.register_error("npsdiag-cp1252", _cp1252_byte)


class _MixedDecoder(codecs.BufferedIncrementalDecoder):
    def _buffer_decode(self, data, errors, final):  # noqa: ANN001 - codecs' signature
        return codecs.utf_8_decode(data, "npsdiag-cp1252", final)


def _mixed_decode(data: bytes, errors: str = "strict") -> tuple[str, int]:
    return codecs.utf_8_decode(data, "npsdiag-cp1252", True)


_MIXED_INFO = codecs.CodecInfo(name=MIXED_ENCODING, encode=codecs.utf_8_encode, decode=_mixed_decode,
                               incrementaldecoder=_MixedDecoder,
                               incrementalencoder=codecs.getincrementalencoder("utf-8"))
codecs.register(lambda name: _MIXED_INFO if name.replace("-", "_") == MIXED_ENCODING.replace("-", "_") else None)


#: A non-ASCII character that is not an undecodable byte (``surrogateescape`` turns those into U+DC80-U+DCFF).
_UTF8_CHAR = re.compile("[\x80-\udc7f\udd00-\U0010ffff]")


def _has_utf8_text(text: str) -> bool:
    """Whether text decoded with ``surrogateescape`` holds a character that was valid UTF-8 beyond ASCII."""
    return not text.isascii() and _UTF8_CHAR.search(text) is not None


def _decode_sample(raw: bytes, encoding: str | None) -> tuple[str, str]:
    if encoding:
        return raw.decode(encoding, errors="replace"), encoding
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", errors="replace"), "utf-16"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start > len(raw) - 4:  # a multi-byte character cut by the sample's end
            return raw[: exc.start].decode("utf-8"), "utf-8"
    enc = MIXED_ENCODING if _has_utf8_text(raw.decode("utf-8", errors="surrogateescape")) else "cp1252"
    return raw.decode(enc, errors="replace"), enc


def holds_utf8_text(path: Path) -> bool:
    """Whether the file holds a valid UTF-8 character beyond ASCII (read in 1 MB chunks, stopping at the first)."""
    dec = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            if _has_utf8_text(dec.decode(chunk)):
                return True
    return _has_utf8_text(dec.decode(b"", final=True))


def utf8_holds(path: Path) -> bool:
    """Whether the whole file decodes as UTF-8 (checked in 1 MB chunks, without holding it in memory)."""
    dec = codecs.getincrementaldecoder("utf-8")()
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                dec.decode(chunk)
        dec.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def fallback_encoding(path: Path) -> str:
    """The encoding of a file that is not UTF-8 throughout: :data:`MIXED_ENCODING` when it also holds UTF-8 text,
    else Windows-1252 (a superset of printable Latin-1)."""
    return MIXED_ENCODING if holds_utf8_text(path) else "cp1252"


def _records(sample: str, delimiter: str, limit: int = 30) -> list[list[str]]:
    """The first complete records of a text sample split with ``delimiter`` (quote-aware)."""
    if sample.endswith(("\n", "\r")):
        body = sample
    else:  # the sample may end inside a record: drop that last, partial one
        cut = max(sample.rfind("\n"), sample.rfind("\r"))
        body = sample[: cut + 1] if cut > 0 else sample
    rows: list[list[str]] = []
    try:
        for row in csv.reader(io.StringIO(body), delimiter=delimiter):
            if any(c.strip() for c in row):
                rows.append(row)
            if len(rows) >= limit:
                break
    except csv.Error:
        pass
    return rows


def delimiter_scores(sample: str) -> dict[str, tuple[float, int]]:
    """How well each candidate delimiter splits a text sample.

    Returns
    -------
    dict
        Per candidate of :data:`DELIMITERS`: (share of records with as many
        fields as the header, number of header fields).

    Examples
    --------
    >>> delimiter_scores("a;b\\n1;2\\n")[";"]
    (1.0, 2)
    """
    out = {}
    for cand in DELIMITERS:
        rows = _records(sample, cand)
        if not rows:
            out[cand] = (0.0, 0)
            continue
        width = len(rows[0])
        body = rows[1:]
        share = float(np.mean([len(r) == width for r in body])) if body else 1.0
        out[cand] = (share if width > 1 else 0.0, width)
    return out


def choose_delimiter(sample: str) -> str:
    """The delimiter of a text sample: the best of :func:`delimiter_scores`, :class:`csv.Sniffer` breaking ties."""
    scores = delimiter_scores(sample)
    best = max(DELIMITERS, key=lambda c: (round(scores[c][0], 2), scores[c][1]))
    try:
        sniffed = csv.Sniffer().sniff("\n".join(sample.splitlines()[:50]), delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        sniffed = None
    if sniffed in scores and scores[sniffed][1] > 1 and round(scores[sniffed][0], 2) >= round(scores[best][0], 2):
        return sniffed
    return best if scores[best][1] > 1 else (sniffed or ",")


def read_sample(path: Path, encoding: str | None, whole: bool = True) -> tuple[str, str]:
    """The first 64 KB as text, and the encoding; UTF-8 only if the whole file decodes (the sample: ``whole=False``)."""
    with open(path, "rb") as fh:
        raw = fh.read(SAMPLE_BYTES)
    text, enc = _decode_sample(raw, encoding)
    if whole and encoding is None and enc == "utf-8" and path.stat().st_size > SAMPLE_BYTES \
            and not utf8_holds(path):
        enc = fallback_encoding(path)  # UTF-8 at the top, Windows-1252 further down (or throughout)
        text = raw.decode(enc, errors="replace")
    return text, enc


def sniff_csv(path: Path, encoding: str | None = None, delimiter: str | None = None,
              whole: bool = True) -> tuple[str, str]:
    """Detect (encoding, delimiter) of a delimited text file.

    Encoding: a BOM, else UTF-8 if the whole file decodes, else
    :data:`MIXED_ENCODING` when it holds both UTF-8 text and bytes that are
    not UTF-8 (each read in its own encoding), else Windows-1252 (a superset
    of printable Latin-1). Delimiter: the candidate of
    :data:`DELIMITERS` that splits the first records of the first 64 KB
    into the most fields consistently with the header (quote-aware), with
    :class:`csv.Sniffer` as tie-breaker.

    With ``whole=False`` UTF-8 is judged from the first 64 KB only (pyarrow
    then checks every cell it reads, see :func:`~npsdiag.io.read.read_raw`).
    """
    text, enc = read_sample(path, encoding, whole)
    if delimiter:
        return enc, delimiter
    return enc, choose_delimiter(text)


def csv_dialect(path: Path, spec: TableSpec, whole: bool = True) -> tuple[str, str]:
    """(encoding, delimiter) of a CSV: the spec's, else detected; bad settings raise :class:`NpsdiagError`.

    ``whole=False``: UTF-8 is judged from the first 64 KB only (see :func:`sniff_csv`).
    """
    file = str(path)
    try:
        enc, delim = sniff_csv(path, spec.encoding, spec.delimiter, whole)
    except LookupError:
        raise NpsdiagError(Problem(f"unknown encoding '{spec.encoding}'", file=file, where=f"{spec.name}.encoding",
                                   hint="use e.g. utf-8, cp1252 or latin-1, or remove `encoding:` to detect it")) \
            from None
    if not isinstance(delim, str) or len(delim) != 1:
        raise NpsdiagError(Problem(f"delimiter {delim!r} must be a single character", file=file,
                                   where=f"{spec.name}.delimiter",
                                   hint="e.g. `delimiter: ';'`, or remove `delimiter:` to detect it"))
    return enc, delim


def is_binary(path: Path) -> bool:
    """Whether the file's first 8 KB are not text: NUL bytes in more than 1% of them (and no UTF-16 byte-order mark).

    A stray NUL in a text export (a cell pasted from another system) does not make it binary: the reader removes
    it from the values and says so.
    """
    with open(path, "rb") as fh:
        head = fh.read(8192)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    return head.count(b"\x00") > max(len(head) // 100, 0)


def holds_byte(path: Path, byte: bytes) -> bool:
    """Whether the file holds ``byte`` anywhere (a memory-mapped search: the file is not read into memory)."""
    try:
        with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as m:
            return m.find(byte) >= 0
    except (OSError, ValueError):  # not mappable: assume it does
        return True


def sniff_kind(path: Path) -> str | None:
    """What a file really is, from its first bytes: 'excel', 'excel-xls', 'parquet', or None."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PK\x03\x04"):
        return "excel"  # xlsx is a zip; other zips fail clearly in the Excel reader
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "excel-xls"
    if head.startswith(b"PAR1"):
        return "parquet"
    return None


def detect_format(path: Path, spec: TableSpec) -> str:
    """The format to read a file with: the spec's, else from its suffix ('excel', 'parquet', else 'csv')."""
    if spec.format != "auto":
        return spec.format
    suf = path.suffix.lower()
    if suf in (".xlsx", ".xlsm", ".xls"):
        return "excel"
    if suf in (".parquet", ".pq"):
        return "parquet"
    return "csv"
