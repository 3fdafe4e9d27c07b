"""Membership lifecycle rules: calendar, stages, CAPE, CESA, three-year rule, alerts, follow-up."""

from __future__ import annotations

import ast
import pickle
import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from cae_members.domain import activities, cooperatives, lifecycle
from cae_members.domain.lifecycle import (
    Cape,
    Stage,
    Step,
    add_months,
    alerts_due,
    associate_deadline,
    correct_step,
    current_stage,
    effective_history,
    max_trial_end,
    months_and_days,
    needs_follow_up,
    next_step,
    renew_cape,
    total_length,
    validate_cape,
    validate_history,
    validate_trial,
)
from caekit.rules import RuleViolation

D = date


def refused(rule: str):
    """pytest.raises for a RuleViolation with the given rule code."""
    return pytest.raises(RuleViolation, match="^" + re.escape(rule) + ": ")


# --------------------------------------------------------------------------- purity


KIT_RULES = "caekit.rules"  # the one rule-violation class of every service


def imports_of(module) -> set[str]:
    """The full names of the modules ``module``'s source imports."""
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
    return imported


def test_module_imports_only_the_standard_library():
    imported = imports_of(lifecycle) - {KIT_RULES}
    assert {name.split(".")[0] for name in imported} <= {
        "__future__", "collections", "dataclasses", "datetime", "enum"}


@pytest.mark.parametrize("module", [activities, cooperatives])
def test_the_other_domain_modules_import_only_the_standard_library(module):
    imported = imports_of(module) - {KIT_RULES}
    assert {name.split(".")[0] for name in imported} <= {"__future__", "collections", "datetime", "re"}


def test_rule_violation_carries_rule_and_message():
    error = RuleViolation("cape.too_long", "a CAPE lasts at most 12 months (Code de commerce L127-1)")
    assert isinstance(error, Exception)
    assert error.rule == "cape.too_long"
    assert error.message == "a CAPE lasts at most 12 months (Code de commerce L127-1)"
    assert str(error) == "cape.too_long: a CAPE lasts at most 12 months (Code de commerce L127-1)"
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.rule, copy.message) == (error.rule, error.message)


# --------------------------------------------------------------------------- calendar


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (D(2024, 1, 31), 1, D(2024, 2, 29)),  # leap February
        (D(2024, 2, 29), 12, D(2025, 2, 28)),  # leap day to a common year
        (D(2023, 3, 31), -1, D(2023, 2, 28)),  # backwards, common February
        (D(2023, 1, 31), 1, D(2023, 2, 28)),
        (D(2024, 3, 31), -1, D(2024, 2, 29)),
        (D(2024, 2, 29), 48, D(2028, 2, 29)),
        (D(2025, 11, 15), 2, D(2026, 1, 15)),  # across the year
        (D(2026, 1, 15), -2, D(2025, 11, 15)),
        (D(2025, 12, 31), 0, D(2025, 12, 31)),
        (D(2025, 5, 31), 1, D(2025, 6, 30)),
        (D(2025, 1, 1), -36, D(2022, 1, 1)),
    ],
)
def test_add_months_clamps_to_the_last_day(start, months, expected):
    assert add_months(start, months) == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (D(2025, 1, 1), D(2025, 11, 1), (10, 0)),
        (D(2025, 1, 1), D(2026, 1, 1), (12, 0)),
        (D(2025, 1, 1), D(2026, 1, 2), (12, 1)),
        (D(2024, 1, 31), D(2024, 2, 29), (1, 0)),  # clamped month counts as whole
        (D(2024, 1, 31), D(2024, 2, 28), (0, 28)),
        (D(2024, 1, 31), D(2024, 3, 30), (1, 30)),  # 01-31 + 2 months = 03-31 > 03-30
        (D(2025, 3, 10), D(2025, 3, 10), (0, 0)),
        (D(2025, 3, 10), D(2025, 4, 9), (0, 30)),
        (D(2024, 2, 29), D(2025, 2, 28), (12, 0)),
    ],
)
def test_months_and_days(start, end, expected):
    assert months_and_days(start, end) == expected
    months, days = expected
    assert add_months(start, months) + timedelta(days=days) == end


