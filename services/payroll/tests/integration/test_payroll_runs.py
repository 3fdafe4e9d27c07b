"""Runs over HTTP and events: the bounds of what is asked, who a run leaves out, the
listing, cancelling a run before its payment date, the payslip a French employee
recognises, and the signed link that opens it in a browser."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from datetime import UTC, date, datetime, timedelta

from cae_contracts import build_event, parse_event
from cae_payroll.domain import documents
from cae_payroll.usecases.clock import today
from caekit.period import Period
from caekit.testing import bearer, count_rows, eventually, publish_raw
from caekit.testing import query_rows as _rows

SETTINGS = {"staff": 12, "at_rate": "0.0125", "run_day": None}


def _events(url: str, type_: str) -> list:
    """The outbox's events of ``type_`` (a batched row holds several)."""
    events = []
    for (body,) in _rows(url, "SELECT body FROM outbox WHERE event_type = :t", t=type_):
        loaded = json.loads(body)
        events += [parse_event(each) for each in
                   (loaded if isinstance(loaded, list) else [loaded])]
    return events


def _completed(payroll, run_id: str) -> dict:
    return eventually(lambda: (run := payroll.get(f"payroll-runs/{run_id}").json())["status"]
                      == "completed" and run)


# -- 1. bounds ---------------------------------------------------------------------------------

def test_a_run_for_a_month_out_of_bounds_is_refused_and_writes_nothing(payroll):
    """Regression: {"period": "9999-12"} was a 201, a run paid and posted on 9999-12-31,
    after which every real month was refused as out of order."""
    member = payroll.hire("ANA", 2_000_000)
    payroll.post(f"employees/{member}/salary", {"period": "2026-01", "gross_cents": 200_000})
    for period in ("9999-12", "2201-01", "1899-12", "2026-13", "2026-1", "２０２６-０３"):
        refused = payroll.post("payroll-runs", {"period": period}, expect=422)
        assert list(refused["errors"]) == ["period"], period
    after_next = Period.of(today()).next().next()
    ahead = payroll.post("payroll-runs", {"period": after_next.text}, expect=422)
    assert ahead["errors"]["rule"] == ["run.too_far_ahead"] and "period" in ahead["errors"]
    early = payroll.post("payroll-runs", {"period": "1990-01"}, expect=422)  # no rates then
    assert early["errors"]["rule"] == ["rates.none"]
    operator = bearer(payroll.token("ops", "network_operator"))
    network = payroll.http.post(f"{payroll.service.url}/payroll-runs",
                                json={"period": after_next.text},
                                headers={**operator, "Idempotency-Key": "far"})
    assert network.status_code == 422 and "run.too_far_ahead" in network.text
    assert count_rows(payroll.db, "runs") == 0
    assert count_rows(payroll.db, "outbox", "WHERE event_type LIKE 'cae.payroll.run_%'") == 0
    # next month is the furthest a run goes; a real month is still open after the refusals
    assert payroll.post("payroll-runs", {"period": "2026-01"})["expected"] == 1


