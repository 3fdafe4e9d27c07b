"""Membership lifecycle of a CAE (pure: the standard library and ``caekit.rules`` only).

Stages of a person in a coopérative d'activité et d'emploi, the checks on a
person's records (contracts, admission, exit), the CAPE contract (Code de
commerce L127-1), the CESA trial period (Code du travail L7332-1), the
three-year rule to become an associate (Code du travail L7331-3), the alerts on
that deadline and the follow-up interviews (décret 2015-1363).

Every refused rule raises :class:`caekit.rules.RuleViolation` with a short
stable code (``rule``) and a human message naming the law.

Calendar conventions (used by every rule below)
-----------------------------------------------
* A month is a *calendar* month: :func:`add_months` moves to the same day of
  the month ``n`` months later, clamped to that month's last day
  (2024-01-31 + 1 month = 2024-02-29; 2024-02-29 + 12 months = 2025-02-28).
* A period is a pair of dates ``(start, end)`` where ``end`` is the anniversary
  date at which the period is over, so a CAPE from 2025-01-01 to 2026-01-01 lasts
  exactly 12 months and 2025-01-01 -> 2025-11-01 lasts 10 months.
* The length of a period is :func:`months_and_days`: the largest whole number of
  months that fits, then the remaining days. Lengths are added component-wise
  (months with months, days with days; days are never converted into months).
* A length is subtracted from a date by first subtracting the months with
  :func:`add_months`, then the days with a plain day count.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from caekit.rules import RuleViolation

__all__ = [
    "ALERT_APPROACHING_30",
    "ALERT_APPROACHING_90",
    "ALERT_MISSED",
    "ALLOWED_TRANSITIONS",
    "CAPE_MAX_MONTHS",
    "CAPE_MAX_RENEWALS",
    "CESA_TRIAL_MAX_MONTHS",
    "FIRST_STAGES",
    "FOLLOW_UP_MIN_INTERVIEWS",
    "THREE_YEAR_RULE_MONTHS",
    "TIED_TO_RECORDS",
    "Cape",
    "Stage",
    "Step",
    "add_months",
    "alert_horizon",
    "alerts_due",
    "associate_deadline",
    "check_admission",
    "check_cape_running",
    "check_correctable",
    "check_interview",
    "check_new_contract",
    "check_not_before",
    "check_scan_day",
    "check_still_member",
    "correct_step",
    "current_stage",
    "earlier_capes",
    "effective_history",
    "ends_with",
    "follow_up_window_start",
    "max_trial_end",
    "months_and_days",
    "needs_follow_up",
    "next_step",
    "renew_cape",
    "total_length",
    "validate_cape",
    "validate_history",
    "validate_trial",
]

CAPE_MAX_MONTHS = 12  # Code de commerce L127-1: initial contract and each renewal
CAPE_MAX_RENEWALS = 2  # Code de commerce L127-1
CESA_TRIAL_MAX_MONTHS = 8  # Code du travail L7332-1, renewal included
THREE_YEAR_RULE_MONTHS = 36  # Code du travail L7331-3
FOLLOW_UP_MIN_INTERVIEWS = 2  # décret 2015-1363: at least two a year

ALERT_APPROACHING_90 = "approaching_90"
ALERT_APPROACHING_30 = "approaching_30"
ALERT_MISSED = "missed"


# --------------------------------------------------------------------------- calendar


def _last_day_of_month(year: int, month: int) -> int:
    if month == 12:
        return 31
    return (date(year, month + 1, 1) - timedelta(days=1)).day


def add_months(d: date, n: int) -> date:
    """``d`` moved by ``n`` calendar months (``n`` may be negative or zero).

    The day of the month is kept, clamped to the last day of the target month:
    2024-01-31 + 1 = 2024-02-29, 2024-02-29 + 12 = 2025-02-28,
    2023-03-31 - 1 = 2023-02-28. Clamping makes the operation non-invertible
    (2024-01-31 + 1 - 1 = 2024-01-29), so callers add months once from a fixed
    origin rather than step by step.
    """
    index = d.year * 12 + (d.month - 1) + n
    year, month0 = divmod(index, 12)
    month = month0 + 1
    return date(year, month, min(d.day, _last_day_of_month(year, month)))


def months_and_days(start: date, end: date) -> tuple[int, int]:
    """Length of the period ``start -> end`` as ``(months, days)``.

    ``months`` is the largest whole number ``m`` with ``add_months(start, m) <= end``
    and ``days`` is ``end - add_months(start, months)`` in days (so always less
    than the length of the next month). Examples: 2025-01-01 -> 2025-11-01 is
    (10, 0); 2024-01-31 -> 2024-02-29 is (1, 0); 2025-01-01 -> 2026-01-02 is (12, 1).
    Raises ``dates.out_of_order`` when ``end`` is before ``start``.
    """
    if end < start:
        raise RuleViolation(
            "dates.out_of_order",
            f"a period cannot end ({end.isoformat()}) before it starts ({start.isoformat()})",
        )
    months = (end.year - start.year) * 12 + (end.month - start.month)
    # add_months(start, m) is non-decreasing in m; the estimate overshoots by at most one.
    while months > 0 and add_months(start, months) > end:
        months -= 1
    return months, (end - add_months(start, months)).days


def total_length(periods: Iterable[tuple[date, date]]) -> tuple[int, int]:
    """Sum of the lengths of ``periods``: months added to months, days to days."""
    total_months = total_days = 0
    for start, end in periods:
        months, days = months_and_days(start, end)
        total_months += months
        total_days += days
    return total_months, total_days


def _minus_length(d: date, length: tuple[int, int]) -> date:
    """``d`` minus a length: the months first (with :func:`add_months`), then the days."""
    months, days = length
    return add_months(d, -months) - timedelta(days=days)


# --------------------------------------------------------------------------- stages


class Stage(StrEnum):
    """Where a person stands in the cooperative (enDI's stages)."""

    CANDIDATE = "candidate"
    DIAGNOSTIC = "diagnostic"
    CAPE = "cape"  # contrat d'appui au projet d'entreprise
    CESA = "cesa"  # contrat d'entrepreneur salarié associé
    ASSOCIATE = "associate"
    EXITED = "exited"


#: Stages a person may be registered at as their first step.
FIRST_STAGES: frozenset[Stage] = frozenset(
    {Stage.CANDIDATE, Stage.DIAGNOSTIC, Stage.CAPE, Stage.CESA}
)

#: Allowed moves; any non-exited stage may also move to ``exited``.
ALLOWED_TRANSITIONS: dict[Stage, frozenset[Stage]] = {
    Stage.CANDIDATE: frozenset({Stage.DIAGNOSTIC, Stage.CAPE, Stage.CESA, Stage.EXITED}),
    Stage.DIAGNOSTIC: frozenset({Stage.CAPE, Stage.CESA, Stage.EXITED}),
    Stage.CAPE: frozenset({Stage.CESA, Stage.EXITED}),
    Stage.CESA: frozenset({Stage.ASSOCIATE, Stage.EXITED}),
    Stage.ASSOCIATE: frozenset({Stage.EXITED}),
    Stage.EXITED: frozenset(),
}


@dataclass(frozen=True)
class Step:
    """One recorded step of a person's history; steps are never overwritten.

    ``corrects`` is the index (in the recorded list of steps) of an earlier step
    that this step corrects; a correction must carry a non-empty ``reason``.
    For other steps ``reason`` is an optional note (e.g. the exit reason).
    """

    stage: Stage
    on: date
    corrects: int | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "stage", Stage(self.stage))
        if self.corrects is not None:
            if self.corrects < 0:
                raise RuleViolation(
                    "correction.unknown_step", f"step index {self.corrects} does not exist"
                )
            if not self.reason or not self.reason.strip():
                raise RuleViolation(
                    "correction.reason_required",
                    "a correction of the membership history must state its reason",
                )

    @property
    def is_correction(self) -> bool:
        return self.corrects is not None


