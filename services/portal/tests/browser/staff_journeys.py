"""The support staff's journeys in the portal (role ``staff``), run by journeys.py's main
like the entrepreneur's: each signs in on the demo page as the staff of Les Ateliers, does
the thing, checks what the page shows, runs axe-core on each page and saves screenshots at
desktop and phone widths."""

from __future__ import annotations

import re
from pathlib import Path

from journeys import ARGS, DESKTOP, PHONE, Journey, check, euros, figure

COOP_A = "Coopérative Les Ateliers"
FEC_HEADER = ("JournalCode|JournalLib|EcritureNum|EcritureDate|CompteNum|CompteLib|CompAuxNum|"
              "CompAuxLib|PieceRef|PieceDate|EcritureLib|Debit|Credit|EcritureLet|DateLet|"
              "ValidDate|Montantdevise|Idevise")


def sign_in_staff(j: Journey, cooperative: str = COOP_A, page=None) -> None:
    page = page or j.page
    page.goto(j.url("/connexion"))
    page.get_by_role("button", name=f"Se connecter en tant que l'équipe d'appui de {cooperative}"
                     ).click()
    page.wait_for_url(re.compile(r".*/equipe/[0-9a-f-]+/membres$"))
    check(cooperative in page.inner_text("header"), "the cooperative is not shown")
    check(page.locator("nav.menu a", has_text="Paie").count() == 1, "no staff menu")


def base(j: Journey) -> str:
    return j.url(f"/equipe/{j.world['coop']}")


def error_next_to(page, field_id: str) -> str:
    """The error shown under the field, tied to it by aria-describedby."""
    field = page.locator(f"#{field_id}")
    check(field.get_attribute("aria-invalid") == "true", f"#{field_id} is not marked invalid")
    check(f"{field_id}-erreur" in (field.get_attribute("aria-describedby") or ""),
          f"the error is not tied to #{field_id}")
    return page.locator(f"#{field_id}-erreur").inner_text()


def notice(page) -> str:
    return page.locator(".success").inner_text()


# -- members ------------------------------------------------------------------------------

def staff_register(j: Journey) -> None:
    page = j.page
    page.goto(j.url("/connexion"))
    j.check_page("connexion-equipe")
    sign_in_staff(j)
    j.check_page("equipe-membres")
    page.get_by_role("link", name="Inscrire un membre").click()
    page.wait_for_url(re.compile(r".*/membres/nouveau$"))
    page.fill("#prenom", "Zoé")
    page.fill("#nom", j.world["last_name"])
    page.fill("#email", "pas-une-adresse")
    page.fill("#entree", "2026-12-01")
    page.fill("#code_activite", j.world["code"])
    page.fill("#nom_activite", "Atelier céramique Zoé")
    page.get_by_role("button", name="Inscrire", exact=True).click()
    text = error_next_to(page, "email")
    check("adresse e-mail" in text, f"the service's refusal of the e-mail: {text!r}")
    check(page.locator("#prenom").input_value() == "Zoé", "the typed name is lost")
    j.found["email_error"] = text
    j.check_page("equipe-inscription-refus")
    page.fill("#email", "zoe@example.org")
    page.get_by_role("button", name="Inscrire", exact=True).click()
    page.wait_for_url(re.compile(r".*/membres/[0-9a-f-]{36}$"))
    check("est inscrit" in notice(page), f"no confirmation: {notice(page)!r}")
    j.found["member_id"] = page.url.rsplit("/", 1)[1]
    j.check_page("equipe-fiche")
    page.get_by_role("link", name="Membres", exact=True).click()
    row = page.locator("table tbody tr", has_text=f"Zoé {j.world['last_name']}")
    check(row.count() == 1, "the new member is not listed")
    check("Atelier céramique Zoé" in row.inner_text(), "the activity is not listed")


