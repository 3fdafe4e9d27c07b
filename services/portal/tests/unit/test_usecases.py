"""The pages' use cases over a fake gateway (the services' answers as they document them)."""

from __future__ import annotations

from datetime import date

import pytest

from cae_portal.usecases import pages
from cae_portal.usecases.gateway import FieldErrors, ServiceError, Viewer

LEA = Viewer("m-1", "coop-1", frozenset({"entrepreneur"}), "Léa Martin", "BOULANGE")


class FakeGateway:
    def __init__(self, **answers):
        self.answers = answers
        self.calls = []

    def gather(self, calls):
        return {name: call() for name, call in calls.items()}

    def _answer(self, name, *args):
        self.calls.append((name, *args))
        answer = self.answers[name]
        if isinstance(answer, Exception):
            raise answer
        return answer(*args) if callable(answer) else answer

    def __getattr__(self, name):
        return lambda *args: self._answer(name, *args)


BUDGET = {"activity_code": "BOULANGE", "cash_received_cents": 500000, "contribution_cents": 50000,
          "expenses_cents": 36000, "salary_costs_cents": 200000, "available_cents": 214000}


def test_home_gathers_the_budget_the_months_and_the_years_revenue():
    gateway = FakeGateway(balance=BUDGET, income_statement={"revenue_cents": 540000},
                          entries=[{"date": "2026-02-25", "kind": "payment",
                                    "revenue_cents": 100000, "activity_code": "BOULANGE",
                                    "lines": []}])
    page = pages.home(gateway, LEA, date(2026, 4, 15))
    assert page.budget == BUDGET and page.revenue_of_year_cents == 540000
    assert [m.month for m in page.months] == [1, 2, 3, 4]
    assert page.year_totals.revenue_cents == 100000
    assert ("income_statement", "coop-1", "BOULANGE", 2026) in gateway.calls


def test_a_viewer_without_an_activity_reads_no_entrepreneurs_page():
    staff = Viewer("alice", "coop-1", frozenset({"staff"}))
    with pytest.raises(pages.NotAnEntrepreneur):
        pages.home(FakeGateway(), staff, date(2026, 4, 15))


def test_a_salary_above_the_budget_is_refused_on_the_field_with_the_shortfall():
    refusal = ServiceError(422, "this salary costs 7490.35 EUR ...",
                           {"rule": ["budget.exceeded"]}, "budget.exceeded", "payroll")
    gateway = FakeGateway(choose_salary=refusal, simulation={
        "employer_cost_cents": 749035, "available_cents": 605004,
        "budget_pays_gross_cents": 436200})
    with pytest.raises(FieldErrors) as refused:
        pages.choose_salary(gateway, LEA, "2027-01", 536200, "key-1")
    assert refused.value.codes == {"brut": "budget.exceeded"}
    assert refused.value.figures["shortfall_cents"] == 144031
    assert refused.value.figures["budget_pays_gross_cents"] == 436200
    assert ("simulation", "coop-1", "m-1", "2027-01", 536200) in gateway.calls


def test_a_refusal_names_the_forms_fields():
    refusal = ServiceError(422, "invalid", {"gross_cents": ["below the SMIC"],
                                            "rule": ["salary.below_smic"]},
                           "salary.below_smic", "payroll")
    with pytest.raises(FieldErrors) as refused:
        pages.choose_salary(FakeGateway(choose_salary=refusal), LEA, "2027-01", 100, "k")
    assert refused.value.fields == {"brut": ["below the SMIC"]}
    assert refused.value.codes == {"brut": "salary.below_smic"}


def test_a_salary_within_the_budget_is_chosen():
    gateway = FakeGateway(choose_salary={"period": "2027-01", "gross_cents": 200000,
                                         "employer_cost_cents": 280000,
                                         "available_cents": 605004})
    chosen = pages.choose_salary(gateway, LEA, "2027-01", 200000, "k")
    assert chosen == pages.Chosen("2027-01", 200000, 280000, 605004)


def test_other_service_errors_are_not_form_errors():
    with pytest.raises(ServiceError):
        pages.choose_salary(FakeGateway(choose_salary=ServiceError(403, "no")), LEA,
                            "2027-01", 1, "k")


def test_the_contract_page_counts_the_days_to_the_associate_deadline():
    gateway = FakeGateway(member={"associate_deadline": "2029-01-05", "associate_on": None},
                          contracts=[{"kind": "CESA", "signed_on": "2026-01-05"},
                                     {"kind": "CAPE", "signed_on": "2025-06-01"}])
    page = pages.contract(gateway, LEA, date(2028, 12, 31))
    assert page.associate_deadline == date(2029, 1, 5) and page.days_to_deadline == 5
    assert [c["kind"] for c in page.contracts] == ["CAPE", "CESA"]


def test_payslips_newest_first_and_the_salary_month_is_the_next():
    gateway = FakeGateway(payslips=[{"period": "2026-02", "issued_at": "a"},
                                    {"period": "2026-03", "issued_at": "b"}])
    assert [s["period"] for s in pages.payslips(gateway, LEA)] == ["2026-03", "2026-02"]
    assert pages.salary_period(date(2026, 12, 7)) == "2027-01"
    assert pages.salary_period(date(2026, 3, 31)) == "2026-04"


def test_the_demo_lists_each_cooperatives_people_but_those_who_left():
    gateway = FakeGateway(
        cooperatives=[{"id": "c2", "name": "Oxalis"}, {"id": "c1", "name": "Coopaname"}],
        members=lambda coop: [{"id": f"{coop}-a", "first_name": "A", "last_name": "B",
                               "activity_code": "X", "activity_name": "Y", "left_on": None},
                              {"id": f"{coop}-b", "first_name": "C", "last_name": "D",
                               "left_on": "2026-01-01"}])
    people = pages.demo_people(gateway)
    assert [(p.cooperative_name, p.member_id) for p in people] == [
        ("Coopaname", "c1-a"), ("Oxalis", "c2-a")]
