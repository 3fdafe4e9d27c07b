"""Seeds the demo network over the public HTTP APIs and prints where to look."""

from __future__ import annotations

import argparse
import sys
import time

import requests

from caekit.auth import mint
from caekit.config import Settings

NETWORK = [
    ("Coopaname", "732829320", "SCOP-SA", [
        ("Léa", "Martin", "BOULANGE", "Boulangerie Léa"),
        ("Karim", "Benali", "WEBKB", "Studio web Karim"),
        ("Sophie", "Durand", "TRAD-SD", "Traductions Sophie Durand"),
    ]),
    ("Oxalis", "552100554", "SCOP-SARL", [
        ("Marc", "Petit", "RENOV", "Rénovation énergétique Petit"),
        ("Inès", "Moreau", "FORMA", "Formation Moreau"),
    ]),
    ("Grands Ensemble", "542051180", "SCIC-SAS", [
        ("Julie", "Roux", "PAYSAGE", "Paysages Julie Roux"),
    ]),
]


def wait_ready(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/health/ready", timeout=2).json().get("status") == "ok":
                return
        except (requests.RequestException, ValueError):
            pass
        time.sleep(0.3)
    sys.exit(f"demo: {url} is not ready after {timeout}s (see the logs)")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", required=True)
    parser.add_argument("--ledger", required=True)
    parser.add_argument("--payroll", required=True)
    parser.add_argument("--logs", default="var/demo")
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    settings = Settings.from_env("demo")

    def token(sub, roles, coop=None):
        return mint(sub, roles=roles, cooperative_id=coop, settings=settings)

    def auth(tok):
        return {"Authorization": f"Bearer {tok}"}

    wait_ready(args.members)
    wait_ready(args.ledger)
    wait_ready(args.payroll)
    operator = token("network-ops", ["network_operator"])
    seeded = []
    for name, siren, form, people in NETWORK:
        response = requests.post(f"{args.members}/cooperatives", headers=auth(operator),
                                 json={"name": name, "siren": siren, "legal_form": form}, timeout=10)
        response.raise_for_status()
        coop = response.json()["id"]
        staff = token(f"staff@{name.lower().replace(' ', '-')}", ["staff"], coop)
        ids = []
        for first, last, code, activity in people:
            response = requests.post(
                f"{args.members}/cooperatives/{coop}/members", headers=auth(staff), timeout=10,
                json={"first_name": first, "last_name": last, "joined_on": "2026-01-05",
                      "email": f"{first.lower()}.{last.lower()}@example.org",
                      "activity_code": code, "activity_name": activity})
            response.raise_for_status()
            ids.append((response.json()["id"], code))
        seeded.append((name, coop, staff, ids))

    # the scenario crosses services: each activity_opened opens the activity's ledger accounts
    expected = sum(len(p) for *_, p in NETWORK)
    deadline = time.monotonic() + 60
    while True:
        opened = sum(len(requests.get(f"{args.ledger}/cooperatives/{coop}/activities",
                                      headers=auth(staff), timeout=10).json()["items"])
                     for _, coop, staff, _ in seeded)
        if opened == expected:
            break
        if time.monotonic() > deadline:
            sys.exit(f"demo: the ledger opened {opened} of {expected} activities in 60 s")
        time.sleep(0.3)

    # a quarter of business: each activity invoices, is paid (the contribution is charged
    # on the payment) and buys supplies; idempotency keys make a re-run harmless
    for _, coop, staff, ids in seeded:
        for n, (_, code) in enumerate(ids):
            for month in (1, 2, 3):
                net = 150_000 + 25_000 * n + 10_000 * month
                for path, body in (
                        ("invoices", {"date": f"2026-{month:02d}-05", "piece_ref": f"F{month}-{code}",
                                      "label": f"Facture {month}", "net_cents": net,
                                      "vat_cents": net // 5}),
                        ("payments", {"date": f"2026-{month:02d}-25", "piece_ref": f"VIR{month}-{code}",
                                      "label": f"Virement {month}", "amount_cents": net + net // 5,
                                      "invoice_ref": f"F{month}-{code}"}),
                        ("expenses", {"date": f"2026-{month:02d}-10", "piece_ref": f"A{month}-{code}",
                                      "label": "Fournitures", "account": "606",
                                      "net_cents": 12_000, "vat_cents": 2_400})):
                    response = requests.post(
                        f"{args.ledger}/cooperatives/{coop}/{path}", timeout=10,
                        json={"activity_code": code, **body},
                        headers={**auth(staff), "Idempotency-Key": f"demo-{coop}-{path}-{code}-{month}"})
                    response.raise_for_status()

    # payroll: each entrepreneur signs a CESA (members -> payroll), the ledger's budgets
    # reach payroll; each chooses a third of what the budget pays, from March; staff run
    # March; every payslip becomes a salary entry in the ledger
    for _, coop, staff, ids in seeded:
        for member_id, _ in ids:
            response = requests.post(f"{args.members}/cooperatives/{coop}/members/{member_id}/contracts",
                                     headers=auth(staff), timeout=10,
                                     json={"kind": "CESA", "signed_on": "2026-01-05"})
            response.raise_for_status()
    deadline = time.monotonic() + 60
    for _, coop, staff, ids in seeded:
        for member_id, code in ids:
            while True:
                simulated = requests.get(
                    f"{args.payroll}/cooperatives/{coop}/employees/{member_id}/simulation",
                    params={"period": "2026-03"}, headers=auth(staff), timeout=10)
                if simulated.ok and simulated.json()["available_cents"] > 0:
                    break
                if time.monotonic() > deadline:
                    sys.exit(f"demo: payroll has no CESA or budget for {code}: {simulated.text}")
                time.sleep(0.3)
            gross = simulated.json()["budget_pays_gross_cents"] // 3
            requests.post(f"{args.payroll}/cooperatives/{coop}/employees/{member_id}/salary",
                          headers={**auth(staff), "Idempotency-Key": f"demo-salary-{member_id}"},
                          json={"period": "2026-03", "gross_cents": gross},
                          timeout=10).raise_for_status()
        requests.post(f"{args.payroll}/cooperatives/{coop}/payroll-runs",
                      headers={**auth(staff), "Idempotency-Key": f"demo-run-{coop}"},
                      json={"period": "2026-03"}, timeout=10).raise_for_status()
    expected_salaries = sum(len(ids) for *_, ids in seeded)
    while True:
        salaries = sum(len([e for e in requests.get(
            f"{args.ledger}/cooperatives/{coop}/entries", headers=auth(staff), timeout=10,
            params={"limit": 1000}).json()["items"] if e["kind"] == "salary"])
            for _, coop, staff, _ in seeded)
        if salaries == expected_salaries:
            break
        if time.monotonic() > deadline + 60:
            sys.exit(f"demo: the ledger posted {salaries} of {expected_salaries} salaries")
        time.sleep(0.3)

    name, coop, staff, ids = seeded[0]
    member_id, code = ids[0]
    entrepreneur = token(member_id, ["entrepreneur"], coop)
    print(f"""
CAE platform demo: {len(seeded)} cooperatives, {expected} entrepreneurs, {expected} activities
opened in the ledger from activity_opened events, each with a quarter of invoices, payments
(the contribution charged on each) and expenses, a CESA each, and a March payroll run
whose payslips the ledger posted as salaries.

  members  {args.members}   (health: /health/ready, metrics: /metrics)
  ledger   {args.ledger}
  payroll  {args.payroll}
  logs     {args.logs}/members.log, ledger.log, payroll.log
  broker   http://127.0.0.1:15672 (guest/guest), vhost cae_demo

Tokens (HS256 development secret; `cae token --help` mints others):
  export OPS={operator}
  export STAFF={staff}
  export LEA={entrepreneur}

Try:
  curl -s {args.members}/cooperatives -H "Authorization: Bearer $OPS"
  curl -s {args.members}/cooperatives/{coop}/members -H "Authorization: Bearer $STAFF"
  curl -s {args.ledger}/cooperatives/{coop}/activities/{code} -H "Authorization: Bearer $LEA"
  curl -s {args.ledger}/cooperatives/{coop}/activities/{code}/balance -H "Authorization: Bearer $LEA"
  curl -s {args.ledger}/cooperatives/{coop}/activities/{code}/treasury-statement -H "Authorization: Bearer $LEA"
  curl -s "{args.ledger}/cooperatives/{coop}/trial-balance?from=2026-01&to=2026-03" -H "Authorization: Bearer $STAFF"
  curl -s "{args.ledger}/cooperatives/{coop}/fec?year=2026" -H "Authorization: Bearer $STAFF"
  curl -s "{args.payroll}/cooperatives/{coop}/employees/{member_id}/simulation?period=2026-04" -H "Authorization: Bearer $LEA"
  curl -s {args.payroll}/cooperatives/{coop}/payslips -H "Authorization: Bearer $LEA"
  # then open /cooperatives/{coop}/payslips/<id>/document with the token: the bulletin de paie
  curl -s -X POST {args.members}/cooperatives/{coop}/members -H "Authorization: Bearer $STAFF" \\
       -H 'Content-Type: application/json' \\
       -d '{{"first_name":"Nora","last_name":"Blanc","email":"nora@example.org","joined_on":"2026-02-01","activity_code":"NORA"}}'
  curl -s {args.ledger}/cooperatives/{coop}/activities/NORA -H "Authorization: Bearer $STAFF"
  curl -s {args.members}/cooperatives/{coop}/members -H "Authorization: Bearer $LEA"   # 403: staff only
  .venv/bin/cae dlq queues   # parked events, if any (CAE_AMQP_URI=amqp://guest:guest@127.0.0.1:5672/cae_demo)
""", flush=True)
    if args.smoke:
        own = requests.get(f"{args.ledger}/cooperatives/{coop}/activities/{code}",
                           headers=auth(entrepreneur), timeout=10)
        denied = requests.get(f"{args.members}/cooperatives/{coop}/members",
                              headers=auth(entrepreneur), timeout=10)
        if not own.ok or denied.status_code != 403:
            sys.exit(f"demo smoke: entrepreneur access wrong ({own.status_code}, {denied.status_code})")
        budget = requests.get(f"{args.ledger}/cooperatives/{coop}/activities/{code}/balance",
                              headers=auth(entrepreneur), timeout=10).json()
        if budget.get("available_cents", 0) <= 0 or budget.get("contribution_cents", 0) <= 0:
            sys.exit(f"demo smoke: no budget after a quarter of business: {budget}")
        slips = requests.get(f"{args.payroll}/cooperatives/{coop}/payslips",
                             headers=auth(entrepreneur), timeout=10).json()["items"]
        if [s["member_id"] for s in slips] != [member_id]:
            sys.exit(f"demo smoke: the entrepreneur's payslips are wrong: {slips}")
        print("demo smoke: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
