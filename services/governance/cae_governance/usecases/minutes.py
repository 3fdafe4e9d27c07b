"""The minutes (procès-verbal) of an assembly, drawn from what the store recorded."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from cae_governance.adapters.minutes import (
    Attendee,
    Minutes,
    ResolutionMinute,
    minutes_html,
    minutes_pdf,
    pdf_pages,
)
from cae_governance.adapters.store import Document, Participant
from cae_governance.usecases import electorate as people
from cae_governance.usecases.assemblies import Loaded, resolutions_of

TITLES = {"ordinary": "Assemblée générale ordinaire",
          "extraordinary": "Assemblée générale extraordinaire",
          "combined": "Assemblée générale mixte (ordinaire et extraordinaire)"}
_KIND_WORDS = {"ordinary": "décisions ordinaires", "extraordinary": "décisions extraordinaires",
               "election": "élections"}
_OFFICES = {"managers": "gérance", "board": "conseil d'administration"}


def _french_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _euros(cents: int) -> str:
    return f"{cents // 100:,}".replace(",", " ") + " EUR"


def _effect_text(effect: str, data: dict, names: dict[str, str]) -> str | None:
    if effect == "contribution_schedule":
        bands = " ; ".join(f"{_percent(b['rate'])} à partir de {_euros(b['from_cents'])} "
                           "de chiffre d'affaires annuel HT" for b in data["bands"])
        return (f"Barème de contribution en vigueur au "
                f"{_french_date(date.fromisoformat(data['effective_on']))} : {bands}")
    if effect == "associate_admission":
        return (f"Admission de {names.get(data['member_id'], data['member_id'])} comme "
                f"associé(e) au {_french_date(date.fromisoformat(data['associate_on']))}")
    if effect == "managers_election":
        return (f"Élection ({_OFFICES[data['office']]}, {data['seats']} siège(s)) à compter du "
                f"{_french_date(date.fromisoformat(data['effective_on']))}")
    if effect == "accounts_approval":
        return f"Approbation des comptes de l'exercice {data['fiscal_year']}"
    return None


def _percent(rate: str) -> str:
    text = f"{Decimal(rate) * 100:.2f}".rstrip("0").rstrip(".")
    return f"{text.replace('.', ',')} %"


def build(session: Session, loaded: Loaded) -> Minutes:
    row = loaded.row
    coop = people.cooperative(session, row.cooperative_id)
    names = loaded.names(session)
    for person in session.scalars(select(people.Person)):
        names.setdefault(person.member_id, people.person_name(person, person.member_id))
    participants = {p.member_id: p for p in session.scalars(select(Participant).where(
        Participant.assembly_id == row.id))}
    held = {}
    for p in participants.values():
        if p.mode == "represented" and p.holder:
            held[p.holder] = held.get(p.holder, 0) + 1
    attendees = []
    for member in sorted(loaded.electorate.members, key=lambda m: names.get(m, m)):
        p = participants.get(member)
        mode = "absent" if p is None else p.mode
        by = None
        if mode == "represented":
            by = names.get(p.holder, p.holder) if p.holder else "pouvoir en blanc"
        attendees.append(Attendee(names.get(member, member), mode,
                                  loaded.electorate.college_of(member), by, held.get(member, 0)))
    counts = json.loads(row.attendance or "{}")
    quorum = tuple(_quorum_text(q) for q in json.loads(row.quorum or "[]"))
    resolutions = []
    for r in resolutions_of(session, row.id):
        result = json.loads(r.result) if r.result else None
        c = result["counts"] if result else {}
        data = json.loads(r.effect_data)
        elected = tuple(names.get(m, m) for m in (result or {}).get("elected", ()))
        resolutions.append(ResolutionMinute(
            code=r.code, title=r.title, text=r.text, kind=r.kind, secret=r.secret,
            outcome=r.status if r.status in ("adopted", "rejected") else "not_deliberated",
            for_votes=c.get("for_votes", 0), against=c.get("against", 0),
            abstain=c.get("abstain", 0), blank=c.get("blank", 0),
            not_voted=c.get("not_voted", 0),
            majority=_majority_text(result["rule"]) if result else "",
            formula=_detail(result) if result else "", elected=elected,
            candidates=tuple(_candidate_text(c, result["base"])
                             for c in (result or {}).get("candidates", ())),
            effect=_effect_text(r.effect, data, names) if r.status == "adopted" else None))
    documents = tuple(d.title for d in session.scalars(select(Document).where(
        Document.assembly_id == row.id).order_by(Document.position)))
    form = loaded.profile.code
    return Minutes(
        cooperative_name=coop.name, cooperative_form=form, siren=coop.siren,
        head_office=people.settings_of(coop)["head_office"],
        assembly_title=row.title or TITLES[row.kind], kind=row.kind, convocation=row.convocation,
        held_at=row.held_at, place=row.place, video_link=row.video_link,
        convened_on=row.convened_on, chair=row.chair or "", secretary=row.secretary or "",
        electorate=loaded.electorate.size, in_person=counts.get("in_person", 0),
        remote=counts.get("remote", 0), postal=counts.get("postal", 0),
        represented=counts.get("represented", 0), quorum=quorum, documents=documents,
        agenda=tuple(r.title for r in resolutions),
        debate_summary=row.debate_summary or "", resolutions=tuple(resolutions),
        attendees=tuple(attendees), closed_at=row.closed_at, opened_at=row.opened_at,
        lapsed=tuple(_lapsed_text(item, names) for item in counts.get("lapsed", ())),
        legal_basis=("Code de commerce R225-106" if loaded.profile.form == "SA"
                     else "Code de commerce R223-24"))


_LAPSED = {"the giver takes part in person": "le mandant est présent",
           "the giver takes part remote": "le mandant participe à distance",
           "the giver takes part by post": "le mandant a voté par correspondance",
           "the holder is absent": "le mandataire est absent",
           "the holder votes by post": "le mandataire vote par correspondance"}


def _lapsed_text(item: dict, names: dict[str, str]) -> str:
    given = (f"pouvoir à {names.get(item['holder'], item['holder'])}" if item["holder"]
             else "pouvoir en blanc")
    giver = names.get(item["giver"], item["giver"])
    return f"{giver} ({given}) : {_LAPSED.get(item['reason'], item['reason'])}"


def _quorum_text(q: dict) -> str:
    kind = _KIND_WORDS[q["kind"]].capitalize()
    taking = f"{q['taking_part']} associés prennent part sur {q['associates']}"
    if q["required"] is None:
        return f"{kind} : aucun quorum requis ; {taking}."
    reached = "quorum atteint" if q["reached"] else "quorum non atteint"
    return (f"{kind} : quorum de {q['required']} des {q['associates']} associés, soit "
            f"{q['needed']} ; {taking} : {reached}.")


def _majority_text(rule: dict) -> str:
    word = "plus de" if rule["strict"] else "au moins"
    if rule["on_all"]:
        base = "de tous les associés"
    elif rule["count_abstentions"]:
        base = "des associés présents ou représentés (abstentions et votes blancs comptés)"
    else:
        base = "des suffrages exprimés (abstentions et votes blancs non comptés)"
    return f"{word} {rule['threshold']} {base}"


def _share(value: str | None) -> str:
    return "sans objet" if value is None else value


def _detail(result: dict) -> str:
    """The count in French: the base, the share for, and by college where they weigh."""
    if "candidates" in result:
        return f"Base de calcul : {result['base']} voix."
    parts = [f"Base de calcul : {result['base']} voix ; part des voix pour : "
             f"{_share(result['share_for'])}"]
    for college in result["colleges"]:
        counts = college["counts"]
        parts.append(f"collège {college['college']} (poids {college['weight']}) : "
                     f"{counts['for_votes']} pour, {counts['against']} contre sur "
                     f"{college['base']}")
    if result["tie"]:
        parts.append("égalité des voix pour et contre : la résolution est rejetée")
    return " ; ".join(parts) + "."


def _candidate_text(candidate: dict, base: int) -> str:
    outcome = ("élu(e)" if candidate["elected"] else
               "majorité atteinte, non élu(e)" if candidate["reached"] else "non élu(e)")
    return (f"{candidate['name']} : {candidate['votes']} voix sur {base} "
            f"({_share(candidate['share'])}), {outcome}")


def render(session: Session, loaded: Loaded) -> tuple[bytes, str, int]:
    """The minutes as (PDF, HTML, pages)."""
    minutes = build(session, loaded)
    pdf = minutes_pdf(minutes)
    return pdf, minutes_html(minutes), pdf_pages(pdf)
