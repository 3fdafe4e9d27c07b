"""The support staff's use cases over a fake gateway, and their pages' guards (role,
cooperative, CSRF) without the services."""

from __future__ import annotations

from datetime import date

import pytest

from cae_portal.adapters.settings import SERVICES, PortalSettings
from cae_portal.entrypoints import app as portal
from cae_portal.usecases import staff
from cae_portal.usecases.gateway import FieldErrors, ServiceError, Viewer

from .test_usecases import FakeGateway

COOP = "6f1c1f5e-0000-4000-8000-000000000001"
OTHER = "6f1c1f5e-0000-4000-8000-000000000002"
ALICE = Viewer("staff@a", COOP, frozenset({"staff"}), "staff@a")
LEA = Viewer("m-1", COOP, frozenset({"entrepreneur"}), "Léa Martin", "BOULANGE")


def test_only_the_staff_of_the_cooperative_reach_its_pages():
    gateway = FakeGateway(members=[])
    assert staff.members(gateway, ALICE, COOP) == []
    with pytest.raises(staff.NotStaff):
        staff.members(gateway, ALICE, OTHER)
    with pytest.raises(staff.NotStaff):
        staff.members(gateway, LEA, COOP)
    assert gateway.calls == [("members", COOP)]  # nothing asked for the others


def test_a_member_is_registered_and_a_refusal_names_the_forms_fields():
    gateway = FakeGateway(register_member={"id": "m-9", "first_name": "Zoé", "last_name": "L"})
    body = {"first_name": "Zoé", "last_name": "L", "email": "z@example.org",
            "joined_on": "2026-12-01", "activity_code": "", "activity_name": ""}
    assert staff.register_member(gateway, ALICE, COOP, body, "k")["id"] == "m-9"
    assert gateway.calls[0][2] == {"first_name": "Zoé", "last_name": "L",
                                   "email": "z@example.org", "joined_on": "2026-12-01"}
    refused = FakeGateway(register_member=ServiceError(
        422, "invalid", {"email": ["Not a valid email address."]}, None, "members"))
    with pytest.raises(FieldErrors) as error:
        staff.register_member(refused, ALICE, COOP, body, "k")
    assert error.value.fields == {"email": ["Not a valid email address."]}


def test_a_member_file_gathers_the_member_contracts_and_history():
    gateway = FakeGateway(member={"id": "m-1"}, history={"stage": "cesa", "effective": []},
                          contracts=[{"kind": "CESA", "signed_on": "2026-02-01"},
                                     {"kind": "CAPE", "signed_on": "2025-06-01"}])
    found = staff.member_file(gateway, ALICE, COOP, "m-1")
    assert [c["kind"] for c in found.contracts] == ["CAPE", "CESA"]
    assert found.history["stage"] == "cesa"


def test_a_step_is_a_dated_diagnostic_and_a_rule_is_put_next_to_its_field():
    gateway = FakeGateway(record_step={"seq": 2})
    staff.record_step(gateway, ALICE, COOP, "m-1", "2026-12-01", "k")
    assert gateway.calls == [("record_step", COOP, "m-1",
                              {"stage": "diagnostic", "on": "2026-12-01"}, "k")]
    refused = FakeGateway(record_step=ServiceError(422, "left", {"rule": ["stage.after_exit"]},
                                                   "stage.after_exit", "members"))
    with pytest.raises(FieldErrors) as error:
        staff.record_step(refused, ALICE, COOP, "m-1", "2026-12-01", "k")
    assert error.value.fields == {"etape_date": ["left"]}
    assert error.value.codes == {"etape_date": "stage.after_exit"}


