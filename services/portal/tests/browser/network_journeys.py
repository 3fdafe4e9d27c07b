"""The network operator's journeys in the portal (role ``network_operator``), run by
journeys.py's main like the entrepreneur's: each signs in on the demo page as the network
operator, does the thing, checks what the page shows, runs axe-core on each page and saves
screenshots at desktop and phone widths."""

from __future__ import annotations

import re

from journeys import Journey, check, figure
from staff_journeys import error_next_to, notice, sign_in_staff

NBSP = "\u00a0"
OPERATOR = "Opérateur du réseau"


def sign_in_operator(j: Journey, page=None) -> None:
    page = page or j.page
    page.goto(j.url("/connexion"))
    page.get_by_role("button", name="Se connecter en tant qu'opérateur du réseau").click()
    page.wait_for_url(re.compile(r".*/reseau/cooperatives$"))
    check(OPERATOR in page.inner_text("header"), "the operator is not shown as signed in")
    menu = page.locator("nav.menu a").all_inner_texts()
    check(menu == ["Coopératives", "Inscrire une coopérative", "Paie du réseau",
                   "Santé des services"], f"the operator's menu: {menu}")


def siren_text(siren: str) -> str:
    return NBSP.join((siren[:3], siren[3:6], siren[6:]))


def network_cooperatives(j: Journey) -> None:
    page = j.page
    page.goto(j.url("/connexion"))
    check(page.get_by_role("heading", name=OPERATOR).count() == 1, "no operator on the sign-in page")
    j.check_page("connexion-reseau")
    sign_in_operator(j)
    rows = page.locator("#cooperatives tbody tr")
    names = rows.locator("th").all_inner_texts()
    expected = j.world["expected"]
    check(rows.count() == len(expected), f"{rows.count()} rows, members {len(expected)}")
    for cooperative in expected:
        row = page.locator(f"#cooperatives tbody tr[data-siren='{cooperative['siren']}']")
        check(row.count() == 1, f"{cooperative['name']} is not listed: {names}")
        text = row.inner_text()
        check(cooperative["name"] in text and siren_text(cooperative["siren"]) in text
              and cooperative["legal_form"] in text and cooperative["rate"] in text,
              f"{cooperative['name']}'s row: {text!r}")
    check(names == sorted(names, key=str.casefold), f"not by name: {names}")
    j.found["names"] = names
    j.check_page("reseau-cooperatives")


def network_register(j: Journey) -> None:
    page = j.page
    sign_in_operator(j)
    page.get_by_role("link", name="Inscrire une coopérative").first.click()
    page.wait_for_url(re.compile(r".*/reseau/cooperatives/nouvelle$"))
    j.check_page("reseau-inscription")
    page.fill("#nom", j.world["coop_name"])
    page.fill("#siren", "123 456 789")
    page.select_option("#forme", "SCIC-SAS")
    page.fill("#taux", "9,5")
    page.select_option("#effectif", "11_to_49")
    page.get_by_role("button", name="Inscrire la coopérative").click()
    text = error_next_to(page, "siren")
    check("SIREN" in text and "clé de Luhn" in text, f"the refusal of the SIREN: {text!r}")
    check(page.locator("#nom").input_value() == j.world["coop_name"], "the typed name is lost")
    check(page.locator("#taux").input_value() == "9,5", "the typed rate is lost")
    j.found["siren_error"] = text
    j.check_page("reseau-inscription-refus")
    page.fill("#siren", siren_text(j.world["siren"]).replace(NBSP, " "))
    page.get_by_role("button", name="Inscrire la coopérative").click()
    page.wait_for_url(re.compile(r".*/reseau/cooperatives#cooperative-[0-9a-f-]{36}$"))
    text = notice(page)
    check(f"{j.world['coop_name']} est inscrite" in text, f"no confirmation: {text!r}")
    row = page.locator(f"#cooperatives tbody tr[data-siren='{j.world['siren']}']")
    check(row.count() == 1, "the new cooperative is not listed")
    shown = row.inner_text()
    check(j.world["coop_name"] in shown and f"9,5{NBSP}%" in shown and "SCIC-SAS" in shown,
          f"the new cooperative's row: {shown!r}")
    j.found["id"] = row.get_attribute("id").removeprefix("cooperative-")
    j.found["notice"] = text
    j.check_page("reseau-inscription-faite")