def test_months_and_days_refuses_an_end_before_the_start():
    with refused("dates.out_of_order"):
        months_and_days(D(2025, 3, 10), D(2025, 3, 9))


def test_total_length_adds_months_and_days_separately():
    periods = [(D(2024, 1, 1), D(2024, 3, 20)), (D(2024, 5, 1), D(2024, 6, 15))]
    assert total_length(periods) == (3, 33)  # (2, 19) + (1, 14); days are not folded
    assert total_length([]) == (0, 0)


# --------------------------------------------------------------------------- stages


def build(*steps: tuple[Stage, date]) -> list[Step]:
    history: list[Step] = []
    for stage, on in steps:
        history.append(next_step(history, stage, on))
    return history


@pytest.mark.parametrize("first", [Stage.CANDIDATE, Stage.DIAGNOSTIC, Stage.CAPE, Stage.CESA])
def test_a_person_may_be_registered_at_a_first_stage(first):
    step = next_step([], first, D(2025, 1, 6))
    assert step == Step(first, D(2025, 1, 6))
    assert current_stage([step]) is first


@pytest.mark.parametrize("first", [Stage.ASSOCIATE, Stage.EXITED])
def test_a_person_cannot_start_as_associate_or_exited(first):
    with refused("stage.not_allowed"):
        next_step([], first, D(2025, 1, 6))


def test_current_stage_of_nobody_is_none():
    assert current_stage([]) is None


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (Stage.CANDIDATE, Stage.DIAGNOSTIC),
        (Stage.CANDIDATE, Stage.CAPE),
        (Stage.CANDIDATE, Stage.CESA),  # a CESA without a CAPE
        (Stage.DIAGNOSTIC, Stage.CAPE),
        (Stage.DIAGNOSTIC, Stage.CESA),
        (Stage.CAPE, Stage.CESA),
        (Stage.CESA, Stage.ASSOCIATE),
        (Stage.CANDIDATE, Stage.EXITED),
        (Stage.DIAGNOSTIC, Stage.EXITED),
        (Stage.CAPE, Stage.EXITED),
        (Stage.CESA, Stage.EXITED),
    ],
)
def test_allowed_transitions(before, after):
    history = build((before, D(2025, 1, 6)))
    step = next_step(history, after, D(2025, 2, 3))
    assert current_stage([*history, step]) is after


def test_associate_may_exit():
    history = build(
        (Stage.CESA, D(2025, 1, 6)), (Stage.ASSOCIATE, D(2026, 6, 20)), (Stage.EXITED, D(2027, 1, 1))
    )
    assert current_stage(history) is Stage.EXITED


@pytest.mark.parametrize(
    ("path", "refused_stage"),
    [
        ([Stage.CANDIDATE], Stage.ASSOCIATE),  # no associate without a CESA
        ([Stage.CANDIDATE], Stage.CANDIDATE),
        ([Stage.DIAGNOSTIC], Stage.CANDIDATE),
        ([Stage.CAPE], Stage.DIAGNOSTIC),
        ([Stage.CAPE], Stage.CAPE),
        ([Stage.CAPE], Stage.ASSOCIATE),
        ([Stage.CESA], Stage.CAPE),
        ([Stage.CESA], Stage.CESA),
        ([Stage.CESA, Stage.ASSOCIATE], Stage.CESA),
        ([Stage.CESA, Stage.ASSOCIATE], Stage.ASSOCIATE),
    ],
)
def test_refused_transitions(path, refused_stage):
    history = build(*[(stage, D(2025, 1, 6)) for stage in path])
    with refused("stage.not_allowed") as caught:
        next_step(history, refused_stage, D(2025, 3, 3))
    assert refused_stage.value in caught.value.message