def test_a_contract_sends_only_the_dates_given():
    gateway = FakeGateway(sign_contract={"id": "c-1"})
    staff.sign_contract(gateway, ALICE, COOP, "m-1", "CAPE", "2026-12-01", "2027-11-30", None,
                        "k")
    assert gateway.calls[0][3] == {"kind": "CAPE", "signed_on": "2026-12-01",
                                   "ends_on": "2027-11-30"}
    refused = FakeGateway(sign_contract=ServiceError(
        422, "CAPE too long", {"rule": ["cape.too_long"], "ends_on": ["at most 12 months"]},
        "cape.too_long", "members"))
    with pytest.raises(FieldErrors) as error:
        staff.sign_contract(refused, ALICE, COOP, "m-1", "CAPE", "2026-12-01", "2028-12-01",
                            None, "k")
    assert error.value.fields == {"fin": ["at most 12 months"]}


def test_an_interview_is_recorded_with_its_notes_when_given():
    gateway = FakeGateway(record_interview={})
    staff.record_interview(gateway, ALICE, COOP, "m-1", "2026-12-01", "  ", "k")
    assert gateway.calls[0][3] == {"held_on": "2026-12-01"}


def test_associate_deadlines_soonest_first_with_the_days_left():
    gateway = FakeGateway(associate_deadlines=[
        {"member_id": "b", "first_name": "B", "last_name": "B", "associate_deadline": "2029-01-05"},
        {"member_id": "a", "first_name": "A", "last_name": "A", "associate_deadline": "2026-11-30"},
        {"member_id": "c", "first_name": "C", "last_name": "C", "associate_deadline": "2027-06-01"}])
    rows = staff.associate_deadlines(gateway, ALICE, COOP, date(2026, 12, 7), 1095)
    assert [r.member_id for r in rows] == ["a", "c", "b"]
    assert rows[0].days_left == -7 and rows[1].days_left == 176
    assert gateway.calls == [("associate_deadlines", COOP, "2026-12-07", 1095)]


def test_follow_up_due_fewest_interviews_first():
    gateway = FakeGateway(follow_up_due=[
        {"member_id": "b", "first_name": "B", "last_name": "B", "interviews_in_12_months": 1},
        {"member_id": "a", "first_name": "A", "last_name": "Z", "interviews_in_12_months": 0}])
    assert [r["member_id"] for r in staff.follow_up_due(gateway, ALICE, COOP,
                                                        date(2026, 12, 7))] == ["a", "b"]


def test_an_entry_refused_by_a_rule_shows_next_to_the_field_it_is_about():
    refusal = ServiceError(422, "the period 2026-01 is closed", {
        "rule": ["period.closed"], "date": ["the period 2026-01 is closed"]}, "period.closed",
        "ledger")
    with pytest.raises(FieldErrors) as error:
        staff.post_entry(FakeGateway(post_entry=refusal), ALICE, COOP, "invoices", {}, "k")
    assert error.value.fields == {"date": ["the period 2026-01 is closed"]}
    unknown = ServiceError(422, "no account 6999", {"rule": ["entry.unknown_account"]},
                           "entry.unknown_account", "ledger")
    with pytest.raises(FieldErrors) as error:
        staff.post_entry(FakeGateway(post_entry=unknown), ALICE, COOP, "expenses", {}, "k")
    assert error.value.fields == {"compte": ["no account 6999"]}
    assert error.value.codes == {"compte": "entry.unknown_account"}
    with pytest.raises(ValueError):
        staff.post_entry(FakeGateway(), ALICE, COOP, "transfers", {}, "k")


def test_closing_a_month_and_its_refusals():
    gateway = FakeGateway(close_period={"period": "2026-01", "minimum_contributions": []},
                          closed_periods=[{"period": "2026-01"}, {"period": "2026-02"}])
    assert staff.close_month(gateway, ALICE, COOP, "2026-01", "k")["period"] == "2026-01"
    assert [p["period"] for p in staff.closed_periods(gateway, ALICE, COOP)] == [
        "2026-02", "2026-01"]
    refused = FakeGateway(close_period=ServiceError(
        422, "closed", {"rule": ["period.already_closed"]}, "period.already_closed", "ledger"))
    with pytest.raises(FieldErrors) as error:
        staff.close_month(refused, ALICE, COOP, "2026-01", "k")
    assert error.value.codes == {"mois": "period.already_closed"}


