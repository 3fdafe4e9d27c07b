"""One test per journey of the support staff in the portal, in Chromium, against the real
members, ledger and payroll services (staff_journeys.py drives the browser; here, what the
services say it must show, and what they hold afterwards).

These tests write to Les Ateliers' books and payroll (entries, January closed, April's run):
the entrepreneur's tests read the ledger's figures when they run, not the seed's."""

from __future__ import annotations

import uuid
from datetime import date

import requests

from caekit.testing import count_rows, eventually


def _post(url, body, tok):
    response = requests.post(url, json=body, timeout=30, headers={
        "Authorization": f"Bearer {tok}", "Idempotency-Key": uuid.uuid4().hex})
    assert response.status_code in (200, 201), f"{url}: {response.status_code} {response.text}"
    return response.json()


def _url(world, service, path):
    return f"{world.urls[service]}/cooperatives/{world.coop}{path}"


def _get(world, service, path, **params):
    response = requests.get(_url(world, service, path), params=params,
                            headers={"Authorization": f"Bearer {world.staff}"}, timeout=30)
    assert response.ok, response.text
    return response.json()


def _register(world, first, last, joined_on, cesa_on=None):
    member = _post(_url(world, "members", "/members"), {
        "first_name": first, "last_name": last, "email": f"{uuid.uuid4().hex[:8]}@example.org",
        "joined_on": joined_on}, world.staff)
    if cesa_on:
        _post(_url(world, "members", f"/members/{member['id']}/contracts"),
              {"kind": "CESA", "signed_on": cesa_on}, world.staff)
    return member["id"]


def _euros_text(cents: int) -> str:
    return f"{cents // 100},{cents % 100:02d}"


def test_staff_register_a_member_then_see_them_listed(world, journeys):
    found = journeys("staff_register", last_name="Lefort", code="CERAMZ")
    member = _get(world, "members", f"/members/{found['member_id']}")
    assert (member["email"], member["activity_code"]) == ("zoe@example.org", "CERAMZ")
    assert "adresse e-mail" in found["email_error"]


def test_staff_check_a_csv_file_then_import_it_and_see_a_bad_line_refused(world, journeys):
    tag = uuid.uuid4().hex[:6].upper()
    header = "person_ref,first_name,last_name,email,joined_on,cape_signed_on,cape_ends_on,"
    header += "activity_code,activity_name\n"
    people = [("Hugo", f"Lefèvre{tag}", "2026-02-02,2026-02-02,2026-07-31", f"CER{tag}"),
              ("Amina", f"Diallo{tag}", "2026-02-16,,", ""),
              ("Théo", f"Garnier{tag}", "2026-03-02,2026-03-02,2026-08-31", "")]
    good = header + "".join(
        f"IMP-{tag}-{n},{first},{last},{first.lower()}.{tag.lower()}@example.org,{dates},{code},"
        f"{'Céramique ' + first if code else ''}\n"
        for n, (first, last, dates, code) in enumerate(people, 1))
    bad = header + (f"BAD-{tag}-1,Zoé,Bon{tag},zoe.{tag.lower()}@example.org,2026-03-02,,,,\n"
                    f"BAD-{tag}-2,Yann,Faux{tag},pas-une-adresse,2026-03-02,,,,\n")
    before = _get(world, "members", "/members", limit=1000)["items"]
    found = journeys("staff_import", good=good, bad=bad, bad_line=3, contracts=2,
                     names=[f"{first} {last}" for first, last, *_ in people])
    after = _get(world, "members", "/members", limit=1000)["items"]
    assert len(after) == len(before) + 3, "the bad file wrote nothing, the good one 3 people"
    imported = {m["last_name"]: m for m in after if m["last_name"].endswith(tag)}
    assert sorted(imported) == sorted(last for _, last, *_ in people)
    assert imported[f"Lefèvre{tag}"]["activity_code"] == f"CER{tag}"
    contracts = _get(world, "members", f"/members/{imported[f'Garnier{tag}']['id']}/contracts")
    assert [c["kind"] for c in contracts["items"]] == ["CAPE"]
    assert "3 personne(s) et 2 contrat(s)" in found["notice"]
    assert "3" in found["error_row"] and "adresse e-mail" in found["error_row"]


def test_staff_record_a_step_and_sign_a_cape_then_a_cesa(world, journeys):
    member_id = _register(world, "Hugo", "Marchand", "2026-11-15")
    found = journeys("staff_steps_contracts", member_id=member_id)
    kinds = sorted(c["kind"] for c in _get(world, "members", f"/members/{member_id}/contracts")
                   ["items"])
    assert kinds == ["CAPE", "CESA"]
    deadline = date.fromisoformat(_get(world, "members", f"/members/{member_id}")
                                  ["associate_deadline"])
    assert found["deadline"] == deadline.strftime("%d/%m/%Y")
    history = _get(world, "members", f"/members/{member_id}/history")
    assert "diagnostic" in [s["stage"] for s in history["steps"]]


