"""The assemblies' use cases (usecases/governance.py) with a fake governance service, and
the French words of every message the assemblies' pages show."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pytest

from cae_portal.adapters import catalogues
from cae_portal.entrypoints import app as portal
from cae_portal.entrypoints import assemblies as pages
from cae_portal.usecases import forms
from cae_portal.usecases import governance as usecases
from cae_portal.usecases.gateway import FieldErrors, NotYours, ServiceError, Viewer
from cae_portal.usecases.staff import NotStaff

COOP, OTHER = "c-1", "c-2"
INES, PAUL, CHLOE = "m-ines", "m-paul", "m-chloe"
ASSEMBLY = "a-1"
PACKAGE = Path(portal.__file__).resolve().parents[1]


def ines() -> Viewer:
    return Viewer(INES, COOP, frozenset({"entrepreneur"}), "Inès Moreau", "GOVINES")


def staff(coop: str = COOP) -> Viewer:
    return Viewer("alice", coop, frozenset({"staff"}), "alice")


def resolution(rid="r-1", code="1", kind="ordinary", status="pending", secret=False,
               result=None) -> dict:
    return {"id": rid, "code": code, "title": f"Résolution {code}", "text": "…", "kind": kind,
            "secret": secret, "status": status, "result": result}


def assembly(status="convened", resolutions=None, attendance=None, quorum=None) -> dict:
    return {"id": ASSEMBLY, "title": "AG", "kind": "combined", "convocation": 1,
            "held_at": "2026-12-20T17:00:00+00:00", "place": "Lyon", "status": status,
            "record_date": "2026-11-17", "electorate": 5, "documents": [],
            "resolutions": resolutions or [resolution()], "attendance": attendance,
            "quorum": quorum or []}


RULES = [{"kind": "ordinary", "convocation": 1, "quorum": None},
         {"kind": "extraordinary", "convocation": 1, "quorum": "3/4"},
         {"kind": "extraordinary", "convocation": 2, "quorum": "1/2"}]


def sheet(signed: dict[str, str] | None = None, fixed=False, represented=0, postal=0,
          quorum=None, electorate=5) -> dict:
    """The service's attendance sheet (GET .../sign-ins, every page): ``signed`` maps a
    member to in_person or remote; ``quorum`` as the service counted it."""
    signed = signed or {}
    modes = list(signed.values())
    return {"assembly_id": ASSEMBLY, "status": "open" if fixed else "convened", "fixed": fixed,
            "electorate": electorate, "signed_in": len(signed),
            "in_person": modes.count("in_person"), "remote": modes.count("remote"),
            "postal": postal, "represented": represented, "blank_proxies": 0, "proxies": 0,
            "taking_part": len(signed) + postal + represented, "text": "…",
            "quorum": quorum or [], "next_cursor": None,
            "items": [{"member_id": m, "name": None, "mode": mode,
                       "signed_at": "2026-12-20T16:55:00+00:00", "proxies_held": []}
                      for m, mode in signed.items()]}


class FakeGovernance:
    def __init__(self, found: dict | None = None, refuse: dict | None = None):
        self.found = found or assembly()
        self.refuse = refuse or {}  # method -> ServiceError
        self.calls: list[tuple] = []
        # the service's attendance sheet: whoever signs in, through this portal or not
        self.signed: dict[str, str] = {}
        self.fixed = False  # the sheet fixed at the opening
        self.represented = 0
        self.postal = 0
        self.needed: dict[str, tuple[str | None, int]] = {}  # kind -> (fraction, needed)
        self.proxy_items: list[dict] = []
        self.voter_items: dict[str, list[dict]] = {}
        self.ballot_list: dict = {"items": [], "counts": {}}

    def _maybe_refuse(self, name):
        if name in self.refuse:
            raise self.refuse[name]

    def gather(self, calls):
        return {name: call() for name, call in calls.items()}

    def governance_settings(self, coop):
        return {"rules": RULES}

    def associates(self, coop, on=None):
        self.calls.append(("associates", coop, on))
        return [{"member_id": m, "name": n} for m, n in (
            (INES, "Inès Moreau"), (PAUL, "Paul Girard"), (CHLOE, "Chloé Petit"))]

    def assemblies(self, coop):
        self.calls.append(("assemblies", coop))
        self._maybe_refuse("assemblies")
        return [{**self.found, "id": "old", "held_at": "2025-06-01T10:00:00+00:00"},
                self.found]

    def assembly(self, coop, assembly_id):
        self.calls.append(("assembly", coop, assembly_id))
        self._maybe_refuse("assembly")
        return self.found

    def proxies(self, coop, assembly_id):
        return {"items": self.proxy_items, "cap": 1, "cap_rule": "…"}

    def attendance_sheet(self, coop, assembly_id):
        self.calls.append(("attendance_sheet", coop, assembly_id))
        taking = len(self.signed) + self.represented + self.postal
        return sheet(self.signed, fixed=self.fixed, represented=self.represented,
                     postal=self.postal, quorum=[
            {"kind": kind, "required": fraction, "needed": needed, "taking_part": taking,
             "associates": 5, "reached": taking >= needed, "formula": "…"}
            for kind, (fraction, needed) in sorted(self.needed.items())])

    def give_proxy(self, coop, assembly_id, body, key):
        self.calls.append(("give_proxy", coop, assembly_id, body, key))
        self._maybe_refuse("give_proxy")
        return {"giver": INES, **body}

    def revoke_proxy(self, coop, assembly_id, body, key):
        self.calls.append(("revoke_proxy", coop, assembly_id, body, key))
        self._maybe_refuse("revoke_proxy")
        return {}

    def vote(self, coop, assembly_id, resolution_id, body):
        self.calls.append(("vote", coop, assembly_id, resolution_id, body))
        self._maybe_refuse("vote")
        secret = resolution_id == "r-secret"
        return {"resolution_id": resolution_id, "voter": INES, "secret": secret,
                "receipt": "K7QX-2P9M" if secret else None}

    def voters(self, coop, assembly_id, resolution_id):
        return self.voter_items.get(resolution_id, [])

    def ballots(self, coop, assembly_id, resolution_id):
        self._maybe_refuse("ballots")
        return self.ballot_list

    def convene(self, coop, body, key):
        self.calls.append(("convene", coop, body, key))
        self._maybe_refuse("convene")
        return {**assembly(), "id": "new"}

    def sign_in_associate(self, coop, assembly_id, body, key):
        self.calls.append(("sign_in", coop, assembly_id, body, key))
        self._maybe_refuse("sign_in_associate")
        self.signed[body["member_id"]] = body["mode"]
        return body

    def open_assembly(self, coop, assembly_id, body, key):
        self.calls.append(("open", coop, assembly_id, body, key))
        self._maybe_refuse("open_assembly")
        return {**self.found, "status": "open"}

    def close_poll(self, coop, assembly_id, resolution_id, key):
        self.calls.append(("close_poll", coop, assembly_id, resolution_id, key))
        self._maybe_refuse("close_poll")
        return resolution(resolution_id, status="adopted")

    def close_assembly(self, coop, assembly_id, body, key):
        self.calls.append(("close", coop, assembly_id, body, key))
        self._maybe_refuse("close_assembly")
        return {**self.found, "status": "closed"}

    def minutes(self, coop, assembly_id, fmt):
        self.calls.append(("minutes", coop, assembly_id, fmt))
        return b"%PDF-" if fmt == "pdf" else b"<html>"

    def assembly_document(self, coop, assembly_id, document_id):
        return b"contenu"


def rule(status, code, **fields) -> ServiceError:
    return ServiceError(status, "refused", {"rule": [code], **fields}, code, "governance")


# -- the attendance and the quorum: the service's sheet -----------------------------------------

def test_the_presence_is_the_services_sheet_whoever_signed_in():
    quorum = [{"kind": "extraordinary", "required": "3/4", "needed": 4, "taking_part": 4,
               "associates": 5, "reached": True, "formula": "…"},
              {"kind": "ordinary", "required": None, "needed": 0, "taking_part": 4,
               "associates": 5, "reached": True, "formula": "…"}]
    seen = usecases.presence(sheet({INES: "in_person", PAUL: "remote"}, represented=1,
                                   postal=1, quorum=quorum))
    assert (seen.fixed, seen.present, seen.represented, seen.postal, seen.taking_part,
            seen.electorate) == (False, 2, 1, 1, 4, 5)
    assert seen.signed == {INES: "in_person", PAUL: "remote"}
    # the quorum as the service's domain counted it, not counted again here
    assert seen.quorum == ({"kind": "extraordinary", "required": "3/4", "needed": 4,
                            "reached": True},
                           {"kind": "ordinary", "required": None, "needed": 0,
                            "reached": True})
    assert seen.as_json()["signed"] == {INES: "in_person", PAUL: "remote"}
    assert seen.as_json()["postal"] == 1


def test_once_open_the_attendance_and_quorum_are_those_fixed():
    quorum = [{"kind": "ordinary", "required": None, "needed": 0, "taking_part": 5,
               "associates": 5, "reached": True, "formula": "…"}]
    seen = usecases.presence(sheet({INES: "in_person", PAUL: "in_person", CHLOE: "in_person"},
                                   fixed=True, represented=1, postal=1, quorum=quorum))
    assert (seen.fixed, seen.present, seen.represented, seen.taking_part) == (True, 3, 1, 5)
    assert seen.as_json()["quorum"] == [{"kind": "ordinary", "required": None, "needed": 0,
                                         "reached": True}]


def test_the_live_presence_asks_the_service_and_nothing_else():
    gateway = FakeGovernance()
    gateway.signed = {PAUL: "in_person"}  # signed in by another staff member, elsewhere
    seen = usecases.live_presence(gateway, staff(), COOP, ASSEMBLY)
    assert seen.signed == {PAUL: "in_person"} and seen.present == 1
    assert gateway.calls == [("attendance_sheet", COOP, ASSEMBLY)]


# -- the entrepreneur's --------------------------------------------------------------------------

def test_the_assemblies_latest_first_and_a_non_associate_told_so():
    found = usecases.assemblies(FakeGovernance(), ines())
    assert found.readable and [a["id"] for a in found.items] == [ASSEMBLY, "old"]
    refused = FakeGovernance(refuse={"assemblies": ServiceError(403, "associates only")})
    assert usecases.assemblies(refused, ines()) == usecases.Assemblies([], False)
    with pytest.raises(NotYours):
        usecases.assemblies(FakeGovernance(), staff())


def test_the_assembly_page_says_whose_proxy_and_which_votes():
    gateway = FakeGovernance(assembly("open", [resolution(status="open"),
                                               resolution("r-2", "2", status="open")]))
    gateway.proxy_items = [{"giver": INES, "holder": PAUL, "revoked_at": None},
                           {"giver": CHLOE, "holder": INES, "revoked_at": None}]
    gateway.voter_items = {"r-1": [{"voter": INES}], "r-2": [{"voter": PAUL}]}
    page = usecases.assembly_page(gateway, ines(), ASSEMBLY)
    assert page.given["holder"] == PAUL and [p["giver"] for p in page.held] == [CHLOE]
    assert page.voted == frozenset({"r-1"})
    assert [a["name"] for a in page.associates] == ["Chloé Petit", "Paul Girard"]
    assert ("associates", COOP, "2026-11-17") in gateway.calls and page.elector


def test_a_proxy_goes_to_the_service_and_its_refusals_next_to_the_holder():
    gateway = FakeGovernance()
    usecases.give_proxy(gateway, ines(), ASSEMBLY, PAUL, "k-1")
    assert gateway.calls[-1] == ("give_proxy", COOP, ASSEMBLY, {"holder": PAUL}, "k-1")
    with pytest.raises(FieldErrors) as empty:
        usecases.give_proxy(gateway, ines(), ASSEMBLY, "", "k-2")
    assert empty.value.codes == {"mandataire": "proxy.holder_missing"}
    capped = FakeGovernance(refuse={"give_proxy": rule(422, "proxy.cap_exceeded")})
    with pytest.raises(FieldErrors) as refused:
        usecases.give_proxy(capped, ines(), ASSEMBLY, PAUL, "k-3")
    assert refused.value.codes == {"mandataire": "proxy.cap_exceeded"}
    usecases.revoke_proxy(gateway, ines(), ASSEMBLY, "k-4")
    assert gateway.calls[-1][0] == "revoke_proxy"


def test_a_secret_vote_comes_back_with_its_receipt_and_an_open_one_without():
    gateway = FakeGovernance()
    voted = usecases.vote(gateway, ines(), ASSEMBLY, "r-secret", "for")
    assert voted == usecases.Voted("r-secret", True, "K7QX-2P9M")
    assert gateway.calls[-1] == ("vote", COOP, ASSEMBLY, "r-secret", {"choice": "for"})
    assert usecases.vote(gateway, ines(), ASSEMBLY, "r-1", "against").receipt is None
    with pytest.raises(FieldErrors) as nothing:
        usecases.vote(gateway, ines(), ASSEMBLY, "r-1", "")
    assert "choix" in nothing.value.fields
    twice = FakeGovernance(refuse={"vote": rule(409, "vote.twice", resolution_id=["again"])})
    with pytest.raises(FieldErrors) as refused:
        usecases.vote(twice, ines(), ASSEMBLY, "r-1", "for")
    assert refused.value.codes == {"choix": "vote.twice"}


def test_the_published_ballots_find_the_receipt_whatever_its_case():
    gateway = FakeGovernance(assembly("open", [resolution(status="adopted", secret=True)]))
    gateway.ballot_list = {"items": [{"receipt": "AB12-CD34", "choice": "for"},
                                     {"receipt": "K7QX-2P9M", "choice": "against"}],
                           "counts": {"for": 1, "against": 1}}
    found = usecases.published_ballots(gateway, ines(), ASSEMBLY, "r-1", " k7qx-2p9m ")
    assert found.found and found.mine == "K7QX-2P9M" and found.resolution["id"] == "r-1"
    assert not usecases.published_ballots(gateway, ines(), ASSEMBLY, "r-1", "NOPE").found
    with pytest.raises(ServiceError):
        usecases.published_ballots(gateway, ines(), ASSEMBLY, "r-unknown", None)


def test_the_minutes_in_html_or_pdf_only():
    gateway = FakeGovernance()
    assert usecases.minutes_document(gateway, ines(), ASSEMBLY, "pdf") == b"%PDF-"
    assert usecases.minutes_document(gateway, staff(), ASSEMBLY, "html", COOP) == b"<html>"
    with pytest.raises(ValueError):
        usecases.minutes_document(gateway, ines(), ASSEMBLY, "docx")
    with pytest.raises(NotStaff):
        usecases.minutes_document(gateway, staff(OTHER), ASSEMBLY, "pdf", COOP)


# -- the staff's -----------------------------------------------------------------------------

def form(**overrides) -> usecases.ConveneForm:
    values = {"title": "AG", "kind": "ordinary", "held_at": "2027-01-20T18:00:00+01:00",
              "place": "Lyon", "video_link": "", "convened_on": "2026-12-07",
              "resolutions": [{"title": "Comptes", "text": "", "kind": "ordinary",
                               "secret": False}]}
    return usecases.ConveneForm(**{**values, **overrides})


def test_convene_sends_the_assembly_and_its_resolutions():
    gateway = FakeGovernance()
    usecases.convene(gateway, staff(), COOP, form(), "k-1")
    _, coop, body, key = gateway.calls[-1]
    assert (coop, key) == (COOP, "k-1")
    assert body["resolutions"] == [{"title": "Comptes", "text": "Comptes", "kind": "ordinary",
                                    "secret": None}]
    assert body["place"] == "Lyon" and body["video_link"] is None
    assert body["convened_on"] == "2026-12-07"
    with pytest.raises(NotStaff):
        usecases.convene(gateway, staff(OTHER), COOP, form(), "k-2")
    with pytest.raises(NotStaff):
        usecases.convene(gateway, ines(), COOP, form(), "k-3")


def test_a_convocation_too_soon_is_shown_next_to_the_date():
    gateway = FakeGovernance(refuse={"convene": rule(
        422, "convocation.too_late", convened_on=["15 days at least"])})
    with pytest.raises(FieldErrors) as refused:
        usecases.convene(gateway, staff(), COOP, form(), "k")
    assert refused.value.fields == {"jour": ["15 days at least"]}
    assert refused.value.codes == {"jour": "convocation.too_late"}


def test_a_resolutions_refusal_is_shown_next_to_its_line():
    nested = ServiceError(422, "some fields are invalid", {"resolutions": {
        "1": {"kind": ["Must be one of: ordinary, extraordinary, election."]}}},
        None, "governance")
    gateway = FakeGovernance(refuse={"convene": nested})
    with pytest.raises(FieldErrors) as refused:
        usecases.convene(gateway, staff(), COOP, form(), "k")
    assert refused.value.fields == {"r2_type": [
        "Must be one of: ordinary, extraordinary, election."]}
    ruled = FakeGovernance(refuse={"convene": rule(
        422, "resolution.kind", **{"resolutions.0.kind": ["an ordinary assembly ..."]})})
    with pytest.raises(FieldErrors) as by_rule:
        usecases.convene(ruled, staff(), COOP, form(), "k")
    assert by_rule.value.codes == {"r1_type": "resolution.kind"}


def test_signing_in_twice_is_no_error_and_other_refusals_are():
    gateway = FakeGovernance()
    assert usecases.sign_in_associate(gateway, staff(), COOP, ASSEMBLY, PAUL, "k")
    assert gateway.calls[-1][3] == {"member_id": PAUL, "mode": "in_person"}
    twice = FakeGovernance(refuse={"sign_in_associate": rule(409, "attendance.twice")})
    assert usecases.sign_in_associate(twice, staff(), COOP, ASSEMBLY, PAUL, "k") is False
    closed = FakeGovernance(refuse={"sign_in_associate": rule(409, "attendance.closed",
                                                              member_id=["fixed"])})
    with pytest.raises(FieldErrors) as refused:
        usecases.sign_in_associate(closed, staff(), COOP, ASSEMBLY, PAUL, "k")
    assert refused.value.codes == {"membre": "attendance.closed"}


def test_open_and_close_need_their_fields_and_name_the_rules():
    gateway = FakeGovernance()
    with pytest.raises(FieldErrors) as missing:
        usecases.open_assembly(gateway, staff(), COOP, ASSEMBLY, " ", "Chloé", "k")
    assert set(missing.value.fields) == {"president"}
    usecases.open_assembly(gateway, staff(), COOP, ASSEMBLY, "Inès", "Chloé", "k")
    assert gateway.calls[-1][3] == {"chair": "Inès", "secretary": "Chloé"}
    early = FakeGovernance(refuse={"open_assembly": rule(422, "assembly.too_early",
                                                         assembly_id=["at 18:00"])})
    with pytest.raises(FieldErrors) as too_early:
        usecases.open_assembly(early, staff(), COOP, ASSEMBLY, "Inès", "Chloé", "k")
    assert too_early.value.codes == {"president": "assembly.too_early"}
    with pytest.raises(FieldErrors):
        usecases.close_assembly(gateway, staff(), COOP, ASSEMBLY, "", "k")
    polls = FakeGovernance(refuse={"close_assembly": rule(409, "assembly.polls_open",
                                                          assembly_id=["close 2"])})
    with pytest.raises(FieldErrors) as still_open:
        usecases.close_assembly(polls, staff(), COOP, ASSEMBLY, "Débats.", "k")
    assert still_open.value.codes == {"debats": "assembly.polls_open"}


def test_the_staff_page_counts_the_ballots_of_each_open_poll():
    gateway = FakeGovernance(assembly("open", [resolution(status="open"),
                                               resolution("r-2", "2", status="adopted")],
                                      attendance={"in_person": 2, "represented": 0},
                                      quorum=[]))
    gateway.voter_items = {"r-1": [{"voter": INES}, {"voter": PAUL}]}
    found = usecases.staff_assembly(gateway, staff(), COOP, ASSEMBLY)
    assert found.voters == {"r-1": 2} and not found.presence.fixed
    assert found.names[PAUL] == "Paul Girard"
    with pytest.raises(NotStaff):
        usecases.live_presence(gateway, staff(OTHER), COOP, ASSEMBLY)


def test_flatten_names_nested_fields_by_their_dotted_path():
    assert forms.flatten({"a": {"0": {"b": ["x"]}}, "c": "y", "d": [{"e": ["z"]}]}) == {
        "a.0.b": ["x"], "c": ["y"], "d.0.e": ["z"]}


# -- every word in French ----------------------------------------------------------------------

def test_every_message_of_the_assemblies_pages_has_its_french_translation():
    used = (catalogues.messages_in_templates(PACKAGE / "entrypoints" / "templates" / "assemblies")
            | {m for m in catalogues.messages_in_code(PACKAGE / "entrypoints")
               if m in Path(pages.__file__).read_text()}
            | {label for items in pages.NAVIGATION.values() for _, label in items}
            | set(pages.RULES.values()) | set(pages.MESSAGES.values())
            | set(pages.MOVED_ON.values())
            | set(pages.KINDS.values()) | set(pages.RESOLUTION_KINDS.values())
            | set(pages.STATUS.values()) | set(pages.RESOLUTION_STATUS.values())
            | set(pages.CHOICES.values()) | set(pages.QUORUM_KINDS.values())
            | set(pages.QUORUM_STATE.values()) | set(pages.SIGNED_MODES.values()))
    french = catalogues.load("fr")
    missing = sorted(m for m in used if french.gettext(m) == m and m not in {"Date"})
    assert not missing, missing


def test_the_rules_words_cover_the_use_cases_rule_fields():
    for code in (*usecases.PROXY_RULES, *usecases.VOTE_RULES, *usecases.SIGN_IN_RULES,
                 *usecases.CONVENE_RULES, "proxy.holder_missing", "vote.choice_missing"):
        assert code in pages.RULES, code


# -- the pages, over the fake service ------------------------------------------------------------

UCOOP = "6f1c1f5e-0000-4000-8000-000000000001"
UOTHER = "6f1c1f5e-0000-4000-8000-000000000002"
UA = "6f1c1f5e-0000-4000-8000-0000000000a1"
UR = "6f1c1f5e-0000-4000-8000-0000000000b1"


def _client(monkeypatch, gateway, roles, subject="x", coop=UCOOP):
    from cae_portal.adapters.settings import SERVICES, PortalSettings

    monkeypatch.setattr(pages, "gateway_for_viewer", lambda: gateway)
    app = portal.create_app(PortalSettings(service_urls={s: "http://127.0.0.1:9"
                                                         for s in SERVICES}))
    client = app.test_client()
    with client.session_transaction() as session:
        session.update(token="t", csrf="c" * 43, viewer={
            "subject": subject, "cooperative_id": coop, "roles": roles, "name": "X",
            "activity_code": "GOVINES"})
    return client


def _to_hold() -> FakeGovernance:
    found = {**assembly(resolutions=[resolution(UR, "1", "extraordinary")]), "id": UA}
    gateway = FakeGovernance(found)
    gateway.proxy_items = [{"giver": "nadia", "holder": PAUL, "revoked_at": None}]
    gateway.needed = {"extraordinary": ("3/4", 4)}
    return gateway


def test_the_staff_page_signs_in_and_its_json_follows_the_sheet(monkeypatch):
    gateway = _to_hold()
    client = _client(monkeypatch, gateway, ["staff"])
    base = f"/equipe/{UCOOP}/assemblees/{UA}"
    page = client.get(base)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Feuille de présence" in html
    assert '<script src="/static/assemblies-quorum.js" defer></script>' in html
    assert "<script>" not in html  # no inline script: the CSP allows only 'self'
    assert client.get(f"{base}/presence").json["taking_part"] == 0
    for member in (UA.replace("a1", "c1"), UA.replace("a1", "c2")):
        answer = client.post(f"{base}/emargements", data={"csrf": "c" * 43,
                                                          "cle": f"k-{member}", "membre": member})
        assert answer.status_code == 303
    state = client.get(f"{base}/presence").json
    assert (state["present"], state["fixed"]) == (2, False)
    assert "Résolutions extraordinaires : quorum de 3/4 des associés, 4 requis" in \
        state["quorum_text"][0] and state["quorum_text"][0].endswith("non atteint.")
    assert [c[0] for c in gateway.calls].count("sign_in") == 2
    with client.session_transaction() as session:
        assert "emargements" not in session  # the sheet is the service's, not the session's


def test_two_staff_members_see_the_same_sheet_and_a_sign_in_made_elsewhere(monkeypatch):
    gateway = _to_hold()
    base = f"/equipe/{UCOOP}/assemblees/{UA}"
    ines_id, paul_id = UA.replace("a1", "c1"), UA.replace("a1", "c2")
    gateway.associates = lambda coop, on=None: [{"member_id": ines_id, "name": "Inès Moreau"},
                                                {"member_id": paul_id, "name": "Paul Girard"}]
    first = _client(monkeypatch, gateway, ["staff"], subject="alice")
    answer = first.post(f"{base}/emargements", data={"csrf": "c" * 43, "cle": "k",
                                                     "membre": ines_id})
    assert answer.status_code == 303
    gateway.signed[paul_id] = "remote"  # through the service's API, not this portal
    gateway.represented = 1
    second = _client(monkeypatch, gateway, ["staff"], subject="bruno")  # another browser
    for client in (first, second):
        state = client.get(f"{base}/presence").json
        assert (state["present"], state["represented"], state["taking_part"]) == (2, 1, 3)
        assert state["signed"] == {ines_id: "in_person", paul_id: "remote"}
        assert state["signed_text"] == {ines_id: "Présent", paul_id: "À distance"}
        assert state["text"] == ("2 présent(s), 1 représenté(s), 0 par correspondance : "
                                 "3 participant(s) sur 5 associé(s).")
        page = html.unescape(client.get(base).get_data(as_text=True))
        assert '<dd data-figure="taking-part">3</dd>' in page
        assert page.count('<span class="ok">Présent</span>') == 1
        assert '<span class="ok">À distance</span>' in page
        assert "Émarger Paul Girard" not in page and "Émarger Inès Moreau" not in page


STAFF_PAGE = f"/equipe/{UCOOP}/assemblees/{UA}"
FORM = {"csrf": "c" * 43, "cle": "k"}


def _shown(answer) -> str:
    return html.unescape(answer.get_data(as_text=True))


def _opened(gateway: FakeGovernance, *statuses: str) -> FakeGovernance:
    """The assembly opened meanwhile (someone else did): its sheet fixed, its polls as
    ``statuses``."""
    gateway.found["status"] = "open"
    gateway.fixed = True
    for r, status in zip(gateway.found["resolutions"], statuses, strict=False):
        r["status"] = status
    return gateway


def test_a_sign_in_refused_is_shown_in_french(monkeypatch):
    gateway = _to_hold()
    gateway.refuse["sign_in_associate"] = rule(422, "attendance.not_associate",
                                               member_id=["not an associate"])
    client = _client(monkeypatch, gateway, ["staff"])
    refused = client.post(f"{STAFF_PAGE}/emargements", data={**FORM, "membre": UR})
    assert refused.status_code == 422
    assert "Cette personne n'est pas associée de cette assemblée" in _shown(refused)


def test_a_sign_in_refused_once_the_assembly_opened_is_still_shown_in_french(monkeypatch):
    # the sheet is no longer on the page once the assembly is open: the words above it
    gateway = _opened(_to_hold())
    gateway.refuse["sign_in_associate"] = rule(422, "attendance.not_associate",
                                               member_id=["not an associate"])
    client = _client(monkeypatch, gateway, ["staff"])
    refused = client.post(f"{STAFF_PAGE}/emargements", data={**FORM, "membre": UR})
    shown = _shown(refused)
    assert refused.status_code == 422 and 'id="feuille"' not in shown
    assert "Cette personne n'est pas associée de cette assemblée" in shown


def test_a_sign_in_after_someone_else_opened_the_assembly_says_so_on_the_page(monkeypatch):
    gateway = _opened(_to_hold())
    gateway.refuse["sign_in_associate"] = rule(409, "attendance.closed", member_id=["fixed"])
    client = _client(monkeypatch, gateway, ["staff"])
    answer = client.post(f"{STAFF_PAGE}/emargements", data={**FORM, "membre": UR})
    assert answer.status_code == 303 and answer.location.endswith(f"{STAFF_PAGE}#presence")
    page = _shown(client.get(STAFF_PAGE))
    assert ('<div class="notice" role="status"><p>L\'assemblée a été ouverte entre-temps : '
            "la feuille de présence est arrêtée.</p></div>") in page
    assert "L'assemblée a été ouverte entre-temps" not in _shown(client.get(STAFF_PAGE))


def test_opening_an_assembly_someone_else_opened_says_so_on_the_page(monkeypatch):
    gateway = _opened(_to_hold())
    gateway.refuse["open_assembly"] = rule(409, "assembly.opened")
    client = _client(monkeypatch, gateway, ["staff"])
    answer = client.post(f"{STAFF_PAGE}/ouverture",
                         data={**FORM, "president": "Inès", "secretaire": "Paul"})
    assert answer.status_code == 303
    assert ("L'assemblée a été ouverte entre-temps : sa présence et son quorum sont arrêtés."
            in _shown(client.get(STAFF_PAGE)))


def test_closing_a_vote_someone_else_closed_says_so_on_the_page(monkeypatch):
    gateway = _opened(_to_hold(), "adopted")
    gateway.refuse["close_poll"] = rule(409, "poll.closed")
    client = _client(monkeypatch, gateway, ["staff"])
    answer = client.post(f"{STAFF_PAGE}/resolutions/{UR}/cloture", data=FORM)
    assert answer.status_code == 303 and answer.location.endswith(f"#resolution-{UR}")
    assert ("Le vote sur cette résolution a été clos entre-temps : rien de plus n'a été "
            "enregistré ; son résultat figure sur la page." in _shown(client.get(STAFF_PAGE)))


def test_a_close_refused_for_a_form_not_on_the_page_is_shown_above_it(monkeypatch):
    gateway = _to_hold()  # still convened: no closing form on the page
    gateway.refuse["close_assembly"] = rule(409, "assembly.not_open")
    client = _client(monkeypatch, gateway, ["staff"])
    refused = client.post(f"{STAFF_PAGE}/cloture", data={**FORM, "debats": "Débats"})
    shown = _shown(refused)
    assert refused.status_code == 422 and 'id="debats"' not in shown
    assert 'role="alert">Une assemblée se clôt une fois ouverte.' in shown


def test_the_sign_in_notice_names_the_associate_as_the_service_knows_them(monkeypatch):
    gateway = _to_hold()
    paul_id = UA.replace("a1", "c2")
    gateway.associates = lambda coop, on=None: [{"member_id": paul_id, "name": "Paul Girard"}]
    client = _client(monkeypatch, gateway, ["staff"])
    answer = client.post(f"{STAFF_PAGE}/emargements",
                         data={**FORM, "membre": paul_id, "nom": "Quelqu'un d'autre"})
    assert answer.status_code == 303
    page = _shown(client.get(STAFF_PAGE))
    assert "Paul Girard a signé la feuille de présence." in page
    assert "Quelqu'un d'autre" not in page


def test_signing_in_an_associate_already_signed_says_so(monkeypatch):
    gateway = _to_hold()
    paul_id = UA.replace("a1", "c2")
    gateway.associates = lambda coop, on=None: [{"member_id": paul_id, "name": "Paul Girard"}]
    gateway.refuse["sign_in_associate"] = rule(409, "attendance.twice")
    client = _client(monkeypatch, gateway, ["staff"])
    answer = client.post(f"{STAFF_PAGE}/emargements", data={**FORM, "membre": paul_id})
    assert answer.status_code == 303
    page = _shown(client.get(STAFF_PAGE))
    assert "Paul Girard avait déjà signé la feuille de présence : rien n'a changé." in page
    assert "a signé la feuille" not in page


def _to_vote(status="open") -> FakeGovernance:
    return FakeGovernance({**assembly("open", [resolution(UR, "1", status=status)]), "id": UA})


def test_a_second_ballot_goes_back_to_the_page_saying_the_first_one_counts(monkeypatch):
    gateway = _to_vote()
    gateway.voter_items = {UR: [{"voter": INES}]}  # cast meanwhile (another tab)
    gateway.refuse["vote"] = rule(409, "vote.twice")
    client = _client(monkeypatch, gateway, ["entrepreneur"], subject=INES)
    answer = client.post(f"/assemblees/{UA}/resolutions/{UR}/vote", data={**FORM,
                                                                          "choix": "for"})
    assert answer.status_code == 303 and answer.location.endswith(f"#resolution-{UR}")
    page = _shown(client.get(f"/assemblees/{UA}"))
    assert "Ce bulletin a déjà été déposé entre-temps : le premier compte." in page


def test_a_vote_on_a_poll_closed_meanwhile_says_so_on_the_page(monkeypatch):
    gateway = _to_vote("adopted")
    gateway.refuse["vote"] = rule(409, "poll.closed")
    client = _client(monkeypatch, gateway, ["entrepreneur"], subject=INES)
    answer = client.post(f"/assemblees/{UA}/resolutions/{UR}/vote", data={**FORM,
                                                                          "choix": "for"})
    assert answer.status_code == 303
    assert "Le vote sur cette résolution a été clos entre-temps" in _shown(
        client.get(f"/assemblees/{UA}"))


def test_a_vote_refused_whose_ballot_is_not_on_the_page_is_shown_above_it(monkeypatch):
    gateway = _to_vote("adopted")
    gateway.refuse["vote"] = rule(422, "vote.not_participating")
    client = _client(monkeypatch, gateway, ["entrepreneur"], subject=INES)
    refused = client.post(f"/assemblees/{UA}/resolutions/{UR}/vote", data={**FORM,
                                                                           "choix": "for"})
    assert refused.status_code == 422
    assert "Vous ne participez pas à cette assemblée" in _shown(refused)


def test_a_proxy_given_after_the_opening_says_the_assembly_opened(monkeypatch):
    gateway = _to_vote()
    gateway.refuse["give_proxy"] = rule(409, "proxy.assembly_open")
    client = _client(monkeypatch, gateway, ["entrepreneur"], subject=INES)
    answer = client.post(f"/assemblees/{UA}/procuration", data={**FORM, "mandataire": PAUL})
    assert answer.status_code == 303
    page = _shown(client.get(f"/assemblees/{UA}"))
    assert 'id="procuration"' not in page
    assert ("L'assemblée a été ouverte entre-temps : les procurations ne peuvent plus changer."
            in page)


def test_a_proxy_refused_while_convened_is_still_next_to_its_field(monkeypatch):
    gateway = FakeGovernance({**assembly(), "id": UA})
    gateway.refuse["give_proxy"] = rule(409, "proxy.chain", holder=["gave their own"])
    client = _client(monkeypatch, gateway, ["entrepreneur"], subject=INES)
    refused = client.post(f"/assemblees/{UA}/procuration", data={**FORM, "mandataire": PAUL})
    assert refused.status_code == 422
    assert 'id="mandataire-erreur"' in _shown(refused)


def test_an_unreadable_answer_of_the_service_is_no_proxy_refusal(monkeypatch):
    gateway = _to_vote()
    gateway.refuse["vote"] = json.JSONDecodeError("Expecting value", "<html>", 0)
    client = _client(monkeypatch, gateway, ["entrepreneur"], subject=INES)
    answer = client.post(f"/assemblees/{UA}/resolutions/{UR}/vote",
                         data={**FORM, "choix": "for", "pour": UA.replace("a1", "c3")})
    assert answer.status_code == 500
    assert "Vous ne détenez aucune procuration" not in _shown(answer)


def test_a_vote_for_a_giver_that_is_no_id_is_refused_before_asking(monkeypatch):
    gateway = _to_vote()
    client = _client(monkeypatch, gateway, ["entrepreneur"], subject=INES)
    refused = client.post(f"/assemblees/{UA}/resolutions/{UR}/vote",
                          data={**FORM, "choix": "for", "pour": "pas-un-id"})
    assert refused.status_code == 422
    assert "Vous ne détenez aucune procuration" in _shown(refused)
    assert not [c for c in gateway.calls if c[0] == "vote"]


def test_the_minutes_page_of_the_service_can_neither_send_a_form_nor_run_a_script(
        monkeypatch):
    client = _client(monkeypatch, _to_vote(), ["entrepreneur"], subject=INES)
    policy = client.get(f"/assemblees/{UA}/proces-verbal/document").headers[
        "Content-Security-Policy"]
    directives = {d.strip() for d in policy.split(";")}
    assert {"form-action 'none'", "sandbox", "style-src 'unsafe-inline'",
            "default-src 'none'"} <= directives


def test_a_refusal_lands_next_to_the_forms_field_or_the_rules_or_above_the_form():
    error = rule(422, "proxy.chain", holder=["x"], other=["y"])
    shown = forms.refused(error, {"holder": "mandataire"}.get)
    assert shown.fields == {"mandataire": ["x"], "__all__": ["y"]}
    assert shown.codes == {"mandataire": "proxy.chain", "__all__": "proxy.chain"}
    placed = forms.refused(rule(409, "vote.twice"), lambda name: None, {"vote.twice": "choix"})
    assert (placed.fields, placed.codes) == ({"choix": ["refused"]}, {"choix": "vote.twice"})
    bare = forms.refused(ServiceError(422, "no", {"x": ["bad"]}, None, "matching"),
                         lambda name: name, code_of=lambda name: f"form.{name}")
    assert bare.codes == {"x": "form.x"}
    with pytest.raises(FieldErrors):
        forms.write(lambda: (_ for _ in ()).throw(rule(404, "resolution.unknown")),
                    lambda name: "choix", {"resolution.unknown": "choix"})
    with pytest.raises(ServiceError):
        forms.write(lambda: (_ for _ in ()).throw(rule(404, "other")), lambda name: "choix")


def test_a_convocation_too_soon_is_refused_next_to_the_day_in_french(monkeypatch):
    gateway = FakeGovernance(refuse={"convene": rule(
        422, "convocation.too_late", convened_on=["15 days at least; 3 given"])})
    client = _client(monkeypatch, gateway, ["staff"])
    answer = client.post(f"/equipe/{UCOOP}/assemblees/nouvelle", data={
        "csrf": "c" * 43, "cle": "k", "titre": "AG", "type": "ordinary", "jour": "2026-12-10",
        "heure": "18:00", "lieu": "Lyon", "convoquee_le": "2026-12-07", "r1_titre": "Comptes",
        "r1_type": "ordinary"})
    shown = html.unescape(answer.get_data(as_text=True))
    assert answer.status_code == 422
    assert 'id="jour-erreur">Trop tôt : les statuts imposent un délai plus long' in shown
    assert 'aria-describedby="date-aide jour-erreur"' in shown
    _, _, body, _ = gateway.calls[-1]
    assert body["held_at"] == "2026-12-10T18:00:00+01:00"  # Paris time, with its offset


def test_a_secret_vote_shows_its_receipt_then_finds_it_highlighted(monkeypatch):
    found = {**assembly("open", [resolution(UR, "1", status="open", secret=True)]), "id": UA}
    gateway = FakeGovernance(found)
    monkeypatch.setattr(gateway, "vote", lambda coop, a, r, body: {
        "resolution_id": r, "voter": INES, "secret": True, "receipt": "K7QX-2P9M"})
    client = _client(monkeypatch, gateway, ["entrepreneur"], subject=INES)
    voted = client.post(f"/assemblees/{UA}/resolutions/{UR}/vote",
                        data={"csrf": "c" * 43, "cle": "k", "choix": "for"})
    assert voted.status_code == 303
    gateway.voter_items = {UR: [{"voter": INES}]}
    page = html.unescape(client.get(f"/assemblees/{UA}").get_data(as_text=True))
    assert "Votre code de reçu : K7QX-2P9M" in page and "K7QX-2P9M</strong>" in page
    found["resolutions"][0]["status"] = "rejected"
    gateway.ballot_list = {"items": [{"receipt": "AB12-CD34", "choice": "for"},
                                     {"receipt": "K7QX-2P9M", "choice": "for"}],
                           "counts": {"for": 2}}
    ballots = html.unescape(client.get(f"/assemblees/{UA}/resolutions/{UR}/bulletins")
                            .get_data(as_text=True))
    assert ballots.count("data-mine") == 1 and "Votre bulletin K7QX-2P9M figure" in ballots


def test_an_entrepreneur_and_another_cooperatives_staff_get_the_403_page(monkeypatch):
    gateway = _to_hold()
    lea = _client(monkeypatch, gateway, ["entrepreneur"])
    for path in (f"/equipe/{UCOOP}/assemblees", f"/equipe/{UCOOP}/assemblees/{UA}",
                 f"/equipe/{UCOOP}/assemblees/{UA}/presence"):
        assert lea.get(path).status_code == 403, path
    other = _client(monkeypatch, gateway, ["staff"], coop=UOTHER)
    assert other.get(f"/equipe/{UCOOP}/assemblees/{UA}").status_code == 403
    gateway.refuse["assembly"] = ServiceError(403, "associates only", service="governance")
    page = lea.get(f"/assemblees/{UA}")
    assert page.status_code == 403 and "Accès refusé" in page.get_data(as_text=True)
    assert gateway.calls == [("assembly", UCOOP, UA)]  # the staff's pages asked nothing


def test_a_proxy_holder_casts_the_givers_vote_until_it_is_cast():
    gateway = FakeGovernance(assembly("open", [resolution(status="open")]))
    gateway.proxy_items = [{"giver": CHLOE, "holder": INES, "revoked_at": None}]
    page = usecases.assembly_page(gateway, ines(), ASSEMBLY)
    assert [p["giver"] for p in page.to_cast("r-1")] == [CHLOE]
    usecases.vote(gateway, ines(), ASSEMBLY, "r-1", "against", on_behalf_of=CHLOE)
    assert gateway.calls[-1][-1] == {"choice": "against", "on_behalf_of": CHLOE}
    gateway.voter_items = {"r-1": [{"voter": CHLOE}]}
    assert usecases.assembly_page(gateway, ines(), ASSEMBLY).to_cast("r-1") == []
