"""Chart geometry for the dashboard: where each bar, point, tick and label goes, as plain numbers.

A Jinja template turns a ``Chart`` into inline SVG; nothing here writes SVG or HTML, so every
label a document or partner supplied is escaped by the template like any other value.
Coordinates are SVG user units in a ``0 0 width height`` view box, y growing downwards,
rounded to one decimal. Text positions are baselines with an SVG ``text-anchor``. Values
below zero, NaN and infinities are drawn as zero; empty data gives ``empty=True`` and a
centred ``note`` instead of bars or a line.

A template draws a ``<line>`` per tick (``x1 y1 x2 y2``) with its ``text``; per bar a ``<rect
x y width=w height=h>`` with ``label_at`` and ``value_at``; a line chart's ``<polyline
points=...>``, a marker per point and its ``labels``; and ``note`` when ``empty``. Every
label is a ``Text`` (``x``, ``y``, ``text``, ``anchor``): ``<text x y text-anchor>text</text>``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Anchor = Literal["start", "middle", "end"]

CHAR_WIDTH = 6.5  # an estimate of one character at the 11-12px the templates use
MIN_WIDTH = 120
MIN_HEIGHT = 80
_PAD = 8.0
_TITLE = 22.0
_AXIS = 18.0
_MAX_LABEL = 24  # characters of a category label shown before it is cut with an ellipsis


@dataclass(frozen=True, slots=True)
class Text:
    """A label: its baseline position, text and ``text-anchor``."""

    x: float
    y: float
    text: str
    anchor: Anchor = "start"


@dataclass(frozen=True, slots=True)
class Box:
    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True, slots=True)
class Tick:
    """A value on the value axis: its grid line across the plot, and its label."""

    value: float
    label: str
    x1: float
    y1: float
    x2: float
    y2: float
    text: Text


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar. ``label`` and ``value_label`` are whole; ``label_at`` may show the label shortened."""

    x: float
    y: float
    w: float
    h: float
    label: str
    value: float
    value_label: str
    label_at: Text
    value_at: Text


@dataclass(frozen=True, slots=True)
class Point:
    """One point of a line chart, for markers and their tooltips."""

    x: float
    y: float
    label: str
    value: float
    value_label: str


@dataclass(frozen=True, slots=True)
class Chart:
    """Everything a template draws. ``points`` is an SVG polyline ``points`` value; ``area`` closes
    it down to the axis for a fill. ``labels`` are the category labels a line chart shows."""

    kind: Literal["bar", "line"]
    title: str
    width: int
    height: int
    plot: Box
    title_at: Text | None
    bars: tuple[Bar, ...] = ()
    ticks: tuple[Tick, ...] = ()
    labels: tuple[Text, ...] = ()
    points: str = ""
    area: str = ""
    markers: tuple[Point, ...] = ()
    max_value: float = 0.0
    empty: bool = False
    note: Text | None = None

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"