def test_staff_see_the_associate_deadlines_soonest_first(world, journeys):
    _register(world, "Inès", "Ancienne", "2024-05-01", cesa_on="2024-06-01")
    rows = _get(world, "members", "/associate-deadlines", within_days=1095,
                today=date.today().isoformat(), limit=1000)["items"]
    expected = sorted(rows, key=lambda r: (r["associate_deadline"],
                                           f"{r['first_name']} {r['last_name']}"))
    assert expected[0]["last_name"] == "Ancienne"
    found = journeys("staff_deadlines",
                     expected_names=[f"{r['first_name']} {r['last_name']}" for r in expected],
                     soonest=expected[0]["associate_deadline"])
    assert found["rows"] == len(rows) >= 4


def test_staff_see_the_follow_up_interviews_missing_and_record_one(world, journeys):
    def due():
        rows = _get(world, "members", "/follow-up-due", today=date.today().isoformat(),
                    limit=1000)["items"]
        return sorted(rows, key=lambda r: (r["interviews_in_12_months"], r["last_name"],
                                           r["first_name"]))

    before = due()
    sophie = next(r for r in before if r["last_name"] == "Durand")
    found = journeys("staff_follow_up", interviewed="Sophie Durand",
                     expected_names=[f"{r['first_name']} {r['last_name']}" for r in before])
    after = next(r for r in due() if r["last_name"] == "Durand")
    assert after["interviews_in_12_months"] == sophie["interviews_in_12_months"] + 1
    assert found["interviews"] == after["interviews_in_12_months"]


def _entries(world):
    items, after = [], 0
    while True:
        page = _get(world, "ledger", "/entries", after=after, limit=1000)
        items.extend(page["items"])
        after = page.get("next_after")
        if after is None or not page["items"]:
            return items


def test_staff_post_an_invoice_a_payment_an_expense_and_see_a_refusal(world, journeys):
    ref = uuid.uuid4().hex[:6].upper()
    found = journeys("staff_ledger", code=world.people["lea"]["code"], ref=ref)
    posted: dict[str, set] = {}
    for entry in _entries(world):  # a payment's contribution has the payment's piece
        posted.setdefault(entry["piece_ref"], set()).add(entry["kind"])
    assert posted[f"F-{ref}"] == {"invoice"}
    assert "payment" in posted[f"VIR-{ref}"]
    assert posted[f"A-{ref}"] == {"expense"}
    assert f"B-{ref}" not in posted
    assert "plan comptable" in found["refusal"]


def test_staff_close_a_month(world, journeys):
    found = journeys("staff_close_month", code=world.people["lea"]["code"])
    assert "2026-01" in [p["period"] for p in _get(world, "ledger", "/closed-periods")["items"]]
    assert "F-JANV-TARD" not in {e["piece_ref"] for e in _entries(world)}
    assert "clôturés" in found["refusal"]


def test_staff_read_the_trial_balance(world, journeys):
    balance = _get(world, "ledger", "/trial-balance", **{"from": "2026-01", "to": "2026-12"})
    assert balance["debit_cents"] == balance["credit_cents"]
    journeys("staff_trial_balance", debit_cents=balance["debit_cents"],
             accounts=len(balance["items"]))


def test_staff_download_the_fec_with_its_header_line(world, journeys):
    found = journeys("staff_fec")
    assert found["name"] == "732829320FEC20261231.txt"
    assert found["lines"] > 1


def test_staff_start_a_payroll_run_and_watch_it_without_reloading(world, journeys):
    found = journeys("staff_payroll_run", period="2026-04", left_out_name="Sophie Durand")
    run = eventually(lambda: _get(world, "payroll", "/payroll-runs", period="2026-04")["items"],
                     timeout=90, interval=0.2, message="April's run: not within 90 s")[0]
    assert run["status"] == "completed"
    assert found["issued_text"] == f"{run['issued']} bulletin(s) émis sur {run['expected']}."
    assert found["polled"] >= 1
    assert world.people["sophie"]["id"] in [o["member_id"] for o in run["left_out"]]


def test_staff_pay_a_salary_above_the_budget_with_a_reason(world, journeys):
    member = world.people["karim"]["id"]
    period = "2027-02"
    budget = _get(world, "payroll", f"/employees/{member}/simulation", period=period)
    too_much = budget["budget_pays_gross_cents"] + 100_000
    costed = _get(world, "payroll", f"/employees/{member}/simulation", period=period,
                  gross=too_much)
    shortfall = costed["employer_cost_cents"] - costed["available_cents"]
    assert shortfall > 0
    reason = "Un gros contrat signé en janvier, payé en mars."
    journeys("staff_override", member=member, period=period, too_much=_euros_text(too_much),
             shortfall_cents=shortfall, reason=reason)
    assert count_rows(world.payroll_db, "salary_choices",
                      f"WHERE member_id = '{member}' AND gross_cents = {too_much} "
                      f"AND override_reason IS NOT NULL") == 1


def test_staff_never_reach_another_cooperative_nor_entrepreneurs_the_staffs_pages(world, journeys):
    journeys("staff_forbidden")


def test_a_staff_form_posted_without_its_csrf_token_is_refused_and_writes_nothing(world,
                                                                                 journeys):
    before = len(_get(world, "members", "/members", limit=1000)["items"])
    journeys("staff_csrf")
    assert len(_get(world, "members", "/members", limit=1000)["items"]) == before
