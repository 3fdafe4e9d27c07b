"""The minutes (procès-verbal) of a general assembly: printable HTML (standard library) or
an A4 PDF (fpdf2), from what happened at the assembly.

What they say (Code de commerce R223-24 for a SARL): the date and place of the assembly,
the associates present or represented with their number of votes, the documents and
reports submitted, a summary of the debates, the text of each resolution put to the
vote and its result; for an SA (R225-106) also the officers (président de séance,
secrétaire), the quorum and the attendance sheet (feuille de présence), which every
cooperative's minutes here carry whatever the form.

Both are drawn from one description of the page (``_page``): what they say is written
once. The PDF is deterministic (its creation date is the minutes' date, its identifier
a hash of its content) so that its SHA-256 can be published. It is written with the
PDF's core font (Helvetica, Latin-1), as the payslips are: a character Latin-1 lacks is
written the nearest way it can ("Œ" as "OE", "€" as "EUR", an accent dropped) and
otherwise as "?", never a failure."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from html import escape
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# ---------------------------------------------------------------- what the minutes hold


@dataclass(frozen=True)
class Attendee:
    """One line of the attendance sheet (feuille de présence)."""

    name: str
    mode: str  # "in_person" | "remote" | "postal" | "represented" | "absent"
    college: str | None  # SCIC college code or None
    represented_by: str | None  # the holder's name; BLANK_PROXY for a blank proxy
    proxies_held: int  # proxies this attendee holds and that count


@dataclass(frozen=True)
class ResolutionMinute:
    code: str  # "1", "2"...
    title: str
    text: str  # the resolution's full text, may have line breaks
    kind: str  # "ordinary" | "extraordinary" | "election"
    secret: bool
    outcome: str  # "adopted" | "rejected" | "not_deliberated" (quorum lacking)
    for_votes: int
    against: int
    abstain: int
    blank: int
    not_voted: int
    majority: str  # the rule in words: "plus de 1/2 de tous les associés"
    formula: str  # the tally's formula, shown as "Détail du calcul"
    elected: tuple[str, ...] = ()  # names elected, for an election
    effect: str | None = None
    candidates: tuple[str, ...] = ()  # an election: one line per candidate, with their votes  # "Barème de contribution en vigueur au 01/01/2027"


@dataclass(frozen=True)
class Minutes:
    cooperative_name: str
    cooperative_form: str  # "SCOP-SARL", "SCOP-SA", "SCIC"
    siren: str | None
    head_office: str | None
    assembly_title: str  # "Assemblée générale ordinaire annuelle"
    kind: str  # "ordinary" | "extraordinary" | "combined"
    convocation: int  # 1 or 2 (second convocation)
    held_at: datetime  # aware
    place: str | None
    video_link: str | None
    convened_on: date
    chair: str
    secretary: str
    electorate: int  # associates convened (the electorate at the record date)
    in_person: int
    remote: int
    postal: int
    represented: int
    quorum: tuple[str, ...]  # one line per decision kind: the quorum, reached or not, its formula
    documents: tuple[str, ...]  # the documents put at the associates' disposal
    agenda: tuple[str, ...]  # ordre du jour: one line per resolution title
    debate_summary: str  # entered by the secretary, may have line breaks
    resolutions: tuple[ResolutionMinute, ...]
    attendees: tuple[Attendee, ...]
    closed_at: datetime  # aware; the minutes' date
    legal_basis: str  # "Code de commerce R223-24" (SARL) or "Code de commerce R225-106" (SA)
    opened_at: datetime | None = None  # aware; when the chair opened the meeting
    lapsed: tuple[str, ...] = ()  # proxies without effect, each with its reason


# ---------------------------------------------------------------- French words

BLANK_PROXY = "pouvoir en blanc"
DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
          "octobre", "novembre", "décembre")
ORDINALS = ("Première", "Deuxième", "Troisième", "Quatrième", "Cinquième", "Sixième",
            "Septième", "Huitième", "Neuvième", "Dixième", "Onzième", "Douzième", "Treizième",
            "Quatorzième", "Quinzième", "Seizième", "Dix-septième", "Dix-huitième",
            "Dix-neuvième", "Vingtième")
FORMS = {
    "SCOP-SARL": "société coopérative et participative à responsabilité limitée",
    "SCOP-SA": "société coopérative et participative, société anonyme",
    "SCIC": "société coopérative d'intérêt collectif",
}
ASSEMBLY_KINDS = {"ordinary": "ordinaire", "extraordinary": "extraordinaire",
                  "combined": "mixte (ordinaire et extraordinaire)"}
DECISION_KINDS = {"ordinary": "Décision ordinaire", "extraordinary": "Décision extraordinaire",
                  "election": "Élection"}
MODES = {"in_person": "présent", "remote": "à distance", "postal": "par correspondance",
         "represented": "représenté", "absent": "absent"}
OUTCOMES = {"adopted": "Cette résolution est adoptée.",
            "rejected": "Cette résolution est rejetée.",
            "not_deliberated": "Cette résolution n'a pu être délibérée faute de quorum."}
UNKNOWN = "non renseigné"


def _paris():
    try:
        return ZoneInfo("Europe/Paris")
    except ZoneInfoNotFoundError:  # pragma: no cover - a system without tzdata
        return None


def _local(moment: datetime) -> datetime:
    """The time as read in France (the assembly's own offset where there are no zones)."""
    zone = _paris()
    return moment.astimezone(zone) if zone is not None and moment.tzinfo else moment


def french_date(day: date) -> str:
    """date(2027, 3, 15) -> 'lundi 15 mars 2027'; the first of a month is '1er'."""
    return (f"{DAYS[day.weekday()]} {'1er' if day.day == 1 else day.day} "
            f"{MONTHS[day.month - 1]} {day.year}")


def french_time(moment: datetime) -> str:
    """18:00 -> '18 h 00'."""
    return f"{moment.hour} h {moment.minute:02d}"


def french_datetime(moment: datetime) -> str:
    """An aware datetime -> 'lundi 15 mars 2027 à 18 h 00' (time in France)."""
    local = _local(moment)
    return f"{french_date(local.date())} à {french_time(local)}"


def siren_text(siren: str | None) -> str:
    """'732829320' -> '732 829 320'."""
    if not siren:
        return UNKNOWN
    digits = siren.replace(" ", "")
    return " ".join(digits[i:i + 3] for i in range(0, len(digits), 3))


def minutes_title(minutes: Minutes) -> str:
    """'Assemblée générale ordinaire annuelle' -> "Procès-verbal de l'assemblée générale
    ordinaire annuelle"."""
    title = minutes.assembly_title.strip()
    if title.lower().startswith("assemblée"):
        return f"Procès-verbal de l'{title[0].lower()}{title[1:]}"
    kind = ASSEMBLY_KINDS.get(minutes.kind, minutes.kind)
    return f"Procès-verbal de l'assemblée générale {kind} - {title}"


def mode_text(attendee: Attendee) -> str:
    """How the associate took part, in French: 'représenté par Camille Martin'."""
    if attendee.mode == "represented":
        holder = attendee.represented_by
        if not holder or holder == BLANK_PROXY:
            return "représenté par un pouvoir en blanc"
        return f"représenté par {holder}"
    return MODES.get(attendee.mode, attendee.mode)


def resolution_heading(resolution: ResolutionMinute) -> str:
    """'1', 'Approbation des comptes' -> 'Première résolution - Approbation des comptes'."""
    code = resolution.code.strip()
    if code.isdigit() and 1 <= int(code) <= len(ORDINALS):
        name = f"{ORDINALS[int(code) - 1]} résolution"
    else:
        name = f"Résolution n° {code}"
    return f"{name} - {resolution.title}"


def votes_text(resolution: ResolutionMinute) -> str:
    if resolution.kind == "election":
        return (f"Bulletins nommant au moins un candidat : {resolution.for_votes} / "
                f"Abstention : {resolution.abstain} / Blanc : {resolution.blank} / "
                f"N'ont pas voté : {resolution.not_voted}")
    return (f"Pour : {resolution.for_votes} / Contre : {resolution.against} / "
            f"Abstention : {resolution.abstain} / Blanc : {resolution.blank} / "
            f"N'ont pas voté : {resolution.not_voted}")


# ---------------------------------------------------------------- the page, once


@dataclass(frozen=True)
class _Block:
    style: str  # "p" | "item" (bulleted) | "step" (numbered) | "quote" | "strong" | "small"
    text: str


@dataclass(frozen=True)
class _Section:
    heading: str
    blocks: tuple[_Block, ...]
    together: bool = False  # a resolution: kept on one page where it fits


@dataclass(frozen=True)
class _Page:
    title: str
    cooperative: tuple[str, ...]  # its name, then its form, SIREN and head office
    sections: tuple[_Section, ...]
    closing: tuple[str, ...]
    signatures: tuple[tuple[str, str], ...]  # (role, name)
    sheet_title: str
    sheet_note: str
    sheet_columns: tuple[str, ...]
    sheet_rows: tuple[tuple[str, ...], ...]
    sheet_total: tuple[str, ...]
    footer: str


def _lines(text: str | None) -> tuple[str, ...]:
    return tuple(line.rstrip() for line in (text or "").strip().splitlines())


def _paragraphs(text: str | None, style: str = "p") -> tuple[_Block, ...]:
    """A text typed with line breaks: one block per paragraph (blank lines part them),
    its own line breaks kept."""
    chunks = re.split(r"\n\s*\n", (text or "").strip())
    return tuple(_Block(style, "\n".join(_lines(chunk))) for chunk in chunks if chunk.strip())


def _numbered(n: int, line: str) -> str:
    """An agenda line with its number, unless it came numbered ("1. Approbation...")."""
    return line if re.match(r"\s*\d+\s*[.)-]\s", line) else f"{n}. {line}"


def _meeting(minutes: Minutes) -> tuple[_Block, ...]:
    ordinal = "deuxième" if minutes.convocation == 2 else "première"
    blocks = [
        _Block("p", f"Nature : assemblée générale {ASSEMBLY_KINDS.get(minutes.kind, minutes.kind)}"
                    f", réunie sur {ordinal} convocation"),
        _Block("p", f"Date : {french_datetime(minutes.held_at)}"),
    ]
    if minutes.opened_at is not None:
        blocks.append(_Block("p", f"Séance ouverte le {french_datetime(minutes.opened_at)}"))
    if minutes.place:
        blocks.append(_Block("p", f"Lieu : {minutes.place}"))
    if minutes.video_link:
        blocks.append(_Block("p", "Participation à distance (visioconférence) : "
                                  f"{minutes.video_link}"))
    if not minutes.place and not minutes.video_link:
        blocks.append(_Block("p", f"Lieu : {UNKNOWN}"))
    blocks += [
        _Block("p", f"Convocation adressée aux associés le {french_date(minutes.convened_on)}"
                    f" ({ordinal} convocation)"),
        _Block("p", f"Président de séance : {minutes.chair or UNKNOWN}"),
        _Block("p", f"Secrétaire de séance : {minutes.secretary or UNKNOWN}"),
    ]
    return tuple(blocks)


def _attendance(minutes: Minutes) -> tuple[_Block, ...]:
    taking_part = minutes.in_person + minutes.remote + minutes.postal + minutes.represented
    return (
        _Block("p", f"Nombre d'associés : {minutes.electorate} ; présents : {minutes.in_person}"
                    f", à distance : {minutes.remote}, votant par correspondance : "
                    f"{minutes.postal}, représentés : {minutes.represented}"),
        _Block("p", f"Soit {taking_part} associés présents, à distance, votant par "
                    f"correspondance ou représentés sur {minutes.electorate}, chacun disposant "
                    "d'une voix (un associé, une voix). La feuille de présence est annexée au "
                    "présent procès-verbal."),
        *(_Block("item", line) for line in minutes.quorum),
        *((_Block("p", "Pouvoirs restés sans effet :"),) if minutes.lapsed else ()),
        *(_Block("item", line) for line in minutes.lapsed),
    )


def _resolution(resolution: ResolutionMinute) -> _Section:
    said = [DECISION_KINDS.get(resolution.kind, resolution.kind)]
    if resolution.secret:
        said.append("scrutin secret")
    blocks = [_Block("p", " - ".join(said)), *_paragraphs(resolution.text, "quote")]
    if resolution.outcome == "not_deliberated":
        blocks.append(_Block("p", "Non mise aux voix : le quorum requis n'est pas atteint."))
    else:
        vote = "Vote à scrutin secret. " if resolution.secret else ""
        blocks.append(_Block("p", f"{vote}{votes_text(resolution)}"))
    if resolution.majority:
        blocks.append(_Block("p", f"Majorité requise : {resolution.majority}"))
    blocks.append(_Block("strong", OUTCOMES.get(resolution.outcome, resolution.outcome)))
    blocks.extend(_Block("item", line) for line in resolution.candidates)
    if resolution.elected:
        who = "Personne élue" if len(resolution.elected) == 1 else "Personnes élues"
        blocks.append(_Block("strong", f"{who} : {', '.join(resolution.elected)}"))
    if resolution.effect:
        blocks.append(_Block("p", f"Effet : {resolution.effect}"))
    if resolution.formula:
        blocks.append(_Block("small", f"Détail du calcul : {resolution.formula}"))
    return _Section(resolution_heading(resolution), tuple(blocks), together=True)


def _sheet(minutes: Minutes) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...],
                                      tuple[str, ...]]:
    colleges = any(a.college for a in minutes.attendees)
    columns = ("Associé", *(("Collège",) if colleges else ()), "Participation", "Voix",
               "Pouvoirs détenus")
    rows, votes, proxies = [], 0, 0
    for attendee in minutes.attendees:
        vote = 0 if attendee.mode == "absent" else 1
        votes, proxies = votes + vote, proxies + attendee.proxies_held
        rows.append((attendee.name, *((attendee.college or "",) if colleges else ()),
                     mode_text(attendee), str(vote), str(attendee.proxies_held)))
    total = (f"Total : {len(minutes.attendees)} associés", *(("",) if colleges else ()),
             "", str(votes), str(proxies))
    return columns, tuple(rows), total