def _original_index(steps: Sequence[Step], index: int) -> int:
    """The index of the original step that ``steps[index]`` stands for (follows chains)."""
    seen = index
    while steps[seen].corrects is not None:
        seen = steps[seen].corrects
    return seen


def effective_history(steps: Sequence[Step]) -> list[Step]:
    """The history as it stands after corrections, in the order of the originals.

    Each original step (one with ``corrects is None``) is replaced by its latest
    correction. A correction may point at an original or at another correction
    (it then stands for the same original). A correction must point at an
    earlier index, else ``correction.unknown_step``.
    """
    latest: dict[int, Step] = {}
    order: list[int] = []
    for index, step in enumerate(steps):
        if step.corrects is None:
            latest[index] = step
            order.append(index)
            continue
        if step.corrects >= index:
            raise RuleViolation(
                "correction.unknown_step",
                f"step {index} corrects step {step.corrects}, which is not an earlier step",
            )
        latest[_original_index(steps, step.corrects)] = step
    return [latest[index] for index in order]


def _check_first(step: Step) -> None:
    if step.stage not in FIRST_STAGES:
        allowed = ", ".join(sorted(stage.value for stage in FIRST_STAGES))
        raise RuleViolation(
            "stage.not_allowed",
            f"a person cannot be registered directly at stage {step.stage.value}; "
            f"first stages are: {allowed}",
        )