def test_a_step_may_be_on_the_same_day_but_not_before():
    history = build((Stage.CANDIDATE, D(2025, 3, 3)))
    assert next_step(history, Stage.CAPE, D(2025, 3, 3)).on == D(2025, 3, 3)
    with refused("dates.out_of_order"):
        next_step(history, Stage.CAPE, D(2025, 3, 2))


@pytest.mark.parametrize("stage", list(Stage))
def test_nothing_after_exit(stage):
    history = build((Stage.CANDIDATE, D(2025, 1, 6)), (Stage.EXITED, D(2025, 2, 1)))
    with refused("stage.after_exit"):
        next_step(history, stage, D(2025, 6, 1))


def test_stage_accepts_its_value():
    assert Step("cape", D(2025, 1, 6)).stage is Stage.CAPE
    assert Stage("cesa") is Stage.CESA
    assert Stage.CESA == "cesa"


def test_exit_reason_is_kept_on_the_step():
    history = build((Stage.CESA, D(2025, 1, 6)))
    step = next_step(history, Stage.EXITED, D(2025, 9, 30), reason="project abandoned")
    assert step.reason == "project abandoned"


# --------------------------------------------------------------------------- corrections


def test_a_correction_keeps_history_and_replaces_the_effective_step():
    history = build(
        (Stage.CANDIDATE, D(2025, 1, 6)), (Stage.CAPE, D(2025, 2, 10)), (Stage.CESA, D(2025, 9, 1))
    )
    recorded = list(history)
    fix = correct_step(history, 1, on=D(2025, 2, 3), reason="CAPE signed on the 3rd, typo")
    assert fix == Step(Stage.CAPE, D(2025, 2, 3), corrects=1, reason="CAPE signed on the 3rd, typo")
    assert history == recorded  # nothing overwritten
    history.append(fix)
    assert len(history) == 4
    assert history[1] == Step(Stage.CAPE, D(2025, 2, 10))
    assert effective_history(history) == [history[0], fix, history[2]]
    assert current_stage(history) is Stage.CESA


def test_a_correction_may_change_the_stage():
    history = build((Stage.CANDIDATE, D(2025, 1, 6)), (Stage.CAPE, D(2025, 2, 10)))
    history.append(correct_step(history, 1, stage=Stage.DIAGNOSTIC, reason="was a diagnostic"))
    assert current_stage(history) is Stage.DIAGNOSTIC
    history.append(next_step(history, Stage.CAPE, D(2025, 3, 1)))
    assert [s.stage for s in effective_history(history)] == [
        Stage.CANDIDATE,
        Stage.DIAGNOSTIC,
        Stage.CAPE,
    ]


def test_the_latest_correction_wins_and_corrections_of_corrections_chain():
    history = build((Stage.CANDIDATE, D(2025, 1, 6)), (Stage.CAPE, D(2025, 2, 10)))
    history.append(correct_step(history, 1, on=D(2025, 2, 11), reason="first fix"))
    history.append(correct_step(history, 2, on=D(2025, 2, 12), reason="fix of the fix"))
    history.append(correct_step(history, 1, on=D(2025, 2, 13), reason="fix again"))
    effective = effective_history(history)
    assert [s.on for s in effective] == [D(2025, 1, 6), D(2025, 2, 13)]
    assert len(history) == 5


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_correction_requires_a_reason(reason):
    history = build((Stage.CANDIDATE, D(2025, 1, 6)), (Stage.CAPE, D(2025, 2, 10)))
    with refused("correction.reason_required"):
        correct_step(history, 1, on=D(2025, 2, 3), reason=reason)
    with refused("correction.reason_required"):
        Step(Stage.CAPE, D(2025, 2, 3), corrects=1)