def staff_import(j: Journey) -> None:
    """A CSV file checked (the dry run's report, line by line), then imported: its people
    are listed; a file with a bad line shows its error on that line, and nothing to import."""
    page = j.page
    sign_in_staff(j)
    page.get_by_role("link", name="Importer des membres").click()
    page.wait_for_url(re.compile(r".*/membres/import$"))
    check(page.get_by_role("button", name="Importer", exact=True).count() == 0,
          "an import is offered before the file is checked")
    j.check_page("equipe-import")
    page.set_input_files("#fichier", files=[{"name": "personnes.csv", "mimeType": "text/csv",
                                             "buffer": j.world["good"].encode("utf-8")}])
    page.get_by_role("button", name="Vérifier").click()
    page.wait_for_selector("#rapport")
    check("rien n'est encore importé" in page.locator("#rapport h2").inner_text(),
          "no dry run report")
    for name, expected in (("import-rows", "3"), ("import-people", "3"),
                           ("import-contracts", str(j.world["contracts"])),
                           ("import-errors", "0")):
        check(figure(page, name) == expected, f"{name}: {figure(page, name)!r}, not {expected}")
    rows = page.locator("#lignes tbody tr")
    check(rows.count() == 3, f"{rows.count()} lines in the report")
    first = page.locator("#lignes tbody tr[data-line='2']").inner_text()
    check(j.world["names"][0] in first and "Personne, CAPE" in first,
          f"line 2 of the report: {first!r}")
    check(j.world["good"].splitlines()[1] in page.locator("#csv").input_value(),
          "the file's text is not kept for the import")
    j.check_page("equipe-import-verification")
    page.get_by_role("button", name="Importer", exact=True).click()
    page.wait_for_url(re.compile(r".*/membres$"))
    text = notice(page)
    check("3 personne(s)" in text and f"{j.world['contracts']} contrat(s)" in text,
          f"no confirmation: {text!r}")
    listed = page.locator("table tbody").inner_text()
    for name in j.world["names"]:
        check(name in listed, f"{name} is not listed after the import")
    j.found["notice"] = text
    j.check_page("equipe-import-fait")
    # a file with a bad line: its error is shown on its line, nothing can be imported
    page.get_by_role("link", name="Importer des membres").click()
    page.fill("#csv", j.world["bad"])
    page.get_by_role("button", name="Vérifier").click()
    page.wait_for_selector("#rapport")
    check(figure(page, "import-errors") == "1", f"errors: {figure(page, 'import-errors')!r}")
    bad = page.locator(f"#lignes tbody tr[data-line='{j.world['bad_line']}']")
    check(bad.count() == 1, "the bad line is not in the report")
    text = bad.inner_text()
    check("email" in text and "adresse e-mail" in text, f"the bad line's error: {text!r}")
    check(page.get_by_role("button", name="Importer", exact=True).count() == 0,
          "an import is offered for a file with an error")
    j.found["error_row"] = text
    j.check_page("equipe-import-erreur")


def staff_steps_contracts(j: Journey) -> None:
    page = j.page
    sign_in_staff(j)
    page.goto(f"{base(j)}/membres/{j.world['member_id']}")
    page.fill("#etape_date", "2026-12-01")
    page.get_by_role("button", name="Enregistrer le diagnostic").click()
    page.wait_for_url(re.compile(r".*#parcours$"))
    check("diagnostic du 01/12/2026" in notice(page), f"no confirmation: {notice(page)!r}")
    steps = page.locator("#parcours table tbody").inner_text()
    check("Diagnostic" in steps and "01/12/2026" in steps, f"the step is not shown: {steps!r}")
    page.select_option("#type", "CAPE")
    page.fill("#signe_le", "2026-12-02")
    page.fill("#fin", "2027-12-01")
    page.get_by_role("button", name="Signer le contrat").click()
    page.wait_for_url(re.compile(r".*#contrats$"))
    contracts = page.locator("#contrats table tbody").inner_text()
    check("CAPE" in contracts and "02/12/2026" in contracts and "01/12/2027" in contracts,
          f"the CAPE is not listed: {contracts!r}")
    check(figure(page, "stage") == "CAPE", f"stage {figure(page, 'stage')!r}")
    # a second CAPE while one runs: the members service refuses it, next to the field
    page.select_option("#type", "CAPE")
    page.fill("#signe_le", "2026-12-03")
    page.fill("#fin", "2027-06-01")
    page.get_by_role("button", name="Signer le contrat").click()
    text = error_next_to(page, "type")
    check("déjà un CAPE en cours" in text, f"the refusal: {text!r}")
    j.found["refusal"] = text
    j.check_page("equipe-fiche-contrat-refus")
    # the CESA: it sets the associate deadline (three years, less the CAPE's length)
    page.select_option("#type", "CESA")
    page.fill("#signe_le", "2026-12-04")
    page.fill("#fin", "")
    page.get_by_role("button", name="Signer le contrat").click()
    page.wait_for_url(re.compile(r".*#contrats$"))
    check("CESA" in page.locator("#contrats table tbody").inner_text(), "the CESA is not listed")
    j.found["deadline"] = figure(page, "deadline")
    j.check_page("equipe-fiche-contrats")