def test_amounts_periods_limits_and_query_parameters_are_bounded(payroll):
    member = payroll.hire("ANA", 2_000_000)
    salary = f"employees/{member}/salary"
    far = Period.of(today())
    for _ in range(13):
        far = far.next()
    for body, names in (
            ({"period": "2026-03", "gross_cents": 10**9 + 1}, "gross_cents"),
            ({"period": "2026-03", "gross_cents": 10**13}, "gross_cents"),
            ({"period": "9999-01", "gross_cents": 200_000}, "period"),
            ({"period": far.text, "gross_cents": 200_000}, "salary.too_far_ahead")):
        refused = payroll.post(salary, body, expect=422)
        assert names in json.dumps(refused["errors"]), body
    assert count_rows(payroll.db, "salary_choices") == 0
    simulation = f"employees/{member}/simulation"
    for params, names in (({"gross": "abc"}, "gross"), ({"gross": "-1"}, "gross"),
                          ({"gross": str(10**12)}, "gross"), ({"period": "9999-01"}, "period"),
                          ({"period": far.text}, "salary.too_far_ahead"),
                          ({"bogus": "1"}, "bogus"), ({"period": ["2026-03", "2026-04"]}, "period")):
        refused = payroll.get(simulation, expect=422, **params).json()
        assert names in json.dumps(refused["errors"]), params
    assert payroll.get(simulation, period="2026-03", gross="200000").json()["gross_cents"] == 200_000
    for path, params, names in (
            ("payslips", {"limit": "0"}, "limit"), ("payslips", {"limit": "1001"}, "limit"),
            ("payslips", {"limit": "x"}, "limit"), ("payslips", {"member": "nobody"}, "member"),
            ("payslips", {"status": "paid"}, "status"), ("payslips", {"period": "2026-3"}, "period"),
            ("payroll-runs", {"limit": "0"}, "limit"), ("payroll-runs", {"status": "x"}, "status"),
            ("payroll-runs", {"limit": "1001"}, "limit")):
        refused = payroll.get(path, expect=422, **params).json()
        assert names in refused["errors"], (path, params)
    assert payroll.get("payslips", limit="1000").json() == {"items": []}
    assert payroll.get("payroll-runs", limit="1000").json() == {"items": []}
    for body, names in (({**SETTINGS, "payment_day": 32}, "payment_day"),
                        ({**SETTINGS, "payment_day": 0}, "payment_day"),
                        ({**SETTINGS, "siret": "1234"}, "siret"),
                        ({**SETTINGS, "ape_code": "70.22Z"}, "ape_code"),
                        ({**SETTINGS, "address": "x" * 301}, "address"),
                        ({**SETTINGS, "address": "rue\x00"}, "address")):
        refused = payroll.put("payroll-settings", body, expect=422)
        assert names in refused["errors"], body
    for hours in ("200", "0.5", "151.68", "12.345", "abc"):
        refused = payroll.put(f"employees/{member}/terms", {
            "cadre": False, "withholding_rate": "0", "monthly_hours": hours}, expect=422)
        assert "monthly_hours" in refused["errors"], hours
    assert payroll.get(f"employees/{member}").json()["monthly_hours"] == "151.67"
    assert count_rows(payroll.db, "payroll_settings", "WHERE payment_day IS NOT NULL") == 0


def test_a_salary_is_at_least_the_smic_for_the_contract_s_hours(payroll):
    member = payroll.hire("ANA", 2_000_000)
    salary = f"employees/{member}/salary"
    low = payroll.post(salary, {"period": "2026-03", "gross_cents": 150_000}, expect=422)
    assert low["errors"]["rule"] == ["salary.below_smic"] and "gross_cents" in low["errors"]
    assert "below the SMIC for 151.67 h a month (1823.07 EUR)" in low["detail"]
    assert count_rows(payroll.db, "salary_choices") == 0
    payroll.post(salary, {"period": "2026-03", "gross_cents": 0})  # no salary: allowed
    terms = payroll.put(f"employees/{member}/terms", {
        "cadre": False, "withholding_rate": "0", "monthly_hours": "104"})
    assert terms["monthly_hours"] == "104.00"
    simulated = payroll.get(f"employees/{member}/simulation", period="2026-03").json()
    assert (simulated["minimum_gross_cents"], simulated["monthly_hours"]) == (125_008, "104.00")
    assert payroll.post(salary, {"period": "2026-04", "gross_cents": 150_000})["gross_cents"] \
        == 150_000


def test_the_establishment_is_checked_and_a_refusal_writes_nothing(payroll):
    publish_raw(payroll.amqp_uri, build_event("cae.members.cooperative_registered.v1", {
        "cooperative_id": payroll.coop, "name": "Coopaname", "siren": "732829320",
        "legal_form": "SCOP-SA", "registered_at": datetime.now(UTC).isoformat()},
        tenant_id=payroll.coop))
    eventually(lambda: count_rows(payroll.db, "payroll_settings", "WHERE siren = '732829320'"))
    for body, rule, field in (
            ({"siret": "73282932000018"}, "siret.invalid", "siret"),
            ({"siret": "55210055400005"}, "siret.other_company", "siret"),
            ({"convention_idcc": "1486"}, "convention.incomplete", "convention_title"),
            ({"convention_title": "Syntec"}, "convention.incomplete", "convention_idcc")):
        refused = payroll.put("payroll-settings", {**SETTINGS, "staff": 40, **body}, expect=422)
        assert refused["errors"]["rule"] == [rule] and field in refused["errors"], body
    assert payroll.get("payroll-settings").json()["staff"] == 1  # nothing written
    done = payroll.put("payroll-settings", {**SETTINGS, "siret": "73282932000017",
                                            "ape_code": "7022Z"})
    assert (done["siret"], done["ape_code"], done["name"]) == ("73282932000017", "7022Z",
                                                                "Coopaname")