def network_payroll(j: Journey) -> None:
    page = j.page
    sign_in_operator(j)
    page.get_by_role("link", name="Paie du réseau").click()
    page.wait_for_url(re.compile(r".*/reseau/paie$"))
    j.check_page("reseau-paie")
    # a month that is no month, then one payroll refuses as a whole: next to the field
    page.fill("#mois", "2025-13")
    page.get_by_role("button", name="Lancer la paie du réseau").click()
    text = error_next_to(page, "mois")
    check("AAAA-MM" in text, f"the refusal of the month: {text!r}")
    page.fill("#mois", j.world["too_far"])
    page.get_by_role("button", name="Lancer la paie du réseau").click()
    text = error_next_to(page, "mois")
    check("au plus pour le mois prochain" in text, f"payroll's refusal of the month: {text!r}")
    j.found["too_far"] = text
    j.check_page("reseau-paie-refus")
    network = j.world["network"]
    page.fill("#mois", network["period"])
    page.get_by_role("button", name="Lancer la paie du réseau").click()
    page.wait_for_url(re.compile(rf".*/reseau/paie/{network['period']}$"))
    check(page.locator("h1").inner_text() == "Paie du réseau de janvier 2025",
          f"title {page.locator('h1').inner_text()!r}")
    check("La paie de janvier 2025 est lancée" in notice(page), f"no confirmation: {notice(page)!r}")
    ours = page.locator(f"#par-cooperative tr[data-cooperative='{network['coop']}']")
    check(ours.get_attribute("data-outcome") == "started", f"{network['name']}: "
          f"{ours.get_attribute('data-outcome')}")
    text = ours.inner_text()
    check("Lancée" in text and "1 personne(s) : Aucun salaire choisi pour ce mois." in text,
          f"{network['name']}'s row: {text!r}")
    ateliers = page.locator(f"#par-cooperative tr[data-cooperative='{j.world['coop']}']")
    check(ateliers.get_attribute("data-outcome") == "skipped", "Les Ateliers is not skipped")
    check("Un mois plus récent a déjà sa paie." in ateliers.inner_text(),
          f"Les Ateliers' row: {ateliers.inner_text()!r}")
    rows = page.locator("#par-cooperative tbody tr")
    j.found["outcomes"] = {rows.nth(i).get_attribute("data-cooperative"):
                           rows.nth(i).get_attribute("data-outcome") for i in range(rows.count())}
    j.found["started"] = int(figure(page, "started"))
    j.check_page("reseau-paie-mois")
    page.get_by_role("link", name="Retour à la paie du réseau").click()
    check(page.locator("#mois-lances a", has_text="janvier 2025").count() == 1,
          "the month started is not listed")
    # started again: nothing new for those started, the page keeps what the first start did
    page.fill("#mois", network["period"])
    page.get_by_role("button", name="Lancer la paie du réseau").click()
    page.wait_for_url(re.compile(rf".*/reseau/paie/{network['period']}$"))
    again = page.locator(f"#par-cooperative tr[data-cooperative='{network['coop']}']")
    check(again.get_attribute("data-outcome") == "started", "the first start is forgotten")
    j.found["again"] = notice(page)
    network_payroll_read_again(j)


def _month_followed(page) -> None:
    """The page's script has read the month's runs from the portal (…/etat) and stopped,
    every run being finished."""
    box = page.locator("[data-month-progress]")
    page.wait_for_selector("[data-month-progress][data-live='done'][data-polled]")
    check(box.get_attribute("data-status") == "finished", f"status {box.get_attribute('data-status')}")
    check(page.locator("[data-no-script]").count() == 0
          or not page.locator("[data-no-script]").is_visible(), "the no-script hint is shown")
    live = page.locator("[role='status'][data-figure='summary']")
    check(live.count() == 1, "no live region for the month's summary")
    check(live.inner_text().startswith("Toutes les paies du mois sont terminées"),
          f"the live summary: {live.inner_text()!r}")


def network_payroll_read_again(j: Journey) -> None:
    """A new sign-in (another browser, nothing in its session): the month's page reads the
    cooperatives' runs from payroll; and a month started by a cooperative's staff (Les
    Ateliers' March) is there too."""
    network = j.world["network"]
    context = j.browser.new_context(viewport={"width": 1280, "height": 800}, locale="fr-FR")
    try:
        page = context.new_page()
        page.set_default_timeout(20_000)
        sign_in_operator(j, page)
        page.goto(j.url("/reseau/paie"))
        check(page.locator("#mois-lances a").count() == 0, "a new session lists months started")
        check(page.locator("#mois-suivis a").count() == 4, "no months to follow")
        page.goto(j.url(f"/reseau/paie/{network['period']}"))
        ours = page.locator(f"#par-cooperative tr[data-cooperative='{network['coop']}']")
        check(ours.get_attribute("data-outcome") == "started",
              f"{network['name']} after a new sign-in: {ours.get_attribute('data-outcome')}")
        text = ours.inner_text()
        check("Lancée" in text and "Terminée" in text and "0 / 0" in text
              and "1 personne(s) : Aucun salaire choisi pour ce mois." in text,
              f"{network['name']}'s row after a new sign-in: {text!r}")
        ateliers = page.locator(f"#par-cooperative tr[data-cooperative='{j.world['coop']}']")
        check(ateliers.get_attribute("data-outcome") == "none",
              f"Les Ateliers after a new sign-in: {ateliers.get_attribute('data-outcome')}")
        _month_followed(page)
        check("Cette session a lancé" not in page.inner_text("main"), "a start remembered")
        j.found["read_again"] = {r.get_attribute("data-cooperative"): r.get_attribute(
            "data-status") for r in page.locator("#par-cooperative tr[data-status]").all()}
        j.found["polled"] = int(page.locator("[data-month-progress]").get_attribute(
            "data-polled"))
        j.check_page("reseau-paie-mois-relu", page)
        # a month the cooperatives' staff started: Les Ateliers' March
        page.goto(j.url(f"/reseau/paie/{j.world['march_period']}"))
        check(page.locator("h1").inner_text() == f"Paie du réseau de {j.world['march']}",
              f"title {page.locator('h1').inner_text()!r}")
        march = page.locator(f"#par-cooperative tr[data-cooperative='{j.world['coop']}']")
        check(march.get_attribute("data-outcome") == "started",
              f"Les Ateliers' March: {march.get_attribute('data-outcome')}")
        state = page.request.get(j.url(f"/reseau/paie/{j.world['march_period']}/etat")).json()
        check(j.world["coop"] in {r["cooperative_id"] for r in state["runs"]},
              f"the month's state: {state}")
        j.found["march_status"] = march.get_attribute("data-status")
        j.check_page("reseau-paie-mois-equipe", page)
    finally:
        context.close()


