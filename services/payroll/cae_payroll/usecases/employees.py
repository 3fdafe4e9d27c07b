"""The cooperatives and entrepreneurs the payroll pays, and the budgets it pays them from.

Read models fed by members' events (a cooperative registered or renamed, a person
joined, an activity opened, a CESA signed or ended) and the ledger's (an activity's
available budget), and the payroll terms staff set (the cooperative's headcount,
accident rate, run day, payment day and establishment; an entrepreneur's status,
withholding rate, job, classification, address and monthly hours).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cae_payroll.adapters.store import Budget, Employee, EmployerName, PayrollSettings, YearToDate
from cae_payroll.domain import engine
from cae_payroll.domain.employees import (
    DEFAULT_TERMS,
    activity_paid_from,
    check_contract_day,
    check_convention,
    check_siret,
    parse_hours,
    parse_rate,
    refuse_unpaid,
    staff_with_bracket,
)
from cae_payroll.domain.runs import year_to_date as engine_year_to_date
from caekit.bounds import FIRST_DAY
from caekit.db import dialect_insert, get_or_insert
from caekit.period import Period
from caekit.rules import UnknownRecord

ESTABLISHMENT = ("payment_day", "siret", "ape_code", "urssaf_body", "urssaf_number", "address",
                 "convention_idcc", "convention_title")
PAYSLIP_TERMS = ("job_title", "classification", "address")  # what the payslip says of them

# -- the cooperative ----------------------------------------------------------------------------

def settings(session: Session, cooperative_id: str) -> PayrollSettings:
    """The cooperative's payroll settings (the defaults until it sets its own)."""
    return get_or_insert(session, PayrollSettings, cooperative_id,
                         cooperative_id=cooperative_id, **DEFAULT_TERMS)


def register_cooperative(session: Session, cooperative_id: str, name: str, siren: str,
                         staff_size_bracket: str | None) -> None:
    """Members registered the cooperative: its name (the payslips' employer, from the
    beginning) and SIREN, its headcount at least its bracket's."""
    terms = settings(session, cooperative_id)
    terms.name, terms.siren = name, siren
    terms.staff = staff_with_bracket(terms.staff, staff_size_bracket)
    rename(session, cooperative_id, FIRST_DAY, name)


def rename(session: Session, cooperative_id: str, effective_on: date, name: str) -> None:
    """The cooperative's name from ``effective_on`` (members' cooperative_updated): the
    payslips of the months from then on show it."""
    check_contract_day(effective_on, "effective_on")
    row = get_or_insert(session, EmployerName, (cooperative_id, effective_on),
                        cooperative_id=cooperative_id, effective_on=effective_on, name=name)
    row.name = name


def employer_name(session: Session, cooperative_id: str, day: date) -> str | None:
    """The cooperative's name in force on ``day`` (None: members has not announced it)."""
    found = session.scalar(select(EmployerName.name).where(
        EmployerName.cooperative_id == cooperative_id, EmployerName.effective_on <= day)
                           .order_by(EmployerName.effective_on.desc()).limit(1))
    return found if found is not None else settings(session, cooperative_id).name


def change_settings(session: Session, cooperative_id: str, staff: int, at_rate: str,
                    run_day: int | None, **establishment) -> PayrollSettings:
    """The cooperative's payroll settings, replaced: headcount, accident rate, run day,
    and the establishment its payslips name (an absent one: none)."""
    terms = settings(session, cooperative_id)
    values = {name: establishment.get(name) for name in ESTABLISHMENT}
    values["siret"] = check_siret(values["siret"], terms.siren)
    values["convention_idcc"], values["convention_title"] = check_convention(
        values["convention_idcc"], values["convention_title"])
    terms.staff, terms.run_day = staff, run_day
    terms.at_rate = parse_rate(at_rate, "at_rate")
    for name, value in values.items():
        setattr(terms, name, value)
    return terms


# -- the entrepreneur ---------------------------------------------------------------------------

def employee_row(session: Session, cooperative_id: str, member_id: str) -> Employee:
    """The member as the payroll knows them, added on the first event naming them."""
    found = session.get(Employee, (cooperative_id, str(member_id)))
    if found is None:
        found = Employee(cooperative_id=cooperative_id, member_id=str(member_id), cadre=False,
                         withholding_rate="0")
        session.add(found)
    return found


