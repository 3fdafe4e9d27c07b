from datetime import date

import pytest

from cae_members.domain.activities import check_closing, check_opening, is_code
from cae_members.domain.cooperatives import (
    changed_settings,
    check_effective_on,
    settings_in_force,
    siren_is_valid,
)
from caekit.rules import RuleViolation


@pytest.mark.parametrize("siren", ["732829320", "552100554", "542051180", "356000000"])
def test_valid_sirens(siren):
    assert siren_is_valid(siren)


@pytest.mark.parametrize("siren", ["732829321", "123456789", "12345678", "1234567890", "73282932A", ""])
def test_invalid_sirens(siren):
    assert not siren_is_valid(siren)


@pytest.mark.parametrize("siren", [
    "552100554\n",  # `$` matched before the line break, then int("\n") raised: a 500
    "\u0665\u0665\u0662\u0661\u0660\u0660\u0665\u0665\u0664",  # Arabic-Indic digits passed \d
    " 552100554", None, 552100554,
])
def test_a_siren_is_nine_ascii_digits_and_nothing_else(siren):
    assert not siren_is_valid(siren)


@pytest.mark.parametrize("code, ok", [
    ("LEA", True), ("A", True), ("A" * 20, True), ("BOU-LANGE_2", True),
    ("LEA\n", False), ("lea", False), ("-LEA", False), ("A" * 21, False), ("", False),
    ("L\x00", False), ("\uff2c\uff25\uff21", False), (None, False),
])
def test_an_activity_code_is_matched_whole(code, ok):
    assert is_code(code) is ok


def test_the_settings_in_force_are_the_latest_version_effective_that_day():
    initial = {"name": "A"}
    versions = [(date(2026, 1, 1), {"name": "B"}), (date(2026, 3, 1), {"name": "C"}),
                (date(2026, 3, 1), {"name": "D"})]  # recorded later the same day: wins
    assert settings_in_force(initial, versions, date(2025, 12, 31)) == {"name": "A"}
    assert settings_in_force(initial, versions, date(2026, 2, 28)) == {"name": "B"}
    assert settings_in_force(initial, versions, date(2026, 3, 1)) == {"name": "D"}
    assert changed_settings({"name": "A", "legal_form": "SCOP-SA"},
                            {"name": "A", "legal_form": "SCIC-SA"}) == ["legal_form"]


def test_settings_change_from_a_day_the_cooperative_existed():
    check_effective_on(date(2026, 1, 1), date(2026, 1, 1))
    with pytest.raises(RuleViolation, match="^dates.out_of_order: 2025-12-31 is before the "
                                            "cooperative's registration"):
        check_effective_on(date(2025, 12, 31), date(2026, 1, 1))


def test_an_activity_opens_for_people_still_there_and_closes_once_after_it_opened():
    check_opening(date(2026, 2, 1), {"a": None, "b": date(2026, 2, 2)})
    with pytest.raises(RuleViolation, match="^stage.after_exit: b left on 2026-02-01$"):
        check_opening(date(2026, 2, 1), {"a": None, "b": date(2026, 2, 1)})
    check_closing("X", date(2026, 2, 1), None, date(2026, 2, 1))
    with pytest.raises(RuleViolation, match="^activity.closed: activity X closed on 2026-03-01$"):
        check_closing("X", date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1))
    with pytest.raises(RuleViolation, match="^dates.out_of_order: 2026-01-31 is before the "
                                            r"opening \(2026-02-01\)$"):
        check_closing("X", date(2026, 2, 1), None, date(2026, 1, 31))
