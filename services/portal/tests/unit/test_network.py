"""The network operator's use cases over a fake gateway, their pages' guards (role, CSRF)
and words (every message in French), and the operator's demo sign-in (refused in
production), without the services."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file

from cae_portal.adapters import catalogues
from cae_portal.adapters.services import HttpGateway
from cae_portal.adapters.settings import SERVICES, PortalSettings
from cae_portal.entrypoints import app as portal
from cae_portal.entrypoints import network as pages
from cae_portal.usecases import network
from cae_portal.usecases.gateway import FieldErrors, ServiceError, Viewer

from .test_usecases import FakeGateway

PACKAGE = Path(portal.__file__).resolve().parents[1]
NOWHERE = {s: "http://127.0.0.1:9" for s in SERVICES}
OPS = Viewer("network-ops", None, frozenset({"network_operator"}), "Opérateur du réseau")
LEA = Viewer("m-1", "coop-1", frozenset({"entrepreneur"}), "Léa Martin", "BOULANGE")
ALICE = Viewer("staff@a", "coop-1", frozenset({"staff"}), "staff@a")
A, B, C = ("6f1c1f5e-0000-4000-8000-00000000000a", "6f1c1f5e-0000-4000-8000-00000000000b",
           "6f1c1f5e-0000-4000-8000-00000000000c")
FORM = {"nom": "Coopérative Nouvelle", "siren": "732 829 320", "forme": "SCIC-SAS",
        "taux": "9,5", "effectif": "11_to_49"}


def _messages_in(module: Path) -> set[str]:
    """Every literal msgid one module passes to ``t()`` (catalogues.messages_in_code reads
    a folder: given one file, it finds nothing)."""
    return {message for _line, message, _comments, _context in extract_from_file(
        "python", str(module), keywords={"t": None}) if isinstance(message, str)}


def test_every_message_the_network_pages_show_has_its_french_translation():
    code = (_messages_in(PACKAGE / "entrypoints" / "network.py")
            | _messages_in(PACKAGE / "usecases" / "network.py"))
    assert "Read from payroll at %(time)s (UTC)." in code  # the code's messages are read
    used = (catalogues.messages_in_templates(PACKAGE / "entrypoints" / "templates" / "network")
            | code
            | {label for items in pages.NAVIGATION.values() for _, label in items}
            | {"Network operator", "Sign in as the network operator",
               "the network's cooperatives, its payroll months, the services' health"})
    for words in (pages.RULES, pages.LEGAL_FORMS, pages.STAFF_SIZES, pages.OUTCOMES,
                  pages.LEFT_OUT, pages.RUN_STATUS, pages.SERVICE_NAMES, pages.READY_WORDS):
        used |= set(words.values())
    french = catalogues.load("fr")
    missing = sorted(m for m in used if french.gettext(m) == m)
    assert not missing, missing


def test_only_the_network_operator_reaches_the_network_pages():
    gateway = FakeGateway(cooperatives=[{"id": B, "name": "oxalis"}, {"id": A, "name": "Ateliers"}])
    assert [c["name"] for c in network.cooperatives(gateway, OPS)] == ["Ateliers", "oxalis"]
    for viewer in (LEA, ALICE):
        with pytest.raises(network.NotOperator):
            network.cooperatives(gateway, viewer)
        with pytest.raises(network.NotOperator):
            network.start_network_month(gateway, viewer, "2025-01", "k")
        with pytest.raises(network.NotOperator):
            network.health(gateway, viewer, SERVICES)
    assert gateway.calls == [("cooperatives",)]  # nothing asked for the others


def test_a_percentage_is_the_services_rate_and_a_siren_loses_its_spaces():
    assert network.rate_of_percent("10") == "0.1000"
    assert network.rate_of_percent("9,5 %") == "0.0950"
    assert network.rate_of_percent("0") == "0.0000"
    assert network.rate_of_percent("12.25") == "0.1225"
    for wrong in ("", "dix", "51", "9,555", "-1", "1e1", "١٠"):
        assert network.rate_of_percent(wrong) is None, wrong
    assert network.siren_of("732 829 320") == "732829320"
    assert network.percent_text("0.0950") == "9,5\u00a0%"
    assert network.percent_text("0.1000") == "10\u00a0%"
    assert network.siren_text("732829320") == "732\u00a0829\u00a0320"


def test_a_cooperative_is_registered_with_what_the_form_says():
    gateway = FakeGateway(register_cooperative={"id": C, "name": "Coopérative Nouvelle",
                                                "siren": "732829320"})
    assert network.register_cooperative(gateway, OPS, FORM, "k")["id"] == C
    assert gateway.calls == [("register_cooperative", {
        "name": "Coopérative Nouvelle", "siren": "732829320", "legal_form": "SCIC-SAS",
        "default_contribution_rate": "0.0950", "staff_size_bracket": "11_to_49"}, "k")]


def test_a_blank_or_unreadable_field_is_refused_without_asking_the_service():
    gateway = FakeGateway()
    with pytest.raises(FieldErrors) as error:
        network.register_cooperative(gateway, OPS, {**FORM, "nom": " ", "taux": "beaucoup",
                                                    "forme": "SARL"}, "k")
    assert error.value.codes == {"nom": "field.required", "taux": "rate.invalid",
                                 "forme": "legal_form.invalid"}
    assert gateway.calls == []


def test_the_services_refusals_of_a_cooperative_are_put_next_to_their_fields():
    luhn = FakeGateway(register_cooperative=ServiceError(422, "some fields are invalid", {
        "siren": ["not a valid SIREN (9 digits with a valid Luhn checksum)"]}, None, "members"))
    with pytest.raises(FieldErrors) as error:
        network.register_cooperative(luhn, OPS, {**FORM, "siren": "123456789"}, "k")
    assert error.value.codes == {"siren": "siren.invalid"}
    twice = FakeGateway(register_cooperative=ServiceError(
        409, "a cooperative with SIREN 732829320 is already registered",
        {"rule": ["cooperative.siren_registered"]}, "cooperative.siren_registered", "members"))
    with pytest.raises(FieldErrors) as error:
        network.register_cooperative(twice, OPS, FORM, "k")
    assert error.value.codes == {"siren": "cooperative.siren_registered"}
    down = FakeGateway(register_cooperative=ServiceError(503, "down", None, None, "members"))
    with pytest.raises(ServiceError):
        network.register_cooperative(down, OPS, FORM, "k")


def test_a_network_month_refused_as_a_whole_is_a_refusal_of_the_month():
    with pytest.raises(FieldErrors) as error:
        network.start_network_month(FakeGateway(), OPS, "2025-13", "k")
    assert error.value.codes == {"mois": "period.invalid"}
    ahead = FakeGateway(start_network_runs=ServiceError(
        422, "too far", {"rule": ["run.too_far_ahead"]}, "run.too_far_ahead", "payroll"))
    with pytest.raises(FieldErrors) as error:
        network.start_network_month(ahead, OPS, "2030-01", "k")
    assert error.value.codes == {"mois": "run.too_far_ahead"}
    again = FakeGateway(start_network_runs=ServiceError(409, "again", {}, None, "payroll"))
    with pytest.raises(FieldErrors) as error:
        network.start_network_month(again, OPS, "2025-01", "k")
    assert error.value.codes == {"mois": "run.concurrent"}


def _run(coop, expected=1, issued=0, status="running", left_out=()):
    return {"id": f"run-{coop[-1]}", "cooperative_id": coop, "period": "2025-01",
            "status": status, "expected": expected, "issued": issued, "paid_on": "2025-01-31",
            "left_out": [{"member_id": m, "reason": r, "detail": r} for m, r in left_out]}


def test_a_network_month_shows_each_cooperative_started_skipped_or_neither():
    answer = {"items": [_run(A, left_out=[("m-1", "salary.none"), ("m-2", "salary.none")])],
              "skipped": [{"cooperative_id": B, "rule": "run.out_of_order",
                           "detail": "the 2026-03 run exists"}]}
    gateway = FakeGateway(start_network_runs=answer, network_runs=answer["items"], cooperatives=[
        {"id": A, "name": "Zèbre"}, {"id": B, "name": "Ateliers"}, {"id": C, "name": "Nouvelle"}])
    assert network.start_network_month(gateway, OPS, "2025-01", "k") == answer
    month = network.network_month(gateway, OPS, "2025-01", network.merged(None, answer))
    assert [(r.name, r.outcome) for r in month.rows] == [
        ("Zèbre", "started"), ("Ateliers", "skipped"), ("Nouvelle", "none")]
    assert month.rows[0].left_out_by_reason == {"salary.none": 2}
    assert (month.count("started"), month.count("skipped"), month.expected) == (1, 1, 1)
    assert month.rows[1].rule == "run.out_of_order"
    assert ("network_runs", "2025-01") in gateway.calls  # the runs are payroll's, read now


def test_a_month_s_page_reads_every_run_from_payroll_without_the_session_s_answer():
    # a new sign-in, or a month started by the cooperatives' staff: no answer kept
    runs = [_run(A, expected=10, issued=4, left_out=[("m-1", "salary.below_smic")]),
            _run(B, expected=0, status="completed")]
    gateway = FakeGateway(network_runs=runs, cooperatives=[
        {"id": A, "name": "Zèbre"}, {"id": B, "name": "Ateliers"}, {"id": C, "name": "Nouvelle"}])
    month = network.network_month(gateway, OPS, "2025-01")
    assert [(r.name, r.outcome) for r in month.rows] == [
        ("Ateliers", "started"), ("Zèbre", "started"), ("Nouvelle", "none")]
    assert (month.expected, month.issued, month.left_out, month.running) == (10, 4, 1, True)
    assert (month.runs("running"), month.runs("completed")) == (1, 1)
    assert [r.percent for r in month.rows] == [100, 40, 0]


def test_a_month_cancelled_and_run_again_shows_its_live_run():
    cancelled = {**_run(A, status="cancelled"), "id": "run-old",
                 "started_at": "2025-01-20T10:00:00+00:00"}
    again = {**_run(A, expected=3, issued=3, status="completed"), "id": "run-new",
             "started_at": "2025-01-21T10:00:00+00:00"}
    only_cancelled = {**_run(B, status="cancelled"), "id": "run-b"}
    for order in ([cancelled, again, only_cancelled], [again, cancelled, only_cancelled]):
        found = network.month_runs(FakeGateway(network_runs=order), OPS, "2025-01")
        assert {coop: run["id"] for coop, run in found.items()} == {A: "run-new", B: "run-b"}


def test_a_month_cancelled_and_not_run_again_is_out_of_the_months_figures():
    runs = [_run(A, expected=3, issued=3, status="completed"),
            {**_run(B, expected=5, issued=0, status="cancelled"),
             "started_at": "2025-01-20T10:00:00+00:00"}]
    gateway = FakeGateway(network_runs=runs, cooperatives=[
        {"id": A, "name": "Zèbre"}, {"id": B, "name": "Ateliers"}, {"id": C, "name": "Nouvelle"}])
    month = network.network_month(gateway, OPS, "2025-01")
    assert [(r.name, r.outcome) for r in month.rows] == [
        ("Zèbre", "started"), ("Ateliers", "cancelled"), ("Nouvelle", "none")]
    assert (month.count("started"), month.count("cancelled")) == (1, 1)
    assert (month.expected, month.issued, month.running) == (3, 3, False)
    assert month.runs("cancelled") == 0
    progress = network.month_progress(FakeGateway(network_runs=runs), OPS, "2025-01")
    assert [r["cooperative_id"] for r in progress["runs"]] == [A]
    assert progress["figures"] == {"runs": 1, "cancelled": 1, "running": 0, "completed": 1,
                                   "expected": 3, "issued": 3}
    assert progress["running"] is False


def test_a_month_s_page_says_its_cancelled_runs_and_counts_only_the_others(monkeypatch):
    runs = [{**_run(A, expected=3, issued=3, status="completed"),
             "completed_at": "2025-01-31T08:01:30+00:00"},
            {**_run(B, expected=5, issued=0, status="cancelled"),
             "started_at": "2025-01-20T10:00:00+00:00"}]
    gateway = FakeGateway(network_runs=runs, cooperatives=[
        {"id": A, "name": "Zèbre"}, {"id": B, "name": "Ateliers"}])
    monkeypatch.setattr(pages, "gateway_for_viewer", lambda: gateway)
    client = _client(["network_operator"])
    html = client.get("/reseau/paie/2025-01").get_data(as_text=True)
    said = ("Toutes les paies du mois sont terminées : 3 bulletin(s) émis sur 3. "
            "1 paie(s) annulée(s) et non relancée(s), hors de ces chiffres.")
    assert f'<p role="status" class="live" data-figure="summary">{said}</p>' in html
    assert '<dd data-figure="started">1</dd>' in html
    assert '<dd data-figure="expected">3</dd>' in html
    assert f'<tr data-cooperative="{B}" data-outcome="cancelled" data-status="cancelled">' in html
    assert "Lancée puis annulée" in html and '<span data-field="status">Annulée</span>' in html
    assert "Annulée et non relancée : hors des chiffres du mois." in html
    assert "5 / 5" not in html and "0 / 5" not in html
    assert client.get("/reseau/paie/2025-01/etat").get_json()["summary"] == said
    runs.pop(0)  # only the cancelled run: no run goes on, and the page says why
    html = client.get("/reseau/paie/2025-01").get_data(as_text=True)
    only = ("Aucune paie du mois n'est en cours ni terminée : 1 paie(s) annulée(s) et non "
            "relancée(s).")
    assert only.replace("'", "&#39;") in html
    assert 'id="aucune-paie"' not in html
    assert client.get("/reseau/paie/2025-01/etat").get_json()["summary"] == only


def test_a_payroll_runs_status_words_agree_with_la_paie():
    french = catalogues.load("fr")
    words = {status: french.gettext(msgid) for status, msgid in pages.RUN_STATUS.items()}
    assert words == {"running": "En cours", "completed": "Terminée", "cancelled": "Annulée"}
    assert french.gettext("Cancelled") == "Annulé"  # a payslip's (le bulletin), unchanged


def test_a_month_s_progress_says_each_run_and_whether_any_still_runs():
    gateway = FakeGateway(network_runs=[_run(A, expected=10, issued=4),
                                        _run(B, expected=2, issued=2, status="completed")])
    progress = network.month_progress(gateway, OPS, "2025-01")
    assert progress["running"] is True
    assert [(r["cooperative_id"], r["status"], r["percent"]) for r in progress["runs"]] == [
        (A, "running", 40), (B, "completed", 100)]
    assert progress["figures"] == {"runs": 2, "cancelled": 0, "running": 1, "completed": 1,
                                   "expected": 12, "issued": 6}
    done = network.month_progress(FakeGateway(network_runs=[_run(B, status="completed")]),
                                  OPS, "2025-01")
    assert done["running"] is False
    nothing = network.month_progress(FakeGateway(network_runs=[]), OPS, "2025-01")
    assert (nothing["running"], nothing["figures"]["runs"]) == (False, 0)
    for viewer in (LEA, ALICE):
        with pytest.raises(network.NotOperator):
            network.month_progress(gateway, viewer, "2025-01")
        with pytest.raises(network.NotOperator):
            network.network_month(gateway, viewer, "2025-01")
    assert network.moment_text("2025-01-31T21:40:12.123456+00:00") == "31/01/2025 21:40"
    assert network.moment_text(None) == "\N{EM DASH}"


def test_the_runs_of_a_month_are_read_page_after_page(monkeypatch):
    gateway = HttpGateway(NOWHERE, "t")
    pages_asked = []

    def get(service, path, **params):
        pages_asked.append((service, path, params))
        return ({"items": [_run(A)], "next_cursor": "c2"} if params["cursor"] is None
                else {"items": [_run(B)], "next_cursor": None})

    monkeypatch.setattr(gateway, "_get", get)
    assert [r["cooperative_id"] for r in gateway.network_runs("2025-01")] == [A, B]
    assert pages_asked == [
        ("payroll", "/payroll-runs", {"limit": 1000, "cursor": None, "period": "2025-01"}),
        ("payroll", "/payroll-runs", {"limit": 1000, "cursor": "c2", "period": "2025-01"})]


def test_a_month_started_again_keeps_what_the_first_start_started():
    first = {"items": [_run(A)], "skipped": [{"cooperative_id": B, "rule": "run.out_of_order",
                                             "detail": ""}]}
    second = {"items": [_run(C, expected=0, status="completed")],
              "skipped": [{"cooperative_id": B, "rule": "run.out_of_order", "detail": ""}]}
    found = network.merged(first, second)
    assert [r["cooperative_id"] for r in found["items"]] == [A, C]
    assert [s["cooperative_id"] for s in found["skipped"]] == [B]


def test_health_asks_every_service_at_once_and_says_which_do_not_answer():
    answers = {"members": {"status": 200, "body": {"status": "ok"}, "ms": 4},
               "ledger": {"status": 200, "body": {"status": "degraded", "checks": {
                   "broker": {"ok": False}}}, "ms": 7},
               "payroll": {"status": None, "body": {}, "error": "ConnectionError", "ms": 1}}
    gateway = FakeGateway(health=lambda service, which: answers[service])
    found = network.health(gateway, OPS, ("members", "ledger", "payroll"))
    assert [(s.service, s.ready.ok, s.answers) for s in found] == [
        ("members", True, True), ("ledger", False, True), ("payroll", False, False)]
    assert found[1].ready.status == "degraded" and found[0].ready.ms == 4
    assert len(gateway.calls) == 6


def test_the_health_call_measures_the_answer_and_a_service_down_does_not_answer():
    found = HttpGateway(NOWHERE, "t", timeout=0.5).health("members", "ready")
    assert found["status"] is None and found["error"]


def _client(roles, coop=None, **settings):
    app = portal.create_app(PortalSettings(service_urls=NOWHERE, **settings))
    client = app.test_client()
    with client.session_transaction() as session:
        session.update(token="t", csrf="c" * 43, viewer={
            "subject": "x", "cooperative_id": coop, "roles": roles, "name": "X"})
    return client


@pytest.mark.parametrize("path", ["/reseau/cooperatives", "/reseau/cooperatives/nouvelle",
                                  "/reseau/paie", "/reseau/sante", "/reseau/paie/2025-01",
                                  "/reseau/paie/2025-01/etat"])
def test_an_entrepreneur_or_the_staff_get_the_403_page_on_the_network_pages(path):
    for roles, coop in ((["entrepreneur"], "coop-1"), (["staff"], A)):
        page = _client(roles, coop).get(path)
        assert page.status_code == 403 and "Accès refusé" in page.get_data(as_text=True)


def test_the_operator_gets_the_403_page_on_the_entrepreneurs_and_the_staffs_pages():
    client = _client(["network_operator"])
    for path in ("/accueil", f"/equipe/{A}/membres", f"/equipe/{A}/paie"):
        page = client.get(path)
        assert page.status_code == 403, path


def test_the_operator_lands_on_the_cooperatives_and_sees_the_network_menu(monkeypatch):
    gateway = FakeGateway(cooperatives=[{
        "id": A, "name": "Coopérative Les Ateliers", "siren": "732829320",
        "legal_form": "SCOP-SARL", "default_contribution_rate": "0.1000",
        "registered_at": "2026-01-05T10:00:00+00:00"}])
    monkeypatch.setattr(pages, "gateway_for_viewer", lambda: gateway)
    client = _client(["network_operator"])
    assert client.get("/").headers["Location"] == "/reseau/cooperatives"
    html = client.get("/reseau/cooperatives").get_data(as_text=True)
    assert "732\u00a0829\u00a0320" in html and "10\u00a0%" in html and "05/01/2026" in html
    for label in ("Coopératives", "Inscrire une coopérative", "Paie du réseau",
                  "Santé des services"):
        assert label in html


def test_a_refused_siren_is_shown_in_french_next_to_its_field(monkeypatch):
    gateway = FakeGateway(register_cooperative=ServiceError(422, "invalid", {
        "siren": ["not a valid SIREN (9 digits with a valid Luhn checksum)"]}, None, "members"))
    monkeypatch.setattr(pages, "gateway_for_viewer", lambda: gateway)
    page = _client(["network_operator"]).post("/reseau/cooperatives/nouvelle", data={
        "csrf": "c" * 43, "cle": "k1", **FORM, "siren": "123456789"})
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert 'id="siren-erreur"' in html and "clé de Luhn" in html
    assert 'aria-describedby="siren-aide siren-erreur"' in html
    assert 'value="Coopérative Nouvelle"' in html  # what was typed is kept
    assert gateway.calls[0][2] == "k1"


def test_a_network_form_without_its_csrf_token_is_refused_and_sends_nothing(monkeypatch):
    gateway = FakeGateway(start_network_runs={"items": [], "skipped": []})
    monkeypatch.setattr(pages, "gateway_for_viewer", lambda: gateway)
    page = _client(["network_operator"]).post("/reseau/paie", data={"mois": "2025-01"})
    assert page.status_code == 403 and "Formulaire refusé" in page.get_data(as_text=True)
    assert gateway.calls == []


def test_a_started_month_is_kept_in_the_session_and_shown_by_cooperative(monkeypatch):
    answer = {"items": [_run(A, left_out=[("m-1", "salary.none")])],
              "skipped": [{"cooperative_id": B, "rule": "run.out_of_order", "detail": "x"}]}
    gateway = FakeGateway(start_network_runs=answer, cooperatives=[
        {"id": A, "name": "Zèbre"}, {"id": B, "name": "Ateliers"}],
        network_runs=lambda period: answer["items"] if period == "2025-01" else [])
    monkeypatch.setattr(pages, "gateway_for_viewer", lambda: gateway)
    client = _client(["network_operator"])
    started = client.post("/reseau/paie", data={"csrf": "c" * 43, "cle": "k", "mois": "2025-01"})
    assert started.status_code == 303 and started.headers["Location"] == "/reseau/paie/2025-01"
    html = client.get("/reseau/paie/2025-01").get_data(as_text=True)
    assert "Paie du réseau de janvier 2025" in html
    assert "1 personne(s) : Aucun salaire choisi pour ce mois." in html
    assert "Un mois plus récent a déjà sa paie." in html
    assert "Cette session a lancé le mois le" in html
    assert "janvier 2025" in client.get("/reseau/paie").get_data(as_text=True)
    other = client.get("/reseau/paie/2025-02").get_data(as_text=True)
    assert "Aucune coopérative n'a encore de paie pour ce mois." in other
    assert "Pas de paie ce mois-ci" in other


def test_a_month_s_page_follows_its_runs_live_after_a_new_sign_in(monkeypatch):
    runs = [_run(A, expected=10, issued=4, left_out=[("m-1", "salary.none")]),
            {**_run(B, expected=2, issued=2, status="completed"),
             "started_at": "2025-01-31T08:00:00+00:00",
             "completed_at": "2025-01-31T08:01:30+00:00"}]
    gateway = FakeGateway(network_runs=runs, cooperatives=[
        {"id": A, "name": "Zèbre"}, {"id": B, "name": "Ateliers"}])
    monkeypatch.setattr(pages, "gateway_for_viewer", lambda: gateway)
    client = _client(["network_operator"])  # a session that started nothing
    html = client.get("/reseau/paie/2025-01").get_data(as_text=True)
    assert 'data-month-progress data-url="/reseau/paie/2025-01/etat" data-status="running"' \
        in html
    assert '<script src="/static/network-progress.js" defer></script>' in html
    assert "<script>" not in html  # CSP 'self': no inline script
    assert 'role="status"' in html and "1 paie(s) encore en cours sur 2." in html
    assert "4 / 10" in html and "2 / 2" in html and "le 31/01/2025 08:01" in html
    assert "En cours" in html and "Terminée" in html
    assert "Cette session a lancé" not in html
    state = client.get("/reseau/paie/2025-01/etat")
    assert state.status_code == 200 and state.mimetype == "application/json"
    body = state.get_json()
    assert body["running"] is True and body["summary"] == "1 paie(s) encore en cours sur 2."
    assert [(r["cooperative_id"], r["status_text"], r["issued_text"], r["completed_text"])
            for r in body["runs"]] == [(A, "En cours", "4 / 10", ""),
                                       (B, "Terminée", "2 / 2", "le 31/01/2025 08:01")]
    assert body["read"].startswith("Lu auprès de la paie à ")
    runs[0] = _run(A, expected=10, issued=10, status="completed")
    finished = client.get("/reseau/paie/2025-01/etat").get_json()
    assert finished["running"] is False
    assert finished["summary"] == ("Toutes les paies du mois sont terminées : 12 bulletin(s) "
                                   "émis sur 12.")
    assert 'data-status="finished"' in client.get("/reseau/paie/2025-01").get_data(as_text=True)
    assert client.get("/reseau/paie/2025-13/etat").status_code == 404
    for roles, coop in ((["entrepreneur"], "coop-1"), (["staff"], A)):
        assert _client(roles, coop).get("/reseau/paie/2025-01/etat").status_code == 403


def test_the_health_page_says_which_service_does_not_answer(monkeypatch):
    up = {"status": 200, "body": {"status": "ok", "checks": {"outbox": {"ok": True,
                                                                       "backlog": 0}}}, "ms": 3}
    gateway = FakeGateway(health=lambda service, which: up if service != "ledger" else {
        "status": None, "body": {}, "ms": 5000})
    monkeypatch.setattr(pages, "gateway_for_viewer", lambda: gateway)
    html = _client(["network_operator"]).get("/reseau/sante").get_data(as_text=True)
    assert "1 service(s) sur 5 ne répond(ent) pas." in html
    assert "ne répond pas" in html and "3 ms" in html and "Prêt" in html


def test_the_operators_demo_sign_in_is_refused_in_production():
    client = portal.create_app(PortalSettings(service_urls=NOWHERE, development=False)
                               ).test_client()
    client.get("/")
    with client.session_transaction() as session:
        token = session["csrf"]
    refused = client.post("/connexion", data={"csrf": token, "role": "network_operator"})
    assert refused.status_code == 404
    with client.session_transaction() as session:
        assert "token" not in session


def test_the_operators_demo_sign_in_in_development_signs_in_without_a_cooperative():
    client = portal.create_app(PortalSettings(service_urls=NOWHERE)).test_client()
    client.get("/connexion/oidc")  # a session (and its CSRF token), no service asked
    with client.session_transaction() as session:
        token = session["csrf"]
    signed = client.post("/connexion", data={"csrf": token, "role": "network_operator"})
    assert signed.status_code == 303 and signed.headers["Location"] == "/reseau/cooperatives"
    with client.session_transaction() as session:
        assert session["viewer"]["roles"] == ["network_operator"]
        assert session["viewer"]["cooperative_id"] is None