def staff_deadlines(j: Journey) -> None:
    page = j.page
    sign_in_staff(j)
    page.get_by_role("link", name="Échéances d'associé·e").click()
    page.wait_for_url(re.compile(r".*/echeances-associes$"))
    rows = page.locator("#echeances tbody tr")
    days = [rows.nth(i).get_attribute("data-deadline") for i in range(rows.count())]
    check(days == sorted(days), f"not soonest first: {days}")
    names = [rows.nth(i).locator("th").inner_text() for i in range(rows.count())]
    check(names == j.world["expected_names"], f"rows {names}, members {j.world['expected_names']}")
    check(days[0] == j.world["soonest"], f"the soonest {days[0]!r}")
    j.found["rows"] = len(names)
    j.check_page("equipe-echeances")
    page.fill("#jours", "mille")
    page.get_by_role("button", name="Afficher").click()
    check("nombre de jours" in page.locator("#jours-erreur").inner_text(), "no error on days")


def staff_follow_up(j: Journey) -> None:
    page = j.page
    sign_in_staff(j)
    page.get_by_role("link", name="Entretiens de suivi").click()
    page.wait_for_url(re.compile(r".*/entretiens-a-faire$"))
    rows = page.locator("#entretiens tbody tr")
    names = [rows.nth(i).locator("th").inner_text() for i in range(rows.count())]
    check(names == j.world["expected_names"], f"rows {names}, members {j.world['expected_names']}")
    j.check_page("equipe-entretiens")
    who = j.world["interviewed"]
    before = int(page.locator("#entretiens tr", has_text=who).locator("td.num").inner_text())
    page.get_by_role("link", name=f"Enregistrer un entretien avec {who}").click()
    page.fill("#entretien_date", "2026-12-01")
    page.fill("#notes", "Point sur le prévisionnel et le chiffre d'affaires de novembre.")
    page.get_by_role("button", name="Enregistrer l'entretien").click()
    page.wait_for_url(re.compile(r".*#entretiens$"))
    check("entretien de suivi du 01/12/2026" in notice(page), f"no confirmation: {notice(page)!r}")
    page.get_by_role("link", name="Entretiens de suivi").click()
    after = page.locator("#entretiens tr", has_text=who)
    check(after.count() == 1 and int(after.locator("td.num").inner_text()) == before + 1,
          f"{who}'s interviews: {before} then {after.all_inner_texts()}")
    j.found["interviews"] = before + 1


# -- the ledger ---------------------------------------------------------------------------

def _fill_entry(page, kind: str, **values) -> None:
    for name, value in values.items():
        if name == "activite":
            page.select_option(f"#{kind}-activite", value)
        else:
            page.fill(f"#{kind}-{name}", value)


def staff_ledger(j: Journey) -> None:
    page = j.page
    sign_in_staff(j)
    page.get_by_role("link", name="Écritures").click()
    page.wait_for_url(re.compile(r".*/comptabilite/ecritures$"))
    j.check_page("equipe-ecritures")
    code, ref = j.world["code"], j.world["ref"]
    _fill_entry(page, "factures", activite=code, date="2026-11-20", piece=f"F-{ref}",
                libelle="Facture de novembre", montant="1 000,00", tva="200,00")
    page.get_by_role("button", name="Passer la facture").click()
    page.wait_for_url(re.compile(r".*/comptabilite/ecritures$"))
    check(f"La facture F-{ref} est passée" in notice(page), f"invoice: {notice(page)!r}")
    _fill_entry(page, "encaissements", activite=code, date="2026-11-28", piece=f"VIR-{ref}",
                libelle="Virement client", montant="1 200,00", facture=f"F-{ref}")
    page.get_by_role("button", name="Passer l'encaissement").click()
    check(f"L'encaissement VIR-{ref} est passé" in notice(page), f"payment: {notice(page)!r}")
    _fill_entry(page, "depenses", activite=code, date="2026-11-15", piece=f"A-{ref}",
                libelle="Fournitures", compte="606", montant="50,00", tva="10,00")
    page.get_by_role("button", name="Passer la dépense").click()
    check(f"La dépense A-{ref} est passée" in notice(page), f"expense: {notice(page)!r}")
    # refused by the ledger: an account its chart does not have, shown next to the field
    _fill_entry(page, "depenses", activite=code, date="2026-11-16", piece=f"B-{ref}",
                libelle="Divers", compte="6999", montant="20,00")
    page.get_by_role("button", name="Passer la dépense").click()
    text = error_next_to(page, "depenses-compte")
    check("plan comptable" in text, f"the ledger's refusal of the account: {text!r}")
    check(page.locator("#depenses-montant").input_value() == "20,00", "the typed amount is lost")
    j.found["refusal"] = text
    j.check_page("equipe-ecriture-refus")


