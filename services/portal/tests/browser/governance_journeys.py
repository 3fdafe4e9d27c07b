"""The governance journeys in the portal (driven by journeys.py's Journey): the assemblies
of the associates (their own people of Les Ateliers, seeded by seed_governance.py, signed in
on the demo page by their name) and of the support staff. Each checks what the page shows,
runs axe-core on each page and saves screenshots at desktop and phone widths."""

from __future__ import annotations

import re
import uuid

import requests
from journeys import DESKTOP, Journey, check, figure
from staff_journeys import error_next_to, notice, sign_in_staff


def gov(j: Journey) -> dict:
    return j.world["governance"]


def sign_in_associate(j: Journey, key: str, page=None) -> None:
    page = page or j.page
    name = gov(j)["people"][key]["name"]
    page.goto(j.url("/connexion"))
    page.get_by_role("button", name=f"Se connecter en tant que {name}").click()
    page.wait_for_url(re.compile(r".*/accueil$"))
    check(name in page.inner_text("header"), f"{name} is not shown as signed in")


def staff_base(j: Journey) -> str:
    return j.url(f"/equipe/{j.world['coop']}/assemblees")


# -- the entrepreneur's ---------------------------------------------------------------------

def assembly_convocation_proxy(j: Journey) -> None:
    """Inès reads the convocation (date, place, agenda, document), gives her proxy to Paul,
    revokes it, then gives it to Chloé."""
    page = j.page
    sign_in_associate(j, "ines")
    page.get_by_role("link", name="Assemblées", exact=True).click()
    page.wait_for_url(re.compile(r".*/assemblees$"))
    check(page.locator("h1").inner_text() == "Assemblées générales", "list title")
    j.check_page("assemblees-liste")
    page.get_by_role("link", name="Assemblée générale ordinaire annuelle").click()
    page.wait_for_url(re.compile(r".*/assemblees/[0-9a-f-]{36}$"))
    check(gov(j)["convocation"] in page.url, "not the convocation's page")
    check("Salle des Canuts" in figure(page, "assembly-place"), "the place is not shown")
    check(re.search(r"\d\d/\d\d/\d{4} à \d\d:\d\d", figure(page, "assembly-date")),
          f"the date: {figure(page, 'assembly-date')!r}")
    check(figure(page, "assembly-status") == "Convoquée", "status")
    agenda = page.locator("#resolutions").inner_text()
    check("Approbation des comptes de l'exercice 2026" in agenda
          and "Affectation du résultat" in agenda, f"the agenda: {agenda!r}")
    with page.expect_download() as download:
        page.get_by_role("link", name="Rapport de gestion 2026").click()
    check(b"Rapport de gestion" in open(download.value.path(), "rb").read(),
          "the document is not the report")
    j.check_page("assemblee-convocation")
    # a proxy without choosing anyone: the refusal next to the field
    page.get_by_role("button", name="Donner ma procuration").click()
    check("Choisissez" in error_next_to(page, "mandataire"), "no error next to the holder")
    page.select_option("#mandataire", label="Paul Girard")
    page.get_by_role("button", name="Donner ma procuration").click()
    page.wait_for_url(re.compile(r".*#procuration$"))
    check("procuration est donnée" in notice(page), f"notice {notice(page)!r}")
    check("Paul Girard" in figure(page, "proxy-holder"), "the holder is not shown")
    j.check_page("assemblee-procuration-donnee")
    page.get_by_role("button", name="Révoquer ma procuration").click()
    page.wait_for_url(re.compile(r".*#procuration$"))
    check("révoquée" in notice(page), f"notice {notice(page)!r}")
    page.select_option("#mandataire", label="Chloé Petit")
    page.get_by_role("button", name="Donner ma procuration").click()
    page.wait_for_url(re.compile(r".*#procuration$"))
    check("Chloé Petit" in figure(page, "proxy-holder"), "the new holder is not shown")
    j.found["holder"] = figure(page, "proxy-holder")


