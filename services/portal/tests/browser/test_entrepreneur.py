"""One test per journey of an entrepreneur in the portal, in Chromium, against the real
services (journeys.py drives the browser; here, what the services say it must show)."""

from __future__ import annotations

from datetime import date

import requests

from caekit.testing import count_rows


def _next_period() -> str:
    today = date.today()
    return f"{today.year + today.month // 12:04d}-{today.month % 12 + 1:02d}"


def _get(world, service, path, **params):
    response = requests.get(f"{world.urls[service]}/cooperatives/{world.coop}{path}",
                            params=params, headers={"Authorization": f"Bearer {world.staff}"},
                            timeout=30)
    assert response.ok, response.text
    return response.json()


def _euros_text(cents: int) -> str:
    return f"{cents // 100},{cents % 100:02d}"


def test_an_entrepreneur_signs_in_and_sees_the_ledgers_budget_by_month(world, journeys):
    # Léa's March: 1 800,00 EUR HT invoiced and received (150 000 + 3 x 10 000 cents)
    # the budget as the ledger gives it now (the staff's tests post entries and run payroll)
    lea = _get(world, "ledger", f"/activities/{world.people['lea']['code']}/balance")
    found = journeys("home", march_revenue_cents=180_000, budget={**world.budget, "lea": lea})
    assert found["available"]


def test_the_treasury_and_income_statements(world, journeys):
    income = _get(world, "ledger", f"/activities/{world.people['lea']['code']}/income-statement",
                  year=2026)
    lea = _get(world, "ledger", f"/activities/{world.people['lea']['code']}/balance")
    journeys("statements", result_cents=income["result_cents"],
             budget={**world.budget, "lea": lea})


def test_a_gross_is_simulated_with_its_payslip_lines(world, journeys):
    costed = _get(world, "payroll", f"/employees/{world.people['lea']['id']}/simulation",
                  period=_next_period(), gross=200_000)
    found = journeys("simulate", cost_of_2000_cents=costed["employer_cost_cents"])
    assert found["lines"] == len(costed["lines"])


def test_a_salary_above_the_budget_is_refused_with_the_shortfall_next_to_the_field(world, journeys):
    member = world.people["lea"]["id"]
    budget = _get(world, "payroll", f"/employees/{member}/simulation", period=_next_period())
    too_much = budget["budget_pays_gross_cents"] + 100_000
    costed = _get(world, "payroll", f"/employees/{member}/simulation", period=_next_period(),
                  gross=too_much)
    shortfall = costed["employer_cost_cents"] - costed["available_cents"]
    assert shortfall > 0
    before = count_rows(world.payroll_db, "salary_choices", f"WHERE member_id = '{member}'")
    found = journeys("salary_refused", too_much=_euros_text(too_much), shortfall_cents=shortfall)
    assert "il manque" in found["error"]
    assert count_rows(world.payroll_db, "salary_choices",
                      f"WHERE member_id = '{member}'") == before


def test_a_salary_within_the_budget_is_chosen_and_confirmed(world, journeys):
    member = world.people["karim"]["id"]
    budget = _get(world, "payroll", f"/employees/{member}/simulation", period=_next_period())
    gross = max(budget["minimum_gross_cents"], budget["budget_pays_gross_cents"] // 2)
    assert gross <= budget["budget_pays_gross_cents"], budget
    journeys("salary_chosen", gross_text=_euros_text(gross), gross_cents=gross)
    rows = count_rows(world.payroll_db, "salary_choices",
                      f"WHERE member_id = '{member}' AND gross_cents = {gross}")
    assert rows == 1


def test_payslips_are_listed_opened_and_downloaded_as_pdf(world, journeys):
    slip = _get(world, "payroll", f"/payslips/{world.payslip['lea']}")
    found = journeys("payslips", net_cents=slip["net_paid_cents"])
    assert found["pdf_name"].endswith(".pdf")


def test_the_contract_and_associate_deadline(world, journeys):
    member = _get(world, "members", f"/members/{world.people['lea']['id']}")
    deadline = date.fromisoformat(member["associate_deadline"])
    found = journeys("contract", deadline_text=deadline.strftime("%d/%m/%Y"))
    assert deadline.strftime("%d/%m/%Y") in found["deadline"]


def test_an_entrepreneur_never_reaches_anothers_payslip(world, journeys):
    journeys("forbidden")


def test_a_form_posted_without_its_csrf_token_is_refused_and_writes_nothing(world, journeys):
    member = world.people["sophie"]["id"]
    budget = _get(world, "payroll", f"/employees/{member}/simulation", period=_next_period())
    gross = budget["minimum_gross_cents"]
    journeys("csrf", gross_text=_euros_text(gross))
    assert count_rows(world.payroll_db, "salary_choices", f"WHERE member_id = '{member}'") == 0
