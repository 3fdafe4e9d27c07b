"""The matching journeys in the portal (driven by journeys.py's Journey): the entrepreneur's
profile and consents, the directory and a person's card, a call for tenders and the team
proposed (accepted by one, declined by another), a profile that is not yours; the staff's
call for tenders from its writing to its closing, and a professional group. Each checks what
the page shows, runs axe-core on every page it opens and saves its screenshots."""

from __future__ import annotations

import re
import uuid

import requests
from journeys import Journey, check, figure
from staff_journeys import base, error_next_to, notice, sign_in_staff


def _menu(j: Journey, name: str, url: str) -> None:
    j.page.locator("nav.menu").get_by_role("link", name=name, exact=True).click()
    j.page.wait_for_url(re.compile(url))


def _sign_in_again(j: Journey, key: str) -> None:
    """Another person on the same browser: a session of their own."""
    j.context.clear_cookies()
    j.sign_in(key)


# -- the entrepreneur ---------------------------------------------------------------------------

def matching_profile(j: Journey) -> None:
    page = j.page
    j.sign_in("lea")
    _menu(j, "Mon profil", r".*/profils/[0-9a-f-]{36}/modifier$")
    check(page.locator("h1").inner_text() == "Mon profil de mise en relation", "profile title")
    check(page.locator("#competence-0-libelle").input_value() == "Boulangerie",
          "the seeded skill is not in the form")
    j.check_page("matching-profil")
    # the skill fields suggest the taxonomy's skills as one types
    page.locator("#competence-3-libelle").press_sequentially("tradu", delay=50)
    page.wait_for_function("document.querySelectorAll('#competences-suggestions option')"
                           ".length > 0")
    suggested = page.locator("#competences-suggestions option").first.get_attribute("value")
    check(suggested.lower().startswith("tradu"), f"the suggestion: {suggested!r}")
    j.found["suggested"] = suggested
    page.fill("#competence-3-libelle", "")
    page.fill("#rayon", "5000")
    page.fill("#competence-2-libelle", "Viennoiserie")
    page.select_option("#competence-2-niveau", "3")
    page.fill("#competence-2-annees", "4")
    page.get_by_role("button", name="Enregistrer mon profil").click()
    text = error_next_to(page, "rayon")
    check("kilomètres" in text and "1 000" in text, f"the radius refused: {text!r}")
    check(page.locator("#rayon").input_value() == "5000", "the typed radius is lost")
    check(page.locator("#competence-2-libelle").input_value() == "Viennoiserie",
          "the typed skill is lost")
    j.found["radius_error"] = text
    j.check_page("matching-profil-refus")
    page.fill("#rayon", "25")
    page.get_by_role("button", name="Enregistrer mon profil").click()
    page.wait_for_url(re.compile(r".*/modifier$"))
    check("profil est enregistré" in notice(page), f"no confirmation: {notice(page)!r}")
    check(page.locator("#rayon").input_value() == "25", "the radius is not saved")
    # what the network's other cooperatives see
    page.get_by_label("Mes compétences").check()
    page.get_by_label("Mon lieu et mon rayon de déplacement").check()
    page.get_by_label("Mon tarif journalier").uncheck()
    page.get_by_role("button", name="Enregistrer mes choix").click()
    page.wait_for_url(re.compile(r".*/modifier#partage$"))
    check("Vos choix sont enregistrés" in notice(page), f"no confirmation: {notice(page)!r}")
    check(page.get_by_label("Mes compétences").is_checked(), "the consent is not shown")
    check(page.locator("#partage li", has_text="Mes compétences").count() >= 1, "no history")
    j.check_page("matching-profil-enregistre")


def matching_directory(j: Journey) -> None:
    page = j.page
    j.sign_in("lea")
    _menu(j, "Annuaire", r".*/annuaire$")
    j.check_page("matching-annuaire")
    page.fill("#q", "traduction")
    page.fill("#commune", "Lyon")
    page.fill("#rayon", "30")
    page.get_by_role("button", name="Rechercher").click()
    page.wait_for_url(re.compile(r".*/annuaire\?.*q=traduction"))
    hits = page.locator(".hit h3")
    names = [hits.nth(n).inner_text() for n in range(hits.count())]
    check("Sophie Durand" in names, f"Sophie is not found: {names}")
    check(j.world["matching"]["bruno"] not in names, "another cooperative's member in the "
                                                     "cooperative's directory")
    j.found["cooperative"] = names
    j.check_page("matching-annuaire-resultats")
    page.get_by_role("link", name="Sophie Durand").click()
    page.wait_for_url(re.compile(r".*/annuaire/[0-9a-f-]{36}$"))
    check(page.locator("h1").inner_text() == "Sophie Durand", "the card's title")
    check(page.locator("table tbody tr", has_text="Traduction").count() == 1,
          "the card has no skill")
    check("Lyon" in figure(page, "place"), f"the place: {figure(page, 'place')!r}")
    j.check_page("matching-fiche")
    # the network: Bruno of another cooperative, with what he shares only
    page.goto(j.url("/annuaire?q=traduction&portee=reseau"))
    page.get_by_role("link", name=j.world["matching"]["bruno"]).click()
    page.wait_for_url(re.compile(r".*/annuaire/[0-9a-f-]{36}$"))
    check(figure(page, "place") == "Non partagé avec votre coopérative.",
          f"Bruno's place is shown: {figure(page, 'place')!r}")
    check(figure(page, "day_rate") == "Non partagé avec votre coopérative.",
          "Bruno's rate is shown")
    check(page.locator("table tbody tr", has_text="Traduction").count() == 1,
          "Bruno's skills are not shown")
    j.found["network_card"] = page.url.rsplit("/", 1)[1]
    j.check_page("matching-fiche-reseau")