def assembly_secret_vote(j: Journey) -> None:
    """Chloé votes on the secret resolution and sees her receipt; the staff close the vote
    (their own browser); Chloé finds her ballot, highlighted, in the published list."""
    page = j.page
    sign_in_associate(j, "chloe")
    page.goto(j.url(f"/assemblees/{gov(j)['in_session']}"))
    check(figure(page, "assembly-status") == "En séance", "status")
    page.get_by_role("button", name="Voter").click()
    check("Choisissez" in page.locator("#choix-1-erreur").inner_text(), "no error for no choice")
    j.check_page("assemblee-vote-refus")
    page.get_by_label("Pour", exact=True).check()
    page.get_by_role("button", name="Voter").click()
    page.wait_for_url(re.compile(r".*#resolution-[0-9a-f-]{36}$"))
    receipt = figure(page, "receipt-1")
    check(re.fullmatch(r"[A-Z0-9-]{6,}", receipt), f"receipt {receipt!r}")
    check(receipt in notice(page), "the notice does not give the receipt")
    check("avez voté" in figure(page, "voted-1"), "not shown as voted")
    j.found["receipt"] = receipt
    j.check_page("assemblee-vote-recu")
    # the staff close the poll, in their own browser
    staff = j.browser.new_context(viewport=DESKTOP, locale="fr-FR")
    other = staff.new_page()
    other.set_default_timeout(20_000)
    sign_in_staff(j, page=other)
    other.goto(f"{staff_base(j)}/{gov(j)['in_session']}")
    check("3 bulletin(s)" in figure(other, "voters-1"), f"ballots {figure(other, 'voters-1')!r}")
    other.get_by_role("button", name="Clore le vote sur la résolution 1").click()
    other.wait_for_url(re.compile(r".*#resolution-[0-9a-f-]{36}$"))
    j.found["result"] = figure(other, "result-1")
    staff.close()
    # Chloé finds her ballot
    page.reload()
    page.get_by_role("link", name="Les bulletins publiés de ce vote").click()
    page.wait_for_url(re.compile(r".*/bulletins$"))
    mine = page.locator("tr[data-mine]")
    check(mine.count() == 1 and receipt in mine.inner_text(), "her ballot is not highlighted")
    check("Pour" in mine.inner_text(), f"her ballot: {mine.inner_text()!r}")
    check(receipt in figure(page, "receipt-found"), "not said to be found")
    j.found["ballots"] = page.locator("#liste-bulletins tbody tr").count()
    j.check_page("assemblee-bulletins-publies")
    # any code can be looked for; an unknown one is said to be missing
    page.fill("#recu", "ZZZZ-0000")
    page.get_by_role("button", name="Chercher").click()
    check("Aucun bulletin" in figure(page, "receipt-found"), "an unknown code is not said so")
    check(page.locator("tr[data-mine]").count() == 0, "a row is highlighted for nothing")


def assembly_minutes(j: Journey) -> None:
    """Marc reads the minutes of the assembly held: its decisions, the document, the PDF."""
    page = j.page
    sign_in_associate(j, "marc")
    page.goto(j.url(f"/assemblees/{gov(j)['held']}"))
    check(figure(page, "assembly-status") == "Close", "status")
    page.get_by_role("link", name="Lire le procès-verbal").click()
    page.wait_for_url(re.compile(r".*/proces-verbal$"))
    check(figure(page, "result-1") == "Adoptée" and figure(page, "result-2") == "Rejetée",
          "the decisions")
    check(figure(page, "for-1") == "5", f"for on 1: {figure(page, 'for-1')!r}")
    j.found["sha256"] = figure(page, "minutes-sha256")
    j.check_page("assemblee-proces-verbal")
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger le PDF").click()
    check(open(download.value.path(), "rb").read(5) == b"%PDF-", "not a PDF")
    page.get_by_role("link", name="Ouvrir le procès-verbal").click()
    page.wait_for_url(re.compile(r".*/proces-verbal/document$"))
    body = page.inner_text("body")
    check("Approbation du budget prévisionnel" in body, "the minutes' document")
    j.screenshot("assemblee-proces-verbal-document", fits_a_phone=False)


def assembly_forbidden(j: Journey) -> None:
    """Léa, not an associate, reaches neither an assembly nor the staff's pages; Inès, an
    associate, does not reach the staff's."""
    page = j.page
    j.sign_in("lea")
    page.get_by_role("link", name="Assemblées", exact=True).click()
    check("associé" in page.locator("main").inner_text(), "no word for a non-associate")
    j.check_page("assemblees-non-associe")
    for path in (f"/assemblees/{gov(j)['convocation']}",
                 f"/assemblees/{gov(j)['held']}/proces-verbal",
                 f"/equipe/{j.world['coop']}/assemblees",
                 f"/equipe/{j.world['coop']}/assemblees/{gov(j)['convocation']}"):
        response = page.goto(j.url(path))
        check(response.status == 403, f"Léa on {path}: {response.status}")
        check(page.locator("h1").inner_text() == "Accès refusé", f"{path}: no 403 page")
    j.check_page("assemblee-acces-refuse")
    page.get_by_role("button", name="Se déconnecter").click()
    sign_in_associate(j, "ines")
    for path in ("", f"/{gov(j)['to_hold']}", f"/{gov(j)['to_hold']}/presence"):
        response = page.goto(staff_base(j) + path)
        check(response.status == 403, f"Inès on the staff's {path or 'list'}: {response.status}")