def _check_move(previous: Step, step: Step) -> None:
    if previous.stage is Stage.EXITED:
        raise RuleViolation(
            "stage.after_exit",
            f"the person left the cooperative on {previous.on.isoformat()}; "
            f"no stage can follow an exit",
        )
    if step.stage not in ALLOWED_TRANSITIONS[previous.stage]:
        allowed = ", ".join(sorted(s.value for s in ALLOWED_TRANSITIONS[previous.stage]))
        raise RuleViolation(
            "stage.not_allowed",
            f"a person cannot go from {previous.stage.value} to {step.stage.value}; "
            f"allowed next stages: {allowed}",
        )
    if step.on < previous.on:
        raise RuleViolation(
            "dates.out_of_order",
            f"{step.stage.value} on {step.on.isoformat()} cannot come before "
            f"{previous.stage.value} on {previous.on.isoformat()}",
        )


def _check_sequence(effective: Sequence[Step]) -> None:
    if not effective:
        return
    _check_first(effective[0])
    for previous, step in zip(effective, effective[1:], strict=False):
        _check_move(previous, step)


def validate_history(steps: Sequence[Step]) -> None:
    """Check a whole recorded history (corrections applied) against the stage rules."""
    _check_sequence(effective_history(steps))


def current_stage(history: Sequence[Step]) -> Stage | None:
    """The stage the person is at after the last step (corrections applied); None if no step."""
    effective = effective_history(history)
    return effective[-1].stage if effective else None


def next_step(history: Sequence[Step], stage: Stage, on: date, *, reason: str = "") -> Step:
    """The step that moves a person to ``stage`` on ``on``, validated against ``history``.

    ``history`` is the recorded list of steps (corrections included); the caller
    appends the returned step to it. Refusals: ``stage.not_allowed`` (first stage
    not in :data:`FIRST_STAGES` or move not in :data:`ALLOWED_TRANSITIONS`),
    ``stage.after_exit``, ``dates.out_of_order`` (before the previous step's date;
    the same day is allowed).
    """
    step = Step(Stage(stage), on, reason=reason)
    effective = effective_history(history)
    if not effective:
        _check_first(step)
    else:
        _check_move(effective[-1], step)
    return step


def correct_step(
    history: Sequence[Step],
    corrects: int,
    *,
    reason: str,
    stage: Stage | None = None,
    on: date | None = None,
) -> Step:
    """A correction of ``history[corrects]``, validated; the caller appends it.

    ``stage`` and ``on`` default to the corrected step's values. The history with
    the correction applied must still follow every stage rule (dates in order:
    ``dates.out_of_order``; transitions: ``stage.not_allowed``,
    ``stage.after_exit``). Also ``correction.reason_required`` and
    ``correction.unknown_step``.
    """
    if not 0 <= corrects < len(history):
        raise RuleViolation(
            "correction.unknown_step", f"there is no recorded step {corrects} to correct"
        )
    target = history[corrects]
    correction = Step(
        Stage(stage) if stage is not None else target.stage,
        on if on is not None else target.on,
        corrects=corrects,
        reason=reason,
    )
    _check_sequence(effective_history([*history, correction]))
    return correction


# --------------------------------------------------------------------------- a person's records

#: Steps recorded by their own operation (a contract, the admission, the exit): the contract
#: and the member's record depend on their dates, so they are not corrected as steps.
TIED_TO_RECORDS: frozenset[Stage] = frozenset(
    {Stage.CAPE, Stage.CESA, Stage.ASSOCIATE, Stage.EXITED}
)


def check_correctable(target: str | None, stage: str | None) -> None:
    """Refuse a correction of a step tied to records, or into one (``correction.tied_to_records``).

    ``target`` is the stage of the step to correct (None when there is no such step:
    :func:`correct_step` then names it), ``stage`` the stage the correction asks for.
    """
    if target in TIED_TO_RECORDS or stage in TIED_TO_RECORDS:
        raise RuleViolation("correction.tied_to_records",
                            f"a {target or stage} step is tied to its contract or the member's "
                            "record: it cannot be corrected as a step")