def staff_close_month(j: Journey) -> None:
    page = j.page
    sign_in_staff(j)
    page.get_by_role("link", name="Clôture mensuelle").click()
    page.wait_for_url(re.compile(r".*/comptabilite/cloture$"))
    page.fill("#mois", "2026-01")
    page.get_by_role("button", name="Clôturer ce mois").click()
    page.wait_for_url(re.compile(r".*/comptabilite/cloture$"))
    check("2026-01 est clôturé" in notice(page), f"no confirmation: {notice(page)!r}")
    check(page.locator("#mois-clos tbody tr", has_text="janvier 2026").count() == 1,
          "January is not listed as closed")
    j.check_page("equipe-cloture")
    page.fill("#mois", "2026-01")
    page.get_by_role("button", name="Clôturer ce mois").click()
    text = error_next_to(page, "mois")
    check("déjà clôturé" in text, f"closing twice: {text!r}")
    # the books are closed in January: an invoice dated then is refused, next to its date
    page.get_by_role("link", name="Écritures").click()
    _fill_entry(page, "factures", activite=j.world["code"], date="2026-01-15",
                piece="F-JANV-TARD", libelle="Facture oubliée", montant="100,00")
    page.get_by_role("button", name="Passer la facture").click()
    text = error_next_to(page, "factures-date")
    check("clôturés à cette date" in text, f"an entry in a closed month: {text!r}")
    j.found["refusal"] = text


def staff_trial_balance(j: Journey) -> None:
    page = j.page
    sign_in_staff(j)
    page.get_by_role("link", name="Balance générale").click()
    page.fill("#du", "2026-01")
    page.fill("#au", "2026-12")
    page.get_by_role("button", name="Afficher").click()
    page.wait_for_url(re.compile(r".*/comptabilite/balance\?du=2026-01&au=2026-12$"))
    debit, credit = figure(page, "debit"), figure(page, "credit")
    check(debit == credit == euros(j.world["debit_cents"]),
          f"totals {debit!r} {credit!r}, ledger {euros(j.world['debit_cents'])!r}")
    rows = page.locator("#balance tbody tr").count()
    check(rows == j.world["accounts"], f"{rows} accounts, ledger {j.world['accounts']}")
    j.check_page("equipe-balance")
    page.set_viewport_size(PHONE)  # the table scrolls sideways: reachable with the keyboard
    j.check_page()
    page.set_viewport_size(DESKTOP)
    page.fill("#au", "2026-13")
    page.get_by_role("button", name="Afficher").click()
    check("AAAA-MM" in page.locator("#au-erreur").inner_text(), "no error next to the month")


def staff_fec(j: Journey) -> None:
    page = j.page
    sign_in_staff(j)
    page.get_by_role("link", name="FEC", exact=True).click()
    page.fill("#annee", "2026")
    j.check_page("equipe-fec")
    with page.expect_download() as download:
        page.get_by_role("button", name="Télécharger le FEC").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    header = text.splitlines()[0]
    check(header == FEC_HEADER, f"the FEC's header line: {header!r}")
    j.found["name"] = download.value.suggested_filename
    j.found["lines"] = len(text.splitlines())


# -- payroll ------------------------------------------------------------------------------