# -- the support staff's ----------------------------------------------------------------------

def assembly_staff_convene(j: Journey) -> None:
    page = j.page
    sign_in_staff(j)
    page.get_by_role("link", name="Assemblées", exact=True).click()
    page.wait_for_url(re.compile(r".*/assemblees$"))
    j.check_page("equipe-assemblees")
    page.get_by_role("link", name="Convoquer une assemblée").click()
    page.wait_for_url(re.compile(r".*/assemblees/nouvelle$"))
    page.fill("#titre", j.world["title"])
    page.select_option("#type", "ordinary")
    page.fill("#jour", j.world["too_soon"])
    page.fill("#heure", "18:30")
    page.fill("#lieu", "Maison des associations, Villeurbanne")
    page.fill("#r1_titre", "Approbation des comptes")
    page.fill("#r1_texte", "L'assemblée approuve les comptes de l'exercice.")
    page.fill("#r2_titre", "Élection au bulletin secret du référent formation")
    page.check("#r2_secret")
    page.get_by_role("button", name="Convoquer l'assemblée").click()
    text = error_next_to(page, "jour")
    check("délai" in text, f"the refusal of the date: {text!r}")
    check(page.locator("#titre").input_value() == j.world["title"], "the title is lost")
    j.found["refusal"] = text
    j.check_page("equipe-convocation-refus")
    page.fill("#jour", j.world["held_on"])
    page.get_by_role("button", name="Convoquer l'assemblée").click()
    page.wait_for_url(re.compile(r".*/assemblees/[0-9a-f-]{36}$"))
    check("est convoquée" in notice(page), f"notice {notice(page)!r}")
    j.found["assembly_id"] = page.url.rsplit("/", 1)[1]
    check(figure(page, "assembly-status") == "Convoquée", "status")
    j.check_page("equipe-assemblee-convoquee")


