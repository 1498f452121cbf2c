"""The report's charts as inline SVG: sharp at any zoom and in the PDF, small, and readable by
a test. Every bar is a `<rect class="bar">` carrying its series, its x label and its value
(`data-series`, `data-x`, `data-value`), so what is drawn can be checked against the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

FONT = "font-family='DejaVu Sans, Arial, sans-serif'"


@dataclass
class Series:
    name: str
    values: Sequence[float]
    colour: str


def _nice_max(value: float) -> float:
    """A round top for the axis, at or above `value`."""
    if value <= 0:
        return 1.0
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000):
        if value <= step * 5:
            return float(step * -(-value // step))
    magnitude = 10 ** (len(str(int(value))) - 1)
    return float(magnitude * -(-value // magnitude))


def _format(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"


def bar_chart(
    chart_id: str, title: str, labels: Sequence[str], series: Sequence[Series], *,
    stacked: bool = False, line: Series | None = None, line_label: str = "",
    width: int = 720, height: int = 230, y_label: str = "hits",
) -> str:
    """Grouped (or stacked) bars per label, with an optional line on a right-hand axis."""
    left, right, top, bottom = 48, 48 if line else 12, 30, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    if stacked:
        highest = max((sum(s.values[i] for s in series) for i in range(len(labels))), default=0)
    else:
        highest = max((v for s in series for v in s.values), default=0)
    y_max = _nice_max(highest)
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' id='{chart_id}' class='chart' "
        f"viewBox='0 0 {width} {height}' width='100%' role='img' aria-label='{escape(title)}'>",
        f"<text x='{left}' y='16' {FONT} font-size='13' font-weight='bold'>{escape(title)}</text>",
    ]
    for tick in range(5):
        value = y_max * tick / 4
        y = top + plot_h - plot_h * tick / 4
        parts.append(f"<line x1='{left}' x2='{left + plot_w}' y1='{y:.1f}' y2='{y:.1f}' "
                     "stroke='#e3e6ea'/>")
        parts.append(f"<text x='{left - 6}' y='{y + 4:.1f}' {FONT} font-size='10' "
                     f"text-anchor='end' fill='#555'>{_format(value)}</text>")
    parts.append(f"<text x='12' y='{top + plot_h / 2:.0f}' {FONT} font-size='10' fill='#555' "
                 f"transform='rotate(-90 12 {top + plot_h / 2:.0f})' text-anchor='middle'>"
                 f"{escape(y_label)}</text>")
    slot = plot_w / max(1, len(labels))
    groups = 1 if stacked else max(1, len(series))
    bar_w = slot * 0.78 / groups
    for i, label in enumerate(labels):
        x0 = left + slot * i + slot * 0.11
        base = 0.0
        for n, item in enumerate(series):
            value = float(item.values[i])
            h = plot_h * value / y_max
            x = x0 if stacked else x0 + bar_w * n
            y = top + plot_h - h - (plot_h * base / y_max if stacked else 0)
            parts.append(
                f"<rect class='bar' data-series='{escape(item.name)}' data-x='{escape(label)}' "
                f"data-value='{_format(value)}' x='{x:.2f}' y='{y:.2f}' width='{bar_w:.2f}' "
                f"height='{h:.2f}' fill='{item.colour}'><title>{escape(item.name)}, "
                f"{escape(label)}: {_format(value)}</title></rect>")
            if stacked:
                base += value
        parts.append(f"<text x='{left + slot * (i + 0.5):.1f}' y='{top + plot_h + 14}' {FONT} "
                     f"font-size='10' text-anchor='middle'>{escape(label)}</text>")
    if line is not None:
        parts.extend(_line(line, labels, left, top, plot_w, plot_h, slot, line_label))
    legend = [*series, *([line] if line else [])]
    x = left
    for item in legend if len(legend) > 1 or line else []:
        parts.append(f"<rect x='{x}' y='{height - 16}' width='10' height='10' "
                     f"fill='{item.colour}'/>")
        parts.append(f"<text x='{x + 14}' y='{height - 7}' {FONT} font-size='10'>"
                     f"{escape(item.name)}</text>")
        x += 24 + 6.2 * len(item.name)
    parts.append("</svg>")
    return "".join(parts)


def _line(line: Series, labels: Sequence[str], left: float, top: float, plot_w: float,
          plot_h: float, slot: float, label: str) -> list[str]:
    y_max = _nice_max(max(line.values, default=0))
    points = [(left + slot * (i + 0.5), top + plot_h - plot_h * float(v) / y_max)
              for i, v in enumerate(line.values)]
    parts = [f"<polyline fill='none' stroke='{line.colour}' stroke-width='2' points='"
             + " ".join(f"{x:.1f},{y:.1f}" for x, y in points) + "'/>"]
    for (x, y), value, name in zip(points, line.values, labels, strict=True):
        parts.append(f"<circle class='point' data-series='{escape(line.name)}' "
                     f"data-x='{escape(name)}' data-value='{float(value):.1f}' cx='{x:.1f}' "
                     f"cy='{y:.1f}' r='3' fill='{line.colour}'><title>{escape(line.name)}, "
                     f"{escape(name)}: {float(value):.1f}</title></circle>")
    right = left + plot_w
    for tick in range(5):
        y = top + plot_h - plot_h * tick / 4
        parts.append(f"<text x='{right + 6}' y='{y + 4:.1f}' {FONT} font-size='10' "
                     f"fill='{line.colour}'>{_format(y_max * tick / 4)}</text>")
    if label:
        parts.append(f"<text x='{right + 40}' y='{top + plot_h / 2:.0f}' {FONT} font-size='10' "
                     f"fill='{line.colour}' text-anchor='middle' transform='rotate(90 "
                     f"{right + 40} {top + plot_h / 2:.0f})'>{escape(label)}</text>")
    return parts


def horizontal_bars(chart_id: str, title: str, rows: Sequence[tuple[str, float, str]], *,
                    width: int = 350, row_h: int = 20) -> str:
    """One bar per (label, value, colour), longest label on the left."""
    left, top = 110, 28
    highest = _nice_max(max((v for _, v, _ in rows), default=0))
    height = top + row_h * max(1, len(rows)) + 8
    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' id='{chart_id}' class='chart' "
             f"viewBox='0 0 {width} {height}' width='100%' role='img' "
             f"aria-label='{escape(title)}'>",
             f"<text x='4' y='16' {FONT} font-size='13' font-weight='bold'>{escape(title)}</text>"]
    plot_w = width - left - 40
    for i, (label, value, colour) in enumerate(rows):
        y = top + row_h * i
        w = plot_w * value / highest
        parts.append(f"<text x='{left - 6}' y='{y + row_h * 0.65:.1f}' {FONT} font-size='11' "
                     f"text-anchor='end'>{escape(label)}</text>")
        parts.append(f"<rect class='bar' data-series='{escape(title)}' data-x='{escape(label)}' "
                     f"data-value='{_format(value)}' x='{left}' y='{y + 3}' width='{w:.2f}' "
                     f"height='{row_h - 6}' fill='{colour}'><title>{escape(label)}: "
                     f"{_format(value)}</title></rect>")
        parts.append(f"<text x='{left + w + 4:.1f}' y='{y + row_h * 0.65:.1f}' {FONT} "
                     f"font-size='10'>{_format(value)}</text>")
    if not rows:
        parts.append(f"<text x='{left}' y='{top + 14}' {FONT} font-size='11' fill='#666'>"
                     "none this week</text>")
    parts.append("</svg>")
    return "".join(parts)