def staff_payroll_run(j: Journey) -> None:
    # the Content-Security-Policy enforced (no bypass): the page's own script must run
    context = j.browser.new_context(viewport=DESKTOP, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(20_000)
    sign_in_staff(j, page=page)
    page.get_by_role("link", name="Paie", exact=True).click()
    page.fill("#mois", j.world["period"])
    page.get_by_role("button", name="Lancer la paie").click()
    page.wait_for_url(re.compile(r".*/paie/[0-9a-f-]{36}$"))
    csp = page.evaluate("() => fetch(location.href).then(r => "
                        "r.headers.get('content-security-policy'))")
    check("script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1]
          .split(";")[0], f"CSP: {csp!r}")
    page.evaluate("window.__same_page = true")  # gone if the page reloads
    page.wait_for_selector("[data-run-progress][data-status='completed'][data-polled]",
                           timeout=90_000)
    check(page.evaluate("window.__same_page === true"), "the page reloaded")
    issued = page.locator("[data-figure='run-issued']").inner_text()
    check(re.fullmatch(r"\d+ bulletin\(s\) émis sur \d+\.", issued), f"progress {issued!r}")
    j.found["issued_text"] = issued
    j.found["polled"] = int(page.locator("[data-run-progress]").get_attribute("data-polled"))
    check(figure(page, "run-status") == "Terminée", f"status {figure(page, 'run-status')!r}")
    check(not page.locator("[data-no-script]").is_visible(), "the no-script hint shows")
    left = page.locator("#ecartes tbody").inner_text()
    check(j.world["left_out_name"] in left and "Aucun salaire choisi" in left,
          f"those left out: {left!r}")
    j.found["run_url"] = page.url
    j.check_page("equipe-paie-en-cours", page)
    page.get_by_role("link", name="Toutes les paies").click()
    months = page.locator("#runs tbody tr th").all_inner_texts()
    check(months[:2] == ["avril 2026", "mars 2026"], f"runs, newest first: {months}")
    check(j.world["left_out_name"] in page.locator("#runs tbody tr").first.inner_text(),
          "the list does not say who is left out")
    j.check_page("equipe-paies", page)
    context.close()
    # without JavaScript: the page shows the same, with its link to refresh it
    plain = j.browser.new_context(viewport=DESKTOP, locale="fr-FR", java_script_enabled=False)
    page = plain.new_page()
    sign_in_staff(j, page=page)
    page.goto(j.found["run_url"])
    check(page.locator("[data-figure='run-issued']").inner_text() == j.found["issued_text"],
          "without JavaScript the progress is not shown")
    check(page.get_by_role("link", name="Actualiser").is_visible(), "no link to refresh")
    plain.close()


def staff_override(j: Journey) -> None:
    page = j.page
    sign_in_staff(j)
    page.get_by_role("link", name="Salaire hors budget").click()
    page.select_option("#membre", j.world["member"])
    page.fill("#periode", j.world["period"])
    page.fill("#brut", j.world["too_much"])
    page.get_by_role("button", name="Enregistrer ce salaire").click()
    text = error_next_to(page, "brut")
    check("il manque" in text and euros(j.world["shortfall_cents"]) in text,
          f"the shortfall {euros(j.world['shortfall_cents'])} is not next to the field: {text!r}")
    check(page.locator("#brut").input_value() == j.world["too_much"], "the typed gross is lost")
    j.check_page("equipe-salaire-refus")
    page.fill("#motif", j.world["reason"])
    page.get_by_role("button", name="Enregistrer ce salaire").click()
    page.wait_for_url(re.compile(r".*/paie/salaire$"))
    text = notice(page)
    check("au-dessus du budget" in text and j.world["reason"] in text,
          f"no confirmation with the reason: {text!r}")
    j.found["confirmation"] = text
    j.check_page("equipe-salaire-hors-budget")


# -- who reaches what ---------------------------------------------------------------------

def staff_forbidden(j: Journey) -> None:
    page = j.page
    sign_in_staff(j)
    other = j.world["coop_b"]
    for path in ("/membres", f"/membres/{j.world['member_b']}", "/paie",
                 "/comptabilite/balance", "/comptabilite/fec/telecharger?annee=2026"):
        response = page.goto(j.url(f"/equipe/{other}{path}"))
        check(response.status == 403, f"{path}: {response.status}")
        check(page.locator("h1").inner_text() == "Accès refusé", f"{path}: no 403 page")
    j.check_page("equipe-acces-refuse")
    # an entrepreneur never reaches the staff's pages
    page.get_by_role("button", name="Se déconnecter").click()
    j.sign_in("lea")
    for path in ("/membres", "/paie", "/comptabilite/ecritures"):
        response = page.goto(j.url(f"/equipe/{j.world['coop']}{path}"))
        check(response.status == 403, f"an entrepreneur on {path}: {response.status}")
        check(page.locator("h1").inner_text() == "Accès refusé", f"{path}: no 403 page")


def staff_csrf(j: Journey) -> None:
    page = j.page
    sign_in_staff(j)
    page.goto(f"{base(j)}/membres/nouveau")
    page.fill("#prenom", "Sans")
    page.fill("#nom", "Jeton")
    page.fill("#email", "sans.jeton@example.org")
    page.evaluate("document.querySelectorAll('main input[name=csrf]').forEach(e => e.remove())")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Inscrire", exact=True).click()
    check(answer.value.status == 403, f"a staff form without its token: {answer.value.status}")
    check(page.locator("h1").inner_text() == "Formulaire refusé", "no refusal page")
    j.check_page("equipe-formulaire-refuse")


JOURNEYS = {f.__name__: f for f in (
    staff_register, staff_import, staff_steps_contracts, staff_deadlines, staff_follow_up, staff_ledger,
    staff_close_month, staff_trial_balance, staff_fec, staff_payroll_run, staff_override,
    staff_forbidden, staff_csrf)}
__all__ = ["ARGS", "JOURNEYS"]
