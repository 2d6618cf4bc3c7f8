"""The one Markdown table renderer of every report (search, predictors, analysis, transfer)."""
from __future__ import annotations


def table_lines(header, rows) -> list[str]:
    """A GitHub Markdown table as lines: ``header`` cells, then one line per row of ``rows``
    (cells rendered with ``str``; format numbers before)."""
    header = [str(h) for h in header]
    return (["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
            + ["| " + " | ".join(str(x) for x in row) + " |" for row in rows])


def table(header, rows) -> str:
    """:func:`table_lines` joined by newlines."""
    return "\n".join(table_lines(header, rows))
