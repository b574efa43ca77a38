"""The data pack's workbook: cell types, unit formats, formula neutralisation, the Contents sheet."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from openpyxl import load_workbook

from npsdiag.datapack import write_datapack


def test_cells_keep_their_type_and_unit_format(tmp_path):
    table = pd.DataFrame({
        "segment": ["=HYPERLINK(\"x\")", "North", None],
        "share_responses": [0.25, 0.5, np.nan],
        "nps": [12.34, -5.0, np.inf],
        "responses": pd.array([3, 4, None], dtype="Int64"),
        "responded_at": pd.to_datetime(["2025-01-02", None, "2025-03-04"]),
        "flagged": [True, False, True],
    })
    path = write_datapack(tmp_path / "pack.xlsx", [("Segments", "NPS per segment", table)], currency="EUR")
    wb = load_workbook(path)
    assert wb.sheetnames == ["Contents", "Segments"]
    assert [c.value for c in wb["Contents"][2]] == ["Segments", "Segments", "NPS per segment", 3]
    ws = wb["Segments"]
    header = [c.value for c in ws[1]]
    assert header[0].endswith("(text)") and header[1].endswith("(share)") and header[3].endswith("(count)")
    assert ws.freeze_panes == "A2"
    # text that a spreadsheet would run is neutralised and stays text
    assert ws["A2"].value == "'=HYPERLINK(\"x\")" and ws["A2"].data_type == "s"
    assert ws["A4"].value is None
    # shares are numbers shown as percentages; missing and infinite values are empty cells
    assert ws["B2"].value == 0.25 and ws["B2"].number_format == "0.0%" and ws["B4"].value is None
    assert ws["C2"].value == 12.34 and ws["C4"].value is None
    assert ws["D3"].value == 4 and ws["D4"].value is None
    assert ws["E2"].value == dt.datetime(2025, 1, 2) and ws["E3"].value is None
    assert ws["F2"].value is True and ws["F3"].value is False
