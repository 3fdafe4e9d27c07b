"""The contribution schedules a cooperative records (pure): their public form, the default,
and the version in force for an activity on a day.

A schedule version is recorded for the cooperative (code ``""``) or as one activity's
override; the arithmetic of a schedule is :mod:`cae_ledger.domain.contribution`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal

from cae_ledger.domain.contribution import (
    Band,
    NoScheduleInForce,
    Schedule,
    ScheduleHistory,
    effective_schedule,
)
from caekit.bounds import check_cents, check_day
from caekit.rules import RuleViolation

# the schedule a cooperative has until it records its own (domain.md: Coopaname 10 %)
DEFAULT_SCHEDULE = Schedule.flat(date(2000, 1, 1), Decimal("0.10"))


# a rate has at most 4 decimals (0.0825 is 8.25 %), as the governance event carries it
RATE_PLACES = 4


def build_schedule(effective_on: date, bands: Iterable[Mapping], monthly_minimum_cents: int) -> Schedule:
    """A schedule from its public form (bands ``{"from_cents", "rate"}``); a bad one is refused
    (``schedule.invalid``, naming ``bands``), and so are a date or an amount outside the
    platform's ranges (``date.out_of_range``, ``amount.out_of_range``)."""
    check_day(effective_on, "effective_on")
    check_cents(monthly_minimum_cents, "monthly_minimum_cents", minimum=0)
    try:
        parsed = []
        for band in bands:
            check_cents(band["from_cents"], "bands", minimum=0)
            parsed.append(Band(band["from_cents"], _rate(band["rate"])))
        return Schedule(effective_on, tuple(parsed), monthly_minimum_cents)
    except (TypeError, ValueError, ArithmeticError, KeyError) as exc:
        raise RuleViolation("schedule.invalid", f"invalid schedule: {exc}", ("bands",)) from exc


def _rate(value) -> Decimal:
    """A band's rate, with at most :data:`RATE_PLACES` decimals (trailing zeros dropped
    beyond them: ``0.100000`` is ``0.1000``)."""
    rate = Decimal(str(value))
    if rate.is_finite() and rate.as_tuple().exponent < -RATE_PLACES:
        places = rate.quantize(Decimal(1).scaleb(-RATE_PLACES))
        if places != rate:
            raise ValueError(f"a rate has at most {RATE_PLACES} decimals, not {value}")
        rate = places
    return rate


def public_bands(schedule: Schedule) -> list[dict]:
    """The bands in their public form: ``[{"from_cents": 0, "rate": Decimal("0.10")}, ...]``."""
    return [{"from_cents": band.threshold_cents, "rate": band.rate} for band in schedule.bands]


def schedule_in_force(versions: Iterable[tuple[str, Schedule]], activity: str, on: date) -> Schedule:
    """The schedule charged to ``activity`` on ``on``: its override in force if any, else the
    cooperative's (code ``""``) in force, else :data:`DEFAULT_SCHEDULE`."""
    versions = list(versions)
    cooperative = [schedule for code, schedule in versions if code == ""]
    override = [schedule for code, schedule in versions if code == activity]
    try:
        return effective_schedule(ScheduleHistory(cooperative or [DEFAULT_SCHEDULE]),
                                  ScheduleHistory(override) if override else None, on)
    except NoScheduleInForce:
        return DEFAULT_SCHEDULE
