"""The convocation's delay and the associates' right to add resolutions to the agenda.

* The convocation is sent at least ``profile.convocation_days`` before the assembly
  (CG Scop model statutes and R223-20: 15 days). The day it is sent is not counted and
  the assembly's day is: sent on 15 June for an assembly on 30 June is 15 days
  (``(assembly_on - sent_on).days``; the reading of R223-20 by Cass. com. 11 January 2005,
  docs/domain.md).
* Associates holding ``profile.agenda_share`` of the votes (5 %, one vote each) may add
  resolutions between day -15 and day -5 before the assembly, both included (CG Scop
  model statutes).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from cae_governance.domain.electorate import Electorate
from cae_governance.domain.profiles import StatuteProfile, percent_text
from caekit.rules import RuleViolation

__all__ = ["check_agenda_request", "check_convocation"]


def check_convocation(sent_on: date, assembly_on: date, profile: StatuteProfile) -> int:
    """The days between sending and the assembly; ``convocation.too_late`` when fewer than
    the profile's delay."""
    days = (assembly_on - sent_on).days
    if days < profile.convocation_days:
        raise RuleViolation(
            "convocation.too_late",
            f"the convocation must be sent at least {profile.convocation_days} days before the "
            f"assembly ({profile.convocation_source}); {days} days given", ("sent_on",))
    return days


def check_agenda_request(requested_on: date, assembly_on: date, requesters: Iterable[str],
                         electorate: Electorate, profile: StatuteProfile) -> int:
    """The number of votes behind a request to add a resolution. Refusals:
    ``agenda.not_associate``, ``agenda.outside_window``, ``agenda.too_few_votes``."""
    first, last = profile.agenda_window
    days = (assembly_on - requested_on).days
    signers = set()
    for requester in requesters:
        if requester not in electorate:
            raise RuleViolation("agenda.not_associate",
                                f"{requester} is not an associate of the electorate",
                                ("requesters",))
        signers.add(requester)
    if not last <= days <= first:
        raise RuleViolation(
            "agenda.outside_window",
            f"resolutions may be added between day -{first} and day -{last} before the "
            f"assembly ({profile.agenda_source}); this request is on day -{days}",
            ("requested_on",))
    share = profile.agenda_share
    if len(signers) * share.denominator < share.numerator * electorate.size:
        raise RuleViolation(
            "agenda.too_few_votes",
            f"{len(signers)} of {electorate.size} votes: adding a resolution takes "
            f"{percent_text(share)} of the votes ({profile.agenda_source})", ("requesters",))
    return len(signers)
