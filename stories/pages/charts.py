"""The emotional arc of a story as an SVG line chart, laid out on the server.

The template draws the shapes computed here, so the chart needs no script and
no chart library. Each point comes from ``metadata["emotional_arc"]``:
``position`` (the segment's middle word as a share of the text, 0..1),
``emotion`` (the segment's dominant rasa, or None) and ``intensity`` (0..1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from storyengine.vocabulary import Rasa

WIDTH = 640
HEIGHT = 240
MARGIN_LEFT = 44
MARGIN_RIGHT = 16
MARGIN_TOP = 16
MARGIN_BOTTOM = 36
Y_TICKS = (0.0, 0.5, 1.0)


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    number: int
    emotion: str | None
    label: str
    intensity_percent: int


@dataclass(frozen=True)
class ArcChart:
    width: int
    height: int
    points: list[ChartPoint]
    polyline: str
    y_ticks: list[tuple[float, int]]
    plot_left: float
    plot_right: float
    plot_top: float
    plot_bottom: float


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _positions(arc: list[dict[str, Any]]) -> list[float]:
    """Return each point's place along the text in 0..1.

    Stored positions are used when every point has one in 0..1; otherwise the
    points are spread evenly in their stored order.
    """
    stored = [_number(point.get("position")) for point in arc]
    if all(value is not None and 0.0 <= value <= 1.0 for value in stored):
        return [value for value in stored if value is not None]
    if len(arc) == 1:
        return [0.5]
    return [index / (len(arc) - 1) for index in range(len(arc))]


def arc_chart(arc: Any) -> ArcChart | None:
    """Lay out the arc's points in the chart's pixel grid, or return None when there is no point to draw."""
    points = [point for point in arc or [] if isinstance(point, dict)]
    if not points:
        return None

    labels = dict(Rasa.choices)
    left, right = MARGIN_LEFT, WIDTH - MARGIN_RIGHT
    top, bottom = MARGIN_TOP, HEIGHT - MARGIN_BOTTOM
    chart_points = []
    for index, (point, position) in enumerate(zip(points, _positions(points))):
        intensity = min(1.0, max(0.0, _number(point.get("intensity")) or 0.0))
        emotion = point.get("emotion") if point.get("emotion") in labels else None
        chart_points.append(
            ChartPoint(
                x=round(left + position * (right - left), 1),
                y=round(bottom - intensity * (bottom - top), 1),
                number=index + 1,
                emotion=emotion,
                label=str(labels[emotion]) if emotion else "",
                intensity_percent=round(intensity * 100),
            )
        )
    return ArcChart(
        width=WIDTH,
        height=HEIGHT,
        points=chart_points,
        polyline=" ".join(f"{point.x},{point.y}" for point in chart_points),
        y_ticks=[(round(bottom - tick * (bottom - top), 1), round(tick * 100)) for tick in Y_TICKS],
        plot_left=left,
        plot_right=right,
        plot_top=top,
        plot_bottom=bottom,
    )
