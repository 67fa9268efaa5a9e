"""A picture of who calls a service and whom it calls: an SVG drawn on the server (no script, no
inline style, so the content security policy holds), each box a link to that service's page."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from markupsafe import Markup

from dockyard.console.catalog import Card

BOX_WIDTH, BOX_HEIGHT, GAP, COLUMN = 180, 30, 12, 260


def callers_of(name: str, cards: Iterable[Card]) -> list[str]:
    return sorted(c.name for c in cards if name in c.dependencies)


def neighbourhood(card: Card, cards: Iterable[Card]) -> Markup:
    """Callers in the left column, the service in the middle, the services it calls on the right."""
    callers = callers_of(card.name, cards)
    callees = list(card.dependencies)
    rows = max(len(callers), len(callees), 1)
    height = rows * (BOX_HEIGHT + GAP) + GAP
    middle = (height - BOX_HEIGHT) // 2
    parts = [
        f'<svg class="graph" xmlns="http://www.w3.org/2000/svg" width="{2 * COLUMN + BOX_WIDTH}" '
        f'height="{height}" role="img" aria-label="{escape(card.name)}: who calls it and whom it calls">'
    ]

    def box(name: str, x: int, y: int, current: bool = False) -> None:
        fill = "#1f5fbf" if current else "#ffffff"
        ink = "#ffffff" if current else "#1d2330"
        text = escape(name if len(name) <= 24 else name[:23] + "…")
        shape = (
            f'<rect x="{x}" y="{y}" width="{BOX_WIDTH}" height="{BOX_HEIGHT}" rx="4" fill="{fill}" stroke="#1f5fbf"/>'
            f'<text x="{x + BOX_WIDTH // 2}" y="{y + 20}" text-anchor="middle" font-size="13" fill="{ink}">'
            f"{text}</text>"
        )
        parts.append(shape if current else f'<a href="/services/{escape(name)}">{shape}</a>')

    def arrow(x1: int, y1: int, x2: int, y2: int) -> None:
        parts.append(f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#5b6472" stroke-width="1.5"/>')
        parts.append(f'<polygon points="{x2},{y2} {x2 - 8},{y2 - 4} {x2 - 8},{y2 + 4}" fill="#5b6472"/>')

    centre_x = COLUMN
    box(card.name, centre_x, middle, current=True)
    for index, name in enumerate(callers):
        y = GAP + index * (BOX_HEIGHT + GAP)
        box(name, 0, y)
        arrow(BOX_WIDTH, y + BOX_HEIGHT // 2, centre_x, middle + BOX_HEIGHT // 2)
    for index, name in enumerate(callees):
        y = GAP + index * (BOX_HEIGHT + GAP)
        box(name, 2 * COLUMN, y)
        arrow(centre_x + BOX_WIDTH, middle + BOX_HEIGHT // 2, 2 * COLUMN, y + BOX_HEIGHT // 2)
    parts.append("</svg>")
    return Markup("".join(parts))