def check_still_member(left_on: date | None) -> None:
    """Nothing happens to a person after their exit (``stage.after_exit``)."""
    if left_on is not None:
        raise RuleViolation("stage.after_exit",
                            f"the member left on {left_on}: nothing happens after an exit")


def check_not_before(on: date, earlier: date, what: str) -> None:
    """``on`` cannot come before ``earlier``, the date of ``what`` (``dates.out_of_order``)."""
    if on < earlier:
        raise RuleViolation("dates.out_of_order", f"{on} is before {what} ({earlier})")


def check_new_contract(kind: str, ends_on: date | None, *, has_cesa: bool,
                       cape_running: bool) -> None:
    """What a new contract needs before its dates are checked.

    One CESA per person (``cesa.already_signed``); a CAPE only while none runs
    (``cape.already_running``: renew it instead) and with an end date
    (``cape.end_required``); a CESA is open-ended (``cesa.open_ended``).
    """
    if has_cesa:
        raise RuleViolation("cesa.already_signed", "this person already has a CESA")
    if kind == "CAPE":
        if cape_running:
            raise RuleViolation("cape.already_running", "a CAPE is running: renew it instead")
        if ends_on is None:
            raise RuleViolation("cape.end_required", "a CAPE has an end date")
    elif ends_on is not None:
        raise RuleViolation("cesa.open_ended", "a CESA is open-ended (Code du travail L7331-2)")


def ends_with(on: date, planned_end: date | None) -> date:
    """The day a running contract ends when something ends it on ``on`` (the CESA taking over
    from a CAPE, an exit): that day, or its planned end when it had already run out."""
    return min(on, planned_end) if planned_end is not None else on


def earlier_capes(periods: Iterable[tuple[date, date]]) -> list[tuple[date, date]]:
    """The CAPE periods that shorten a CESA's trial and its associate deadline.

    ``periods`` are each CAPE's ``(start, end)``, its end being the day it ended or else its
    planned end; a CAPE replaced on its first day lasted nothing and is left out.
    """
    return [(start, end) for start, end in periods if end > start]


def check_cape_running(ended_on: date | None) -> None:
    """Only a running CAPE is renewed (``cape.ended``)."""
    if ended_on is not None:
        raise RuleViolation("cape.ended", f"this CAPE ended on {ended_on}")


def check_admission(on: date, *, cesa_signed_on: date | None, associate_on: date | None,
                    deadline: date | None) -> None:
    """A CESA holder becomes an associate once, from the CESA's signature to the deadline.

    Refusals: ``associate.needs_cesa``, ``associate.already``, ``dates.out_of_order``
    (before the CESA) and ``associate.deadline_missed`` (past it the CESA ends, Code du
    travail L7331-3).
    """
    if cesa_signed_on is None:
        raise RuleViolation("associate.needs_cesa", "only a CESA holder becomes an associate")
    if associate_on is not None:
        raise RuleViolation("associate.already", f"already an associate since {associate_on}")
    check_not_before(on, cesa_signed_on, "the CESA's signature")
    if deadline is not None and on > deadline:
        raise RuleViolation(
            "associate.deadline_missed",
            f"the deadline was {deadline}: past it the CESA ends "
            "(Code du travail L7331-3); record its end first")


# --------------------------------------------------------------------------- CAPE


def _check_cape_term(start: date, end: date, what: str) -> None:
    if end <= start:
        raise RuleViolation(
            "dates.out_of_order",
            f"a CAPE {what} must end ({end.isoformat()}) after it starts ({start.isoformat()})",
        )
    limit = add_months(start, CAPE_MAX_MONTHS)
    if end > limit:
        raise RuleViolation(
            "cape.too_long",
            f"a CAPE {what} lasts at most {CAPE_MAX_MONTHS} months (Code de commerce L127-1): "
            f"from {start.isoformat()} it must end on or before {limit.isoformat()}",
        )


