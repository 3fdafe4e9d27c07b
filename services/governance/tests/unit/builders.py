"""What the governance unit tests build: associates, an electorate, a refusal's rule."""

from __future__ import annotations

from datetime import date

import pytest

from cae_governance.domain.electorate import Associate, Electorate
from cae_governance.domain.profiles import SCOP_SARL
from caekit.rules import RuleViolation

RECORD = date(2026, 5, 1)


def ids(n: int) -> list[str]:
    return [f"a{i:04d}" for i in range(n)]


def electorate(n: int, profile=SCOP_SARL) -> Electorate:
    return Electorate.fix(RECORD, [Associate(i, date(2020, 1, 1)) for i in ids(n)], profile)


def refused(rule: str, call, *args, **kwargs) -> RuleViolation:
    with pytest.raises(RuleViolation) as caught:
        call(*args, **kwargs)
    assert caught.value.rule == rule, caught.value
    return caught.value