def _page(minutes: Minutes) -> _Page:
    """What the minutes say, in plain text, laid out by ``minutes_html`` and ``minutes_pdf``."""
    title = minutes_title(minutes)
    form = minutes.cooperative_form
    sections = [
        _Section("Tenue de l'assemblée", _meeting(minutes)),
        _Section("Présences et quorum", _attendance(minutes)),
        _Section("Documents mis à la disposition des associés",
                 tuple(_Block("item", d) for d in minutes.documents)
                 or (_Block("p", "Aucun document."),)),
        _Section("Ordre du jour",
                 tuple(_Block("step", _numbered(n, line))
                       for n, line in enumerate(minutes.agenda, 1))
                 or (_Block("p", "Aucun point."),)),
        _Section("Résumé des débats",
                 _paragraphs(minutes.debate_summary) or (_Block("p", "Aucun débat consigné."),)),
    ]
    if minutes.resolutions:
        sections.append(_Section("Résolutions mises aux voix", ()))
        sections += [_resolution(r) for r in minutes.resolutions]
    columns, rows, total = _sheet(minutes)
    held = _local(minutes.held_at).date()
    return _Page(
        title=title,
        cooperative=(
            minutes.cooperative_name,
            f"{form} ({FORMS[form]})" if form in FORMS else form,
            f"SIREN : {siren_text(minutes.siren)}",
            f"Siège social : {minutes.head_office or UNKNOWN}",
            f"Procès-verbal établi conformément au {minutes.legal_basis}",
        ),
        sections=tuple(sections),
        closing=(
            "L'ordre du jour étant épuisé, le président de séance a levé la séance. De tout ce "
            "qui précède, il a été dressé le présent procès-verbal, signé par le président de "
            "séance et le secrétaire de séance.",
            f"Procès-verbal clos le {french_datetime(minutes.closed_at)}.",
        ),
        signatures=(("Le président de séance", minutes.chair),
                    ("Le secrétaire de séance", minutes.secretary)),
        sheet_title="Annexe - Feuille de présence",
        sheet_note=(f"Assemblée du {french_date(held)} - {minutes.electorate} associés convoqués. "
                    "Feuille de présence certifiée exacte par le bureau de l'assemblée."),
        sheet_columns=columns,
        sheet_rows=rows,
        sheet_total=total,
        footer=f"{minutes.cooperative_name} - procès-verbal de l'assemblée du "
               f"{french_date(held)}",
    )


