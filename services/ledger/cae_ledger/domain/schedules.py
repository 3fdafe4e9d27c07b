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
from caekit.rules import RuleViolation

# the schedule a cooperative has until it records its own (domain.md: Coopaname 10 %)
DEFAULT_SCHEDULE = Schedule.flat(date(2000, 1, 1), Decimal("0.10"))


def build_schedule(effective_on: date, bands: Iterable[Mapping], monthly_minimum_cents: int) -> Schedule:
    """A schedule from its public form (bands ``{"from_cents", "rate"}``); a bad one is refused
    (``schedule.invalid``) naming the problem."""
    try:
        return Schedule(effective_on, tuple(Band(b["from_cents"], Decimal(str(b["rate"])))
                                            for b in bands), monthly_minimum_cents)
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise RuleViolation("schedule.invalid", f"invalid schedule: {exc}") from exc


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