def test_a_correction_must_keep_the_dates_in_order():
    history = build(
        (Stage.CANDIDATE, D(2025, 1, 6)), (Stage.CAPE, D(2025, 2, 10)), (Stage.CESA, D(2025, 9, 1))
    )
    with refused("dates.out_of_order"):  # before the previous step
        correct_step(history, 1, on=D(2025, 1, 5), reason="typo")
    with refused("dates.out_of_order"):  # after the next step
        correct_step(history, 1, on=D(2025, 9, 2), reason="typo")
    with refused("dates.out_of_order"):  # the last step before the one before it
        correct_step(history, 2, on=D(2025, 2, 9), reason="typo")


def test_a_correction_must_keep_transitions_valid():
    history = build((Stage.CANDIDATE, D(2025, 1, 6)), (Stage.CESA, D(2025, 2, 10)))
    with refused("stage.not_allowed"):
        correct_step(history, 0, stage=Stage.ASSOCIATE, reason="wrong")
    with refused("stage.not_allowed"):
        correct_step(history, 1, stage=Stage.ASSOCIATE, reason="wrong")


def test_new_steps_are_checked_against_the_corrected_history():
    history = build((Stage.CANDIDATE, D(2025, 1, 6)), (Stage.CAPE, D(2025, 2, 10)))
    history.append(correct_step(history, 1, on=D(2025, 4, 1), reason="signed later"))
    with refused("dates.out_of_order"):
        next_step(history, Stage.CESA, D(2025, 3, 1))
    assert next_step(history, Stage.CESA, D(2025, 4, 1)).stage is Stage.CESA


def test_a_correction_must_point_at_an_earlier_step():
    history = build((Stage.CANDIDATE, D(2025, 1, 6)))
    with refused("correction.unknown_step"):
        correct_step(history, 1, reason="nothing there")
    with refused("correction.unknown_step"):
        correct_step(history, -1, reason="nothing there")
    with refused("correction.unknown_step"):
        effective_history([Step(Stage.CANDIDATE, D(2025, 1, 6), corrects=0, reason="self")])


def test_validate_history_replays_every_rule():
    good = build((Stage.CANDIDATE, D(2025, 1, 6)), (Stage.CESA, D(2025, 2, 1)))
    validate_history(good)
    with refused("dates.out_of_order"):
        validate_history([Step(Stage.CANDIDATE, D(2025, 2, 1)), Step(Stage.CESA, D(2025, 1, 1))])
    with refused("stage.after_exit"):
        validate_history([Step(Stage.CANDIDATE, D(2025, 1, 1)), Step(Stage.EXITED, D(2025, 2, 1)),
                          Step(Stage.CAPE, D(2025, 3, 1))])
    with refused("stage.not_allowed"):
        validate_history([Step(Stage.ASSOCIATE, D(2025, 1, 1))])


# --------------------------------------------------------------------------- CAPE


def test_a_cape_of_exactly_twelve_months_is_allowed():
    assert validate_cape(D(2025, 1, 1), D(2026, 1, 1)) == Cape(D(2025, 1, 1), D(2026, 1, 1), 0)
    assert validate_cape(D(2024, 2, 29), D(2025, 2, 28)).end == D(2025, 2, 28)


def test_a_cape_of_twelve_months_and_one_day_is_refused():
    with refused("cape.too_long") as caught:
        validate_cape(D(2025, 1, 1), D(2026, 1, 2))
    assert "L127-1" in caught.value.message
    with refused("cape.too_long"):
        validate_cape(D(2024, 2, 29), D(2025, 3, 1))


@pytest.mark.parametrize("end", [D(2025, 1, 1), D(2024, 12, 31)])
def test_a_cape_must_end_after_it_starts(end):
    with refused("dates.out_of_order"):
        validate_cape(D(2025, 1, 1), end)


def test_two_renewals_are_allowed_and_a_third_is_refused():
    cape = validate_cape(D(2025, 1, 1), D(2026, 1, 1))
    once = renew_cape(cape, D(2027, 1, 1))  # exactly 12 more months
    assert once == Cape(D(2025, 1, 1), D(2027, 1, 1), 1)
    twice = renew_cape(once, D(2027, 7, 1))
    assert twice == Cape(D(2025, 1, 1), D(2027, 7, 1), 2)
    assert cape.renewals == 0 and once.renewals == 1  # immutable
    with refused("cape.too_many_renewals") as caught:
        renew_cape(twice, D(2027, 12, 1))
    assert "L127-1" in caught.value.message