# ---------------------------------------------------------------- HTML


def _escape(text: str) -> str:
    return escape(text, quote=False)  # element content: no attribute to close


def _html_text(text: str) -> str:
    return "<br>".join(_escape(line) for line in text.split("\n"))


_TAGS = {"p": ("<p>", "</p>"), "item": ("<li>", "</li>"), "step": ("<li>", "</li>"),
         "quote": ("<blockquote>", "</blockquote>"), "strong": ("<p><strong>", "</strong></p>"),
         "small": ('<p class="small">', "</p>")}


_LISTS = {"item": "<ul>", "step": '<ul class="steps">'}  # a step carries its number


def _html_blocks(blocks: tuple[_Block, ...]) -> str:
    out, in_list = [], None
    for block in blocks:
        wanted = block.style if block.style in _LISTS else None
        if wanted != in_list:
            if in_list:
                out.append("</ul>")
            if wanted:
                out.append(_LISTS[wanted])
            in_list = wanted
        start, end = _TAGS[block.style]
        out.append(f"{start}{_html_text(block.text)}{end}")
    if in_list:
        out.append("</ul>")
    return "\n".join(out)


def minutes_html(minutes: Minutes) -> str:
    """The minutes as a printable HTML5 page."""
    page = _page(minutes)
    sections = []
    for section in page.sections:
        tag, css = ("h3", ' class="resolution"') if section.together else ("h2", "")
        sections.append(f"<section{css}><{tag}>{_escape(section.heading)}</{tag}>\n"
                        f"{_html_blocks(section.blocks)}</section>")
    head = "".join(f"<th>{_escape(c)}</th>" for c in page.sheet_columns)
    rows = "\n".join("<tr>" + "".join(
        f"<td{' class=n' if n >= len(cells) - 2 else ''}>{_escape(cell)}</td>"
        for n, cell in enumerate(cells)) + "</tr>" for cells in page.sheet_rows)
    total = "".join(f"<td{' class=n' if n >= len(page.sheet_total) - 2 else ''}>"
                    f"{_escape(cell)}</td>" for n, cell in enumerate(page.sheet_total))
    signatures = "\n".join(f"<div class=signature>{_escape(role)}<br><strong>{_escape(name)}"
                           "</strong></div>" for role, name in page.signatures)
    cooperative = "<br>".join(map(_escape, page.cooperative[1:]))
    closing = "\n".join(f"<p>{_escape(line)}</p>" for line in page.closing)
    return f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>{_escape(page.title)}</title>
