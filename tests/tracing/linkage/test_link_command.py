"""`ftr link`'s output cells: spreadsheet-safe, each value as itself."""

from __future__ import annotations

import math

from tracing.linkage.link_command import _spreadsheet_safe


def test_each_cell_is_made_safe_as_itself() -> None:
    values: list[object] = ["=HYPERLINK()", "same", 1, 1.0, True, None, math.nan, "same", -3]
    assert _spreadsheet_safe(values) == [
        "'=HYPERLINK()",
        "same",
        "1",
        "1.0",
        "True",
        "",
        "nan",
        "same",
        "-3",
    ]
