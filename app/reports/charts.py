"""Bar charts drawn on the server as inline SVG: no JavaScript, no CDN, prints as it shows.

Colours are presentation attributes (the console's CSP allows no inline styles); each bar has
its figure written beside it and a ``<title>``, so the chart reads without colour too."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from html import escape

LABEL_W, BAR_W, GAP, ROW_H = 250, 330, 8, 18
INK = "#1a1a1a"
COLOURS = ("#0b4f9c", "#8a8f98")  # this period, the one before (distinct in grey print too)


@dataclass(frozen=True)
class Bar:
    value: float | None  # None: nothing to measure (drawn as «нет данных»)
    caption: str  # the figure with its counts: «75 % (3 из 4)»


@dataclass(frozen=True)
class Row:
    label: str
    bars: tuple[Bar, ...]


def bar_chart(
    title: str, rows: list[Row], *, legend: tuple[str, ...] = (), scale: float = 100.0
) -> str:
    """Horizontal bars, one group per row (``scale`` is the full width: 100 for percents, the
    largest count for counts). Returns an ``<svg>`` element to put straight into a page."""
    per_row = max((len(r.bars) for r in rows), default=1)
    group_h = per_row * ROW_H + GAP * 2
    top = 28 + (20 if legend else 0)
    height = top + max(len(rows), 1) * group_h
    width = LABEL_W + BAR_W + 190
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="18" font-size="15" font-weight="bold" fill="{INK}">{escape(title)}</text>',
    ]
    for i, name in enumerate(legend):
        x = LABEL_W + i * 170
        parts.append(f'<rect x="{x}" y="30" width="12" height="12" fill="{COLOURS[i % 2]}"/>')
        parts.append(f'<text x="{x + 18}" y="41" font-size="13" fill="{INK}">{escape(name)}</text>')
    for n, row in enumerate(rows):
        y = top + n * group_h + GAP
        label_y = y + per_row * ROW_H / 2 + 5
        parts.append(
            f'<text x="{LABEL_W - 8}" y="{label_y:.0f}" font-size="13" text-anchor="end" '
            f'fill="{INK}">{escape(_short(row.label))}</text>'
        )
        for k, bar in enumerate(row.bars):
            by = y + k * ROW_H
            width_px = 0.0 if bar.value is None or scale <= 0 else BAR_W * min(bar.value / scale, 1)
            parts.append(
                f'<rect class="bar" x="{LABEL_W}" y="{by}" width="{width_px:.1f}" '
                f'height="{ROW_H - 4}" fill="{COLOURS[k % 2]}">'
                f"<title>{escape(row.label)}: {escape(bar.caption)}</title></rect>"
            )
            parts.append(
                f'<text x="{LABEL_W + width_px + 6:.1f}" y="{by + ROW_H - 7}" font-size="12" '
                f'fill="{INK}">{escape(bar.caption)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _short(label: str, limit: int = 34) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def whole_percent(part: int, whole: int) -> int:
    """The share in whole percent, half rounded up (5 of 8 → 63, not Python's 62), as every
    report and page prints it."""
    return int((Decimal(100 * part) / Decimal(whole)).quantize(Decimal(1), ROUND_HALF_UP))


def percent_caption(part: int, whole: int) -> str:
    """«75 % (3 из 4)»; «нет данных» when nothing was measured."""
    return f"{whole_percent(part, whole)} % ({part} из {whole})" if whole else "нет данных"