def matching_proposal(j: Journey) -> None:
    page = j.page
    seeded = j.world["matching"]
    title = seeded["call_title"]
    j.sign_in("karim")
    _menu(j, "Appels d'offres", r".*/appels-d-offres$")
    check(page.locator("table tbody tr", has_text=title).count() == 1, "the call is not listed")
    card = page.locator(f"#proposition-{seeded['proposal_id']}")
    check(card.count() == 1, "the proposal made to Karim is not shown")
    j.check_page("matching-appels")
    page.locator("table").get_by_role("link", name=title).click()
    page.wait_for_url(re.compile(r".*/appels-d-offres/[0-9a-f-]{36}$"))
    check(page.locator("h1").inner_text() == title, "the call's page")
    check(page.locator("table tbody tr", has_text="Développement web").count() == 1,
          "the call's requirements")
    j.check_page("matching-appel")
    card = page.locator(f"#proposition-{seeded['proposal_id']}")
    card.get_by_role("button", name="Accepter d'en faire partie").click()
    page.wait_for_url(re.compile(r".*/appels-d-offres#proposition-"))
    check("accepté" in notice(page), f"no confirmation: {notice(page)!r}")
    card = page.locator(f"#proposition-{seeded['proposal_id']}")
    check(figure(card, "answer") == "Acceptée", f"Karim's answer: {figure(card, 'answer')!r}")
    check(card.get_by_role("button").count() == 0, "the answer buttons stay")
    j.check_page("matching-proposition-acceptee")
    _sign_in_again(j, "sophie")
    _menu(j, "Appels d'offres", r".*/appels-d-offres$")
    card = page.locator(f"#proposition-{seeded['proposal_id']}")
    card.get_by_role("button", name="Décliner").click()
    page.wait_for_url(re.compile(r".*/appels-d-offres#proposition-"))
    check("décliné" in notice(page), f"no confirmation: {notice(page)!r}")
    card = page.locator(f"#proposition-{seeded['proposal_id']}")
    check(figure(card, "answer") == "Déclinée", f"Sophie's answer: {figure(card, 'answer')!r}")
    j.found["team_status"] = card.locator("dd").nth(3).inner_text()
    j.check_page("matching-proposition-declinee")


def matching_forbidden(j: Journey) -> None:
    page = j.page
    j.sign_in("lea")
    other = j.world["people"]["karim"]["id"]
    for path in (f"/profils/{other}/modifier",
                 f"/equipe/{j.world['coop']}/appels-d-offres"):
        response = page.goto(j.url(path))
        check(response.status == 403, f"{path}: {response.status}")
        check(page.locator("h1").inner_text() == "Accès refusé", f"{path}: no 403 page")
    j.check_page("matching-acces-refuse")
    # nor by a form sent to another's address
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    answer = page.request.post(j.url(f"/profils/{other}/modifier"),
                               form={"csrf": csrf, "cle": uuid.uuid4().hex, "rayon": "1"})
    check(answer.status == 403, f"a profile written for another: {answer.status}")


# -- the support staff ---------------------------------------------------------------------------