def bar_chart(
    data: Sequence[tuple[str, float]],
    *,
    width: int = 480,
    height: int = 240,
    title: str = "",
    horizontal: bool = True,
    fmt: Callable[[float], str] | None = None,
) -> Chart:
    """Bars for ``(label, value)`` pairs in the order given; horizontal bars leave room for long labels."""
    width, height = max(int(width), MIN_WIDTH), max(int(height), MIN_HEIGHT)
    if not data:
        return _empty("bar", title, width, height)
    fmt = fmt or format_value
    values = [_clean(value) for _, value in data]
    labels = [str(label) for label, _ in data]
    top = _TITLE if title else _PAD
    title_at = _title(title, width)
    maximum, steps = nice_scale(max(values))
    value_labels = [fmt(v) for v in values]
    if horizontal:
        label_w = min(max(len(_short(label)) for label in labels) * CHAR_WIDTH + _PAD, width * 0.35)
        value_w = max(len(text) for text in value_labels) * CHAR_WIDTH + _PAD
        plot = Box(_PAD + label_w, top, width - 2 * _PAD - label_w - value_w, height - top - _AXIS)
        plot = _at_least_a_pixel(plot)
        band = plot.h / len(values)
        thickness = min(band * 0.7, 28.0)
        bars = []
        for n, (label, value, text) in enumerate(zip(labels, values, value_labels, strict=True)):
            y = plot.y + n * band + (band - thickness) / 2
            w = value / maximum * plot.w
            middle = y + thickness / 2 + 4
            bars.append(
                Bar(
                    x=_r(plot.x),
                    y=_r(y),
                    w=_r(w),
                    h=_r(thickness),
                    label=label,
                    value=value,
                    value_label=text,
                    label_at=Text(_r(plot.x - 6), _r(middle), _cut(label, label_w), "end"),
                    value_at=Text(_r(plot.x + w + 4), _r(middle), text, "start"),
                )
            )
        ticks = [_vertical_tick(step, maximum, plot, fmt) for step in steps]
    else:
        tick_w = max(len(fmt(step)) for step in steps) * CHAR_WIDTH + _PAD
        plot = Box(
            _PAD + tick_w, top + _AXIS / 2, width - 2 * _PAD - tick_w, height - top - _AXIS * 1.5 - _AXIS
        )
        plot = _at_least_a_pixel(plot)
        band = plot.w / len(values)
        thickness = min(band * 0.7, 48.0)
        bars = []
        for n, (label, value, text) in enumerate(zip(labels, values, value_labels, strict=True)):
            x = plot.x + n * band + (band - thickness) / 2
            h = value / maximum * plot.h
            y = plot.y + plot.h - h
            centre = x + thickness / 2
            bars.append(
                Bar(
                    x=_r(x),
                    y=_r(y),
                    w=_r(thickness),
                    h=_r(h),
                    label=label,
                    value=value,
                    value_label=text,
                    label_at=Text(_r(centre), _r(plot.y + plot.h + 14), _cut(label, band), "middle"),
                    value_at=Text(_r(centre), _r(y - 4), text, "middle"),
                )
            )
        ticks = [_horizontal_tick(step, maximum, plot, fmt) for step in steps]
    return Chart(
        kind="bar",
        title=title,
        width=width,
        height=height,
        plot=_box(plot),
        title_at=title_at,
        bars=tuple(bars),
        ticks=tuple(ticks),
        max_value=maximum,
    )


def line_chart(
    points: Sequence[tuple[str, float]],
    *,
    width: int = 480,
    height: int = 240,
    title: str = "",
    fmt: Callable[[float], str] | None = None,
) -> Chart:
    """A line through ``(label, value)`` points spaced evenly; category labels thinned so none overlap."""
    width, height = max(int(width), MIN_WIDTH), max(int(height), MIN_HEIGHT)
    if not points:
        return _empty("line", title, width, height)
    fmt = fmt or format_value
    top = _TITLE if title else _PAD
    title_at = _title(title, width)
    values = [_clean(value) for _, value in points]
    labels = [str(label) for label, _ in points]
    maximum, steps = nice_scale(max(values))
    tick_w = max(len(fmt(step)) for step in steps) * CHAR_WIDTH + _PAD
    widest = max(len(label) for label in labels) * CHAR_WIDTH
    left = max(tick_w, widest / 2)  # room for the tick labels and half the first category label
    plot = Box(
        _PAD + left, top + _PAD / 2, width - 2 * _PAD - left - widest / 2, height - top - _PAD / 2 - _AXIS
    )
    plot = _at_least_a_pixel(plot)
    count = len(values)
    gap = plot.w / (count - 1) if count > 1 else 0.0
    markers = []
    for n, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = plot.x + n * gap if count > 1 else plot.x + plot.w / 2
        y = plot.y + plot.h - value / maximum * plot.h
        markers.append(Point(_r(x), _r(y), label, value, fmt(value)))
    every = max(1, math.ceil((widest + 12) / gap)) if gap else 1  # label centres at least a label apart
    shown = [
        Text(point.x, _r(plot.y + plot.h + 14), point.label, "middle")
        for n, point in enumerate(markers)
        if n % every == 0
    ]
    line = " ".join(f"{_num(p.x)},{_num(p.y)}" for p in markers)
    base = _r(plot.y + plot.h)
    area = f"{_num(markers[0].x)},{_num(base)} {line} {_num(markers[-1].x)},{_num(base)}"
    return Chart(
        kind="line",
        title=title,
        width=width,
        height=height,
        plot=_box(plot),
        title_at=title_at,
        ticks=tuple(_horizontal_tick(step, maximum, plot, fmt) for step in steps),
        labels=tuple(shown),
        points=line,
        area=area,
        markers=tuple(markers),
        max_value=maximum,
    )


