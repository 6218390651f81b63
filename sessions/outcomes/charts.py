"""One measure's scores beside the needling dose as an inline SVG: a pure function over
``selectors`` values, no database, no script. The score line (with a point per score)
sits above a band of dose bars (insertions per visit) on the same visit axis; the
dashed line is the score one MCID better than the baseline. The <title> and <desc>
say in words what the picture shows, for a screen reader; the page puts the same
numbers in a table under it.
"""

from collections.abc import Sequence
from decimal import Decimal
from html import escape

from sessions.outcomes.selectors import Dose, Measure

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT = 56, 620  # the plot's x extent
TOP, BOTTOM = 16, 186  # the score plot's y extent
BAND_TOP, BAND_BOTTOM = 206, 256  # the dose band
AXIS_LABEL_Y = 274


def number(value: Decimal) -> str:
    """A score without trailing zeros: 7.00 -> "7", 7.50 -> "7.5"."""
    text = f"{value.normalize():f}"
    return "0" if text in ("-0", "") else text


def describe(measure: Measure) -> str:
    """The chart's summary in words: baseline, latest, change and the MCID verdict."""
    unit = measure.unit
    first, last = measure.baseline, measure.latest
    parts = [
        f"{measure.name} ({measure.abbreviation}), {measure.direction}.",
        f"Baseline {number(first.score)} {unit} on {first.day:%Y-%m-%d}{_at(first)}.",
    ]
    if measure.change is None:
        parts.append("Only one score so far: no change to report yet.")
    else:
        change = measure.change
        if change > 0:
            moved = f"improved by {number(change)} {unit}"
        elif change < 0:
            moved = f"worsened by {number(-change)} {unit}"
        else:
            moved = "unchanged"
        verdict = "reached" if measure.reached_mcid else "not reached"
        parts.append(f"Latest {number(last.score)} {unit} on {last.day:%Y-%m-%d}{_at(last)}.")
        parts.append(
            f"Change since baseline: {moved}. "
            f"Minimal clinically important difference ({number(measure.mcid)} {unit}) {verdict}."
        )
    return " ".join(parts)


def _at(point) -> str:
    return f" (visit {point.visit_number})" if point.visit_number else ""


def trend_svg(measure: Measure, doses: Sequence[Dose], *, chart_id: str = "") -> str:
    """The chart as an SVG element (a string, every text escaped), ``role="img"`` with
    <title> and <desc>. ``chart_id`` makes the title/desc ids unique on a page."""
    slots = max(
        [
            1,
            *(d.visit_number for d in doses),
            *(int(p.position + Decimal("0.5")) for p in measure.points),
        ]
    )
    slot = (RIGHT - LEFT) / slots
    low, high = float(measure.score_min), float(measure.score_max)
    span = (high - low) or 1.0

    def x(position: float) -> float:
        return LEFT + (position - 0.5) * slot

    def y(score: Decimal) -> float:
        return TOP + (high - float(score)) / span * (BOTTOM - TOP)

    cid = escape(chart_id or measure.code, quote=True)
    title = f"{measure.name}: scores by visit, with needling dose"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="trend-chart" role="img" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" preserveAspectRatio="xMidYMid meet" '
        f'aria-labelledby="{cid}-title {cid}-desc">',
        f'<title id="{cid}-title">{escape(title)}</title>',
        f'<desc id="{cid}-desc">{escape(describe(measure))}</desc>',
        # Score axis: the range's ends and middle, with light grid lines.
        '<g class="score-axis" font-size="11" fill="#333">',
    ]
    for value in (
        measure.score_min,
        (measure.score_min + measure.score_max) / 2,
        measure.score_max,
    ):
        gy = y(value)
        out.append(
            f'<line x1="{LEFT}" x2="{RIGHT}" y1="{gy:.1f}" y2="{gy:.1f}" stroke="#ddd"/>'
            f'<text x="{LEFT - 6}" y="{gy + 4:.1f}" text-anchor="end">'
            f"{escape(number(value))}</text>"
        )
    out.append(
        f'<text x="12" y="{(TOP + BOTTOM) / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 12 {(TOP + BOTTOM) / 2:.1f})">'
        f"{escape(measure.abbreviation)} ({escape(measure.unit)})</text></g>"
    )
    # The MCID threshold: baseline moved one MCID in the better direction.
    my = y(measure.mcid_target)
    out.append(
        f'<line class="mcid-line" x1="{LEFT}" x2="{RIGHT}" y1="{my:.1f}" y2="{my:.1f}" '
        f'stroke="#b35c00" stroke-width="1.5" stroke-dasharray="6 4"/>'
        f'<text x="{RIGHT}" y="{my - 4:.1f}" text-anchor="end" font-size="10" fill="#8a4700">'
        f"MCID ({escape(number(measure.mcid_target))})</text>"
    )
    # The dose band: insertions per visit, scaled to the largest.
    most = max((d.insertions for d in doses), default=0) or 1
    out.append(
        f'<g class="dose-band" font-size="10" fill="#333">'
        f'<line x1="{LEFT}" x2="{RIGHT}" y1="{BAND_BOTTOM}" y2="{BAND_BOTTOM}" stroke="#999"/>'
        f'<text x="{LEFT - 6}" y="{BAND_TOP + 8}" text-anchor="end">{most}</text>'
        f'<text x="{LEFT - 6}" y="{BAND_BOTTOM}" text-anchor="end">0</text>'
        f'<text x="{LEFT}" y="{BAND_TOP - 4}">Insertions per visit</text>'
    )
    bar = min(slot * 0.5, 28)
    for d in doses:
        h = d.insertions / most * (BAND_BOTTOM - BAND_TOP)
        out.append(
            f'<rect class="dose-bar" x="{x(d.visit_number) - bar / 2:.1f}" '
            f'y="{BAND_BOTTOM - h:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="#6c8ebf">'
            f"<title>Visit {d.visit_number}: {d.sites} site{'s' if d.sites != 1 else ''}, "
            f"{d.insertions} insertion{'s' if d.insertions != 1 else ''}"
            f"{escape(', ' + ' '.join(d.roots)) if d.roots else ''}</title></rect>"
        )
    out.append("</g>")
    # The visit axis.
    out.append('<g class="visit-axis" font-size="11" fill="#333">')
    step = max(1, slots // 12)  # at most ~12 labels on a narrow screen
    for n in range(1, slots + 1, step):
        out.append(f'<text x="{x(n):.1f}" y="{AXIS_LABEL_Y - 10}" text-anchor="middle">{n}</text>')
    out.append(
        f'<text x="{(LEFT + RIGHT) / 2:.1f}" y="{AXIS_LABEL_Y + 10}" text-anchor="middle">'
        f"Visit</text></g>"
    )
    # The score line and its points.
    coords = [(x(float(p.position)), y(p.score)) for p in measure.points]
    if len(coords) > 1:
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in coords)
        out.append(
            f'<polyline class="score-line" points="{path}" fill="none" stroke="#1f4e79" '
            f'stroke-width="2"/>'
        )
    for p, (px, py) in zip(measure.points, coords, strict=True):
        out.append(
            f'<circle class="score-point" cx="{px:.1f}" cy="{py:.1f}" r="4" fill="#1f4e79">'
            f"<title>{p.day:%Y-%m-%d}{escape(_at(p))}: {escape(number(p.score))}</title></circle>"
        )
    out.append("</svg>")
    return "".join(out)
