"""The results table in docs/benchmarks.md: one block per database, replaced by each run on that database.

Everything outside the marked blocks is written by hand (method, fixes with figures before and after).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from bench.common import Figure

VERDICTS = {True: "met", False: "**missed**", None: ""}


def table(figures: Iterable[Figure]) -> str:
    """The figures as a Markdown table."""
    lines = [
        "| area | measure | result | baseline (same run) | ratio | target | target met | notes |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for figure in figures:
        cells = (
            figure.section,
            figure.measure,
            figure.value,
            figure.baseline,
            figure.ratio,
            figure.target,
            VERDICTS[figure.met],
            figure.notes,
        )
        lines.append("| " + " | ".join(cell.replace("|", "/") for cell in cells) + " |")
    return "\n".join(lines)


def block(database: str, heading: str, figures: list[Figure], plan: str, failures: list[str]) -> str:
    """The marked block of one database's results."""
    parts = [f"<!-- results:{database} -->", heading, "", table(figures), ""]
    if plan:
        parts += ["The sweeper's claim query, as the database plans it with the million rows:", "", "```"]
        parts += [plan, "```", ""]
    for failure in failures:
        parts.append(f"- **Not measured**: {failure}")
    parts.append(f"<!-- /results:{database} -->")
    return "\n".join(parts)


def write_block(document: Path, database: str, text: str) -> None:
    """Replace this database's block in `document`, or add it before the first section after Results."""
    start, end = f"<!-- results:{database} -->", f"<!-- /results:{database} -->"
    current = document.read_text(encoding="utf-8") if document.exists() else "# Benchmarks\n\n## Results\n"
    if start in current and end in current:
        before, rest = current.split(start, 1)
        after = rest.split(end, 1)[1]
        updated = before + text + after
    else:
        updated = current.rstrip("\n") + "\n\n" + text + "\n"
    document.write_text(updated, encoding="utf-8")