<style>
@page{{size:A4;margin:15mm}}
body{{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:52em;color:#111}}
h1{{font-size:1.45em}} h2{{font-size:1.15em;border-bottom:1px solid #999;margin-top:1.4em}}
h3{{font-size:1.02em;margin-bottom:.3em}}
blockquote{{margin:.4em 0 .4em 1.2em;padding-left:.8em;border-left:3px solid #ccc}}
.steps{{list-style:none;padding-left:1.2em}}
.cooperative{{border:1px solid #999;padding:.5em .8em}} .small{{font-size:.8em;color:#444}}
.resolution{{break-inside:avoid;page-break-inside:avoid}}
.signatures{{display:flex;gap:2em;margin:1.5em 0;break-inside:avoid}}
.signature{{flex:1;border:1px solid #999;padding:.5em;min-height:7em}}
table{{border-collapse:collapse;width:100%}} td,th{{border:1px solid #999;padding:3px 6px;
text-align:left}} .n{{text-align:right}} tr{{break-inside:avoid}} tfoot td{{font-weight:bold}}
.sheet{{break-before:page;page-break-before:always}}
@media print{{body{{margin:0;max-width:none}}}}
</style></head><body>
<h1>{_escape(page.title)}</h1>
<p class="cooperative"><strong>{_escape(page.cooperative[0])}</strong><br>{cooperative}</p>
{chr(10).join(sections)}
{closing}
<div class="signatures">
{signatures}
</div>
<section class="sheet"><h2>{_escape(page.sheet_title)}</h2>
<p>{_escape(page.sheet_note)}</p>
<table>
<thead><tr>{head}</tr></thead>
<tbody>
{rows}
</tbody>
<tfoot><tr>{total}</tr></tfoot>
</table></section>
</body></html>"""


# ---------------------------------------------------------------- PDF

# what Latin-1 lacks and French writes, the nearest Latin-1 way
_NEAREST = str.maketrans({
    "Œ": "OE", "œ": "oe", "€": "EUR", "’": "'", "‘": "'", "‚": ",", "“": '"', "”": '"',
    "„": '"', "–": "-", "—": "-", "‑": "-", "…": "...", "•": "-", "\u202f": "\u00a0",
    "\u2009": " ", "\u2007": " ", "\u200b": "", "\ufeff": "", "Ÿ": "Y", "Š": "S", "š": "s",
    "Ž": "Z", "ž": "z", "™": "TM", "‰": " pour mille", "\t": "    ",
})


def _latin1(text: str) -> str:
    """Text the PDF's core font (Helvetica, Latin-1) can draw: NFC, then the nearest
    Latin-1 spelling ("Œuvre" -> "OEuvre", "€" -> "EUR"), then the letter without its
    accent where Unicode decomposes it ("ă" -> "a"), then "?" (an emoji, "ł")."""
    text = unicodedata.normalize("NFC", text).translate(_NEAREST)
    out = []
    for char in text:
        if ord(char) < 256:
            out.append(char if char.isprintable() or char in "\n\u00a0" else " ")
            continue
        bare = "".join(c for c in unicodedata.normalize("NFKD", char)
                       if not unicodedata.combining(c))
        out.append(bare if bare and all(ord(c) < 256 for c in bare) else "?")
    return "".join(out)


MARGIN = 18  # mm, left and right
_SIZES = {"h3": 10.5, "p": 9.5, "item": 9.5, "step": 9.5, "quote": 9.5, "strong": 9.5,
          "small": 7.5}
_LEADING = {"h3": 5.2, "p": 4.6, "item": 4.6, "step": 4.6, "quote": 4.6, "strong": 4.6,
            "small": 3.6}
_INDENT = {"item": 6, "step": 3, "quote": 5}


def minutes_pdf(minutes: Minutes) -> bytes:
    """The minutes as an A4 PDF (text left uncompressed: searchable), the same bytes for
    the same minutes. fpdf2 is imported on the first one, as payroll does."""
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos
    from fpdf.fonts import FontFace

    page = _page(minutes)

    class _Document(FPDF):
        def footer(self):
            self.set_y(-12)
            self.set_font("Helvetica", size=7)
            self.set_text_color(90)
            self.cell(0, 4, _latin1(page.footer), align="L")
            self.set_x(self.l_margin)
            self.cell(0, 4, f"page {self.page_no()} / {{nb}}", align="R")
            self.set_text_color(0)

    pdf = _Document(format="A4")
    pdf.set_compression(False)
    pdf.set_margins(MARGIN, 15, MARGIN)
    pdf.set_auto_page_break(True, margin=18)
    pdf.set_creation_date(minutes.closed_at)
    pdf.set_title(_latin1(page.title))
    pdf.set_subject(_latin1(minutes.cooperative_name))
    pdf.set_creator("cae-governance")
    pdf.set_lang("fr")
    width = pdf.w - 2 * MARGIN

    def write(text: str, style: str = "", size: float = 9.5, leading: float = 4.6,
              indent: float = 0) -> None:
        pdf.set_font("Helvetica", style, size)
        pdf.set_x(MARGIN + indent)
        pdf.multi_cell(width - indent, leading, _latin1(text), align="L",
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def room(needed: float) -> None:
        """A new page unless ``needed`` millimetres are left: no heading alone at a foot."""
        if pdf.get_y() + needed > pdf.page_break_trigger:
            pdf.add_page()

    def block(item: _Block) -> None:
        size, leading = _SIZES[item.style], _LEADING[item.style]
        if item.style == "item":
            pdf.set_font("Helvetica", "", size)
            pdf.set_x(MARGIN + 2)
            pdf.cell(4, leading, "-")
            pdf.multi_cell(width - 6, leading, _latin1(item.text), align="L",
                           new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        elif item.style == "step":
            write(item.text, "", size, leading, indent=_INDENT["step"])
        elif item.style == "quote":
            first, top = pdf.page, pdf.get_y()
            write(item.text, "I", size, leading, indent=_INDENT["quote"])
            last, bottom = pdf.page, pdf.get_y()
            pdf.set_draw_color(190)  # the rule beside the text, on every page it runs on
            for number in range(first, last + 1):
                pdf.page = number
                pdf.line(MARGIN + 2, (top if number == first else pdf.t_margin) + 0.5,
                         MARGIN + 2, (bottom if number == last else pdf.page_break_trigger)
                         - 0.5)
            pdf.page = last
            pdf.set_draw_color(0)
        elif item.style == "small":
            pdf.set_text_color(80)
            write(item.text, "", size, leading)
            pdf.set_text_color(0)
        else:
            write(item.text, "B" if item.style == "strong" else "", size, leading)
        pdf.ln(0.8)

    def height_of(blocks: tuple[_Block, ...], heading: float = _LEADING["h3"] + 3) -> float:
        """How high the blocks will be drawn (a dry run of their lines)."""
        total = heading
        for item in blocks:
            pdf.set_font("Helvetica", "I" if item.style == "quote" else
                         "B" if item.style == "strong" else "", _SIZES[item.style])
            lines = pdf.multi_cell(width - _INDENT.get(item.style, 0), _LEADING[item.style],
                                   _latin1(item.text), align="L", dry_run=True, output="LINES")
            total += len(lines) * _LEADING[item.style] + 0.8
        return total

    def room_for(height: float, at_least: float = 30) -> None:
        """Kept on one page where it fits on one, else at least ``at_least`` mm."""
        room(height if height < pdf.page_break_trigger - pdf.t_margin else at_least)

    pdf.add_page()
    pdf.set_font("Helvetica", "B", 15)
    pdf.multi_cell(width, 7, _latin1(page.title), align="L", new_x=XPos.LMARGIN,
                   new_y=YPos.NEXT)
    pdf.ln(2)
    top = pdf.get_y()
    pdf.set_xy(MARGIN + 2, top + 2)
    pdf.set_font("Helvetica", "B", 11)
    pdf.multi_cell(width - 4, 5.5, _latin1(page.cooperative[0]), align="L",
                   new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "", 9)
    pdf.multi_cell(width - 4, 4.4, _latin1("\n".join(page.cooperative[1:])), align="L",
                   new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.rect(MARGIN, top, width, pdf.get_y() + 2 - top)
    pdf.set_y(pdf.get_y() + 4)

    for n, section in enumerate(page.sections):
        if section.together:
            room_for(height_of(section.blocks))
            pdf.ln(1.5)
            write(section.heading, "B", _SIZES["h3"], _LEADING["h3"])
            pdf.ln(1)
        else:
            following = page.sections[n + 1] if n + 1 < len(page.sections) else None
            if not section.blocks and following is not None:  # a heading for what follows
                room_for(12 + height_of(following.blocks), 40)
            else:
                room(22)
            pdf.ln(2)
            write(section.heading, "B", 12, 6)
            pdf.set_draw_color(150)
            pdf.line(MARGIN, pdf.get_y(), MARGIN + width, pdf.get_y())
            pdf.set_draw_color(0)
            pdf.ln(1.5)
        for item in section.blocks:
            block(item)

    closing = tuple(_Block("p", line) for line in page.closing)
    room(height_of(closing, 3) + 36)  # the closing words with the signatures
    pdf.ln(3)
    for item in closing:
        block(item)
    pdf.ln(3)
    gap = 8
    box = (width - gap) / len(page.signatures)
    top = pdf.get_y()
    for n, (role, name) in enumerate(page.signatures):
        left = MARGIN + n * (box + gap)
        pdf.rect(left, top, box, 30)
        pdf.set_xy(left + 2, top + 2)
        pdf.set_font("Helvetica", "", 9)
        pdf.multi_cell(box - 4, 4.5, _latin1(role), align="L", new_x=XPos.LEFT,
                       new_y=YPos.NEXT)
        pdf.set_font("Helvetica", "B", 9.5)
        pdf.multi_cell(box - 4, 4.5, _latin1(name), align="L", new_x=XPos.LEFT,
                       new_y=YPos.NEXT)
    pdf.set_xy(MARGIN, top + 32)

    pdf.add_page()
    write(page.sheet_title, "B", 12, 6)
    write(page.sheet_note, "", 9, 4.4)
    pdf.ln(2)
    numbers = len(page.sheet_columns) - 2
    widths = {"Associé": 52, "Collège": 20, "Participation": 56, "Voix": 14,
              "Pouvoirs détenus": 28}
    bold = FontFace(emphasis="BOLD")
    heading = FontFace(emphasis="BOLD", fill_color=(235, 235, 235))
    pdf.set_font("Helvetica", "", 8.5)
    with pdf.table(col_widths=tuple(widths[c] for c in page.sheet_columns), width=width,
                   line_height=4.4, headings_style=heading, align="LEFT",
                   text_align=tuple("RIGHT" if n >= numbers else "LEFT"
                                    for n in range(len(page.sheet_columns)))) as table:
        row = table.row()
        for column in page.sheet_columns:
            row.cell(_latin1(column))
        for cells in page.sheet_rows:
            row = table.row()
            for cell in cells:
                row.cell(_latin1(cell))
        row = table.row()
        for cell in page.sheet_total:
            row.cell(_latin1(cell), style=bold)
    return bytes(pdf.output())


_PAGES = re.compile(rb"<<[^<>]*?/Type\s*/Pages\b[^<>]*?>>", re.S)
_COUNT = re.compile(rb"/Count\s+(\d+)")
_PAGE = re.compile(rb"/Type\s*/Page(?![A-Za-z])")


def pdf_pages(pdf: bytes) -> int:
    """How many pages a PDF has: the /Count of its page tree's root (the largest), or
    else the number of its /Type /Page objects (a PDF whose objects are not compressed
    into streams, as fpdf2 writes them)."""
    counts = [int(m[1]) for tree in _PAGES.finditer(pdf) for m in _COUNT.finditer(tree[0])]
    return max(counts) if counts else len(_PAGE.findall(pdf))
