"""Bar charts as static SVG: no JavaScript, no style attributes (the CSP forbids them)."""

from __future__ import annotations

from html import escape

ROW = 30
LABEL = 190
BAR = 330
WIDTH = LABEL + BAR + 60


def bar_chart(title: str, values: dict[str, int]) -> str:
    """Return an accessible horizontal bar chart of label → value as inline SVG."""
    rows = list(values.items())
    height = ROW * len(rows) + 10
    top = max((v for _, v in rows), default=0) or 1
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    for index, (label, value) in enumerate(rows):
        y = 5 + index * ROW
        length = round(BAR * value / top)
        parts.append(
            f'<text x="{LABEL - 8}" y="{y + 20}" text-anchor="end" font-size="15" fill="#1a1a1a">'
            f"{escape(label)}</text>"
            f'<rect x="{LABEL}" y="{y + 4}" width="{length}" height="{ROW - 10}" fill="#a4161a"/>'
            f'<text x="{LABEL + length + 6}" y="{y + 20}" font-size="15" fill="#1a1a1a">{value}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
