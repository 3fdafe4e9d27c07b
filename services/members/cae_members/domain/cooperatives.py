"""Rules of cooperatives (the tenants): SIREN, statute profile, dated settings. Pure: the
standard library and ``caekit.rules`` only."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date

from caekit.rules import RuleViolation

# ASCII digits only, and nothing after them (``\d`` takes any Unicode digit, ``$`` a final
# line break)
SIREN = re.compile(r"[0-9]{9}")

#: The settings a cooperative changes from a date (every version is kept).
SETTINGS = ("name", "legal_form", "statute_profile", "default_contribution_rate",
            "staff_size_bracket")


def siren_is_valid(siren: str) -> bool:
    """A SIREN is 9 digits whose Luhn checksum is 0 (INSEE; La Poste's 356000000 excepted)."""
    if not isinstance(siren, str) or not SIREN.fullmatch(siren):
        return False
    if siren == "356000000":
        return True
    total = 0
    for index, char in enumerate(reversed(siren)):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


STATUTE_PROFILE_OF_LEGAL_FORM = {
    "SCOP-SARL": "scop-sarl",
    "SCOP-SA": "scop-sa",
    "SCIC-SAS": "scic",
    "SCIC-SA": "scic",
}


def default_statute_profile(legal_form: str) -> str:
    """The quorum and majority profile a cooperative starts with (CG Scop model statutes
    for a SCOP-SARL or a SCOP-SA; SCIC statutes define voting colleges)."""
    return STATUTE_PROFILE_OF_LEGAL_FORM[legal_form]


def settings_in_force(initial: Mapping, versions: Iterable[tuple[date, Mapping]],
                      on: date) -> dict:
    """The settings in force on a day: the latest version effective on or before it.

    ``versions`` are ``(effective_on, settings)`` in order of effect, then of recording
    (a later record of the same day wins); ``initial`` applies before the first.
    """
    current = dict(initial)
    for effective_on, settings in versions:
        if effective_on <= on:
            current = dict(settings)
    return current


def check_effective_on(effective_on: date, registered_on: date) -> None:
    """Settings change from a day the cooperative existed (``dates.out_of_order``)."""
    if effective_on < registered_on:
        raise RuleViolation("dates.out_of_order",
                            f"{effective_on} is before the cooperative's registration ({registered_on})")


def changed_settings(base: Mapping, changes: Mapping) -> list[str]:
    """The names of the settings ``changes`` gives another value than ``base``, sorted."""
    return sorted(name for name in changes if changes[name] != base[name])
