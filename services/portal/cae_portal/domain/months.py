"""The months of an activity's year, from its ledger entries, and the bars of their chart.

The four series are those of the budget (ledger ``Budget``, L7332-3): revenue received
(before VAT), the contribution charged, expenses, salary costs (gross + employer
contributions). A month's figures move the budget as the ledger's own rule does
(``budget_effects``): a line on 658 is contribution, on 641/645 salary costs, on another
class-6 account an expense; a payment brings its ``revenue_cents``. A reversal, being the
same lines swapped, counts negative in its own month.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

CONTRIBUTION_ACCOUNT = "658"
SALARY_ACCOUNTS = ("641", "645")
SERIES = ("revenue", "contribution", "expenses", "salaries")


@dataclass(frozen=True)
class MonthFigures:
    month: int  # 1 to 12
    revenue_cents: int = 0
    contribution_cents: int = 0
    expenses_cents: int = 0
    salaries_cents: int = 0

    def value(self, series: str) -> int:
        return getattr(self, f"{series}_cents")


def _general(account: str) -> str:
    return account.split("-", 1)[0]


def months_of_year(entries: Iterable[Mapping], activity_code: str, year: int,
                   up_to_month: int = 12) -> list[MonthFigures]:
    """One ``MonthFigures`` per month 1..``up_to_month`` of ``year``, from entries as the
    ledger's API gives them (``date``, ``kind``, ``revenue_cents``, ``activity_code``,
    ``lines`` with ``account``, ``activity_code``, ``debit_cents``, ``credit_cents``)."""
    sums = {m: dict.fromkeys(SERIES, 0) for m in range(1, up_to_month + 1)}
    for entry in entries:
        day = str(entry["date"])
        if int(day[:4]) != year:
            continue
        month = int(day[5:7])
        if month not in sums:
            continue
        figures = sums[month]
        for line in entry["lines"]:
            if line.get("activity_code") != activity_code:
                continue
            general = _general(line["account"])
            signed = int(line["debit_cents"]) - int(line["credit_cents"])
            if general == CONTRIBUTION_ACCOUNT:
                figures["contribution"] += signed
            elif general in SALARY_ACCOUNTS:
                figures["salaries"] += signed
            elif general.startswith("6"):
                figures["expenses"] += signed
        if entry["kind"] == "payment" and entry.get("activity_code") == activity_code:
            figures["revenue"] += int(entry["revenue_cents"])
    return [MonthFigures(m, **{f"{k}_cents": v for k, v in sums[m].items()}) for m in sums]


def totals(months: Iterable[MonthFigures]) -> MonthFigures:
    months = list(months)
    return MonthFigures(0, **{f"{s}_cents": sum(m.value(s) for m in months) for s in SERIES})


@dataclass(frozen=True)
class Bar:
    series: str
    month: int
    x: int
    y: int
    width: int
    height: int
    cents: int


@dataclass(frozen=True)
class Chart:
    """Grouped bars in a ``width`` x ``height`` view box; ``baseline`` is the y of zero;
    ``ticks`` are (y, cents) of the horizontal guides."""

    width: int
    height: int
    baseline: int
    bars: tuple[Bar, ...]
    ticks: tuple[tuple[int, int], ...]
    labels: tuple[tuple[int, int], ...]  # (x of the group's middle, month)


def nice_ceiling(cents: int) -> int:
    """The smallest 1, 2 or 5 x 10^n euros at or above ``cents`` (at least 1 euro)."""
    step = 100
    while True:
        for factor in (1, 2, 5):
            if step * factor >= cents:
                return step * factor
        step *= 10


def bar_chart(months: list[MonthFigures], series: tuple[str, ...] = SERIES, *,
              width: int = 720, height: int = 280, left: int = 64, bottom: int = 28,
              top: int = 12, ticks: int = 4) -> Chart:
    """The geometry of a grouped bar chart of ``series`` over ``months`` (negative months,
    from a reversal, are drawn as zero-height bars: the table beside gives the figure)."""
    peak = max([m.value(s) for m in months for s in series] + [0])
    ceiling = nice_ceiling(max(peak, 1))
    plot_height = height - top - bottom
    baseline = top + plot_height
    group = (width - left) // max(len(months), 1)
    bar_width = max(1, (group - 8) // len(series))
    bars = []
    labels = []
    for index, month in enumerate(months):
        x0 = left + index * group + 4
        labels.append((x0 + (bar_width * len(series)) // 2, month.month))
        for k, name in enumerate(series):
            cents = month.value(name)
            bar_height = max(0, cents) * plot_height // ceiling
            bars.append(Bar(name, month.month, x0 + k * bar_width, baseline - bar_height,
                            bar_width, bar_height, cents))
    guides = tuple((baseline - plot_height * i // ticks, ceiling * i // ticks)
                   for i in range(ticks + 1))
    return Chart(width, height, baseline, tuple(bars), guides, tuple(labels))