def assembly_staff_run(j: Journey) -> None:
    """Sign the associates in and watch the quorum reached without reloading; open; the
    associates vote; close each vote and read its result; close the assembly; minutes."""
    world = gov(j)
    assembly = world["to_hold"]
    # the Content-Security-Policy enforced (no bypass): the page's own script must run
    context = j.browser.new_context(viewport=DESKTOP, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(20_000)
    sign_in_staff(j, page=page)
    page.goto(f"{staff_base(j)}/{assembly}")
    check(figure(page, "assembly-status") == "Convoquée", "status")
    for name in ("Inès Moreau", "Chloé Petit"):
        page.get_by_role("button", name=f"Émarger {name}, présent").click()
        page.wait_for_url(re.compile(r".*#presence$"))
    check(figure(page, "present") == "2", f"present {figure(page, 'present')!r}")
    quorum = page.locator("[data-figure='quorum'] li[data-kind='extraordinary']")
    check("non atteint" in quorum.inner_text(), f"quorum {quorum.inner_text()!r}")
    j.check_page("equipe-assemblee-emargement", page)
    page.wait_for_selector("[data-quorum-live][data-polled]")
    page.evaluate("window.__same_page = true")  # gone if the page reloads
    # another staff member signs Paul in (he holds Nadia's proxy) through the governance
    # API itself, not through this browser nor its session: this page follows
    paul = world["people"]["paul"]["id"]
    response = requests.post(
        f"{world['url']}/cooperatives/{world['coop']}/assemblies/{assembly}/sign-ins",
        json={"member_id": paul, "mode": "in_person"}, timeout=30,
        headers={"Authorization": f"Bearer {world['other_staff']}",
                 "Idempotency-Key": uuid.uuid4().hex})
    check(response.status_code == 201, f"Paul's sign-in: {response.status_code} {response.text}")
    page.wait_for_selector("[data-quorum-live][data-taking-part='4']", timeout=30_000)
    check(page.evaluate("window.__same_page === true"), "the page reloaded")
    check(figure(page, "represented") == "1", f"represented {figure(page, 'represented')!r}")
    row = page.locator(f"tr[data-member='{paul}'] [data-state]")
    check(row.inner_text().strip() == "Présent", f"Paul's line: {row.inner_text()!r}")
    text = quorum.inner_text()
    check("atteint" in text and "non atteint" not in text, f"quorum now {text!r}")
    j.found["quorum_live"] = text
    j.check_page("equipe-assemblee-quorum-atteint", page)
    # another browser (a session of its own, nothing signed in through it) sees the same
    second = j.browser.new_context(viewport=DESKTOP, locale="fr-FR")
    elsewhere = second.new_page()
    elsewhere.set_default_timeout(20_000)
    sign_in_staff(j, page=elsewhere)
    elsewhere.goto(f"{staff_base(j)}/{assembly}")
    seen = {name: figure(elsewhere, name) for name in ("present", "represented", "taking-part")}
    check(seen == {"present": "3", "represented": "1", "taking-part": "4"},
          f"the other browser sees {seen}")
    there = elsewhere.locator("[data-figure='quorum'] li[data-kind='extraordinary']")
    check(there.inner_text() == text, f"the other browser's quorum {there.inner_text()!r}")
    signed = elsewhere.locator("#feuille [data-state] .ok").count()
    check(signed == 3, f"the other browser's sheet shows {signed} signed in")
    j.found["quorum_elsewhere"] = there.inner_text()
    j.check_page("equipe-assemblee-quorum-autre-navigateur", elsewhere)
    second.close()
    # open the assembly
    page.fill("#president", "Inès Moreau")
    page.fill("#secretaire", "Chloé Petit")
    page.get_by_role("button", name="Ouvrir l'assemblée").click()
    page.wait_for_url(re.compile(r".*#resolutions$"))
    check(figure(page, "assembly-status") == "En séance", "not open")
    check(figure(page, "status-1") == "Vote ouvert" and figure(page, "status-2") == "Vote ouvert",
          "the votes are not open")
    # the associates vote (their own API calls: the entrepreneur's pages have their journey)
    first, second = world["to_hold_resolutions"]
    for key in ("ines", "chloe", "paul"):
        for resolution in (first, second):
            _vote(world, assembly, resolution, key, "for")
    # Paul casts the vote of Nadia, whose proxy he holds, on his own page
    paul = j.browser.new_context(viewport=DESKTOP, locale="fr-FR")
    own = paul.new_page()
    own.set_default_timeout(20_000)
    sign_in_associate(j, "paul", page=own)
    own.goto(j.url(f"/assemblees/{assembly}"))
    proxy = own.locator(f"#resolution-{second} form", has_text="Vote de Nadia Faure")
    proxy.get_by_label("Contre", exact=True).check()
    proxy.get_by_role("button", name="Voter pour Nadia Faure").click()
    own.wait_for_url(re.compile(r".*#resolution-[0-9a-f-]{36}$"))
    check("Le vote de Nadia Faure est enregistré" in notice(own), f"notice {notice(own)!r}")
    j.check_page("assemblee-vote-procuration", own)
    paul.close()
    page.reload()
    check("3 bulletin(s)" in figure(page, "voters-1"), f"ballots {figure(page, 'voters-1')!r}")
    check("4 bulletin(s)" in figure(page, "voters-2"), f"ballots {figure(page, 'voters-2')!r}")
    j.check_page("equipe-assemblee-en-seance", page)
    for code in ("1", "2"):
        page.get_by_role("button", name=f"Clore le vote sur la résolution {code}").click()
        page.wait_for_url(re.compile(r".*#resolution-[0-9a-f-]{36}$"))
    j.found["results"] = [figure(page, "result-1"), figure(page, "result-2")]
    j.found["counts_2"] = [figure(page, "for-2"), figure(page, "against-2")]
    j.check_page("equipe-assemblee-resultats", page)
    # close the assembly: a summary is required
    page.get_by_role("button", name="Clore l'assemblée et dresser le procès-verbal").click()
    check("obligatoire" in error_next_to(page, "debats"), "no error next to the summary")
    page.fill("#debats", j.world["summary"])
    page.get_by_role("button", name="Clore l'assemblée et dresser le procès-verbal").click()
    page.wait_for_url(re.compile(r".*/proces-verbal$"))
    check("procès-verbal" in notice(page), f"notice {notice(page)!r}")
    j.found["sha256"] = figure(page, "minutes-sha256")
    j.check_page("equipe-assemblee-proces-verbal", page)
    context.close()


def _vote(world: dict, assembly: str, resolution: str, who: str, choice: str, **more) -> None:
    response = requests.post(
        f"{world['url']}/cooperatives/{world['coop']}/assemblies/{assembly}/resolutions/"
        f"{resolution}/votes", json={"choice": choice, **more}, timeout=30,
        headers={"Authorization": f"Bearer {world['people'][who]['token']}"})
    check(response.status_code == 201, f"{who}'s vote: {response.status_code} {response.text}")


JOURNEYS = {f.__name__: f for f in (
    assembly_convocation_proxy, assembly_secret_vote, assembly_minutes, assembly_forbidden,
    assembly_staff_convene, assembly_staff_run)}