def test_a_renewal_lasts_at_most_twelve_months_and_extends_the_end():
    cape = validate_cape(D(2025, 1, 1), D(2025, 7, 1))
    with refused("cape.too_long"):
        renew_cape(cape, D(2026, 7, 2))
    with refused("dates.out_of_order"):
        renew_cape(cape, D(2025, 7, 1))
    with refused("dates.out_of_order"):
        renew_cape(cape, D(2025, 6, 1))
    assert renew_cape(cape, D(2026, 7, 1)).end == D(2026, 7, 1)


def test_a_cape_cannot_be_built_in_an_impossible_state():
    with refused("dates.out_of_order"):
        Cape(D(2025, 1, 1), D(2025, 1, 1))
    with refused("cape.too_many_renewals"):
        Cape(D(2025, 1, 1), D(2026, 1, 1), renewals=3)
    assert Cape(D(2025, 1, 1), D(2026, 1, 1)).period == (D(2025, 1, 1), D(2026, 1, 1))


# --------------------------------------------------------------------------- CESA trial period


def test_trial_period_is_eight_months_without_cape():
    assert max_trial_end(D(2026, 1, 1), []) == D(2026, 9, 1)
    assert max_trial_end(D(2025, 6, 30)) == D(2026, 2, 28)
    validate_trial(D(2026, 1, 1), D(2026, 9, 1), [])
    with refused("cesa.trial_too_long") as caught:
        validate_trial(D(2026, 1, 1), D(2026, 9, 2), [])
    assert "L7332-1" in caught.value.message


def test_trial_period_is_reduced_by_an_earlier_cape():
    cape = (D(2025, 10, 1), D(2026, 1, 1))  # 3 months
    assert max_trial_end(D(2026, 1, 1), [cape]) == D(2026, 6, 1)  # 8 - 3 = 5 months
    validate_trial(D(2026, 1, 1), D(2026, 6, 1), [cape])
    with refused("cesa.trial_too_long"):
        validate_trial(D(2026, 1, 1), D(2026, 6, 2), [cape])


def test_trial_period_subtracts_the_remaining_days_after_the_months():
    cape = (D(2025, 9, 21), D(2026, 1, 1))  # (3, 11)
    assert max_trial_end(D(2026, 1, 1), [cape]) == D(2026, 5, 21)  # 06-01 - 11 days


def test_no_trial_period_after_a_long_cape():
    nine_months = (D(2025, 4, 1), D(2026, 1, 1))
    assert max_trial_end(D(2026, 1, 1), [nine_months]) is None
    eight_months = (D(2025, 5, 1), D(2026, 1, 1))
    assert max_trial_end(D(2026, 1, 1), [eight_months]) is None  # nothing remains
    with refused("cesa.trial_too_long"):
        validate_trial(D(2026, 1, 1), D(2026, 1, 2), [nine_months])


def test_trial_must_end_after_the_cesa_starts():
    with refused("dates.out_of_order"):
        validate_trial(D(2026, 1, 1), D(2026, 1, 1), [])


# --------------------------------------------------------------------------- three-year rule


def test_deadline_after_a_ten_month_cape_is_26_months_after_the_cesa():
    cape = validate_cape(D(2025, 1, 1), D(2025, 11, 1))
    assert months_and_days(*cape.period) == (10, 0)
    deadline = associate_deadline(D(2025, 11, 1), [cape.period])
    assert deadline == D(2028, 1, 1)
    assert deadline == add_months(D(2025, 11, 1), 26)


def test_deadline_without_cape_is_exactly_three_years():
    assert associate_deadline(D(2026, 2, 28), []) == D(2029, 2, 28)
    assert associate_deadline(D(2026, 2, 28)) == D(2029, 2, 28)


