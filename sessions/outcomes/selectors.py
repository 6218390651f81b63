"""A patient's outcome scores beside the needling dose, course by course: plain values
for the trend page, the chart header and the progress report, in a fixed number of
queries (three) however many measures and visits there are.

Shapes: ``course_trends(patient=...)`` -> [CourseTrend]; a CourseTrend holds one
``Measure`` per instrument (its completed ``Point``s in order, baseline, latest, change
in the better direction, MCID verdict) and one ``Dose`` per charted visit (sites,
insertions, nerve-root levels treated). Each value converts to JSON-ready dicts and
back (``as_dict`` / ``from_dict``): a signed report keeps that, not the rows.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch

from clinic.clock import clinic_day
from sessions.booking.models import Appointment, Course, visit_number
from sessions.charting.models import NeedlingSite, Visit
from sessions.charting.muscle_search import SEGMENTS, segments_of
from sessions.outcomes import instruments
from sessions.outcomes.models import Questionnaire

_ORDER = {segment: i for i, segment in enumerate(SEGMENTS)}


@dataclass(frozen=True)
class Point:
    """One completed questionnaire: ``position`` on the course's visit axis (its visit
    number; k + 0.5 for one filled in after visit k without a visit of its own)."""

    day: date
    visit_number: int | None
    position: Decimal
    score: Decimal

    def as_dict(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "visit_number": self.visit_number,
            "position": str(self.position),
            "score": str(self.score),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Point":
        return cls(
            day=date.fromisoformat(data["day"]),
            visit_number=data["visit_number"],
            position=Decimal(data["position"]),
            score=Decimal(data["score"]),
        )


@dataclass(frozen=True)
class Measure:
    """One instrument's series in a course. ``change``: latest minus baseline in the
    better direction (positive: improved), None with fewer than two scores; ``reached_mcid``
    likewise None then."""

    code: str
    name: str
    abbreviation: str
    unit: str
    score_min: Decimal
    score_max: Decimal
    higher_is_better: bool
    mcid: Decimal
    points: tuple[Point, ...]

    @property
    def baseline(self) -> Point:
        return self.points[0]

    @property
    def latest(self) -> Point:
        return self.points[-1]

    @property
    def change(self) -> Decimal | None:
        if len(self.points) < 2:
            return None
        change = self.latest.score - self.baseline.score
        return change if self.higher_is_better else -change

    @property
    def change_size(self) -> Decimal | None:
        """How far the score moved, whichever way (the template's "worse by")."""
        return None if self.change is None else abs(self.change)

    @property
    def reached_mcid(self) -> bool | None:
        change = self.change
        return None if change is None else change >= self.mcid

    @property
    def mcid_target(self) -> Decimal:
        """The score that is one MCID better than the baseline, kept inside the range."""
        step = self.mcid if self.higher_is_better else -self.mcid
        return min(max(self.baseline.score + step, self.score_min), self.score_max)

    @property
    def direction(self) -> str:
        return "higher is better" if self.higher_is_better else "lower is better"

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "abbreviation": self.abbreviation,
            "unit": self.unit,
            "score_min": str(self.score_min),
            "score_max": str(self.score_max),
            "higher_is_better": self.higher_is_better,
            "mcid": str(self.mcid),
            "points": [p.as_dict() for p in self.points],
            # The verdicts as they were when frozen, for a reader of the JSON alone.
            "change": None if self.change is None else str(self.change),
            "reached_mcid": self.reached_mcid,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Measure":
        return cls(
            code=data["code"],
            name=data["name"],
            abbreviation=data["abbreviation"],
            unit=data["unit"],
            score_min=Decimal(data["score_min"]),
            score_max=Decimal(data["score_max"]),
            higher_is_better=data["higher_is_better"],
            mcid=Decimal(data["mcid"]),
            points=tuple(Point.from_dict(p) for p in data["points"]),
        )


@dataclass(frozen=True)
class Dose:
    """The needling of one charted visit: ``roots`` the nerve-root levels treated, in
    cranio-caudal order (["C5", "C6"])."""

    visit_number: int
    day: date
    sites: int
    insertions: int
    roots: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "visit_number": self.visit_number,
            "day": self.day.isoformat(),
            "sites": self.sites,
            "insertions": self.insertions,
            "roots": list(self.roots),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Dose":
        return cls(
            visit_number=data["visit_number"],
            day=date.fromisoformat(data["day"]),
            sites=data["sites"],
            insertions=data["insertions"],
            roots=tuple(data["roots"]),
        )


@dataclass
class CourseTrend:
    """A course's measures and doses (``course`` None: questionnaires outside a course)."""

    course: Course | None
    measures: list[Measure] = field(default_factory=list)
    doses: list[Dose] = field(default_factory=list)

    @property
    def visit_count(self) -> int:
        return max((d.visit_number for d in self.doses), default=0)


def roots_treated(sites: list[NeedlingSite]) -> tuple[str, ...]:
    """The distinct spinal segments ``sites`` treated, in cranio-caudal order: a site's
    spinal level when charted (paraspinal sites), otherwise its muscle's nerve roots."""
    found: set[str] = set()
    for site in sites:
        found |= segments_of(site.spinal_level or site.muscle.nerve_roots)
    return tuple(sorted(found, key=_ORDER.__getitem__))


def course_trends(
    *, patient: Any, course: Course | None = None, doses: bool = True
) -> list[CourseTrend]:
    """The patient's trends, newest course first (questionnaires outside any course
    last); only ``course`` when given. Completed, scored, not withdrawn questionnaires
    of instruments the app knows. Three queries; one with ``doses=False`` (the compact
    lines, which show scores only: no doses, and a score without a visit of its own
    placed at 0.5)."""
    questionnaires = Questionnaire.objects.filter(
        patient=patient,
        completed_at__isnull=False,
        score__isnull=False,
        withdrawn_at__isnull=True,
    )
    visits = (
        Visit.objects.filter(appointment__patient=patient, appointment__course__isnull=False)
        .exclude(appointment__status__in=[Appointment.Status.CANCELLED, Appointment.Status.NO_SHOW])
        .select_related("appointment__course")
        .annotate(number=visit_number("appointment"))
        .prefetch_related(
            Prefetch(
                "sites", queryset=NeedlingSite.objects.select_related("muscle"), to_attr="site_list"
            )
        )
        .order_by("appointment__start", "id")
    )
    if course is not None:
        questionnaires = questionnaires.filter(course=course)
        visits = visits.filter(appointment__course=course)
    questionnaires = (
        questionnaires.select_related("course")
        .annotate(number=visit_number("appointment"))
        .order_by("completed_at", "id")
    )

    trends: dict[int | None, CourseTrend] = {}

    def trend_of(c: Course | None) -> CourseTrend:
        key = c.pk if c is not None else None
        if key not in trends:
            trends[key] = CourseTrend(course=c)
        return trends[key]

    if course is not None:
        trend_of(course)
    for visit in visits if doses else ():
        trend_of(visit.appointment.course).doses.append(
            Dose(
                visit_number=visit.number,
                day=visit.appointment.day,
                sites=len(visit.site_list),
                insertions=sum(s.insertions for s in visit.site_list),
                roots=roots_treated(visit.site_list),
            )
        )
    series: dict[int | None, dict[str, list[Point]]] = defaultdict(lambda: defaultdict(list))
    for q in questionnaires:
        if q.instrument not in instruments.INSTRUMENTS or q.score is None:
            continue
        trend = trend_of(q.course)
        day = clinic_day(q.completed_at)
        number = q.number if q.appointment_id else None
        series[q.course_id][q.instrument].append(
            Point(day, number, _position(number, day, trend.doses), q.score)
        )
    for key, by_code in series.items():
        trends[key].measures = [
            _measure(instruments.get(code), points) for code, points in sorted(by_code.items())
        ]
    return sorted(trends.values(), key=_newest_first)


def _newest_first(trend: CourseTrend) -> tuple:
    if trend.course is None:
        return (1, 0, 0)
    return (0, -trend.course.started_on.toordinal(), -trend.course.pk)


def _position(number: int | None, day: date, doses: list[Dose]) -> Decimal:
    if number is not None:
        return Decimal(number)
    before = [d.visit_number for d in doses if d.day <= day]
    return Decimal(max(before, default=0)) + Decimal("0.5")


def _measure(instrument: instruments.Instrument, points: list[Point]) -> Measure:
    return Measure(
        code=instrument.code,
        name=instrument.name,
        abbreviation=instrument.abbreviation,
        unit=instrument.unit,
        score_min=instrument.score_min,
        score_max=instrument.score_max,
        higher_is_better=instrument.higher_is_better,
        mcid=instrument.mcid,
        points=tuple(points),
    )
