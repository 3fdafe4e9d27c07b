"""Attendance at the opening of an assembly: who takes part, how, and who is represented.

An associate takes part **present** in person, **remote** (video or telecommunication
identifying them; counts as present for quorum and majority where the statutes allow
it, loi 47-1775 art. 10), **by post** (a form received before the assembly, where the
profile allows postal votes; counted for quorum and majority like a presence, as
L225-107 does for an SA), or **represented** by a proxy.

The proxies' precedence rules are those of :mod:`cae_governance.domain.proxies`,
applied here once: a giver who attends or votes by post is not represented (their
proxy lapses), an attending associate's postal form is set aside, and the proxies of a
holder who does not attend lapse. What lapsed is kept, with its reason, for the minutes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType

from cae_governance.domain.electorate import Electorate
from cae_governance.domain.profiles import StatuteProfile
from cae_governance.domain.proxies import Proxy, check_proxies
from caekit.rules import RuleViolation

__all__ = ["Attendance", "Lapsed", "Mode", "take_attendance"]


class Mode(Enum):
    """How an associate takes part themselves."""

    IN_PERSON = "in person"
    REMOTE = "remote"
    POSTAL = "by post"


@dataclass(frozen=True)
class Lapsed:
    """A proxy that does not count, and why (for the minutes)."""

    proxy: Proxy
    reason: str


class Attendance:
    """Who takes part in the assembly once it opens; immutable."""

    __slots__ = ("_modes", "_represented", "electorate", "lapsed", "profile", "set_aside_postal")

    def __init__(self, electorate: Electorate, profile: StatuteProfile,
                 modes: dict[str, Mode], represented: dict[str, str | None],
                 lapsed: tuple[Lapsed, ...], set_aside_postal: tuple[str, ...]) -> None:
        self.electorate = electorate
        self.profile = profile
        self._modes = MappingProxyType(dict(modes))
        self._represented = MappingProxyType(dict(represented))
        self.lapsed = lapsed
        self.set_aside_postal = set_aside_postal

    @property
    def modes(self) -> MappingProxyType[str, Mode]:
        """Each associate taking part themselves, and how."""
        return self._modes

    @property
    def represented(self) -> MappingProxyType[str, str | None]:
        """Each represented associate and their holder (``None``: a blank proxy)."""
        return self._represented

    @property
    def participants(self) -> frozenset[str]:
        """Everyone taking part: present, remote, by post or represented, each once."""
        return frozenset(self._modes) | frozenset(self._represented)

    def givers_of(self, holder: str) -> tuple[str, ...]:
        return tuple(sorted(g for g, h in self._represented.items() if h == holder))

    def count(self, mode: Mode) -> int:
        return sum(1 for m in self._modes.values() if m is mode)

    @property
    def blank_count(self) -> int:
        return sum(1 for h in self._represented.values() if h is None)

    def text(self) -> str:
        """``12 taking part (8 in person, 1 remote, 1 by post, 2 represented, 1 of them
        by a blank proxy)``."""
        parts = [f"{self.count(m)} {m.value}" for m in Mode]
        represented = f"{len(self._represented)} represented"
        if self.blank_count:
            represented += f", {self.blank_count} of them by a blank proxy"
        return f"{len(self.participants)} taking part ({', '.join(parts)}, {represented})"


def take_attendance(electorate: Electorate, profile: StatuteProfile, proxies: Iterable[Proxy],
                    attending: Iterable[tuple[str, Mode]],
                    postal: Iterable[str] = ()) -> Attendance:
    """The attendance at the opening, from the proxies as they stand (checked again with
    :func:`~cae_governance.domain.proxies.check_proxies`), the associates who signed in
    (``attending``: in person or remote) and the postal forms received (``postal``).

    Refusals: every ``proxy.*`` refusal, ``attendance.not_associate``,
    ``attendance.twice`` (one associate signed in twice, or two forms),
    ``attendance.mode`` (a postal vote among those signing in),
    ``attendance.remote_not_allowed``, ``attendance.postal_not_allowed``.
    """
    codes = {c.code for c in profile.colleges}
    if codes and any(electorate.college_of(m) not in codes for m in electorate.members):
        raise ValueError("the electorate was fixed under a profile without these colleges")
    proxies = check_proxies(proxies, electorate, profile)
    modes: dict[str, Mode] = {}
    for associate, mode in attending:
        if associate not in electorate:
            raise RuleViolation("attendance.not_associate",
                                f"{associate} is not an associate of the electorate",
                                ("associate",))
        if associate in modes:
            raise RuleViolation("attendance.twice", f"{associate} has already signed in",
                                ("associate",))
        if mode is Mode.REMOTE and not profile.remote_participation:
            raise RuleViolation("attendance.remote_not_allowed",
                                "the statutes do not allow taking part remotely "
                                "(loi 47-1775 art. 10)", ("mode",))
        if mode not in (Mode.IN_PERSON, Mode.REMOTE):
            raise RuleViolation("attendance.mode",
                                "sign in in person or remote; postal forms come as forms",
                                ("mode",))
        modes[associate] = mode
    forms: set[str] = set()
    set_aside: list[str] = []
    for associate in postal:
        if associate not in electorate:
            raise RuleViolation("attendance.not_associate",
                                f"{associate} is not an associate of the electorate",
                                ("associate",))
        if not profile.postal_votes:
            raise RuleViolation("attendance.postal_not_allowed",
                                "the statutes do not allow postal votes", ("mode",))
        if associate in forms:
            raise RuleViolation("attendance.twice", f"{associate} sent two postal forms",
                                ("associate",))
        forms.add(associate)
        if associate in modes:
            set_aside.append(associate)  # presence prevails over the postal form
        else:
            modes[associate] = Mode.POSTAL
    represented: dict[str, str | None] = {}
    lapsed: list[Lapsed] = []
    for proxy in proxies:
        giver_mode = modes.get(proxy.giver)
        holder_mode = None if proxy.holder is None else modes.get(proxy.holder)
        if giver_mode is not None:
            lapsed.append(Lapsed(proxy, f"the giver takes part {giver_mode.value}"))
        elif proxy.holder is not None and holder_mode is None:
            lapsed.append(Lapsed(proxy, "the holder is absent"))
        elif holder_mode is Mode.POSTAL:
            lapsed.append(Lapsed(proxy, "the holder votes by post"))
        else:
            represented[proxy.giver] = proxy.holder
    return Attendance(electorate, profile, modes, represented, tuple(lapsed),
                      tuple(sorted(set_aside)))
