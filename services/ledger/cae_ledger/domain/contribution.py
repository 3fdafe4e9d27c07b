"""The cooperative's contribution on revenue HT (excl. VAT); pure, standard library only.

domain.md, "Money": a percentage of revenue HT (Coopaname 10 %, another CAE 12 %),
sometimes tiered on *yearly* revenue (10 %, 8 % above 35 k EUR, 6 % above 45 k EUR),
sometimes with a monthly minimum (150 EUR); some activities have their own rate;
the general assembly changes the rate, so schedules are versioned by effective date.

Rules implemented here:

* **Marginal bands**, like tax brackets: each part of the yearly revenue is charged
  at the rate of the band it falls in. A payment crossing a band boundary is split
  across the bands.
* **Rounding**: the contribution on one payment is computed exactly (Decimal) band
  by band, summed, and rounded **once**, half-up (ties away from zero) to the cent.
  Consequently the sum of the rounded contributions of a year's payments may differ
  by a few cents from the contribution on the yearly total rounded once.
* **Schedule changes mid-year** apply from their effective date: a payment is charged
  with the schedule in force on the payment's date (:meth:`ScheduleHistory.in_force`
  / :func:`effective_schedule`), but ``revenue_before_cents`` is still the revenue of
  the *whole* year so far, including what was received under the previous schedule.
  A new schedule's bands therefore pick up where the year's revenue already stands.
* **Per-activity override**: when an activity has a schedule in force on the day, it
  replaces the cooperative's (it does not stack on it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from cae_ledger.domain.money import round_half_up

__all__ = [
    "Band",
    "NoScheduleInForce",
    "Schedule",
    "ScheduleHistory",
    "contribution_for",
    "effective_schedule",
    "monthly_top_up",
]


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class Band:
    """From ``threshold_cents`` of yearly revenue upwards, charge ``rate`` (0.10 = 10 %)."""

    threshold_cents: int
    rate: Decimal

    def __post_init__(self) -> None:
        if not _is_int(self.threshold_cents):
            raise TypeError("threshold_cents must be an int")
        if self.threshold_cents < 0:
            raise ValueError(f"negative threshold: {self.threshold_cents}")
        if not isinstance(self.rate, Decimal):
            raise TypeError(f"rate must be a Decimal, not {type(self.rate).__name__}")
        if not self.rate.is_finite() or not Decimal(0) <= self.rate <= Decimal(1):
            raise ValueError(f"rate must be between 0 and 1: {self.rate}")


@dataclass(frozen=True)
class Schedule:
    """A contribution schedule in force from ``effective_on``.

    ``bands`` are ordered by strictly increasing threshold, the first at 0.
    ``monthly_minimum_cents`` is the minimum contribution charged in a month (0: none).
    """

    effective_on: date
    bands: tuple[Band, ...]
    monthly_minimum_cents: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.effective_on, date):
            raise TypeError("effective_on must be a date")
        bands = tuple(self.bands)
        object.__setattr__(self, "bands", bands)
        if not bands:
            raise ValueError("a schedule needs at least one band")
        if not all(isinstance(b, Band) for b in bands):
            raise TypeError("bands must be Band instances")
        if bands[0].threshold_cents != 0:
            raise ValueError("the first band must start at 0")
        for lower, upper in zip(bands, bands[1:], strict=False):
            if upper.threshold_cents <= lower.threshold_cents:
                raise ValueError("band thresholds must be strictly increasing")
        if not _is_int(self.monthly_minimum_cents):
            raise TypeError("monthly_minimum_cents must be an int")
        if self.monthly_minimum_cents < 0:
            raise ValueError("monthly_minimum_cents must not be negative")

    @classmethod
    def flat(cls, effective_on: date, rate: Decimal, monthly_minimum_cents: int = 0) -> Schedule:
        """A single-rate schedule (e.g. Coopaname's 10 %)."""
        return cls(effective_on, (Band(0, rate),), monthly_minimum_cents)

    def exact_on_yearly(self, yearly_revenue_cents: int) -> Decimal:
        """The exact (unrounded) contribution, in cents, on a year's revenue from 0."""
        if not _is_int(yearly_revenue_cents):
            raise TypeError("yearly_revenue_cents must be an int")
        if yearly_revenue_cents < 0:
            raise ValueError("yearly revenue must not be negative")
        total = Decimal(0)
        for i, band in enumerate(self.bands):
            if yearly_revenue_cents <= band.threshold_cents:
                break
            top = self.bands[i + 1].threshold_cents if i + 1 < len(self.bands) else None
            upper = yearly_revenue_cents if top is None else min(yearly_revenue_cents, top)
            total += band.rate * (upper - band.threshold_cents)
        return total


class NoScheduleInForce(LookupError):
    """No schedule version is in force on the requested day."""


class ScheduleHistory:
    """The versions of a schedule, each in force from its ``effective_on`` date."""

    def __init__(self, versions: Iterable[Schedule]) -> None:
        ordered = sorted(versions, key=lambda s: s.effective_on)
        if not ordered:
            raise ValueError("a schedule history needs at least one version")
        for earlier, later in zip(ordered, ordered[1:], strict=False):
            if earlier.effective_on == later.effective_on:
                raise ValueError(f"two versions take effect on {later.effective_on}")
        self.versions: tuple[Schedule, ...] = tuple(ordered)

    def in_force(self, on: date) -> Schedule:
        """The version with the latest ``effective_on`` <= ``on``; NoScheduleInForce if none."""
        found: Schedule | None = None
        for version in self.versions:
            if version.effective_on > on:
                break
            found = version
        if found is None:
            raise NoScheduleInForce(f"no schedule in force on {on.isoformat()}")
        return found


def effective_schedule(
    cooperative_history: ScheduleHistory,
    override_history: ScheduleHistory | None,
    on: date,
) -> Schedule:
    """The activity's override in force on ``on`` if any, else the cooperative's schedule."""
    if override_history is not None:
        try:
            return override_history.in_force(on)
        except NoScheduleInForce:
            pass
    return cooperative_history.in_force(on)


def contribution_for(schedule: Schedule, revenue_before_cents: int, amount_cents: int) -> int:
    """The contribution, in cents, on a new revenue amount HT.

    ``revenue_before_cents`` is the revenue HT already received this (whole) year,
    ``amount_cents`` the new amount; ``schedule`` is the one in force on the
    payment's date. The amount is split across the bands it spans, each part
    charged exactly at its band's rate; the total is rounded once, half-up.
    A negative amount (a credit note) gives back the contribution of the revenue
    it removes, at the marginal rates of that revenue.
    """
    if not _is_int(revenue_before_cents) or not _is_int(amount_cents):
        raise TypeError("amounts must be int cents")
    if revenue_before_cents < 0:
        raise ValueError("revenue before must not be negative")
    after = revenue_before_cents + amount_cents
    if after < 0:
        raise ValueError("a credit note cannot remove more than the year's revenue")
    exact = schedule.exact_on_yearly(after) - schedule.exact_on_yearly(revenue_before_cents)
    return round_half_up(exact)


def monthly_top_up(schedule: Schedule, charged_in_month_cents: int) -> int:
    """What to charge on top of a month's contributions to reach the monthly minimum."""
    if not _is_int(charged_in_month_cents):
        raise TypeError("charged_in_month_cents must be an int")
    return max(0, schedule.monthly_minimum_cents - charged_in_month_cents)