# -- 2. runs: who they leave out, the listing, cancelling ---------------------------------------

def test_a_run_reports_whom_it_leaves_out_and_runs_are_listed_newest_first(payroll):
    ana, ben, cle, eve = (payroll.hire(code, 2_000_000) for code in ("ANA", "BEN", "CLE", "EVE"))
    dan = str(uuid.uuid4())  # a CESA, no activity
    for event in (build_event("cae.members.member_joined.v2", {
            "member_id": dan, "cooperative_id": payroll.coop, "first_name": "Dan",
            "last_name": "Roux", "joined_on": "2025-01-05"}, tenant_id=payroll.coop),
            build_event("cae.members.contract_signed.v1", {
                "contract_id": str(uuid.uuid4()), "member_id": dan,
                "cooperative_id": payroll.coop, "kind": "CESA", "signed_on": "2025-06-01"},
                tenant_id=payroll.coop)):
        publish_raw(payroll.amqp_uri, event)
    eventually(lambda: count_rows(payroll.db, "employees", f"WHERE member_id = '{dan}' "
                                  "AND cesa_from IS NOT NULL"))
    for member, period, gross in ((ana, "2026-01", 200_000), (cle, "2026-01", 182_307),
                                  (eve, "2026-01", 200_000), (eve, "2026-06", 0)):
        payroll.post(f"employees/{member}/salary", {"period": period, "gross_cents": gross})
    # June: the SMIC rose to 12.31 EUR/h (1,867.06 a month): CLE's January salary is below it
    june = payroll.post("payroll-runs", {"period": "2026-06"})
    assert june["expected"] == 1
    left_out = {each["member_id"]: each["reason"] for each in june["left_out"]}
    assert left_out == {ben: "salary.none", cle: "salary.below_smic",
                        dan: "employee.no_activity", eve: "salary.none"}
    assert [each["member_id"] for each in june["left_out"]] == sorted(left_out)
    assert all(each["detail"] for each in june["left_out"])
    _completed(payroll, june["id"])
    july = payroll.post("payroll-runs", {"period": "2026-07"})
    _completed(payroll, july["id"])
    listed = payroll.get("payroll-runs").json()["items"]
    assert [run["period"] for run in listed] == ["2026-07", "2026-06"]
    assert listed[1]["left_out"] == june["left_out"] and listed[1]["paid_on"] == "2026-06-30"
    assert [r["id"] for r in payroll.get("payroll-runs", period="2026-06").json()["items"]] \
        == [june["id"]]
    assert [r["id"] for r in payroll.get("payroll-runs", limit="1").json()["items"]] \
        == [july["id"]]
    assert len(payroll.get("payroll-runs", status="completed").json()["items"]) == 2
    assert payroll.get("payroll-runs", status="cancelled").json()["items"] == []
    assert payroll.get(f"payroll-runs/{june['id']}").json()["left_out"] == june["left_out"]
    payroll.get("payroll-runs", headers=payroll.owner("ANA"), expect=403)


