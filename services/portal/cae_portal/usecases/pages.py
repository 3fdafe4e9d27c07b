"""The entrepreneur's pages: what each needs from the services, gathered at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from cae_portal.domain.money import shortfall_cents
from cae_portal.domain.months import MonthFigures, months_of_year, totals
from cae_portal.domain.people import days_until, next_month
from cae_portal.usecases.gateway import FieldErrors, Gateway, NotYours, ServiceError, Viewer
from caekit.rules import RuleViolation


class NotAnEntrepreneur(NotYours):
    """The page is an entrepreneur's and the viewer has no activity of their own."""


def _own_activity(viewer: Viewer) -> tuple[str, str]:
    if not viewer.is_entrepreneur or not viewer.activity_code or not viewer.cooperative_id:
        raise NotAnEntrepreneur(viewer.subject)
    return viewer.cooperative_id, viewer.activity_code


@dataclass(frozen=True)
class Home:
    year: int
    budget: dict
    revenue_of_year_cents: int
    months: list[MonthFigures]
    year_totals: MonthFigures


def home(gateway: Gateway, viewer: Viewer, today: date) -> Home:
    coop, code = _own_activity(viewer)
    got = gateway.gather({
        "budget": lambda: gateway.balance(coop, code),
        "entries": lambda: gateway.entries(coop, code),
        "income": lambda: gateway.income_statement(coop, code, today.year),
    })
    months = months_of_year(got["entries"], code, today.year, today.month)
    return Home(today.year, got["budget"], int(got["income"]["revenue_cents"]), months,
                totals(months))


def treasury_statement(gateway: Gateway, viewer: Viewer, to: str | None) -> dict:
    coop, code = _own_activity(viewer)
    return gateway.treasury_statement(coop, code, to)


def income_statement(gateway: Gateway, viewer: Viewer, year: int) -> dict:
    coop, code = _own_activity(viewer)
    return gateway.income_statement(coop, code, year)


def salary_period(today: date) -> str:
    year, month = next_month(today)
    return f"{year:04d}-{month:02d}"


def _form_errors(error: ServiceError, names: dict[str, str]) -> FieldErrors:
    """A service's 422 as the form's field errors: each field it names, under the form's
    name for it (the rest under ``__all__``)."""
    refused = FieldErrors()
    for service_field, messages in (error.errors or {}).items():
        if service_field == "rule":
            continue
        if isinstance(messages, str):
            messages = [messages]
        elif isinstance(messages, dict):
            messages = [str(m) for m in messages.values()]
        refused.fields.setdefault(names.get(service_field, "__all__"), []).extend(
            str(m) for m in messages)
        if error.rule:
            refused.codes[names.get(service_field, "__all__")] = error.rule
    if not refused.fields:
        refused.fields["__all__"] = [error.detail]
        if error.rule:
            refused.codes["__all__"] = error.rule
    return refused


SIMULATION_FIELDS = {"gross": "brut", "period": "periode"}
SALARY_FIELDS = {"gross_cents": "brut", "period": "periode"}


def simulate(gateway: Gateway, viewer: Viewer, period: str, gross_cents: int | None) -> dict:
    """What ``gross_cents`` costs and pays in ``period`` (None: what the budget pays)."""
    coop, _ = _own_activity(viewer)
    try:
        return gateway.simulation(coop, viewer.subject, period, gross_cents)
    except ServiceError as error:
        if error.status == 422:
            raise _form_errors(error, SIMULATION_FIELDS) from error
        raise


def explain_budget_exceeded(refused: FieldErrors, costed: dict) -> None:
    """A salary refused above the budget: the refusal is put next to the gross, with the
    figures of payroll's simulation of that gross (its cost, the budget, the shortfall,
    the largest gross the budget pays)."""
    refused.fields = {"brut": refused.fields.get("brut") or
                      [m for ms in refused.fields.values() for m in ms]}
    refused.codes = {"brut": "budget.exceeded"}
    refused.figures = {
        "shortfall_cents": shortfall_cents(costed["employer_cost_cents"],
                                           costed["available_cents"]),
        "employer_cost_cents": costed["employer_cost_cents"],
        "available_cents": costed["available_cents"],
        "budget_pays_gross_cents": costed["budget_pays_gross_cents"]}


