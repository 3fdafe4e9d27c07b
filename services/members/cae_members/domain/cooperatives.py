"""Pure membership rules (no framework, no database)."""

from __future__ import annotations

import re

SIREN = re.compile(r"^\d{9}$")


def siren_is_valid(siren: str) -> bool:
    """A SIREN is 9 digits whose Luhn checksum is 0 (INSEE; La Poste's 356000000 excepted)."""
    if not SIREN.match(siren):
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
