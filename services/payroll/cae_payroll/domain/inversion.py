"""Inversions: the largest gross a budget (employer cost) pays, the gross a net needs.

Cost is not smooth in gross: it jumps up at the PMSS (CET on the whole salary) and at
3 SMIC (the RGDU ends), but it never goes down when the gross grows by a cent (each
line is a non-decreasing function of the gross, and the reduction, rounded to the
cent, moves by at most a cent when the gross does). So a bisection on whole cents
finds the largest gross whose cost fits, exactly. Net is not monotonic (it drops at
the PMSS, and per-line rounding makes it wobble by a cent or two), so the gross for a
net is searched on each side of the PMSS, then walked down to the smallest gross that
still pays it.
"""

from __future__ import annotations

from datetime import date

from cae_payroll.domain.engine import Employee, YearToDate, payslip, table_for


def cost(month: date, gross_cents: int, employee: Employee, ytd: YearToDate = YearToDate()) -> int:
    return payslip(month, gross_cents, employee, ytd).employer_cost_cents


def gross_for_budget(month: date, budget_cents: int, employee: Employee,
                     ytd: YearToDate = YearToDate()) -> int:
    """The largest gross whose employer cost is at most ``budget_cents`` (0 if none)."""
    if budget_cents <= 0:
        return 0
    low, high = 0, budget_cents
    while cost(month, high, employee, ytd) <= budget_cents:  # a regularised reduction can
        low, high = high, high * 2                            # make cost < gross
    while high - low > 1:  # invariant: cost(low) <= budget < cost(high)
        middle = (low + high) // 2
        if cost(month, middle, employee, ytd) <= budget_cents:
            low = middle
        else:
            high = middle
    return low


def net(month: date, gross_cents: int, employee: Employee, ytd: YearToDate = YearToDate()) -> int:
    return payslip(month, gross_cents, employee, ytd).net_before_tax_cents


def gross_for_net(month: date, net_cents: int, employee: Employee,
                  ytd: YearToDate = YearToDate()) -> int:
    """The smallest gross whose net before tax is at least ``net_cents``."""
    if net_cents <= 0:
        return 0
    pmss = int(table_for(month).pmss * 100)
    for low, high in ((0, pmss), (pmss, None)):
        if high is None:
            high = max(2 * pmss, 2 * net_cents)
            while net(month, high, employee, ytd) < net_cents:
                high *= 2
        elif net(month, high, employee, ytd) < net_cents:
            continue  # not reachable below the PMSS
        while high - low > 1:  # net(high) >= target, searching the smallest
            middle = (low + high) // 2
            if net(month, middle, employee, ytd) >= net_cents:
                high = middle
            else:
                low = middle
        while high > 0 and net(month, high - 1, employee, ytd) >= net_cents:
            high -= 1  # a cent of rounding wobble below the bisection's answer
        return high
    raise AssertionError("unreachable")
