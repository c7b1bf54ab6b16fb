"""A small server-side SVG builder: line charts and stacked bars, no JavaScript.

Every chart is an <svg role="img"> labelled by its own <title> and <desc>; the page puts a
data table next to each one. The viewBox is narrow (400 units) so text stays legible on a
390 px phone, and CSS (.chart) stretches it to the card's width. Colours come from classes
in app.css, never style attributes."""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 400
LEFT, RIGHT, TOP = 34, 14, 12
# Room for text drawn at up to 13 units, the size app.css uses on a phone (where 13 units
# come out at 11.5 px): a character is about 8 units wide, a month label about 42.
CHAR_W = 8
LABEL_W = 96


def _fmt(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _open(chart_id: str, title: str, desc: str, height: int) -> list[str]:
    return [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMid meet">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]


def line_chart(chart_id: str, title: str, desc: str, labels: list[str],
               series: list[tuple[str, list, str]], y_max: float, y_ticks: list[float],
               height: int = 220) -> SafeString:
    """Lines over shared x labels. A None value breaks the line (no data that month).

    series: (name, values, css class) each; the legend names them in order."""
    bottom = height - 46  # room for x labels and the legend
    plot_w = WIDTH - LEFT - RIGHT
    n = max(1, len(labels))
    step = plot_w / max(1, n - 1) if n > 1 else 0

    def x(i: int) -> float:
        return LEFT + (i * step if n > 1 else plot_w / 2)

    def y(value: float) -> float:
        return bottom - (value / y_max) * (bottom - TOP) if y_max else bottom

    out = _open(chart_id, title, desc, height)
    out.append('<g class="chart-grid" aria-hidden="true">')
    for tick in y_ticks:
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{_fmt(y(tick))}" '
                   f'y2="{_fmt(y(tick))}"/>')
        out.append(f'<text class="chart-axis" x="{LEFT - 6}" y="{_fmt(y(tick) + 4)}" '
                   f'text-anchor="end">{escape(_fmt(tick))}</text>')
    every = 1 if n <= 6 else (2 if n <= 12 else (3 if n <= 36 else 6))
    for i, label in enumerate(labels):
        # Counted back from the last label, which is always shown.
        if (n - 1 - i) % every == 0:
            out.append(f'<text class="chart-axis" x="{_fmt(x(i))}" y="{bottom + 16}" '
                       f'text-anchor="middle">{escape(label)}</text>')
    out.append("</g>")
    for name, values, css in series:
        runs, run = [], []
        for i, value in enumerate(values):
            if value is None:
                if run:
                    runs.append(run)
                run = []
            else:
                run.append((x(i), y(value)))
        if run:
            runs.append(run)
        out.append(f'<g class="chart-series {escape(css)}"><title>{escape(name)}</title>')
        for r in runs:
            if len(r) > 1:
                points = " ".join(f"{_fmt(px)},{_fmt(py)}" for px, py in r)
                out.append(f'<polyline points="{points}"/>')
            for px, py in r:
                out.append(f'<circle cx="{_fmt(px)}" cy="{_fmt(py)}" r="3"/>')
        out.append("</g>")
    out.extend(_legend([(name, css) for name, _, css in series], height - 12))
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 - every text above is escaped


def stacked_bars(chart_id: str, title: str, desc: str, rows: list[tuple[str, list[int]]],
                 segments: list[tuple[str, str]]) -> SafeString:
    """One horizontal bar per row, split into shares of the row's total.

    rows: (label, counts in segment order); segments: (name, css class)."""
    label_w, bar_h, gap = LABEL_W, 20, 12
    height = TOP + len(rows) * (bar_h + gap) + 30
    plot_w = WIDTH - label_w - RIGHT
    out = _open(chart_id, title, desc, height)
    for i, (label, counts) in enumerate(rows):
        top = TOP + i * (bar_h + gap)
        out.append(f'<text class="chart-label" x="{label_w - 8}" y="{top + 15}" '
                   f'text-anchor="end">{escape(label)}</text>')
        total = sum(counts)
        if not total:
            out.append(f'<rect class="chart-empty" x="{label_w}" y="{top}" width="{plot_w}" '
                       f'height="{bar_h}"/>')
            out.append(f'<text class="chart-axis" x="{label_w + 6}" y="{top + 14}">'
                       f'Nothing yet</text>')
            continue
        left = float(label_w)
        for count, (name, css) in zip(counts, segments, strict=True):
            if not count:
                continue
            width = plot_w * count / total
            share = round(100 * count / total)
            out.append(f'<rect class="{escape(css)}" x="{_fmt(left)}" y="{top}" '
                       f'width="{_fmt(width)}" height="{bar_h}"><title>{escape(label)}: '
                       f'{escape(name)} {count} ({share}%)</title></rect>')
            if width >= 34:
                out.append(f'<text class="chart-in" x="{_fmt(left + width / 2)}" '
                           f'y="{top + 14}" text-anchor="middle">{share}%</text>')
            left += width
    out.extend(_legend(segments, height - 10))
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 - every text above is escaped


def _legend(items: list[tuple[str, str]], y: int) -> list[str]:
    out, x = ['<g class="chart-legend">'], LEFT
    for name, css in items:
        out.append(f'<rect class="{escape(css)}" x="{x}" y="{y - 9}" width="10" height="10"/>')
        out.append(f'<text x="{x + 14}" y="{y}">{escape(name)}</text>')
        x += 22 + CHAR_W * len(name)
    out.append("</g>")
    return out
