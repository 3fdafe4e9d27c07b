"""Seeds the demo network over the public HTTP APIs and prints where to look: the URLs,
tokens and `curl` lines, then the `cae` commands to try in another shell, with real ids."""

from __future__ import annotations

import argparse
import os
import sys
import time
from urllib.parse import unquote, urlsplit

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


# a file for `cae members import` to try: CAPE contracts only (a CESA would put the people in
# the next payroll run without a salary chosen)
PEOPLE_CSV = """person_ref,first_name,last_name,email,joined_on,cape_signed_on,cape_ends_on,activity_code,activity_name
IMP-001,Hugo,Lefèvre,hugo.lefevre@example.org,2026-02-02,2026-02-02,2026-07-31,CERAM,Céramique Hugo
IMP-002,Amina,Diallo,amina.diallo@example.org,2026-02-16,,,CONSEIL,Conseil Amina Diallo
IMP-003,Théo,Garnier,theo.garnier@example.org,2026-03-02,2026-03-02,2026-08-31,VELO,Ateliers vélo Théo
"""
# the parking queue of the first hop of the demo's scenario (the ledger opening activities)
DLQ_EXAMPLE = "ledger--cae.members.activity_opened.v1"


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
    parser.add_argument("--dir", default="var/demo", help="the demo's directory (stores, logs)")
    parser.add_argument("--root", default=".", help="the checkout (where .venv/bin/cae is)")
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    settings = Settings.from_env("demo")
    root = os.path.abspath(args.root)

    def shown(path: str) -> str:  # a path as typed in `root`
        relative = os.path.relpath(os.path.abspath(path), root)
        return path if relative.startswith("..") else relative

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
    # reach payroll; each chooses a third of what the budget pays (at least the SMIC), from
    # March; staff run March; every payslip becomes a salary entry in the ledger
    for _, coop, staff, ids in seeded:
        for member_id, _ in ids:
            response = requests.post(f"{args.members}/cooperatives/{coop}/members/{member_id}/contracts",
                                     headers=auth(staff), timeout=10,
                                     json={"kind": "CESA", "signed_on": "2026-01-05"})
            response.raise_for_status()
    deadline = time.monotonic() + 60
    march_runs = {}
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
            budget = simulated.json()
            gross = max(budget["budget_pays_gross_cents"] // 3,
                        budget.get("minimum_gross_cents", 0))
            response = requests.post(
                f"{args.payroll}/cooperatives/{coop}/employees/{member_id}/salary",
                headers={**auth(staff), "Idempotency-Key": f"demo-salary-{member_id}"},
                json={"period": "2026-03", "gross_cents": gross}, timeout=10)
            if not response.ok:
                sys.exit(f"demo: payroll refused {code}'s salary: {response.text}")
        response = requests.post(f"{args.payroll}/cooperatives/{coop}/payroll-runs",
                                 headers={**auth(staff), "Idempotency-Key": f"demo-run-{coop}"},
                                 json={"period": "2026-03"}, timeout=10)
        response.raise_for_status()
        march_runs[coop] = response.json()["id"]
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
    slips = requests.get(f"{args.payroll}/cooperatives/{coop}/payslips", timeout=10,
                         headers=auth(entrepreneur)).json()["items"]
    people = os.path.join(args.dir, "people.csv")
    with open(people, "w", encoding="utf-8") as out:
        out.write(PEOPLE_CSV)
    vhost = unquote(urlsplit(settings.amqp_uri).path[1:]) or "/"
    env_file = os.path.join(args.dir, "demo.env")
    found_by_cae = os.path.abspath(env_file) == os.path.join(root, "var", "demo", "demo.env")
    cooperatives = "\n".join(f"  {n:<16} {c}   March run {march_runs[c]}"
                              for n, c, _, _ in seeded)
    print(f"""
CAE platform demo: {len(seeded)} cooperatives, {expected} entrepreneurs, {expected} activities
opened in the ledger from activity_opened events, each with a quarter of invoices, payments
(the contribution charged on each) and expenses, a CESA each, and a March payroll run
whose payslips the ledger posted as salaries.

  members  {args.members}   (health: /health/ready, metrics: /metrics)
  ledger   {args.ledger}
  payroll  {args.payroll}
  logs     {shown(args.dir)}/members.log, ledger.log, payroll.log
  broker   http://127.0.0.1:15672 (guest/guest), vhost {vhost}
  settings {shown(env_file)}: the CAE_* settings of the demo, read by `cae` by itself

Cooperatives:
{cooperatives}

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
  curl -s "{args.payroll}/cooperatives/{coop}/employees/{member_id}/simulation?period=2026-05" -H "Authorization: Bearer $LEA"
  curl -s {args.payroll}/cooperatives/{coop}/payslips -H "Authorization: Bearer $LEA"
  curl -s "{args.payroll}/cooperatives/{coop}/payslips/{slips[0]["id"]}/document?format=pdf" -H "Authorization: Bearer $LEA" -o {shown(args.dir)}/bulletin-de-paie.pdf
  curl -s -X POST {args.members}/cooperatives/{coop}/members -H "Authorization: Bearer $STAFF" \\
       -H 'Content-Type: application/json' \\
       -d '{{"first_name":"Nora","last_name":"Blanc","email":"nora@example.org","joined_on":"2026-02-01","activity_code":"NORA"}}'
  curl -s {args.ledger}/cooperatives/{coop}/activities/NORA -H "Authorization: Bearer $STAFF"
  curl -s {args.members}/cooperatives/{coop}/members -H "Authorization: Bearer $LEA"   # 403: staff only

The command line, in another shell in {root}{"" if found_by_cae else f" (export CAE_ENV_FILE={os.path.abspath(env_file)} first: cae looks for var/demo/demo.env)"}:
  .venv/bin/cae --help
  .venv/bin/cae token --sub alice --roles staff --coop {coop}
  .venv/bin/cae members import {shown(people)} --cooperative {coop} --dry-run
  .venv/bin/cae members import {shown(people)} --cooperative {coop}
  .venv/bin/cae ledger fec --cooperative {coop} --year 2026 --output {shown(args.dir)}
  .venv/bin/cae payroll run --cooperative {coop} --period 2026-04
  .venv/bin/cae payroll resume --cooperative {coop} --run {march_runs[coop]}
  .venv/bin/cae prune ledger --days 30
  .venv/bin/cae dlq queues
  .venv/bin/cae dlq list {DLQ_EXAMPLE}
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
