"""The body map beside "Find a muscle": a front and a back outline, each region a link
that narrows the muscles offered to that region (``?region=``, no script needed).

Shapes are rectangles (x, y, width, height) in a 120 x 250 view box.
"""

from typing import NamedTuple

from sessions.charting.catalogue import Muscle

Box = tuple[int, int, int, int]
R = Muscle.Region

_ARMS: tuple[Box, ...] = ((16, 46, 14, 70), (90, 46, 14, 70))
_HANDS: tuple[Box, ...] = ((14, 118, 16, 18), (90, 118, 16, 18))
_THIGHS: tuple[Box, ...] = ((36, 126, 23, 54), (61, 126, 23, 54))
_LEGS: tuple[Box, ...] = ((38, 182, 19, 62), (63, 182, 19, 62))
_COMMON: dict[str, tuple[Box, ...]] = {
    R.HEAD_NECK: ((48, 2, 24, 30),),
    R.SHOULDER: ((28, 33, 64, 12),),
    R.ARM: _ARMS,
    R.HAND: _HANDS,
    R.HIP: ((36, 105, 48, 20),),
    R.THIGH: _THIGHS,
    R.LEG: _LEGS,
}
FRONT = _COMMON | {R.TRUNK: ((36, 46, 48, 58),)}
BACK = _COMMON | {R.TRUNK: ((36, 46, 17, 58), (67, 46, 17, 58)), R.SPINE: ((54, 46, 12, 58),)}


class Region(NamedTuple):
    value: str
    label: str
    boxes: tuple[Box, ...]
    current: bool


class View(NamedTuple):
    label: str
    regions: list[Region]


def region_of(text: str) -> str:
    """``text`` when it is a catalogue region's value, else "" (anything else ignored)."""
    return text if text in Muscle.Region.values else ""


def body_map(current: str = "") -> list[View]:
    """The front and back views, each region flagged ``current`` when it is ``current``."""
    labels = dict(Muscle.Region.choices)

    def view(label: str, shapes: dict[str, tuple[Box, ...]], side: str) -> View:
        return View(
            label,
            [
                Region(value, f"{labels[value]}{side}", boxes, value == current)
                for value, boxes in shapes.items()
            ],
        )

    return [view("Front of the body", FRONT, ", front"), view("Back of the body", BACK, ", back")]
