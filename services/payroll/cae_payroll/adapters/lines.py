"""A payslip's lines as its ``lines`` column keeps them: compact JSON, read back with
their labels and collecting bodies from the period's rate table."""

from __future__ import annotations

import json

import orjson

from cae_payroll.domain import engine
from caekit.period import Period


def lines_json(slip: engine.Payslip) -> str:
    """The lines as compact JSON: [code, base, employee rate, employee, employer rate,
    employer] (labels and collecting bodies come back from the period's rate table)."""
    return orjson.dumps([
        (x.code, x.base_cents, None if x.employee_rate is None else str(x.employee_rate),
         x.employee_cents, None if x.employer_rate is None else str(x.employer_rate),
         x.employer_cents) for x in slip.lines]).decode()


def lines_of(row) -> list[dict]:
    """A payslip row's lines, each with its label and collecting body."""
    table = engine.table_for(Period(row.period).first_day)
    labels = {line.code: (line.label, line.body) for line in table.lines}
    labels["reduction_generale"] = (engine.REDUCTION_LABEL[table.reduction["kind"]], "urssaf")
    lines = []
    for code, base, employee_rate, employee, employer_rate, employer in json.loads(row.lines):
        label, body = labels.get(code, (code, "urssaf"))
        lines.append({"code": code, "label": label, "base_cents": base,
                      "employee_rate": employee_rate, "employee_cents": employee,
                      "employer_rate": employer_rate, "employer_cents": employer, "body": body})
    return lines