def test_deadline_of_a_leap_day_cesa():
    assert associate_deadline(D(2028, 2, 29), []) == D(2031, 2, 28)


def test_two_earlier_capes_are_summed():
    first = (D(2023, 1, 1), D(2023, 7, 1))  # (6, 0)
    second = (D(2024, 1, 1), D(2024, 5, 11))  # (4, 10)
    # 2024-06-01 + 36 months = 2027-06-01; - 10 months = 2026-08-01; - 10 days = 2026-07-22
    assert associate_deadline(D(2024, 6, 1), [second, first]) == D(2026, 7, 22)


def test_days_of_several_capes_are_summed_not_folded_into_months():
    first = (D(2024, 1, 1), D(2024, 1, 21))  # (0, 20)
    second = (D(2024, 2, 1), D(2024, 2, 21))  # (0, 20)
    # 2024-03-01 + 36 months = 2027-03-01; - 40 days = 2027-01-20
    assert associate_deadline(D(2024, 3, 1), [first, second]) == D(2027, 1, 20)


def test_a_renewed_cape_counts_for_its_whole_length():
    cape = renew_cape(validate_cape(D(2024, 1, 1), D(2025, 1, 1)), D(2025, 4, 1))  # 15 months
    assert associate_deadline(D(2025, 4, 1), [cape.period]) == D(2027, 1, 1)  # 36 - 15 = 21 months
    assert max_trial_end(D(2025, 4, 1), [cape.period]) is None


@pytest.mark.parametrize(
    ("capes", "rule"),
    [
        ([(D(2025, 1, 1), D(2025, 12, 1))], "dates.out_of_order"),  # ends after the CESA start
        ([(D(2025, 6, 1), D(2025, 5, 1))], "dates.out_of_order"),
        ([(D(2025, 1, 1), D(2025, 6, 1)), (D(2025, 5, 1), D(2025, 11, 1))], "cape.overlap"),
    ],
)
def test_earlier_capes_must_be_consistent(capes, rule):
    with refused(rule):
        associate_deadline(D(2025, 11, 1), capes)
    with refused(rule):
        max_trial_end(D(2025, 11, 1), capes)


# --------------------------------------------------------------------------- alerts

DEADLINE = D(2028, 1, 1)


def test_approaching_90_on_exactly_ninety_days_before():
    assert alerts_due(D(2027, 10, 3), DEADLINE, already_sent=set()) == ["approaching_90"]
    assert DEADLINE - D(2027, 10, 3) == timedelta(days=90)


def test_nothing_the_day_before_the_90_day_window():
    assert alerts_due(D(2027, 10, 2), DEADLINE, already_sent=set()) == []


def test_approaching_90_only_once():
    assert alerts_due(D(2027, 11, 1), DEADLINE, already_sent={"approaching_90"}) == []


def test_approaching_30_from_thirty_days_before():
    assert alerts_due(D(2027, 12, 1), DEADLINE, already_sent=set()) == ["approaching_90"]  # 31 days
    assert alerts_due(D(2027, 12, 1), DEADLINE, already_sent={"approaching_90"}) == []
    assert alerts_due(D(2027, 12, 2), DEADLINE, already_sent={"approaching_90"}) == [
        "approaching_30"
    ]
    assert alerts_due(D(2027, 12, 31), DEADLINE, already_sent={"approaching_90"}) == [
        "approaching_30"
    ]


def test_inside_thirty_days_approaching_90_is_superseded():
    # the first scan happens 20 days before the deadline: only the most urgent kind
    assert alerts_due(D(2027, 12, 12), DEADLINE, already_sent=set()) == ["approaching_30"]
    assert alerts_due(D(2027, 12, 13), DEADLINE, already_sent={"approaching_30"}) == []


def test_nothing_on_the_deadline_day():
    assert alerts_due(DEADLINE, DEADLINE, already_sent=set()) == []


