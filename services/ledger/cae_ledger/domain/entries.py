"""Pure ledger rules (no framework, no database): the chart, journals and entries.

Conventions written down once:

* Amounts are ``int`` cents (see :mod:`cae_ledger.domain.money` for the rounding rule).
* A line is on one account, with exactly one of debit or credit positive, and an
  optional **analytic** code: the activity it belongs to, or ``None`` for the
  cooperative's shared analytic. As in enDI, every line of an activity's
  operation carries the activity's code, so the analytic ledger is the general
  ledger filtered by code.
* An entry is balanced (debits = credits > 0) and immutable. A correction is a
  reversing entry: the same lines with debit and credit swapped, naming the
  original; an entry is reversed at most once.
* Amounts and dates stay within the platform's ranges (:mod:`caekit.bounds`): every
  amount and every line from 0 to ``MAX_CENTS`` (10**12 cents), every date from
  1900-01-01 to 2200-12-31 (``amount.out_of_range``, ``date.out_of_range``), whether it
  comes from a request or an event.
* Periods are calendar months (:class:`caekit.period.Period`, an ``int`` ``YYYYMM``);
  a fiscal year is a calendar year. Months are closed one after the other, each once
  it is over; the books are then closed up to the latest closed month: no entry is
  dated in it or before it (:func:`check_open`, :func:`check_closable`).
* An activity's **available budget** (L7332-3: revenue after the charges directly
  linked to the activity and after the contribution) is
  ``cash received HT - contribution - expenses - salary costs``, where, on the
  lines carrying the activity's code, contribution is account 658, salary costs
  641 and 645, expenses every other class-6 account, and cash received HT is the
  revenue (excluding VAT) of the payment entries.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from cae_ledger.domain.contribution import Schedule, monthly_top_up
from cae_ledger.domain.money import UnbalancedEntry, check_balanced, round_half_up
from caekit.bounds import MAX_CENTS, check_cents, check_day
from caekit.period import Period
from caekit.rules import RuleViolation

# Plan Comptable Général accounts the platform uses (domain.md, "Money"), with their type.
CHART_OF_ACCOUNTS: dict[str, tuple[str, str]] = {
    "401": ("Fournisseurs", "liability"),
    "411": ("Clients", "asset"),
    "421": ("Personnel - rémunérations dues", "liability"),
    "425": ("Personnel - notes de frais", "liability"),
    "431": ("Sécurité sociale (URSSAF)", "liability"),
    "437": ("Autres organismes sociaux", "liability"),
    "4421": ("Prélèvements à la source (impôt sur le revenu)", "liability"),
    "44566": ("TVA déductible sur autres biens et services", "asset"),
    "44571": ("TVA collectée", "liability"),
    "512": ("Banque", "asset"),
    "601": ("Achats stockés - matières premières", "expense"),
    "606": ("Achats non stockés de matières et fournitures", "expense"),
    "613": ("Locations", "expense"),
    "616": ("Primes d'assurances", "expense"),
    "622": ("Rémunérations d'intermédiaires et honoraires", "expense"),
    "623": ("Publicité, publications, relations publiques", "expense"),
    "625": ("Déplacements, missions et réceptions", "expense"),
    "626": ("Frais postaux et de télécommunications", "expense"),
    "627": ("Services bancaires et assimilés", "expense"),
    "641": ("Rémunérations du personnel", "expense"),
    "645": ("Charges de sécurité sociale et de prévoyance", "expense"),
    "658": ("Contribution coopérative (charges diverses de gestion courante)", "expense"),
    "706": ("Prestations de services", "revenue"),
    "707": ("Ventes de marchandises", "revenue"),
    "758": ("Contributions des activités (produits divers de gestion courante)", "revenue"),
}

# Third-party (auxiliary) accounts an activity gets, keyed by the activity's analytic code.
ACTIVITY_AUXILIARY_ACCOUNTS = ("401", "411", "421", "425")

JOURNALS: dict[str, str] = {
    "VT": "Ventes",
    "AC": "Achats",
    "BQ": "Banque",
    "PA": "Paie",
    "OD": "Opérations diverses",
}

KINDS = ("manual", "invoice", "payment", "expense", "supplier_payment", "salary", "contribution")

CONTRIBUTION_ACCOUNT = "658"  # charged to the activity's analytic
CONTRIBUTION_INCOME_ACCOUNT = "758"  # received on the cooperative's shared analytic
SALARY_ACCOUNTS = ("641", "645")

# an activity's code (analytic code, auxiliary accounts' suffix): 1-20 of A-Z 0-9 _ -
ACTIVITY_CODE = re.compile(r"[A-Z0-9][A-Z0-9_-]{0,19}")


def is_activity_code(code: object) -> bool:
    return isinstance(code, str) and ACTIVITY_CODE.fullmatch(code) is not None


def auxiliary_account(general_account: str, activity_code: str) -> str:
    """The auxiliary account number of an activity (FEC CompAuxNum), e.g. 411-BOULANGE."""
    return f"{general_account}-{activity_code}"


def general_account_of(number: str) -> str:
    return number.split("-", 1)[0]


def activity_accounts(code: str) -> tuple[tuple[str, str, str, str], ...]:
    """The auxiliary accounts an activity opens with: (number, label, type, general account)."""
    return tuple((auxiliary_account(general, code), f"{CHART_OF_ACCOUNTS[general][0]} - {code}",
                  CHART_OF_ACCOUNTS[general][1], general)
                 for general in ACTIVITY_AUXILIARY_ACCOUNTS)


@dataclass(frozen=True)
class Line:
    account: str  # "706" or an auxiliary "411-BOULANGE"
    debit_cents: int = 0
    credit_cents: int = 0
    activity_code: str | None = None  # analytic; None = the cooperative's shared analytic

    @property
    def general_account(self) -> str:
        return general_account_of(self.account)

    @property
    def signed_cents(self) -> int:
        """Debit positive, credit negative."""
        return self.debit_cents - self.credit_cents

    def swapped(self) -> Line:
        return replace(self, debit_cents=self.credit_cents, credit_cents=self.debit_cents)


@dataclass(frozen=True)
class EntryDraft:
    """An entry before it is posted; :func:`check_entry` decides if it can be."""

    journal: str
    entry_date: date
    piece_ref: str
    label: str
    lines: tuple[Line, ...]
    kind: str = "manual"
    revenue_cents: int = 0  # revenue HT this entry receives (payment) or invoices (invoice)
    piece_date: date | None = None
    reverses: str | None = None  # the id of the entry this one reverses
    activity_code: str | None = None  # the activity the operation is for, if one

    def __post_init__(self) -> None:
        object.__setattr__(self, "lines", tuple(self.lines))


def check_entry(draft: EntryDraft, closed: Collection[int] = ()) -> int:
    """Refuse an entry that cannot be posted (``closed``: the closed periods); return its
    total (sum of debits)."""
    if draft.journal not in JOURNALS:
        raise RuleViolation("entry.unknown_journal", f"unknown journal {draft.journal!r}; "
                            f"journals are {', '.join(JOURNALS)}")
    if draft.kind not in KINDS:
        raise RuleViolation("entry.unknown_kind", f"unknown kind {draft.kind!r}")
    check_day(draft.entry_date, "date")
    for i, line in enumerate(draft.lines):
        check_cents(line.debit_cents, f"lines.{i}.debit_cents", minimum=0)
        check_cents(line.credit_cents, f"lines.{i}.credit_cents", minimum=0)
    try:
        total = check_balanced([(line.debit_cents, line.credit_cents) for line in draft.lines])
    except UnbalancedEntry as exc:
        raise RuleViolation("entry.unbalanced", f"the entry is refused: {exc}") from exc
    check_open(draft.entry_date, closed)
    return total


def check_open(day: date, closed: Collection[int], field: str = "date") -> None:
    """Refuse ``day`` when the books are closed on it (``period.closed``): its month is
    closed, or comes before the latest closed month (months close in order, so every
    month up to the latest closed one is closed)."""
    period = Period.of(day)
    if period in closed:
        raise RuleViolation("period.closed", f"the period {period.text} is closed: no entry can "
                            f"be dated {day.isoformat()}", (field,))
    last = max(closed, default=None)
    if last is not None and period < last:
        raise RuleViolation("period.closed", f"the books are closed up to {Period(last).text}: "
                            f"no entry can be dated {day.isoformat()}", (field,))


def first_open_day(day: date, closed: Collection[int]) -> date:
    """``day`` itself when the books are open on it, else the first day of the month after
    the latest closed month."""
    last = max(closed, default=None)
    if last is not None and Period.of(day) <= last:
        return Period(last).next().first_day
    return day


def check_reversal(original: EntryDraft, original_id: str, on: date, *,
                   derived_from: str | None, already_reversed: bool) -> None:
    """Refuse to reverse ``original`` when it is itself a reversal, a contribution charged on
    another entry (``derived_from``: reversed with it), already reversed, or dated after ``on``."""
    if original.reverses is not None:
        raise RuleViolation("entry.is_a_reversal", "a reversing entry is not reversed: post the "
                            "operation again")
    if derived_from is not None:
        raise RuleViolation("entry.derived", "this contribution is reversed with the entry it "
                            f"was charged on ({derived_from})")
    if already_reversed:
        raise RuleViolation("entry.already_reversed", f"entry {original_id} is already reversed")
    if on < original.entry_date:
        raise RuleViolation("entry.reversal_date", "a reversal cannot be dated before the entry")


def reversal_of(original: EntryDraft, original_id: str, on: date, label: str | None = None) -> EntryDraft:
    """The entry that cancels ``original``: its lines swapped, dated ``on``."""
    return replace(original, entry_date=on, piece_date=on, reverses=original_id,
                   label=label or f"Extourne de {original.piece_ref}: {original.label}"[:200],
                   lines=tuple(line.swapped() for line in original.lines),
                   revenue_cents=-original.revenue_cents)


# -- business operations as postings ----------------------------------------------------------

def invoice(activity: str, on: date, piece_ref: str, label: str, net_cents: int, vat_cents: int,
            revenue_account: str = "706") -> EntryDraft:
    """Invoice issued: 411-activity debit TTC / 706 or 707 credit HT / 44571 credit VAT."""
    if revenue_account not in ("706", "707"):
        raise RuleViolation("invoice.revenue_account", "an invoice credits 706 (services) or 707 (goods)")
    _positive(net_cents, "net_cents")
    _not_negative(vat_cents, "vat_cents")
    _total_in_range(net_cents + vat_cents, "net_cents", "vat_cents")
    lines = [Line(auxiliary_account("411", activity), debit_cents=net_cents + vat_cents, activity_code=activity),
             Line(revenue_account, credit_cents=net_cents, activity_code=activity)]
    if vat_cents:
        lines.append(Line("44571", credit_cents=vat_cents, activity_code=activity))
    return EntryDraft("VT", on, piece_ref, label, tuple(lines), kind="invoice", revenue_cents=net_cents,
                      activity_code=activity)


def payment(activity: str, on: date, piece_ref: str, label: str, amount_cents: int,
            vat_cents: int) -> EntryDraft:
    """Payment received: 512 debit / 411-activity credit, both TTC; revenue HT = amount - VAT."""
    _positive(amount_cents, "amount_cents")
    _not_negative(vat_cents, "vat_cents")
    if vat_cents >= amount_cents:
        raise RuleViolation("payment.vat", "the VAT of a payment must be less than its amount")
    return EntryDraft("BQ", on, piece_ref, label, (
        Line("512", debit_cents=amount_cents, activity_code=activity),
        Line(auxiliary_account("411", activity), credit_cents=amount_cents, activity_code=activity),
    ), kind="payment", revenue_cents=amount_cents - vat_cents, activity_code=activity)


def vat_share(amount_cents: int, invoice_total_cents: int, invoice_vat_cents: int) -> int:
    """The VAT a part payment carries: in proportion to the invoice, rounded half-up."""
    if invoice_total_cents <= 0:
        return 0
    return round_half_up(Decimal(amount_cents) * invoice_vat_cents / invoice_total_cents)


def expense(activity: str, on: date, piece_ref: str, label: str, account: str, net_cents: int,
            vat_cents: int, expense_report: bool = False) -> EntryDraft:
    """Expense: 6xx debit HT + 44566 debit VAT / 401-activity (or 425-activity, an expense report) credit."""
    if not account.startswith("6") or account in (*SALARY_ACCOUNTS, CONTRIBUTION_ACCOUNT):
        raise RuleViolation("expense.account", f"an expense is charged to a class-6 expense account, not {account}")
    _positive(net_cents, "net_cents")
    _not_negative(vat_cents, "vat_cents")
    _total_in_range(net_cents + vat_cents, "net_cents", "vat_cents")
    payable = auxiliary_account("425" if expense_report else "401", activity)
    lines = [Line(account, debit_cents=net_cents, activity_code=activity)]
    if vat_cents:
        lines.append(Line("44566", debit_cents=vat_cents, activity_code=activity))
    lines.append(Line(payable, credit_cents=net_cents + vat_cents, activity_code=activity))
    return EntryDraft("AC", on, piece_ref, label, tuple(lines), kind="expense", activity_code=activity)


def supplier_payment(activity: str, on: date, piece_ref: str, label: str, amount_cents: int,
                     expense_report: bool = False) -> EntryDraft:
    """Paying a supplier (401-activity) or an expense report (425-activity): debit it / 512 credit."""
    _positive(amount_cents, "amount_cents")
    payable = auxiliary_account("425" if expense_report else "401", activity)
    return EntryDraft("BQ", on, piece_ref, label, (
        Line(payable, debit_cents=amount_cents, activity_code=activity),
        Line("512", credit_cents=amount_cents, activity_code=activity),
    ), kind="supplier_payment", activity_code=activity)


@dataclass(frozen=True)
class Payslip:
    """The amounts of a payslip the ledger posts (contract cae.payroll.payslip_issued.v1)."""

    gross_cents: int
    employer_contributions_cents: int
    employee_contributions_cents: int
    net_paid_cents: int
    withholding_tax_cents: int
    urssaf_cents: int  # employee + employer contributions due to URSSAF
    other_bodies_cents: int  # retirement (AGIRC-ARRCO), unemployment, provident bodies...

    def check(self) -> None:
        for name in self.__dataclass_fields__:
            _not_negative(getattr(self, name), name)
        _positive(self.gross_cents, "gross_cents")
        contributions = self.employer_contributions_cents + self.employee_contributions_cents
        if self.urssaf_cents + self.other_bodies_cents != contributions:
            raise RuleViolation("payslip.unbalanced", "URSSAF + other bodies must equal employee + "
                                "employer contributions")
        if self.gross_cents - self.employee_contributions_cents - self.withholding_tax_cents != self.net_paid_cents:
            raise RuleViolation("payslip.unbalanced", "net paid must be gross - employee contributions - "
                                "income tax withheld")


def salary(activity: str, on: date, piece_ref: str, label: str, slip: Payslip) -> EntryDraft:
    """Salary: 641 gross + 645 employer contributions / 421 net paid, 431 URSSAF, 437 others, 4421 tax."""
    slip.check()
    lines = [Line("641", debit_cents=slip.gross_cents, activity_code=activity)]
    if slip.employer_contributions_cents:
        lines.append(Line("645", debit_cents=slip.employer_contributions_cents, activity_code=activity))
    for account, cents in ((auxiliary_account("421", activity), slip.net_paid_cents),
                           ("431", slip.urssaf_cents), ("437", slip.other_bodies_cents),
                           ("4421", slip.withholding_tax_cents)):
        if cents:
            lines.append(Line(account, credit_cents=cents, activity_code=activity))
    return EntryDraft("PA", on, piece_ref, label, tuple(lines), kind="salary", activity_code=activity)


def contribution(activity: str, on: date, piece_ref: str, label: str, amount_cents: int) -> EntryDraft:
    """The contribution, moved from the activity's analytic to the cooperative's shared one."""
    _positive(amount_cents, "amount_cents")
    return EntryDraft("OD", on, piece_ref, label, (
        Line(CONTRIBUTION_ACCOUNT, debit_cents=amount_cents, activity_code=activity),
        Line(CONTRIBUTION_INCOME_ACCOUNT, credit_cents=amount_cents, activity_code=None),
    ), kind="contribution", activity_code=activity)


def check_closable(period: Period, today: date, closed: Collection[int],
                   first_with_entries: int | None = None) -> None:
    """A month is closed once it is over, once, and in order.

    * ``period.not_over``: a month can be closed from the first day of the next one
      (``today`` after its last day);
    * ``period.already_closed``: it is closed, or before the latest closed month (the
      books are closed up to that one);
    * ``period.earlier_open``: months are closed one after the other: the month after the
      latest closed one first, or, while none is closed, the first month with entries
      (``first_with_entries``) first, so that no month with entries, and no month's
      minimum contributions, is skipped.
    """
    if period.last_day >= today:
        raise RuleViolation("period.not_over", f"{period.text} is not over yet: it can be closed "
                            f"from {period.next().first_day.isoformat()}", ("period",))
    last = max(closed, default=None)
    if period in closed:
        raise RuleViolation("period.already_closed", f"{period.text} is already closed",
                            ("period",))
    if last is not None and period < last:
        raise RuleViolation("period.already_closed", f"{period.text} is closed: the books are "
                            f"closed up to {Period(last).text}", ("period",))
    first = Period(last).next() if last is not None else (
        Period(first_with_entries) if first_with_entries is not None else None)
    if first is not None and first < period:
        why = "the month after the latest closed one" if last is not None else \
            "the first month with entries"
        raise RuleViolation("period.earlier_open", f"{first.text} is still open: months are "
                            f"closed in order, {first.text} ({why}) first", ("period",))


def cancellation_day(cancelled_on: date, entry_date: date, closed: Collection[int]) -> date:
    """The date of the reversal of a salary whose payroll run was cancelled: the day the
    run was cancelled, or the salary's own date when that is later (a reversal is never
    dated before its entry); and when the books are closed on that day, the first day of
    the month after the latest closed month (:func:`first_open_day`)."""
    return first_open_day(max(check_day(cancelled_on, "cancelled_on"), entry_date), closed)


def minimum_contribution(activity: str, period: Period, schedule: Schedule,
                         charged_cents: int) -> EntryDraft | None:
    """The top-up to the schedule's monthly minimum of an activity charged ``charged_cents``
    in ``period``, dated its last day; None when nothing is short."""
    top_up = monthly_top_up(schedule, charged_cents)
    if not top_up:
        return None
    return contribution(activity, period.last_day, f"MIN-{period}",
                        f"Contribution minimale du mois {period.text}", top_up)


# -- balances -----------------------------------------------------------------------------------

@dataclass
class Budget:
    """An activity's budget components, in cents (see the module docstring)."""

    cash_received_cents: int = 0
    contribution_cents: int = 0
    expenses_cents: int = 0
    salary_costs_cents: int = 0

    @property
    def available_cents(self) -> int:
        return (self.cash_received_cents - self.contribution_cents - self.expenses_cents
                - self.salary_costs_cents)

    def add(self, other: Budget) -> None:
        self.cash_received_cents += other.cash_received_cents
        self.contribution_cents += other.contribution_cents
        self.expenses_cents += other.expenses_cents
        self.salary_costs_cents += other.salary_costs_cents