def matching_staff_call(j: Journey) -> None:
    page = j.page
    title = j.world["title"]
    sign_in_staff(j)
    _menu(j, "Appels d'offres", r".*/equipe/[0-9a-f-]+/appels-d-offres$")
    j.check_page("matching-equipe-appels")
    page.get_by_role("link", name="Rédiger un appel d'offres").click()
    page.wait_for_url(re.compile(r".*/appels-d-offres/nouveau$"))
    j.check_page("matching-equipe-appel-nouveau")
    page.fill("#titre", title)
    page.fill("#acheteur", "Office de tourisme de Lyon")
    page.fill("#commune", "Lyon")
    page.fill("#debut", j.world["starts_on"])
    page.fill("#fin", j.world["before_start"])  # before the first day: refused
    page.fill("#date_limite", j.world["deadline"])
    page.fill("#budget", "4 500")
    page.fill("#exigence-0-competence", "Traduction")
    page.select_option("#exigence-0-niveau", "3")
    page.get_by_role("button", name="Rédiger l'appel (brouillon)").click()
    text = error_next_to(page, "fin")
    check("premier jour" in text, f"the end refused: {text!r}")
    check(page.locator("#titre").input_value() == title, "the typed title is lost")
    j.found["end_error"] = text
    j.check_page("matching-equipe-appel-refus")
    page.fill("#fin", j.world["ends_on"])
    page.get_by_role("button", name="Rédiger l'appel (brouillon)").click()
    page.wait_for_url(re.compile(r".*/appels-d-offres/[0-9a-f-]{36}$"))
    call_id = page.url.rsplit("/", 1)[1]
    j.found["call_id"] = call_id
    check("brouillon" in notice(page), f"no confirmation: {notice(page)!r}")
    check(figure(page, "status") == "Brouillon", f"status {figure(page, 'status')!r}")
    page.get_by_role("button", name="Publier l'appel").click()
    page.wait_for_url(re.compile(r".*/appels-d-offres/[0-9a-f-]{36}$"))
    check(figure(page, "status") == "Publié", f"status {figure(page, 'status')!r}")
    page.get_by_role("button", name="Proposer une équipe").click()
    page.wait_for_url(re.compile(r".*#equipes$"))
    check("équipe(s) proposée(s)" in notice(page), f"no team: {notice(page)!r}")
    team = page.locator("article.team").first
    check("Sophie Durand" in team.inner_text(), f"the team: {team.inner_text()!r}")
    check(team.locator("td[data-answer='pending']").count() >= 1, "no answer awaited")
    j.check_page("matching-equipe-appel-propose")
    # Sophie answers (through the API, as she would from her page); the staff see it
    matching = j.world["matching"]
    proposal = team.get_attribute("data-proposal")
    answered = requests.post(
        f"{matching['url']}/cooperatives/{j.world['coop']}/members/"
        f"{j.world['people']['sophie']['id']}/proposals/{proposal}/answer",
        json={"accept": True}, timeout=30,
        headers={"Authorization": f"Bearer {matching['sophie_token']}",
                 "Idempotency-Key": uuid.uuid4().hex})
    check(answered.ok, f"Sophie's answer: {answered.status_code} {answered.text[:300]}")
    page.reload()
    team = page.locator("article.team").first
    check(team.locator("td[data-answer='accepted']").count() == 1, "the answer is not shown")
    check(figure(page, "status") == "Équipe constituée", f"status {figure(page, 'status')!r}")
    j.check_page("matching-equipe-appel-reponses")
    page.get_by_role("button", name="Clore l'appel").click()
    page.wait_for_url(re.compile(r".*/appels-d-offres/[0-9a-f-]{36}$"))
    check("clos" in notice(page), f"no confirmation: {notice(page)!r}")
    check(figure(page, "status") == "Clos", f"status {figure(page, 'status')!r}")
    check(page.get_by_role("button", name="Clore l'appel").count() == 0, "close stays offered")
    j.check_page("matching-equipe-appel-clos")
    page.goto(base(j) + "/appels-d-offres")
    check(page.locator("table tbody tr", has_text=title).locator("td").nth(2).inner_text()
          == "Clos", "the list does not say closed")


def matching_staff_group(j: Journey) -> None:
    page = j.page
    name = j.world["group"]
    sign_in_staff(j)
    _menu(j, "Groupes", r".*/equipe/[0-9a-f-]+/groupes$")
    j.check_page("matching-equipe-groupes")
    page.get_by_role("button", name="Créer le groupe").click()  # nothing typed: refused
    check("obligatoire" in error_next_to(page, "nom"), "the name's refusal")
    page.fill("#nom", name)
    page.fill("#theme", "Traductions, sites et rédaction")
    page.get_by_role("button", name="Créer le groupe").click()
    page.wait_for_url(re.compile(r".*/groupes/[0-9a-f-]{36}$"))
    j.found["group_id"] = page.url.rsplit("/", 1)[1]
    check("est créé" in notice(page), f"no confirmation: {notice(page)!r}")
    for person in ("Sophie Durand", "Karim Benali"):
        page.select_option("#membre", label=person)
        page.get_by_role("button", name="Ajouter au groupe").click()
        page.wait_for_url(re.compile(r".*/groupes/[0-9a-f-]{36}$"))
        check(f"{person} fait partie du groupe" in notice(page), f"no confirmation: "
                                                                 f"{notice(page)!r}")
    listed = page.locator("#membres-du-groupe").inner_text()
    check("Sophie Durand" in listed and "Karim Benali" in listed, f"members: {listed!r}")
    j.check_page("matching-equipe-groupe")
    page.get_by_role("button", name="Retirer Karim Benali du groupe").click()
    page.wait_for_url(re.compile(r".*/groupes/[0-9a-f-]{36}$"))
    check("Karim Benali" not in page.locator("#membres-du-groupe").inner_text(),
          "Karim is still listed")
    page.get_by_role("link", name="Retour aux groupes").click()
    row = page.locator("table tbody tr", has_text=name)
    check(row.count() == 1 and row.locator("td.num").inner_text() == "1",
          "the group is not listed with its one member")


JOURNEYS = {f.__name__: f for f in (matching_profile, matching_directory, matching_proposal,
                                     matching_forbidden, matching_staff_call,
                                     matching_staff_group)}