def test_missed_the_day_after_the_deadline_and_only_once():
    sent: set[str] = {"approaching_90", "approaching_30"}
    first = alerts_due(D(2028, 1, 2), DEADLINE, already_sent=sent)
    assert first == ["missed"]
    sent |= set(first)
    assert alerts_due(D(2028, 1, 3), DEADLINE, already_sent=sent) == []
    assert alerts_due(D(2029, 6, 1), DEADLINE, already_sent=sent) == []


def test_a_scan_run_twice_on_the_same_day_emits_one_event():
    sent: set[str] = set()
    events = []
    for _ in range(2):
        due = alerts_due(D(2027, 10, 15), DEADLINE, already_sent=sent)
        events += due
        sent |= set(due)
    assert events == ["approaching_90"]


def test_nothing_after_exit_before_the_deadline():
    exited = D(2027, 9, 30)
    for today in (D(2027, 10, 3), D(2027, 12, 15), D(2028, 1, 2)):
        assert alerts_due(today, DEADLINE, exited_on=exited, already_sent=set()) == []
    assert alerts_due(D(2027, 12, 15), DEADLINE, exited_on=D(2027, 12, 15), already_sent=set()) == []


def test_nothing_after_associate_admission_before_the_deadline():
    admitted = D(2027, 11, 20)
    for today in (D(2027, 11, 20), D(2027, 12, 15), D(2028, 1, 2)):
        assert alerts_due(today, DEADLINE, associate_on=admitted, already_sent=set()) == []


def test_a_future_exit_or_admission_does_not_silence_alerts():
    assert alerts_due(
        D(2027, 12, 15), DEADLINE, associate_on=D(2027, 12, 20), already_sent=set()
    ) == ["approaching_30"]
    assert alerts_due(
        D(2027, 10, 15), DEADLINE, exited_on=D(2027, 12, 31), already_sent=set()
    ) == ["approaching_90"]


def test_already_sent_defaults_to_nothing_sent():
    assert alerts_due(D(2028, 2, 1), DEADLINE) == ["missed"]


# --------------------------------------------------------------------------- follow-up


def test_two_interviews_in_the_last_twelve_months_are_enough():
    assert not needs_follow_up([D(2025, 9, 15), D(2026, 2, 1)], D(2026, 3, 15))


def test_an_interview_thirteen_months_ago_does_not_count():
    assert needs_follow_up([D(2025, 2, 15), D(2026, 2, 1)], D(2026, 3, 15))


def test_the_window_excludes_exactly_twelve_months_ago_and_includes_today():
    today = D(2026, 3, 15)
    assert needs_follow_up([D(2025, 3, 15), D(2026, 1, 10)], today)
    assert not needs_follow_up([D(2025, 3, 16), D(2026, 1, 10)], today)
    assert not needs_follow_up([D(2025, 9, 1), today], today)
    assert needs_follow_up([D(2025, 9, 1), D(2026, 3, 16)], today)  # future interview


def test_no_interview_needs_follow_up():
    assert needs_follow_up([], D(2026, 3, 15))
    assert needs_follow_up([D(2026, 1, 10)], D(2026, 3, 15))


def test_follow_up_window_on_a_leap_day():
    # add_months(2028-02-29, -12) = 2027-02-28: 2027-02-28 is out, 2027-03-01 is in
    assert needs_follow_up([D(2027, 2, 28), D(2028, 1, 1)], D(2028, 2, 29))
    assert not needs_follow_up([D(2027, 3, 1), D(2028, 1, 1)], D(2028, 2, 29))


# --------------------------------------------------------------------------- a person's records


def test_a_new_contract_needs_no_cesa_yet_and_a_cape_an_end_and_no_running_one():
    with refused("cesa.already_signed"):
        lifecycle.check_new_contract("CAPE", D(2026, 1, 1), has_cesa=True, cape_running=True)
    with refused("cape.already_running"):
        lifecycle.check_new_contract("CAPE", None, has_cesa=False, cape_running=True)
    with refused("cape.end_required"):
        lifecycle.check_new_contract("CAPE", None, has_cesa=False, cape_running=False)
    with refused("cesa.open_ended"):
        lifecycle.check_new_contract("CESA", D(2026, 1, 1), has_cesa=False, cape_running=True)
    lifecycle.check_new_contract("CAPE", D(2026, 1, 1), has_cesa=False, cape_running=False)
    lifecycle.check_new_contract("CESA", None, has_cesa=False, cape_running=True)


