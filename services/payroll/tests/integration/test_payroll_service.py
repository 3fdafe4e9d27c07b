"""Salary choice, simulation, a run and its payslips, over HTTP and events."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import text

from cae_contracts import parse_event
from cae_payroll.adapters.document import euros
from caekit.db import make_engine
from caekit.testing import bearer, count_rows, eventually


def test_a_salary_above_the_budget_is_refused_with_the_shortfall_unless_staff_override(payroll):
    payroll.hire("LEA", 300_000)
    member = payroll.members["LEA"]
    simulated = payroll.get(f"employees/{member}/simulation", headers=payroll.owner("LEA"),
                            period="2026-03").json()
    best = simulated["budget_pays_gross_cents"]
    assert simulated["employer_cost_cents"] <= 300_000 and simulated["fits"]
    over = payroll.get(f"employees/{member}/simulation", period="2026-03", gross=best + 1).json()
    assert over["employer_cost_cents"] > 300_000 and not over["fits"]
    # the entrepreneur chooses more than the budget pays: refused, with the shortfall
    refused = payroll.post(f"employees/{member}/salary", {"period": "2026-03",
                                                          "gross_cents": 250_000},
                           headers=payroll.owner("LEA"), expect=422)
    assert refused["errors"]["rule"] == ["budget.exceeded"]
    assert "short" in refused["detail"] and "at most" in refused["detail"]
    assert count_rows(payroll.db, "salary_choices") == 0
    # nor can they override it themselves
    self_override = payroll.post(f"employees/{member}/salary", {
        "period": "2026-03", "gross_cents": 250_000, "override_reason": "I insist"},
        headers=payroll.owner("LEA"), expect=422)
    assert self_override["errors"]["rule"] == ["budget.override_by_staff"]
    # staff override with a reason: accepted, and announced
    chosen = payroll.post(f"employees/{member}/salary", {
        "period": "2026-03", "gross_cents": 250_000, "override_reason": "advance agreed"})
    assert chosen["override_reason"] == "advance agreed" and chosen["employer_cost_cents"] > 300_000
    eventually(lambda: count_rows(payroll.db, "outbox",
                                  "WHERE event_type = 'cae.payroll.budget_exceeded.v1'") == 1)
    # within the budget, the entrepreneur chooses alone
    own = payroll.post(f"employees/{member}/salary", {"period": "2026-04", "gross_cents": best},
                       headers=payroll.owner("LEA"))
    assert own["override_reason"] is None
    # another entrepreneur sees none of it
    stranger = bearer(payroll.token(str(uuid.uuid4()), "entrepreneur", payroll.coop))
    payroll.get(f"employees/{member}/simulation", headers=stranger, expect=403)
    payroll.post(f"employees/{member}/salary", {"period": "2026-04", "gross_cents": 1},
                 headers=stranger, expect=403)


def test_a_run_issues_one_payslip_per_salaried_entrepreneur(payroll):
    paid = {code: payroll.hire(code, 2_000_000) for code in ("ANA", "BEN", "CLE")}
    payroll.hire("DAN", 2_000_000)  # no salary chosen: not paid
    for code, gross in (("ANA", 200_000), ("BEN", 450_000), ("CLE", 182_307)):
        payroll.post(f"employees/{paid[code]}/salary", {"period": "2026-01", "gross_cents": gross})
    payroll.http.put(f"{payroll.url}/employees/{paid['BEN']}/terms", headers={
        **payroll.staff(), "Idempotency-Key": "t1"}, json={"cadre": True, "withholding_rate": "0.075"})
    run = payroll.post("payroll-runs", {"period": "2026-01"})
    assert (run["expected"], run["status"]) == (3, "running")
    eventually(lambda: payroll.get(f"payroll-runs/{run['id']}").json()["status"] == "completed")
    assert payroll.get(f"payroll-runs/{run['id']}").json()["issued"] == 3
    slips = payroll.get("payslips", period="2026-01").json()["items"]
    assert sorted(s["gross_cents"] for s in slips) == [182_307, 200_000, 450_000]
    ben = next(s for s in slips if s["member_id"] == paid["BEN"])
    assert ben["cadre"] and ben["withholding_tax_cents"] > 0
    assert ben["net_paid_cents"] == ben["gross_cents"] - ben["employee_contributions_cents"] \
        - ben["withholding_tax_cents"]
    assert {x["code"] for x in ben["lines"]} >= {"agirc_arrco_t1", "agirc_arrco_t2", "apec", "cet"}
    # February continues the year: the reduction is regularised on January's pay
    run2 = payroll.post("payroll-runs", {"period": "2026-02"})
    # the run has fixed February's salaries: a change is March's
    closed = payroll.post(f"employees/{paid['ANA']}/salary",
                          {"period": "2026-02", "gross_cents": 190_000}, expect=422)
    assert closed["errors"]["rule"] == ["salary.month_closed"]
    assert "choose this salary from 2026-03" in closed["detail"]
    eventually(lambda: payroll.get(f"payroll-runs/{run2['id']}").json()["status"] == "completed")
    assert count_rows(payroll.db, "year_to_date", "WHERE last_period = 202602") == 3
    assert count_rows(payroll.db, "year_to_date", "WHERE gross_cents IN (400000, 900000, 364614)") == 3
    # the same month again is refused: resume it instead (nothing missing: nothing asked)
    again = payroll.post("payroll-runs", {"period": "2026-01"}, expect=422)
    assert again["errors"]["rule"] == ["run.exists"]
    resumed = payroll.post(f"payroll-runs/{run['id']}/resume", expect=200)
    assert resumed["requested_again"] == 0
    # the entrepreneur reads their own payslip and its document, nobody else's
    ana = payroll.owner("ANA")
    own = payroll.get("payslips", headers=ana).json()["items"]
    assert {s["member_id"] for s in own} == {paid["ANA"]} and len(own) == 2
    document = payroll.get(f"payslips/{own[0]['id']}/document", headers=ana)
    assert document.headers["Content-Type"].startswith("text/html")
    assert "Net à payer avant impôt" in document.text and "Coût total employeur" in document.text
    # the same bulletin as a PDF, asked by ?format= or by Accept (text uncompressed: readable)
    pdf = payroll.get(f"payslips/{own[0]['id']}/document", headers=ana, format="pdf")
    assert pdf.headers["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
    assert 'filename="bulletin-de-paie-2026-0' in pdf.headers["Content-Disposition"]
    written = pdf.content.decode("latin-1")  # Helvetica's encoding
    net_paid = euros(own[0]["net_paid_cents"]).replace("\u202f", " ")
    for said in ("Net à payer avant impôt", "Coût total employeur", f"({net_paid}) Tj"):
        assert said in written, said
    accepted = payroll.get(f"payslips/{own[0]['id']}/document",
                           headers={**ana, "Accept": "application/pdf"})
    assert accepted.content.startswith(b"%PDF-")
    payroll.get(f"payslips/{own[0]['id']}/document", headers=ana, expect=422, format="docx")
    payroll.get(f"payslips/{ben['id']}/document", headers=ana, expect=403, format="pdf")
    payroll.get(f"payslips/{ben['id']}", headers=ana, expect=403)
    payroll.get("payslips", headers=ana, expect=403, member=paid["BEN"])
    payroll.get(f"payslips/{uuid.uuid4()}", expect=404)
    # six payslip_issued events for the ledger (in batches: a row per month's transaction
    # here), each with balanced amounts
    engine = make_engine(payroll.db)
    with engine.connect() as conn:
        bodies = conn.execute(text("SELECT body FROM outbox WHERE event_type = "
                                   "'cae.payroll.payslip_issued.v1'")).scalars().all()
    engine.dispose()
    events = [parse_event(each) for body in bodies for each in json.loads(body)]
    assert len(events) == 6 and len(bodies) < 6
    assert all(e.data["gross_cents"] - e.data["employee_contributions_cents"]
               - e.data["withholding_tax_cents"] == e.data["net_paid_cents"] for e in events)


def test_the_cli_starts_a_run_and_follows_it_to_the_end(payroll):
    import subprocess
    import sys

    for code in ("ANA", "BEN"):
        member = payroll.hire(code, 2_000_000)
        payroll.post(f"employees/{member}/salary", {"period": "2026-05", "gross_cents": 230_000})
    env = {"CAE_DATABASE_URL": payroll.db, "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "caekit.cli", "payroll", "run", "--cooperative", payroll.coop,
         "--period", "2026-05"], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "2 payslips to issue" in result.stderr and "2/2 payslips" in result.stderr
    run_id = result.stdout.strip()
    assert payroll.get(f"payroll-runs/{run_id}").json()["status"] == "completed"
    again = subprocess.run(
        [sys.executable, "-m", "caekit.cli", "payroll", "run", "--cooperative", payroll.coop,
         "--period", "2026-05"], env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 1 and "resume it" in again.stderr
    resumed = subprocess.run(
        [sys.executable, "-m", "caekit.cli", "payroll", "resume", "--cooperative", payroll.coop,
         "--run", run_id], env=env, capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0 and "0 payslips asked again" in resumed.stderr


def test_a_cooperative_s_run_day_starts_the_month_s_run_once(payroll):
    from datetime import date

    from nameko.testing.services import entrypoint_hook

    today = date.today()
    member = payroll.hire("ANA", 2_000_000)
    payroll.post(f"employees/{member}/salary", {"period": f"{today:%Y-%m}", "gross_cents": 200_000})
    response = payroll.http.put(f"{payroll.url}/payroll-settings", headers={
        **payroll.staff(), "Idempotency-Key": "s1"},
        json={"staff": 12, "at_rate": "0.0125", "run_day": min(today.day, 28)})
    assert response.status_code == 200 and response.json()["staff"] == 12
    if today.day > 28:  # a run day is 1-28; nothing is due on the 29th-31st
        return
    for _ in range(2):  # the hourly timer fires many times on the run day: one run
        with entrypoint_hook(payroll.service.container, "start_scheduled_runs") as tick:
            tick()
    assert count_rows(payroll.db, "runs") == 1
    eventually(lambda: count_rows(payroll.db, "payslips") == 1)


import json as _json  # noqa: E402

import pytest  # noqa: E402

SALARY = {"period": "2026-03", "gross_cents": 200_000}


@pytest.mark.parametrize(("body", "status", "names"), [
    ("{not json", 400, "JSON"),
    ({**SALARY, "gross_cents": 2000.5}, 422, "gross_cents"),
    ({**SALARY, "gross_cents": "200000"}, 422, "gross_cents"),
    ({**SALARY, "gross_cents": -1}, 422, "gross_cents"),
    ({**SALARY, "period": "2026-13"}, 422, "period"),
    ({"gross_cents": 1}, 422, "period"),
    ({**SALARY, "bonus": 1}, 422, "bonus"),
    ({**SALARY, "override_reason": "x" * 10_000_000}, 413, "limit"),
    ({**SALARY, "period": "2025-01"}, 422, "employee.no_cesa"),  # the CESA began in June
])
def test_bad_salary_input_is_a_clear_4xx_and_writes_nothing(payroll, body, status, names):
    member = payroll.hire("ANA", 2_000_000)
    data = body if isinstance(body, str) else _json.dumps(body)
    response = payroll.http.post(f"{payroll.url}/employees/{member}/salary", data=data, headers={
        **payroll.staff(), "Idempotency-Key": uuid.uuid4().hex, "Content-Type": "application/json"})
    assert response.status_code == status, response.text
    assert names in response.text
    assert count_rows(payroll.db, "salary_choices") == 0


def test_the_employee_is_known_by_name_from_member_joined(payroll):
    member = payroll.hire("ANA", 2_000_000)
    employee = payroll.get(f"employees/{member}").json()
    assert (employee["first_name"], employee["last_name"]) == ("Ana", "Martin")
    assert employee["activity_code"] == "ANA"


def test_unknown_and_foreign_ids_and_an_ended_cesa(payroll):
    member = payroll.hire("ANA", 2_000_000)
    payroll.post(f"employees/{uuid.uuid4()}/salary", SALARY, expect=404)
    payroll.get(f"payroll-runs/{uuid.uuid4()}", expect=404)
    foreign = bearer(payroll.token("mallory", "staff", str(uuid.uuid4())))
    payroll.post(f"employees/{member}/salary", SALARY, headers=foreign, expect=403)
    payroll.post("payroll-runs", {"period": "2026-03"}, headers=payroll.owner("ANA"), expect=403)
    response = payroll.http.post(f"{payroll.url}/employees/{member}/salary", json=SALARY,
                                 headers=payroll.staff())
    assert response.status_code == 428  # writes need an Idempotency-Key
    payroll.post(f"employees/{member}/salary", SALARY)
    # the CESA ends in February: March is not paid, and no salary can be chosen for it
    from cae_contracts import build_event
    from caekit.testing import publish_raw

    publish_raw(payroll.amqp_uri, build_event("cae.members.contract_ended.v1", {
        "contract_id": str(uuid.uuid4()), "member_id": member, "cooperative_id": payroll.coop,
        "kind": "CESA", "ended_on": "2026-02-28", "reason": "exit"}, tenant_id=payroll.coop))
    eventually(lambda: count_rows(payroll.db, "employees", "WHERE cesa_until IS NOT NULL") == 1)
    refused = payroll.post(f"employees/{member}/salary", SALARY, expect=422)
    assert refused["errors"]["rule"] == ["employee.no_cesa"]
    # a month before the rate tables (2025) is refused, not a 500
    early = payroll.hire("OLD", 2_000_000, signed_on="2020-01-01")
    refused = payroll.post(f"employees/{early}/salary", {"period": "2024-12", "gross_cents": 1},
                           expect=422)
    assert refused["errors"]["rule"] == ["rates.none"]
    run = payroll.post("payroll-runs", {"period": "2026-03"})
    assert (run["expected"], run["status"]) == (0, "completed")


def test_a_network_operator_starts_every_cooperative_s_month_at_once(payroll):
    member = payroll.hire("ANA", 2_000_000)
    payroll.post(f"employees/{member}/salary", {"period": "2026-07", "gross_cents": 210_000})
    other = str(uuid.uuid4())  # a second cooperative, with no one to pay yet
    response = payroll.http.put(f"{payroll.service.url}/cooperatives/{other}/payroll-settings",
                                headers={**bearer(payroll.token("bob", "staff", other)),
                                         "Idempotency-Key": "o1"},
                                json={"staff": 3, "at_rate": "0.009", "run_day": None})
    assert response.status_code == 200
    operator = bearer(payroll.token("ops", "network_operator"))
    started = payroll.http.post(f"{payroll.service.url}/payroll-runs", json={"period": "2026-07"},
                                headers={**operator, "Idempotency-Key": "n1"})
    assert started.status_code == 201, started.text
    runs = {r["expected"]: r["status"] for r in started.json()["items"]}
    assert runs == {1: "running", 0: "completed"}
    eventually(lambda: count_rows(payroll.db, "payslips", "WHERE period = 202607") == 1)
    again = payroll.http.post(f"{payroll.service.url}/payroll-runs", json={"period": "2026-07"},
                              headers={**operator, "Idempotency-Key": "n2"})
    assert again.status_code == 201 and again.json() == {"items": [], "skipped": []}
    staff = payroll.http.post(f"{payroll.service.url}/payroll-runs", json={"period": "2026-08"},
                              headers={**payroll.staff(), "Idempotency-Key": "n3"})
    assert staff.status_code == 403


def test_a_network_start_commits_in_steps_and_one_interrupted_is_finished_when_sent_again(
        payroll, monkeypatch):
    from cae_payroll.usecases import runs as layer

    cooperatives = [payroll.coop, str(uuid.uuid4()), str(uuid.uuid4())]
    for n, coop in enumerate(cooperatives):
        response = payroll.http.put(
            f"{payroll.service.url}/cooperatives/{coop}/payroll-settings",
            headers={**bearer(payroll.token("bob", "staff", coop)), "Idempotency-Key": f"s{n}"},
            json={"staff": 3, "at_rate": "0.009", "run_day": None})
        assert response.status_code == 200
    monkeypatch.setattr(layer, "NETWORK_STEP", 1)  # a commit a cooperative
    steps, start_runs = [], layer._start_runs

    def dying_at_the_third_step(session, some, period):
        steps.append(some)
        if len(steps) == 3:
            raise RuntimeError("the process dies")
        return start_runs(session, some, period)

    monkeypatch.setattr(layer, "_start_runs", dying_at_the_third_step)
    operator = {**bearer(payroll.token("ops", "network_operator")), "Idempotency-Key": "net-1"}

    def start():
        return payroll.http.post(f"{payroll.service.url}/payroll-runs", json={"period": "2026-07"},
                                 headers=operator)

    assert start().status_code == 500
    assert count_rows(payroll.db, "runs", "WHERE period = 202607") == 2  # two steps committed
    finished = start()  # the same key: it was reserved by no step, the last one reserves it
    assert finished.status_code == 201, finished.text
    assert [run["cooperative_id"] for run in finished.json()["items"]] == [steps[2][0]]
    assert count_rows(payroll.db, "runs", "WHERE period = 202607") == 3
    replayed = start()
    assert replayed.headers.get("Idempotent-Replayed") == "true"
    assert replayed.json() == finished.json() and len(steps) == 4


def test_the_network_operator_follows_every_cooperative_s_run_of_a_month(payroll):
    from .conftest import Payroll

    ana = payroll.hire("ANA", 2_000_000)
    payroll.post(f"employees/{ana}/salary", {"period": "2026-07", "gross_cents": 210_000})
    other = Payroll(payroll.service, payroll.http, payroll.token, payroll.amqp_uri,
                    str(uuid.uuid4()))
    ben = other.hire("BEN", 2_000_000)  # no salary chosen: the run leaves them out
    other.put("payroll-settings", {"staff": 3, "at_rate": "0.009", "run_day": None})
    operator = bearer(payroll.token("ops", "network_operator"))
    network = f"{payroll.service.url}/payroll-runs"
    started = payroll.http.post(network, json={"period": "2026-07"},
                                headers={**operator, "Idempotency-Key": "n1"})
    assert started.status_code == 201, started.text

    def month(**params):
        response = payroll.http.get(network, params={"period": "2026-07", **params},
                                    headers=operator)
        assert response.status_code == 200, response.text
        return response.json()

    def completed():
        found = month()
        return all(run["status"] == "completed" for run in found["items"]) and found

    found = eventually(completed)
    assert found["next_cursor"] is None
    by_coop = {run["cooperative_id"]: run for run in found["items"]}
    assert set(by_coop) == {payroll.coop, other.coop}
    assert [run["cooperative_id"] for run in found["items"]] == sorted(by_coop)
    ours, theirs = by_coop[payroll.coop], by_coop[other.coop]
    assert (ours["expected"], ours["issued"], ours["left_out"]) == (1, 1, [])
    assert ours["started_by"] == "ops" and ours["completed_at"] and ours["period"] == "2026-07"
    assert (theirs["expected"], theirs["issued"]) == (0, 0)
    assert [(o["member_id"], o["reason"]) for o in theirs["left_out"]] == [(ben, "salary.none")]
    # the run of a cooperative's own staff is the network's month too
    own = payroll.post("payroll-runs", {"period": "2026-08"})
    assert [run["id"] for run in month(period="2026-08")["items"]] == [own["id"]]
    # a page at a time
    first = month(limit=1)
    assert len(first["items"]) == 1 and first["next_cursor"]
    second = month(limit=1, cursor=first["next_cursor"])
    assert second["next_cursor"] is None
    assert [r["id"] for r in first["items"] + second["items"]] == [
        r["id"] for r in found["items"]]
    # the cooperatives' own people read no network month
    for headers in (payroll.staff(), payroll.owner("ANA"),
                    bearer(payroll.token("bob", ["staff", "admin"], other.coop))):
        refused = payroll.http.get(network, params={"period": "2026-07"}, headers=headers)
        assert refused.status_code == 403, refused.text
    assert payroll.http.get(network, params={"period": "2026-07"}).status_code == 401
    # a month that is no month, a cursor of another listing: refused, naming the parameter
    for params, name in (({}, "period"), ({"period": "2026-13"}, "period"),
                         ({"period": "07/2026"}, "period"),
                         ({"period": "2026-07", "limit": "0"}, "limit"),
                         ({"period": "2026-07", "cursor": "bm90IGEgY3Vyc29y"}, "cursor")):
        refused = payroll.http.get(network, params=params, headers=operator)
        assert refused.status_code == 422, (params, refused.text)
        assert refused.headers["Content-Type"].startswith("application/problem+json")
        assert list(refused.json()["errors"]) == [name], params
    assert month(period="2026-09") == {"items": [], "next_cursor": None}
