"""Everything a run writes beside the report: findings.json, the CSVs, the brief, the data pack, the private annex.

:func:`write_deliverable` is the notebook's last step. The client's files
(findings.json, ``brief.html``, ``datapack.xlsx``) show owners by their
aliases (:func:`npsdiag.story.anonymise`) unless ``settings.name_owners``;
``private/owners.html`` holds the names, for the programme owner only, and
``private/callback_queue.csv`` the callback queue with its owners named, for
the customer-success team that makes the calls; the client's copy has no
owner column (beside account names, even an alias would name the person).
"""

from __future__ import annotations

from pathlib import Path

from .clean import Prepared
from .datapack import datapack_tables, write_datapack
from .findings import Diagnosis
from .outputs import write_csv_safely, write_outputs
from .report.pages import brief, owners_annex
from .story import Story

__all__ = ["write_deliverable", "FILES"]

#: The files of a run's output folder, beside the report and appendix the runner renders from the notebook.
FILES = ("findings.json", "brief.html", "datapack.xlsx", "private/owners.html", "private/callback_queue.csv",
         "callback_queue.csv", "renewal_risk.csv", "segments.csv")


def _write_text(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".part")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


def write_deliverable(diag: Diagnosis, client: Diagnosis, story: Story, prep: Prepared,
                      output_dir: str | Path) -> list[Path]:
    """Write the run's files into ``output_dir`` (see :data:`FILES`).

    Parameters
    ----------
    diag : Diagnosis
        The diagnosis with owners as the data names them (for the private annex and the CSV work lists).
    client : Diagnosis
        The same diagnosis as the client sees it (:func:`npsdiag.story.anonymise`).
    story : Story
        :func:`npsdiag.story.tell` of ``client``.
    prep : Prepared
    output_dir : path

    Returns
    -------
    list of Path
        The files written.
    """
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    s = prep.settings
    written = write_outputs(client, prep, out, story=story)
    written.append(_write_text(out / "brief.html", brief(client, story, redact=s.redact_pii,
                                                          confidence=s.confidence)))
    tables = datapack_tables(client, story, prep.lineage, redact=s.redact_pii)
    written.append(write_datapack(out / "datapack.xlsx", tables, s.currency))
    written.append(_write_text(out / "private" / "owners.html", owners_annex(diag, story, prep, redact=s.redact_pii)))
    decay = diag.areas.get("decay")
    queue = decay.exports.get("callback_queue.csv") if decay is not None else None
    if queue is not None and client is not diag and "owner" in queue:
        written.append(write_csv_safely(queue, out / "private" / "callback_queue.csv"))
    return written
