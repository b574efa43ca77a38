"""Problems found in a config or in the data, reported in plain language.

A :class:`Problem` names where it is (file, key or column, rows) and what to
do. Loading collects every problem it can before giving up, so that
``npsdiag validate`` lists them all at once; :class:`NpsdiagError` carries
them to the user without a traceback.
"""

from __future__ import annotations

import contextlib
import difflib
import errno
import signal
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

__all__ = ["Problem", "NpsdiagError", "Interrupted", "suggest", "format_rows", "os_problem", "stop_on_signals",
           "check_stop"]


@dataclass
class Problem:
    """One problem in a config or a data file.

    Attributes
    ----------
    message : str
        What is wrong, in plain language.
    fatal : bool
        True when the diagnosis cannot run until it is fixed.
    file : str, optional
        The file concerned (config or data).
    where : str, optional
        The key (``responses.columns.score``), column or sheet concerned.
    rows : list of int
        Row numbers in the file (1 = first line of the file), a few examples.
    hint : str
        What to do.
    """

    message: str
    fatal: bool = True
    file: str | None = None
    where: str | None = None
    rows: list[int] = field(default_factory=list)
    hint: str = ""

    def __str__(self) -> str:
        level = "ERROR" if self.fatal else "warning"
        loc = []
        if self.file:
            loc.append(str(self.file))
        if self.where:
            loc.append(self.where)
        head = f"{level}: " + (" · ".join(loc) + ": " if loc else "") + self.message
        if self.rows:
            head += f" (rows {format_rows(self.rows)})"
        if self.hint:
            head += f"\n    → {self.hint}"
        return head


class NpsdiagError(Exception):
    """An error the user can fix: carries one or more :class:`Problem`."""

    def __init__(self, problems: Problem | Sequence[Problem] | str, text: str | None = None):
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = list(problems)
        self._text = text
        super().__init__(self.message)

    @classmethod
    def from_text(cls, text: str) -> NpsdiagError:
        """An error whose message is already formatted (e.g. relayed from the notebook's kernel)."""
        return cls([], text=text)

    @property
    def message(self) -> str:
        if self._text:
            return self._text
        return "\n".join(str(p) for p in self.problems)


class Interrupted(KeyboardInterrupt):
    """The run was stopped by a signal (Ctrl-C, or a ``kill``): ``exit_code`` is 128 + the signal's number."""

    def __init__(self, signum: int = signal.SIGINT):
        self.signum = int(signum)
        super().__init__(f"stopped by signal {self.signum}")

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


#: The stop signals received while :func:`stop_on_signals` is active (the first one stops the work).
_STOP_SIGNALS: list[int] = []
_DEPTH: list[int] = [0]


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """While it lasts, Ctrl-C, SIGTERM (``kill``) and SIGHUP (the terminal closed) ask the work to stop.

    The handler only records the signal: raised at any point, the exception could land inside an import's
    callback, where it is only printed ("Exception ignored in ...") and leaves the import machinery stuck. The
    work stops at its next :func:`check_stop` (:class:`Interrupted`, exit code 128 + the signal). Outside the
    main thread it does nothing (signals reach the main thread only); nested, the outer handlers come back.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):  # noqa: ARG001 - the signal module's signature
        _STOP_SIGNALS.append(signum)

    if not _DEPTH[0]:
        _STOP_SIGNALS.clear()
    _DEPTH[0] += 1
    wanted = [signal.SIGINT, signal.SIGTERM] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])
    previous = {sig: signal.signal(sig, stop) for sig in wanted}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _DEPTH[0] -= 1
        if not _DEPTH[0]:
            _STOP_SIGNALS.clear()


def check_stop() -> None:
    """Raise :class:`Interrupted` when a stop signal came while :func:`stop_on_signals` was active."""
    if _STOP_SIGNALS:
        raise Interrupted(_STOP_SIGNALS[0])


#: What an error of the operating system means to the user, by errno.
_OS_MESSAGES = {
    errno.ENOSPC: ("the disk is full", "free some space (or choose another folder with --output) and run again"),
    errno.EDQUOT: ("the disk quota is exhausted", "free some space (or choose another folder) and run again"),
    errno.EACCES: ("permission denied", "choose a folder you can write to, or ask for write access"),
    errno.EPERM: ("operation not permitted", "choose a folder you can write to, or ask for write access"),
    errno.EROFS: ("the file system is read-only", "choose a folder on a writable disk"),
    errno.ENAMETOOLONG: ("a file or folder name is too long", "choose a shorter path or client name"),
    errno.ENOTDIR: ("a part of the path is a file, not a folder", "check the path"),
    errno.EISDIR: ("a folder is in the way of a file", "check the path"),
    errno.EEXIST: ("a file is in the way", "check the path"),
}


def os_problem(exc: OSError, doing: str = "") -> Problem | None:
    """A plain :class:`Problem` for an error of the operating system a user can fix (full disk, no permission,
    name too long...), or None for other errors.

    Examples
    --------
    >>> import errno
    >>> os_problem(OSError(errno.ENOSPC, "No space left on device", "/tmp/x"), "writing the report").message
    'writing the report: the disk is full (/tmp/x)'
    """
    known = _OS_MESSAGES.get(getattr(exc, "errno", None))
    if known is None:
        return None
    what, hint = known
    where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
    return Problem(f"{doing + ': ' if doing else ''}{what}{where}", hint=hint)


def suggest(name: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to a mistyped name, or None (difflib ratio >= 0.6).

    Case and surrounding spaces are ignored when comparing.
    """
    cands = [str(c) for c in candidates]
    lowered = {c.strip().lower(): c for c in cands}
    key = str(name).strip().lower()
    if key in lowered:
        return lowered[key]
    match = difflib.get_close_matches(key, list(lowered), n=1, cutoff=0.6)
    return lowered[match[0]] if match else None


def format_rows(rows: Sequence[int], limit: int = 5) -> str:
    """'3, 7, 12 and 40 more' style list of row numbers."""
    rows = list(rows)
    shown = ", ".join(str(r) for r in rows[:limit])
    if len(rows) > limit:
        shown += f" and {len(rows) - limit} more"
    return shown
