"""Horizontal bar charts drawn on the server, as numbers for an inline SVG in a template.

No script and no style attribute: the template sets only SVG presentation attributes (x, y,
width, height, fill), which a strict Content-Security-Policy allows. Every chart is also given as
a table, so its figures can be read without seeing it.
"""

from dataclasses import dataclass, field

LABEL_WIDTH = 220  # SVG user units; the whole chart is CHART_WIDTH wide and scales with the page
BAR_SPACE = 300
CHART_WIDTH = LABEL_WIDTH + BAR_SPACE + 60
ROW_HEIGHT = 24
BAR_HEIGHT = 16


@dataclass
class Bar:
    label: str
    count: int
    y: int = 0
    width: float = 0.0
    link: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def text_y(self) -> int:
        return self.y + BAR_HEIGHT - 3

    @property
    def count_x(self) -> float:
        return LABEL_WIDTH + self.width + 6


@dataclass
class BarChart:
    bars: list[Bar]
    label_width: int = LABEL_WIDTH
    chart_width: int = CHART_WIDTH
    bar_height: int = BAR_HEIGHT

    @property
    def height(self) -> int:
        return max(len(self.bars), 1) * ROW_HEIGHT

    @property
    def total(self) -> int:
        return sum(bar.count for bar in self.bars)


def bar_chart(rows: list[tuple[str, int]] | list[Bar]) -> BarChart:
    """Bars scaled to the largest count (a count of 0 draws no bar, its number still shows)."""
    bars = [row if isinstance(row, Bar) else Bar(label=str(row[0]), count=row[1]) for row in rows]
    largest = max((bar.count for bar in bars), default=0)
    for position, bar in enumerate(bars):
        bar.y = position * ROW_HEIGHT
        bar.width = round(BAR_SPACE * bar.count / largest, 1) if largest else 0.0
    return BarChart(bars=bars)