@dataclass(frozen=True)
class Cape:
    """A contrat d'appui au projet d'entreprise (Code de commerce L127-1).

    ``end`` is the current end date (after renewals); ``renewals`` counts them.
    Build one with :func:`validate_cape` and extend it with :func:`renew_cape`.
    """

    start: date
    end: date
    renewals: int = 0

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise RuleViolation(
                "dates.out_of_order",
                f"a CAPE must end ({self.end.isoformat()}) after it starts "
                f"({self.start.isoformat()})",
            )
        if not 0 <= self.renewals <= CAPE_MAX_RENEWALS:
            raise RuleViolation(
                "cape.too_many_renewals",
                f"a CAPE is renewable at most {CAPE_MAX_RENEWALS} times "
                f"(Code de commerce L127-1)",
            )

    @property
    def period(self) -> tuple[date, date]:
        """``(start, end)``, the form :func:`associate_deadline` and :func:`max_trial_end` take."""
        return self.start, self.end


def validate_cape(start: date, end: date) -> Cape:
    """A new CAPE, refused unless ``start < end <= add_months(start, 12)``.

    Exactly 12 months is allowed (2025-01-01 -> 2026-01-01); one more day is
    ``cape.too_long``; ``end <= start`` is ``dates.out_of_order``.
    """
    _check_cape_term(start, end, "contract")
    return Cape(start, end)


def renew_cape(cape: Cape, new_end: date) -> Cape:
    """``cape`` renewed until ``new_end``.

    At most two renewals (``cape.too_many_renewals``), each extending the
    current end by at most 12 months: ``cape.end < new_end <= add_months(cape.end, 12)``
    (``dates.out_of_order`` / ``cape.too_long``).
    """
    if cape.renewals >= CAPE_MAX_RENEWALS:
        raise RuleViolation(
            "cape.too_many_renewals",
            f"a CAPE is renewable at most {CAPE_MAX_RENEWALS} times (Code de commerce L127-1); "
            f"this one has already been renewed {cape.renewals} times",
        )
    _check_cape_term(cape.end, new_end, "renewal")
    return Cape(cape.start, new_end, cape.renewals + 1)


def _check_earlier_capes(
    cesa_start: date, earlier_capes: Sequence[tuple[date, date]]
) -> None:
    """Earlier CAPEs must be real periods, end by the CESA start and not overlap."""
    periods = sorted(earlier_capes)
    for start, end in periods:
        if end <= start:
            raise RuleViolation(
                "dates.out_of_order",
                f"a CAPE must end ({end.isoformat()}) after it starts ({start.isoformat()})",
            )
        if end > cesa_start:
            raise RuleViolation(
                "dates.out_of_order",
                f"an earlier CAPE ending {end.isoformat()} cannot end after the CESA "
                f"starts ({cesa_start.isoformat()})",
            )
    for (_, previous_end), (start, _) in zip(periods, periods[1:], strict=False):
        if start < previous_end:
            raise RuleViolation(
                "cape.overlap",
                f"earlier CAPE periods overlap ({start.isoformat()} < {previous_end.isoformat()}); "
                f"a renewed CAPE is one period (start, final end)",
            )


# --------------------------------------------------------------------------- CESA


def max_trial_end(
    cesa_start: date, earlier_capes: Sequence[tuple[date, date]] = ()
) -> date | None:
    """Latest end of the CESA trial period (Code du travail L7332-1), or None.

    At most 8 months, renewal included, minus the total length of the earlier
    CAPEs with the cooperative: ``add_months(cesa_start, 8)``, then minus the
    CAPEs' summed whole months (with :func:`add_months`), then minus their summed
    remaining days. None when nothing remains (result on or before ``cesa_start``):
    no trial period is allowed. ``earlier_capes`` are ``(start, end)`` periods; a
    renewed CAPE is given once, as ``(start, final end)``.
    """
    _check_earlier_capes(cesa_start, earlier_capes)
    end = _minus_length(add_months(cesa_start, CESA_TRIAL_MAX_MONTHS), total_length(earlier_capes))
    return end if end > cesa_start else None


def validate_trial(
    cesa_start: date, trial_end: date, earlier_capes: Sequence[tuple[date, date]] = ()
) -> None:
    """Refuse a trial period ending after :func:`max_trial_end` (``cesa.trial_too_long``).

    ``trial_end <= cesa_start`` is ``dates.out_of_order``; any trial at all is
    ``cesa.trial_too_long`` when the earlier CAPEs used up the 8 months.
    """
    if trial_end <= cesa_start:
        raise RuleViolation(
            "dates.out_of_order",
            f"a trial period must end ({trial_end.isoformat()}) after the CESA starts "
            f"({cesa_start.isoformat()})",
        )
    limit = max_trial_end(cesa_start, earlier_capes)
    if limit is None:
        raise RuleViolation(
            "cesa.trial_too_long",
            f"no trial period is allowed: a CESA trial lasts at most {CESA_TRIAL_MAX_MONTHS} "
            f"months including renewal, minus any earlier CAPE (Code du travail L7332-1), "
            f"and the earlier CAPEs already cover them",
        )
    if trial_end > limit:
        raise RuleViolation(
            "cesa.trial_too_long",
            f"a CESA trial lasts at most {CESA_TRIAL_MAX_MONTHS} months including renewal, "
            f"minus any earlier CAPE (Code du travail L7332-1): it must end on or before "
            f"{limit.isoformat()}",
        )