def test_the_trial_balance_and_the_fec_with_its_legal_name():
    gateway = FakeGateway(trial_balance={"items": []}, cooperative={"siren": "732829320"},
                          fec=b"JournalCode|JournalLib\n")
    assert staff.trial_balance(gateway, ALICE, COOP, "2026-01", None) == {"items": []}
    name, body = staff.fec(gateway, ALICE, COOP, 2026)
    assert name == "732829320FEC20261231.txt" and body.startswith(b"JournalCode")


def test_runs_newest_first_with_the_names_of_those_left_out():
    gateway = FakeGateway(
        runs=[{"period": "2026-03", "started_at": "a"}, {"period": "2026-04", "started_at": "b"}],
        members=[{"id": "m-3", "first_name": "Sophie", "last_name": "Durand"}])
    found = staff.runs(gateway, ALICE, COOP)
    assert [r["period"] for r in found.runs] == ["2026-04", "2026-03"]
    assert found.names == {"m-3": "Sophie Durand"}


def test_a_runs_progress():
    gateway = FakeGateway(run={"status": "running", "expected": 4, "issued": 1,
                               "left_out": [{"member_id": "m"}]})
    assert staff.run_progress(gateway, ALICE, COOP, "r-1") == {
        "status": "running", "expected": 4, "issued": 1, "percent": 25, "left_out": 1}
    assert staff.run_progress_of({"status": "completed", "expected": 0, "issued": 0,
                                  "left_out": []})["percent"] == 100


def test_starting_a_run_twice_is_refused_next_to_the_month():
    refused = FakeGateway(start_run=ServiceError(422, "exists", {"rule": ["run.exists"]},
                                                 "run.exists", "payroll"))
    with pytest.raises(FieldErrors) as error:
        staff.start_run(refused, ALICE, COOP, "2026-04", "k")
    assert error.value.fields == {"mois": ["exists"]}


def test_a_salary_above_the_budget_needs_a_reason_and_is_kept_with_it():
    refusal = ServiceError(422, "this salary costs ...", {"rule": ["budget.exceeded"]},
                           "budget.exceeded", "payroll")
    gateway = FakeGateway(choose_salary=refusal, simulation={
        "employer_cost_cents": 749035, "available_cents": 605004,
        "budget_pays_gross_cents": 436200})
    with pytest.raises(FieldErrors) as error:
        staff.choose_salary(gateway, ALICE, COOP, "m-2", "2027-02", 536200, None, "k")
    assert error.value.codes == {"brut": "budget.exceeded"}
    assert error.value.figures["shortfall_cents"] == 144031
    unknown = FakeGateway(choose_salary=ServiceError(404, "no such entrepreneur", {
        "rule": ["employee.unknown"]}, "employee.unknown", "payroll"))
    with pytest.raises(FieldErrors) as error:
        staff.choose_salary(unknown, ALICE, COOP, "m-9", "2027-02", 200000, None, "k")
    assert error.value.codes == {"membre": "employee.unknown"}
    accepted = FakeGateway(choose_salary={"override_reason": "a big contract in January"})
    staff.choose_salary(accepted, ALICE, COOP, "m-2", "2027-02", 536200,
                        "a big contract in January", "k")
    assert accepted.calls == [("choose_salary", COOP, "m-2", "2027-02", 536200, "k",
                               "a big contract in January")]


# -- the pages' guards, without the services ------------------------------------------------

def _client(roles, coop=COOP):
    app = portal.create_app(PortalSettings(service_urls={s: "http://127.0.0.1:9"
                                                         for s in SERVICES}))
    client = app.test_client()
    with client.session_transaction() as session:
        session.update(token="t", csrf="c" * 43, viewer={
            "subject": "x", "cooperative_id": coop, "roles": roles, "name": "X"})
    return client


