"""The minutes (procès-verbal) of a general assembly an associate recognises: every
mention of Code de commerce R223-24 (SARL) and R225-106 (SA: the quorum and the
attendance sheet), read back from the HTML and from the PDF's text (pdftotext when
poppler is installed, and always by reading the uncompressed PDF's text operators);
the PDF the same bytes for the same minutes."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from cae_governance.adapters.minutes import (
    Attendee,
    Minutes,
    ResolutionMinute,
    french_date,
    french_datetime,
    minutes_html,
    minutes_pdf,
    pdf_pages,
)

PARIS_WINTER = timezone(timedelta(hours=1))
FORMULA = ("resolution 1, ordinary decision, 1st convocation, majority more than 1/2 of all "
           "associates: for 15, against 1, abstain 1, blank 0, not voted 0; base 23 (all "
           "associates); for 15/23 = 65.22 %; 15/23 > 1/2: adopted (CG Scop model statutes, "
           "SCOP-SARL, art. 23)")


def _attendees() -> tuple[Attendee, ...]:
    """23 associates: 10 present, 3 remote, 2 by post, 2 represented, 6 absent."""
    present = ["Camille Martin", "Léa Dubois", "Hugo Petit", "Inès Moreau", "Théo Laurent",
               "Chloé Girard", "Noé Lefèvre", "Zoé Roux", "Éric Fournier", "Jules Garnier"]
    remote = ["Manon Faure", "Rémi Blanc", "Anaïs Chevalier"]
    postal = ["Yasmine Benali", "Lucas Perrin"]
    absent = ["Sarah Morel", "Tom Gauthier", "Julie Mercier", "Nathan Robin", "Emma Clément",
              "Louis Dupuis"]
    rows = [Attendee(n, "in_person", None, None, 1 if n in ("Camille Martin",) else 0)
            for n in present]
    rows += [Attendee(n, "remote", None, None, 0) for n in remote]
    rows += [Attendee(n, "postal", None, None, 0) for n in postal]
    rows += [Attendee("Gaëlle Rousseau", "represented", None, "Camille Martin", 0),
             Attendee("Malik Haddad", "represented", None, "pouvoir en blanc", 0)]
    rows += [Attendee(n, "absent", None, None, 0) for n in absent]
    return tuple(sorted(rows, key=lambda a: a.name.split()[-1]))


def minutes(**changes) -> Minutes:
    """A SCOP-SARL's combined annual assembly of 23 associates, first convocation: the
    accounts approved, a contribution schedule adopted, a manager elected by secret
    ballot, a resolution rejected, an extraordinary one not deliberated (17 of 23 take
    part, the extraordinary quorum is 18)."""
    resolutions = (
        ResolutionMinute(
            code="1", title="Approbation des comptes de l'exercice 2026",
            text="L'assemblée générale, après avoir entendu le rapport de gestion de la "
                 "gérance,\napprouve les comptes de l'exercice clos le 31 décembre 2026 tels "
                 "qu'ils lui ont été présentés, faisant apparaître un excédent net de "
                 "48 312 euros.",
            kind="ordinary", secret=False, outcome="adopted", for_votes=15, against=1,
            abstain=1, blank=0, not_voted=0, majority="plus de 1/2 de tous les associés",
            formula=FORMULA),
        ResolutionMinute(
            code="2", title="Barème de contribution coopérative 2027",
            text="L'assemblée générale fixe le taux de contribution coopérative à 10 % du "
                 "chiffre d'affaires hors taxes jusqu'à 50 000 euros, puis 8 % au-delà.\n\n"
                 "Ce barème s'applique aux chiffres d'affaires encaissés à compter du "
                 "1er janvier 2027.",
            kind="ordinary", secret=False, outcome="adopted", for_votes=13, against=3,
            abstain=1, blank=0, not_voted=0, majority="plus de 1/2 de tous les associés",
            formula=FORMULA.replace("resolution 1", "resolution 2"),
            effect="Barème de contribution en vigueur au 01/01/2027"),
        ResolutionMinute(
            code="3", title="Élection d'une gérante",
            text="L'assemblée générale élit en qualité de gérante, pour une durée de quatre "
                 "ans, Mme Camille Martin, associée.",
            kind="election", secret=True, outcome="adopted", for_votes=16, against=0,
            abstain=0, blank=1, not_voted=0, majority="plus de 1/2 de tous les associés",
            formula=FORMULA.replace("resolution 1", "resolution 3"),
            elected=("Camille Martin",),
            candidates=("Camille Martin : 14 voix sur 23 (14/23), élu(e)",
                        "Louis Dupuis : 2 voix sur 23 (2/23), non élu(e)")),
        ResolutionMinute(
            code="4", title="Mutualisation d'un poste de comptable",
            text="L'assemblée générale décide la création d'un poste de comptable mutualisé "
                 "à mi-temps, financé par une contribution additionnelle de 0,5 %.",
            kind="ordinary", secret=False, outcome="rejected", for_votes=8, against=7,
            abstain=2, blank=0, not_voted=0, majority="plus de 1/2 de tous les associés",
            formula=FORMULA.replace("resolution 1", "resolution 4")),
        ResolutionMinute(
            code="5", title="Modification de l'article 12 des statuts",
            text="L'assemblée générale, statuant aux conditions de quorum et de majorité des "
                 "assemblées extraordinaires, décide de modifier l'article 12 des statuts.",
            kind="extraordinary", secret=False, outcome="not_deliberated", for_votes=0,
            against=0, abstain=0, blank=0, not_voted=0,
            majority="au moins 3/4 des voix des associés présents ou représentés",
            formula="extraordinary decision, 1st convocation: quorum 3/4 of 23 associates, "
                    "ceil(3/4 x 23) = 18 needed; 17 < 18: not met"),
    )
    base = Minutes(
        cooperative_name="Coopérative Ouvrière des Métiers",
        cooperative_form="SCOP-SARL", siren="732829320",
        head_office="3-7 rue Albert Marquet, 75020 Paris",
        assembly_title="Assemblée générale mixte annuelle", kind="combined", convocation=1,
        held_at=datetime(2027, 3, 15, 18, 0, tzinfo=PARIS_WINTER),
        place="Salle des fêtes, 12 rue des Lilas, 93100 Montreuil",
        video_link="https://visio.example.coop/ag-2027", convened_on=date(2027, 2, 25),
        chair="Léa Dubois", secretary="Hugo Petit", electorate=23,
        in_person=10, remote=3, postal=2, represented=2,
        quorum=("Décisions ordinaires : aucun quorum requis en première convocation ; 17 "
                "associés participent sur 23 (ordinary decision, 1st convocation: no quorum "
                "required)",
                "Décisions extraordinaires : quorum non atteint, 17 < 18 (quorum 3/4 of 23 "
                "associates, ceil(3/4 x 23) = 18 needed)"),
        documents=("Comptes annuels de l'exercice 2026", "Rapport de gestion de la gérance",
                   "Rapport du réviseur coopératif", "Texte des projets de résolutions"),
        agenda=("Approbation des comptes de l'exercice 2026",
                "Barème de contribution coopérative 2027", "Élection d'une gérante",
                "Mutualisation d'un poste de comptable",
                "Modification de l'article 12 des statuts"),
        debate_summary="La gérance présente les comptes et répond aux questions sur la "
                       "trésorerie.\nPlusieurs associés demandent un lissage du barème.\n\n"
                       "Le projet de poste mutualisé suscite un débat sur son financement.",
        resolutions=resolutions, attendees=_attendees(),
        closed_at=datetime(2027, 3, 15, 20, 15, tzinfo=PARIS_WINTER),
        legal_basis="Code de commerce R223-24",
        opened_at=datetime(2027, 3, 15, 18, 5, tzinfo=PARIS_WINTER),
        lapsed=("Théo Garnier (pouvoir à Louis Dupuis) : le mandataire est absent",))
    return replace(base, **changes)


def pdf_text(pdf: bytes) -> list[str]:
    """The PDF's text, whitespace collapsed: by pdftotext when installed, and always by
    reading its (uncompressed) text-showing operators."""
    texts = [_operators_text(pdf)]
    if shutil.which("pdftotext"):
        out = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True,
                             check=True).stdout.decode("utf-8")
        texts.append(" ".join(out.split()))
    return texts


_STRING = re.compile(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", re.S)


def _operators_text(pdf: bytes) -> str:
    """Every ``(...) Tj`` string of the PDF, unescaped, in order (Helvetica: Latin-1)."""
    def unescape(raw: bytes) -> str:
        raw = re.sub(rb"\\([0-7]{1,3})", lambda m: bytes([int(m[1], 8)]), raw)
        raw = re.sub(rb"\\(.)", lambda m: {b"n": b"\n", b"r": b"\r", b"t": b"\t"}.get(m[1], m[1]),
                     raw)
        return raw.decode("latin-1")

    return " ".join(" ".join(unescape(m[1]) for m in _STRING.finditer(pdf)).split())


def html_text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


MENTIONS = [
    # the title, the cooperative: name, form, SIREN, head office, the law followed
    "Procès-verbal de l'assemblée générale mixte annuelle",
    "Coopérative Ouvrière des Métiers", "SCOP-SARL", "SIREN : 732 829 320",
    "Siège social : 3-7 rue Albert Marquet, 75020 Paris", "Code de commerce R223-24",
    # the meeting: its nature, convocation, date and place, video link, officers
    "assemblée générale mixte (ordinaire et extraordinaire), réunie sur première convocation",
    "Date : lundi 15 mars 2027 à 18 h 00",
    "Lieu : Salle des fêtes, 12 rue des Lilas, 93100 Montreuil",
    "https://visio.example.coop/ag-2027",
    "Convocation adressée aux associés le jeudi 25 février 2027",
    "Président de séance : Léa Dubois", "Secrétaire de séance : Hugo Petit",
    # attendance and quorum (R225-106)
    "Nombre d'associés : 23 ; présents : 10, à distance : 3, votant par correspondance : 2, "
    "représentés : 2",
    "Décisions ordinaires : aucun quorum requis", "Décisions extraordinaires : quorum non atteint",
    "ceil(3/4 x 23) = 18 needed",
    # documents, agenda, debates
    "Documents mis à la disposition des associés", "Rapport du réviseur coopératif",
    "Ordre du jour", "1. Approbation des comptes de l'exercice 2026",
    "5. Modification de l'article 12 des statuts",
    "Résumé des débats", "répond aux questions sur la trésorerie",
    "suscite un débat sur son financement",
    # the resolutions: heading, text, counts, majority, outcome, secret ballot, elected, effect
    "Première résolution - Approbation des comptes de l'exercice 2026",
    "approuve les comptes de l'exercice clos le 31 décembre 2026",
    "Pour : 15 / Contre : 1 / Abstention : 1 / Blanc : 0 / N'ont pas voté : 0",
    "Majorité requise : plus de 1/2 de tous les associés",
    "Cette résolution est adoptée.",
    "Deuxième résolution - Barème de contribution coopérative 2027",
    "Effet : Barème de contribution en vigueur au 01/01/2027",
    "Troisième résolution - Élection d'une gérante", "Élection - scrutin secret",
    "Vote à scrutin secret. Bulletins nommant au moins un candidat : 16 / Abstention : 0 / "
    "Blanc : 1", "Camille Martin : 14 voix sur 23 (14/23), élu(e)",
    "Personne élue : Camille Martin",
    "Quatrième résolution - Mutualisation d'un poste de comptable",
    "Pour : 8 / Contre : 7 / Abstention : 2", "Cette résolution est rejetée.",
    "Cinquième résolution - Modification de l'article 12 des statuts",
    "Cette résolution n'a pu être délibérée faute de quorum.",
    "Détail du calcul : resolution 1, ordinary decision",
    # closing and signatures
    "Procès-verbal clos le lundi 15 mars 2027 à 20 h 15",
    "Séance ouverte le lundi 15 mars 2027 à 18 h 05", "Pouvoirs restés sans effet",
    "Théo Garnier (pouvoir à Louis Dupuis) : le mandataire est absent",
    "Le président de séance", "Le secrétaire de séance",
    # the attendance sheet: names, modes, votes, proxies held
    "Feuille de présence", "Associé", "Participation", "Voix", "Pouvoirs détenus",
    "Gaëlle Rousseau", "représenté par Camille Martin",
    "Malik Haddad", "représenté par un pouvoir en blanc",
    "Anaïs Chevalier", "à distance", "Yasmine Benali", "par correspondance",
    "Louis Dupuis", "absent", "présent",
]


def test_french_words_for_days_months_and_hours():
    assert french_date(date(2027, 3, 15)) == "lundi 15 mars 2027"
    assert french_date(date(2027, 3, 1)) == "lundi 1er mars 2027"
    assert french_date(date(2027, 8, 22)) == "dimanche 22 août 2027"
    assert french_date(date(2026, 12, 31)) == "jeudi 31 décembre 2026"
    assert french_datetime(datetime(2027, 3, 15, 18, 0, tzinfo=PARIS_WINTER)) == \
        "lundi 15 mars 2027 à 18 h 00"
    # read in France: 17:05 UTC is 19 h 05 in summer time
    assert french_datetime(datetime(2027, 6, 30, 17, 5, tzinfo=UTC)) == \
        "mercredi 30 juin 2027 à 19 h 05"


def test_the_html_says_every_mention_of_the_minutes():
    html = minutes_html(minutes())
    assert html.startswith("<!doctype html>") and '<html lang="fr">' in html
    text = html_text(html)
    missing = [said for said in MENTIONS if said not in text]
    assert not missing, missing
    # the not deliberated resolution has no count; the elected, no college column
    assert "Non mise aux voix" in text and "Collège" not in text


def test_the_pdf_says_the_same():
    pdf = minutes_pdf(minutes())
    assert pdf.startswith(b"%PDF-")
    for text in pdf_text(pdf):
        missing = [said for said in MENTIONS if said not in text]
        assert not missing, missing


def test_the_attendance_sheet_counts_one_vote_per_associate_present_or_represented():
    text = html_text(minutes_html(minutes()))
    # 23 listed, 17 votes (present, remote, postal, represented), 1 named proxy held
    assert "Total : 23 associés 17 1" in text
    assert "Camille Martin présent 1 1" in text
    assert "Louis Dupuis absent 0 0" in text


def test_a_scic_s_sheet_shows_the_colleges():
    colleges = tuple(replace(a, college=("SAL" if n % 2 else "USA"))
                     for n, a in enumerate(minutes().attendees))
    scic = minutes(cooperative_form="SCIC", attendees=colleges,
                   legal_basis="Code de commerce R225-106")
    for text in (html_text(minutes_html(scic)), *pdf_text(minutes_pdf(scic))):
        assert "Collège" in text and "SAL" in text and "USA" in text, text[-400:]
        assert "société coopérative d'intérêt collectif" in text
        assert "Code de commerce R225-106" in text


def test_a_second_convocation_by_video_only():
    remote = minutes(convocation=2, place=None, kind="ordinary",
                     assembly_title="Assemblée générale ordinaire")
    for text in (html_text(minutes_html(remote)), *pdf_text(minutes_pdf(remote))):
        assert "réunie sur deuxième convocation" in text
        assert "(deuxième convocation)" in text
        assert "Lieu :" not in text
        assert "visioconférence) : https://visio.example.coop/ag-2027" in text


def test_an_agenda_given_numbered_is_not_numbered_twice():
    numbered = minutes(agenda=("1. Approbation des comptes", "2) Barème"), chair="")
    for text in (html_text(minutes_html(numbered)), *pdf_text(minutes_pdf(numbered))):
        assert "1. Approbation des comptes" in text and "2) Barème" in text
        assert "1. 1." not in text and "2. 2)" not in text
        assert "Président de séance : non renseigné" in text


def test_what_is_typed_is_escaped_in_the_html():
    hostile = minutes(assembly_title="<script>alert('pv')</script> & co",
                      debate_summary="<b>gras</b> ?", chair="<img src=x onerror=alert(1)>")
    html = minutes_html(hostile)
    assert "<script>" not in html and "<b>gras" not in html and "<img" not in html
    assert "&lt;script&gt;alert('pv')&lt;/script&gt; &amp; co" in html
    assert "&lt;b&gt;gras&lt;/b&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_the_pdf_is_the_same_bytes_for_the_same_minutes():
    first, second = minutes_pdf(minutes()), minutes_pdf(minutes())
    assert first == second
    assert hashlib.sha256(first).hexdigest() == hashlib.sha256(second).hexdigest()
    assert b"/CreationDate (D:20270315201500+01'00')" in first  # the minutes' date
    later = minutes_pdf(minutes(closed_at=datetime(2027, 3, 15, 20, 16, tzinfo=PARIS_WINTER)))
    assert later != first


def test_what_the_font_cannot_draw_is_replaced_never_a_failure():
    odd = minutes(assembly_title="Assemblée générale de l'Œuvre commune 🎉",
                  debate_summary="Budget de 5 000 € – « validé » ✅ à l’unanimité … Łódź 漢字",
                  chair="Zoë Œhler")
    pdf = minutes_pdf(odd)
    for text in pdf_text(pdf):
        assert "Procès-verbal de l'assemblée générale de l'OEuvre commune ?" in text
        assert "Budget de 5" in text and "000 EUR - « validé » ? à l'unanimité ... ?ódz ??" in text
        assert "Zoë OEhler" in text
    assert "Œuvre commune 🎉" in minutes_html(odd)  # the HTML keeps everything


def test_pdf_pages_counts_the_page_tree():
    pdf = minutes_pdf(minutes())
    assert pdf_pages(pdf) == len(re.findall(rb"/Type\s*/Page(?![a-z])", pdf)) >= 2
    many = tuple(Attendee(f"Associé n° {n:03d}", "in_person", None, None, 0)
                 for n in range(150))
    big = minutes_pdf(minutes(attendees=many, electorate=150, in_person=150))
    assert pdf_pages(big) > pdf_pages(pdf)
    assert f"page {pdf_pages(big)} / {pdf_pages(big)}" in pdf_text(big)[0]


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler's pdftoppm not installed")
def test_poppler_sees_as_many_pages(tmp_path):
    pdf = minutes_pdf(minutes())
    (tmp_path / "pv.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "20", str(tmp_path / "pv.pdf"),
                    str(tmp_path / "pv")], check=True)
    assert len(list(tmp_path.glob("pv-*.png"))) == pdf_pages(pdf)
