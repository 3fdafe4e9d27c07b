"""The matching pages' use cases with a fake gateway (no service), the pages rendered by the
application with it, and every word they show translated into French."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cae_portal.adapters import catalogues
from cae_portal.adapters.settings import SERVICES, PortalSettings
from cae_portal.entrypoints import app as portal
from cae_portal.entrypoints import matching as pages
from cae_portal.usecases import matching
from cae_portal.usecases.gateway import FieldErrors, NotYours, ServiceError, Viewer

COOP, OTHER_COOP = "c0000000-0000-4000-8000-000000000001", "c0000000-0000-4000-8000-000000000002"
LEA, KARIM = "a0000000-0000-4000-8000-000000000001", "a0000000-0000-4000-8000-000000000002"
CALL, PROPOSAL = "b0000000-0000-4000-8000-000000000001", "d0000000-0000-4000-8000-000000000001"
GROUP = "e0000000-0000-4000-8000-000000000001"
LEA_VIEW = Viewer(LEA, COOP, frozenset({"entrepreneur"}), "Léa Martin", "BOULANGE")
STAFF = Viewer("alice", COOP, frozenset({"staff"}), "Alice")
PACKAGE = Path(portal.__file__).resolve().parents[1]


def problem(status, errors=None, rule=None, detail="refused"):
    return ServiceError(status, detail, {**(errors or {}), **({"rule": [rule]} if rule else {})},
                        rule, "matching")


PROFILE = {"member_id": LEA, "cooperative_id": COOP, "cooperative_name": "Les Ateliers",
           "identity": {"first_name": "Léa", "last_name": "Martin"},
           "presentation": "Boulangère", "skills": [
               {"concept_uri": None, "label": "Boulangerie", "level": 4, "years": 12}],
           "trades": ["Boulangère"], "languages": [{"code": "fr", "level": "native"}],
           "place": {"commune": "Lyon", "commune_code": "69123", "latitude": "45.767299",
                     "longitude": "4.834329", "travel_radius_km": 30},
           "day_rate": {"min_cents": 30000, "max_cents": 40000},
           "availability": [{"starts_on": "2026-01-01", "ends_on": "2026-12-31",
                             "days_per_week": 5}],
           "references": [{"title": "Fournil", "client": None, "year": 2025,
                           "description": None}], "groups": [], "updated_at": None}
CALL_ROW = {"id": CALL, "cooperative_id": COOP, "title": "Traduction du guide",
            "description": None, "buyer": "Ville de Lyon", "commune": "Lyon",
            "latitude": 45.7, "longitude": 4.8, "starts_on": "2027-01-04",
            "ends_on": "2027-01-08", "deadline": "2026-12-20", "budget_cents": 500000,
            "certifications": [], "objective": "smallest", "scope": "cooperative",
            "status": "proposed", "created_at": "2026-12-01T10:00:00+00:00",
            "created_by": "alice", "published_at": None,
            "requirements": [{"code": "E1", "concept_uri": None, "label": "Traduction",
                              "min_level": 3, "people": 1, "certifications": []}]}
MINE = {"proposal_id": PROPOSAL, "call_id": CALL, "cooperative_id": COOP,
        "title": "Traduction du guide", "buyer": "Ville de Lyon", "commune": "Lyon",
        "starts_on": "2027-01-04", "ends_on": "2027-01-08", "rank": 1, "status": "proposed",
        "covers": ["E1"], "answer": "pending"}
TEAM = {"proposal_id": PROPOSAL, "call_id": CALL, "rank": 1, "status": "proposed",
        "objective": "smallest", "cost": 1, "day_rate_total_cents": None,
        "proven_optimal": True, "lower_bound": 1, "gap": "0", "method": "exact",
        "guarantee": None, "created_at": "2026-12-02T10:00:00+00:00", "decided_at": None,
        "members": [{"member_id": LEA, "cooperative_id": COOP, "name": "Léa Martin",
                     "covers": ["E1"], "day_rate_cents": None, "distance_km": 2,
                     "answer": "accepted", "answered_at": "2026-12-03T10:00:00+00:00"}],
        "requirements": [{"code": "E1", "label": "Traduction", "members": [LEA]}]}


class FakeGateway:
    """The matching API as the use cases call it: records the writes, refuses on demand."""

    def __init__(self, refuse: dict | None = None):
        self.written: list[tuple] = []
        self.refuse = refuse or {}
        self.group_members = [{"member_id": KARIM, "name": "Karim Benali"}]

    def _maybe(self, name):
        if name in self.refuse:
            raise self.refuse[name]

    def gather(self, calls):
        return {name: call() for name, call in calls.items()}

    def members(self, coop):
        return [{"id": LEA, "first_name": "Léa", "last_name": "Martin"},
                {"id": KARIM, "first_name": "Karim", "last_name": "Benali"},
                {"id": "gone", "first_name": "Paul", "last_name": "Parti",
                 "left_on": "2026-02-01"}]

    def profile(self, coop, member_id):
        self._maybe("profile")
        return PROFILE

    def put_profile(self, coop, member_id, body, key):
        self._maybe("put_profile")
        self.written.append(("profile", coop, member_id, body))
        return PROFILE

    def consent(self, coop, member_id):
        return {"member_id": member_id, "network": {"identity": True, "skills": True},
                "history": []}

    def put_consent(self, coop, member_id, body, key):
        self._maybe("put_consent")
        self.written.append(("consent", coop, member_id, body))
        return {"member_id": member_id, "network": body, "history": []}

    def directory(self, coop, **criteria):
        self._maybe("directory")
        self.written.append(("directory", coop, criteria))
        return {"items": [{"member_id": LEA, "cooperative_id": COOP, "rank": 1, "score": 9,
                           "reasons": [{"criterion": "text", "field": "skills",
                                        "detail": "compétence Boulangerie"}],
                           "profile": PROFILE}], "next_cursor": None}

    def directory_profile(self, coop, member_id):
        shared = {k: v for k, v in PROFILE.items() if k not in ("place", "day_rate")}
        return {**shared, "cooperative_id": OTHER_COOP}

    def concepts(self, text, kind="skill", limit=10):
        self.written.append(("concepts", text, kind, limit))
        return [{"uri": "u1", "kind": "skill", "label": "traduire des textes"},
                {"uri": "u2", "kind": "skill", "label": "traduire des textes"},
                {"uri": "u3", "kind": "skill", "label": "traduire une langue étrangère"}]

    def calls(self, coop, status=None):
        return [CALL_ROW, {**CALL_ROW, "id": "draft", "status": "draft"}]

    def call(self, coop, call_id):
        return CALL_ROW

    def create_call(self, coop, body, key):
        self._maybe("create_call")
        self.written.append(("call", coop, body))
        return {**CALL_ROW, "title": body["title"]}

    def publish_call(self, coop, call_id, key):
        self._maybe("publish_call")
        return CALL_ROW

    def close_call(self, coop, call_id, key):
        return CALL_ROW

    def propose_teams(self, coop, call_id, body, key):
        self._maybe("propose_teams")
        self.written.append(("propose", call_id, body))
        return {"call_id": call_id, "status": "proposed", "objective": "smallest",
                "proposals": [TEAM], "excluded": [], "uncovered": [], "greedy": None}

    def proposals(self, coop, call_id):
        return [TEAM]

    def member_proposals(self, coop, member_id, status="all"):
        return [MINE]

    def answer_proposal(self, coop, member_id, proposal_id, accept, key):
        self._maybe("answer_proposal")
        self.written.append(("answer", member_id, proposal_id, accept))
        return {"proposal": TEAM, "call_status": "proposed", "team_accepted": False}

    def groups(self, coop):
        return [{"id": GROUP, "cooperative_id": coop, "name": "Bâtiment", "topic": "Rénovation",
                 "description": None, "created_at": "2026-12-01T10:00:00+00:00",
                 "member_count": 1, "members": self.group_members}]

    def group(self, coop, group_id):
        return self.groups(coop)[0]

    def create_group(self, coop, body, key):
        self._maybe("create_group")
        self.written.append(("group", body))
        return {**self.groups(coop)[0], "name": body["name"]}

    def add_group_member(self, coop, group_id, member_id, key):
        self.written.append(("add", group_id, member_id))
        return self.groups(coop)[0]

    def remove_group_member(self, coop, group_id, member_id, key):
        self._maybe("remove_group_member")
        self.written.append(("remove", group_id, member_id))
        return self.groups(coop)[0]


# -- the entrepreneur's profile -----------------------------------------------------------------

PROFILE_FORM = {"presentation": "Boulangère au levain", "metiers": "Boulangère\n\nPâtissière",
                "competence-0-libelle": "Boulangerie", "competence-0-niveau": "4",
                "competence-0-annees": "12", "competence-1-libelle": "",
                "competence-1-niveau": "", "competence-1-annees": "",
                "competence-2-libelle": "Pâtisserie", "competence-2-niveau": "3",
                "competence-2-annees": "", "commune": "lyon", "rayon": "40",
                "latitude": "", "longitude": "", "tarif_min": "300", "tarif_max": "420,50",
                "dispo-0-debut": "2026-01-01", "dispo-0-fin": "31/12/2026", "dispo-0-jours": "4",
                "dispo-1-debut": "", "dispo-1-fin": "", "dispo-1-jours": ""}


def test_the_profile_form_is_sent_whole_with_a_known_communes_place_and_languages_kept():
    gateway = FakeGateway()
    matching.save_profile(gateway, LEA_VIEW, LEA, PROFILE_FORM, PROFILE, "k1")
    (_, coop, member, body), = gateway.written
    assert (coop, member) == (COOP, LEA)
    assert body["skills"] == [{"label": "Boulangerie", "level": 4, "years": 12},
                              {"label": "Pâtisserie", "level": 3, "years": 0}]
    assert body["trades"] == ["Boulangère", "Pâtissière"]
    assert body["place"] == {"commune": "Lyon", "commune_code": "69123",
                             "latitude": "45.767299", "longitude": "4.834329",
                             "travel_radius_km": 40}
    assert body["day_rate"] == {"min_cents": 30000, "max_cents": 42050}
    assert body["availability"] == [{"starts_on": "2026-01-01", "ends_on": "2026-12-31",
                                      "days_per_week": 4}]
    assert body["languages"] == PROFILE["languages"]
    assert body["references"] == [{"title": "Fournil", "year": 2025}]


def test_the_profile_form_refuses_what_the_portal_cannot_read_before_asking():
    gateway = FakeGateway()
    form = {**PROFILE_FORM, "competence-0-annees": "douze", "commune": "Trifouilly",
            "competence-2-niveau": ""}
    with pytest.raises(FieldErrors) as refused:
        matching.save_profile(gateway, LEA_VIEW, LEA, form, PROFILE, "k1")
    assert refused.value.codes == {"competence-0-annees": "form.annees",
                                   "commune": "form.commune_unknown",
                                   "competence-2-niveau": "form.niveau"}
    assert gateway.written == []


def test_a_refusal_of_the_service_lands_on_the_forms_line_it_names():
    schema = problem(422, {"place": {"travel_radius_km": ["Must be ... 1000."]},
                           "skills": {"1": {"level": ["Must be ..."]}}})
    gateway = FakeGateway({"put_profile": schema})
    with pytest.raises(FieldErrors) as refused:
        matching.save_profile(gateway, LEA_VIEW, LEA, {**PROFILE_FORM, "rayon": "5000"},
                              PROFILE, "k1")
    # the second skill sent is the form's line 2 (line 1 was empty)
    assert set(refused.value.fields) == {"rayon", "competence-2-niveau"}
    words = _french(refused.value)
    assert words["rayon"] == ["Une distance en kilomètres, de 0 à 1 000."]
    rule = problem(422, {"day_rate.max_cents": ["the minimum is at most the maximum"]},
                   "day_rate.order")
    with pytest.raises(FieldErrors) as refused:
        matching.save_profile(FakeGateway({"put_profile": rule}), LEA_VIEW, LEA,
                              PROFILE_FORM, PROFILE, "k1")
    assert _french(refused.value) == {"tarif_max": ["Le maximum n'est pas inférieur au "
                                                    "minimum."]}


def _french(refused):
    app = portal.create_app(PortalSettings(service_urls=NOWHERE))
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        app.preprocess_request()
        return pages._french(refused)


def test_an_entrepreneur_never_reaches_anothers_profile_nor_does_the_staff():
    gateway = FakeGateway()
    for viewer, member in ((LEA_VIEW, KARIM), (STAFF, LEA)):
        with pytest.raises(NotYours):
            matching.profile_page(gateway, viewer, member)
        with pytest.raises(NotYours):
            matching.save_profile(gateway, viewer, member, PROFILE_FORM, None, "k")
        with pytest.raises(NotYours):
            matching.save_consents(gateway, viewer, member, {"identity"}, "k")
    assert gateway.written == []


def test_consents_name_every_field_and_without_a_profile_the_refusal_is_next_to_them():
    gateway = FakeGateway()
    matching.save_consents(gateway, LEA_VIEW, LEA, {"identity", "skills"}, "k")
    body = gateway.written[0][3]
    assert set(body) == set(matching.FIELDS)
    assert [f for f, shown in body.items() if shown] == ["identity", "skills"]
    no_profile = problem(422, {"member_id": ["write your profile before sharing it"]},
                         "consent.no_profile")
    with pytest.raises(FieldErrors) as refused:
        matching.save_consents(FakeGateway({"put_consent": no_profile}), LEA_VIEW, LEA,
                               {"identity"}, "k")
    assert refused.value.codes == {"partage": "consent.no_profile"}


def test_a_profile_not_written_yet_is_an_empty_form():
    page = matching.profile_page(FakeGateway({"profile": problem(404, rule="member.unknown")}),
                                 LEA_VIEW, LEA)
    assert page.profile is None and page.network["identity"] is True
    form = matching.profile_form(PROFILE)
    assert form["commune"] == "Lyon" and form["latitude"] == ""  # the commune says it
    assert form["tarif_min"] == "300" and form["competence-0-niveau"] == "4"
    assert matching.line_count(form, "competence", 3) == 4


# -- the directory -------------------------------------------------------------------------------

def test_the_directory_searches_by_text_around_a_known_commune_in_the_network():
    gateway = FakeGateway()
    found = matching.search_directory(gateway, LEA_VIEW, {"q": "boulangerie",
                                                           "commune": "Villeurbanne",
                                                           "rayon": "15", "portee": "reseau"})
    assert found.asked and len(found.hits) == 1
    assert gateway.written == [("directory", COOP, {
        "scope": "network", "limit": 50, "q": "boulangerie", "latitude": "45.766612",
        "longitude": "4.879613", "radius_km": 15, "place_label": "Villeurbanne"})]
    assert not matching.search_directory(FakeGateway(), LEA_VIEW, {}).asked
    with pytest.raises(FieldErrors) as refused:
        matching.search_directory(gateway, LEA_VIEW, {"commune": "Atlantis"})
    assert refused.value.codes == {"commune": "form.commune_unknown"}


def test_the_skill_fields_suggest_the_taxonomys_labels_from_two_letters_on():
    gateway = FakeGateway()
    assert matching.suggest_skills(gateway, LEA_VIEW, " t ") == []
    assert matching.suggest_skills(gateway, STAFF, "tradu") == [
        "traduire des textes", "traduire une langue étrangère"]
    assert gateway.written == [("concepts", "tradu", "skill", 10)]


# -- calls and proposals --------------------------------------------------------------------------

def test_the_entrepreneur_sees_the_published_calls_and_answers_for_themselves():
    gateway = FakeGateway()
    page = matching.calls_page(gateway, LEA_VIEW)
    assert [c["id"] for c in page.calls] == [CALL]  # the draft is the staff's
    assert page.proposals == [MINE]
    matching.answer(gateway, LEA_VIEW, PROPOSAL, False, "k")
    assert gateway.written == [("answer", LEA, PROPOSAL, False)]
    answered = problem(409, {"proposal_id": ["answered otherwise"]}, "proposal.answered")
    with pytest.raises(FieldErrors) as refused:
        matching.answer(FakeGateway({"answer_proposal": answered}), LEA_VIEW, PROPOSAL, True,
                        "k")
    assert set(refused.value.codes.values()) == {"proposal.answered"}


CALL_FORM = {"titre": "Traduction du guide", "acheteur": "Ville de Lyon", "commune": "Lyon",
             "debut": "2027-01-04", "fin": "2027-01-08", "date_limite": "2026-12-20",
             "budget": "5 000", "portee": "reseau", "objectif": "plus-petite",
             "exigence-0-competence": "Traduction", "exigence-0-niveau": "3",
             "exigence-0-personnes": "", "exigence-1-competence": "",
             "exigence-1-niveau": "1", "exigence-2-competence": "Relecture",
             "exigence-2-niveau": "2", "exigence-2-personnes": "2"}


def test_the_staff_write_a_call_with_its_requirements_and_a_refusal_lands_next_to_its_field():
    gateway = FakeGateway()
    matching.create_call(gateway, STAFF, COOP, CALL_FORM, "k")
    body = gateway.written[0][2]
    assert body["requirements"] == [
        {"code": "E1", "label": "Traduction", "min_level": 3, "people": 1},
        {"code": "E3", "label": "Relecture", "min_level": 2, "people": 2}]
    assert (body["scope"], body["budget_cents"], body["latitude"]) == ("network", 500000,
                                                                        45.767299)
    order = problem(422, {"ends_on": ["a call ends on or after starts_on"]})
    with pytest.raises(FieldErrors) as refused:
        matching.create_call(FakeGateway({"create_call": order}), STAFF, COOP, CALL_FORM, "k")
    assert refused.value.fields == {"fin": ["a call ends on or after starts_on"]}
    level = problem(422, {"requirements": {"1": {"min_level": ["Must be ..."]}}})
    with pytest.raises(FieldErrors) as refused:
        matching.create_call(FakeGateway({"create_call": level}), STAFF, COOP, CALL_FORM, "k")
    assert list(refused.value.fields) == ["exigence-2-niveau"]
    with pytest.raises(FieldErrors) as refused:
        matching.create_call(gateway, STAFF, COOP, {"titre": ""}, "k")
    assert set(refused.value.fields) == {"titre", "debut", "fin", "exigences"}


def test_the_staff_publish_propose_and_only_in_their_own_cooperative():
    gateway = FakeGateway()
    proposed = matching.propose_team(gateway, STAFF, COOP, CALL, "k")
    assert proposed.teams == 1 and gateway.written[0][2] == {"alternatives": 3,
                                                             "time_limit_seconds": 5}
    late = problem(422, {}, "call.deadline_passed", "deadline passed")
    with pytest.raises(FieldErrors) as refused:
        matching.publish_call(FakeGateway({"publish_call": late}), STAFF, COOP, CALL, "k")
    assert refused.value.codes == {"date_limite": "call.deadline_passed"}
    with pytest.raises(NotYours):
        matching.staff_calls(gateway, STAFF, OTHER_COOP)
    with pytest.raises(NotYours):
        matching.staff_calls(gateway, LEA_VIEW, COOP)
    assert matching.staff_call(gateway, STAFF, COOP, CALL).labels == {"E1": "Traduction"}


def test_the_staff_create_a_group_and_add_only_members_not_in_it_nor_gone():
    gateway = FakeGateway()
    page = matching.group_page(gateway, STAFF, COOP, GROUP)
    assert [m["id"] for m in page.others] == [LEA]
    matching.create_group(gateway, STAFF, COOP, {"nom": "Bâtiment", "theme": "Rénovation",
                                                 "description": ""}, "k")
    assert gateway.written[-1] == ("group", {"name": "Bâtiment", "topic": "Rénovation",
                                             "description": None})
    taken = problem(409, {"name": ["taken"]}, "group.name_taken")
    with pytest.raises(FieldErrors) as refused:
        matching.create_group(FakeGateway({"create_group": taken}), STAFF, COOP,
                              {"nom": "Bâtiment", "theme": "x"}, "k")
    assert refused.value.codes == {"nom": "group.name_taken"}
    with pytest.raises(FieldErrors):
        matching.add_to_group(gateway, STAFF, COOP, GROUP, "", "k")


# -- the pages rendered, in French ------------------------------------------------------------------

NOWHERE = {s: "http://127.0.0.1:9" for s in SERVICES}


@pytest.fixture
def signed(monkeypatch):
    gateway = FakeGateway()
    monkeypatch.setattr(pages, "gateway_for_viewer", lambda: gateway)
    app = portal.create_app(PortalSettings(service_urls=NOWHERE, development=True))
    client = app.test_client()

    def as_(viewer: Viewer):
        with client.session_transaction() as session:
            session["token"] = "t"
            session["csrf"] = "c" * 43
            session["viewer"] = {"subject": viewer.subject, "cooperative_id": viewer.cooperative_id,
                                 "roles": sorted(viewer.roles), "name": viewer.name,
                                 "activity_code": viewer.activity_code}

    client.as_ = as_
    client.gateway = gateway
    return client


def test_every_page_renders_in_french_and_anothers_profile_is_the_403_page(signed):
    signed.as_(LEA_VIEW)
    for path in (f"/profils/{LEA}/modifier", "/annuaire?q=pain&commune=Lyon",
                 f"/annuaire/{KARIM}", "/appels-d-offres", f"/appels-d-offres/{CALL}"):
        page = signed.get(path, headers={"Accept-Language": "fr"})
        assert page.status_code == 200, (path, page.get_data(as_text=True)[:500])
        assert 'lang="fr"' in page.get_data(as_text=True)
    text = signed.get(f"/annuaire/{KARIM}").get_data(as_text=True)
    assert "Non partagé avec votre coopérative." in text
    assert signed.get(f"/profils/{KARIM}/modifier").status_code == 403
    assert signed.get("/competences/suggestions?q=trad").json == [
        "traduire des textes", "traduire une langue étrangère"]
    assert signed.get(f"/equipe/{COOP}/appels-d-offres").status_code == 403
    signed.as_(STAFF)
    for path in ("/appels-d-offres", "/appels-d-offres/nouveau", f"/appels-d-offres/{CALL}",
                 "/groupes", f"/groupes/{GROUP}"):
        page = signed.get(f"/equipe/{COOP}{path}")
        assert page.status_code == 200, (path, page.get_data(as_text=True)[:500])
    menu = signed.get(f"/equipe/{COOP}/groupes").get_data(as_text=True)
    assert f'href="/equipe/{COOP}/appels-d-offres"' in menu and "Groupes" in menu
    assert signed.get(f"/profils/{LEA}/modifier").status_code == 403


def test_a_refused_form_shows_the_french_words_next_to_its_field(signed):
    signed.as_(STAFF)
    signed.gateway.refuse["create_call"] = problem(422, {"ends_on": ["a call ends..."]})
    page = signed.post(f"/equipe/{COOP}/appels-d-offres/nouveau",
                       data={**CALL_FORM, "csrf": "c" * 43, "cle": "k"})
    assert page.status_code == 422
    text = page.get_data(as_text=True)
    assert 'id="fin-erreur">Une date égale ou postérieure au premier jour.' in text
    assert 'aria-describedby="fin-erreur" aria-invalid="true"' in text


def test_a_fields_hint_and_refusal_are_named_without_stray_spaces(signed):
    signed.as_(STAFF)
    signed.gateway.refuse["create_call"] = problem(422, {"ends_on": ["a call ends..."],
                                                         "buyer": ["too long"]})
    page = signed.post(f"/equipe/{COOP}/appels-d-offres/nouveau",
                       data={**CALL_FORM, "csrf": "c" * 43, "cle": "k"})
    text = page.get_data(as_text=True)
    assert 'id="fin" name="fin"' in text
    assert 'aria-describedby="fin-erreur" aria-invalid="true"' in text  # no hint
    assert 'aria-describedby="acheteur-aide acheteur-erreur" aria-invalid="true"' in text
    assert 'aria-describedby="latitude-aide">' in text  # a hint, no refusal
    described = re.findall(r'aria-describedby="([^"]*)"', text)
    assert described and all(v == " ".join(v.split()) for v in described), described


@pytest.mark.parametrize("sent", ["../../profiles/x", f"{LEA}/../../profiles/{KARIM}",
                                  f"{LEA}?x=1", f"{LEA}#x", f"urn:uuid:{LEA}",
                                  "{" + LEA + "}", LEA.replace("-", ""), "", "  "])
def test_a_group_member_that_is_not_a_members_id_is_refused_before_asking(signed, sent):
    signed.as_(STAFF)
    page = signed.post(f"/equipe/{COOP}/groupes/{GROUP}/membres",
                       data={"membre": sent, "csrf": "c" * 43, "cle": "k"})
    assert page.status_code == 422
    text = page.get_data(as_text=True)
    assert 'aria-describedby="membre-erreur"' in text
    assert 'id="membre-erreur">Choisissez un membre de la coopérative.</p>' in text
    assert not [w for w in signed.gateway.written if w[0] == "add"]


def test_a_group_member_is_added_by_the_id_the_service_reads(signed):
    signed.as_(STAFF)
    page = signed.post(f"/equipe/{COOP}/groupes/{GROUP}/membres",
                       data={"membre": f" {KARIM.upper()} ", "csrf": "c" * 43, "cle": "k"})
    assert page.status_code == 303
    assert signed.gateway.written[-1] == ("add", GROUP, KARIM)


def test_the_menus_have_at_most_three_and_two_entries():
    assert len(pages.NAVIGATION["entrepreneur"]) <= 3 and len(pages.NAVIGATION["staff"]) <= 2


def test_every_message_of_the_matching_pages_has_its_french_translation():
    used = (catalogues.messages_in_templates(PACKAGE / "entrypoints" / "templates" / "matching")
            | _code_messages()
            | {label for items in pages.NAVIGATION.values() for _, label in items}
            | set(pages.RULES.values()) | set(pages.LEVELS.values())
            | set(pages.FIELD_NAMES.values()) | set(pages.CALL_STATUSES.values())
            | set(pages.PROPOSAL_STATUSES.values()) | set(pages.ANSWERS.values())
            | set(pages.SCOPES.values()) | set(pages.OBJECTIVES.values()))
    french = catalogues.load("fr")
    missing = sorted(m for m in used if french.gettext(m) == m and m not in {"Budget", "Expert"})
    assert not missing, missing


def _code_messages() -> set[str]:
    from babel.messages.extract import extract_from_file

    return {message for _line, message, _comments, _context in extract_from_file(
        "python", str(PACKAGE / "entrypoints" / "matching.py"), keywords={"t": None})
        if isinstance(message, str)}


def test_the_calls_page_reads_the_viewers_proposals_as_the_call_page_does(monkeypatch):
    asked = []

    def proposals(gateway, coop, member_id):
        asked.append((coop, member_id))
        return matching_proposals(gateway, coop, member_id)

    matching_proposals = matching.calls_page_proposals
    monkeypatch.setattr(matching, "calls_page_proposals", proposals)
    unknown = FakeGateway()
    monkeypatch.setattr(unknown, "member_proposals", lambda *a: (_ for _ in ()).throw(
        problem(404, rule="member.unknown")))
    assert matching.calls_page(unknown, LEA_VIEW).proposals == []  # not known to matching yet
    assert asked == [(COOP, LEA)]