def test_an_entrepreneur_gets_the_403_page_on_staff_pages():
    page = _client(["entrepreneur"]).get(f"/equipe/{COOP}/membres")
    assert page.status_code == 403 and "Accès refusé" in page.get_data(as_text=True)


def test_the_staff_of_a_cooperative_get_the_403_page_on_anothers():
    client = _client(["staff"])
    for path in ("membres", "paie", "comptabilite/balance", "paie/salaire"):
        page = client.get(f"/equipe/{OTHER}/{path}")
        assert page.status_code == 403, path
        assert "de votre propre coopérative" in page.get_data(as_text=True)


def test_a_staff_form_without_its_csrf_token_is_refused():
    client = _client(["staff"])
    refused = client.post(f"/equipe/{COOP}/membres/nouveau", data={"prenom": "Zoé"})
    assert refused.status_code == 403
    assert "Formulaire refusé" in refused.get_data(as_text=True)


def test_the_staff_land_on_their_members_page_and_services_down_is_a_503():
    client = _client(["staff"])
    assert client.get("/").headers["Location"] == f"/equipe/{COOP}/membres"
    assert client.get(f"/equipe/{COOP}/membres").status_code == 503


def test_the_run_page_and_its_json_progress(monkeypatch):
    from cae_portal.entrypoints import staff as pages

    run = {"id": "r-1", "period": "2026-04", "status": "running", "expected": 4, "issued": 1,
           "left_out": [{"member_id": "m-3", "reason": "salary.none", "detail": "no salary"}],
           "started_at": "2026-12-07T10:00:00+00:00", "started_by": "staff@a",
           "paid_on": "2026-04-30", "cancelled_on": None, "cancel_reason": None}
    gateway = FakeGateway(run=run, members=[{"id": "m-3", "first_name": "Sophie",
                                              "last_name": "Durand"}])
    monkeypatch.setattr(pages, "gateway_for_viewer", lambda: gateway)
    client = _client(["staff"])
    run_id = "6f1c1f5e-0000-4000-8000-0000000000aa"
    state = client.get(f"/equipe/{COOP}/paie/{run_id}/etat")
    assert state.json == {"status": "running", "status_text": "En cours", "expected": 4,
                          "issued": 1, "percent": 25, "left_out": 1,
                          "text": "1 bulletin(s) émis sur 4."}
    page = client.get(f"/equipe/{COOP}/paie/{run_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Sophie Durand" in html and "Aucun salaire choisi pour ce mois." in html
    assert '<script src="/static/run-progress.js" defer></script>' in html
    assert "<script>" not in html  # no inline script: the CSP allows only 'self'
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


REPORT = {"dry_run": True, "rows": 3, "people": 1, "contracts": 1, "skipped": 1,
          "errors": [{"line": 4, "column": "email", "message": "Not a valid email address."}],
          "lines": [{"line": 2, "person_ref": "P-1", "first_name": "Léa", "last_name": "Martin",
                     "outcome": "created", "contracts": ["CAPE"]},
                    {"line": 3, "person_ref": "P-2", "first_name": "Karim",
                     "last_name": "Benali", "outcome": "skipped", "contracts": []},
                    {"line": 4, "person_ref": "P-3", "first_name": "Inès", "last_name": None,
                     "outcome": "refused", "contracts": []}]}


def test_a_csv_is_checked_and_its_report_puts_each_error_on_its_line():
    gateway = FakeGateway(import_members=REPORT)
    report = staff.import_members(gateway, ALICE, COOP, "person_ref\nP-1\n", True, "k")
    assert gateway.calls == [("import_members", COOP, {"csv": "person_ref\nP-1\n",
                                                       "dry_run": True}, "k")]
    assert (report.dry_run, report.rows, report.people, report.contracts, report.skipped,
            report.errors, report.refused) == (True, 3, 1, 1, 1, 1, False)
    assert [(r.line, r.name, r.outcome, r.contracts, r.errors) for r in report.lines] == [
        (2, "Léa Martin", "created", ("CAPE",), ()), (3, "Karim Benali", "skipped", (), ()),
        (4, "Inès", "refused", (), (("email", "Not a valid email address."),))]
    assert report.file_errors == ()


def test_an_error_on_no_person_line_is_an_error_of_the_file():
    missing = {**REPORT, "lines": [], "rows": 0, "people": 0, "contracts": 0, "skipped": 0,
               "errors": [{"line": 1, "column": "email", "message": "missing column"}]}
    report = staff.import_members(FakeGateway(import_members=missing), ALICE, COOP, "x", True,
                                  "k")
    assert report.file_errors == ((1, "email", "missing column"),) and report.errors == 1


def test_an_import_refused_for_its_lines_comes_back_with_them_and_a_whole_file_refusal_is_a_field_error():
    refused = FakeGateway(import_members=ServiceError(422, "2 error(s)", {
        "rule": ["import.rows_refused"], "csv": {"5": {"email": ["Not a valid email address."]},
                                                 "3": {"joined_on": ["Not a valid date."]}}},
        "import.rows_refused", "members"))
    report = staff.import_members(refused, ALICE, COOP, "x", False, "k")
    assert report.refused and report.errors == 2
    assert report.file_errors == ((3, "joined_on", "Not a valid date."),
                                  (5, "email", "Not a valid email address."))
    too_many = FakeGateway(import_members=ServiceError(422, "too many", {
        "rule": ["import.too_many_rows"], "csv": ["the file has 6,000 people lines"]},
        "import.too_many_rows", "members"))
    with pytest.raises(FieldErrors) as error:
        staff.import_members(too_many, ALICE, COOP, "x", True, "k")
    assert error.value.codes == {"csv": "import.too_many_rows"}
    with pytest.raises(FieldErrors) as error:
        staff.import_members(FakeGateway(import_members=REPORT), ALICE, COOP, "  \n", True, "k")
    assert error.value.codes == {"csv": "import.empty"}
    with pytest.raises(staff.NotStaff):
        staff.import_members(FakeGateway(import_members=REPORT), LEA, COOP, "x", True, "k")


def test_the_import_page_takes_a_large_file_and_shows_a_refused_import_by_line(monkeypatch):
    import io

    from cae_portal.entrypoints import staff as pages

    gateway = FakeGateway(import_members=ServiceError(422, "1 error(s)", {
        "rule": ["import.rows_refused"], "csv": {"4": {"email": ["Not a valid email address."]}}},
        "import.rows_refused", "members"))
    monkeypatch.setattr(pages, "gateway_for_viewer", lambda: gateway)
    client = _client(["staff"])
    big = "person_ref,first_name\n" + "P-1,Léa\n" * 20_000  # ~180 KB: above the other forms'
    page = client.post(f"/equipe/{COOP}/membres/import", content_type="multipart/form-data",
                       data={"csrf": "c" * 43, "cle": "k1", "action": "importer", "csv": big})
    html = page.get_data(as_text=True)
    assert page.status_code == 422, html[:500]
    assert gateway.calls == [("import_members", COOP, {"csv": big, "dry_run": False}, "k1")]
    assert "Import refusé" in html and "Ligne 4, email : Une adresse e-mail" in html
    latin1 = client.post(f"/equipe/{COOP}/membres/import", content_type="multipart/form-data",
                         data={"csrf": "c" * 43, "cle": "k2", "action": "verifier",
                               "fichier": (io.BytesIO("nom\nLéa\n".encode("latin-1")), "a.csv")})
    assert latin1.status_code == 422 and "UTF-8" in latin1.get_data(as_text=True)
    assert len(gateway.calls) == 1  # nothing sent for a file that is not UTF-8
    other = client.post(f"/equipe/{COOP}/membres/nouveau", data={"csrf": "c" * 43,
                                                                 "prenom": "x" * 70_000})
    assert other.status_code == 413  # the other forms keep their 64 KiB