def test_a_run_cancelled_before_its_payment_date_is_kept_frees_its_month_and_is_announced(
        payroll):
    month = Period.of(today()).next()  # paid on its last day: always after today
    ana, ben = payroll.hire("ANA", 2_000_000), payroll.hire("BEN", 2_000_000)
    for member in (ana, ben):
        payroll.post(f"employees/{member}/salary", {"period": month.text, "gross_cents": 200_000})
    run = payroll.post("payroll-runs", {"period": month.text})
    assert run["paid_on"] == month.last_day.isoformat()
    _completed(payroll, run["id"])
    cancel = f"payroll-runs/{run['id']}/cancel"
    payroll.post(cancel, {"reason": "x"}, headers=payroll.owner("ANA"), expect=403)
    assert "reason" in payroll.post(cancel, {}, expect=422)["errors"]
    assert "reason" in payroll.post(cancel, {"reason": ""}, expect=422)["errors"]
    assert "reason" in payroll.post(cancel, {"reason": "x" * 501}, expect=422)["errors"]
    assert payroll.http.post(f"{payroll.url}/{cancel}", json={"reason": "x"},
                             headers=payroll.staff()).status_code == 428
    assert count_rows(payroll.db, "runs", "WHERE status = 'cancelled'") == 0

    cancelled = payroll.post(cancel, {"reason": "salaire de Ben à corriger"}, key="c-1",
                             expect=200)
    assert (cancelled["status"], cancelled["cancelled_on"], cancelled["cancelled_by"],
            cancelled["cancel_reason"]) == ("cancelled", today().isoformat(), "alice",
                                            "salaire de Ben à corriger")
    replayed = payroll.http.post(f"{payroll.url}/{cancel}", json={
        "reason": "salaire de Ben à corriger"}, headers={**payroll.staff(), "Idempotency-Key": "c-1"})
    assert replayed.headers.get("Idempotent-Replayed") == "true" and replayed.json() == cancelled
    assert payroll.post(cancel, {"reason": "encore"}, expect=409)["errors"]["rule"] \
        == ["run.cancelled"]
    assert payroll.post(f"payroll-runs/{run['id']}/resume", expect=409)["errors"]["rule"] \
        == ["run.cancelled"]
    # kept, never deleted: the run and its payslips, marked cancelled
    void = payroll.get("payslips", period=month.text, status="cancelled").json()["items"]
    assert len(void) == 2 and {s["status"] for s in void} == {"cancelled"}
    assert all(s["cancelled_at"] for s in void)
    assert payroll.get("payslips", period=month.text, status="issued").json()["items"] == []
    document = payroll.get(f"payslips/{void[0]['id']}/document", format="html").text
    assert "Bulletin de paie ANNULÉ" in document
    # the members' year to date is given back: no other month paid, none left
    assert count_rows(payroll.db, "year_to_date") == 0
    [announced] = _events(payroll.db, "cae.payroll.run_cancelled.v1")
    assert announced.data == {"run_id": uuid.UUID(run["id"]),
                              "cooperative_id": uuid.UUID(payroll.coop), "period": month.text,
                              "cancelled_on": today(), "reason": "salaire de Ben à corriger",
                              "cancelled_by": "alice"}
    # the month is open again: a salary changed, and the month run again
    payroll.post(f"employees/{ben}/salary", {"period": month.text, "gross_cents": 210_000})
    again = payroll.post("payroll-runs", {"period": month.text})
    assert again["expected"] == 2 and again["id"] != run["id"]
    _completed(payroll, again["id"])
    live = payroll.get("payslips", period=month.text, status="issued").json()["items"]
    assert sorted(s["gross_cents"] for s in live) == [200_000, 210_000]
    assert count_rows(payroll.db, "payslips") == 4
    assert count_rows(payroll.db, "year_to_date", f"WHERE last_period = {int(month)}") == 2
    listed = payroll.get("payroll-runs", period=month.text).json()["items"]
    assert [(r["id"], r["status"]) for r in listed] == [(again["id"], "completed"),
                                                         (run["id"], "cancelled")]


def test_a_run_whose_salaries_are_paid_cannot_be_cancelled(payroll):
    member = payroll.hire("ANA", 2_000_000)
    payroll.post(f"employees/{member}/salary", {"period": "2026-01", "gross_cents": 200_000})
    run = payroll.post("payroll-runs", {"period": "2026-01"})  # paid on 2026-01-31
    _completed(payroll, run["id"])
    refused = payroll.post(f"payroll-runs/{run['id']}/cancel", {"reason": "trop tard"},
                           expect=422)
    assert refused["errors"]["rule"] == ["run.paid"] and "2026-01-31" in refused["detail"]
    assert count_rows(payroll.db, "runs", "WHERE status = 'completed'") == 1
    assert _events(payroll.db, "cae.payroll.run_cancelled.v1") == []
    payroll.post(f"payroll-runs/{uuid.uuid4()}/cancel", {"reason": "x"}, expect=404)