@dataclass(frozen=True)
class Chosen:
    period: str
    gross_cents: int
    employer_cost_cents: int
    available_cents: int


def choose_salary(gateway: Gateway, viewer: Viewer, period: str, gross_cents: int,
                  idempotency_key: str) -> Chosen:
    """Choose the gross paid from ``period`` on. Above the budget, the refusal carries the
    shortfall (the cost of that gross less the budget) and the largest gross it pays."""
    coop, _ = _own_activity(viewer)
    try:
        chosen = gateway.choose_salary(coop, viewer.subject, period, gross_cents,
                                       idempotency_key)
    except ServiceError as error:
        if error.status != 422:
            raise
        refused = _form_errors(error, SALARY_FIELDS)
        if error.rule == "budget.exceeded":
            explain_budget_exceeded(refused, gateway.simulation(coop, viewer.subject, period,
                                                                 gross_cents))
        raise refused from error
    return Chosen(chosen["period"], chosen["gross_cents"], chosen["employer_cost_cents"],
                  chosen["available_cents"])


def payslips(gateway: Gateway, viewer: Viewer) -> list[dict]:
    coop, _ = _own_activity(viewer)
    slips = gateway.payslips(coop, viewer.subject)
    return sorted(slips, key=lambda s: (s["period"], s["issued_at"]), reverse=True)


def payslip(gateway: Gateway, viewer: Viewer, payslip_id: str) -> dict:
    coop, _ = _own_activity(viewer)
    return gateway.payslip(coop, payslip_id)


def payslip_document(gateway: Gateway, viewer: Viewer, payslip_id: str, fmt: str) -> bytes:
    if fmt not in ("html", "pdf"):
        raise RuleViolation("document.format", "html or pdf")
    coop, _ = _own_activity(viewer)
    return gateway.payslip_document(coop, payslip_id, fmt)


@dataclass(frozen=True)
class Contract:
    member: dict
    contracts: list[dict]
    associate_deadline: date | None
    days_to_deadline: int | None
    associate_on: date | None


def contract(gateway: Gateway, viewer: Viewer, today: date) -> Contract:
    coop, _ = _own_activity(viewer)
    got = gateway.gather({"member": lambda: gateway.member(coop, viewer.subject),
                          "contracts": lambda: gateway.contracts(coop, viewer.subject)})
    member = got["member"]
    deadline = (date.fromisoformat(member["associate_deadline"])
                if member.get("associate_deadline") else None)
    associate_on = (date.fromisoformat(member["associate_on"])
                    if member.get("associate_on") else None)
    return Contract(member, sorted(got["contracts"], key=lambda c: c["signed_on"]), deadline,
                    days_until(deadline, today) if deadline and not associate_on else None,
                    associate_on)


@dataclass(frozen=True)
class Person:
    """Someone the demo's sign-in page lists."""

    member_id: str
    cooperative_id: str
    cooperative_name: str
    name: str
    activity_code: str | None
    activity_name: str | None


def demo_people(gateway: Gateway) -> list[Person]:
    """Every entrepreneur of every cooperative (the demo's sign-in page), by cooperative then
    name; the gateway reads them with a development operator's (and staff) token."""
    cooperatives = gateway.cooperatives()
    listed = gateway.gather({c["id"]: (lambda c=c: gateway.members(c["id"]))
                             for c in cooperatives})
    people = []
    for coop in sorted(cooperatives, key=lambda c: c["name"]):
        for m in listed[coop["id"]]:
            if m.get("left_on"):
                continue
            people.append(Person(m["id"], coop["id"], coop["name"],
                                 f"{m['first_name']} {m['last_name']}", m.get("activity_code"),
                                 m.get("activity_name")))
    return people
