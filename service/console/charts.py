"""Small server-side SVG charts (bars, stacked bars, lines) with axis labels and an accessible title.

The numbers behind a chart are always shown in a table under it; the SVG is a picture of that table.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

PALETTE = ("#0f6e9c", "#e07b00", "#2e7d32", "#b23a48", "#6b4fa3", "#7a7a7a", "#c9a100", "#00897b")
WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 28, 58
_ids = itertools.count(1)


@dataclass(frozen=True)
class Series:
    """One named row of values, one value per label."""

    name: str
    values: list[float]


def _scale(peak: float) -> tuple[int, int]:
    """The y axis for values up to `peak`: a whole step (1, 2 or 5 × 10^n) and a top that is a multiple
    of it, five steps at most, so every grid line is a whole number and a bar of 1 meets the line of 1."""
    for magnitude in (10**n for n in itertools.count()):
        for step in (magnitude, 2 * magnitude, 5 * magnitude):
            if peak <= 5 * step:
                return step, max(step, step * math.ceil(peak / step))
    raise AssertionError("unreachable")


def _boxed(svg: str) -> Markup:
    """The chart in a box that scrolls sideways on a phone, where the chart keeps its drawn size so that
    its text stays 11 px high instead of shrinking with the screen."""
    return Markup(f'<div class="chart-box">{svg}</div>')


def _frame(title: str, labels: list[str], scale: tuple[int, int], y_label: str, series: list[Series]) -> str:
    """The SVG opening: title, y grid with values, x labels, legend."""
    chart_id = f"chart{next(_ids)}"
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{chart_id}" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}">{escape(title)}</title>',
    ]
    step, top = scale
    for value in range(0, top + 1, step):
        y = TOP + plot_h - plot_h * value / top
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#e3e6ea"/>')
        parts.append(f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end">{value}</text>')
    parts.append(
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" stroke="#555"/>'
    )
    if y_label:
        parts.append(f'<text x="4" y="{TOP - 10}">{escape(y_label)}</text>')
    slot = plot_w / max(len(labels), 1)
    every = max(1, len(labels) // 12)
    for index, label in enumerate(labels):
        if index % every:
            continue
        x = LEFT + slot * (index + 0.5)
        parts.append(
            f'<text x="{x:.1f}" y="{TOP + plot_h + 14}" text-anchor="end" '
            f'transform="rotate(-35 {x:.1f} {TOP + plot_h + 14})">{escape(label)}</text>'
        )
    legend_x = LEFT
    for index, one in enumerate(series if len(series) > 1 else []):
        color = PALETTE[index % len(PALETTE)]
        parts.append(f'<rect x="{legend_x}" y="6" width="10" height="10" fill="{color}"/>')
        parts.append(f'<text x="{legend_x + 14}" y="15">{escape(one.name)}</text>')
        legend_x += 22 + 7 * len(one.name)
    return "".join(parts)


def bar_chart(
    title: str, labels: list[str], series: list[Series], *, stacked: bool = False, y_label: str = ""
) -> Markup:
    """Grouped bars, or stacked bars when `stacked`, one group per label."""
    totals = [sum(one.values[i] for one in series) for i in range(len(labels))]
    peak = max(totals if stacked else [v for one in series for v in one.values] or [0], default=0)
    step, top = _scale(max(peak, 4))
    head = _frame(title, labels, (step, top), y_label, series)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(labels), 1)
    bars = []
    for index in range(len(labels)):
        base: float = TOP + plot_h
        width = slot * 0.7 / (1 if stacked else max(len(series), 1))
        for number, one in enumerate(series):
            value = one.values[index]
            height = plot_h * value / top
            x = LEFT + slot * index + slot * 0.15 + (0 if stacked else number * width)
            y = base - height
            color = PALETTE[number % len(PALETTE)]
            bars.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" fill="{color}">'
                f"<title>{escape(labels[index])} — {escape(one.name)} : {value:g}</title></rect>"
            )
            if stacked:
                base = y
    return _boxed(head + "".join(bars) + "</svg>")


def line_chart(
    title: str, labels: list[str], series: list[Series], *, y_max: float | None = None, y_label: str = ""
) -> Markup:
    """One line per series; a missing value (None) breaks the line."""
    peak = max((v for one in series for v in one.values if v is not None), default=0)
    step, top = _scale(y_max if y_max is not None else max(peak, 1))
    head = _frame(title, labels, (step, top), y_label, series)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(labels), 1)
    lines = []
    for number, one in enumerate(series):
        color = PALETTE[number % len(PALETTE)]
        points = []
        for index, value in enumerate(one.values):
            if value is None:
                continue
            x, y = LEFT + slot * (index + 0.5), TOP + plot_h - plot_h * value / top
            points.append(f"{x:.1f},{y:.1f}")
            lines.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}">'
                f"<title>{escape(labels[index])} — {escape(one.name)} : {value:g}</title></circle>"
            )
        if len(points) > 1:
            lines.insert(
                0, f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{" ".join(points)}"/>'
            )
    return _boxed(head + "".join(lines) + "</svg>")