def test_the_work_items_of_a_cancelled_run_in_flight_issue_no_payslip(payroll):
    month = Period.of(today()).next()
    members = [payroll.hire(code, 2_000_000) for code in ("ANA", "BEN")]
    for member in members:
        payroll.post(f"employees/{member}/salary", {"period": month.text, "gross_cents": 200_000})
    # the run's work items are published (the in-process relay), and the run is cancelled
    # before any reaches a worker: here the items are held back by replaying them after
    run = payroll.post("payroll-runs", {"period": month.text})
    _completed(payroll, run["id"])
    payroll.post(f"payroll-runs/{run['id']}/cancel", {"reason": "erreur"}, expect=200)
    item = {"run_id": run["id"], "cooperative_id": payroll.coop, "member_ids": members,
            "period": month.text}
    late = build_event("cae.payroll.payslip_requested.v1", item, tenant_id=payroll.coop)
    publish_raw(payroll.amqp_uri, late)  # a work item still in flight
    eventually(lambda: count_rows(payroll.db, "inbox", f"WHERE event_id = '{late['id']}'"))
    assert count_rows(payroll.db, "payslips", "WHERE cancel_key = ''") == 0
    assert count_rows(payroll.db, "payslips") == 2  # the cancelled ones only
    assert count_rows(payroll.db, "year_to_date") == 0
    assert payroll.get(f"payroll-runs/{run['id']}").json()["status"] == "cancelled"


# -- 3. the payslip a French employee recognises, and its signed link --------------------------

def _cooperative_with_its_establishment(payroll) -> None:
    for event in (
            build_event("cae.members.cooperative_registered.v1", {
                "cooperative_id": payroll.coop, "name": "Coopaname", "siren": "732829320",
                "legal_form": "SCOP-SA", "registered_at": "2024-03-01T09:30:00+01:00",
                "staff_size_bracket": "11_to_49"}, tenant_id=payroll.coop),
            build_event("cae.members.cooperative_updated.v1", {
                "cooperative_id": payroll.coop, "effective_on": "2026-02-01",
                "name": "Coopaname SCOP", "legal_form": "SCOP-SA", "statute_profile": "scop-sa",
                "default_contribution_rate": "0.1000", "staff_size_bracket": "11_to_49",
                "changed": ["name"]}, tenant_id=payroll.coop)):
        publish_raw(payroll.amqp_uri, event)
    eventually(lambda: count_rows(payroll.db, "employer_names") == 2)
    payroll.put("payroll-settings", {
        **SETTINGS, "payment_day": 25, "siret": "73282932000017", "ape_code": "7022Z",
        "urssaf_body": "URSSAF Île-de-France", "urssaf_number": "117000001234567890",
        "address": "3-7 rue Albert Marquet\n75020 Paris", "convention_idcc": "1486",
        "convention_title": "Bureaux d'études techniques (Syntec)"})


def test_the_payslip_names_the_establishment_the_employee_their_hours_and_every_mention(
        payroll, tmp_path):
    _cooperative_with_its_establishment(payroll)
    lea = payroll.hire("LEA", 2_000_000, signed_on="2026-01-05")
    payroll.put(f"employees/{lea}/terms", {
        "cadre": False, "withholding_rate": "0.075", "monthly_hours": "104",
        "job_title": "Boulangère", "classification": "Niveau 2, coefficient 250",
        "address": "12 rue des Lilas\n93100 Montreuil"})
    payroll.post(f"employees/{lea}/salary", {"period": "2026-03", "gross_cents": 150_000})
    run = payroll.post("payroll-runs", {"period": "2026-03"})
    assert run["paid_on"] == "2026-03-25"
    _completed(payroll, run["id"])
    [slip] = payroll.get("payslips").json()["items"]
    assert (slip["monthly_hours"], slip["status"]) == ("104.00", "issued")
    [issued] = _events(payroll.db, "cae.payroll.payslip_issued.v1")
    assert issued.data["paid_on"] == date(2026, 3, 25)
    pdf = payroll.get(f"payslips/{slip['id']}/document", headers=payroll.owner("LEA"),
                      format="pdf").content
    html = payroll.get(f"payslips/{slip['id']}/document", headers=payroll.owner("LEA")).text
    said = [
        "Bulletin de paie - mars 2026", "Date de paiement : 25 mars 2026",
        "Période : du 1er mars 2026 au 31 mars 2026",
        "Coopaname SCOP",  # the name in force in March (cooperative_updated from February)
        "3-7 rue Albert Marquet", "75020 Paris", "SIRET : 732 829 320 00017", "Code APE : 7022Z",
        "URSSAF Île-de-France, n° 117000001234567890",
        "Convention collective : Bureaux d'études techniques (Syntec) (IDCC 1486)",
        "Lea Martin", "12 rue des Lilas", "93100 Montreuil", "Emploi : Boulangère",
        "Classification : Niveau 2, coefficient 250", "Date d'entrée : 5 janvier 2026",
        "104,00 h payées au taux normal", "Net à payer avant impôt sur le revenu",
        "Montant net social", "taux 7,5 %", "Coût total employeur", "Net payé en euros",
        "conservez ce bulletin de paie sans limitation de durée", "www.service-public.fr",
    ]
    from services.payroll.tests.unit.test_document import pdf_text  # noqa: PLC0415

    for text_ in [*pdf_text(pdf), " ".join(html.replace("&#x27;", "'").split())]:
        missing = [each for each in said if each not in text_]
        assert not missing, missing
    if shutil.which("pdftoppm"):  # one A4 page, as a picture (CAE_PAYSLIP_PNG: kept there)
        (tmp_path / "payslip.pdf").write_bytes(pdf)
        picture = os.environ.get("CAE_PAYSLIP_PNG", str(tmp_path / "payslip.png"))
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-singlefile",
                        str(tmp_path / "payslip.pdf"), picture.removesuffix(".png")], check=True)
        assert os.path.getsize(picture) > 10_000


