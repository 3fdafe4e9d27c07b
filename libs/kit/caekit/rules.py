"""The refusals of domain rules, one definition for every service (standard library only).

A service's domain and use cases raise these; they know nothing of HTTP or
nameko. The kit translates them in one place: the HTTP layer
(``caekit.http``) answers ``RuleViolation`` with 422, ``UnknownRecord`` with
404 and ``ConflictingState`` with 409, each a problem+json whose ``errors``
carry the rule code (``errors.rule``) and the fields the refusal names; a
reliable event handler given ``refusals=(RuleViolation,)`` parks the event at
once with the rule code in its error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


class RuleViolation(Exception):
    """A business rule refused an operation.

    ``rule`` is a short stable code meant for programs (``"cape.too_long"``);
    ``message`` a sentence meant for people, naming the law when there is one;
    ``fields`` the input fields it is about: names (each gets ``message``) or a
    mapping of name to its own message.
    """

    def __init__(self, rule: str, message: str,
                 fields: Iterable[str] | Mapping[str, str] = ()) -> None:
        super().__init__(rule, message)
        self.rule = rule
        self.message = message
        self.fields: dict[str, str] = (dict(fields) if isinstance(fields, Mapping)
                                       else dict.fromkeys(fields, message))

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"


class UnknownRecord(RuleViolation):
    """The operation names a record the cooperative does not have (or may not see)."""


class ConflictingState(RuleViolation):
    """The operation conflicts with what is already recorded (a code already used...)."""