def network_health(j: Journey) -> None:
    page = j.page
    sign_in_operator(j)
    page.get_by_role("link", name="Santé des services").click()
    page.wait_for_url(re.compile(r".*/reseau/sante$"))
    rows = page.locator("#sante tbody tr")
    services = [rows.nth(i).get_attribute("data-service") for i in range(rows.count())]
    check(services == ["members", "ledger", "payroll", "governance", "matching"],
          f"services {services}")
    ready = [rows.nth(i).get_attribute("data-ready") for i in range(rows.count())]
    check(ready == ["ok"] * 5, f"ready {ready}")
    check(figure(page, "summary") == "Les 5 services répondent.",
          f"summary {figure(page, 'summary')!r}")
    for service in services:
        check(re.fullmatch(r"a répondu en \d+ ms", figure(page, f"ms-{service}")),
              f"{service}'s answer time {figure(page, f'ms-{service}')!r}")
    check("En vie" in rows.first.inner_text() and "Prêt" in rows.first.inner_text(),
          f"members' row {rows.first.inner_text()!r}")
    j.found["rows"] = len(services)
    j.check_page("reseau-sante")


def network_forbidden(j: Journey) -> None:
    page = j.page
    j.sign_in("lea")
    for path in ("/reseau/cooperatives", "/reseau/cooperatives/nouvelle", "/reseau/paie",
                 "/reseau/paie/2025-01", "/reseau/sante"):
        response = page.goto(j.url(path))
        check(response.status == 403, f"an entrepreneur on {path}: {response.status}")
        check(page.locator("h1").inner_text() == "Accès refusé", f"{path}: no 403 page")
    j.check_page("reseau-acces-refuse")
    page.get_by_role("button", name="Se déconnecter").click()
    sign_in_staff(j)
    for path in ("/reseau/cooperatives", "/reseau/paie", "/reseau/sante"):
        response = page.goto(j.url(path))
        check(response.status == 403, f"the staff on {path}: {response.status}")
        check(page.locator("h1").inner_text() == "Accès refusé", f"{path}: no 403 page")
    page.get_by_role("button", name="Se déconnecter").click()
    sign_in_operator(j)
    for path in ("/accueil", "/salaire", f"/equipe/{j.world['coop']}/membres",
                 f"/equipe/{j.world['coop']}/paie"):
        response = page.goto(j.url(path))
        check(response.status == 403, f"the operator on {path}: {response.status}")
        check(page.locator("h1").inner_text() == "Accès refusé", f"{path}: no 403 page")
    j.check_page("reseau-operateur-acces-refuse")


def network_csrf(j: Journey) -> None:
    page = j.page
    sign_in_operator(j)
    page.goto(j.url("/reseau/cooperatives/nouvelle"))
    page.fill("#nom", j.world["coop_name"])
    page.fill("#siren", j.world["siren"])
    page.select_option("#forme", "SCOP-SA")
    page.evaluate("document.querySelectorAll('main input[name=csrf]').forEach(e => e.remove())")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Inscrire la coopérative").click()
    check(answer.value.status == 403, f"a form without its token: {answer.value.status}")
    check(page.locator("h1").inner_text() == "Formulaire refusé", "no refusal page")
    j.check_page("reseau-formulaire-refuse")


JOURNEYS = {f.__name__: f for f in (network_cooperatives, network_register, network_payroll,
                                     network_health, network_forbidden, network_csrf)}
__all__ = ["JOURNEYS"]