def employee(session: Session, cooperative_id: str, member_id: str) -> Employee:
    found = session.get(Employee, (cooperative_id, str(member_id)))
    if found is None:
        raise UnknownRecord("employee.unknown",
                            f"no entrepreneur {member_id} in this cooperative's payroll")
    return found


def record_person(session: Session, cooperative_id: str, member_id: str, first_name: str,
                  last_name: str) -> None:
    """A person joined the cooperative: their name, which the payslip must show
    (Code du travail R3243-1)."""
    row = employee_row(session, cooperative_id, member_id)
    row.first_name, row.last_name = first_name, last_name


def open_activity(session: Session, cooperative_id: str, code: str, member_ids) -> None:
    """An activity opened for ``member_ids``: each is paid from their first one."""
    for member in member_ids:
        row = employee_row(session, cooperative_id, member)
        row.activity_code = activity_paid_from(row.activity_code, code)


def sign_contract(session: Session, cooperative_id: str, member_id: str, kind: str,
                  contract_id: str, signed_on: date) -> None:
    """A CESA signed: the member is paid from that day (another contract pays nothing)."""
    if kind == "CESA":
        check_contract_day(signed_on, "signed_on")
        row = employee_row(session, cooperative_id, member_id)
        row.contract_id = str(contract_id)
        row.cesa_from, row.cesa_until = signed_on, None


def end_contract(session: Session, cooperative_id: str, member_id: str, kind: str,
                 ended_on: date) -> None:
    """A CESA ended: the member is paid until that day."""
    if kind == "CESA":
        check_contract_day(ended_on, "ended_on")
        employee_row(session, cooperative_id, member_id).cesa_until = ended_on


def change_terms(session: Session, cooperative_id: str, member_id: str, cadre: bool,
                 withholding_rate: str, monthly_hours: str | None = None,
                 **payslip_terms) -> Employee:
    """Cadre or not, the withholding rate the tax office notified, the contract's monthly
    hours (None: full time), and what the payslip says of them (job title,
    classification, address; an absent one: none)."""
    row = employee(session, cooperative_id, member_id)
    row.cadre = cadre
    row.withholding_rate = parse_rate(withholding_rate, "withholding_rate")
    row.monthly_hours_x100 = parse_hours(monthly_hours)
    for name in PAYSLIP_TERMS:
        setattr(row, name, payslip_terms.get(name))
    return row


def payable_employee(session: Session, cooperative_id: str, member_id: str,
                     period: Period) -> Employee:
    """The member, paid in ``period``: under a CESA in force, from an activity."""
    row = employee(session, cooperative_id, member_id)
    refuse_unpaid(row, period)
    return row


def year_to_date(session: Session, cooperative_id: str, member_id: str,
                 period: int) -> engine.YearToDate:
    """The member's pay in the months of the year before ``period``."""
    return engine_year_to_date(session.get(YearToDate, (cooperative_id, member_id, period // 100)),
                               period)


# -- the activity's budget ----------------------------------------------------------------------

def record_budget(session: Session, cooperative_id: str, activity: str, available: int,
                  as_of: datetime) -> None:
    """The ledger's latest word on an activity's budget (an older event changes nothing).

    One statement: two versions handled at once in two transactions (the handler's
    batches run concurrently) keep the later, since the second waits for the first's row
    lock and then compares with what it committed. A read then a write would let the
    earlier version overwrite the later one (the e2e suite met it)."""
    table = Budget.__table__
    statement = dialect_insert(session)(table).values(
        cooperative_id=cooperative_id, activity_code=activity, available_cents=available,
        as_of=as_of)
    session.execute(statement.on_conflict_do_update(
        index_elements=[table.c.cooperative_id, table.c.activity_code],
        set_={"available_cents": statement.excluded.available_cents,
              "as_of": statement.excluded.as_of},
        where=table.c.as_of < statement.excluded.as_of))




def available(session: Session, cooperative_id: str, activity: str | None) -> int:
    row = session.get(Budget, (cooperative_id, activity)) if activity else None
    return row.available_cents if row is not None else 0
