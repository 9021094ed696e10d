"""The block graph as inline SVG, drawn at build time (no script, no inline CSS).

Colours are SVG presentation attributes, not ``style``, so the page's Content-Security-Policy
needs no 'unsafe-inline'. Every string from a record is escaped.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from catalog.publish.graph import Layout
from catalog.publish.safenames import safe_name

STATUS_COLOURS = {
    "pending": "#6c757d",
    "processing": "#31b0d5",
    "done": "#3c8d40",
    "failed": "#c9302c",
    "cancelled": "#ec971f",
}
BOX_W, BOX_H = 190, 46
GAP_X, GAP_Y, PAD = 70, 22, 12
LABEL_MAX = 24


def block_anchor(name: str) -> str:
    """The element id of a block's section on the experiment page."""
    return "block-" + safe_name(name)


def _short(text: str) -> str:
    return text if len(text) <= LABEL_MAX else text[: LABEL_MAX - 1] + "…"


def render_graph(g: Layout, title: str) -> Markup:
    """The graph as an ``<svg>`` element; each block links to its section of the page."""
    if not g.nodes:
        return Markup("")
    width = PAD * 2 + g.columns * BOX_W + (g.columns - 1) * GAP_X
    height = PAD * 2 + g.rows * BOX_H + (g.rows - 1) * GAP_Y
    where = {
        n.name: (PAD + n.column * (BOX_W + GAP_X), PAD + n.row * (BOX_H + GAP_Y)) for n in g.nodes
    }
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graph" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">',
        '<defs><marker id="graph-arrow" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>',
    ]
    for src, dst in g.edges:
        x1, y1 = where[src]
        x2, y2 = where[dst]
        ax, ay = x1 + BOX_W, y1 + BOX_H / 2
        bx, by = x2, y2 + BOX_H / 2
        mid = (ax + bx) / 2
        out.append(
            f'<path d="M {ax} {ay} C {mid} {ay}, {mid} {by}, {bx} {by}" fill="none" '
            'stroke="#555" stroke-width="1.5" marker-end="url(#graph-arrow)"/>'
        )
    for n in g.nodes:
        x, y = where[n.name]
        colour = STATUS_COLOURS.get(n.status, "#6c757d")
        out.append(
            f'<a href="#{block_anchor(n.name)}" class="graph-node">'
            f"<title>{escape(n.name)} ({escape(n.status)})</title>"
            f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="6" '
            f'fill="{colour}" stroke="#222" stroke-width="1"/>'
            f'<text x="{x + 10}" y="{y + 19}" fill="#fff" font-size="14" '
            f'font-weight="bold">{escape(_short(n.name))}</text>'
            f'<text x="{x + 10}" y="{y + 37}" fill="#fff" font-size="12">'
            f"{escape(n.status)}</text></a>"
        )
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 - every record string above is escaped