def nice_scale(maximum: float, ticks: int = 4) -> tuple[float, list[float]]:
    """The top of the value axis (a round number at or above ``maximum``) and the tick values from 0.

    Steps are 1, 2, 2.5 or 5 times a power of ten; whole (and at least 1) when ``maximum``
    is whole, so counts get whole ticks. Nothing to show (``maximum`` 0) gives the axis 0 to 1.
    """
    maximum = _clean(maximum)
    if maximum <= 0:
        return 1.0, [0.0, 1.0]
    raw = maximum / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    steps = [_r(m * magnitude, 12) for m in (1, 2, 2.5, 5, 10)]
    if float(maximum).is_integer():
        steps = [s for s in steps if s >= 1 and s.is_integer()]
    step = next(s for s in steps if raw <= s * (1 + 1e-9))
    top = math.ceil(maximum / step - 1e-9) * step
    count = round(top / step)
    return _r(top, 6), [_r(n * step, 6) for n in range(count + 1)]


def format_value(value: float) -> str:
    """A value for a label: whole numbers with thousands separators, others with up to two decimals."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _vertical_tick(value: float, maximum: float, plot: Box, fmt: Callable[[float], str]) -> Tick:
    x = _r(plot.x + value / maximum * plot.w)
    bottom = _r(plot.y + plot.h)
    return Tick(value, fmt(value), x, _r(plot.y), x, bottom, Text(x, _r(bottom + 14), fmt(value), "middle"))


def _horizontal_tick(value: float, maximum: float, plot: Box, fmt: Callable[[float], str]) -> Tick:
    y = _r(plot.y + plot.h - value / maximum * plot.h)
    return Tick(
        value,
        fmt(value),
        _r(plot.x),
        y,
        _r(plot.x + plot.w),
        y,
        Text(_r(plot.x - 6), _r(y + 4), fmt(value), "end"),
    )


def _empty(kind: Literal["bar", "line"], title: str, width: int, height: int) -> Chart:
    """A chart of no data: its frame and title, and "No data" in the middle."""
    top = _TITLE if title else _PAD
    plot = Box(_PAD, top, width - 2 * _PAD, height - top - _PAD)
    note = Text(_r(width / 2), _r(plot.y + plot.h / 2), "No data", "middle")
    return Chart(
        kind=kind,
        title=title,
        width=width,
        height=height,
        plot=_box(plot),
        title_at=_title(title, width),
        empty=True,
        note=note,
    )


def _at_least_a_pixel(plot: Box) -> Box:
    """``plot`` kept one pixel wide and high at the least, however small the chart."""
    return Box(plot.x, plot.y, max(plot.w, 1.0), max(plot.h, 1.0))


def _title(title: str, width: int) -> Text | None:
    return Text(_PAD, 15.0, _cut(title, width - 2 * _PAD), "start") if title else None


def _clean(value: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return number if math.isfinite(number) and number > 0 else 0.0


def _short(label: str) -> str:
    return label if len(label) <= _MAX_LABEL else label[: _MAX_LABEL - 1] + "…"


def _cut(label: str, room: float) -> str:
    """``label`` shortened with an ellipsis to about ``room`` units and at most ``_MAX_LABEL`` characters."""
    fits = max(int(room // CHAR_WIDTH), 2)
    label = _short(label)
    return label if len(label) <= fits else label[: fits - 1] + "…"


def _box(box: Box) -> Box:
    return Box(_r(box.x), _r(box.y), _r(box.w), _r(box.h))


def _r(value: float, digits: int = 1) -> float:
    rounded = round(value, digits)
    return rounded + 0.0  # no -0.0


def _num(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")