def associate_deadline(
    cesa_start: date, earlier_capes: Sequence[tuple[date, date]] = ()
) -> date:
    """Date by which a CESA holder must become an associate (Code du travail L7331-3).

    ``add_months(cesa_start, 36)``, then minus the earlier CAPEs' summed whole
    months (with :func:`add_months`), then minus their summed remaining days.
    Example: CAPE 2025-01-01 -> 2025-11-01 (10 months), CESA 2025-11-01: 2028-01-01.
    Becoming an associate on the deadline itself is in time; the day after, the
    deadline is missed. If earlier CAPEs used up the 3 years the deadline falls
    on or before ``cesa_start`` (already due).
    """
    _check_earlier_capes(cesa_start, earlier_capes)
    return _minus_length(add_months(cesa_start, THREE_YEAR_RULE_MONTHS), total_length(earlier_capes))


def alert_horizon(today: date) -> date:
    """The latest deadline an alert can be due for ``today`` (the widest window, 90 days);
    a missed deadline is earlier, so every deadline up to this day is worth looking at."""
    return today + timedelta(days=90)


def check_scan_day(day: date, today: date) -> None:
    """A deadline scan is for a day already reached (``scan.future``)."""
    if day > today:
        raise RuleViolation("scan.future", "a scan for a day still to come would record "
                            "alerts that day has not reached")


def alerts_due(
    today: date,
    deadline: date,
    *,
    associate_on: date | None = None,
    exited_on: date | None = None,
    already_sent: AbstractSet[str] = frozenset(),
) -> list[str]:
    """Alert kinds about the associate deadline to emit ``today``.

    * ``approaching_90``: ``deadline - 90 days <= today < deadline``;
    * ``approaching_30``: ``deadline - 30 days <= today < deadline``;
    * ``missed``: ``today > deadline``, once.

    Nothing on the deadline day itself (still in time, not yet missed).
    At most one approaching kind is returned: the most urgent window applies, and
    inside the 30-day window ``approaching_90`` is *superseded*: it is never
    emitted there, even if it was never sent (a first scan 20 days before the
    deadline emits ``approaching_30`` only). A kind in ``already_sent`` is never
    returned again, so a scan run twice on the same day emits one event.
    Nothing at all once the person became an associate (``associate_on <= today``)
    or left (``exited_on <= today``); dates in the future do not silence alerts.
    """
    if associate_on is not None and associate_on <= today:
        return []
    if exited_on is not None and exited_on <= today:
        return []
    if today > deadline:
        kind = ALERT_MISSED
    elif today == deadline:
        return []
    elif today >= deadline - timedelta(days=30):
        kind = ALERT_APPROACHING_30
    elif today >= deadline - timedelta(days=90):
        kind = ALERT_APPROACHING_90
    else:
        return []
    return [] if kind in already_sent else [kind]


# --------------------------------------------------------------------------- follow-up


def follow_up_window_start(today: date) -> date:
    """The interviews that count on ``today`` are those after this day, up to ``today``."""
    return add_months(today, -12)


def check_interview(held_on: date, joined_on: date) -> None:
    """An interview is held once the person joined (``dates.out_of_order``)."""
    if held_on < joined_on:
        raise RuleViolation("dates.out_of_order", f"{held_on} is before the person joined")


def needs_follow_up(interview_dates: Iterable[date], today: date) -> bool:
    """True when fewer than two follow-up interviews fall in the last 12 months.

    Décret 2015-1363: at least two individual follow-up interviews a year. The
    window is ``(add_months(today, -12), today]``: an interview exactly 12
    months ago no longer counts, one today does, future dates do not. Each
    entry counts as one interview.
    """
    window_start = follow_up_window_start(today)
    held = sum(1 for d in interview_dates if window_start < d <= today)
    return held < FOLLOW_UP_MIN_INTERVIEWS