def test_a_contract_ended_by_something_else_ends_that_day_or_on_its_own_earlier_end():
    assert lifecycle.ends_with(D(2026, 3, 1), D(2026, 6, 1)) == D(2026, 3, 1)
    assert lifecycle.ends_with(D(2026, 3, 1), D(2026, 2, 1)) == D(2026, 2, 1)
    assert lifecycle.ends_with(D(2026, 3, 1), None) == D(2026, 3, 1)


def test_a_cape_replaced_on_its_first_day_is_not_an_earlier_cape():
    periods = [(D(2025, 1, 1), D(2025, 11, 1)), (D(2025, 12, 1), D(2025, 12, 1))]
    assert lifecycle.earlier_capes(iter(periods)) == [(D(2025, 1, 1), D(2025, 11, 1))]


def test_nothing_after_an_exit_and_nothing_before_what_it_follows():
    lifecycle.check_still_member(None)
    with refused("stage.after_exit"):
        lifecycle.check_still_member(D(2026, 1, 1))
    lifecycle.check_not_before(D(2026, 1, 1), D(2026, 1, 1), "the CESA's signature")
    with pytest.raises(RuleViolation, match=re.escape(
            "dates.out_of_order: 2025-12-31 is before the CESA's signature (2026-01-01)")):
        lifecycle.check_not_before(D(2025, 12, 31), D(2026, 1, 1), "the CESA's signature")


def test_admission_needs_a_cesa_once_from_its_signature_to_the_deadline():
    ok = {"cesa_signed_on": D(2025, 1, 1), "associate_on": None, "deadline": D(2028, 1, 1)}
    lifecycle.check_admission(D(2028, 1, 1), **ok)
    with refused("associate.needs_cesa"):
        lifecycle.check_admission(D(2026, 1, 1), **{**ok, "cesa_signed_on": None})
    with refused("associate.already"):
        lifecycle.check_admission(D(2026, 1, 1), **{**ok, "associate_on": D(2025, 6, 1)})
    with refused("dates.out_of_order"):
        lifecycle.check_admission(D(2024, 12, 31), **ok)
    with refused("associate.deadline_missed"):
        lifecycle.check_admission(D(2028, 1, 2), **ok)


def test_steps_tied_to_records_are_not_corrected_as_steps():
    lifecycle.check_correctable("diagnostic", "candidate")
    lifecycle.check_correctable(None, None)
    for target, stage in (("cape", None), ("candidate", "cesa"), (None, "exited"),
                          ("associate", "diagnostic")):
        with refused("correction.tied_to_records"):
            lifecycle.check_correctable(target, stage)
    with refused("cape.ended"):
        lifecycle.check_cape_running(D(2026, 1, 1))
    lifecycle.check_cape_running(None)


def test_interviews_scans_and_the_alert_horizon():
    lifecycle.check_interview(D(2026, 1, 5), D(2026, 1, 5))
    with refused("dates.out_of_order"):
        lifecycle.check_interview(D(2026, 1, 4), D(2026, 1, 5))
    lifecycle.check_scan_day(D(2026, 3, 1), D(2026, 3, 1))
    with refused("scan.future"):
        lifecycle.check_scan_day(D(2026, 3, 2), D(2026, 3, 1))
    assert lifecycle.alert_horizon(D(2026, 1, 1)) == D(2026, 4, 1)
    assert alerts_due(D(2026, 1, 1), lifecycle.alert_horizon(D(2026, 1, 1))) == [
        lifecycle.ALERT_APPROACHING_90]
    assert lifecycle.follow_up_window_start(D(2026, 2, 28)) == D(2025, 2, 28)