def test_a_signed_link_opens_the_document_without_a_token_for_five_minutes(payroll):
    ana, ben = payroll.hire("ANA", 2_000_000), payroll.hire("BEN", 2_000_000)
    for member in (ana, ben):
        payroll.post(f"employees/{member}/salary", {"period": "2026-01", "gross_cents": 200_000})
    _completed(payroll, payroll.post("payroll-runs", {"period": "2026-01"})["id"])
    slips = {s["member_id"]: s["id"] for s in payroll.get("payslips").json()["items"]}
    before = time.time()
    link = payroll.post(f"payslips/{slips[ana]}/document-link", headers=payroll.owner("ANA"),
                        expect=200)
    expires = datetime.fromisoformat(link["expires_at"]).timestamp()
    assert before + documents.LINK_SECONDS - 5 <= expires <= time.time() + documents.LINK_SECONDS
    base = payroll.service.url
    opened = payroll.http.get(base + link["url"])  # a browser: no Authorization header
    assert opened.status_code == 200 and opened.headers["Content-Type"].startswith("text/html")
    assert "Bulletin de paie - janvier 2026" in opened.text and "Ana Martin" in opened.text
    assert opened.headers["Cache-Control"] == "private, no-store"
    assert opened.headers["Referrer-Policy"] == "no-referrer"
    pdf = payroll.http.get(base + link["pdf_url"])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    # it opens that payslip only, of that cooperative, as signed, until it expires
    signature = link["url"].rsplit("signature=", 1)[1]
    forged = {
        "another payslip": link["url"].replace(slips[ana], slips[ben]),
        "another cooperative": link["url"].replace(payroll.coop, str(uuid.uuid4())),
        "a later expiry": link["url"].replace(f"expires={int(expires)}",
                                              f"expires={int(expires) + 3600}"),
        "another signature": link["url"].replace(signature, "0" * 64),
    }
    for why, url in forged.items():
        refused = payroll.http.get(base + url)
        assert refused.status_code == 404, why  # no such capability URL
        assert refused.json()["detail"] == "Ce lien n'est pas valide : demandez-en un nouveau."
    [(secret,)] = _rows(payroll.db, "SELECT secret FROM document_keys")
    past = int(time.time()) - 1
    stale = documents.signature(bytes.fromhex(secret), payroll.coop, slips[ana], past)
    expired = payroll.http.get(f"{base}/cooperatives/{payroll.coop}/payslips/{slips[ana]}/"
                               f"signed-document?expires={past}&signature={stale}")
    assert expired.status_code == 410
    assert expired.json()["detail"] == "Ce lien a expiré : demandez-en un nouveau."
    unsigned = payroll.http.get(base + link["url"].split("?")[0])
    assert unsigned.status_code == 422 and {"expires", "signature"} <= set(unsigned.json()["errors"])
    # only a reader of the payslip gets a link to it
    payroll.post(f"payslips/{slips[ben]}/document-link", headers=payroll.owner("ANA"), expect=403)
    payroll.post(f"payslips/{uuid.uuid4()}/document-link", expect=404)
    assert payroll.http.post(f"{payroll.url}/payslips/{slips[ana]}/document-link").status_code \
        == 401
    assert timedelta(seconds=documents.LINK_SECONDS) == timedelta(minutes=5)