def budget_effects(kind: str, revenue_cents: int, lines: Iterable[Line],
                   activity_code: str | None) -> dict[str, Budget]:
    """How an entry moves the budget of each activity its lines name."""
    effects: dict[str, Budget] = {}
    for line in lines:
        if line.activity_code is None:
            continue
        budget = effects.setdefault(line.activity_code, Budget())
        general = line.general_account
        if general == CONTRIBUTION_ACCOUNT:
            budget.contribution_cents += line.signed_cents
        elif general in SALARY_ACCOUNTS:
            budget.salary_costs_cents += line.signed_cents
        elif general.startswith("6"):
            budget.expenses_cents += line.signed_cents
    if kind == "payment" and activity_code is not None:
        effects.setdefault(activity_code, Budget()).cash_received_cents += revenue_cents
    return effects


def _positive(value: int, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be int cents")
    if value <= 0:
        raise RuleViolation("amount.not_positive", f"{name} must be positive", (name,))
    check_cents(value, name, minimum=1)


def _not_negative(value: int, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be int cents")
    if value < 0:
        raise RuleViolation("amount.negative", f"{name} must not be negative", (name,))
    check_cents(value, name, minimum=0)


def _total_in_range(total: int, *parts: str) -> None:
    """An amount made of ``parts`` (net + VAT) is within the range of one amount too."""
    if total > MAX_CENTS:
        raise RuleViolation("amount.out_of_range", f"{' + '.join(parts)} must not exceed "
                            f"{MAX_CENTS} cents", parts)
