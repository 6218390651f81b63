"""The trend chart's SVG, read back with xml.etree: well-formed, named and described for
a screen reader, one point per score, the MCID line where the baseline moved one MCID
in the better direction, one dose bar per visit, text escaped. No database."""

import xml.etree.ElementTree as ET
from datetime import date, timedelta
from decimal import Decimal

from sessions.outcomes import charts
from sessions.outcomes.selectors import Dose, Measure, Point

NS = {"svg": "http://www.w3.org/2000/svg"}


def measure(scores, *, higher_is_better=False, mcid="2", name="Numeric Pain Rating Scale"):
    return Measure(
        code="nprs",
        name=name,
        abbreviation="NPRS",
        unit="points",
        score_min=Decimal(0),
        score_max=Decimal(10),
        higher_is_better=higher_is_better,
        mcid=Decimal(mcid),
        points=tuple(
            Point(date(2026, 10, 5) + timedelta(days=7 * n), n + 1, Decimal(n + 1), Decimal(s))
            for n, s in enumerate(scores)
        ),
    )


def doses(count):
    return [Dose(n, date(2026, 10, n), 2, n, ("C5", "C6")) for n in range(1, count + 1)]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def y_of_score(score: float) -> float:
    return charts.TOP + (10 - score) / 10 * (charts.BOTTOM - charts.TOP)


def test_the_svg_is_well_formed_and_named_for_a_screen_reader():
    root = parse(charts.trend_svg(measure([7, 5, 4]), doses(3)))
    assert root.get("role") == "img"
    title = root.find("svg:title", NS)
    desc = root.find("svg:desc", NS)
    assert "Numeric Pain Rating Scale" in title.text
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"


def test_the_description_states_baseline_latest_change_and_verdict():
    desc = parse(charts.trend_svg(measure([7, 5, 4]), doses(3))).find("svg:desc", NS).text
    assert "Baseline 7 points on 2026-10-05 (visit 1)" in desc
    assert "Latest 4 points on 2026-10-19 (visit 3)" in desc
    assert "improved by 3 points" in desc
    assert "(2 points) reached" in desc


def test_a_change_short_of_the_mcid_says_not_reached():
    desc = parse(charts.trend_svg(measure([7, 6]), [])).find("svg:desc", NS).text
    assert "improved by 1 points" in desc
    assert "not reached" in desc


def test_a_worse_score_says_worsened():
    desc = parse(charts.trend_svg(measure([3, 6]), [])).find("svg:desc", NS).text
    assert "worsened by 3 points" in desc


def test_one_point_per_score():
    root = parse(charts.trend_svg(measure([7, 5, 4, 4, 3]), doses(5)))
    points = root.findall(".//svg:circle[@class='score-point']", NS)
    assert len(points) == 5
    assert [float(p.get("cy")) for p in points] == [
        round(y_of_score(s), 1) for s in (7, 5, 4, 4, 3)
    ]


def test_the_mcid_line_is_one_mcid_below_a_pain_baseline():
    root = parse(charts.trend_svg(measure([7, 5]), doses(2)))
    line = root.find(".//svg:line[@class='mcid-line']", NS)
    assert float(line.get("y1")) == round(y_of_score(5), 1)  # 7 - 2
    assert line.get("stroke-dasharray")


def test_the_mcid_line_is_one_mcid_above_when_higher_is_better():
    root = parse(charts.trend_svg(measure([4, 6], higher_is_better=True, mcid="3"), []))
    line = root.find(".//svg:line[@class='mcid-line']", NS)
    assert float(line.get("y1")) == round(y_of_score(7), 1)  # 4 + 3


def test_the_mcid_line_stays_inside_the_range():
    root = parse(charts.trend_svg(measure([1, 0]), []))
    line = root.find(".//svg:line[@class='mcid-line']", NS)
    assert float(line.get("y1")) == round(y_of_score(0), 1)


def test_one_dose_bar_per_visit_scaled_to_the_most_insertions():
    root = parse(charts.trend_svg(measure([7, 5]), doses(4)))
    bars = root.findall(".//svg:rect[@class='dose-bar']", NS)
    assert len(bars) == 4
    heights = [float(b.get("height")) for b in bars]
    assert heights[-1] == charts.BAND_BOTTOM - charts.BAND_TOP
    assert heights[0] == heights[-1] / 4


def test_text_is_escaped():
    svg = charts.trend_svg(measure([7, 5], name='Pain <script>alert("x")</script> & co'), [])
    root = parse(svg)  # would not parse unescaped
    assert "<script>" not in svg
    assert 'Pain <script>alert("x")</script> & co' in root.find("svg:title", NS).text
    assert root.find(".//svg:script", NS) is None
