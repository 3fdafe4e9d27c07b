"""Proxies (pouvoirs): who may represent whom, and how many each may hold.

Loi 78-763 art. 14 (docs/domain.md, "Governance"): an associate may only be represented
by **another associate**; with fewer than 20 associates, a holder holds at most **one**
proxy besides their own vote; from 20, at most **1/20** of the associates' votes,
rounded **down** (:class:`~cae_governance.domain.profiles.ProxyLimit`: 39 associates ->
1, 40 -> 2, 1,000 -> 50), the associates being those of the electorate at the record
date.

The rules this platform applies, everywhere (proxies, attendance, tally):

* **A giver who takes part themselves votes once, themselves.** The most direct
  participation prevails: presence (in person, or remote where allowed) over a postal
  vote, a postal vote over a proxy. A giver who attends, or whose postal form is
  received, revokes their proxy: it lapses at the opening (it is listed as lapsed, with
  the reason, for the minutes) and the holder may not vote for them.
* **A holder votes the proxies only if present** (in person or remote): the proxies of
  an absent holder, or of one who votes by post, lapse; their givers are not
  represented.
* **Blank proxies** (no holder named) are accepted where the profile allows them; nobody
  holds them, so they count towards no holder's cap; they vote **for** the managers' (or
  board's) resolutions and **against** the others (CG Scop model statutes for the first
  half, Code de commerce L225-106 for both).
* **One live proxy per giver**: to change holder, revoke first. A proxy is revocable
  until the assembly opens (:meth:`ProxyBook.open`); afterwards nothing changes but
  the lapses above.
* **No chains**: a giver may not hold proxies and a holder may not give one (a holder
  represents the givers in person: nobody substitutes another for them).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cae_governance.domain.electorate import Electorate
from cae_governance.domain.profiles import StatuteProfile
from caekit.rules import RuleViolation

__all__ = ["Proxy", "ProxyBook", "check_proxies", "held_by", "proxy_cap"]


@dataclass(frozen=True)
class Proxy:
    """``giver`` is represented by ``holder`` (``None``: a blank proxy)."""

    giver: str
    holder: str | None = None

    @property
    def blank(self) -> bool:
        return self.holder is None


def proxy_cap(electorate: Electorate, profile: StatuteProfile) -> int:
    """How many proxies one holder may hold besides their own vote."""
    return profile.proxy_limit.cap(electorate.size)


def held_by(proxies: Iterable[Proxy]) -> dict[str, list[str]]:
    """Each holder's givers (blank proxies left out)."""
    holders: dict[str, list[str]] = {}
    for proxy in proxies:
        if proxy.holder is not None:
            holders.setdefault(proxy.holder, []).append(proxy.giver)
    return holders


def _check_one(proxy: Proxy, given: dict[str, Proxy], electorate: Electorate,
               profile: StatuteProfile) -> None:
    """Refuses ``proxy`` given the proxies ``given`` already registered."""
    if not isinstance(proxy, Proxy):
        raise TypeError("proxies must be Proxy instances")
    if proxy.giver not in electorate:
        raise RuleViolation("proxy.giver_not_associate",
                            f"{proxy.giver} is not an associate of the electorate", ("giver",))
    if proxy.holder is None:
        if not profile.blank_proxies:
            raise RuleViolation("proxy.blank_not_allowed",
                                "the statutes do not accept blank proxies: name the holder",
                                ("holder",))
    else:
        if proxy.holder == proxy.giver:
            raise RuleViolation("proxy.to_self", "an associate cannot hold their own proxy",
                                ("holder",))
        if proxy.holder not in electorate:
            raise RuleViolation(
                "proxy.holder_not_associate",
                f"{proxy.holder} is not an associate of the electorate: an associate may only "
                "be represented by another associate (loi 78-763 art. 14)", ("holder",))
    if proxy.giver in given:
        raise RuleViolation("proxy.already_given",
                            f"{proxy.giver} has already given a proxy: revoke it first",
                            ("giver",))
    holders = held_by(given.values())
    if proxy.holder is not None and proxy.holder in given:
        raise RuleViolation("proxy.chain",
                            f"{proxy.holder} has given their own proxy and cannot hold one",
                            ("holder",))
    if proxy.giver in holders:
        raise RuleViolation("proxy.chain",
                            f"{proxy.giver} holds proxies and cannot give their own",
                            ("giver",))
    if proxy.holder is not None:
        cap = proxy_cap(electorate, profile)
        if len(holders.get(proxy.holder, ())) >= cap:
            raise RuleViolation(
                "proxy.cap_exceeded",
                f"{proxy.holder} already holds {cap} proxies: "
                f"{profile.proxy_limit.text(electorate.size)}", ("holder",))


def check_proxies(proxies: Iterable[Proxy], electorate: Electorate,
                  profile: StatuteProfile) -> tuple[Proxy, ...]:
    """The proxies themselves when they can all stand together, in their order; otherwise
    the first refusal: ``proxy.giver_not_associate``, ``proxy.holder_not_associate``,
    ``proxy.to_self``, ``proxy.blank_not_allowed``, ``proxy.already_given``,
    ``proxy.chain``, ``proxy.cap_exceeded``."""
    given: dict[str, Proxy] = {}
    for proxy in proxies:
        _check_one(proxy, given, electorate, profile)
        given[proxy.giver] = proxy
    return tuple(given.values())


class ProxyBook:
    """The proxies given for one assembly, until it opens."""

    def __init__(self, electorate: Electorate, profile: StatuteProfile,
                 proxies: Iterable[Proxy] = ()) -> None:
        self.electorate = electorate
        self.profile = profile
        self._given = {p.giver: p for p in check_proxies(proxies, electorate, profile)}
        self._open = False

    @property
    def is_open(self) -> bool:
        return self._open

    @property
    def proxies(self) -> tuple[Proxy, ...]:
        return tuple(self._given.values())

    def _refuse_when_open(self, field: str) -> None:
        if self._open:
            raise RuleViolation("proxy.assembly_open",
                                "the assembly has opened: proxies can no longer change", (field,))

    def give(self, giver: str, holder: str | None) -> Proxy:
        """Registers ``giver``'s proxy to ``holder`` (``None``: blank)."""
        self._refuse_when_open("giver")
        proxy = Proxy(giver, holder)
        _check_one(proxy, self._given, self.electorate, self.profile)
        self._given[giver] = proxy
        return proxy

    def revoke(self, giver: str) -> Proxy:
        """Withdraws ``giver``'s proxy (``proxy.unknown`` when they gave none)."""
        self._refuse_when_open("giver")
        if giver not in self._given:
            raise RuleViolation("proxy.unknown", f"{giver} has given no proxy", ("giver",))
        return self._given.pop(giver)

    def open(self) -> tuple[Proxy, ...]:
        """The assembly opens: the proxies as they stand, no change afterwards."""
        self._open = True
        return self.proxies
