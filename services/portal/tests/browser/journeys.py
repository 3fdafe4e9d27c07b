"""The entrepreneur's journeys in the portal, driven in Chromium (Debian's, headless) by
Playwright. Run by the browser tests in a process of their own (no eventlet here):

    python journeys.py NAME  < world.json

Each journey signs in, does the thing, checks what the page shows, runs axe-core on every
page it opens (no serious or critical violation) and saves screenshots at desktop
(1280x800) and phone (390x844) widths. It prints one JSON line of what it found; any
failed check exits non-zero with its message.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
NBSP = "\u00a0"


def euros(cents: int) -> str:
    units, rest = divmod(abs(cents), 100)
    digits = f"{units:,}".replace(",", NBSP)
    return f"{'-' if cents < 0 else ''}{digits},{rest:02d}{NBSP}€"


class Journey:
    def __init__(self, world: dict, playwright):
        self.world = world
        self.browser = playwright.chromium.launch(  # in French (chromium-l10n): dd/mm/yyyy
            executable_path=world["chromium"], args=ARGS, headless=True,
            env={**os.environ, "LANG": "fr_FR.UTF-8"})
        self.context = self.browser.new_context(viewport=DESKTOP, locale="fr-FR",
                                                bypass_csp=True, accept_downloads=True)
        self.page = self.context.new_page()
        self.page.set_default_timeout(20_000)
        self.found: dict = {}
        self.axe = Path(world["axe"]).read_text()

    def url(self, path: str) -> str:
        return self.world["portal"] + path

    def sign_in(self, key: str) -> None:
        page = self.page
        page.goto(self.url("/connexion"))
        name = self.world["people"][key]["name"]
        page.get_by_role("button", name=f"Se connecter en tant que {name}").click()
        page.wait_for_url(re.compile(r".*/accueil$"))
        check(name in page.inner_text("header"), f"{name} is not shown as signed in")

    def check_page(self, shot: str | None = None, page: Page | None = None) -> None:
        """axe-core on the page (WCAG 2.1 A and AA rules): no serious or critical
        violation; then the screenshots at both widths."""
        page = page or self.page
        page.evaluate(self.axe)
        result = page.evaluate("""async () => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values:
                ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
        }""")
        bad = [v for v in result if v["impact"] in ("serious", "critical")]
        check(not bad, f"axe on {page.url}: {json.dumps(bad, ensure_ascii=False, indent=1)}")
        self.found.setdefault("axe_minor", []).extend(
            f"{page.url}: {v['id']} ({v['impact']})" for v in result)
        if shot:
            self.screenshot(shot, page)

    def screenshot(self, name: str, page: Page | None = None, fits_a_phone: bool = True) -> None:
        page = page or self.page
        folder = Path(self.world["screenshots"])
        page.set_viewport_size(DESKTOP)
        page.screenshot(path=str(folder / f"{name}-desktop.png"), full_page=True)
        page.set_viewport_size(PHONE)
        width = page.evaluate("document.documentElement.scrollWidth")
        check(width <= PHONE["width"] + 1 or not fits_a_phone,
              f"{page.url} is {width} px wide at a phone's {PHONE['width']} px")
        page.screenshot(path=str(folder / f"{name}-phone.png"), full_page=True)
        page.set_viewport_size(DESKTOP)

    def close(self):
        self.context.close()
        self.browser.close()


def check(condition, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def figure(page: Page, name: str) -> str:
    return page.locator(f"[data-figure='{name}']").first.inner_text().strip()


# -- the journeys -------------------------------------------------------------------------

def home(j: Journey) -> None:
    page = j.page
    page.goto(j.url("/connexion"))
    j.check_page("connexion")
    j.sign_in("lea")
    budget = j.world["budget"]["lea"]
    for name, key in (("available", "available_cents"), ("received", "cash_received_cents"),
                      ("contribution", "contribution_cents"), ("expenses", "expenses_cents"),
                      ("salaries", "salary_costs_cents")):
        shown = figure(page, name)
        check(shown == euros(budget[key]), f"home {name}: {shown!r}, ledger {euros(budget[key])!r}")
    check(page.locator("svg[role='img'] title").count() == 1, "the chart has no text alternative")
    check(page.locator("svg rect.bar").count() > 0, "the chart has no bars")
    rows = page.locator("table tbody tr")
    check(rows.count() >= 3, "the months' table is empty")
    march = page.locator("table tbody tr", has_text="mars").inner_text()
    check(euros(j.world["march_revenue_cents"]) in march,
          f"March's revenue received {euros(j.world['march_revenue_cents'])} not in {march!r}")
    j.found["available"] = figure(page, "available")
    j.check_page("accueil")
    # the menu is usable with the keyboard: Tab from the skip link reaches it
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    check(focused == "Aller au contenu", f"first Tab stop: {focused!r}")


def statements(j: Journey) -> None:
    page = j.page
    j.sign_in("lea")
    page.get_by_role("link", name="État de trésorerie").click()
    page.wait_for_url(re.compile(r".*/releve-de-tresorerie"))
    check(page.locator("h1").inner_text() == "État de trésorerie", "treasury title")
    available = figure(page, "available")
    check(available == euros(j.world["budget"]["lea"]["available_cents"]),
          f"treasury available {available!r}")
    check(page.locator("text=Trésorerie").count() >= 1, "no treasury groups")
    j.check_page("releve-de-tresorerie")
    page.fill("#au", "2026-13")
    page.get_by_role("button", name="Afficher").click()
    check("AAAA-MM" in page.locator("#au-erreur").inner_text(), "no error next to the month")
    page.get_by_role("link", name="Compte de résultat").click()
    page.wait_for_url(re.compile(r".*/compte-de-resultat"))
    check(page.locator("h1").inner_text().startswith("Compte de résultat"), "income title")
    page.fill("#annee", "2026")
    page.get_by_role("button", name="Afficher").click()
    check(page.locator("h1").inner_text() == "Compte de résultat 2026", "income year")
    result = figure(page, "result")
    check(result == euros(j.world["result_cents"]), f"result {result!r}, ledger "
          f"{euros(j.world['result_cents'])!r}")
    j.check_page("compte-de-resultat")


def simulate(j: Journey) -> None:
    page = j.page
    j.sign_in("lea")
    page.get_by_role("link", name="Salaire").click()
    check("Ce que paie votre budget" in page.inner_text("main"), "no budget simulation")
    check(page.locator("table.lines tbody tr").count() >= 5, "no payslip lines for the budget")
    page.fill("#brut-simule", "2 000,00")
    page.locator("#brut-simule").press("Enter")
    page.wait_for_url(re.compile(r".*brut=.*"))
    check(figure(page, "gross") == euros(200_000), f"gross {figure(page, 'gross')!r}")
    lines = page.locator("table.lines tbody tr")
    check(lines.count() >= 5, "no payslip lines for 2 000,00")
    check(figure(page, "cost") == euros(j.world["cost_of_2000_cents"]),
          f"cost {figure(page, 'cost')!r}, payroll {euros(j.world['cost_of_2000_cents'])!r}")
    j.found["lines"] = lines.count()
    j.check_page("salaire-simulation")
    page.fill("#brut-simule", "deux mille")
    page.locator("#brut-simule").press("Enter")
    check("Un montant en euros" in page.locator("#brut-simule-erreur").inner_text(),
          "no error next to the simulated gross")


def salary_refused(j: Journey) -> None:
    page = j.page
    j.sign_in("lea")
    page.goto(j.url("/salaire"))
    page.fill("#brut", j.world["too_much"])
    page.get_by_role("button", name="Choisir ce salaire").click()
    error = page.locator("#brut-erreur")
    text = error.inner_text()
    check("il manque" in text and euros(j.world["shortfall_cents"]) in text,
          f"the shortfall {euros(j.world['shortfall_cents'])} is not next to the field: {text!r}")
    check(page.locator("#brut").get_attribute("aria-invalid") == "true", "field not invalid")
    check("brut-erreur" in page.locator("#brut").get_attribute("aria-describedby"),
          "the error is not tied to the field")
    check(page.locator("#brut").input_value() == j.world["too_much"], "the typed amount is lost")
    j.found["error"] = text
    j.check_page("salaire-refus")


def salary_chosen(j: Journey) -> None:
    page = j.page
    j.sign_in("karim")
    page.goto(j.url("/salaire"))
    page.fill("#brut", j.world["gross_text"])
    page.get_by_role("button", name="Choisir ce salaire").click()
    page.wait_for_url(re.compile(r".*/salaire#choix$"))
    text = page.locator(".success").inner_text()
    check("Enregistré" in text and euros(j.world["gross_cents"]) in text,
          f"no confirmation of {euros(j.world['gross_cents'])}: {text!r}")
    j.found["confirmation"] = text
    j.check_page("salaire-choisi")


def payslips(j: Journey) -> None:
    page = j.page
    j.sign_in("lea")
    page.get_by_role("link", name="Bulletins de paie").click()
    page.wait_for_url(re.compile(r".*/bulletins$"))
    check(page.locator("table tbody tr").count() == 1, "not exactly one payslip listed")
    j.check_page("bulletins")
    page.get_by_role("link", name="mars 2026", exact=True).click()
    page.wait_for_url(re.compile(r".*/bulletins/[0-9a-f-]+$"))
    check(page.locator("h1").inner_text() == "Bulletin de paie de mars 2026", "payslip title")
    net = figure(page, "net")
    check(net == euros(j.world["net_cents"]), f"net {net!r}, payroll {euros(j.world['net_cents'])}")
    j.check_page("bulletin")
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger le PDF").click()
    path = download.value.path()
    head = Path(path).read_bytes()[:5]
    check(head == b"%PDF-", f"the download is not a PDF: {head!r}")
    j.found["pdf_name"] = download.value.suggested_filename
    page.get_by_role("link", name="Ouvrir le bulletin de paie").click()
    page.wait_for_url(re.compile(r".*/document$"))
    body = page.inner_text("body")
    check(euros(j.world["net_cents"]).replace(NBSP, " ") in body.replace(NBSP, " ").replace("\u202f", " ")
          or "BULLETIN" in body.upper(), "the payslip document does not show")
    # the payroll service's own layout of the bulletin (A4, not the portal's)
    j.screenshot("bulletin-document", fits_a_phone=False)


def contract(j: Journey) -> None:
    page = j.page
    j.sign_in("lea")
    page.get_by_role("link", name="Mon contrat").click()
    page.wait_for_url(re.compile(r".*/contrat$"))
    check(page.locator("table tbody tr", has_text="CESA").count() == 1, "no CESA listed")
    deadline = figure(page, "deadline")
    check(j.world["deadline_text"] in deadline, f"deadline {deadline!r}, members "
          f"{j.world['deadline_text']!r}")
    j.found["deadline"] = deadline
    j.check_page("contrat")


def forbidden(j: Journey) -> None:
    page = j.page
    j.sign_in("lea")
    other = j.world["payslip"]["karim"]
    for path in (f"/bulletins/{other}", f"/bulletins/{other}/pdf", f"/bulletins/{other}/document"):
        response = page.goto(j.url(path))
        check(response.status == 403, f"{path}: {response.status}")
        check(page.locator("h1").inner_text() == "Accès refusé", f"{path}: no 403 page")
    j.check_page("acces-refuse")


def csrf(j: Journey) -> None:
    page = j.page
    j.sign_in("sophie")
    page.goto(j.url("/salaire"))
    page.fill("#brut", j.world["gross_text"])
    page.evaluate("document.querySelectorAll('main input[name=csrf]').forEach(e => e.remove())")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Choisir ce salaire").click()
    check(answer.value.status == 403, f"a form without its token: {answer.value.status}")
    check(page.locator("h1").inner_text() == "Formulaire refusé", "no refusal page")
    check("rien n'a été enregistré" in page.inner_text("main"), "the page does not say so")
    j.check_page("formulaire-refuse")
    # a token of another session is refused too
    page.goto(j.url("/salaire"))
    page.evaluate("document.querySelectorAll('main input[name=csrf]').forEach("
                  "e => e.value = 'x'.repeat(43))")
    page.fill("#brut", j.world["gross_text"])
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Choisir ce salaire").click()
    check(answer.value.status == 403, f"a form with a wrong token: {answer.value.status}")


JOURNEYS = {f.__name__: f for f in (home, statements, simulate, salary_refused, salary_chosen,
                                     payslips, contract, forbidden, csrf)}


def main(name: str) -> int:
    import importlib

    for part in ("staff", "governance", "matching", "network"):  # <part>_journeys.py
        JOURNEYS.update(importlib.import_module(f"{part}_journeys").JOURNEYS)
    world = json.loads(sys.stdin.read())
    with sync_playwright() as playwright:
        journey = Journey(world, playwright)
        try:
            JOURNEYS[name](journey)
        except Exception:
            print(f"at {journey.page.url}:\n{journey.page.inner_text('body')[:3000]}",
                  file=sys.stderr)
            raise
        finally:
            journey.close()
    print(json.dumps(journey.found, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
